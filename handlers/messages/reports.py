"""What the operation's thread is told as its job goes: submitted, renamed, the final report
(success with the new flavors, or the failure with its sub-jobs), a job that takes too long,
and a resize whose sending was interrupted or whose answer could not be read."""

from __future__ import annotations

from bot.core.facts import FinalReport, Interrupted, Renamed, StuckReport, Submitted
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
JOB_TYPE_NAMES = {
    "resizeProtectedInstanceNew": "resize",
    "resizeProtectedInstance": "resize",
    "resizeServer": "server resize",
    "batchStopServers": "stop",
    "batchStartServers": "start",
}
SUB_JOBS_SHOWN = 10  # failed sub-jobs a report lists; the rest are counted
CLOUD_TEXT_CHARS = 1_000  # of a reason or message from SDRS/ECS, shown whole up to this


def submitted_text(m: Submitted) -> str:
    return f"Submitted to SDRS, job `{escape(m.job_id)}`. I will report here when it finishes."


def renamed_text(m: Renamed) -> str:
    if m.unreadable:
        return (
            f":white_check_mark: Drill renamed to `{escape(m.name)}`: SDRS's answer could not be "
            "read, so I read the drill, and it has the new name."
        )
    return f":white_check_mark: Drill renamed to `{escape(m.name)}`."


def job_type_text(job_type: str | None, default: str) -> str:
    return escape(JOB_TYPE_NAMES.get(job_type or "", job_type or default))


def final_report_text(report: FinalReport, link: str | None = None) -> str:
    """The thread report when a job ends: what it acted on, the job, how long it took, who
    confirmed; on success the new flavors after the ones it had (``link``: to the thread, for
    a report that is also shown in the channel)."""
    old_flavors = current_flavors(report.op)
    who = confirmed_by(report.confirmer, report.requester)
    head = (
        f"{subject(report.op)} (job `{escape(report.job_id)}`, "
        f"{job_type_text(report.job_type, 'job')}, {duration_text(report.seconds)}{who})"
    )
    if report.status == "SUCCESS":
        flavors = ", ".join(
            f"{SITE_LABEL[s]} "
            + (f"`{escape(old_flavors[s])}` " if s in old_flavors else "")
            + f"→ `{escape(f)}`"
            for s, f in report.new_flavors.items()
        )
        new = f" New flavors: {flavors}." if flavors else ""
        return f":white_check_mark: <@{report.requester}> SUCCESS: {head}.{new}{thread_link(link)}"
    lines = [f":x: <@{report.requester}> {escape(report.status)}: {head}.{thread_link(link)}"]
    if report.error_code or report.fail_reason:
        lines.append(
            f"*{escape(clip(report.error_code or 'no code', 64))}* - "
            f"{escape(clip(report.fail_reason or 'no reason given', CLOUD_TEXT_CHARS))}"
        )
    for sub in report.failed_sub_jobs[:SUB_JOBS_SHOWN]:
        detail = " - ".join(escape(clip(x, 200)) for x in (sub.error_code, sub.fail_reason) if x)
        lines.append(
            f"• sub-job `{escape(sub.job_id)}` ({job_type_text(sub.job_type, 'sub-job')}) failed: "
            f"{detail}"
        )
    more = len(report.failed_sub_jobs) - SUB_JOBS_SHOWN
    if more > 0:
        job = escape(report.job_id)
        lines.append(f"• … and {more} more failed sub-jobs: see job `{job}` in the SDRS console.")
    return "\n".join(lines)


def stuck_text(report: StuckReport, link: str | None = None) -> str:
    then = (
        "I stopped watching it: check it in the SDRS console."
        if report.stopped
        else "I keep watching and will report when it ends."
    )
    return (
        f":hourglass: <@{report.requester}> job `{escape(report.job_id)}` is still "
        f"{escape(report.status or 'unknown')} after {duration_text(report.seconds)}. {then}"
        f"{thread_link(link)}"
    )


def interrupted_text(m: Interrupted) -> str:
    """A resize whose answer could not be read (``cause`` unreadable), or whose sending a
    restart cut short, each as SDRS shows it: received (followed) or not (outcome unknown)."""
    instance = escape(m.instance_id)
    if m.cause == "unreadable" and m.received:
        return (
            ":arrows_counterclockwise: Sent to SDRS, which accepted it (HTTP 2xx), but its answer "
            "could not be read, so its job id is unknown: following protected instance "
            f"`{instance}` instead, and I report here when it ends. I did not send it a "
            "second time."
        )
    if m.cause == "unreadable":
        return (
            ":warning: SDRS accepted this resize (HTTP 2xx), but its answer could not be read, "
            f"and protected instance `{instance}` does not show it (not resizing, and its "
            "servers do not have the new flavors): the outcome is unknown. Check the instance "
            "and its servers' flavors before asking again. I did not send it a second time."
        )
    if m.received:
        return (
            ":warning: I was restarted while sending this resize, and SDRS did receive it: "
            f"protected instance `{instance}` is resizing. Its job id was lost with the "
            "restart, so I follow the instance and report here when it ends. I did not send "
            "it a second time."
        )
    return (
        ":warning: I was restarted while sending this resize to SDRS, so I cannot tell whether "
        f"SDRS received it. Check protected instance `{instance}` (status `resizing`, or a new "
        "resize job) before asking again. I did not send it a second time."
    )
