"""The vocabulary of tickets: enums whose values are the interface's strings, and stage results.

Pure data: no I/O. Every stage of the processor hands the next one a frozen
value defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NewType

TicketId = NewType("TicketId", int)
InboxId = NewType("InboxId", int)


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageKind(StrEnum):
    CUSTOMER = "customer"
    ENGINEER = "engineer"
    NOTE = "note"
    AUTO = "auto"
    BOUNCE = "bounce"


class ThreadMethod(StrEnum):
    TOKEN = "token"  # noqa: S105  (a threading method, not a secret)
    REFERENCES = "references"
    SUBJECT_TAG = "subject-tag"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class TicketRef:
    """A ticket's number with the service's tag: `EX#42`."""

    tag: str
    number: int

    def __str__(self) -> str:
        return f"{self.tag}#{self.number}"

    @property
    def bracketed(self) -> str:
        return f"[{self}]"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a message is and whether it may be answered automatically, with the rules that decided."""

    kind: MessageKind
    auto_reply_allowed: bool
    rule_hits: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TicketMatch:
    """Which ticket a message belongs to; `ticket` is None for a new one."""

    ticket: TicketId | None
    method: ThreadMethod
    linked_to: TicketId | None = None
    engineer: str | None = None
    """The engineer address a valid engineer token was minted for."""


@dataclass(frozen=True, slots=True)
class Change:
    """What applying one message did to its ticket."""

    ticket: TicketId
    message_db_id: int
    created: bool
    events: tuple[str, ...] = field(default=())
