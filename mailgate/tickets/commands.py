"""Read the commands an engineer writes at the top of a reply: `/close`, `/assign bob@…`, `/note`.

Input: the visible text of the reply (quotes and signature already stripped).
Output: the commands in the order written, the lines that could not be read
(each with a short reason for the error mail), and the text under the
commands. Pure: no I/O, no clock, no knowledge of tickets beyond syntax.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from mailgate.mail.addresses import normalize_address


class CommandName(StrEnum):
    CLOSE = "close"
    RESOLVE = "resolve"
    PENDING = "pending"
    OPEN = "open"
    ASSIGN = "assign"
    TAKE = "take"
    PRIORITY = "priority"
    NOTE = "note"
    CC_ADD = "cc add"
    CC_REMOVE = "cc remove"
    LINK = "link"
    MERGE = "merge"


STATUS_COMMANDS = frozenset({CommandName.CLOSE, CommandName.RESOLVE, CommandName.PENDING, CommandName.OPEN})
"""Commands that set the ticket's status; the status has the command's name (`/resolve` → resolved)."""

USAGE: dict[CommandName, str] = {
    CommandName.CLOSE: "/close",
    CommandName.RESOLVE: "/resolve",
    CommandName.PENDING: "/pending",
    CommandName.OPEN: "/open",
    CommandName.ASSIGN: "/assign ADDRESS",
    CommandName.TAKE: "/take",
    CommandName.PRIORITY: "/priority LEVEL",
    CommandName.NOTE: "/note",
    CommandName.CC_ADD: "/cc add ADDRESS",
    CommandName.CC_REMOVE: "/cc remove ADDRESS",
    CommandName.LINK: "/link ID",
    CommandName.MERGE: "/merge ID",
}
"""How each command is written, for the error mail's reminder."""

_NO_ARGUMENT = frozenset(
    {
        CommandName.CLOSE,
        CommandName.RESOLVE,
        CommandName.PENDING,
        CommandName.OPEN,
        CommandName.TAKE,
        CommandName.NOTE,
    }
)
_ADDRESS_ARGUMENT = frozenset({CommandName.ASSIGN, CommandName.CC_ADD, CommandName.CC_REMOVE})
_TICKET_ARGUMENT = frozenset({CommandName.LINK, CommandName.MERGE})

# A command line is a slash, a word and its arguments. Japanese input methods
# type a full-width slash and full-width spaces unless switched off, so those
# count too. "/usr/bin is missing" is not a word followed by a space: it is text.
_COMMAND_LINE = re.compile(r"^[/／]([A-Za-z][A-Za-z-]*)(?:[ \t\u3000]+(.*))?$")
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$")
# "42", "#42", "EX#42" or "[EX#42]": however the engineer copies the ref.
_TICKET_REF = re.compile(r"^[\[［]?(?:[A-Za-z][A-Za-z0-9-]*)?[#＃]?(\d{1,18})[\]］]?$")


@dataclass(frozen=True, slots=True)
class Command:
    """One command as written; `argument` is an address, a level or a ticket number as text."""

    name: CommandName
    argument: str | None = None

    @property
    def ticket(self) -> int:
        """The ticket number of `/link` and `/merge`."""
        return int(self.argument or "0")


@dataclass(frozen=True, slots=True)
class CommandError:
    """A line that looked like a command but could not be obeyed, and why."""

    line: str
    reason: str


def parse_commands(
    text: str, *, priorities: Collection[str] | None = None
) -> tuple[list[Command], list[CommandError], str]:
    """The commands at the top of `text`, the errors among them, and the text under them.

    Commands are the lines starting with `/` before the first other non-blank
    line; blank lines between them are allowed. With `priorities` given,
    `/priority` must name one of them.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    commands: list[Command] = []
    errors: list[CommandError] = []
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            index += 1
            continue
        match = _COMMAND_LINE.match(line)
        if match is None:
            break
        word, rest = match.group(1).lower(), (match.group(2) or "").replace("\u3000", " ").split()
        parsed = _parse_one(word, rest, priorities)
        if isinstance(parsed, Command):
            commands.append(parsed)
        else:
            errors.append(CommandError(line, parsed))
        index += 1
    remaining = "\n".join(lines[index:]).strip("\n")
    return commands, errors, remaining


def _parse_one(word: str, rest: list[str], priorities: Collection[str] | None) -> Command | str:
    """The command, or the reason it is refused."""
    if word == "cc":
        if len(rest) != 2 or rest[0].lower() not in ("add", "remove"):
            return f"write {USAGE[CommandName.CC_ADD]} or {USAGE[CommandName.CC_REMOVE]}"
        name = CommandName.CC_ADD if rest[0].lower() == "add" else CommandName.CC_REMOVE
        rest = rest[1:]
    else:
        try:
            name = CommandName(word)
        except ValueError:
            return f"unknown command /{word}"
    usage = USAGE[name]
    if name in _NO_ARGUMENT:
        return Command(name) if not rest else f"/{word} takes no argument"
    if len(rest) != 1:
        return f"write {usage}"
    argument = rest[0]
    if name in _ADDRESS_ARGUMENT:
        address = normalize_address(argument)
        if not _ADDRESS.match(address):
            return f"{argument!r} is not an email address; write {usage}"
        return Command(name, address)
    if name in _TICKET_ARGUMENT:
        found = _TICKET_REF.match(argument)
        if found is None or int(found.group(1)) == 0:
            return f"{argument!r} is not a ticket number; write {usage}"
        return Command(name, str(int(found.group(1))))
    level = argument.lower()
    if priorities is not None and level not in priorities:
        return f"unknown priority {argument!r}; use one of: {', '.join(sorted(priorities))}"
    return Command(name, level)


__all__ = ["STATUS_COMMANDS", "USAGE", "Command", "CommandError", "CommandName", "parse_commands"]
