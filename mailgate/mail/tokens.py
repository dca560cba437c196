"""Signed reply tokens: the plus tag in `support+TOKEN@example.com` that names a ticket.

Every mail mailgate sends carries a Reply-To with a token naming the ticket
(and, for engineers, which engineer), signed with HMAC-SHA256 under
`service.secret`. A reply to that address is threaded by the token alone; a
forged or damaged token is ignored. Pure: no I/O, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

# The token is lower-case RFC 4648 base32 of: one header byte, the ticket number
# (1-8 bytes, big-endian), an optional engineer tag, and a truncated MAC.
# Base32 because MTAs and clients may lower-case the local part (RFC 5321 lets
# them treat it as case-sensitive, many do not), and because its alphabet is
# letters and digits only: nothing in it needs quoting in an addr-spec.
_VERSION = 1
_HAS_ENGINEER = 0x08
_TICKET_LENGTH_MASK = 0x07
_MAC_BYTES = 10
"""80 bits: forging a token means guessing them, one SMTP delivery per try."""
_ENGINEER_TAG_BYTES = 5
"""40 bits: only needs to tell the configured engineers apart; the MAC guards it."""
_MAC_LABEL = b"mailgate reply token\x00"
_ENGINEER_LABEL = b"mailgate engineer\x00"
_MAX_TICKET = 2**64 - 1


@dataclass(frozen=True, slots=True)
class TokenClaim:
    """What a verified token says: the ticket, and the engineer it was minted for, if any."""

    ticket: int
    engineer: str | None


def _key(secret: str) -> bytes:
    return secret.encode("utf-8")


def _engineer_tag(secret: str, engineer: str) -> bytes:
    # A keyed hash, not the address: the token travels in every reply and must
    # not reveal an engineer's personal address to customers.
    digest = hmac.new(_key(secret), _ENGINEER_LABEL + engineer.lower().encode("utf-8"), "sha256")
    return digest.digest()[:_ENGINEER_TAG_BYTES]


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(_key(secret), _MAC_LABEL + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _decode(token: str) -> bytes | None:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        return base64.b32decode(padded)
    except (binascii.Error, ValueError):
        return None


def mint_token(secret: str, ticket: int, engineer: str | None = None) -> str:
    """A token naming `ticket` (and `engineer`, as a keyed hash), signed with `secret`."""
    if not 0 <= ticket <= _MAX_TICKET:
        raise ValueError(f"ticket {ticket} cannot be put in a reply token")
    number = ticket.to_bytes(max(1, (ticket.bit_length() + 7) // 8), "big")
    header = (_VERSION << 4) | (len(number) - 1)
    tag = b""
    if engineer is not None:
        header |= _HAS_ENGINEER
        tag = _engineer_tag(secret, engineer)
    payload = bytes([header]) + number + tag
    return _encode(payload + _mac(secret, payload))


def reply_address(service_address: str, token: str) -> str:
    """The service address with the token as its plus tag: `support+TOKEN@example.com`."""
    local, _, domain = service_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def _verify(secret: str, token: str, engineers: tuple[str, ...]) -> TokenClaim | None:
    raw = _decode(token)
    # The re-encoding check refuses the other spellings base32 allows (stray
    # trailing bits), so one ticket has exactly one valid token per engineer.
    if raw is None or len(raw) < 2 + _MAC_BYTES or _encode(raw) != token:
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    header = payload[0]
    if header >> 4 != _VERSION:
        return None
    number_length = (header & _TICKET_LENGTH_MASK) + 1
    tag_length = _ENGINEER_TAG_BYTES if header & _HAS_ENGINEER else 0
    if len(payload) != 1 + number_length + tag_length:
        return None
    ticket = int.from_bytes(payload[1 : 1 + number_length], "big")
    if not tag_length:
        return TokenClaim(ticket, None)
    tag = payload[1 + number_length :]
    # An engineer since removed from the configuration still threads the reply
    # to the ticket, but speaks with no engineer's authority.
    engineer = next((e for e in engineers if hmac.compare_digest(tag, _engineer_tag(secret, e))), None)
    return TokenClaim(ticket, engineer)


def read_token(
    secret: str,
    recipients: Iterable[str],
    service_address: str,
    engineers: Iterable[str],
) -> TokenClaim | None:
    """The claim of the first recipient `local+TOKEN@domain` of the service whose token verifies.

    Recipients are addr-specs (angle brackets allowed), compared without case.
    Tokens that do not verify, and plus addresses of other domains, are skipped.
    """
    local, _, domain = service_address.lower().rpartition("@")
    prefix = f"{local}+"
    known = tuple(e.lower() for e in engineers)
    for recipient in recipients:
        candidate = recipient.strip().strip("<>").lower()
        candidate_local, at, candidate_domain = candidate.rpartition("@")
        if not at or candidate_domain != domain or not candidate_local.startswith(prefix):
            continue
        claim = _verify(secret, candidate_local[len(prefix) :], known)
        if claim is not None:
            return claim
    return None


__all__ = ["TokenClaim", "mint_token", "read_token", "reply_address"]
