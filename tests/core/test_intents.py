"""The /sdrs parser: every form, its mistakes, and robustness on random input."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import ParseError
from bot.core.intents import (
    HelpIntent,
    Intent,
    JobsIntent,
    RenameDrillIntent,
    RenameFormIntent,
    ResizeFormIntent,
    ResizeIntent,
    Schedule,
    StatusIntent,
    command_text,
    parse,
)

PI = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
DEH = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
DEH2 = "9a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", HelpIntent()),
        ("   ", HelpIntent()),
        ("help", HelpIntent()),
        ("HELP resize", HelpIntent(topic="resize")),
        ("help drill", HelpIntent(topic="drill")),
        ("help drill rename", HelpIntent(topic="drill")),
        ("resize", ResizeFormIntent()),
        ("drill rename", RenameFormIntent()),
        (f"drill rename {PI.upper()}", RenameFormIntent(drill_id=PI)),
        (f"resize {PI} s6.large.2", ResizeIntent(instance_id=PI, flavor="s6.large.2")),
        (f"Resize {PI.upper()} s6.large.2", ResizeIntent(instance_id=PI, flavor="s6.large.2")),
        (
            f"resize {PI} production=s6.large.2 dr=s6.xlarge.2",
            ResizeIntent(instance_id=PI, production_flavor="s6.large.2", dr_flavor="s6.xlarge.2"),
        ),
        (f"resize {PI} dr=c7n.2xlarge.4", ResizeIntent(instance_id=PI, dr_flavor="c7n.2xlarge.4")),
        (
            f"resize {PI} production=s6.large.2",
            ResizeIntent(instance_id=PI, production_flavor="s6.large.2"),
        ),
        (
            f"resize {PI} --production s6.large.2 --dr=s6.xlarge.2",
            ResizeIntent(instance_id=PI, production_flavor="s6.large.2", dr_flavor="s6.xlarge.2"),
        ),
        (
            f"resize --dr s6.xlarge.2 {PI}",
            ResizeIntent(instance_id=PI, dr_flavor="s6.xlarge.2"),
        ),
        (
            f"resize {PI} production=s6.large.2 production-host={DEH}",
            ResizeIntent(instance_id=PI, production_flavor="s6.large.2", production_host=DEH),
        ),
        (
            f"resize {PI} s6.large.2 production-host={DEH} dr-host={DEH2}",
            ResizeIntent(instance_id=PI, flavor="s6.large.2", production_host=DEH, dr_host=DEH2),
        ),
        (  # the spelling, beside the older one
            f"resize {PI} s6.large.2 production_dedicated_host={DEH} dr_dedicated_host={DEH2}",
            ResizeIntent(instance_id=PI, flavor="s6.large.2", production_host=DEH, dr_host=DEH2),
        ),
        (
            f"resize {PI} dr=s6.large.2 --dr-dedicated-host {DEH2}",
            ResizeIntent(instance_id=PI, dr_flavor="s6.large.2", dr_host=DEH2),
        ),
        (
            f"resize {PI} --flavor s6.large.2",
            ResizeIntent(instance_id=PI, flavor="s6.large.2"),
        ),
        (f"drill rename {PI} erp-季度演练", RenameDrillIntent(drill_id=PI, name="erp-季度演练")),
        (
            f'drill rename {PI} "web_drill-2026.q1"',
            RenameDrillIntent(drill_id=PI, name="web_drill-2026.q1"),
        ),
        (f"drill rename {PI} “账单演练”", RenameDrillIntent(drill_id=PI, name="账单演练")),
        (
            "status 0000000062db92d70162db9d200f000a",
            StatusIntent(job_id="0000000062db92d70162db9d200f000a"),
        ),
        ("jobs", JobsIntent()),
        # a name instead of an id: looked up in SDRS before anything else
        ("resize erp-db S6.XLARGE.2", ResizeIntent(instance_name="erp-db", flavor="S6.XLARGE.2")),
        ("drill rename 账单演练 新名字", RenameDrillIntent(drill_name="账单演练", name="新名字")),
        (f"drill rename {PI} '{'演' * 21}a'", RenameDrillIntent(drill_id=PI, name="演" * 21 + "a")),
        # stop-resize-start: the bot stops running servers, resizes, starts them again
        (
            f"resize {PI} s6.large.2 power=stop-start",
            ResizeIntent(instance_id=PI, flavor="s6.large.2", power="stop-start"),
        ),
        (
            f"resize {PI} dr=s6.large.2 --power STOP-START --stop=hard",
            ResizeIntent(instance_id=PI, dr_flavor="s6.large.2", power="stop-start", stop="hard"),
        ),
        (f"resize {PI} s6.large.2 power=as-is", ResizeIntent(instance_id=PI, flavor="s6.large.2")),
    ],
)
def test_valid_forms(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment", "usage"),
    [
        ("resise x", "Did you mean `resize`?", "/sdrs resize ..."),
        ("frobnicate", "is not a command", "/sdrs help"),
        ("help me", "no help on", "/sdrs help"),
        (
            "resize not/an/id s6.large.2",
            "is neither a protected instance id",
            "<protected-instance-id>",
        ),
        (f"resize {PI}", "no flavor given", "<flavor>"),
        (f"resize {PI} large", "is not a flavor name", "<flavor>"),
        (f"resize {PI} s6.large.2 extra", "unexpected words", "<flavor>"),
        (f"resize {PI} s6.large.2 dr=s6.xlarge.2", "ambiguous", "<flavor>"),
        (f"resize {PI} s6.large.2 production=s6.xlarge.2", "ambiguous", "<flavor>"),
        (f"resize {PI} prodution=s6.large.2", "Did you mean `production`?", "<flavor>"),
        (f"resize {PI} dr=s6.large.2 dr=s6.xlarge.2", "given twice", "<flavor>"),
        (f"resize {PI} dr=", "needs a value", "<flavor>"),
        (f"resize {PI} --dr", "needs a value", "<flavor>"),
        (
            f"resize {PI} dr=s6.large.2 production-host={DEH}",
            "only used when the production",
            "DeH",
        ),
        (f"resize {PI} dr=s6.large.2 dr-host=deh-1", "not a dedicated host id", "DeH"),
        ("drill", "only drill action is `rename`", "drill rename"),
        ("drill delete x", "(got `delete`)", "drill rename"),
        ("drill rename a/b name", "is neither a drill id", "drill rename"),
        (f"drill rename {PI} two words", "cannot contain spaces", "drill rename"),
        (f"drill rename {PI} bad/name", "not allowed: '/'", "drill rename"),
        (f"drill rename {PI} {'x' * 65}", "65 bytes", "drill rename"),
        (f"drill rename {PI} {'演' * 22}", "66 bytes", "drill rename"),
        (f"drill rename {PI} 'unclosed", "quote is not closed", "/sdrs help"),
        ("x" * 2001, "limit is 2000", "/sdrs help"),
        ("status", "exactly one job id", "/sdrs status <job-id>"),
        ("status a/b", "not an SDRS job id", "/sdrs status <job-id>"),
        ("jobs all", "takes only `page=N`", "/sdrs jobs"),
        ("jobs page=0", "`page=0` is not a page", "/sdrs jobs [page=N]"),
        ("history 5 page=x", "`page=x` is not a page", "/sdrs history [n] [page=N]"),
        (
            f"resize {PI} s6.large.2 power=restart",
            "`power=stop-start` (stop the running",
            "power=stop-start",
        ),
        (
            f"resize {PI} s6.large.2 power=stop-start power=as-is",
            "`power` is given twice",
            "<flavor>",
        ),
        (f"resize {PI} s6.large.2 stop=hard", "add power=stop-start", "power=stop-start"),
        (
            f"resize {PI} s6.large.2 power=stop-start stop=now",
            "`stop=hard` (power off)",
            "<flavor>",
        ),
        (f"resize {PI} s6.large.2 powr=stop-start", "Did you mean `power`?", "<flavor>"),
    ],
)
def test_mistakes_say_what_and_show_the_form(text: str, fragment: str, usage: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert fragment in caught.value.problem
    assert usage in caught.value.usage


def test_stop_start_is_not_sent_to_sdrs() -> None:
    """power=/stop= steer the bot's runbook; the resize body SDRS gets is unchanged."""
    plain = parse(f"resize {PI} s6.large.2")
    runbook = parse(f"resize {PI} s6.large.2 power=stop-start stop=hard")
    assert isinstance(plain, ResizeIntent) and isinstance(runbook, ResizeIntent)
    assert runbook.stop_start and not plain.stop_start
    assert runbook.params().body() == plain.params().body()


def test_both_spellings_of_a_host_are_one_option() -> None:
    with pytest.raises(ParseError, match="given twice"):
        parse(f"resize {PI} s6.large.2 production-host={DEH} production_dedicated_host={DEH}")
    with pytest.raises(ParseError, match="`dr_dedicated_host` is only used when the dr site"):
        parse(f"resize {PI} production=s6.large.2 dr_dedicated_host={DEH}")


def test_resize_intent_params_and_sites() -> None:
    both = parse(f"resize {PI} s6.large.2 production-host={DEH}")
    assert isinstance(both, ResizeIntent)
    assert both.params().body() == {
        "resize": {"flavorRef": "s6.large.2", "production_dedicated_host_id": DEH}
    }
    assert both.site_flavors() == {"production": "s6.large.2", "dr": "s6.large.2"}
    dr_only = parse(f"resize {PI} dr=s6.xlarge.2")
    assert isinstance(dr_only, ResizeIntent)
    assert dr_only.site_flavors() == {"dr": "s6.xlarge.2"}
    assert dr_only.params().body() == {"resize": {"dr_flavorRef": "s6.xlarge.2"}}


_words = st.sampled_from(
    [
        "resize",
        "drill",
        "rename",
        "help",
        PI,
        DEH,
        "s6.large.2",
        "production=",
        "dr=",
        "--dr",
        "production-host=",
        "=",
        "--",
        '"',
        "'",
        "“",
        "\\",
        "演练",
        "\u00a0",
        "\n",
        "\t",
        "window=nightly",
        "when=2026-11-29T02:00+08:00",
        "when=2026-11-29T02:00",
        "if-missed=next",
        "--window",
        "if-missed=later",
    ]
)
random_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=2500),
    st.lists(st.one_of(_words, st.text(max_size=12)), max_size=12).map(" ".join),
)


@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_text)
@pytest.mark.slow
def test_random_input_never_raises_anything_but_parse_error(text: str) -> None:
    try:
        result = parse(text)
    except ParseError as exc:
        assert exc.problem and exc.usage
    else:
        assert isinstance(result, typing.get_args(Intent))


# ---- maintenance windows ---------------------------------------------------------------------


def test_resize_in_a_window_or_at_a_time() -> None:
    got = parse(f"resize {PI} s6.large.2 window=nightly if-missed=next")
    assert isinstance(got, ResizeIntent)
    assert got.schedule == Schedule(window="nightly", if_missed="next")
    got = parse(f"resize {PI} s6.large.2 --window Nightly")
    assert isinstance(got, ResizeIntent) and got.schedule == Schedule(window="nightly")
    got = parse(f"resize {PI} s6.large.2 when=2026-11-29T02:00+08:00")
    assert isinstance(got, ResizeIntent) and got.schedule is not None
    assert got.schedule.when == datetime(2026, 11, 28, 18, tzinfo=UTC)
    got = parse(f"resize {PI} s6.large.2")
    assert isinstance(got, ResizeIntent) and got.schedule is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"resize {PI} s6.large.2 when=2026-11-29T02:00", "has no UTC offset"),
        (f"resize {PI} s6.large.2 when=sunday", "is not a time"),
        (f"resize {PI} s6.large.2 window=a when=2026-11-29T02:00Z", "not both"),
        (f"resize {PI} s6.large.2 if-missed=next", "`if-missed=` needs `window=<name>`"),
        (f"resize {PI} s6.large.2 when=2026-11-29T02:00Z if-missed=next", "has no next window"),
        (f"resize {PI} s6.large.2 window=nightly if-missed=later", "write `if-missed=next`"),
        (f"resize {PI} s6.large.2 window=night!y", "is not a window name"),
        (f"resize {PI} s6.large.2 window=a window=b", "`window` is given twice"),
        (f"resize {PI} s6.large.2 windw=a", "Did you mean `window`?"),
        (f"drill rename {PI} new-name window=nightly", "are for `resize` only"),
        (f"drill rename {PI} new-name when=2026-11-29T02:00Z", "are for `resize` only"),
    ],
)
def test_schedule_mistakes_say_what_and_how(text: str, problem: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(text)
    assert problem in caught.value.problem
    assert caught.value.usage


@settings(max_examples=200, deadline=None)
@given(
    target=st.sampled_from([PI, "erp-db", "数据库-主", "a" * 64]),
    flavors=st.sampled_from(
        [
            {"flavor": "s6.xlarge.2"},
            {"production_flavor": "c7.large.4"},
            {"dr_flavor": "s6.large.2", "production_flavor": "S6.LARGE.2"},
        ]
    ),
    extra=st.sampled_from(
        [
            "",
            " power=stop-start",
            " power=stop-start stop=hard",
            " window=nightly if-missed=next",
            " when=2026-11-29T02:00:30+08:00",
        ]
    ),
    account=st.sampled_from(["", "prod-cn", "a" * 32]),
    drill_name=st.sampled_from(["web-renamed", "演练-2026.q1", "x" * 64]),
)
def test_the_command_of_a_change_reads_back_as_the_same_change(
    target: str, flavors: dict[str, str], extra: str, account: str, drill_name: str
) -> None:
    """What an "unavailable, ask again" reply quotes is the same request, typed again."""
    named = {"production_flavor": "production", "dr_flavor": "dr"}
    words = [flavors.get("flavor", "")] + [
        f"{named[k]}={v}" for k, v in flavors.items() if k in named
    ]
    text = f"resize {target} {' '.join(w for w in words if w)}{extra}"
    text += f" account={account}" if account else ""
    for asked in (parse(text), parse(f"drill rename {target} {drill_name}")):
        assert isinstance(asked, ResizeIntent | RenameDrillIntent)
        again = command_text(asked)
        assert again.startswith("/sdrs ")
        assert parse(again.removeprefix("/sdrs ")) == asked, again
