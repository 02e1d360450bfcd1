"""Sentences the bot words in its core and stores: maintenance-window problems, what to check
when a change's answer was lost, and why a scheduled operation did not start. Each is shown in
its reader's language (Chinese here) and in English exactly as before; a row stored before
these were wordings (a plain English string) still renders, as it was stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.core import notices
from bot.core.errors import OutcomeUnknownError, ParseError
from bot.core.facts import MESSAGE, FailureFacts, NotStarted, SubmitFailed, WordingFacts
from bot.core.hints import instance_check_hint, power_hint
from bot.core.intents import ResizeIntent, parse
from bot.core.language import Language
from bot.core.preflight import decide_resize, refusal_wording
from bot.core.windows import WindowError, one_off, parse_window, parse_windows
from handlers.i18n import speaking, tr
from handlers.messages.cloud import submit_failed_text
from handlers.messages.errors import parse_problem_text
from handlers.messages.windows import cannot_schedule_text, not_started_text
from tests.core.test_preflight import CAT, PI, server, world

EN, ZH = Language.EN, Language.ZH
T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def _both(render: Callable[..., str], *args: object) -> tuple[str, str]:
    with speaking(EN):
        english = render(*args)
    with speaking(ZH):
        chinese = render(*args)
    return english, chinese


# ---- 1. window problems ----------------------------------------------------------------------


def _window_error(text: str) -> WindowError:
    with pytest.raises(WindowError) as caught:
        parse_windows(text)
    return caught.value


def test_a_window_problem_is_shown_in_chinese_and_unchanged_in_english() -> None:
    error = _window_error("nightly=Sun 02:00-04:00;weekly=Xyz 01:00-02:00 UTC")
    assert str(error) == (
        "entry 1 (nightly): a window is three words (the time zone is missing): "
        "`<days> HH:MM-HH:MM <time zone>`, e.g. `Sun 02:00-04:00 Asia/Shanghai`, "
        "`Mon-Fri 01:00-03:00 UTC`, `Sat,Sun 23:00-01:00 Europe/Berlin` or "
        "`daily 03:00-04:00 UTC`"
    )
    english, chinese = _both(cannot_schedule_text, notices.CannotSchedule(error.wording))
    assert english == (
        "This cannot be scheduled: entry 1 (nightly): a window is three words (the time zone "
        "is missing): `&lt;days&gt; HH:MM-HH:MM &lt;time zone&gt;`, e.g. `Sun 02:00-04:00 "
        "Asia/Shanghai`, `Mon-Fri 01:00-03:00 UTC`, `Sat,Sun 23:00-01:00 Europe/Berlin` or "
        "`daily 03:00-04:00 UTC`. Nothing was posted."
    )
    assert chinese.startswith("无法排期：第 1 项（nightly）：维护窗口由三个部分组成（缺少时区）：")
    assert "`&lt;星期&gt; HH:MM-HH:MM &lt;时区&gt;`" in chinese
    assert "a window is three words" not in chinese

    day = _window_error("weekly=Xyz 01:00-02:00 UTC")
    english, chinese = _both(cannot_schedule_text, notices.CannotSchedule(day.wording))
    assert "entry 1 (weekly): `Xyz` is not a day: use Mon, Tue" in english
    assert "第 1 项（weekly）：`Xyz` 不是星期几" in chinese


def test_a_window_too_short_for_the_estimate_says_its_duration_in_the_readers_language() -> None:
    spec = parse_window("Sun 02:00-03:00 UTC")
    with pytest.raises(WindowError) as caught:
        spec.first_fitting(T0, 3 * 3600)
    english, chinese = _both(cannot_schedule_text, notices.CannotSchedule(caught.value.wording))
    assert (
        "the window Sun 02:00-03:00 UTC is shorter than the operation's estimated 3 h 00 min"
        in (english)
    )
    assert "维护窗口 Sun 02:00-03:00 UTC 短于该操作的预计耗时 3 小时 00 分钟" in chinese


def test_a_passed_one_off_time_is_told_in_chinese() -> None:
    with pytest.raises(WindowError) as caught:
        one_off(T0, T0, 3600)
    english, chinese = _both(cannot_schedule_text, notices.CannotSchedule(caught.value.wording))
    assert "2026-11-29 02:00 UTC has passed: give a time in the future (an ISO 8601 time" in (
        english
    )
    assert "2026-11-29 02:00 UTC 已经过去：请给出将来的时间（带 UTC 偏移的 ISO 8601 时间" in chinese


def test_the_when_parse_error_carries_the_window_problem_translated() -> None:
    with pytest.raises(ParseError) as caught:
        parse(f"resize {PI} s6.xlarge.2 when=2026-11-29T02:00")
    english, chinese = _both(parse_problem_text, caught.value)
    assert english == (
        "`when=`: `2026-11-29T02:00` has no UTC offset, so it could mean several instants: "
        "add it, e.g. `2026-11-29T02:00+08:00` (or `Z` for UTC)"
    )
    assert "`2026-11-29T02:00` 没有 UTC 偏移" in chinese
    assert "no UTC offset" not in chinese


# ---- 2. what to check when the outcome is unknown ----------------------------------------------


def _stored(message: SubmitFailed | NotStarted) -> SubmitFailed | NotStarted:
    """Through the outbox's JSON, as a row is stored and read back."""
    back = MESSAGE.validate_json(MESSAGE.dump_json(message))
    assert isinstance(back, SubmitFailed | NotStarted)
    return back


def test_an_unknown_outcome_hint_is_stored_as_a_wording_and_shown_in_chinese() -> None:
    unknown = FailureFacts.unknown("lost", instance_check_hint("pi-1"))
    assert unknown.hint == "Check protected instance pi-1 in SDRS before asking again."
    row = _stored(SubmitFailed(failure=unknown))
    english, chinese = _both(submit_failed_text, row)
    assert english == (
        ":warning: No reliable answer from SDRS - it may or may not have acted. "
        "Check protected instance pi-1 in SDRS before asking again."
    )
    assert chinese == (
        ":warning: 没有收到 SDRS 的可靠应答，它可能已执行，也可能没有。"
        "再次申请前，请先在 SDRS 中查看保护实例 pi-1。"
    )


def test_a_lost_power_action_keeps_its_english_hint_and_stores_its_wording() -> None:
    error = OutcomeUnknownError("lost", hint=power_hint(["s-1", "s-2"], stop=True), method="POST")
    assert error.hint == (
        "Read servers s-1, s-2 in ECS before asking again: SHUTOFF (or a task_state of "
        "powering-off) means the stop was accepted."
    )
    row = _stored(SubmitFailed(failure=FailureFacts.of(error)))
    english, chinese = _both(submit_failed_text, row)
    assert english.endswith(error.hint)
    assert "再次申请前，请先在 ECS 中查看服务器 s-1, s-2：状态为 SHUTOFF" in chinese
    assert "关机请求已被接受" in chinese


def test_an_old_row_with_a_plain_hint_still_renders_in_english() -> None:
    old = (
        '{"kind": "submit-failed", "failure": {"kind": "unknown", "message": "lost", '
        '"hint": "Check drill d-1\'s name in SDRS before asking again."}}'
    )
    row = MESSAGE.validate_json(old)
    assert isinstance(row, SubmitFailed)
    english, chinese = _both(submit_failed_text, row)
    assert english.endswith(" Check drill d-1's name in SDRS before asking again.")
    assert chinese.startswith(":warning: 没有收到 SDRS 的可靠应答")
    assert chinese.endswith("Check drill d-1's name in SDRS before asking again.")


# ---- 3. why a scheduled operation did not start -----------------------------------------------


def _not_started(detail: str, **more: object) -> NotStarted:
    return NotStarted(
        requester="U0ALICE001",
        window="nightly",
        starts_at=T0,
        ends_at=T0.replace(hour=4),
        reason="preflight-refused",
        detail=detail,
        **more,  # type: ignore[arg-type]
    )


def test_a_not_started_refusal_is_shown_in_chinese_and_unchanged_in_english() -> None:
    refused = decide_resize(
        ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"),
        *world(group="failed-over"),
        CAT,
    )
    said = refusal_wording(refused)
    assert said.english() == f"{refused.refusal}: {refused.detail}"
    assert said.english() == "group-status: erp: failed-over"
    row = _stored(_not_started(said.english(), detail_wording=WordingFacts.of(said)))
    english, chinese = _both(not_started_text, row)
    assert "the preflight refused it at the window's start (group-status: erp: failed-over)." in (
        english
    )
    assert " (保护组状态：erp: failed-over)" in chinese
    assert "group-status" not in chinese


def test_a_site_in_a_not_started_refusal_is_named_in_chinese() -> None:
    running = decide_resize(
        ResizeIntent(instance_id=PI, flavor="s6.xlarge.2"),
        *world(src=server("src", status="ACTIVE")),
        CAT,
    )
    said = refusal_wording(running)
    assert said.english() == "server-running: production: ecs-src ACTIVE"
    with speaking(ZH):
        assert tr(said) == "服务器未关机：生产站点：ecs-src ACTIVE"


def test_an_old_not_started_row_with_a_plain_detail_still_renders() -> None:
    old = _not_started("group-status: erp: failed-over").model_dump(mode="json")
    del old["detail_wording"]
    row = MESSAGE.validate_python(old)
    assert isinstance(row, NotStarted)
    english, chinese = _both(not_started_text, row)
    assert "(group-status: erp: failed-over). Nothing was sent to SDRS." in english
    assert " (group-status: erp: failed-over)" in chinese and "未向 SDRS 发送任何请求" in chinese
