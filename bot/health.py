"""The operations endpoints, on their own port (``HEALTH_HOST:HEALTH_PORT``) in both modes:

* ``GET /healthz`` - the process is alive (the event loop answers);
* ``GET /readyz`` - ready to work: the database answers, the scheduler runs, and in Socket Mode
  the connection to Slack is up; 503 with what is not, otherwise 200;
* ``GET /metrics`` - Prometheus text format (:mod:`bot.metrics`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import text

from bot.metrics import CONTENT_TYPE, Metrics
from bot.store import Store


def _database_ok(store: Store) -> bool:
    try:
        with store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True


def build_health_app(
    store: Store,
    metrics: Metrics,
    *,
    scheduler_running: Callable[[], bool],
    slack_connected: Callable[[], Awaitable[bool]] | None = None,
) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(request: web.Request) -> web.Response:
        checks = {
            "database": await asyncio.to_thread(_database_ok, store),
            "scheduler": scheduler_running(),
        }
        if slack_connected is not None:
            checks["slack_connection"] = await slack_connected()
        ready = all(checks.values())
        return web.json_response({"ok": ready, **checks}, status=200 if ready else 503)

    async def scrape(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(metrics.exposition)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
    return app
