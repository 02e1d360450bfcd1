"""/healthz, /readyz and /metrics (Prometheus text) scraped over HTTP after a scenario
run through the real app; operation labels; the JSON/text log formats and their redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.config.settings import Settings
from bot.health import build_health_app
from bot.logs import REDACTED, configure_logging
from bot.metrics import operation_of
from bot.sandbox.seed import SANDBOX_SK, sid
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.support.slack_harness import ALICE, Harness
from tests.support.slack_helpers import BOT_TOKEN, until


def test_operation_labels_drop_project_and_ids() -> None:
    pid = "5a4db1a5e0e64c3a9a1f5d0c2b7e9f10"
    assert operation_of("GET", f"/v1/{pid}/jobs/ff8080817c5b0b5a017c6b4f1e0e1234") == (
        "GET /jobs/{id}"
    )
    assert operation_of("POST", f"/v1/{pid}/protected-instances/{sid('x')}/resize") == (
        "POST /protected-instances/{id}/resize"
    )
    assert operation_of("GET", f"/v1/{pid}/cloudservers/resize_flavors?instance_uuid=x") == (
        "GET /cloudservers/resize_flavors"
    )


@pytest.fixture
async def ops(h: Harness) -> AsyncIterator[Callable[..., Awaitable[TestClient]]]:
    clients: list[TestClient] = []

    async def make(
        scheduler: bool = True, slack_up: Callable[[], Awaitable[bool]] | None = None
    ) -> TestClient:
        app = build_health_app(
            h.deps.store,
            h.deps.metrics,
            scheduler_running=lambda: scheduler,
            slack_connected=slack_up,
        )
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


async def test_metrics_after_a_scenario(
    h: Harness, ops: Callable[..., Awaitable[TestClient]]
) -> None:
    await h.command(f"resize {sid('pi-erp-db')} s6.xlarge.2")
    op_id, ts = await h.confirmation()
    await h.click(CONFIRM_ACTION, op_id, ALICE, ts)
    await until(lambda: any("SUCCESS" in r for r in h.thread_replies(ts)), within=15)
    await h.command("resize nonsense")
    await h.command(f"resize {sid('pi-erp-app')} s6.xlarge.2")  # refused: server running
    await until(lambda: len(h.responses()) >= 1)
    await until(lambda: h.deps.store.outbox_stats(h.deps.now())[0] == 0)
    client = await ops()
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    m = samples(await response.text())

    def commands(kind: str, outcome: str, account: str = "default") -> float:
        labels = (("account", account), ("kind", kind), ("outcome", outcome))
        return m[("sdrs_bot_commands_total", labels)]

    assert commands("resize", "confirmation-posted") == 1
    assert commands("resize", "preflight-refused") == 1
    assert commands("unknown", "parse-error", account="") == 1  # no account chosen yet
    confirmed = (("account", "default"), ("outcome", "confirmed"))
    assert m[("sdrs_bot_confirmations_total", confirmed)] == 1
    resize = (
        ("account", "default"),
        ("operation", "POST /protected-instances/{id}/resize"),
        ("service", "sdrs"),
    )
    assert m[("sdrs_bot_cloud_calls_total", (*resize, ("status", "200")))] == 1
    assert m[("sdrs_bot_cloud_call_seconds_count", resize)] == 1
    job_checks = [
        v
        for (name, labels), v in m.items()
        if name == "sdrs_bot_cloud_calls_total" and ("operation", "GET /jobs/{id}") in labels
    ]
    assert sum(job_checks) >= 1
    ecs_reads = [
        v
        for (name, labels), v in m.items()
        if name == "sdrs_bot_cloud_calls_total" and ("service", "ecs") in labels
    ]
    assert sum(ecs_reads) >= 4  # two preflights (servers and resize flavors) + the recheck
    # the store-derived job gauges name the account too
    assert m[("sdrs_bot_jobs_finished", (("account", "default"), ("status", "SUCCESS")))] == 1
    assert m[("sdrs_bot_jobs", (("account", "default"), ("state", "tracking")))] == 0
    assert m[("sdrs_bot_jobs", (("account", "default"), ("state", "finished")))] == 1
    assert m[("sdrs_bot_outbox_depth", ())] == 0
    assert ("sdrs_bot_slack_ratelimited_total", ()) in m


async def test_health_and_readiness(h: Harness, ops: Callable[..., Awaitable[TestClient]]) -> None:
    client = await ops()
    assert (await (await client.get("/healthz")).json()) == {"ok": True}
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["database"] is True

    async def down() -> bool:
        return False

    not_ready = await ops(scheduler=False, slack_up=down)
    answer = await not_ready.get("/readyz")
    assert answer.status == 503
    assert await answer.json() == {
        "ok": False,
        "database": True,
        "scheduler": False,
        "slack_connection": False,
    }


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers (as a process start should); put back
    what the test run had (pytest's capture, a run-wide log file)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
def test_json_logs_carry_context_and_redact_secrets() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        huaweicloud_sdk_ak="AK",
        huaweicloud_sdk_sk=SANDBOX_SK,
        log_format="json",
    )
    out = io.StringIO()
    configure_logging(settings, out)
    log = logging.getLogger("bot.test")
    log.info("operation %s requested", "op1", extra={"op_id": "op1", "user": "U1"})
    log.warning("a library echoed Authorization: Bearer %s", BOT_TOKEN)
    try:
        raise RuntimeError(f"signature with {SANDBOX_SK}")
    except RuntimeError:
        log.exception("failed")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["msg"] == "operation op1 requested" and lines[0]["op_id"] == "op1"
    assert lines[0]["user"] == "U1" and lines[0]["level"] == "info"
    assert lines[1]["msg"].endswith(REDACTED)
    text = out.getvalue()
    assert BOT_TOKEN not in text and SANDBOX_SK not in text and REDACTED in lines[2]["exc"]


@pytest.mark.usefixtures("root_logging")
def test_text_logs_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    configure_logging(Settings(_env_file=None), out)
    logging.getLogger("bot.test").info("hello", extra={"channel": "C1"})
    assert out.getvalue().rstrip().endswith("bot.test: hello  channel=C1")
