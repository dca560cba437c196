"""Decide whether mail that claims an engineer's From really comes from that engineer.

Input: the parsed message, its thread match (the engineer a reply token was
minted for) and the config. Output: `Trust`, saying who the engineer is and
how that was proven, or why it was not. Pure: no I/O, no clock.

A From header proves nothing. Two things do: the reply arrived at a token
address minted for that same engineer (only that engineer was sent it), or a
trusted receiving server (`[security] trusted_authserv_ids`) recorded a DKIM,
SPF or DMARC pass aligned with the From domain in `Authentication-Results`
(RFC 8601).
"""

from __future__ import annotations

from dataclasses import dataclass

import authres

from mailgate.config import Config
from mailgate.mail.addresses import split_plus
from mailgate.mail.parse import ParsedMessage
from mailgate.tickets.domain import ThreadMethod, TicketMatch


@dataclass(frozen=True, slots=True)
class Trust:
    """`engineer` is the configured address the mail is accepted from, or None with the `reason`."""

    engineer: str | None
    method: str
    """`token`, `authentication-results`, or why neither held (a stable name shown in events)."""

    @property
    def verified(self) -> bool:
        return self.engineer is not None


def claimed_engineer(config: Config, message: ParsedMessage) -> str | None:
    """The configured engineer the From header names (a plus suffix ignored), if any."""
    if message.from_ is None:
        return None
    address, _ = split_plus(message.from_.address)
    return address if config.engineer(address) is not None else None


def verify_engineer(config: Config, message: ParsedMessage, match: TicketMatch) -> Trust:
    claimed = claimed_engineer(config, message)
    if claimed is None:
        return Trust(None, "not-an-engineer")
    if match.method is ThreadMethod.TOKEN and match.engineer == claimed:
        return Trust(claimed, "token")
    if _authenticated(message, claimed, config.security.trusted_authserv_ids):
        return Trust(claimed, "authentication-results")
    if match.method is ThreadMethod.TOKEN and match.engineer is not None:
        return Trust(None, "token-of-another-engineer")
    return Trust(None, "no-token-no-trusted-pass")


def _authenticated(message: ParsedMessage, address: str, trusted: tuple[str, ...]) -> bool:
    """True when the newest result from a trusted server passes DKIM, SPF or DMARC for `address`.

    Receiving servers prepend their header, so the topmost one with a trusted
    authserv-id is the one our own server wrote; a sender can add more below
    it, and those are not read. RFC 8601 section 5 asks that server to remove
    any header carrying its own id that arrived from outside.
    """
    wanted = {t.lower() for t in trusted}
    if not wanted:
        return False
    domain = address.rpartition("@")[2]
    for value in message.header_values("authentication-results"):
        try:
            header = authres.AuthenticationResultsHeader.parse_value(" ".join(value.split()))
        except authres.AuthResError:
            continue
        if str(header.authserv_id).lower() not in wanted:
            continue
        return any(_passes(result, address, domain) for result in header.results)
    return False


def _passes(result: authres.AuthenticationResult, address: str, domain: str) -> bool:
    if str(result.result).lower() != "pass":
        return False
    properties = {f"{p.type}.{p.name}".lower(): str(p.value).lower() for p in result.properties}
    method = str(result.method).lower()
    if method == "dkim":
        # Aligned: the signing domain is the From domain (a key of a mail
        # provider signing for everyone proves nothing about this sender).
        return properties.get("header.d") == domain
    if method == "spf":
        mailfrom = properties.get("smtp.mailfrom", "")
        return mailfrom == address or mailfrom.rpartition("@")[2] == domain
    if method == "dmarc":
        return properties.get("header.from") == domain
    return False


__all__ = ["Trust", "claimed_engineer", "verify_engineer"]
