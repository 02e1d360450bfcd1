"""Cloud failures, for the person who asked: what SDRS or ECS refused (code, message, request
id, and what to do about the commonest codes), that no reliable answer came, or that Huawei
Cloud is unavailable and when to try again. Never a traceback."""

from __future__ import annotations

from bot.core.errors import CloudError
from bot.core.facts import FailureFacts, SubmitFailed
from bot.core.notices import CloudFailed
from handlers.i18n import N_, _, tr
from handlers.messages.text import clip, escape, retry_in

CLOUD_TEXT_MAX = 500  # of a message the cloud wrote: escaped, at most 2,500 (Slack: 4,000)
ID_MAX = 100  # of a code or request id the cloud sent

# What to do about the refusals an operator meets most (codes from the SDRS error-code list).
CODE_HINTS = {  # msgids: _(CODE_HINTS[...])
    "SDRS.0202": N_(
        "\nDrill names: at most 64 bytes, only Chinese characters, a-z, A-Z, 0-9, `.`, `_`, `-`."
    ),
    "SDRS.1902": N_(
        "\nNo drill has that id in this project: `/sdrs drill rename` alone opens a form to "
        "pick one by name."
    ),
    "SDRS.1320": N_(
        "\nNo protected instance has that id in this project: `/sdrs resize` alone opens a "
        "form to pick one by name."
    ),
}


def from_cloud(text: str, most: int = CLOUD_TEXT_MAX) -> str:
    """Text the cloud sent, shortened on purpose and escaped for mrkdwn."""
    return escape(clip(text, most))


def cloud_error_text(error: Exception) -> str:
    """A readable SDRS/ECS failure: code and message, never a traceback."""
    if isinstance(error, CloudError):
        return failure_text(FailureFacts.of(error))
    return _(":x: Could not reach SDRS: {message}").format(message=from_cloud(str(error)))


def cloud_failed_text(n: CloudFailed) -> str:
    """A cloud call failed at the request or at Confirm (privately)."""
    return failure_text(n.failure, n.command, n.at)


def submit_failed_text(m: SubmitFailed) -> str:
    """The submission failed (in the operation's thread)."""
    return failure_text(m.failure, m.command, "thread")


def failure_text(failure: FailureFacts, command: str = "", at: str = "") -> str:
    """A cloud failure, for the person who asked (``at`` request, confirm or thread: where it
    happened, so the reply says what to do again; ``command``: the /sdrs command)."""
    if failure.unavailable:
        return unavailable_text(failure, command, at)
    if failure.kind == "unknown":
        return _(
            ":warning: No reliable answer from SDRS - it may or may not have acted. {hint}"
        ).format(hint=escape(tr(failure.said_hint)))
    if failure.kind == "api":
        rid = (
            _(" (request id `{id}`)").format(id=from_cloud(failure.request_id, ID_MAX))
            if failure.request_id
            else ""
        )
        hint = _(CODE_HINTS.get(failure.code or "", ""))
        code = from_cloud(failure.code or _("error"), ID_MAX)
        return _(":x: SDRS refused: *{code}* - {message}{request}{hint}").format(
            code=code, message=from_cloud(failure.message), request=rid, hint=hint
        )
    return _(":x: Could not reach SDRS: {message}").format(message=from_cloud(failure.message))


def unavailable_text(failure: FailureFacts, command: str = "", at: str = "") -> str:
    """Huawei Cloud was busy, failing or unreachable: say so, say exactly what became of the
    request, which command it was, and when to try again (Retry-After when the cloud gave it)."""
    code = f" `{from_cloud(failure.code, ID_MAX)}`" if failure.code else ""
    rid = (
        _(", request id `{id}`").format(id=from_cloud(failure.request_id, ID_MAX))
        if failure.request_id
        else ""
    )
    if failure.kind == "transport":
        why = _("it could not be reached")
    elif failure.status == 429:
        why = _("it is limiting how often it is called (HTTP 429{code}{request})").format(
            code=code, request=rid
        )
    else:
        why = _("it answered HTTP {status}{code}{request}").format(
            status=failure.status, code=code, request=rid
        )
    sent = {
        "no": _("Nothing was sent."),
        "not-done": _("Nothing was changed."),
        "maybe": _("It may or may not have been carried out: check before asking again."),
    }[failure.sent]
    when = retry_in(failure.retry_after)
    cmd = f"`{escape(command)}`" if command else _("it")
    if at == "request":
        then = _("Nothing was posted: run {command} again {when}.")
    elif at == "confirm":
        then = _("The confirmation stays open ({command}): click Confirm again {when}.")
    elif at == "thread":
        then = _("To try again {when}, ask again: {command}.")
    else:
        then = _("Try again {when}.")
    then = then.format(command=cmd, when=when)
    return _(":warning: Huawei Cloud is unavailable right now: {why}. {sent} {then}").format(
        why=why, sent=sent, then=then
    )
