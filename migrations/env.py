"""Alembic environment for mailgate: runs on the connection mailgate hands it."""

from __future__ import annotations

from alembic import context

from mailgate.store.tables import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `mailgate migrate`, which passes the connection")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
