"""The playground's fault switches: make what can go wrong in production happen now, so the
page shows how the bot reports it. Each switch acts on a stand-in, never on the bot itself:

* the next job fails (an SDRS error code on the job and its sub-jobs) or never ends: the
  emulator's plan for its next resize job;
* SDRS slow or refusing (503, or 429 with Retry-After): the emulator's fault plan, on SDRS's
  paths only (ECS keeps answering);
* Slack rate-limiting the bot: the Slack stand-in answers ``chat.postMessage`` and
  ``chat.update`` with 429 and a ``Retry-After`` for a while;
* ECS power faults on a stop-resize-start (the emulator's :class:`PowerFault`, used up by the
  next ECS batch job of its action, on every server of that job): the next stop fails (an ECS
  error code on the job and its sub-jobs; the servers stay ACTIVE), the next start fails (the
  servers stay SHUTOFF: they do not come back), or the next start ends with the servers in
  ERROR;
* a confirmation expiring now: the pending confirmations' deadline is moved to now in the bot's
  database, as if their time had run out (the bot has no clock to move). The bot sees it at
  its next expiry sweep, or at once when someone clicks Confirm;
* maintenance windows starting now: the operations waiting for their window have that window
  moved to begin now (same length), as if the night had come; the bot's schedule tick starts
  them (after its preflight), as it would at the real window's start.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import create_engine, update

from bot.core.states import ScheduleState
from bot.sandbox.faults import Fault, FaultPlan, PowerFault, PowerFaultKind
from bot.sandbox.slack_api import SlackApiState
from bot.sandbox.world import JobPlan, World
from bot.store.schema import pending_operations, scheduled_operations

SDRS_PATHS = ("/protected-instances", "/server-groups", "/jobs", "/disaster-recovery-drills")
SLACK_POSTING = ("chat.postMessage", "chat.update")
DEFAULT_FAILURE = ("SDRS.1379", "The flavor is not supported in the AZ of the DR-site server")
DEFAULT_ECS_FAILURE = "Ecs.0000"  # the ECS error-code table's generic "Request error"
# the page's ECS switches: the emulator's PowerFault kind, and what the page says it did
POWER_SWITCHES: dict[str, tuple[PowerFaultKind, str]] = {
    "stop-fails": ("stop_fails", "the next ECS stop fails with {code}; the servers stay ACTIVE"),
    "start-fails": (
        "start_fails",
        "the next ECS start fails with {code}; the servers stay SHUTOFF",
    ),
    "start-to-error": ("start_to_error", "the next ECS start leaves the servers in ERROR"),
}


class FaultControls:
    def __init__(
        self, world: World, emulator_faults: FaultPlan, slack: SlackApiState, database_url: str
    ) -> None:
        self.world = world
        self.emulator_faults = emulator_faults
        self.slack = slack
        self.database_url = database_url

    async def apply(self, spec: dict[str, Any]) -> dict[str, Any]:
        """One switch (``spec["kind"]``); what it did, for the page."""
        kind = str(spec["kind"])
        if kind == "job-fails":
            code = str(spec.get("code") or DEFAULT_FAILURE[0]).strip()
            reason = str(spec.get("reason") or DEFAULT_FAILURE[1]).strip()
            self.world.plan_next_job(JobPlan(fail=(code, reason)))
            return {"ok": True, "done": f"the next resize job fails with {code}"}
        if kind == "job-hangs":
            self.world.plan_next_job(JobPlan(hang=True))
            return {"ok": True, "done": "the next resize job stays RUNNING"}
        if kind in POWER_SWITCHES:
            fault_kind, done = POWER_SWITCHES[kind]
            code = str(spec.get("code") or "").strip() if kind == "stop-fails" else ""
            code = code or DEFAULT_ECS_FAILURE
            self.world.add_power_fault(PowerFault(fault_kind, error_code=code))
            return {"ok": True, "done": done.format(code=code)}
        if kind == "sdrs-slow":
            seconds = float(spec.get("seconds", 3))
            self.emulator_faults.add(
                Fault("latency", seconds=seconds, times=None, path_any=SDRS_PATHS)
            )
            return {"ok": True, "done": f"SDRS answers {seconds:g} s late"}
        if kind == "sdrs-refusing":
            status = int(spec.get("status", 503))
            if status not in (429, 500, 502, 503, 504):
                raise ValueError("status must be 429 or a 5xx")
            retry_after = 2.0 if status == 429 else None
            self.emulator_faults.add(
                Fault(
                    "status",
                    status=status,
                    retry_after=retry_after,
                    times=None,
                    path_any=SDRS_PATHS,
                )
            )
            return {"ok": True, "done": f"SDRS answers HTTP {status}"}
        if kind == "slack-ratelimit":
            seconds = float(spec.get("seconds", 5))
            until = time.monotonic() + seconds
            for method in SLACK_POSTING:
                self.slack.rate_limited_until[method] = until
            return {"ok": True, "done": f"Slack answers the bot's posts with 429 for {seconds:g} s"}
        if kind == "expire-now":
            count = await asyncio.to_thread(self._expire_now)
            return {"ok": True, "done": f"{count} open confirmation(s) expire now"}
        if kind == "window-now":
            count = await asyncio.to_thread(self._windows_now)
            return {"ok": True, "done": f"{count} waiting operation(s): their window starts now"}
        if kind == "clear":
            self.clear()
            return {"ok": True, "done": "every fault cleared"}
        raise ValueError(f"no such fault switch: {kind}")

    def clear(self) -> None:
        self.emulator_faults.clear()
        self.slack.rate_limited_until.clear()
        with self.world.lock:
            self.world.job_plans.clear()
        self.world.clear_power_faults()

    def active(self) -> list[str]:
        """What is switched on, one line each (the page lists them)."""
        lines = []
        with self.world.lock:
            plans = list(self.world.job_plans)
            powers = list(self.world.power_faults)
        for plan in plans:
            if plan.fail:
                lines.append(f"next job fails with {plan.fail[0]}")
            elif plan.hang:
                lines.append("next job never ends")
        for power in powers:
            if power.kind == "stop_fails":
                lines.append(f"next ECS stop fails with {power.error_code}")
            elif power.kind == "start_fails":
                lines.append(f"next ECS start fails with {power.error_code} (stays SHUTOFF)")
            else:
                lines.append("next ECS start leaves the servers in ERROR")
        lines += [f"SDRS: {fault.describe()}" for fault in self.emulator_faults.active()]
        left = max(self.slack.rate_limited_until.values(), default=0.0) - time.monotonic()
        if left > 0:
            lines.append(f"Slack rate-limits the bot for {left:.0f} s more")
        answered = sum(self.slack.ratelimited[m] for m in SLACK_POSTING)
        if answered:
            lines.append(f"Slack answered the bot's posts with 429 {answered} time(s) so far")
        return lines

    def _windows_now(self) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                t = scheduled_operations.c
                now = time.time()
                done = conn.execute(
                    update(scheduled_operations)
                    .where(t.state == ScheduleState.SCHEDULED.value)
                    .values(ends_at=t.ends_at - t.starts_at + now, starts_at=now)
                )
                return int(done.rowcount)
        finally:
            engine.dispose()

    def _expire_now(self) -> int:
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                t = pending_operations.c
                done = conn.execute(
                    update(pending_operations)
                    .where(t.state == "pending")
                    .values(expires_at=time.time())
                )
                return int(done.rowcount)
        finally:
            engine.dispose()
