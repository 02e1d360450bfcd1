"""The operations endpoints, on their own port (``HEALTH_HOST:HEALTH_PORT``) in both modes:

* ``GET /healthz`` - the process is alive (the event loop answers);
* ``GET /readyz`` - ready to work: the database takes writes (a real write, committed, that
  leaves every value as it was: :meth:`bot.store.Store.probe_write`), the scheduler runs (with
  worker processes: every worker runs), in Socket Mode the connection to Slack is up, and every
  account's credential source holds valid keys the gateway has not refused; 503 with what is
  not (``database_error``, ``credentials_error``: why), otherwise 200. docs/operations.md's
  "Readiness" lists the same checks (a test keeps them equal);
* ``GET /metrics`` - Prometheus text format (:mod:`bot.metrics`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.credential_status import CredentialStatus
from bot.metrics import CONTENT_TYPE, Metrics
from bot.store import Store


def _database_problem(store: Store) -> str | None:
    """None when the database takes writes, else why not (for the readiness answer)."""
    try:
        store.probe_write()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return str(exc) or type(exc).__name__
    return None


def build_health_app(
    store: Store,
    metrics: Metrics,
    *,
    scheduler_running: Callable[[], bool],
    slack_connected: Callable[[], Awaitable[bool]] | None = None,
    credentials: Callable[[], list[tuple[str, CredentialStatus]]] | None = None,
) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        problem = await asyncio.to_thread(_database_problem, store)
        checks = {"database": problem is None, "scheduler": scheduler_running()}
        if slack_connected is not None:
            checks["slack_connection"] = await slack_connected()
        failing: dict[str, str] = {}
        if credentials is not None:
            failing = {
                account: status.last_error or "no valid keys"
                for account, status in credentials()
                if not status.ok
            }
            checks["credentials"] = not failing
        ready = all(checks.values())
        answer: dict[str, object] = {"ok": ready, **checks}
        if problem is not None:
            answer["database_error"] = problem
        if failing:
            answer["credentials_error"] = failing  # account -> why (no secret)
        return web.json_response(answer, status=200 if ready else 503)

    async def scrape(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
    return app
