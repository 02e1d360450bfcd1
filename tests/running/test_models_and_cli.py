from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.core.wire.ecs import Server
from bot.core.wire.sdrs import Job, JobStatus, ProtectedInstance, ResizeParams


def test_resize_body_omits_empty_fields_and_uses_documented_names() -> None:
    params = ResizeParams(
        production_flavorRef="s6.large.2", dr_flavorRef="", dr_dedicated_host_id=""
    )
    assert params.body() == {"resize": {"production_flavorRef": "s6.large.2"}}
    full = ResizeParams(
        flavorRef="a",
        production_flavorRef="b",
        dr_flavorRef="c",
        production_dedicated_host_id="d",
        dr_dedicated_host_id="e",
    )
    assert full.body() == {
        "resize": {
            "flavorRef": "a",
            "production_flavorRef": "b",
            "dr_flavorRef": "c",
            "production_dedicated_host_id": "d",
            "dr_dedicated_host_id": "e",
        }
    }


def test_resize_needs_a_flavor() -> None:
    with pytest.raises(ValidationError):
        ResizeParams(production_dedicated_host_id="deh")


def test_job_status_terminal_and_unknown_fields_ignored() -> None:
    job = Job.model_validate({"status": "FAIL", "job_id": "j", "new_field": 1, "entities": {}})
    assert job.status is JobStatus.FAIL and job.status.terminal
    assert not JobStatus.RUNNING.terminal and not JobStatus.INIT.terminal


def test_priority_station_decides_which_server_is_production() -> None:
    normal = ProtectedInstance(id="i", status="protected", source_server="s", target_server="t")
    failed_over = normal.model_copy(update={"priority_station": "target"})
    assert (normal.production_server(), normal.dr_server()) == ("s", "t")
    assert (failed_over.production_server(), failed_over.dr_server()) == ("t", "s")


def test_ecs_server_coerces_string_numbers() -> None:
    server = Server.model_validate(
        {"id": "x", "status": "SHUTOFF", "flavor": {"id": "f", "vcpus": "2", "ram": "4096"}}
    )
    assert server.powered_off and server.flavor.vcpus == 2 and server.flavor.ram == 4096


@pytest.mark.slow
def test_scripted_demo_runs_the_flows_through_the_slack_side(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--scripted", "--job-seconds", "0.6", "--port", "0"]) == 0
    text = capsys.readouterr().out
    assert "`s6.large.2` (2 vCPU, 4 GiB) → `s6.xlarge.2` (4 vCPU, 8 GiB)" in text
    assert "alice clicked Confirm" in text and "@alice SUCCESS: resize" in text
    # alice's Slack is Chinese: what only she sees is in Chinese; the channel's messages in English
    assert "only alice sees: :no_entry: 生产站点云服务器 `ecs-erp-app-src` 状态为 ACTIVE" in text
    assert "Drill renamed to `容灾演练-2026`" in text
    # the second account, from the channel bound to both: asked which, then named everywhere
    assert "only alice sees: :question: 本频道绑定了多个账号（`dr-ap`, `prod-cn`）" in text
    assert "confirmation in #dr-apac:" in text and "Cloud: account `dr-ap` (ap-southeast-1)" in text
    assert "SUCCESS: resize of `hk-erp-db` in account `dr-ap` (ap-southeast-1)" in text
    assert text.rstrip().endswith("All steps ended as expected.")


@pytest.mark.slow
def test_scripted_demo_with_the_two_person_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """--two-person: the bindings carry the approvers, so an approver confirms each of the four
    changes (the resize, the stop-resize-start, the drill rename, the dr-ap resize)."""
    assert main(["demo", "--scripted", "--two-person", "--job-seconds", "0.6", "--port", "0"]) == 0
    text = capsys.readouterr().out
    assert text.count("bob clicked Confirm") == 4 and "alice clicked Confirm" not in text
    assert text.rstrip().endswith("All steps ended as expected.")
