"""Every state and kind the bot stores or decides on, as StrEnums (their values are what the
database holds, so a value is never renamed without a migration)."""

from __future__ import annotations

from enum import StrEnum


class OpKind(StrEnum):
    """What a confirmed operation changes."""

    RESIZE = "resize"
    RENAME_DRILL = "rename_drill"


class OpState(StrEnum):
    """A confirmation moves ``pending ->`` one of the others, exactly once."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # Confirm found the cloud changed since the request (what was shown is out of date)
    STALE = "stale"
    # withdrawn by the bot: Slack did not say it took the confirmation (5xx, timeout) and it
    # could not be found in the channel, so it must not be confirmable; nobody cancelled it
    WITHDRAWN = "withdrawn"


class ExecState(StrEnum):
    """Executing a confirmed operation: ``running`` while a replica calls SDRS (leased, so a
    replica that dies mid-call is noticed), ``done`` once its outcome is recorded."""

    RUNNING = "running"
    DONE = "done"


class ScheduleState(StrEnum):
    """A confirmed operation waiting for its maintenance window: ``scheduled`` until a replica
    starts it (``started``, then executed like any confirmed operation), decides it cannot
    (``not-started``; one that moves to its next window stays ``scheduled``), or the requester
    or an approver cancels it (``cancelled``)."""

    SCHEDULED = "scheduled"
    STARTED = "started"
    NOT_STARTED = "not-started"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    RESIZE = "resize"
    # a resize whose job id was lost (the process died right after SDRS accepted it),
    # followed through its protected instance's status
    RESIZE_BY_INSTANCE = "resize-by-instance"


class JobState(StrEnum):
    TRACKING = "tracking"
    FINISHED = "finished"
    GAVE_UP = "gave-up"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class InboxKind(StrEnum):
    COMMAND = "command"
    CLICK = "click"


class EventKind(StrEnum):
    """Lifecycle events that NOTIFY_ROUTES can route to channels."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    SUBMITTED = "submitted"
    FINISHED = "finished"
    FAILED = "failed"
    STUCK = "stuck"


class AuditAction(StrEnum):
    """The audit trail's action names."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    STALE = "stale"
    WITHDRAWN = "withdrawn"  # by the bot: its confirmation's post was not confirmed by Slack
    PREFLIGHT_REFUSED = "preflight-refused"
    CONFIRM_REFUSED = "confirm-refused"
    SUBMITTED = "submitted"
    SUBMIT_FAILED = "submit-failed"
    RENAMED = "renamed"
    RENAME_FAILED = "rename-failed"
    INTERRUPTED = "interrupted"
    # SDRS answered a change 2xx with a body that cannot be read, and the cloud does not show
    # what came of it: the outcome is unknown (detail: what to check)
    ANSWER_UNREADABLE = "answer-unreadable"
    JOB_FINISHED = "job-finished"
    JOB_STUCK = "job-stuck"
    INBOX_DEAD = "inbox-dead"  # an acked command or click that kept failing, set aside
    RUNBOOK_STARTED = "runbook-started"  # a stop-resize-start operation began
    RUNBOOK_STEP = "runbook-step"  # one of its changing calls went out (or was refused)
    RUNBOOK_DONE = "runbook-done"
    SCHEDULED = "scheduled"  # confirmed now, to run in its maintenance window
    SCHEDULED_START = "scheduled-start"  # its window began and it was started
    NOT_STARTED = "not-started"  # it could not start in its window (detail: why, and moved)
    SCHEDULE_CANCELLED = "schedule-cancelled"
