"""Prometheus metrics (``prometheus-client``), one registry per running bot.

Counted where things happen: commands by kind and outcome, confirmations by outcome, every
SDRS/ECS call attempt by operation and status with a latency histogram. Read from the store at
scrape time (so every replica reports the shared truth): jobs by tracking state, finished jobs
by status, outbox depth and the age of its oldest message. Slack 429s are the outbox sender's
and the app client's count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.core.credential_status import CredentialStatus
from bot.store import Store
from bot.store.schema import tracked_jobs

CONTENT_TYPE = CONTENT_TYPE_LATEST
_PROJECT_PREFIX = re.compile(r"^/v1/[^/]+")
_ID_SEGMENT = re.compile(r"^(?=.*\d)[0-9A-Za-z-]{16,}$")


def operation_of(method: str, path: str) -> str:
    """A low-cardinality label: ``GET /protected-instances/{id}`` (project and ids removed)."""
    rest = _PROJECT_PREFIX.sub("", path.split("?", 1)[0])
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in rest.split("/")]
    return f"{method} {'/'.join(parts) or '/'}"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Counter(
            "sdrs_bot_commands",
            "Slash commands by kind, outcome and account ('' before one is chosen)",
            ["kind", "outcome", "account"],
            registry=r,
        )
        self.confirmations = Counter(
            "sdrs_bot_confirmations",
            "Confirm/Cancel clicks and expiries by outcome and account",
            ["outcome", "account"],
            registry=r,
        )
        self.inbox_dead = Counter(
            "sdrs_bot_inbox_dead",
            "Acked commands and clicks set aside after failing repeatedly",
            ["kind"],
            registry=r,
        )
        self.cloud_calls = Counter(
            "sdrs_bot_cloud_calls",
            "SDRS/ECS call attempts by account, operation and HTTP status",
            ["account", "service", "operation", "status"],
            registry=r,
        )
        self.cloud_seconds = Histogram(
            "sdrs_bot_cloud_call_seconds",
            "SDRS/ECS call latency",
            ["account", "service", "operation"],
            registry=r,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def observer(self, service: str, account: str) -> Callable[[str, str, str, float], None]:
        """For :class:`bot.huaweicloud.http.CloudHttp`: one observation per attempt."""

        def observe(method: str, path: str, status: str, seconds: float) -> None:
            operation = operation_of(method, path)
            self.cloud_calls.labels(account, service, operation, status).inc()
            self.cloud_seconds.labels(account, service, operation).observe(seconds)

        return observe

    def watch(
        self,
        store: Store,
        ratelimited: Callable[[], int],
        missing_scope: Callable[[], Mapping[str, int]] = dict,
    ) -> None:
        """Read the store (and the Slack 429 and missing_scope counts) at every scrape."""
        self.registry.register(_StoreCollector(store, ratelimited, missing_scope))

    def watch_credentials(
        self, statuses: Callable[[], Iterable[tuple[str, CredentialStatus]]]
    ) -> None:
        """Each account's credential source at every scrape (refresh failures alert here)."""
        self.registry.register(_CredentialCollector(statuses))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _CredentialCollector(Collector):
    def __init__(self, statuses: Callable[[], Iterable[tuple[str, CredentialStatus]]]) -> None:
        self.statuses = statuses

    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "sdrs_bot_credentials_ok",
            "1 while the account's credential source holds valid keys (0: refresh failing and "
            "the keys expired, or the gateway refused them)",
            labels=["account", "source"],
        )
        failures = GaugeMetricFamily(
            "sdrs_bot_credential_refresh_failures",
            "Consecutive failed refreshes of the account's temporary keys",
            labels=["account"],
        )
        expires = GaugeMetricFamily(
            "sdrs_bot_credentials_expire_in_seconds",
            "Seconds until the account's current temporary keys expire",
            labels=["account"],
        )
        now = datetime.now(UTC)
        for account, status in self.statuses():
            ok.add_metric([account, status.source], 1.0 if status.ok else 0.0)
            failures.add_metric([account], float(status.consecutive_failures))
            if status.expires_at is not None:
                expires.add_metric([account], (status.expires_at - now).total_seconds())
        yield ok
        yield failures
        yield expires


class _StoreCollector(Collector):
    def __init__(
        self,
        store: Store,
        ratelimited: Callable[[], int],
        missing_scope: Callable[[], Mapping[str, int]],
    ) -> None:
        self.store = store
        self.ratelimited = ratelimited
        self.missing_scope = missing_scope

    def collect(self) -> Iterator[Metric]:
        t = tracked_jobs.c
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.account, t.state, t.last_status, func.count()).group_by(
                    t.account, t.state, t.last_status
                )
            ).all()
        tracked = GaugeMetricFamily(
            "sdrs_bot_jobs", "Tracked SDRS jobs by account and state", labels=["account", "state"]
        )
        finished = GaugeMetricFamily(
            "sdrs_bot_jobs_finished",
            "Finished SDRS jobs by account and final status",
            labels=["account", "status"],
        )
        by_state: dict[tuple[str, str], int] = {}
        finished_by: dict[tuple[str, str], int] = {}
        for account, state, status, count in rows:
            key = (str(account or ""), str(state))
            by_state[key] = by_state.get(key, 0) + int(count)
            if state == "finished":
                done = (key[0], str(status))
                finished_by[done] = finished_by.get(done, 0) + int(count)
        for account, status in sorted(finished_by):
            finished.add_metric([account, status], finished_by[(account, status)])
        # every state of each account that has jobs, so an alert on a state sees a 0, not a gap
        for account in sorted({a for a, _ in by_state}):
            for state in ("tracking", "finished", "gave-up"):
                tracked.add_metric([account, state], by_state.get((account, state), 0))
        yield tracked
        yield finished
        depth, oldest = self.store.outbox_stats(datetime.now(UTC))
        yield GaugeMetricFamily("sdrs_bot_outbox_depth", "Slack messages waiting", value=depth)
        yield GaugeMetricFamily(
            "sdrs_bot_outbox_oldest_seconds",
            "Age of the oldest waiting message",
            value=oldest or 0.0,
        )
        yield CounterMetricFamily(
            "sdrs_bot_slack_ratelimited",
            "Slack answers 429 (rate limited)",
            value=self.ratelimited(),
        )
        scopes = CounterMetricFamily(
            "sdrs_bot_slack_missing_scope",
            "Slack answers missing_scope, by Web API method "
            "(the app lacks a scope manifest.yml asks for: reinstall it)",
            labels=["method"],
        )
        for method, count in sorted(self.missing_scope().items()):
            scopes.add_metric([method], count)
        yield scopes
