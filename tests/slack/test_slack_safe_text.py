"""Slack-safe text: whatever users, the cloud or usage lines supply, every rendered message
(text and blocks) contains only the ``<...>`` sequences the bot means - user, channel and user
group mentions, dates, and the links to an operation's thread it builds from Slack's own
permalinks (``<https://...|thread>``). Slack reads any other ``<...>`` as a control sequence
(a link, a mention, ``<!channel>``), so a drill name or an SDRS error message must never
produce one."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
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
from bot.core.wording import verbatim
from handlers import render
from handlers.messages import errors, help, runbook
from handlers.messages.windows import NOT_STARTED_TEXT

RUNBOOK_EVENTS = [*runbook.RUNBOOK_TEXT, "runbook-done"]

MEANT = re.compile(
    r"<(@U[A-Z0-9]+|#C[A-Z0-9]+|!subteam\^S[A-Z0-9]+|!date\^\d+\^[^|<>]*\|[^<>]*"
    r"|https://[^\s<>|]+\|thread)>"
)
ANY = re.compile(r"<[^>]*>")
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

text = st.text(min_size=0, max_size=40)
nasty = st.sampled_from(["<!channel>", "<http://evil|click>", "<@U0EVIL01>", "a < b > c", "&lt;"])
anything = st.one_of(text, nasty, st.builds(lambda a, b: a + b, text, nasty))
user = st.sampled_from(["U0ALICE001", "U0BOB00001"])
# what chat.getPermalink might answer, good or not
link = st.one_of(
    st.none(),
    anything,
    st.just("https://sandbox.slack.com/archives/C0DROPS001/p1?thread_ts=1.2&cid=C0DROPS001"),
    st.builds(lambda a: "https://sandbox.slack.com/" + a, anything),
)
flavor = st.builds(FlavorFacts, id=anything, vcpus=st.integers(0, 64), ram=st.integers(0, 9999))
resize = st.builds(
    ResizeFacts,
    instance_id=anything,
    instance_name=anything,
    group_name=anything,
    changes=st.lists(
        st.builds(
            SiteChange,
            site=st.sampled_from(["production", "dr"]),
            server_id=anything,
            server_name=anything,
            current=flavor,
            new=flavor,
            host=anything,
        ),
        max_size=2,
    ),
    one_flavor=st.booleans(),
    warnings=st.lists(
        st.builds(
            WarningFacts,
            kind=st.sampled_from([w.value for w in Warning]),
            what=st.sampled_from(["production", "dr"]),
        ),
        max_size=2,
    ),
)
rename = st.builds(
    RenameFacts, drill_id=anything, current_name=anything, new_name=anything, group_name=anything
)
op_facts: st.SearchStrategy[OperationFacts] = st.one_of(resize, rename)
failure = st.builds(
    FailureFacts,
    kind=st.sampled_from(["api", "unknown", "transport"]),
    code=anything,
    message=anything,
    request_id=anything,
    hint=anything,
    method=st.sampled_from(["", "GET", "POST", "PUT"]),
    status=st.one_of(st.none(), st.sampled_from([400, 429, 500, 502, 503, 504])),
    retry_after=st.one_of(st.none(), st.floats(0, 3600)),
    unreachable=st.booleans(),
    maybe_sent=st.booleans(),
)
schedule = st.builds(
    ScheduleFacts,
    op_id=st.just("a" * 32),
    window=anything,
    spec=anything,
    starts_at=st.just(T0),
    ends_at=st.just(T0),
    moves_on_miss=st.booleans(),
    state=st.sampled_from(["scheduled", "cancelled", "not-started"]),
    by=user,
    reason=st.one_of(st.none(), anything),
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
        renamed_since=st.one_of(st.none(), anything),
        job_id=anything,
        job_status=st.one_of(st.none(), anything),
        failure=st.one_of(st.none(), failure),
        renamed_to=st.one_of(st.none(), anything),
        runbook=st.one_of(st.none(), st.sampled_from(["running", "done", "attention"])),
        runbook_resize=st.one_of(st.none(), anything),
        runbook_left_stopped=st.lists(anything, max_size=2),
    ),
    st.builds(Submitted, job_id=anything),
    st.builds(SubmitFailed, failure=failure, command=anything),
    st.builds(Renamed, name=anything),
    st.builds(
        FinalReport,
        op=op_facts,
        requester=user,
        confirmer=user,
        job_id=anything,
        job_type=anything,
        status=st.one_of(st.just("SUCCESS"), anything),
        seconds=st.floats(0, 1e5),
        new_flavors=st.dictionaries(st.sampled_from(["production", "dr"]), anything),
        error_code=anything,
        fail_reason=anything,
        failed_sub_jobs=st.lists(
            st.builds(
                SubJobFailure,
                job_id=anything,
                job_type=anything,
                error_code=anything,
                fail_reason=anything,
            ),
            max_size=2,
        ),
    ),
    st.builds(
        StuckReport,
        requester=user,
        job_id=anything,
        seconds=st.floats(0, 1e5),
        status=anything,
        stopped=st.booleans(),
    ),
    st.builds(Interrupted, instance_id=anything, received=st.booleans()),
    st.builds(
        Announcement,
        event=st.sampled_from(list(EventKind)),
        op=op_facts,
        channel=st.just("C0DROPS001"),
        actor=user,
        job_id=anything,
        error_code=anything,
        no_answer=st.booleans(),
        out_of_date=st.booleans(),
        interrupted=st.booleans(),
        renamed_to=anything,
        still=anything,
    ),
    st.builds(
        NotStarted,
        requester=user,
        window=anything,
        starts_at=st.just(T0),
        ends_at=st.just(T0),
        reason=st.one_of(st.sampled_from(list(NOT_STARTED_TEXT)), anything),
        detail=anything,
        next_starts_at=st.one_of(st.none(), st.just(T0)),
        next_ends_at=st.just(T0),
    ),
    st.builds(
        Decided,
        op=st.builds(ResizeFacts, instance_id=anything, schedule=schedule),
        requester=user,
        state=st.sampled_from(list(OpState)),
        by=user,
        at=st.just(T0),
        schedule=schedule,
    ),
    st.builds(
        RunbookEvent,
        event=st.one_of(st.sampled_from(RUNBOOK_EVENTS), anything),
        requester=user,
        servers=st.lists(anything, max_size=3),
        detail=anything,
        code=st.one_of(st.none(), anything),
        loud=st.booleans(),
        why=anything,
        stopped=st.integers(0, 3),
        unavailable=st.booleans(),
        retry_after=st.one_of(st.none(), st.floats(0, 3600)),
    ),
    st.builds(
        Decided,
        op=st.builds(ResizeFacts, instance_id=anything),
        requester=user,
        state=st.just(OpState.CONFIRMED),
        by=user,
        at=st.just(T0),
        runbook=st.sampled_from(["running", "done", "attention"]),
        runbook_resize=st.one_of(
            st.none(),
            anything,
            st.sampled_from(["success", "fail", "refused", "pending", "submitted", "unknown"]),
        ),
        runbook_left_stopped=st.lists(anything, max_size=2),
        runbook_stopped=st.integers(0, 3),
        runbook_problem=st.one_of(st.none(), anything),
    ),
)


def _op(facts: OperationFacts) -> PendingOperation:
    return PendingOperation(
        id="a" * 32,
        kind=OpKind.RESIZE,
        intent_json="{}",
        facts_json=facts.model_dump_json(),
        request_key=None,
        requester="U0ALICE001",
        channel="C0DROPS001",
        message_ts="1.1",
        created_at=T0,
        expires_at=T0 + timedelta(minutes=15),
        state=OpState.PENDING,
    )


def _job(job_id: str, status: str) -> TrackedJob:
    return TrackedJob(
        job_id=job_id,
        op_id=None,
        kind=JobKind.RESIZE,
        subject="pi",
        channel="C0DROPS001",
        thread_ts="1.1",
        requester="U0ALICE001",
        confirmer=None,
        detail={},
        submitted_at=T0,
        next_check_at=T0,
        checks=0,
        errors=0,
        last_status=status,
        state=JobState.TRACKING,
        stuck_reported=False,
        finished_at=None,
    )


def assert_only_meant(rendered: object) -> None:
    flat = rendered if isinstance(rendered, str) else json.dumps(rendered, ensure_ascii=False)
    stray = [m for m in ANY.findall(flat) if not MEANT.fullmatch(m)]
    assert stray == [], stray


@settings(max_examples=300, deadline=None)
@given(message, link)
def test_every_outbox_message_is_slack_safe(content: object, url: str | None) -> None:
    out = OutboxMessage(dedupe_key="k", channel="C0DROPS001", content=content)  # type: ignore[arg-type]
    text_out, blocks_out = render.message(out, url)
    assert_only_meant(text_out)
    assert_only_meant(blocks_out or [])


@settings(max_examples=200, deadline=None)
@given(
    op_facts,
    st.sampled_from(
        [
            Policy(),
            Policy(
                approval_mode="two-person",
                approvers=frozenset({"U0BOB00001"}),
                approver_groups=frozenset({"S0LEADS001"}),
            ),
        ]
    ),
    link,
    anything,
)
def test_confirmations_headlines_and_history_are_slack_safe(
    facts: OperationFacts, policy: Policy, url: str | None, code: str
) -> None:
    text_out, blocks_out = render.confirmation(_op(facts), policy)
    assert_only_meant(text_out)
    assert_only_meant(blocks_out or [])
    entry = HistoryEntry(
        op_id="o",
        kind="resize",
        facts=facts,
        requester="U0ALICE001",
        requested_at=T0,
        state="confirmed",
        decided_by="U0BOB00001",
        outcome="FAIL",
        job_id="j-1",
        error_code=code,
        message_ts="1.1",
    )
    assert_only_meant(render.notice(notices.History([entry], {"1.1": url} if url else {})))


@settings(max_examples=200, deadline=None)
@given(anything, anything, failure, link)
def test_private_replies_are_slack_safe(
    value: str, other: str, fail: FailureFacts, url: str | None
) -> None:
    links = {"1.1": url} if url else {}
    check = Preflight(
        False,
        Refusal.FLAVOR_NOT_ALLOWED,
        value,
        site="dr",
        subject=value,
        status=other,
        suggestions=[value, other],
    )
    for notice in (
        notices.SameName(value),
        notices.CloudFailed(fail),
        notices.NotPosted(value),
        notices.CloudFailed(fail, value, "confirm"),
        notices.CloudFailed(fail, other),
        notices.PreflightRefused(check),
        notices.PreflightRefused(check, at_confirm=True),
        notices.AlreadyDecided(value, "U0BOB00001"),
        notices.UnknownJob(value),
        notices.JobStatus(_job(value, other), T0, url),
        notices.Jobs([_job(value, other)], T0, links),
        notices.Jobs(
            [],
            T0,
            links,
            [
                (
                    ScheduledOperation(
                        op_id="a" * 32,
                        account=value,
                        channel="C0DROPS001",
                        window=value,
                        starts_at=T0,
                        ends_at=T0,
                        moves_on_miss=True,
                        state=ScheduleState.SCHEDULED,
                        created_at=T0,
                    ),
                    _op(ResizeFacts(instance_id=value)),
                )
            ],
        ),
        notices.Jobs([], T0, links, runbooks=[(value, _op(ResizeFacts(instance_id=other)))]),
        notices.RunbookJob(value, _op(ResizeFacts(instance_id=other)), value, other, T0, T0, url),
        notices.Jobs(
            [],
            T0,
            links,
            runbook_jobs=[
                notices.RunbookJob(
                    value, _op(ResizeFacts(instance_id=other)), "done", value, T0, T0
                )
            ],
        ),
        notices.UnknownWindow(value, (value, other)),
        notices.CannotSchedule(verbatim(value)),
        notices.NotCancellable(value, "U0BOB00001"),
        notices.NotCancellable("started"),
        notices.Denied(Denial.USER),
        notices.NotHandled(3),
    ):
        assert_only_meant(render.notice(notice))
    for zone_check in (
        Preflight(
            False,
            Refusal.FLAVOR_NOT_IN_ZONE,
            value,
            site="dr",
            subject=value,
            status=other,
            suggestions=[value, other],
            zone=value,
            zone_status=other,
        ),
        Preflight(
            False,
            Refusal.QUOTA,
            value,
            instance_name=value,
            shortfalls=[Shortfall("cores", 3, 10, 12), Shortfall("ram", 2048, 4096, 5000)],
        ),
    ):
        assert_only_meant(render.notice(notices.PreflightRefused(zone_check)))
    for refusal in Refusal:
        assert_only_meant(
            render.notice(
                notices.PreflightRefused(
                    Preflight(False, refusal, value, site="production", subject=value, status=other)
                )
            )
        )
    assert_only_meant(errors.parse_error_blocks(ParseError(verbatim(value), verbatim(other))))


def test_help_shows_usage_placeholders_as_text() -> None:
    for topic in (None, "resize", "drill"):
        help_blocks = help.help_blocks(topic)
        assert_only_meant(help_blocks)
    assert "&lt;protected-instance-id&gt;" in json.dumps(help.help_blocks("resize"))
