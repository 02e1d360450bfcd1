"""The official SDK's credentials file (``ProfileCredentialProvider``), read once at start-up.

Where: the ``file`` of the spec, else ``HUAWEICLOUD_SDK_CREDENTIALS_FILE``, else
``~/.huaweicloud/credentials``. Format: INI, one section per profile (the SDK reads ``[basic]``
for regional services and ``[global]`` for global ones)::

    [basic]
    ak = ...
    sk = ...
    security_token = ...      ; optional (temporary keys)
    project_id = ...          ; optional
    iam_endpoint = ...        ; optional
    idp_id = ...              ; instead of ak/sk: OIDC federation
    id_token_file = ...

As in the SDK, ``idp_id`` + ``id_token_file`` win over ``ak`` + ``sk``. Every problem is a
:class:`ConfigError` naming the file, the section and the key, never a value.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.core.errors import ConfigError

ENV_CREDENTIALS_FILE = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
DEFAULT_FILE = Path(".huaweicloud") / "credentials"
KNOWN_KEYS = frozenset(
    {
        "ak",
        "sk",
        "security_token",
        "project_id",
        "domain_id",
        "iam_endpoint",
        "idp_id",
        "id_token_file",
    }
)


@dataclass(frozen=True)
class ProfileValues:
    path: Path
    ak: str | None
    sk: SecretStr | None
    security_token: SecretStr | None
    project_id: str | None
    iam_endpoint: str | None
    idp_id: str | None
    id_token_file: Path | None


def profile_path(file: Path | None, env: Mapping[str, str]) -> Path:
    if file is not None:
        return file.expanduser()
    named = env.get(ENV_CREDENTIALS_FILE)
    if named:
        return Path(named).expanduser()
    return Path.home() / DEFAULT_FILE


def read_profile(
    file: Path | None, name: str, env: Mapping[str, str] | None = None
) -> ProfileValues:
    path = profile_path(file, os.environ if env is None else env)
    where = f"credentials file {path}"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8") as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ConfigError([f"{where} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{where} cannot be read ({type(exc).__name__})"]) from None
    except configparser.Error as exc:
        raise ConfigError([f"{where} is not a valid INI file: {_ini_problem(exc)}"]) from None
    if not parser.has_section(name):
        sections = ", ".join(f"[{s}]" for s in parser.sections()) or "none"
        raise ConfigError([f"{where} has no [{name}] section (sections: {sections})"])
    values = {k: v.strip() for k, v in parser.items(name) if v.strip()}
    problems = [
        f"{where} [{name}]: unknown key {k!r}" for k in sorted(values) if k not in KNOWN_KEYS
    ]
    ak, sk = values.get("ak"), values.get("sk")
    idp_id, id_token_file = values.get("idp_id"), values.get("id_token_file")
    if bool(idp_id) != bool(id_token_file):
        problems.append(f"{where} [{name}]: idp_id and id_token_file go together")
    elif not idp_id and (not ak or not sk):
        problems.append(f"{where} [{name}]: ak and sk (or idp_id and id_token_file) are required")
    if problems:
        raise ConfigError(problems)
    token = values.get("security_token")
    return ProfileValues(
        path=path,
        ak=ak,
        sk=SecretStr(sk) if sk else None,
        security_token=SecretStr(token) if token else None,
        project_id=values.get("project_id"),
        iam_endpoint=values.get("iam_endpoint"),
        idp_id=idp_id,
        id_token_file=Path(id_token_file).expanduser() if id_token_file else None,
    )


def _ini_problem(exc: configparser.Error) -> str:
    """Where the INI syntax broke, without echoing the line (it may hold a secret)."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: a key before any [section]"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: key {exc.option!r} repeated in [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] repeated"
    if isinstance(exc, configparser.ParsingError):
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors)
        return f"unparsable line(s) {lines}"
    return type(exc).__name__
