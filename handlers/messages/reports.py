"""What the operation's thread is told as its job goes: submitted, renamed, the final report
(success with the new flavors, or the failure with its sub-jobs), a job that takes too long,
and a resize whose sending was interrupted or whose answer could not be read."""

from __future__ import annotations

from bot.core.facts import FinalReport, Interrupted, Renamed, StuckReport, Submitted
from handlers.i18n import N_, _
from handlers.messages.operation import current_flavors, subject
from handlers.messages.text import (
    SITE_LABEL,
    clip,
    confirmed_by,
    duration_text,
    escape,
    thread_link,
)

# SDRS/ECS job types as people read them (others are shown as SDRS names them)
JOB_TYPE_NAMES = {  # msgids: _(JOB_TYPE_NAMES[...])
    "resizeProtectedInstanceNew": N_("resize"),
    "resizeProtectedInstance": N_("resize"),
    "resizeServer": N_("server resize"),
    "batchStopServers": N_("stop"),
    "batchStartServers": N_("start"),
}
SUB_JOBS_SHOWN = 10  # failed sub-jobs a report lists; the rest are counted
CLOUD_TEXT_CHARS = 1_000  # of a reason or message from SDRS/ECS, shown whole up to this


def submitted_text(m: Submitted) -> str:
    return _("Submitted to SDRS, job `{job}`. I will report here when it finishes.").format(
        job=escape(m.job_id)
    )


def renamed_text(m: Renamed) -> str:
    if m.unreadable:
        return _(
            ":white_check_mark: Drill renamed to `{name}`: SDRS's answer could not be "
            "read, so I read the drill, and it has the new name."
        ).format(name=escape(m.name))
    return _(":white_check_mark: Drill renamed to `{name}`.").format(name=escape(m.name))


def job_type_text(job_type: str | None, default: str) -> str:
    """``default``: translated already."""
    known = JOB_TYPE_NAMES.get(job_type or "")
    return escape(_(known) if known else job_type or default)


def final_report_text(report: FinalReport, link: str | None = None) -> str:
    """The thread report when a job ends: what it acted on, the job, how long it took, who
    confirmed; on success the new flavors after the ones it had (``link``: to the thread, for
    a report that is also shown in the channel)."""
    old_flavors = current_flavors(report.op)
    who = confirmed_by(report.confirmer, report.requester)
    head = _("{operation} (job `{job}`, {type}, {duration}{confirmed})").format(
        operation=subject(report.op),
        job=escape(report.job_id),
        type=job_type_text(report.job_type, _("job")),
        duration=duration_text(report.seconds),
        confirmed=who,
    )
    if report.status == "SUCCESS":
        flavors = ", ".join(
            f"{_(SITE_LABEL[s])} "
            + (f"`{escape(old_flavors[s])}` " if s in old_flavors else "")
            + f"→ `{escape(f)}`"
            for s, f in report.new_flavors.items()
        )
        new = _(" New flavors: {flavors}.").format(flavors=flavors) if flavors else ""
        return f":white_check_mark: <@{report.requester}> SUCCESS: {head}.{new}{thread_link(link)}"
    lines = [f":x: <@{report.requester}> {escape(report.status)}: {head}.{thread_link(link)}"]
    if report.error_code or report.fail_reason:
        code = clip(report.error_code, 64) if report.error_code else _("no code")
        reason = (
            clip(report.fail_reason, CLOUD_TEXT_CHARS)
            if report.fail_reason
            else _("no reason given")
        )
        lines.append(f"*{escape(code)}* - {escape(reason)}")
    for sub in report.failed_sub_jobs[:SUB_JOBS_SHOWN]:
        detail = " - ".join(escape(clip(x, 200)) for x in (sub.error_code, sub.fail_reason) if x)
        lines.append(
            _("• sub-job `{job}` ({type}) failed: {detail}").format(
                job=escape(sub.job_id),
                type=job_type_text(sub.job_type, _("sub-job")),
                detail=detail,
            )
        )
    more = len(report.failed_sub_jobs) - SUB_JOBS_SHOWN
    if more > 0:
        job = escape(report.job_id)
        lines.append(
            _("• … and {more} more failed sub-jobs: see job `{job}` in the SDRS console.").format(
                more=more, job=job
            )
        )
    return "\n".join(lines)


def stuck_text(report: StuckReport, link: str | None = None) -> str:
    then = (
        _("I stopped watching it: check it in the SDRS console.")
        if report.stopped
        else _("I keep watching and will report when it ends.")
    )
    return _(
        ":hourglass: <@{requester}> job `{job}` is still {status} after {duration}. {then}{link}"
    ).format(
        requester=report.requester,
        job=escape(report.job_id),
        status=escape(report.status) if report.status else _("unknown"),
        duration=duration_text(report.seconds),
        then=then,
        link=thread_link(link),
    )


def interrupted_text(m: Interrupted) -> str:
    """A resize whose answer could not be read (``cause`` unreadable), or whose sending a
    restart cut short, each as SDRS shows it: received (followed) or not (outcome unknown)."""
    instance = escape(m.instance_id)
    if m.cause == "unreadable" and m.received:
        return _(
            ":arrows_counterclockwise: Sent to SDRS, which accepted it (HTTP 2xx), but its answer "
            "could not be read, so its job id is unknown: following protected instance "
            "`{instance}` instead, and I report here when it ends. I did not send it a "
            "second time."
        ).format(instance=instance)
    if m.cause == "unreadable":
        return _(
            ":warning: SDRS accepted this resize (HTTP 2xx), but its answer could not be read, "
            "and protected instance `{instance}` does not show it (not resizing, and its "
            "servers do not have the new flavors): the outcome is unknown. Check the instance "
            "and its servers' flavors before asking again. I did not send it a second time."
        ).format(instance=instance)
    if m.received:
        return _(
            ":warning: I was restarted while sending this resize, and SDRS did receive it: "
            "protected instance `{instance}` is resizing. Its job id was lost with the "
            "restart, so I follow the instance and report here when it ends. I did not send "
            "it a second time."
        ).format(instance=instance)
    return _(
        ":warning: I was restarted while sending this resize to SDRS, so I cannot tell whether "
        "SDRS received it. Check protected instance `{instance}` (status `resizing`, or a new "
        "resize job) before asking again. I did not send it a second time."
    ).format(instance=instance)
