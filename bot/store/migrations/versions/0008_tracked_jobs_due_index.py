"""tracked_jobs: one index (state, next_check_at) for the claim, instead of next_check_at alone

The claim (``bot.store.jobs.JobStore.claim_jobs``) asks for the first jobs being tracked in
``next_check_at`` order. With ``next_check_at`` alone, the finished jobs (their
``next_check_at`` is the time they ended, always in the past) come first in that order and were
walked on every claim; with ``state`` alone, every tracked job was read and sorted. Either way
a claim cost grew with the number of jobs. The pair walks only due, tracked jobs, in order.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tracked_jobs_due", "tracked_jobs", ["state", "next_check_at"])
    op.drop_index("ix_tracked_jobs_next_check_at", table_name="tracked_jobs")
