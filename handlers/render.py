"""Notices and facts -> Slack text and Block Kit, at the moment a message is sent.

The store keeps facts (:mod:`bot.core.facts`); every message is rendered when it leaves, by the
function of :mod:`handlers.messages` that words it: one table from each private notice's and
each outbox message's type to that function. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from bot.core import notices
from bot.core.facts import (
    Announcement,
    Decided,
    FinalReport,
    Interrupted,
    NotStarted,
    Renamed,
    Rendered,
    RunbookEvent,
    StuckReport,
    SubmitFailed,
    Submitted,
)
from bot.core.records import OutboxMessage
from handlers.messages import (
    announce,
    cloud,
    errors,
    history,
    jobs,
    outcome,
    preflight,
    reports,
    runbook,
    windows,
)
from handlers.messages.confirmation import confirmation
from handlers.messages.text import Blocks

__all__ = ["MESSAGES", "NOTICES", "Blocks", "confirmation", "message", "notice"]

# Each entry of the tables is made by one of these, so that mypy checks that its renderer
# takes the type it is entered for.
_T = TypeVar("_T")
NoticeRender = Callable[[Any], str]
MessageRender = Callable[[Any, str | None], tuple[str, Blocks]]


def _notice(kind: type[_T], render: Callable[[_T], str]) -> tuple[type[Any], NoticeRender]:
    return kind, render


def _text(kind: type[_T], render: Callable[[_T], str]) -> tuple[type[Any], MessageRender]:
    """A message that is text only."""
    return kind, lambda m, _link: (render(m), None)


def _linked(
    kind: type[_T], render: Callable[[_T, str | None], str]
) -> tuple[type[Any], MessageRender]:
    """A message that is text only and links to the operation's thread when seen outside it."""
    return kind, lambda m, link: (render(m, link), None)


def _blocks(
    kind: type[_T], render: Callable[[_T], tuple[str, Blocks]]
) -> tuple[type[Any], MessageRender]:
    """A message with Block Kit."""
    return kind, lambda m, _link: render(m)


NOTICES: dict[type[Any], NoticeRender] = dict(
    [
        _notice(notices.Denied, errors.denied_text),
        _notice(notices.SameName, errors.same_name_text),
        _notice(notices.NameUnresolved, errors.name_unresolved_text),
        _notice(notices.NoAccount, errors.no_account_text),
        _notice(notices.NotPosted, errors.not_posted_text),
        _notice(notices.NotHandled, errors.not_handled_text),
        _notice(notices.PreflightRefused, preflight.refused_text),
        _notice(notices.CloudFailed, cloud.cloud_failed_text),
        _notice(notices.UnknownOperation, outcome.unknown_operation_text),
        _notice(notices.ForeignOperation, outcome.foreign_operation_text),
        _notice(notices.AlreadyDecided, outcome.already_decided_text),
        _notice(notices.History, history.history_text),
        _notice(notices.JobStatus, jobs.job_status_text),
        _notice(notices.RunbookJob, jobs.runbook_job_text),
        _notice(notices.Jobs, jobs.jobs_text),
        _notice(notices.UnknownJob, jobs.unknown_job_text),
        _notice(notices.UnknownWindow, windows.unknown_window_text),
        _notice(notices.CannotSchedule, windows.cannot_schedule_text),
        _notice(notices.NotCancellable, windows.not_cancellable_text),
    ]
)

MESSAGES: dict[type[Any], MessageRender] = dict(
    [
        _blocks(Decided, outcome.decided),
        _text(NotStarted, windows.not_started_text),
        _text(Submitted, reports.submitted_text),
        _text(SubmitFailed, cloud.submit_failed_text),
        _text(Renamed, reports.renamed_text),
        _linked(FinalReport, reports.final_report_text),
        _linked(StuckReport, reports.stuck_text),
        _text(Interrupted, reports.interrupted_text),
        _linked(Announcement, announce.announce_text),
        _text(RunbookEvent, runbook.runbook_text),
        _blocks(Rendered, lambda m: (m.text, m.blocks)),  # queued by an older version, as is
    ]
)


def notice(n: notices.Notice) -> str:
    """The text of a private reply."""
    return NOTICES[type(n)](n)


def message(msg: OutboxMessage, link: str | None = None) -> tuple[str, Blocks]:
    """(text, blocks) of an outbox message, rendered now (``link``: to the operation's thread,
    for a message seen outside it)."""
    return MESSAGES[type(msg.content)](msg.content, link)
