"""Addresses: normalising, plus-addressing, role senders and mailgate's own addresses."""

from __future__ import annotations

import pytest

from mailgate.mail.addresses import (
    is_own_address,
    is_role_address,
    normalize_address,
    split_plus,
)

OWN = frozenset({"support@example.com"})


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("support@example.com", "support@example.com"),
        ("Support@Example.COM", "support@example.com"),
        ("<Support@Example.COM>", "support@example.com"),
        ("  < support@example.com >\t", "support@example.com"),
        ("MAILER-DAEMON", "mailer-daemon"),
        ("<>", ""),
        ("", ""),
    ],
)
def test_addresses_compare_equal_whatever_their_case_and_brackets(written: str, normal: str) -> None:
    """One sender is one participant however a header or the envelope spells the address."""
    assert normalize_address(written) == normal


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("support+tok@example.com", ("support@example.com", "tok")),
        ("Support+AbC@Example.com", ("support@example.com", "abc")),
        ("support@example.com", ("support@example.com", None)),
        ("support+a+b@example.com", ("support@example.com", "a+b")),
        ("support+@example.com", ("support@example.com", "")),
        ("+tok@example.com", ("+tok@example.com", None)),
        ("<support+tok@example.com>", ("support@example.com", "tok")),
        ("local+tag", ("local", "tag")),
    ],
)
def test_plus_suffix_is_split_from_the_mailbox(address: str, expected: tuple[str, str | None]) -> None:
    """A reply to support+token@ reaches the support mailbox and its token is read back."""
    assert split_plus(address) == expected


@pytest.mark.parametrize(
    "address",
    [
        "MAILER-DAEMON@mx.example.jp",
        "Mailer-Daemon@e1.example.org",
        "MAILER-DAEMON",
        "mailer_daemon@example.com",
        "postmaster@example.co.jp",
        "Postmaster@example.co.jp",
        "noreply@example.com",
        "no-reply@x0000000000000.dion.ne.jp",
        "no_reply@example.com",
        "NoReply@example.com",
        "donotreply@example.com",
        "do-not-reply@example.com",
        "do_not_reply@example.com",
        "dmarc-noreply@example.com",
        "noreply-dmarc-support@google.com",
        "notifications.no-reply@example.com",
        "bounce@example.com",
        "bounces@example.com",
        "bounce-mc.us14_65794145.395229-x=y.com@mail90.suw15.mcsv.net",
        "gnupg-announce-bounces@gnupg.org",
        "mailer@example.com",
        "listserv@lists.example.org",
        "majordomo@example.org",
        "shapelib-request@lists.maptools.org",
        "neko-owner@example.co.jp",
        "owner-neko@example.co.jp",
        "noreply+abc@example.com",
        "<postmaster@example.com>",
    ],
)
def test_role_senders_are_recognised(address: str) -> None:
    """Mail from MTAs, list servers and noreply senders never gets an acknowledgement."""
    assert is_role_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "customer@client.example",
        "hanako.sato@example.co.jp",
        "support@example.com",
        "info@continuityinsights.com",
        "admin@localhost",
        "reply@example.com",
        "noreplyguy@example.com",
        "bouncer@example.com",
        "postmaster.general@example.com",
        "requester@example.com",
        "owner@example.com",
        "daemon@example.com",
        "",
    ],
)
def test_people_are_not_mistaken_for_role_senders(address: str) -> None:
    """A person whose address merely resembles a role word still gets an acknowledgement."""
    assert not is_role_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "support@example.com",
        "SUPPORT@example.com",
        "<support@example.com>",
        "support+abc@example.com",
        "support+ticket.42.sig@Example.com",
    ],
)
def test_own_addresses_are_recognised_with_any_token(address: str) -> None:
    """Mail that comes back from mailgate's own address, token or not, is seen as a loop."""
    assert is_own_address(address, OWN)


@pytest.mark.parametrize(
    "address",
    [
        "support@example.org",
        "support@mail.example.com",
        "help@example.com",
        "supportx@example.com",
        "",
    ],
)
def test_other_addresses_are_not_own(address: str) -> None:
    """A customer whose address resembles the support address is still a customer."""
    assert not is_own_address(address, OWN)


def test_own_addresses_in_config_match_whatever_their_case() -> None:
    """An admin who writes the support address in capitals in config.toml is still matched."""
    assert is_own_address("support@example.com", frozenset({"<Support@Example.com>"}))
