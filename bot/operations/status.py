"""Status queries: a job, the channel's jobs, the channel's history (answered privately)."""

from __future__ import annotations

import asyncio

from bot.core import notices
from bot.core.intents import HistoryIntent, JobsIntent, StatusIntent
from bot.operations.chat import Tell
from bot.operations.deps import Deps

StatusQuery = StatusIntent | JobsIntent | HistoryIntent


async def answer_status(deps: Deps, tell: Tell, intent: StatusQuery, channel: str) -> None:
    now = deps.now()
    notice: notices.Notice
    if isinstance(intent, HistoryIntent):
        notice = notices.History(await asyncio.to_thread(deps.store.history, channel, intent.limit))
    elif isinstance(intent, StatusIntent):
        job = await asyncio.to_thread(deps.store.get_tracked, intent.job_id)
        notice = notices.UnknownJob(intent.job_id) if job is None else notices.JobStatus(job, now)
    else:
        notice = notices.Jobs(await asyncio.to_thread(deps.store.list_tracked, channel), now)
    await tell(notice)
