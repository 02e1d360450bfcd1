"""schema version 1: pending operations, tracked jobs, outbox, pacing, audit

The first release's tables, with the pre-Alembic ``schema_version`` table.

Written out column by column as version 1 created them (never from today's metadata), so this
revision stays what it was when later revisions change the tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schema_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "pending_operations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("intent_json", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("request_key", sa.String(255)),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_ts", sa.String(32)),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(32)),
        sa.Column("decided_at", sa.Float),
        sa.Column("exec_state", sa.String(16)),
        sa.Column("exec_owner", sa.String(64)),
        sa.Column("exec_until", sa.Float),
        sa.UniqueConstraint("request_key"),
    )
    op.create_index("ix_pending_operations_state", "pending_operations", ["state"])
    op.create_index("ix_pending_operations_exec_until", "pending_operations", ["exec_until"])
    op.create_table(
        "tracked_jobs",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("op_id", sa.String(32)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("requester", sa.String(32), nullable=False),
        sa.Column("confirmer", sa.String(32)),
        sa.Column("detail_json", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.Float, nullable=False),
        sa.Column("next_check_at", sa.Float, nullable=False),
        sa.Column("checks", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("last_status", sa.String(16)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stuck_reported", sa.Boolean, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("finished_at", sa.Float),
    )
    op.create_index("ix_tracked_jobs_next_check_at", "tracked_jobs", ["next_check_at"])
    op.create_index("ix_tracked_jobs_state", "tracked_jobs", ["state"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(255), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32)),
        sa.Column("ts", sa.String(32)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("blocks_json", sa.Text),
        sa.Column("reply_broadcast", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("uncertain", sa.Boolean, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_until", sa.Float),
        sa.Column("sent_ts", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])
    op.create_table(
        "channel_pacing",
        sa.Column("channel", sa.String(32), primary_key=True),
        sa.Column("next_at", sa.Float, nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("op_id", sa.String(32)),
        sa.Column("job_id", sa.String(64)),
        sa.Column("actor", sa.String(32)),
        sa.Column("channel", sa.String(32)),
        sa.Column("detail_json", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_op_id", "audit_events", ["op_id"])
    op.create_index("ix_audit_events_channel", "audit_events", ["channel"])


def downgrade() -> None:
    raise NotImplementedError("forward-only: an older sdrs-bot refuses a newer schema instead")
