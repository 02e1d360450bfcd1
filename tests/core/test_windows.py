"""Maintenance windows (bot.core.windows): parsing, next occurrence (DST-correct), one-off
times and the decision at a window's start. Pure: ``now`` is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.windows import (
    Action,
    NotStartedReason,
    Window,
    WindowError,
    decide_start,
    one_off,
    parse_when,
    parse_window,
    parse_windows,
)

T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday
SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("spec", "days", "described"),
    [
        ("Sun 02:00-04:00 Asia/Shanghai", {6}, "Sun 02:00-04:00 Asia/Shanghai"),
        ("Mon-Fri 01:00-03:00 UTC", {0, 1, 2, 3, 4}, "Mon,Tue,Wed,Thu,Fri 01:00-03:00 UTC"),
        ("Sat,Sun 23:00-01:00 Europe/Berlin", {5, 6}, "Sat,Sun 23:00-01:00 Europe/Berlin"),
        ("daily 3:00-3:30 America/New_York", set(range(7)), "daily 03:00-03:30 America/New_York"),
        ("Fri-Mon 22:00-02:00 UTC", {4, 5, 6, 0}, "Mon,Fri,Sat,Sun 22:00-02:00 UTC"),
        ("sunday 02:00-04:00 UTC", {6}, "Sun 02:00-04:00 UTC"),
    ],
)
def test_window_specs(spec: str, days: set[int], described: str) -> None:
    parsed = parse_window(spec)
    assert parsed.days == frozenset(days)
    assert parsed.describe() == described
    assert parse_window(parsed.describe()) == parsed


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("Sun 02:00-04:00", "the time zone is missing"),
        ("Sun 02:00-04:00 Mars/Olympus", "is not a time zone"),
        ("Sun 02:00-04:00 EST5", "is not a time zone"),
        ("Sunnday 02:00-04:00 UTC", "is not a day"),
        ("Sun 2am-4am UTC", "is not HH:MM"),
        ("Sun 24:00-04:00 UTC", "is not HH:MM"),
        ("Sun 02:00 UTC", "is not a time span"),
        ("Sun 02:00-02:00 UTC", "starts and ends at the same time"),
        ("", "a window is three words"),
    ],
)
def test_bad_window_specs_say_what_is_wrong_and_how_to_write_it(spec: str, says: str) -> None:
    with pytest.raises(WindowError, match=says):
        parse_window(spec)


def test_window_list_errors_name_the_entry() -> None:
    assert set(
        parse_windows("nightly=Sun 02:00-04:00 Asia/Shanghai; weekday=Mon-Fri 01:00-03:00 UTC;")
    ) == {"nightly", "weekday"}
    with pytest.raises(WindowError, match=r"entry 2 \(weekday\): .*not a day"):
        parse_windows("nightly=Sun 02:00-04:00 UTC;weekday=Mun 01:00-03:00 UTC")
    with pytest.raises(WindowError, match="entry 1: write name=spec"):
        parse_windows("Sun 02:00-04:00 UTC")
    with pytest.raises(WindowError, match="defined twice"):
        parse_windows("a=Sun 02:00-04:00 UTC;a=Mon 02:00-04:00 UTC")


def test_next_occurrence_in_its_zone() -> None:
    nightly = parse_window("Sun 02:00-04:00 Asia/Shanghai")
    window = nightly.next_start(T0)
    assert window.start == datetime(2026, 11, 29, 2, 0, tzinfo=SH)
    assert window.end == datetime(2026, 11, 29, 4, 0, tzinfo=SH)
    # crossing midnight: starts Saturday 23:00, ends Sunday 01:00
    late = parse_window("Sat 23:00-01:00 UTC").next_start(T0)
    assert (late.start, late.end) == (
        datetime(2026, 11, 28, 23, tzinfo=UTC),
        datetime(2026, 11, 29, 1, tzinfo=UTC),
    )


def test_current_window_is_used_while_enough_of_it_is_left() -> None:
    spec = parse_window("daily 07:00-09:00 UTC")
    assert spec.first_fitting(T0, 1800).start == datetime(2026, 11, 25, 7, tzinfo=UTC)
    assert spec.first_fitting(T0, 1800, started=False).start == datetime(
        2026, 11, 26, 7, tzinfo=UTC
    )
    # 08:40: 20 min left, a 30 min operation waits for tomorrow
    assert spec.first_fitting(T0 + timedelta(minutes=40), 1800).start.day == 26
    with pytest.raises(WindowError, match="shorter than the operation's estimated 3 h 00 min"):
        spec.first_fitting(T0, 3 * 3600)


def test_daylight_saving_keeps_local_hours() -> None:
    spec = parse_window("Sun 01:00-04:00 Europe/Berlin")
    before = spec.next_start(datetime(2026, 3, 23, tzinfo=UTC))  # 29 March: clocks go forward
    assert before.start == datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    assert before.end == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # 04:00 CEST: 2 h long
    after = spec.next_start(before.start)
    assert after.start == datetime(2026, 4, 5, 1, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    autumn = spec.next_start(datetime(2026, 10, 20, tzinfo=UTC))  # 25 October: clocks go back
    assert autumn.seconds == 4 * 3600
    # a start in the skipped hour is the instant the clock shows it after the jump
    skipped = parse_window("daily 02:30-05:00 Europe/Berlin").occurrence_on(
        datetime(2026, 3, 29).date()
    )
    assert skipped.start == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(
        ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]
    ),
)
def test_next_occurrence_is_in_the_future_and_starts_on_an_allowed_day(
    now: datetime, days: frozenset[int], h1: int, m1: int, h2: int, m2: int, zone: str
) -> None:
    if (h1, m1) == (h2, m2):
        return
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    spec = parse_window(
        f"{','.join(names[d] for d in sorted(days))} {h1:02d}:{m1:02d}-{h2:02d}:{m2:02d} {zone}"
    )
    window = spec.next_start(now)
    assert window.start > now
    assert window.end >= window.start
    local = window.start.astimezone(ZoneInfo(zone))
    # the start day is an allowed day (a skipped local time may move the clock by the jump)
    assert local.weekday() in days or (local - timedelta(hours=1)).weekday() in days
    assert window.start - now <= timedelta(days=8)


def test_one_off_times() -> None:
    at = parse_when("2026-11-29T02:00+08:00")
    assert at == datetime(2026, 11, 28, 18, tzinfo=UTC)
    assert one_off(at, T0, 7200) == Window(at, at + timedelta(hours=2))
    assert parse_when("2026-11-29T02:00Z").tzinfo is not None
    with pytest.raises(WindowError, match="has no UTC offset"):
        parse_when("2026-11-29T02:00")
    with pytest.raises(WindowError, match="is not a time"):
        parse_when("next sunday")
    with pytest.raises(WindowError, match="has passed"):
        one_off(parse_when("2026-11-25T07:00Z"), T0, 7200)


W = Window(T0, T0 + timedelta(hours=2))
NEXT = Window(T0 + timedelta(days=7), T0 + timedelta(days=7, hours=2))


@pytest.mark.parametrize(
    ("now", "estimate", "kw", "action", "reason", "moved"),
    [
        (T0 - timedelta(seconds=1), 1800, {}, Action.WAIT, None, False),
        (T0, 1800, {}, Action.CHECK, None, False),
        (T0, 1800, {"preflight_ok": True}, Action.RUN, None, False),
        # the latest start: end - estimate
        (T0 + timedelta(minutes=90), 1800, {"preflight_ok": True}, Action.RUN, None, False),
        (
            T0 + timedelta(minutes=91),
            1800,
            {"preflight_ok": True},
            Action.NOT_STARTED,
            NotStartedReason.MISSED,
            False,
        ),
        # the bot was down through the window: missed, moved only if asked
        (T0 + timedelta(hours=3), 1800, {}, Action.NOT_STARTED, NotStartedReason.MISSED, False),
        (
            T0 + timedelta(hours=3),
            1800,
            {"moves_on_miss": True, "next_window": NEXT},
            Action.NOT_STARTED,
            NotStartedReason.MISSED,
            True,
        ),
        (T0, 3 * 3600, {}, Action.NOT_STARTED, NotStartedReason.TOO_SHORT, False),
        (
            T0,
            1800,
            {"preflight_ok": False},
            Action.NOT_STARTED,
            NotStartedReason.PREFLIGHT_REFUSED,
            False,
        ),
        (
            T0,
            1800,
            {"preflight_ok": False, "moves_on_miss": True, "next_window": NEXT},
            Action.NOT_STARTED,
            NotStartedReason.PREFLIGHT_REFUSED,
            True,
        ),
        (
            T0,
            1800,
            {"preflight_ok": True, "changed": True},
            Action.NOT_STARTED,
            NotStartedReason.CHANGED,
            False,
        ),
        # moving needs both the request and a next window
        (
            T0,
            1800,
            {"preflight_ok": False, "next_window": NEXT},
            Action.NOT_STARTED,
            NotStartedReason.PREFLIGHT_REFUSED,
            False,
        ),
        (
            T0,
            1800,
            {"preflight_ok": False, "moves_on_miss": True},
            Action.NOT_STARTED,
            NotStartedReason.PREFLIGHT_REFUSED,
            False,
        ),
    ],
)
def test_decision_at_window_start(
    now: datetime,
    estimate: float,
    kw: dict[str, object],
    action: Action,
    reason: NotStartedReason | None,
    moved: bool,
) -> None:
    decision = decide_start(now, W, estimate, **kw)  # type: ignore[arg-type]
    assert (decision.action, decision.reason, decision.moved) == (action, reason, moved)
    if moved:
        assert decision.next == NEXT


@settings(max_examples=200, deadline=None)
@given(st.integers(-7200, 4 * 3600), st.integers(60, 4 * 3600), st.booleans())
def test_never_runs_what_cannot_finish_in_the_window(offset: int, estimate: int, ok: bool) -> None:
    now = T0 + timedelta(seconds=offset)
    decision = decide_start(now, W, estimate, preflight_ok=ok)
    if decision.action is Action.RUN:
        assert W.start <= now and now + timedelta(seconds=estimate) <= W.end and ok
