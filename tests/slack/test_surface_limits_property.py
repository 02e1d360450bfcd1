"""Every surface the bot renders stays inside Slack's limits for every input it accepts: each
message, confirmation, private reply, listing, form and option, built with names at their
maximum (64 bytes, also in Chinese), 32-character account names, 3 and 200 approvers, many
servers, sub-jobs, flavors and entries, is checked against the same validator the Slack
stand-in uses (bot/sandbox/block_limits.py), and each message's text is at most Slack's
recommended 4,000 characters. Long content is shortened on purpose, never by an exception.

Each test runs in every language the bot speaks (English and Simplified Chinese): Slack counts
characters, and a translation is laid out differently. The samples rendered in Chinese are also
checked for English left untranslated (no sentence of an English msgid shows)."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core import notices
from bot.core.capacity import Shortfall
from bot.core.errors import ParseError
from bot.core.facts import (
    Announcement,
    Decided,
    FailureFacts,
    FinalReport,
    FlavorFacts,
    Interrupted,
    NotStarted,
    OperationFacts,
    Renamed,
    RenameFacts,
    Rendered,
    ResizeFacts,
    RunbookEvent,
    ScheduleFacts,
    SiteChange,
    StuckReport,
    SubJobFailure,
    SubmitFailed,
    Submitted,
    WarningFacts,
)
from bot.core.intents import USAGE
from bot.core.language import Language
from bot.core.policy import Denial, Policy
from bot.core.preflight import Preflight, Refusal, Warning
from bot.core.records import (
    HistoryEntry,
    OutboxMessage,
    PendingOperation,
    ScheduledOperation,
    TrackedJob,
)
from bot.core.states import EventKind, JobKind, JobState, OpKind, OpState, ScheduleState
from bot.core.wire.ecs import Flavor
from bot.core.wording import Wording, verbatim
from bot.sandbox import block_limits
from handlers import modals, render
from handlers.i18n import _, speaking
from handlers.messages import errors, help, runbook, windows
from handlers.messages.text import no_page_text
from tests.support.local_env import ROOT

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
RECOMMENDED = block_limits.MESSAGE_TEXT_RECOMMENDED
CJK = "订单数据库灾备演练"

# names at SDRS's limit (64 bytes: 64 ASCII characters, or 21 Chinese characters and one more)
ascii_name = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=56, max_size=64)
cjk_name = st.text(CJK, min_size=21, max_size=21).map(lambda s: s + "x")
name = st.one_of(ascii_name, cjk_name)
account = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=32, max_size=32)
region = st.sampled_from(["ap-southeast-1", "cn-north-4", "cn-southwest-2"])
flavor_id = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=20, max_size=30).map(
    lambda s: f"s{s}.{s}.2"[:64]
)
uuid_like = st.uuids().map(str)
job_id = st.text("abcdef0123456789", min_size=32, max_size=32)
user = st.sampled_from(["U0ALICE001", "U0BOB00001", "W0CAROL0001"])
# what SDRS or ECS may say: codes and reasons of any length
reason = st.text(min_size=0, max_size=3000)
code = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ.0123456789", min_size=0, max_size=40)
link = st.one_of(
    st.none(),
    st.just(
        "https://sandbox.slack.com/archives/C0DROPS001/p1234567890123456?thread_ts="
        "1234567890.123456&cid=C0DROPS001"
    ),
)
flavor = st.builds(
    FlavorFacts, id=flavor_id, vcpus=st.integers(1, 512), ram=st.integers(1024, 4 * 1024 * 1024)
)
schedule = st.one_of(
    st.none(),
    st.builds(
        ScheduleFacts,
        op_id=st.just("a" * 32),
        window=st.text("abcdefgh-_", min_size=32, max_size=32),
        spec=st.just("Mon,Tue,Wed,Thu,Fri,Sat,Sun 02:00-04:00 America/Argentina/ComodRivadavia"),
        starts_at=st.just(T0),
        ends_at=st.just(T0 + timedelta(hours=2)),
        moves_on_miss=st.booleans(),
        state=st.sampled_from(["scheduled", "cancelled", "not-started"]),
        by=user,
        reason=st.one_of(st.none(), st.sampled_from(list(windows.NOT_STARTED_TEXT))),
    ),
)
resize = st.builds(
    ResizeFacts,
    account=account,
    region=region,
    instance_id=uuid_like,
    instance_name=name,
    group_name=name,
    changes=st.lists(
        st.builds(
            SiteChange,
            site=st.sampled_from(["production", "dr"]),
            server_id=uuid_like,
            server_name=name,
            current=flavor,
            new=flavor,
            host=st.one_of(st.none(), uuid_like),
            power=st.sampled_from(["ACTIVE", "SHUTOFF", "ERROR", None]),
        ),
        min_size=1,
        max_size=2,
        unique_by=lambda c: c.site,
    ),
    one_flavor=st.booleans(),
    stop_start=st.booleans(),
    hard_stop=st.booleans(),
    warnings=st.lists(
        st.builds(
            WarningFacts,
            kind=st.sampled_from([w.value for w in Warning]),
            what=st.sampled_from(["production", "dr"]),
        ),
        max_size=4,
    ),
    schedule=schedule,
)
rename = st.builds(
    RenameFacts,
    account=account,
    region=region,
    drill_id=uuid_like,
    current_name=name,
    new_name=name,
    group_name=name,
)
op_facts: st.SearchStrategy[OperationFacts] = st.one_of(resize, rename)
failure = st.builds(
    FailureFacts,
    kind=st.sampled_from(["api", "unknown", "transport"]),
    code=code,
    message=reason,
    request_id=job_id,
    hint=reason,
)
sub_jobs = st.integers(0, 60).map(
    lambda n: [
        SubJobFailure(
            job_id=f"{i:032x}",
            job_type="resizeServer",
            error_code="SDRS.1379",
            fail_reason="x" * 200,
        )
        for i in range(n)
    ]
)
policy = st.sampled_from(
    [
        Policy(),
        Policy(
            approval_mode="two-person",
            approvers=frozenset({"U0BOB00001", "U0CAROL001"}),
            approver_groups=frozenset({"S0LEADS001"}),
        ),
        Policy(
            approval_mode="two-person",
            approvers=frozenset(f"U{i:010d}" for i in range(200)),
            approver_groups=frozenset(f"S{i:010d}" for i in range(20)),
        ),
    ]
)
message = st.one_of(
    st.builds(
        Decided,
        op=op_facts,
        requester=user,
        state=st.sampled_from(list(OpState)),
        by=user,
        at=st.just(T0),
        changed_sites=st.lists(st.sampled_from(["production", "dr"]), max_size=2),
        renamed_since=st.one_of(st.none(), name),
        job_id=st.one_of(st.none(), job_id),
        job_status=st.sampled_from([None, "SUCCESS", "FAIL"]),
        failure=st.one_of(st.none(), failure),
        renamed_to=st.one_of(st.none(), name),
        runbook=st.sampled_from([None, "running", "done", "attention"]),
        runbook_resize=st.sampled_from([None, "success", "fail", "unknown"]),
        runbook_left_stopped=st.lists(name, max_size=2),
        runbook_stopped=st.integers(0, 2),
        schedule=schedule,
    ),
    st.builds(Submitted, job_id=job_id),
    st.builds(SubmitFailed, failure=failure),
    st.builds(Renamed, name=name),
    st.builds(
        FinalReport,
        op=op_facts,
        requester=user,
        confirmer=user,
        job_id=job_id,
        job_type=st.just("resizeProtectedInstanceNew"),
        status=st.sampled_from(["SUCCESS", "FAIL"]),
        seconds=st.floats(0, 1e6),
        new_flavors=st.fixed_dictionaries({"production": flavor_id, "dr": flavor_id}),
        error_code=code,
        fail_reason=reason,
        failed_sub_jobs=sub_jobs,
    ),
    st.builds(
        StuckReport,
        requester=user,
        job_id=job_id,
        seconds=st.floats(0, 1e6),
        status=st.just("RUNNING"),
        stopped=st.booleans(),
    ),
    st.builds(Interrupted, instance_id=uuid_like, received=st.booleans()),
    st.builds(
        Announcement,
        event=st.sampled_from(list(EventKind)),
        op=op_facts,
        channel=st.just("C0DROPS001"),
        actor=user,
        job_id=job_id,
        error_code=code,
        no_answer=st.booleans(),
        out_of_date=st.booleans(),
        interrupted=st.booleans(),
        renamed_to=name,
        still=st.just("RUNNING"),
    ),
    st.builds(
        NotStarted,
        requester=user,
        window=st.just("w" * 32),
        starts_at=st.just(T0),
        ends_at=st.just(T0),
        reason=st.sampled_from(list(windows.NOT_STARTED_TEXT)),
        detail=reason,
        next_starts_at=st.one_of(st.none(), st.just(T0)),
        next_ends_at=st.just(T0),
    ),
    st.builds(
        RunbookEvent,
        event=st.sampled_from([*runbook.RUNBOOK_TEXT, "runbook-done"]),
        requester=user,
        servers=st.lists(name, max_size=2),
        detail=reason,
        code=code,
        stopped=st.integers(0, 2),
        loud=st.booleans(),
    ),
)


# the longest a resize can be: names at 64 bytes, both sites, stop-start, every warning, a window
LONGEST = ResizeFacts(
    account="a" * 32,
    region="cn-southwest-2",
    instance_id="1" * 36,
    instance_name="n" * 64,
    group_name="g" * 64,
    stop_start=True,
    hard_stop=True,
    one_flavor=False,
    changes=[
        SiteChange(
            site=site,
            server_id="2" * 36,
            server_name="s" * 64,  # type: ignore[arg-type]
            current=FlavorFacts(id="c" * 44 + ".x.2", vcpus=512, ram=4194304),
            new=FlavorFacts(id="f" * 44 + ".x.2", vcpus=512, ram=4194304),
            host="3" * 36,
            power="ACTIVE",
        )
        for site in ("production", "dr")
    ],
    warnings=[
        WarningFacts(kind=w.value, what=site) for w in Warning for site in ("production", "dr")
    ],
)
LINK = "https://sandbox.slack.com/archives/C0DROPS001/p1234567890123456?thread_ts=1.2&cid=C0D"


def _op(facts: OperationFacts, message_ts: str = "1.1") -> PendingOperation:
    return PendingOperation(
        id="a" * 32,
        kind=OpKind.RESIZE,
        intent_json="{}",
        facts_json=facts.model_dump_json(),
        request_key=None,
        requester="U0ALICE001",
        channel="C0DROPS001",
        message_ts=message_ts,
        created_at=T0,
        expires_at=T0 + timedelta(minutes=15),
        state=OpState.PENDING,
    )


def _job(facts: OperationFacts, i: int, state: JobState) -> TrackedJob:
    return TrackedJob(
        job_id=f"{i:032x}",
        op_id=None,
        kind=JobKind.RESIZE,
        subject="pi",
        channel="C0DROPS001",
        thread_ts=f"{i}.1",
        requester="U0ALICE001",
        confirmer="U0BOB00001",
        detail={"op": facts.model_dump(mode="json")},
        submitted_at=T0,
        next_check_at=T0,
        checks=0,
        errors=0,
        last_status="RUNNING",
        state=state,
        stuck_reported=False,
        finished_at=None if state is JobState.TRACKING else T0,
    )


def message_ok(text: str, blocks_out: list[dict[str, Any]] | None) -> None:
    """A message (or private reply): text at most 4,000, blocks inside every limit."""
    assert len(text) <= RECOMMENDED, len(text)
    assert block_limits.message_block_errors(blocks_out) == []


def in_each_language(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` once per language, everything it renders in that language."""

    @functools.wraps(test)
    def run(*args: Any, language: Language, **kwargs: Any) -> None:
        with speaking(language):
            test(*args, **kwargs)

    signature = inspect.signature(test)
    extra = inspect.Parameter("language", inspect.Parameter.KEYWORD_ONLY, annotation=Language)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    return pytest.mark.parametrize("language", list(Language))(run)


def _job_text(i: int) -> str:
    """How a listing names the job ``{i:032x}``, in the language spoken."""
    return _("job `{job}`").format(job=f"{i:032x}")


def every_page(render_page: Callable[[int], str]) -> list[str]:
    """Each page of a listing, in order; the page after the last says there is none."""
    shown = [render_page(1)]
    while f"page={len(shown) + 1}`" in shown[-1]:
        shown.append(render_page(len(shown) + 1))
    after = render_page(len(shown) + 1)
    assert after == no_page_text(len(shown) + 1, len(shown)) or len(shown) == 1
    return shown


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@in_each_language
@FAST
@given(op_facts, policy, link)
@example(
    facts=LONGEST,
    pol=Policy(approval_mode="two-person", approvers=frozenset(f"U{i:010d}" for i in range(200))),
    url=LINK,
)
def test_every_confirmation_fits(facts: OperationFacts, pol: Policy, url: str | None) -> None:
    text, out = render.confirmation(_op(facts), pol)
    message_ok(text, out)


@in_each_language
@FAST
@given(message, link)
def test_every_outbox_message_fits(content: Any, url: str | None) -> None:
    text, out = render.message(
        OutboxMessage(dedupe_key="k", channel="C0DROPS001", content=content), url
    )
    message_ok(text, out)


@in_each_language
@FAST
@given(st.lists(op_facts, min_size=1, max_size=3), st.integers(1, 50), st.integers(1, 6), link)
@example(facts=[LONGEST], count=50, page=1, url=LINK)
def test_history_of_50_entries_fits_and_pages(
    facts: list[OperationFacts], count: int, page: int, url: str | None
) -> None:
    entries = [
        HistoryEntry(
            op_id=f"o{i}",
            kind="resize",
            facts=facts[i % len(facts)],
            requester="U0ALICE001",
            requested_at=T0,
            state="confirmed",
            decided_by="U0BOB00001",
            outcome="stop-start: servers left stopped",
            job_id=f"{i:032x}",
            error_code="SDRS.1379",
            message_ts=f"{i}.1",
        )
        for i in range(count)
    ]
    links = {f"{i}.1": url for i in range(count)} if url else {}
    shown = every_page(lambda p: render.notice(notices.History(entries, links, page=p)))
    for text in shown:
        message_ok(text, None)
    # every entry is on exactly one page, and a page with more after it says how to see them
    for i in range(count):
        assert sum(_job_text(i) in text for text in shown) == 1
    if len(shown) > 1:  # each page but the last says how to see the next
        assert all(
            f"`/sdrs history {count} page={p + 2}`" in text for p, text in enumerate(shown[:-1])
        )


@in_each_language
@FAST
@given(
    st.lists(op_facts, min_size=1, max_size=3),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
    link,
)
@example(facts=[LONGEST], jobs=50, waiting=50, runbooks=50, url=LINK)
def test_jobs_at_the_stores_caps_fits_and_pages(
    facts: list[OperationFacts], jobs: int, waiting: int, runbooks: int, url: str | None
) -> None:
    tracked = [
        _job(facts[i % len(facts)], i, JobState.TRACKING if i % 2 else JobState.FINISHED)
        for i in range(jobs)
    ]
    scheduled = [
        (
            ScheduledOperation(
                op_id=f"{i:032x}",
                account="a" * 32,
                channel="C0DROPS001",
                window="w" * 32,
                starts_at=T0,
                ends_at=T0,
                moves_on_miss=True,
                state=ScheduleState.SCHEDULED,
                created_at=T0,
            ),
            _op(facts[i % len(facts)], f"s{i}.1"),
        )
        for i in range(waiting)
    ]
    running = [("resizing", _op(facts[i % len(facts)], f"r{i}.1")) for i in range(runbooks)]
    threads = [j.thread_ts or "" for j in tracked]
    threads += [f"s{i}.1" for i in range(waiting)] + [f"r{i}.1" for i in range(runbooks)]
    links = dict.fromkeys(threads, url) if url else {}
    total = jobs + waiting + runbooks
    shown = every_page(
        lambda p: render.notice(notices.Jobs(tracked, T0, links, scheduled, running, page=p))
    )
    for text in shown:
        message_ok(text, None)
    for i in range(jobs):
        assert sum(_job_text(i) in text for text in shown) == 1
    lines = sum(text.count("\n• ") + text.startswith("• ") for text in shown)
    assert lines == total
    if len(shown) > 1:
        assert all(f"`/sdrs jobs page={p + 2}`" in text for p, text in enumerate(shown[:-1]))


@in_each_language
@FAST
@given(name, name, st.lists(st.tuples(name, uuid_like), max_size=30), reason, code, account)
def test_every_private_reply_fits(
    value: str, other: str, candidates: list[tuple[str, str]], why: str, err: str, acct: str
) -> None:
    for reply in _private_replies(value, other, candidates, why, err, acct):
        message_ok(render.notice(reply), None)
    message_ok(
        "", errors.parse_error_blocks(ParseError(verbatim(why[:2000]), Wording(USAGE["resize"])))
    )


def _private_replies(
    value: str, other: str, candidates: list[tuple[str, str]], why: str, err: str, acct: str
) -> list[notices.Notice]:
    check = Preflight(
        False,
        Refusal.FLAVOR_NOT_ALLOWED,
        value,
        site="dr",
        subject=value,
        status=other,
        suggestions=[value, other] * 3,
    )
    replies: list[notices.Notice] = [
        notices.SameName(value),
        notices.NotPosted(err),
        notices.PreflightRefused(check),
        notices.PreflightRefused(check, at_confirm=True),
        notices.AlreadyDecided("stale", None),
        notices.UnknownJob(err or "j" * 64),
        notices.UnknownWindow("w" * 32, ("w" * 32,) * 20),
        notices.CannotSchedule(verbatim(why)),
        notices.NotCancellable("cancelled", "U0BOB00001"),
        notices.Denied(Denial.USER),
        notices.NotHandled(9),
        notices.NameUnresolved("protected instance", value, candidates, several=True),
        notices.NoAccount("ambiguous", (acct,) * 20),
        notices.NoAccount("not-here", (acct,), acct),
    ]
    replies += [
        notices.CloudFailed(FailureFacts(kind=k, code=err, message=why, hint=why))  # type: ignore[arg-type]
        for k in ("api", "unknown", "transport")
    ]
    replies += [
        notices.PreflightRefused(
            Preflight(False, r, value, site="production", subject=value, status=other)
        )
        for r in Refusal
    ]
    replies += [  # capacity refusals at their longest: zone names, statuses, big figures
        notices.PreflightRefused(
            Preflight(
                False,
                Refusal.FLAVOR_NOT_IN_ZONE,
                value,
                site="dr",
                subject=value,
                status=other,
                suggestions=[value, other, value],
                zone=value,
                zone_status=other,
            ),
            at_confirm=True,
        ),
        notices.PreflightRefused(
            Preflight(
                False,
                Refusal.QUOTA,
                value,
                subject=value,
                instance_name=value,
                shortfalls=[
                    Shortfall("cores", 10**9, 10**12, 10**12 + 1),
                    Shortfall("ram", 10**12, 10**15, 10**15 + 1),
                ],
            ),
            at_confirm=True,
        ),
    ]
    return replies


@in_each_language
def test_help_fits() -> None:
    for topic in (None, "resize", "drill"):
        message_ok("", help.help_blocks(topic))


def _site(site: str, server: str, flavors: int, status: str) -> modals.SiteInfo:
    choices = [
        Flavor(id=f"s6.size{i:03d}.{i % 8}", vcpus=i + 1, ram=(i + 1) * 1024, name="")
        for i in range(flavors)
    ]
    return modals.SiteInfo(
        site=site,
        server_name=server,
        status=status,
        flavor=Flavor(id="s6.large.2", vcpus=2, ram=4096, name=""),
        choices=choices or None,
        on_dedicated_host=True,
    )


@in_each_language
@FAST
@given(
    name,
    name,
    st.integers(0, 250),
    st.integers(0, 250),
    st.sampled_from(["ACTIVE", "SHUTOFF", "ERROR", ""]),
    st.sampled_from([None, [], ["production"], ["dr"], ["production", "dr"]]),
    st.one_of(st.none(), reason),
)
def test_every_form_fits(
    instance: str,
    server: str,
    prod_flavors: int,
    dr_flavors: int,
    status: str,
    ticked: list[str] | None,
    problem: str | None,
) -> None:
    label = modals.option(f"{instance} (protected)", "x").to_dict()["text"]["text"]
    sites = [
        _site("production", server, prod_flavors, status),
        _site("dr", server, dr_flavors, "SHUTOFF"),
    ]
    views = [
        modals.resize_view("C0DROPS001"),
        modals.resize_view("C0DROPS001", ("1" * 36, label), problem=problem),
        modals.resize_view("C0DROPS001", ("1" * 36, label), sites, ticked=ticked),
        modals.rename_view("C0DROPS001"),
        modals.rename_view("C0DROPS001", ("1" * 36, instance), instance, server),
    ]
    for view in views:
        assert block_limits.view_errors(view) == []
        assert untranslated(view) == []
    options = [modals.option(f"{instance} (error-resizing)", "1" * 36).to_dict()] * 100
    assert block_limits.options_errors(options) == []


# ---- Chinese: nothing left in English ------------------------------------------------------

# a run of three or more English words (what a sentence left untranslated shows)
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ,'-]+[A-Za-z]{2,}){2,}")


def _english_runs() -> frozenset[str]:
    """Every run of English words of every msgid that no Chinese translation keeps (commands,
    options and status values are kept: those are not counted)."""
    with (ROOT / "handlers" / "locale" / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    messages = [m for m in catalog if m.id]
    kept = "\n".join(t for m in messages for t in _strings(m.string))
    runs = {
        run
        for m in messages
        for text in _strings(m.id)
        for literal in re.split(r"\{[^{}]*\}", text)
        for run in ENGLISH_RUN.findall(literal)
    }
    return frozenset(run for run in runs if run not in kept)


def _strings(text: str | tuple[str, ...]) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


ENGLISH_RUNS = _english_runs()


def untranslated(rendered: Any) -> list[str]:
    """The English sentences (runs of a msgid) that ``rendered`` still shows, when spoken in
    Chinese (in English: nothing to check)."""
    from handlers.i18n import current

    if current() is not Language.ZH:
        return []
    text = rendered if isinstance(rendered, str) else repr(rendered)
    return sorted(run for run in ENGLISH_RUNS if run in text)


def test_the_untranslated_check_sees_english() -> None:
    assert len(ENGLISH_RUNS) > 200
    with speaking(Language.ZH):
        assert untranslated(":x: The resize failed: boom.") == ["The resize failed"]
        assert untranslated(render.notice(notices.NotHandled(3))) == []
        assert untranslated(help.help_blocks("resize")) == []
    assert "sdrs drill rename" not in ENGLISH_RUNS  # a command is kept as it is


def _both(render_it: Callable[[], Any]) -> tuple[Any, Any]:
    with speaking(Language.EN):
        english = render_it()
    with speaking(Language.ZH):
        chinese = render_it()
        assert untranslated(chinese) == [], chinese
    return english, chinese


@FAST
@given(op_facts, policy, message, link)
def test_every_message_and_confirmation_reads_in_chinese(
    facts: OperationFacts, pol: Policy, content: Any, url: str | None
) -> None:
    english, chinese = _both(lambda: render.confirmation(_op(facts), pol))
    assert chinese[0] != english[0] and chinese[1] != english[1]
    if not isinstance(content, Rendered):  # queued by an older version: sent as it was
        msg = OutboxMessage(dedupe_key="k", channel="C0DROPS001", content=content)
        english, chinese = _both(lambda: render.message(msg, url))
        assert chinese != english


@FAST
@given(name, name, st.lists(st.tuples(name, uuid_like), max_size=30), reason, code, account)
def test_every_private_reply_reads_in_chinese(
    value: str, other: str, candidates: list[tuple[str, str]], why: str, err: str, acct: str
) -> None:
    for reply in _private_replies(value, other, candidates, why, err, acct):
        english, chinese = _both(lambda reply=reply: render.notice(reply))  # type: ignore[misc]
        assert chinese != english


@pytest.mark.parametrize(
    "command",
    [
        "resze",
        "resize",
        "resize x y z",
        "resize 3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162 s6.large.2 power=x",
        "resize 3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162 s6.large.2 flavr=x",
        "resize 3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162 s6.large.2 window=a when=b",
        "resize x s6.large.2 if-missed=next when=2030-01-01T00:00Z",
        "resize 3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162 dr-host=3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162",
        "drill rename 3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162 a!b",
        "drill rename x y z",
        "drill copy",
        "history 500",
        "jobs page=0",
        "status x",
        "help me",
        "resize x account=Bad!",
    ],
)
def test_every_parse_error_reads_in_chinese(command: str) -> None:
    from bot.core.intents import parse

    def shown() -> list[dict[str, Any]]:
        try:
            parse(command)
        except ParseError as error:
            return errors.parse_error_blocks(error)
        return help.help_blocks(None)  # "resize" alone: the form (help stands in for it)

    english, chinese = _both(shown)
    assert chinese != english


def test_reasons_the_core_records_read_in_chinese() -> None:
    """A stop-resize-start's reason recorded in English by the core (an N_-marked msgid) is
    shown translated; one from the cloud is shown as it came."""
    event = RunbookEvent(
        event="left-stopped", requester="U0ALICE001", servers=["web-01"], detail="the stop failed"
    )
    english, chinese = _both(lambda: runbook.runbook_text(event))
    assert "(the stop failed)" in english and "（关机失败）" in chinese
    cloud = event.model_copy(update={"detail": "Ecs.0001 quota exceeded"})
    assert "Ecs.0001 quota exceeded" in _both(lambda: runbook.runbook_text(cloud))[1]
