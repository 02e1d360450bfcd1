"""Logging: one event per decision, structured, secrets redacted.

* JSON lines when the output is not a terminal (``LOG_FORMAT=auto``, the default), readable
  text on a terminal; ``LOG_FORMAT=json|text`` forces one.
* Decisions carry their context as ``extra`` fields - ``op_id``, ``user``, ``channel``,
  ``job_id``, ``request_id`` (SDRS's X-Request-Id) - which become JSON keys (or a ``k=v`` tail).
* :class:`RedactSecrets` replaces every configured secret (Slack tokens, signing secret, SK, IAM
  token) wherever it appears in a record - message, arguments, exception text - before any
  handler formats it. Secrets are ``SecretStr`` and never passed to a log call on purpose; this
  is the net under that rule (a library logging a header, a URL with a token, ...).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.config.settings import Settings

CONTEXT_FIELDS = ("op_id", "user", "channel", "job_id", "request_id", "kind", "outcome")
REDACTED = "[redacted]"
_MIN_SECRET = 6  # shorter values would redact ordinary words


def secrets_of(settings: Settings) -> list[str]:
    values = [
        s.get_secret_value()
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.huaweicloud_sdk_sk,
            settings.huaweicloud_sdk_auth_token,
        )
        if s is not None
    ]
    return [v for v in values if len(v) >= _MIN_SECRET]


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if isinstance(value, str):
                record.__dict__[name] = self.redact(value)
        return True


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: record.__dict__[k] for k in CONTEXT_FIELDS if record.__dict__.get(k) is not None}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_context(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exc"] = record.exc_text
        return json.dumps(event, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = _context(record)
        if not context:
            return line
        head, sep, tail = line.partition("\n")
        return head + "  " + " ".join(f"{k}={v}" for k, v in context.items()) + sep + tail


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record of the process through one redacting handler; returns it."""
    out = stream or sys.stderr
    style = settings.log_format
    if style == "auto":
        style = "text" if getattr(out, "isatty", lambda: False)() else "json"
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    return handler
