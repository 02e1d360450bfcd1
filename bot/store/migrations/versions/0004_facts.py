"""schema version 4: operations and outbox messages keep facts, rendered when sent

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # what the operation changes (bot.core.facts.OperationFacts); rows from before keep only
    # their rendered ``summary`` and are shown from it
    op.add_column("pending_operations", sa.Column("facts_json", sa.Text))
    # what a message says (bot.core.facts.Message); rows from before keep ``text``/``blocks_json``
    op.add_column("outbox", sa.Column("content_json", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("forward-only: an older sdrs-bot refuses a newer schema instead")
