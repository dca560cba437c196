"""Reading the commands at the top of an engineer's reply."""

from __future__ import annotations

import pytest

from mailgate.tickets.commands import Command, CommandError, CommandName, parse_commands

LEVELS = ("normal", "urgent")


def test_commands_at_the_top_are_read_and_the_text_below_is_kept() -> None:
    """`/pending` and `/take` above the answer change the ticket; the customer gets only the answer."""
    commands, errors, text = parse_commands("/pending\n/take\n\nHello,\nplease restart the router.\n")

    assert commands == [Command(CommandName.PENDING), Command(CommandName.TAKE)]
    assert errors == []
    assert text == "Hello,\nplease restart the router."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/close", Command(CommandName.CLOSE)),
        ("/resolve", Command(CommandName.RESOLVE)),
        ("/open", Command(CommandName.OPEN)),
        ("/note", Command(CommandName.NOTE)),
        ("/assign Bob@Example.com", Command(CommandName.ASSIGN, "bob@example.com")),
        ("/assign <bob@example.com>", Command(CommandName.ASSIGN, "bob@example.com")),
        ("/priority URGENT", Command(CommandName.PRIORITY, "urgent")),
        ("/cc add boss@client.example", Command(CommandName.CC_ADD, "boss@client.example")),
        ("/CC Remove boss@client.example", Command(CommandName.CC_REMOVE, "boss@client.example")),
        ("/link 17", Command(CommandName.LINK, "17")),
        ("/link [EX#17]", Command(CommandName.LINK, "17")),
        ("/merge EX#17", Command(CommandName.MERGE, "17")),
        ("/merge #17", Command(CommandName.MERGE, "17")),
        ("／close", Command(CommandName.CLOSE)),
        ("／assign\u3000bob@example.com", Command(CommandName.ASSIGN, "bob@example.com")),
    ],
)
def test_each_command_is_read_with_its_argument(line: str, expected: Command) -> None:
    """Every documented command, however cased or typed by a Japanese input method, is understood."""
    commands, errors, text = parse_commands(f"{line}\n", priorities=LEVELS)

    assert (commands, errors, text) == ([expected], [], "")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("/frobnicate", "unknown command /frobnicate"),
        ("/close now", "/close takes no argument"),
        ("/assign", "write /assign ADDRESS"),
        ("/assign bob", "'bob' is not an email address; write /assign ADDRESS"),
        ("/priority", "write /priority LEVEL"),
        ("/priority whenever", "unknown priority 'whenever'; use one of: normal, urgent"),
        ("/cc boss@client.example", "write /cc add ADDRESS or /cc remove ADDRESS"),
        ("/cc invite boss@client.example", "write /cc add ADDRESS or /cc remove ADDRESS"),
        ("/link tomorrow", "'tomorrow' is not a ticket number; write /link ID"),
        ("/merge 0", "'0' is not a ticket number; write /merge ID"),
    ],
)
def test_malformed_or_unknown_command_is_an_error_with_a_reason(line: str, reason: str) -> None:
    """A typo is reported back to the engineer with what went wrong, instead of being mailed to the customer."""
    commands, errors, _ = parse_commands(f"{line}\nThe answer.\n", priorities=LEVELS)

    assert commands == []
    assert errors == [CommandError(line, reason)]


def test_text_starting_with_a_path_is_not_a_command() -> None:
    """An answer that begins with a file path reaches the customer as written."""
    commands, errors, text = parse_commands("/etc/hosts has a stale entry.\nRemove line 3.\n")

    assert (commands, errors) == ([], [])
    assert text == "/etc/hosts has a stale entry.\nRemove line 3."


def test_a_slash_line_below_the_text_is_text() -> None:
    """Commands count only at the top: a `/close` inside the answer is part of the answer."""
    commands, _, text = parse_commands("Hello,\n/close\n")

    assert commands == []
    assert text == "Hello,\n/close"


def test_command_only_reply_leaves_no_text() -> None:
    """A reply that is only commands has nothing to send to the customer."""
    commands, errors, text = parse_commands("\n/resolve\n\n/priority normal\n\n", priorities=LEVELS)

    assert commands == [Command(CommandName.RESOLVE), Command(CommandName.PRIORITY, "normal")]
    assert errors == []
    assert text == ""


def test_without_known_levels_any_priority_is_read() -> None:
    """The parser alone does not know the configured levels; the caller passes them in."""
    commands, errors, _ = parse_commands("/priority low\n")

    assert commands == [Command(CommandName.PRIORITY, "low")]
    assert errors == []


def test_ticket_number_of_link_and_merge() -> None:
    """`/merge [EX#7]` names ticket 7."""
    [command], _, _ = parse_commands("/merge [EX#7]\n")

    assert command.ticket == 7
