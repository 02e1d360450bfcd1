"""Run only by tests/test_secret_logs.py: a library-style log line that carries a secret, to
prove the log capture sees every record and the production redaction catches it."""

from __future__ import annotations

import logging

from tests.slack_helpers import BOT_TOKEN


def test_a_library_logs_a_header() -> None:
    logging.getLogger("some.library").debug(
        "sending headers {'Authorization': 'Bearer %s'}", BOT_TOKEN
    )
