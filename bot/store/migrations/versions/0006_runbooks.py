"""runbooks: stop-resize-start operations, driven step by step

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runbooks",
        sa.Column("op_id", sa.String(32), primary_key=True),
        sa.Column("account", sa.String(32), nullable=False, server_default=""),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("confirmer", sa.String(32)),
        sa.Column("state_json", sa.Text, nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("deadline", sa.Float, nullable=False),
        sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("ix_runbooks_step", "runbooks", ["step"])
    op.create_index("ix_runbooks_next_at", "runbooks", ["next_at"])


def downgrade() -> None:
    raise NotImplementedError("forward-only: an older sdrs-bot refuses a newer schema instead")
