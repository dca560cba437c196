"""Mail addresses: normalising, plus-addressing, and senders that must never get an automatic reply.

Input: one address as written in a header or an SMTP envelope. Output: its
lower-cased addr-spec, its plus-less form, and whether it is a role address
(RFC 3834 §2) or one of mailgate's own. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re

# RFC 3834 §2 names MAILER-DAEMON, owner-*, *-request; the rest is what list
# servers, MTAs and bulk senders are seen to use for mail nobody reads.
_ROLE_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "mailer_daemon",
        "mailerdaemon",
        "postmaster",
        "mailer",
        "listserv",
        "majordomo",
        "bounce",
        "bounces",
    }
)
_ROLE_LOCAL_PART_PATTERN = re.compile(
    r"""
    ^owner-
    | -(?:request|owner|bounces?)$
    | ^bounces?[-_.]
    # "noreply" and its spellings as a whole word anywhere: dmarc-noreply,
    # noreply-dmarc-support, notifications.no_reply
    | (?:^|[-_.])(?:no|do[-_.]?not|dont)[-_.]?reply(?:$|[-_.])
    """,
    re.VERBOSE,
)


def normalize_address(value: str) -> str:
    """The lower-cased addr-spec: surrounding whitespace and angle brackets removed.

    `" <Support@Example.COM> "` → `"support@example.com"`.
    """
    address = value.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    return address.lower()


def split_plus(address: str) -> tuple[str, str | None]:
    """`support+tok@x` → (`support@x`, `tok`); an address without a plus → (address, None).

    Only the first `+` of the local part separates: `a+b+c@x` → (`a@x`, `b+c`).
    A local part that would be left empty (`+tok@x`) is not split.
    """
    normal = normalize_address(address)
    local, at, domain = normal.rpartition("@")
    if not at:
        local, domain = normal, ""
    base, plus, suffix = local.partition("+")
    if not plus or not base:
        return normal, None
    return f"{base}{at}{domain}", suffix


def _local_part(address: str) -> str:
    """The plus-less local part, lower-cased (`MAILER-DAEMON` has no domain at all)."""
    base, _ = split_plus(address)
    local, at, _domain = base.rpartition("@")
    return local if at else base


def is_role_address(address: str) -> bool:
    """True for senders that must never get an automatic reply: MAILER-DAEMON, noreply…"""
    local = _local_part(address)
    if not local:
        return False
    return local in _ROLE_LOCAL_PARTS or _ROLE_LOCAL_PART_PATTERN.search(local) is not None


def is_own_address(address: str, own: frozenset[str]) -> bool:
    """True when `address`, or its plus-less form, is one of mailgate's own addresses."""
    normal = normalize_address(address)
    if not normal:
        return False
    mine = {normalize_address(item) for item in own}
    base, _ = split_plus(normal)
    return normal in mine or base in mine
