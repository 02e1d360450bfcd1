"""``/sdrs`` text -> an intent. Pure: plain strings in, pydantic models or :class:`ParseError` out.

Forms::

    help | help resize | help drill
    status <job-id> | jobs [page=N]                            tracked jobs
    history [n] [page=N]                                       the channel's latest operations
    resize                                                     the resize form (a modal)
    resize <protected-instance-id> <flavor>                    both sites (flavorRef)
    resize <id> production=<flavor> [dr=<flavor>]              per site; either alone
    resize <id> --production <flavor> --dr=<flavor>            the same as flags
    resize <id> ... production_dedicated_host=<DeH id> dr_dedicated_host=<DeH id>
                                                               the dedicated host per site
                                                               (default: its current one;
                                                               also production-host=/dr-host=)
    resize <id> ... power=stop-start [stop=soft|hard]          stop the running servers,
                                                               resize, start them again
    drill rename <drill-id> <new name>                         quotes allowed ("..." or “...”)
    drill rename [<drill-id>]                                  the rename form (a modal)

    resize ... window=<name> [if-missed=next]                 approve now, run in that
                                                               maintenance window
    resize ... when=<ISO 8601 time with offset>                approve now, run then
    resize ... account=<name>  /  drill rename ... --account <name>
                                                               act on that account (one of
                                                               those bound to the channel)

:func:`parse` raises only :class:`ParseError`, whatever the input; its ``problem`` says what was
wrong and ``usage`` shows the right form.
"""

from __future__ import annotations

import difflib
import re
import shlex
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bot.core.errors import ParseError
from bot.core.language import Language, parse_language
from bot.core.rules import DRILL_NAME_RULE, drill_name_wording
from bot.core.windows import WINDOW_NAME_RE, WINDOW_NAME_RULE, WindowError, parse_when
from bot.core.wire.sdrs import ResizeParams
from bot.core.wording import N_, Value, Wording, verbatim, wording

MAX_INPUT_CHARS = 2000
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# ECS flavor names: series.size.ratio, e.g. s6.large.2, c7n.2xlarge.4, ai1s.large.4
FLAVOR_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9-]+){1,3}")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"'})

Topic = Literal["resize", "drill"]

# msgids: each translated where it is shown (handlers.i18n.tr)
USAGE: dict[str, str] = {
    "resize": N_(
        "/sdrs resize <protected-instance-id> <flavor>\n"
        "/sdrs resize <protected-instance-id> production=<flavor> dr=<flavor>\n"
        "/sdrs resize <protected-instance-id> production=<flavor> "
        "production_dedicated_host=<DeH id>\n"
        "/sdrs resize <protected-instance-id> <flavor> power=stop-start [stop=hard]\n"
        "/sdrs resize <protected-instance-id> <flavor> window=<name> [if-missed=next]\n"
        "/sdrs resize <protected-instance-id> <flavor> when=2026-11-29T02:00+08:00"
    ),
    "drill": N_("/sdrs drill rename <drill-id> <new name>"),
    "general": N_(
        "/sdrs resize ... | /sdrs drill rename ... | /sdrs status <job-id> | "
        "/sdrs jobs [page=N] | /sdrs history [n] [page=N] | /sdrs help [resize|drill]"
    ),
    "status": N_(
        "/sdrs status <job-id>   (or /sdrs jobs [page=N] for every job tracked in this channel)"
    ),
    "history": N_(
        "/sdrs history [n] [page=N]   (the latest n operations in this channel; n up to 50; "
        "a long list comes in pages)"
    ),
}


PowerMode = Literal["as-is", "stop-start"]
StopType = Literal["soft", "hard"]
# option name -> the words it takes and what each means (for the error that lists them)
_RESIZE_CHOICES: dict[str, dict[str, str]] = {
    "power": {
        "stop-start": N_("stop the running servers, resize, start them again"),
        "as-is": N_("resize only servers already stopped (the default)"),
    },
    "stop": {"soft": N_("shut down (the default)"), "hard": N_("power off")},
}


class _Intent(BaseModel):
    model_config = ConfigDict(frozen=True)


ACCOUNT_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
ACCOUNT_RULE = N_("lower-case letters, digits, '-' and '_', at most 32, e.g. prod-cn-north-4")


class _OnAccount(_Intent):
    account: str = ""  # as asked for (account=NAME); "" until the channel's account is chosen


class HelpIntent(_Intent):
    kind: Literal["help"] = "help"
    topic: Topic | None = None


class Schedule(_Intent):
    """When a resize runs: in a named maintenance window (``window=NAME``) or in a one-off
    window from ``when=`` on; ``if_missed`` ``next``: an operation that cannot start in its
    window moves to the next one (default ``report``: not started, reported)."""

    window: str | None = None
    when: datetime | None = None  # aware (UTC)
    if_missed: Literal["report", "next"] = "report"


class ResizeIntent(_OnAccount):
    kind: Literal["resize"] = "resize"
    instance_id: str = ""  # "" until a typed name is resolved to its id
    instance_name: str | None = None  # as typed, when the command named it instead
    flavor: str | None = None  # both sites (flavorRef)
    production_flavor: str | None = None
    dr_flavor: str | None = None
    production_host: str | None = None
    dr_host: str | None = None
    schedule: Schedule | None = None  # None: runs when confirmed
    # stop-start: the bot stops the resized sites' running servers, resizes, starts them again
    power: PowerMode = "as-is"
    stop: StopType = "soft"  # how a stop-start stops them (ECS os-stop type SOFT / HARD)

    @property
    def stop_start(self) -> bool:
        return self.power == "stop-start"

    def params(self) -> ResizeParams:
        return ResizeParams(
            flavorRef=self.flavor,
            production_flavorRef=self.production_flavor,
            dr_flavorRef=self.dr_flavor,
            production_dedicated_host_id=self.production_host,
            dr_dedicated_host_id=self.dr_host,
        )

    def site_flavors(self) -> dict[str, str]:
        """Which site gets which flavor: {'production': ..., 'dr': ...} (only resized sites)."""
        prod = self.flavor or self.production_flavor
        dr = self.flavor or self.dr_flavor
        return {site: f for site, f in (("production", prod), ("dr", dr)) if f}


class ResizeFormIntent(_OnAccount):
    """``resize`` with nothing after it: open the resize form."""

    kind: Literal["resize_form"] = "resize_form"


class RenameFormIntent(_OnAccount):
    """``drill rename`` without a name: open the rename form (for this drill, if given)."""

    kind: Literal["rename_form"] = "rename_form"
    drill_id: str | None = None


class StatusIntent(_Intent):
    kind: Literal["status"] = "status"
    job_id: str


class JobsIntent(_Intent):
    kind: Literal["jobs"] = "jobs"
    page: int = 1  # a long listing comes in pages, each within Slack's 4,000 characters


class HistoryIntent(_Intent):
    kind: Literal["history"] = "history"
    limit: int = 10
    page: int = 1


HISTORY_MAX = 50
PAGE_MAX = 99


class LanguageIntent(_Intent):
    """``/sdrs lang zh|en`` (the person's own language), ``/sdrs lang auto`` (their Slack
    locale's again), ``/sdrs lang`` (which one, and why)."""

    kind: Literal["lang"] = "lang"
    language: Language | None = None
    auto: bool = False


LANG_USAGE = "/sdrs lang zh | /sdrs lang en | /sdrs lang auto | /sdrs lang"


class RenameDrillIntent(_OnAccount):
    kind: Literal["rename_drill"] = "rename_drill"
    drill_id: str = ""  # "" until a typed drill name is resolved to its id
    name: str
    drill_name: str | None = None  # the drill's current name as typed, when named so


Intent = Annotated[
    HelpIntent
    | ResizeIntent
    | RenameDrillIntent
    | StatusIntent
    | JobsIntent
    | HistoryIntent
    | ResizeFormIntent
    | RenameFormIntent
    | LanguageIntent,
    Field(discriminator="kind"),
]
INTENT: TypeAdapter[Intent] = TypeAdapter(Intent)  # reads a stored intent back, by its kind
# the intents that change something (a confirmation first)
MutatingIntent = ResizeIntent | RenameDrillIntent
_JOB_ID_RE = re.compile(r"[A-Za-z0-9-]{8,64}")

# option name -> ResizeIntent field; "--x y", "--x=y" and "x=y" are all accepted
_RESIZE_OPTIONS = {
    "flavor": "flavor",
    "production": "production_flavor",
    "prod": "production_flavor",
    "dr": "dr_flavor",
    "production-host": "production_host",
    "prod-host": "production_host",
    "dr-host": "dr_host",
    # the and the API's spelling (the body's production_dedicated_host_id)
    "production_dedicated_host": "production_host",
    "production-dedicated-host": "production_host",
    "dr_dedicated_host": "dr_host",
    "dr-dedicated-host": "dr_host",
}
_COMMANDS = ("resize", "drill", "help", "status", "jobs", "history", "lang")


UUID_EXAMPLE = "3f1c5e6a-8b0d-4a7e-9c2f-1d2e3f405162"
_PLAIN_WORD = re.compile(r"[^\s'\"“”„‘’「」]+")  # read back as typed, without quotes


def command_text(intent: MutatingIntent) -> str:
    """The ``/sdrs`` command that asks for this change again (``parse`` reads it back as the
    same intent): the instance or drill as typed (its name) or its id."""
    if isinstance(intent, RenameDrillIntent):
        words = ["drill", "rename", intent.drill_name or intent.drill_id, intent.name]
    else:
        words = ["resize", intent.instance_name or intent.instance_id]
        options = {
            "production": intent.production_flavor,
            "dr": intent.dr_flavor,
            "production_dedicated_host": intent.production_host,
            "dr_dedicated_host": intent.dr_host,
        }
        words += [intent.flavor] if intent.flavor else []
        words += [f"{name}={value}" for name, value in options.items() if value]
        if intent.stop_start:
            words += ["power=stop-start"] + (["stop=hard"] if intent.stop == "hard" else [])
        if intent.schedule is not None:
            s = intent.schedule
            words += [f"window={s.window}"] if s.window else []
            words += [f"when={s.when.isoformat()}"] if s.when else []
            words += ["if-missed=next"] if s.if_missed == "next" else []
    words += [f"account={intent.account}"] if intent.account else []
    return "/sdrs " + " ".join(w if _PLAIN_WORD.fullmatch(w) else shlex.quote(w) for w in words)


def _fail(msgid: str, usage: str, /, **values: Value) -> ParseError:
    """``msgid``: N_-marked, its ``{name}`` placeholders filled from ``values``; ``usage``:
    the :data:`USAGE` to show."""
    return ParseError(wording(msgid, **values), Wording(USAGE[usage]))


def _tokens(text: str) -> list[str]:
    if len(text) > MAX_INPUT_CHARS:
        raise _fail(
            N_("the command is {length} characters long; the limit is 2000"),
            "general",
            length=len(text),
        )
    try:
        return shlex.split(text.translate(_QUOTES).replace("\u00a0", " "), posix=True)
    except ValueError:
        raise _fail(N_("a quote is not closed"), "general") from None


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> Wording:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.6)
    return wording(N_(" Did you mean `{word}`?"), word=close[0]) if close else Wording("")


def _shown(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _take_account(rest: list[str]) -> tuple[list[str], str]:
    """Remove ``account=NAME`` / ``--account NAME`` / ``--account=NAME`` from the words."""
    kept: list[str] = []
    account = ""
    i = 0
    while i < len(rest):
        word = rest[i]
        name, sep, value = word.lstrip("-").partition("=")
        is_option = name.lower() == "account" and (sep or word.startswith("--"))
        if not is_option:
            kept.append(word)
            i += 1
            continue
        if not sep:
            if i + 1 >= len(rest):
                raise _fail(N_("`--account` needs an account name"), "general")
            value = rest[i + 1]
            i += 1
        if account:
            raise _fail(N_("`account` is given twice"), "general")
        if not ACCOUNT_NAME_RE.fullmatch(value):
            raise _fail(
                N_("`{value}` is not an account name ({rule})"),
                "general",
                value=_shown(value),
                rule=Wording(ACCOUNT_RULE),
            )
        account = value
        i += 1
    return kept, account


def parse(text: str) -> Intent:
    tokens = _tokens(text)
    if not tokens:
        return HelpIntent()
    command, rest = tokens[0].lower(), tokens[1:]
    rest, account = _take_account(rest)
    if account:
        if command not in ("resize", "drill"):
            raise _fail(
                N_("`account=` is for `resize` and `drill rename`, not `{command}`"),
                "general",
                command=_shown(command),
            )
        return _on_account(command, rest, account)
    if command == "help":
        return _parse_help(rest)
    if command == "resize":
        return _parse_resize(rest)
    if command == "drill":
        return _parse_drill(rest)
    if command == "jobs":
        rest, page = _take_page(rest, "status")
        if rest:
            raise _fail(N_("`jobs` takes only `page=N`"), "status")
        return JobsIntent(page=page)
    if command == "history":
        return _parse_history(rest)
    if command in ("lang", "language"):
        return _parse_language(rest)
    if command == "status":
        if len(rest) != 1:
            raise _fail(N_("give exactly one job id"), "status")
        if not _JOB_ID_RE.fullmatch(rest[0]):
            raise _fail(N_("`{value}` is not an SDRS job id"), "status", value=_shown(rest[0]))
        return StatusIntent(job_id=rest[0])
    raise _fail(
        N_("`{word}` is not a command.{hint}"),
        "general",
        word=_shown(tokens[0]),
        hint=_suggest(command, _COMMANDS),
    )


def _parse_language(rest: list[str]) -> LanguageIntent:
    if not rest:
        return LanguageIntent()
    if len(rest) == 1 and rest[0].lower() == "auto":
        return LanguageIntent(auto=True)
    language = parse_language(rest[0]) if len(rest) == 1 else None
    if language is None:
        raise ParseError(
            wording(
                N_("`{value}` is not a language: zh (中文), en or auto"),
                value=_shown(" ".join(rest)),
            ),
            verbatim(LANG_USAGE),
        )
    return LanguageIntent(language=language)


def _on_account(command: str, rest: list[str], account: str) -> Intent:
    intent = _parse_resize(rest) if command == "resize" else _parse_drill(rest)
    return intent.model_copy(update={"account": account})


def _take_page(rest: list[str], topic: str) -> tuple[list[str], int]:
    """Remove ``page=N`` (1 to PAGE_MAX) from the words; (the others, the page)."""
    pages = [w for w in rest if w.lower().startswith("page=")]
    if not pages:
        return rest, 1
    value = pages[-1].split("=", 1)[1]
    if len(pages) > 1 or not re.fullmatch(r"[0-9]{1,2}", value) or not 0 < int(value):
        problem = N_("`{value}` is not a page: give `page=` a number from 1 to 99")
        raise _fail(problem, topic, value=_shown(pages[-1]))
    return [w for w in rest if w not in pages], int(value)


def _parse_history(rest: list[str]) -> HistoryIntent:
    rest, page = _take_page(rest, "history")
    if not rest:
        return HistoryIntent(page=page)
    if (
        len(rest) > 1
        or not re.fullmatch(r"[0-9]{1,3}", rest[0])
        or not 0 < int(rest[0]) <= HISTORY_MAX
    ):
        raise _fail(
            N_("`{value}` is not a count: give a number from 1 to {most}"),
            "history",
            value=_shown(" ".join(rest)),
            most=HISTORY_MAX,
        )
    return HistoryIntent(limit=int(rest[0]), page=page)


def _parse_help(rest: list[str]) -> HelpIntent:
    if not rest:
        return HelpIntent()
    topic = rest[0].lower()
    if topic == "resize" and len(rest) == 1:
        return HelpIntent(topic="resize")
    if topic == "drill" and len(rest) <= 2:
        return HelpIntent(topic="drill")
    raise _fail(
        N_("there is no help on `{topic}`; try `help resize`"),
        "general",
        topic=_shown(" ".join(rest)),
    )


def _check_uuid(value: str, what: str, topic: str) -> str:
    """``what``: an N_-marked msgid naming the id ("drill id")."""
    if not UUID_RE.fullmatch(value):
        raise _fail(
            N_("`{value}` is not a {what}: it should be a UUID such as `{example}`"),
            topic,
            value=_shown(value),
            what=Wording(what),
            example=UUID_EXAMPLE,
        )
    return value.lower()


def _id_or_name(value: str, field: str, what: str, topic: str) -> dict[str, str]:
    """A UUID is the id; anything else that could be a name is looked up by name later."""
    if UUID_RE.fullmatch(value):
        return {f"{field}_id": value.lower()}
    if drill_name_wording(value) is None:  # SDRS names: the same characters and length
        return {f"{field}_name": value}
    problem = (
        N_(
            "`{value}` is neither a protected instance id (a UUID such as `{example}`) nor a "
            "protected instance name"
        )
        if what == "protected instance"
        else N_("`{value}` is neither a drill id (a UUID such as `{example}`) nor a drill name")
    )
    raise _fail(problem, topic, value=_shown(value), example=UUID_EXAMPLE)


def _check_flavor(value: str) -> str:
    if not FLAVOR_RE.fullmatch(value) or len(value) > 64:
        raise _fail(
            N_(
                "`{value}` is not a flavor name: flavors look like `s6.large.2` "
                "(series.size.memory-ratio)"
            ),
            "resize",
            value=_shown(value),
        )
    return value


def _split_options(args: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Separate positional words from options (``--x y``, ``--x=y``, ``x=y``)."""
    positional: list[str] = []
    options: list[tuple[str, str]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") or ("=" in arg and not arg.startswith("=")):
            name, sep, value = arg.lstrip("-").partition("=")
            if not sep:
                if i + 1 >= len(args):
                    raise _fail(N_("`{option}` needs a value"), "resize", option=_shown(arg))
                value = args[i + 1]
                i += 1
            options.append((name.lower(), value))
        else:
            positional.append(arg)
        i += 1
    return positional, options


def _parse_resize(args: list[str]) -> ResizeIntent | ResizeFormIntent:
    if not args:
        return ResizeFormIntent()
    positional, options = _split_options(args)
    if not positional:
        raise _fail(N_("the protected instance id is missing"), "resize")
    fields: dict[str, str] = _id_or_name(positional[0], "instance", "protected instance", "resize")
    if len(positional) == 2:
        fields["flavor"] = _check_flavor(positional[1])
    elif len(positional) > 2:
        extra = " ".join(positional[2:])
        raise _fail(
            N_("unexpected words after the flavor: `{words}`"), "resize", words=_shown(extra)
        )
    choices: dict[str, str] = {}
    schedule_options = [(n, v) for n, v in options if n in _SCHEDULE_OPTIONS]
    for name, value in options:
        if name in _SCHEDULE_OPTIONS:
            continue
        if name in _RESIZE_CHOICES:
            choices[name] = _check_choice(name, value, choices)
            continue
        field = _RESIZE_OPTIONS.get(name)
        if field is None:
            hint = _suggest(name, [*_RESIZE_OPTIONS, *_RESIZE_CHOICES, *_SCHEDULE_OPTIONS])
            raise _fail(
                N_("`{option}` is not a resize option.{hint}"),
                "resize",
                option=_shown(name),
                hint=hint,
            )
        if field in fields:
            raise _fail(N_("`{option}` is given twice"), "resize", option=name)
        if not value:
            raise _fail(N_("`{option}=` needs a value"), "resize", option=name)
        is_host = field.endswith("_host")
        fields[field] = (
            _check_uuid(value, N_("dedicated host id"), "resize")
            if is_host
            else _check_flavor(value)
        )
    flavor = fields.get("flavor")
    schedule = _schedule(schedule_options)
    per_site = [f for f in ("production_flavor", "dr_flavor") if f in fields]
    if flavor and per_site:
        raise _fail(
            N_(
                "a flavor for both sites and a per-site flavor together are ambiguous (SDRS "
                "would silently ignore the per-site one): give either one flavor, or "
                "production=/dr="
            ),
            "resize",
        )
    if not flavor and not per_site:
        raise _fail(
            N_("no flavor given: add a flavor, or production=<flavor> / dr=<flavor>"), "resize"
        )
    for site in ("production", "dr"):
        if f"{site}_host" in fields and not (flavor or f"{site}_flavor" in fields):
            raise _fail(
                N_(
                    "`production_dedicated_host` is only used when the production site is "
                    "resized: add production=<flavor>"
                )
                if site == "production"
                else N_(
                    "`dr_dedicated_host` is only used when the dr site is resized: add dr=<flavor>"
                ),
                "resize",
            )
    if "stop" in choices and choices.get("power") != "stop-start":
        raise _fail(
            N_("`stop=` says how power=stop-start stops the servers: add power=stop-start"),
            "resize",
        )
    return ResizeIntent(**fields, **choices, schedule=schedule)


def _check_choice(name: str, value: str, seen: dict[str, str]) -> str:
    if name in seen:
        raise _fail(N_("`{option}` is given twice"), "resize", option=name)
    allowed = _RESIZE_CHOICES[name]
    word = value.lower()
    if word not in allowed:
        first, second = (
            wording(N_("`{option}={word}` ({meaning})"), option=name, word=w, meaning=Wording(m))
            for w, m in allowed.items()
        )
        raise _fail(
            N_("`{option}=` takes {first}; {second}, not `{value}`"),
            "resize",
            option=name,
            first=first,
            second=second,
            value=_shown(value),
        )
    return word


_SCHEDULE_OPTIONS = ("window", "when", "if-missed")


def _schedule(options: list[tuple[str, str]]) -> Schedule | None:
    """``window=NAME`` | ``when=ISO`` [+ ``if-missed=next``] -> a :class:`Schedule`."""
    given: dict[str, str] = {}
    for name, value in options:
        if name in given:
            raise _fail(N_("`{option}` is given twice"), "resize", option=name)
        if not value:
            raise _fail(N_("`{option}=` needs a value"), "resize", option=name)
        given[name] = value
    if not given:
        return None
    if "window" in given and "when" in given:
        raise _fail(
            N_(
                "give either `window=<name>` (a configured maintenance window) or "
                "`when=<time>` (a one-off time), not both"
            ),
            "resize",
        )
    missed = given.get("if-missed", "report").lower()
    if missed not in ("report", "next"):
        raise _fail(
            N_(
                "`if-missed={value}`: write `if-missed=next` (move to the next window) "
                "or leave it out (not started and reported)"
            ),
            "resize",
            value=_shown(missed),
        )
    if "window" in given:
        window = given["window"].lower()
        if not WINDOW_NAME_RE.fullmatch(window):
            raise _fail(
                N_("`{value}` is not a window name ({rule})"),
                "resize",
                value=_shown(window),
                rule=Wording(WINDOW_NAME_RULE),
            )
        return Schedule(window=window, if_missed="next" if missed == "next" else "report")
    if "when" not in given:
        raise _fail(
            N_(
                "`if-missed=` needs `window=<name>`: it says what happens when the operation "
                "cannot start in its window"
            ),
            "resize",
        )
    if missed == "next":
        raise _fail(
            N_("`if-missed=next` needs `window=<name>`: a one-off `when=` time has no next window"),
            "resize",
        )
    try:
        at = parse_when(given["when"])
    except WindowError as exc:
        raise _fail(N_("`when=`: {problem}"), "resize", problem=exc.wording) from None
    return Schedule(when=at)


def _parse_drill(args: list[str]) -> RenameDrillIntent | RenameFormIntent:
    if not args or args[0].lower() != "rename":
        if args:
            raise _fail(
                N_("the only drill action is `rename` (got `{word}`)"),
                "drill",
                word=_shown(args[0]),
            )
        raise _fail(N_("the only drill action is `rename`"), "drill")
    if len(args) < 2:
        return RenameFormIntent()
    if len(args) < 3:
        return RenameFormIntent(drill_id=_check_uuid(args[1], N_("drill id"), "drill"))
    scheduled = [a for a in args[1:] if a.lstrip("-").lower().startswith(_SCHEDULE_OPTIONS)]
    if scheduled:
        raise _fail(
            N_(
                "`{option}`: maintenance windows (`window=`, `when=`, `if-missed=`) are for "
                "`resize` only; a drill rename runs when it is confirmed"
            ),
            "drill",
            option=_shown(scheduled[0]),
        )
    drill = _id_or_name(args[1], "drill", "drill", "drill")
    if len(args) > 3:
        raise _fail(
            N_("drill names cannot contain spaces; use `-`, `_` or `.` instead (allowed: {rule})"),
            "drill",
            rule=Wording(DRILL_NAME_RULE),
        )
    name = args[2]
    problem = drill_name_wording(name)
    if problem:
        raise _fail(
            N_("{problem}. A drill name has {rule}"),
            "drill",
            problem=problem,
            rule=Wording(DRILL_NAME_RULE),
        )
    return RenameDrillIntent(name=name, **drill)
