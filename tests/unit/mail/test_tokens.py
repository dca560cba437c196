"""Reply tokens: the signed plus tag that threads a reply to its ticket and engineer."""

from __future__ import annotations

import re

import pytest

from mailgate.mail.tokens import TokenClaim, mint_token, read_token, reply_address

SECRET = "s3cret-for-tests"
SERVICE = "support@example.com"
ENGINEERS = ("alice@example.com", "bob@example.com")


def read(*recipients: str, secret: str = SECRET) -> TokenClaim | None:
    return read_token(secret, recipients, SERVICE, ENGINEERS)


def test_reply_to_a_customer_token_names_its_ticket() -> None:
    """A customer's reply to mailgate's Reply-To address lands on the ticket it was sent for."""
    address = reply_address(SERVICE, mint_token(SECRET, 42))

    assert read(address) == TokenClaim(ticket=42, engineer=None)


def test_reply_address_is_the_service_address_with_a_plus_tag() -> None:
    """The Reply-To a customer sees is the support address with a short plus tag."""
    token = mint_token(SECRET, 42)

    assert reply_address(SERVICE, token) == f"support+{token}@example.com"


@pytest.mark.parametrize("ticket", [0, 1, 42, 255, 256, 65_536, 2**31, 2**64 - 1])
def test_any_ticket_number_survives_the_round_trip(ticket: int) -> None:
    """Replies thread correctly on the first ticket and on the millionth."""
    token = mint_token(SECRET, ticket, "alice@example.com")

    assert read(reply_address(SERVICE, token)) == TokenClaim(ticket, "alice@example.com")


@pytest.mark.parametrize("engineer", [None, "alice@example.com"])
def test_token_fits_in_a_local_part_without_quoting(engineer: str | None) -> None:
    """Reply-To stays a plain address any MTA and client accepts: short, letters and digits."""
    token = mint_token(SECRET, 2**63, engineer)
    local = reply_address(SERVICE, token).partition("@")[0]

    assert re.fullmatch(r"[a-z0-9]+", token)
    assert len(local) <= 64


def test_token_lower_cased_by_a_mail_server_still_threads() -> None:
    """A server or client that lower-cases (or upper-cases) the address does not break threading."""
    address = reply_address(SERVICE, mint_token(SECRET, 42, "bob@example.com"))

    assert read(address.lower()) == TokenClaim(42, "bob@example.com")
    assert read(address.upper()) == TokenClaim(42, "bob@example.com")
    assert read(f"<{address}>") == TokenClaim(42, "bob@example.com")


def test_engineer_token_identifies_the_engineer_without_naming_them() -> None:
    """An engineer's reply is recognised as theirs, and their address is not in the token."""
    token = mint_token(SECRET, 42, "Bob@Example.com")

    assert read(reply_address(SERVICE, token)) == TokenClaim(42, "bob@example.com")
    assert "bob" not in token
    assert mint_token(SECRET, 42, "alice@example.com") != token


def test_token_of_an_engineer_no_longer_configured_threads_without_authority() -> None:
    """A departed engineer's reply still reaches the ticket but carries no engineer's rights."""
    token = mint_token(SECRET, 42, "carol@example.com")

    assert read(reply_address(SERVICE, token)) == TokenClaim(42, None)


def test_tampered_token_is_ignored() -> None:
    """Changing any character of a token makes mailgate ignore it rather than misthread."""
    token = mint_token(SECRET, 42)
    for position in range(len(token)):
        replacement = "a" if token[position] != "a" else "b"
        forged = token[:position] + replacement + token[position + 1 :]

        assert read(reply_address(SERVICE, forged)) is None, forged


def test_token_signed_with_another_secret_is_ignored() -> None:
    """A token minted by another installation (or after a secret rotation) threads nothing."""
    token = mint_token("another-secret", 42)

    assert read(reply_address(SERVICE, token)) is None


def test_token_of_one_ticket_cannot_be_edited_into_another() -> None:
    """A customer cannot reach ticket 43 by editing the token they got for ticket 42."""
    genuine = mint_token(SECRET, 42)
    other = mint_token(SECRET, 43)
    # Splice 43's payload onto 42's signature: the signature must not fit.
    spliced = other[:4] + genuine[4:]

    assert read(reply_address(SERVICE, spliced)) is None
    assert read(reply_address(SERVICE, genuine)) == TokenClaim(42, None)


@pytest.mark.parametrize(
    "garbage",
    ["", "x", "hello", "0000000000000000", "!!!!", "a" * 200, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
)
def test_plus_tags_that_are_not_tokens_are_ignored(garbage: str) -> None:
    """Ordinary plus addressing (`support+billing@`) never crashes or misthreads."""
    assert read(f"support+{garbage}@example.com") is None


def test_token_for_another_domain_is_ignored() -> None:
    """A valid token at a different domain (a forward elsewhere) does not thread."""
    token = mint_token(SECRET, 42)

    assert read(f"support+{token}@example.org") is None
    assert read(f"sales+{token}@example.com") is None


def test_first_recipient_with_a_valid_token_wins() -> None:
    """Mail to several addresses threads by the first genuine token, skipping forged ones."""
    forged = "support+aaaaaaaaaaaaaaaaaaaa@example.com"
    first = reply_address(SERVICE, mint_token(SECRET, 7))
    second = reply_address(SERVICE, mint_token(SECRET, 8))

    assert read("customer@client.example", forged, first, second) == TokenClaim(7, None)
    assert read("customer@client.example", SERVICE) is None


def test_negative_ticket_is_refused() -> None:
    """A token is never minted for a ticket number that cannot exist."""
    with pytest.raises(ValueError, match="-1"):
        mint_token(SECRET, -1)
