"""accounts: operations, tracked jobs and audit events record the cloud account they concern

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows from before accounts existed concern the environment's account: "" (the default)
    for table in ("pending_operations", "tracked_jobs"):
        op.add_column(table, sa.Column("account", sa.String(32), nullable=False, server_default=""))
    op.add_column("audit_events", sa.Column("account", sa.String(32)))


def downgrade() -> None:
    raise NotImplementedError("forward-only: an older sdrs-bot refuses a newer schema instead")
