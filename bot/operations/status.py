"""Status queries: a job, the channel's jobs, the channel's history (answered privately), each
line with a link to its operation's thread where the chat gives one."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core import notices
from bot.core.intents import HistoryIntent, JobsIntent, StatusIntent
from bot.operations.access import allowed
from bot.operations.chat import Chat, Tell
from bot.operations.deps import Deps

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
        if job is None or job.channel != channel:  # another channel's job is not shown here
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
        for rb in await asyncio.to_thread(deps.store.list_runbooks, channel):
            op = await asyncio.to_thread(deps.store.get_pending, rb.op_id)
            if op is not None:
                runbooks.append((rb.step, op))
        threads = [j.thread_ts for j in shown if j.thread_ts]
        threads += [op.message_ts for _, op in [*scheduled, *runbooks] if op.message_ts]
        links = await chat.permalinks(channel, threads)
        notice = notices.Jobs(shown, now, links, scheduled, runbooks, page=intent.page)
    await tell(notice)
