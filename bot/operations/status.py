"""Status queries: a job, the channel's jobs, the channel's history (answered privately), each
line with a link to its operation's thread where the chat gives one."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import notices
from bot.core.intents import HistoryIntent, JobsIntent, StatusIntent
from bot.core.runbook import Runbook
from bot.operations.access import allowed
from bot.operations.chat import Chat, Tell
from bot.operations.deps import Deps
from bot.store.runbooks import RunbookRow

StatusQuery = StatusIntent | JobsIntent | HistoryIntent


async def answer_status(
    deps: Deps, chat: Chat, tell: Tell, intent: StatusQuery, *, user: str, channel: str
) -> None:
    """What a person may not change through the bot, they may not read through it either; a
    job is shown only in the channel it was asked for in."""
    decision = await allowed(deps, chat, user, channel)
    if not decision.allowed and decision.denial is not None:
        deps.metrics.commands.labels(intent.kind, "denied", "").inc()
        await tell(notices.Denied(decision.denial))
        return
    now = deps.now()
    notice: notices.Notice
    if isinstance(intent, HistoryIntent):
        entries = await asyncio.to_thread(deps.store.history, channel, intent.limit)
        links = await chat.permalinks(channel, [e.message_ts for e in entries if e.message_ts])
        notice = notices.History(entries, links, page=intent.page)
    elif isinstance(intent, StatusIntent):
        job = await asyncio.to_thread(deps.store.get_tracked, intent.job_id)
        of_runbook = None
        if job is None:  # the resize of a stop-resize-start is its runbook's, not tracked alone
            found = await asyncio.to_thread(deps.store.runbook_of_job, intent.job_id)
            if found is not None and found.channel == channel:
                of_runbook = await _runbook_job(deps, found, now)
        if of_runbook is not None and of_runbook.job_id == intent.job_id:
            ts = of_runbook.op.message_ts or ""
            link = (await chat.permalinks(channel, [ts] if ts else [])).get(ts)
            notice = replace(of_runbook, link=link)
        elif job is None or job.channel != channel:  # another channel's job is not shown here
            notice = notices.UnknownJob(intent.job_id)
        else:
            thread = [job.thread_ts] if job.thread_ts else []
            link = (await chat.permalinks(channel, thread)).get(job.thread_ts or "")
            notice = notices.JobStatus(job, now, link)
    else:  # scheduled operations, the jobs being tracked, and those that ended in the last day
        jobs = await asyncio.to_thread(deps.store.list_tracked, channel, active_only=False)
        recent = now - timedelta(days=1)
        shown = [j for j in jobs if j.finished_at is None or j.finished_at >= recent]
        waiting = await asyncio.to_thread(deps.store.list_scheduled, channel)
        scheduled = []
        for row in waiting:
            op = await asyncio.to_thread(deps.store.get_pending, row.op_id)
            if op is not None:
                scheduled.append((row, op))
        runbooks = []
        ended = []  # the resize jobs of runbooks that ended in the last day
        for rb in await asyncio.to_thread(deps.store.list_runbooks, channel, active_only=False):
            if rb.finished_at is not None:
                if rb.finished_at >= recent and (rb_job := await _runbook_job(deps, rb, now)):
                    ended.append(rb_job)
                continue
            op = await asyncio.to_thread(deps.store.get_pending, rb.op_id)
            if op is not None:
                runbooks.append((rb.step, op))
        threads = [j.thread_ts for j in shown if j.thread_ts]
        threads += [op.message_ts for _, op in [*scheduled, *runbooks] if op.message_ts]
        threads += [r.op.message_ts for r in ended if r.op.message_ts]
        links = await chat.permalinks(channel, threads)
        notice = notices.Jobs(shown, now, links, scheduled, runbooks, ended, page=intent.page)
    await tell(notice)


async def _runbook_job(deps: Deps, row: RunbookRow, now: datetime) -> notices.RunbookJob | None:
    """The runbook's resize job, if it sent one."""
    state = Runbook.model_validate_json(row.state_json)
    op = await asyncio.to_thread(deps.store.get_pending, row.op_id)
    if state.sdrs_job is None or op is None:
        return None
    return notices.RunbookJob(
        job_id=state.sdrs_job,
        op=op,
        step=row.step,
        resize=state.resize,
        started_at=row.created_at,
        now=now,
    )
