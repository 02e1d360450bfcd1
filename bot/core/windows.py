"""Maintenance windows: when a scheduled operation may start, and the decision at its start.
Pure: ``now`` is always passed in (timezone-aware), never read from the clock.

A window spec names the days it *starts* on, a local start and end time and a time zone::

    Sun 02:00-04:00 Asia/Shanghai      one day
    Mon-Fri 01:00-03:00 UTC            a range of days
    Sat,Sun 22:00-02:00 Europe/Berlin  a list; crossing midnight: ends the next day at 02:00
    daily 03:00-03:30 America/New_York every day

Times are wall-clock times in that zone, so a window keeps its local hours across daylight
saving changes (its length in real time may then differ by the shift). A local time that does
not exist (the hour skipped when clocks go forward) is read as the instant the clock shows it
after the jump, e.g. 02:30 on that night is 03:30 the new time; an hour that happens twice
(clocks go back) is its first occurrence.

A one-off time (``when=2026-11-29T02:00+08:00``) is a window of a configured length starting
then. :func:`decide_start` is what happens at or after a window's start: run now, or not
started (the preflight refused, the window is shorter than the estimate, or too little of it
is left: it was missed, e.g. the bot was down) and, only when the operation asked for it, moved
to the next window that fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.wording import N_, Wording, wording

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW_FORM = N_(
    "`<days> HH:MM-HH:MM <time zone>`, e.g. `Sun 02:00-04:00 Asia/Shanghai`, "
    "`Mon-Fri 01:00-03:00 UTC`, `Sat,Sun 23:00-01:00 Europe/Berlin` or `daily 03:00-04:00 UTC`"
)
WHEN_FORM = N_("an ISO 8601 time with its UTC offset, e.g. `2026-11-29T02:00+08:00`")
_TIME_RE = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
#: occurrences looked at when searching for one long enough (a year of daily windows)
SEARCH_LIMIT = 400


class WindowError(ValueError):
    """A window spec or a one-off time that cannot be used: the message says what is wrong
    and how to write it. ``wording``: that message for people (translated where it is shown,
    :func:`handlers.i18n.tr`); ``str()`` is its English, for logs and configuration errors."""

    def __init__(self, problem: Wording) -> None:
        super().__init__(problem.english())
        self.wording = problem


@dataclass(frozen=True)
class Window:
    """One occurrence: from ``start`` to ``end`` (aware, UTC)."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def latest_start(self, estimate: float) -> datetime:
        """The last moment an operation of ``estimate`` seconds can start and still finish."""
        return self.end - timedelta(seconds=estimate)


@dataclass(frozen=True)
class WindowSpec:
    days: frozenset[int]  # weekday numbers the window starts on (Monday 0)
    start: time
    end: time
    zone: str  # an IANA (zoneinfo) name

    def describe(self) -> str:
        return f"{_days_text(self.days)} {self.start:%H:%M}-{self.end:%H:%M} {self.zone}"

    def occurrence_on(self, day: date) -> Window:
        """The window starting on local ``day`` (whatever its weekday)."""
        tz = ZoneInfo(self.zone)
        end_day = day + timedelta(days=1) if self.end <= self.start else day
        return Window(_instant(day, self.start, tz), _instant(end_day, self.end, tz))

    def occurrences(self, after: datetime) -> list[Window]:
        """Occurrences in time order, from the first that has not ended by ``after``."""
        _aware(after)
        tz = ZoneInfo(self.zone)
        day = after.astimezone(tz).date() - timedelta(days=1)  # one crossing midnight into today
        found: list[Window] = []
        for _ in range(SEARCH_LIMIT + 8):
            if day.weekday() in self.days:
                window = self.occurrence_on(day)
                if window.end > after:
                    found.append(window)
                    if len(found) >= SEARCH_LIMIT:
                        break
            day += timedelta(days=1)
        return found

    def next_start(self, after: datetime) -> Window:
        """The first occurrence that starts strictly after ``after``."""
        return next(w for w in self.occurrences(after) if w.start > after)

    def first_fitting(self, now: datetime, estimate: float, *, started: bool = True) -> Window:
        """The first occurrence in which an operation of ``estimate`` seconds can still start
        and finish: the current one if enough of it is left (``started``), else a later one.
        :class:`WindowError` if no occurrence is that long."""
        for window in self.occurrences(now):
            if window.start <= now and not started:
                continue
            if window.seconds >= estimate and window.latest_start(estimate) >= now:
                return window
        raise WindowError(
            wording(
                N_(
                    "the window {spec} is shorter than the operation's estimated {duration}: "
                    "give a longer window"
                ),
                spec=self.describe(),
                duration=_duration(estimate),
            )
        )


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Wall-clock ``day at`` in ``tz`` as a UTC instant. ``fold=0``: a time repeated when the
    clocks go back is its first occurrence; a skipped time gets the offset from before the
    jump, which is the instant the clock shows that time after it (02:30 -> 03:30 new time)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _aware(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("times must be timezone-aware")


def _duration(seconds: float) -> Wording:
    minutes = round(seconds / 60)
    if minutes >= 60:
        return wording(
            N_("{hours} h {minutes} min"), hours=minutes // 60, minutes=f"{minutes % 60:02d}"
        )
    return wording(N_("{minutes} min"), minutes=minutes)


def _days_text(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "daily"
    return ",".join(DAYS[d].capitalize() for d in sorted(days))


def _parse_days(word: str) -> frozenset[int]:
    if word.lower() in ("daily", "every-day", "*"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in word.split(","):
        first, sep, last = part.partition("-")
        a = _day(first)
        b = _day(last) if sep else a
        n = a
        days.add(n)
        while n != b:  # a range may wrap: Fri-Mon is Fri, Sat, Sun, Mon
            n = (n + 1) % 7
            days.add(n)
    return frozenset(days)


_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(word: str) -> int:
    key = word.strip().lower()
    if key in DAYS:
        return DAYS.index(key)
    if key in _FULL_DAYS:
        return _FULL_DAYS.index(key)
    raise WindowError(
        wording(
            N_(
                "`{word}` is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such "
                "as `Mon-Fri`, a list such as `Sat,Sun`, or `daily`"
            ),
            word=word[:20],
        )
    )


_NOT_A_TIME = {
    "start": N_("the start time `{word}` is not HH:MM on a 24-hour clock (e.g. 02:00, 23:30)"),
    "end": N_("the end time `{word}` is not HH:MM on a 24-hour clock (e.g. 02:00, 23:30)"),
}


def _parse_time(word: str, which: str) -> time:
    match = _TIME_RE.fullmatch(word)
    if not match:
        raise WindowError(wording(_NOT_A_TIME[which], word=word[:20]))
    return time(int(match.group(1)), int(match.group(2)))


def parse_window(text: str) -> WindowSpec:
    """``Sun 02:00-04:00 Asia/Shanghai`` -> :class:`WindowSpec`; :class:`WindowError` with
    what is wrong and how to write it."""
    words = text.split()
    if len(words) != 3:
        msgid = (
            N_("a window is three words (the time zone is missing): {form}")
            if len(words) == 2
            else N_("a window is three words: {form}")
        )
        raise WindowError(wording(msgid, form=Wording(WINDOW_FORM)))
    day_word, span, zone = words
    first, sep, last = span.partition("-")
    if not sep:
        raise WindowError(
            wording(
                N_("`{span}` is not a time span: write start-end, e.g. 02:00-04:00"),
                span=span[:20],
            )
        )
    start, end = _parse_time(first, "start"), _parse_time(last, "end")
    if start == end:
        raise WindowError(Wording(N_("the window starts and ends at the same time: give its end")))
    try:
        if "/" not in zone and zone not in ("UTC", "GMT"):
            raise ZoneInfoNotFoundError(zone)
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise WindowError(
            wording(
                N_(
                    "`{zone}` is not a time zone: use an IANA name such as UTC, Asia/Shanghai "
                    "or Europe/Berlin"
                ),
                zone=zone[:40],
            )
        ) from None
    return WindowSpec(_parse_days(day_word), start, end, zone)


def parse_windows(text: str) -> dict[str, WindowSpec]:
    """``name=spec;name=spec`` (MAINTENANCE_WINDOWS) -> by name. Errors name the entry by
    position (and its name), not its value."""
    found: dict[str, WindowSpec] = {}
    for n, entry in enumerate((e for e in text.split(";") if e.strip()), start=1):
        name, sep, spec = entry.partition("=")
        name = name.strip()
        if not sep or not WINDOW_NAME_RE.fullmatch(name):
            raise WindowError(
                wording(
                    N_(
                        "entry {n}: write name=spec, the name {rule}, e.g. "
                        "nightly=Sun 02:00-04:00 Asia/Shanghai"
                    ),
                    n=n,
                    rule=Wording(WINDOW_NAME_RULE),
                )
            )
        if name in found:
            raise WindowError(
                wording(N_("entry {n}: the window {name} is defined twice"), n=n, name=name)
            )
        try:
            found[name] = parse_window(spec)
        except WindowError as exc:
            raise WindowError(
                wording(N_("entry {n} ({name}): {problem}"), n=n, name=name, problem=exc.wording)
            ) from None
    return found


WINDOW_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
WINDOW_NAME_RULE = N_("lower-case letters, digits, '-' and '_', at most 32, e.g. nightly")


def parse_when(text: str) -> datetime:
    """A one-off start: ISO 8601 with its offset (``Z`` is UTC); the time as an aware UTC
    datetime. Whether it is in the future is judged with ``now`` (:func:`one_off`)."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise WindowError(
            wording(
                N_("`{text}` is not a time: give {form}"), text=text[:40], form=Wording(WHEN_FORM)
            )
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise WindowError(
            wording(
                N_(
                    "`{text}` has no UTC offset, so it could mean several instants: add it, "
                    "e.g. `2026-11-29T02:00+08:00` (or `Z` for UTC)"
                ),
                text=text[:40],
            )
        )
    return at.astimezone(UTC)


def one_off(at: datetime, now: datetime, length_seconds: float) -> Window:
    """The window of a one-off time; :class:`WindowError` if it has passed."""
    _aware(now)
    if at <= now:
        raise WindowError(
            wording(
                N_("{at} UTC has passed: give a time in the future ({form})"),
                at=f"{at:%Y-%m-%d %H:%M}",
                form=Wording(WHEN_FORM),
            )
        )
    return Window(at, at + timedelta(seconds=length_seconds))


def one_off_too_short(window: Window, estimate: float) -> Wording:
    """Why a one-off time cannot be used: its window (ONE_OFF_WINDOW_SECONDS) is shorter than
    the operation's estimate."""
    return wording(
        N_(
            "a one-off window is {window} min (ONE_OFF_WINDOW_SECONDS), shorter than the "
            "resize's estimated {estimate} min"
        ),
        window=f"{window.seconds / 60:.0f}",
        estimate=f"{estimate / 60:.0f}",
    )


# ---- the decision at a window's start ---------------------------------------------------


class NotStartedReason(StrEnum):
    PREFLIGHT_REFUSED = "preflight-refused"  # the cloud's state refuses it now
    CHANGED = "changed"  # a server or flavor differs from what was approved
    TOO_SHORT = "too-short"  # the window is shorter than the estimated duration
    MISSED = "missed"  # too little of the window left (e.g. the bot was down)
    WINDOW_GONE = "window-gone"  # its named window is no longer configured (only when moving)


class Action(StrEnum):
    WAIT = "wait"  # not started yet: not due
    CHECK = "check"  # the timing allows it: read the cloud and decide again
    RUN = "run"
    NOT_STARTED = "not-started"


@dataclass(frozen=True)
class StartDecision:
    action: Action
    reason: NotStartedReason | None = None
    next: Window | None = None  # not started, moved to this window

    @property
    def moved(self) -> bool:
        return self.next is not None


def decide_start(
    now: datetime,
    window: Window,
    estimate: float,
    *,
    preflight_ok: bool | None = None,
    changed: bool = False,
    moves_on_miss: bool = False,
    next_window: Window | None = None,
) -> StartDecision:
    """What to do with a scheduled operation at ``now``.

    Before the start: wait. A window shorter than ``estimate`` seconds: not started. Past the
    latest start (``end - estimate``; the bot was down, or the tick came late): not started,
    missed. Otherwise the preflight decides (``preflight_ok`` None: not read yet -> check;
    ``changed``: what was approved is out of date). A not-started operation moves to
    ``next_window`` only with ``moves_on_miss`` (and a next window, which the caller has made
    sure fits the estimate and starts after ``now``)."""
    _aware(now)
    if now < window.start:
        return StartDecision(Action.WAIT)
    reason: NotStartedReason | None = None
    if window.seconds < estimate:
        reason = NotStartedReason.TOO_SHORT
    elif now > window.latest_start(estimate):
        reason = NotStartedReason.MISSED
    elif preflight_ok is None:
        return StartDecision(Action.CHECK)
    elif changed:
        reason = NotStartedReason.CHANGED
    elif not preflight_ok:
        reason = NotStartedReason.PREFLIGHT_REFUSED
    else:
        return StartDecision(Action.RUN)
    moved = next_window if moves_on_miss and next_window and next_window.start > now else None
    return StartDecision(Action.NOT_STARTED, reason, moved)
