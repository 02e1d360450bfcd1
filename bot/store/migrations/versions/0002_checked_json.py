"""schema version 2: pending operations remember what their preflight showed

``checked_json``, compared again at Confirm.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_operations") as batch:
        batch.add_column(sa.Column("checked_json", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("forward-only: an older sdrs-bot refuses a newer schema instead")
