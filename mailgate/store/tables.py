"""The database schema: SQLAlchemy tables with `Mapped[...]` columns.

One schema for SQLite and PostgreSQL. Instants are stored as UTC and come
back aware (`UTCDateTime`), whatever the dialect does with time zones.
Alembic's migrations in `migrations/versions` are the source of truth for
existing databases; this module must match their newest head.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Integer primary keys: SQLite only auto-increments INTEGER, PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC instant, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: pass an aware instant")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class InboxRow(Base):
    """One accepted message, raw bytes and all: committed before the sender hears yes."""

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str | None] = mapped_column(String(512), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    mail_from: Mapped[str | None] = mapped_column(String(512))
    rcpt_to: Mapped[list[str]]
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(Id)

    __table_args__ = (Index("ix_inbox_state_id", "state", "id"),)


class TicketRow(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(String(512))
    requester_name: Mapped[str | None] = mapped_column(String(512))
    assignee: Mapped[str | None] = mapped_column(String(512))
    tier: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_due: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolution_due: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_tickets_status", "status"),)


class ParticipantRow(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("tickets.id"))
    address: Mapped[str] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(512))
    role: Mapped[str] = mapped_column(String(16))
    added_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("ticket_id", "address", name="uq_participants_ticket_address"),
        Index("ix_participants_address", "address"),
    )


class LinkRow(Base):
    __tablename__ = "ticket_links"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("tickets.id"))
    other_id: Mapped[int] = mapped_column(Id, ForeignKey("tickets.id"))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("ticket_id", "other_id", name="uq_ticket_links_pair"),)


class MessageRow(Base):
    """A message on a ticket, in or out; `message_id` is how replies find their ticket."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("tickets.id"))
    inbox_id: Mapped[int | None] = mapped_column(Id)
    outbox_id: Mapped[int | None] = mapped_column(Id)
    direction: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    from_addr: Mapped[str | None] = mapped_column(String(512))
    from_name: Mapped[str | None] = mapped_column(String(512))
    to_addrs: Mapped[list[str]]
    cc_addrs: Mapped[list[str]]
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    thread_method: Mapped[str | None] = mapped_column(String(16))
    rule_hits: Mapped[list[str]]
    defects: Mapped[list[str]]

    __table_args__ = (
        Index("ix_messages_message_id", "message_id"),
        Index("ix_messages_ticket_id", "ticket_id"),
    )


class EventRow(Base):
    """What happened to a ticket, for its history: status changes, bounces, failed deliveries."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Id, ForeignKey("tickets.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_events_ticket_id", "ticket_id"),)


class OutboxRow(Base):
    """One mail to send, written in the transaction of the change that caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(998))
    mail_from: Mapped[str] = mapped_column(String(512))
    rcpt_to: Mapped[list[str]]
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)


class AutoReplyRow(Base):
    """Automatic mails sent per recipient, for the per-sender daily limit."""

    __tablename__ = "auto_replies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    address: Mapped[str] = mapped_column(String(512))
    sent_at: Mapped[datetime]

    __table_args__ = (Index("ix_auto_replies_address_sent", "address", "sent_at"),)


class ImapStateRow(Base):
    """Per mailbox: the UIDVALIDITY seen and the highest UID accepted."""

    __tablename__ = "imap_state"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(512), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]
