"""The emulator's /_sandbox control endpoints, used from other processes (playground, crash
tests): faults, power state, job plans, state snapshot."""

from __future__ import annotations

import httpx
import pytest

from bot.core.errors import RateLimitedError
from bot.core.wire.sdrs import ResizeParams
from bot.huaweicloud.sdrs import SdrsClient
from bot.sandbox.seed import sid
from bot.sandbox.server import EmulatorThread


async def test_control_endpoints(sdrs: SdrsClient, emulator: EmulatorThread) -> None:
    async with httpx.AsyncClient(base_url=emulator.url) as ctl:
        r = await ctl.post(
            "/_sandbox/faults",
            json={"kind": "status", "method": "POST", "status": 429, "retry_after": 1},
        )
        assert r.json() == {"ok": True}
        with pytest.raises(RateLimitedError) as caught:
            await sdrs.resize_protected_instance(
                sid("pi-erp-db"), ResizeParams(flavorRef="s6.xlarge.2")
            )
        assert caught.value.retry_after == 1.0
        assert caught.value.code == "APIGW.0308"

        assert (
            await ctl.post(
                f"/_sandbox/servers/{sid('pi-erp-app-src')}/power", json={"status": "SHUTOFF"}
            )
        ).json() == {"ok": True}
        assert (
            await ctl.post("/_sandbox/servers/nope/power", json={"status": "X"})
        ).status_code == 404
        assert (
            await ctl.post("/_sandbox/next-job", json={"fail": ["SDRS.1399", "boom"]})
        ).is_success

        job_id = await sdrs.resize_protected_instance(
            sid("pi-erp-app"), ResizeParams(flavorRef="s6.xlarge.2")
        )
        state = (await ctl.get("/_sandbox/state")).json()
        assert state["servers"][sid("pi-erp-app-src")]["status"] == "SHUTOFF"
        assert state["instances"][sid("pi-erp-app")]["status"] == "resizing"
        assert job_id in state["jobs"]

        r = await ctl.post(
            "/_sandbox/faults", json={"kind": "latency", "seconds": 5, "times": None}
        )
        assert (await ctl.delete("/_sandbox/faults")).is_success
        await sdrs.get_job(job_id)  # no latency left
