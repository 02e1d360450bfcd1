"""Alembic environment: runs the revisions on the connection :func:`bot.store.schema.migrate`
passes in ``config.attributes["connection"]`` (already inside the migrating transaction, with
the cross-replica lock held), in batch mode on SQLite so column changes work there too."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.store.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
