"""Several accounts: the accounts file (validation, errors by line), channel bindings (which
account a channel acts on, under which policy), and scenarios against two emulated clouds
(two projects, two keys, two regions): each request goes to its own account, the account is
named where people read it, and a job is tracked in its own account after a restart."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select

from bot.cli import main
from bot.config.accounts import load_accounts
from bot.core.bindings import ANY_CHANNEL, Binding, Bindings, Chosen, NoAccount
from bot.core.errors import CloudError, ConfigError
from bot.core.intents import parse
from bot.core.policy import AccessRule, Policy
from bot.health import build_health_app
from bot.huaweicloud.wiring import build_clients, open_fleet
from bot.metrics import Metrics
from bot.sandbox.gateway import TemporaryKeys
from bot.sandbox.seed import SANDBOX_AK, SANDBOX_PROJECT_ID, SANDBOX_SK, seeded_world, sid
from bot.sandbox.server import Emulator, EmulatorThread
from bot.sandbox.slack_api import SlackApiThread
from bot.sandbox.world import World
from bot.store import Store
from bot.store.schema import audit_events
from handlers.messages.confirmation import CONFIRM_ACTION
from tests.conftest import sandbox_settings
from tests.running.test_ops_endpoints import samples
from tests.support.iam import IamEmulator, IamState, IamThread
from tests.support.slack_harness import ALICE, BOB, make_harness, pump, running
from tests.support.slack_helpers import BOT_TOKEN, SIGNING_SECRET, until

PROJECT_B = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
AK_B, SK_B = "SECONDAKEXAMPLE00002", "second-secret-key-not-a-real-one"
ONE, TWO = "C0ONEACC01", "C0TWOACC01"  # one account bound / two accounts bound
RESIZE = f"resize {sid('pi-erp-db')} s6.xlarge.2"


# ---- the pure part: bindings --------------------------------------------------------------

OPEN = Policy()
STRICT = Policy(requests={"resize": AccessRule(users=frozenset({"U0ALICE001"}))})
BINDINGS = Bindings(
    (
        Binding(frozenset({ONE}), ("prod",), STRICT),
        Binding(frozenset({TWO}), ("prod", "dr"), OPEN),
        Binding(frozenset({ANY_CHANNEL}), ("sandbox",), OPEN, None),
    )
)


def test_a_channel_gets_its_only_account_and_that_bindings_policy() -> None:
    assert BINDINGS.choose(ONE) == Chosen("prod", STRICT)
    assert BINDINGS.choose("C0ELSEWHERE") == Chosen("sandbox", OPEN)  # the "*" binding


def test_several_accounts_need_a_choice_and_only_bound_ones_may_be_chosen() -> None:
    assert BINDINGS.choose(TWO) == NoAccount("ambiguous", ("prod", "dr"))
    assert BINDINGS.choose(TWO, "dr") == Chosen("dr", OPEN)
    assert BINDINGS.choose(ONE, "dr") == NoAccount("not-here", ("prod",), "dr")
    # a channel bound by name does not also get the "*" accounts
    assert BINDINGS.choose(ONE, "sandbox") == NoAccount("not-here", ("prod",), "sandbox")
    assert Bindings(()).choose(ONE) == NoAccount("unbound", ())
    with_default = Bindings((Binding(frozenset({TWO}), ("prod", "dr"), OPEN, "dr"),))
    assert with_default.choose(TWO) == Chosen("dr", OPEN)


def test_account_is_an_option_of_changes_only() -> None:
    assert parse(f"{RESIZE} account=dr").account == "dr"  # type: ignore[union-attr]
    assert parse(f"{RESIZE} --account dr").account == "dr"  # type: ignore[union-attr]
    assert parse("drill rename d-1 new-name --account=dr").account == "dr"  # type: ignore[union-attr]
    for bad, why in (
        ("jobs account=dr", "not `jobs`"),
        (f"{RESIZE} account=Prod!", "not an account"),
        (f"{RESIZE} account=a account=b", "given twice"),
    ):
        with pytest.raises(Exception, match=why):
            parse(bad)


# ---- the accounts file --------------------------------------------------------------------

# ap-southeast-1 is not in the SDK's SDRS region table: the account names its endpoint
DR_AP_SDRS = 'sdrs_endpoint = "https://sdrs.ap-southeast-1.myhuaweicloud.com"'
GOOD = f"""
[accounts.prod-cn]
region = "cn-north-4"
project_id = "{SANDBOX_PROJECT_ID}"

[accounts.dr-ap]
region = "ap-southeast-1"
project_id = "{PROJECT_B}"
{DR_AP_SDRS}
credentials = {{ kind = "static", ak = "{AK_B}", sk = "{SK_B}" }}

[[bindings]]
channels = ["{ONE}"]
accounts = ["prod-cn"]

[[bindings]]
channels = ["{TWO}"]
accounts = ["prod-cn", "dr-ap"]
approval_mode = "two-person"
approvers = ["{BOB}"]
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_accounts(path)
    return caught.value.problems


def test_a_good_file_reads_with_inherited_and_own_policies(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(GOOD, encoding="utf-8")
    parsed = load_accounts(path)
    bindings = parsed.bindings_with(STRICT)  # the environment's policy fills what is unset
    assert bindings.choose(ONE) == Chosen("prod-cn", STRICT)
    two = bindings.choose(TWO, "dr-ap")
    assert isinstance(two, Chosen) and two.policy.approval_mode == "two-person"
    assert two.policy.approvers == {BOB} and two.policy.requests == STRICT.requests
    assert (
        parsed.accounts["dr-ap"].base_url("sdrs") == "https://sdrs.ap-southeast-1.myhuaweicloud.com"
    )
    assert SK_B not in repr(parsed)  # the secret key is a SecretStr


def test_every_mistake_is_listed_with_its_line_and_no_value_is_echoed(tmp_path: Path) -> None:
    bad = (
        GOOD.replace('region = "ap-southeast-1"', 'region = "Singapore"')
        .replace('approvers = ["U0BOB00001"]', 'approvers = ["@bob"]')
        .replace(f'ak = "{AK_B}"', f'ak = "{AK_B}", secret = "{SK_B}x"')
    )
    problems = _problems(tmp_path, bad)
    lines = bad.splitlines()
    by_where = {p.split(": ", 2)[1]: p for p in problems}
    assert set(by_where) == {
        "accounts.dr-ap.region",
        "accounts.dr-ap.credentials.secret",
        "bindings[2].approvers",
    }, problems
    for where, problem in by_where.items():
        line = int(problem.split(":")[1])
        key = where.rsplit(".", 1)[-1].split("[")[0]
        key = "credentials" if key == "secret" else key
        assert lines[line - 1].lstrip().startswith(key), (problem, lines[line - 1])
    assert "cn-north-4" in by_where["accounts.dr-ap.region"]  # what to write
    assert "@bob" not in "\n".join(problems) and SK_B not in "\n".join(problems)


def test_unknown_accounts_and_defaults_and_toml_errors_are_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD.replace('["prod-cn", "dr-ap"]', '["prod-cn", "dr-eu"]'))
    assert len(problems) == 1 and "bindings[2].accounts: dr-eu not defined" in problems[0]
    assert problems[0].split(":")[1] == str(
        GOOD.splitlines().index('accounts = ["prod-cn", "dr-ap"]') + 1
    )
    problems = _problems(tmp_path, GOOD + 'default_account = "nope"\n')
    assert "default_account must be one of this binding's accounts" in problems[0]
    assert "not valid TOML" in _problems(tmp_path, "[accounts\n")[0]


# ---- two emulated clouds --------------------------------------------------------------------


@pytest.fixture
def world_b() -> World:
    world = seeded_world(job_init_seconds=0.05, job_seconds=0.3)
    world.credentials.clear()
    world.credentials[AK_B] = SK_B  # the other account's key only
    return world


@pytest.fixture
def emulator_b(world_b: World) -> Iterator[EmulatorThread]:
    with EmulatorThread(Emulator(world_b, PROJECT_B)) as running_b:
        yield running_b


def _accounts_file(tmp_path: Path, a: EmulatorThread, b: EmulatorThread) -> Path:
    text = (
        GOOD.replace(DR_AP_SDRS, "")
        .replace(
            f'project_id = "{SANDBOX_PROJECT_ID}"',
            f'project_id = "{SANDBOX_PROJECT_ID}"\nsdrs_endpoint = "{a.url}"\n'
            f'ecs_endpoint = "{a.url}"\n'
            f'deh_endpoint = "{a.url}"\n'
            f'credentials = {{ kind = "static", ak = "{SANDBOX_AK}", sk = "{SANDBOX_SK}" }}',
        )
        .replace(
            f'project_id = "{PROJECT_B}"',
            f'project_id = "{PROJECT_B}"\nsdrs_endpoint = "{b.url}"\necs_endpoint = "{b.url}"'
            f'\ndeh_endpoint = "{b.url}"',
        )
    )
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _posts(emulator: EmulatorThread) -> int:
    return sum(1 for r in emulator.emulator.requests if r.method == "POST")


async def test_each_request_goes_to_its_own_account_and_names_it(
    tmp_path: Path,
    slack: SlackApiThread,
    emulator: EmulatorThread,
    world: World,
    emulator_b: EmulatorThread,
) -> None:
    accounts = _accounts_file(tmp_path, emulator, emulator_b)
    async with running(tmp_path, slack, emulator, world, accounts_file=accounts) as h:
        # two accounts here and none named: asked which, privately; nothing posted or sent
        await h.command(RESIZE, channel=TWO)
        answer = (await until(h.responses))[0]["text"]
        assert "several accounts (`prod-cn`, `dr-ap`)" in answer and "account=NAME" in answer
        # an account that is not bound to this channel
        await h.command(f"{RESIZE} account=dr-ap", channel=ONE)
        answer = (await until(lambda: h.responses()[1:]))[0]["text"]
        assert "`dr-ap` is not bound to this channel" in answer and "`prod-cn`" in answer
        await h.quiesce()
        assert not h.state.calls_to("chat.postMessage")
        # named: the confirmation names the account and its region
        await h.command(f"{RESIZE} account=dr-ap", channel=TWO)
        op_id, ts = await h.confirmation()
        posted = str(h.state.calls_to("chat.postMessage")[0].args["blocks"])
        assert "account `dr-ap` (ap-southeast-1)" in posted
        # that binding's policy: two-person, so the requester may not confirm; Bob may
        await h.click(CONFIRM_ACTION, op_id, ALICE, ts, channel=TWO)
        assert "Two-person rule" in (await until(lambda: h.ephemerals(ALICE)))[0]
        await h.click(CONFIRM_ACTION, op_id, BOB, ts, channel=TWO)
        finals = await until(lambda: [t for t in h.thread_replies(ts) if "SUCCESS" in t] or None)
        assert "account `dr-ap` (ap-southeast-1)" in finals[0]
        assert _posts(emulator_b) == 1 and _posts(emulator) == 0  # only account B resized
        (job,) = h.deps.store.all_tracked()
        assert job.account == "dr-ap"
        assert h.deps.store.get_pending(op_id).account == "dr-ap"  # type: ignore[union-attr]
        # the same command in the one-account channel goes to account A, requester mode
        await h.command(RESIZE, channel=ONE)
        op2, ts2 = await h.confirmation(1)
        await h.click(CONFIRM_ACTION, op2, ALICE, ts2, channel=ONE)
        await until(lambda: [t for t in h.thread_replies(ts2) if "SUCCESS" in t] or None)
        assert _posts(emulator) == 1 and _posts(emulator_b) == 1
        # history names the account of each line; the audit records carry it
        await h.command("history", channel=TWO)
        history = (
            await until(
                lambda: (
                    [
                        r
                        for r in h.responses()
                        if "history" in r["text"].lower() or "Latest" in r["text"]
                    ]
                    or None
                )
            )
        )[0]["text"]
        assert "in account `dr-ap`" in history
        with h.deps.store.engine.connect() as conn:
            audited = conn.execute(
                select(audit_events.c.action, audit_events.c.account).where(
                    audit_events.c.op_id == op_id
                )
            ).all()
        assert {a for a, _ in audited} >= {"requested", "confirmed", "submitted"}, audited
        assert {account for _, account in audited} == {"dr-ap"}, audited
        # metric labels name the account: cloud calls and the store-derived job gauges
        m = samples(h.deps.metrics.exposition().decode())
        resize = (
            ("operation", "POST /protected-instances/{id}/resize"),
            ("service", "sdrs"),
            ("status", "200"),
        )
        for account in ("dr-ap", "prod-cn"):
            assert m[("sdrs_bot_cloud_calls_total", (("account", account), *resize))] == 1
            finished = ("sdrs_bot_jobs_finished", (("account", account), ("status", "SUCCESS")))
            assert m[finished] == 1, sorted(k for k in m if k[0].startswith("sdrs_bot_jobs"))
            posted = (("account", account), ("kind", "resize"), ("outcome", "confirmation-posted"))
            assert m[("sdrs_bot_commands_total", posted)] == 1
            assert (
                m[
                    (
                        "sdrs_bot_confirmations_total",
                        (("account", account), ("outcome", "confirmed")),
                    )
                ]
                == 1
            )
        # Alice's refused click in the two-person channel is counted under dr-ap too
        assert m[("sdrs_bot_confirmations_total", (("account", "dr-ap"), ("outcome", "denied")))]


async def test_a_job_is_tracked_in_its_own_account_after_a_restart(
    tmp_path: Path,
    slack: SlackApiThread,
    emulator: EmulatorThread,
    world: World,
    emulator_b: EmulatorThread,
    world_b: World,
) -> None:
    accounts = _accounts_file(tmp_path, emulator, emulator_b)
    world_b.job_seconds = 3600  # still running when the bot stops
    h, store, _ = make_harness(tmp_path, slack, emulator, world, accounts_file=accounts)
    pumping = asyncio.create_task(pump(h))
    try:
        await h.command(f"{RESIZE} account=dr-ap", channel=TWO)
        op_id, ts = await h.confirmation()
        await h.click(CONFIRM_ACTION, op_id, BOB, ts, channel=TWO)
        await until(lambda: store.all_tracked() or None)
        await h.quiesce()
    finally:
        pumping.cancel()
        await h.deps.fleet.aclose()
        store.close()
    assert len(world_b.jobs) == 1 and not world.jobs
    job_checks_before = sum(1 for r in emulator_b.emulator.requests if "/jobs/" in r.path)
    # a new process on the same database: the job is checked in account B, never in A
    h2, store2, _ = make_harness(tmp_path, slack, emulator, world, accounts_file=accounts)
    pumping = asyncio.create_task(pump(h2))
    try:
        await until(
            lambda: (
                sum(1 for r in emulator_b.emulator.requests if "/jobs/" in r.path)
                > job_checks_before
                or None
            )
        )
        assert not any("/jobs/" in r.path for r in emulator.emulator.requests)
    finally:
        pumping.cancel()
        await h2.deps.fleet.aclose()
        store2.close()


def test_the_documented_example_is_a_valid_accounts_file(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    example = doc.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "accounts.toml"
    path.write_text(example, encoding="utf-8")
    bindings = load_accounts(path).bindings_with(Policy())
    assert bindings.choose("C024BE91L") == Chosen("prod-cn", bindings.items[0].policy)
    assert bindings.choose("C0ANYOTHER") == Chosen("dr-ap", bindings.items[1].policy)
    assert bindings.items[0].policy.approval_mode == "two-person"


def test_check_tries_each_account_and_names_what_one_lacks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    slack: SlackApiThread,
    emulator: EmulatorThread,
    emulator_b: EmulatorThread,
) -> None:
    """`sdrs-bot check` with ACCOUNTS_FILE: SDRS, ECS and least privilege per account, the
    bindings named as the access mode; a grant missing in one account fails only its lines."""
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "POLICY_", "OPEN_ACCESS")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    monkeypatch.setenv("ACCOUNTS_FILE", str(_accounts_file(tmp_path, emulator, emulator_b)))
    # the bindings name no policy: the environment's allow-lists fill it in
    monkeypatch.setenv("POLICY_RESIZE_USERS", ALICE)
    monkeypatch.setenv("POLICY_RENAME_USERS", ALICE)
    httpx.post(f"{emulator_b.url}/_sandbox/deny", json={"grants": ["ecs:cloudServers:list"]})
    code = main(["check"])
    out = capsys.readouterr().out
    assert SK_B not in out and SANDBOX_SK not in out
    assert code == 1
    lines = out.splitlines()

    def named(prefix: str) -> list[str]:
        return [line for line in lines if line[5:].startswith(prefix)]

    assert named("access") and "channel bindings in" in named("access")[0]
    assert named("keys prod-cn")[0].startswith("ok") and "static" in named("keys prod-cn")[0]
    assert named("sdrs prod-cn")[0].startswith("ok") and named("sdrs dr-ap")[0].startswith("ok")
    assert named("ecs prod-cn")[0].startswith("ok") and named("ecs dr-ap")[0].startswith("FAIL")
    assert not [x for x in named("iam prod-cn") if x.startswith("FAIL")]
    failed = [x for x in named("iam dr-ap") if x.startswith("FAIL")]
    assert [x.split()[3] for x in failed] == ["ListServersDetails", "ListResizeFlavors"], failed


# ---- an account on agency credentials (ECS metadata), project id found from IAM ------------


@pytest.fixture
def agency_cloud() -> Iterator[tuple[EmulatorThread, IamThread, IamEmulator, World]]:
    """The SDRS/ECS emulator accepting only temporary keys IAM issued (an ECS agency), and the
    IAM + metadata emulator issuing them; both on the real clock."""
    clock = lambda: datetime.now(UTC)  # noqa: E731
    temporary = TemporaryKeys(clock)
    world = seeded_world(job_init_seconds=0.05, job_seconds=0.3)
    world.credentials.clear()  # no permanent key works at the gateway
    state = IamState(projects={"cn-north-4": [SANDBOX_PROJECT_ID]})
    iam = IamEmulator(temporary, state, lifetime=timedelta(seconds=4))  # short: expiry is seen
    with (
        EmulatorThread(Emulator(world, SANDBOX_PROJECT_ID, temporary=temporary)) as sdrs,
        IamThread(iam) as iam_thread,
    ):
        yield sdrs, iam_thread, iam, world


def _agency_file(tmp_path: Path, sdrs: EmulatorThread, iam: IamThread) -> Path:
    path = tmp_path / "agency.toml"
    path.write_text(
        f"""
[accounts.prod-cn]
region = "cn-north-4"
sdrs_endpoint = "{sdrs.url}"
ecs_endpoint = "{sdrs.url}"
deh_endpoint = "{sdrs.url}"
iam_endpoint = "{iam.url}"
credentials = {{ kind = "ecs-metadata", endpoint = "{iam.url}" }}

[[bindings]]
channels = ["*"]
accounts = ["prod-cn"]
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
async def test_an_agency_account_finds_its_project_and_signs_with_temporary_keys(
    tmp_path: Path,
    slack: SlackApiThread,
    agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator, World],
) -> None:
    sdrs, iam_thread, iam, world = agency_cloud
    settings = sandbox_settings(sdrs.url, accounts_file=_agency_file(tmp_path, sdrs, iam_thread))
    fleet, _ = await open_fleet(settings)  # as serve starts: the project id comes from IAM
    try:
        (account,) = fleet
        assert account.project_id == SANDBOX_PROJECT_ID
        found = await account.sdrs.list_protected_instances(limit=5)
        assert found
        signed = [r for r in sdrs.emulator.requests if r.path.startswith("/v1/")]
        assert signed and all("x-security-token" in r.headers for r in signed)
        assert "x-security-token" in signed[-1].signed_headers()
        (status,) = [s for _, s in fleet.credential_statuses()]
        assert status.ok and status.source == "ecs-metadata" and status.expires_at is not None
        # requests go on across expiries (4 s keys, real clock): none fails, keys renewed
        statuses = fleet.credential_statuses
        deadline = asyncio.get_running_loop().time() + 20
        while statuses()[0][1].refreshes < 3:
            assert await account.sdrs.list_protected_instances(limit=1)
            assert asyncio.get_running_loop().time() < deadline, "keys never renewed"
            await asyncio.sleep(0.1)
        aks = {
            r.headers["authorization"].split("Access=")[1].split(",")[0]
            for r in sdrs.emulator.requests
            if r.path.startswith("/v1/")
        }
        assert len(aks) >= 2  # signed with the renewed keys in turn
        # the metadata service goes away and the keys run out: a clear error, nothing sent,
        # and /readyz says which account
        iam.down = {"metadata"}
        deadline = asyncio.get_running_loop().time() + 20
        while statuses()[0][1].ok:
            try:
                await account.sdrs.list_protected_instances(limit=1)
            except CloudError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "keys never ran out"
            await asyncio.sleep(0.1)
        sent = len(sdrs.emulator.requests)
        with pytest.raises(CloudError, match="credentials"):
            await account.sdrs.list_protected_instances(limit=5)
        assert len(sdrs.emulator.requests) == sent  # nothing sent without valid keys
        health = build_health_app(
            Store.from_url(settings.database_url),
            Metrics(),
            scheduler_running=lambda: True,
            credentials=statuses,
        )
        async with TestClient(TestServer(health)) as client:
            answer = await client.get("/readyz")
            body = await answer.json()
        assert answer.status == 503 and body["credentials"] is False
        assert "prod-cn" in body["credentials_error"]
    finally:
        await fleet.aclose()


async def test_the_environment_account_signs_a_security_token(
    agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator, World],
) -> None:
    """HUAWEICLOUD_SDK_SECURITY_TOKEN with temporary AK/SK: sent as X-Security-Token and
    signed; without it the gateway refuses the temporary key."""
    sdrs, _, _, _ = agency_cloud
    temporary = sdrs.emulator.temporary
    assert temporary is not None
    key = temporary.issue(timedelta(minutes=5), "handed in")
    token = SecretStr(key.security_token)
    settings = sandbox_settings(
        sdrs.url,
        huaweicloud_sdk_ak=key.ak,
        huaweicloud_sdk_sk=SecretStr(key.sk),
        huaweicloud_sdk_security_token=token,
    )
    clouds = build_clients(settings)
    try:
        assert await clouds.sdrs.list_protected_instances(limit=1)
    finally:
        await clouds.aclose()
    last = sdrs.emulator.requests[-1]
    assert last.headers["x-security-token"] == key.security_token
    assert "x-security-token" in last.signed_headers()
    without = build_clients(
        sandbox_settings(sdrs.url, huaweicloud_sdk_ak=key.ak, huaweicloud_sdk_sk=SecretStr(key.sk))
    )
    try:
        with pytest.raises(CloudError, match="security-token not found"):
            await without.sdrs.list_protected_instances(limit=1)
    finally:
        await without.aclose()


def test_an_account_s_windows_override_the_global_ones_of_that_name(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(
        '[accounts.prod]\nregion = "cn-north-4"\n'
        'windows = { nightly = "Sat 01:00-05:00 UTC", own = "daily 03:00-04:00 UTC" }\n'
        '[[bindings]]\nchannels = ["*"]\naccounts = ["prod"]\n',
        encoding="utf-8",
    )
    specs = load_accounts(path).accounts["prod"].window_specs()
    assert specs["nightly"].describe() == "Sat 01:00-05:00 UTC"
    problems = _problems(
        tmp_path,
        '[accounts.prod]\nregion = "cn-north-4"\nwindows = { nightly = "Sat 01:00 UTC" }\n'
        '[[bindings]]\nchannels = ["*"]\naccounts = ["prod"]\n',
    )
    assert any(
        ":3: accounts.prod.windows: window nightly: `01:00` is not a time span" in p
        for p in problems
    ), problems


def test_check_with_an_account_on_oidc_at_sts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    slack: SlackApiThread,
    agency_cloud: tuple[EmulatorThread, IamThread, IamEmulator, World],
) -> None:
    """A CCE workload's account (``oidc`` with ``via = "sts"``): `sdrs-bot check` gets the keys
    from STS, finds the project with them and reads SDRS/ECS signed with their security token
    (the gateway accepts only keys IAM/STS issued); a refused id token is a FAIL naming it,
    and nothing is sent to SDRS."""
    sdrs, iam_thread, iam, _ = agency_cloud
    provider_urn = "iam::acct:identity-provider:cce"
    agency_urn = "iam::acct:agency:sdrs-bot"
    iam.state.oidc_providers[provider_urn] = {"sa-token-1": None}
    iam.state.trust_agencies[agency_urn] = {provider_urn}
    token_file = tmp_path / "oidc-token"
    token_file.write_text("sa-token-1")
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        f"""
[accounts.prod-cn]
region = "cn-north-4"
sdrs_endpoint = "{sdrs.url}"
ecs_endpoint = "{sdrs.url}"
deh_endpoint = "{sdrs.url}"
iam_endpoint = "{iam_thread.url}"

[accounts.prod-cn.credentials]
kind = "oidc"
via = "sts"
provider_urn = "{provider_urn}"
agency_urn = "{agency_urn}"
id_token_file = "{token_file}"

[[bindings]]
channels = ["*"]
accounts = ["prod-cn"]
""",
        encoding="utf-8",
    )
    for name in list(os.environ):
        if name.startswith(("HUAWEICLOUD_", "POLICY_", "OPEN_ACCESS")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUAWEICLOUD_SDK_STS_ENDPOINT", iam_thread.url)  # the SDK's variable
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    monkeypatch.setenv("ACCOUNTS_FILE", str(accounts))

    def named(out: str, prefix: str) -> str:
        (line,) = [x for x in out.splitlines() if x[5:].startswith(prefix)]
        return line

    main(["check"])
    out = capsys.readouterr().out
    keys = named(out, "keys prod-cn")
    assert keys.startswith("ok") and "oidc via sts" in keys, out
    assert named(out, "sdrs prod-cn").startswith("ok"), out
    assert named(out, "ecs prod-cn").startswith("ok"), out
    assert iam.counts["assume-with-oidc"] >= 1
    signed = [r for r in sdrs.emulator.requests if r.path.startswith("/v1/")]
    assert signed and all("x-security-token" in r.signed_headers() for r in signed)
    assert "sa-token-1" not in out

    token_file.write_text("forged")
    sent = len(sdrs.emulator.requests)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "invalid id_token" in out and "forged" not in out, out
    assert len(sdrs.emulator.requests) == sent
