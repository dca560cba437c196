"""Decide what kind of mail this is and whether it may be answered automatically.

Pure: reads the parsed message and the config, nothing else.

The rules are one ordered table, as GNU Mailman's chains are: every rule that
hits is recorded in `Verdict.rule_hits`, in table order, so "why did this
customer get no acknowledgement?" is answered by a rule name. The per-sender
daily limit (`rate-limit`) needs the database and is applied by the planner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from mailgate.mail.addresses import is_own_address, is_role_address, normalize_address
from mailgate.mail.parse import ParsedMessage
from mailgate.tickets.domain import MessageKind, Verdict


class Effect(Enum):
    """What a rule's hit does to the verdict."""

    BOUNCE = "bounce"
    """A delivery failure report: kind `bounce`, never answered."""
    AUTO = "auto"
    """Machine mail: kind `auto`, never answered."""
    SUPPRESS = "suppress"
    """The sender asks not to be answered automatically; what the mail is stays open."""
    EVIDENCE = "evidence"
    """Recorded, but decides nothing alone: it only corroborates a `SUPPRESS` hit."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read: the message, its resolved envelope sender, mailgate's own addresses."""

    message: ParsedMessage
    envelope_sender: str | None
    """Lower-cased; "" for the null sender `<>`, None when unknown."""
    own_addresses: frozenset[str]

    @property
    def from_address(self) -> str | None:
        return self.message.from_.address if self.message.from_ else None

    def senders(self) -> tuple[str, ...]:
        """The From address and the envelope sender, where known and not null."""
        found = (self.from_address, self.envelope_sender)
        return tuple(address for address in found if address)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    """Stable kebab-case name shown to users (`tickets show`, logs)."""
    applies: Callable[[Facts], bool]
    effect: Effect


def _header_token(value: str) -> str:
    """The first word of a value, lower-cased: `auto-generated (warning)` → `auto-generated`."""
    return re.split(r"[\s;(,]", value.strip(), maxsplit=1)[0].lower()


def _content_type_param(message: ParsedMessage, name: str) -> str | None:
    value = message.header("content-type") or ""
    match = re.search(rf'(?:^|;)\s*{re.escape(name)}\s*=\s*"?([^";\s]+)', value, re.IGNORECASE)
    return match.group(1).lower() if match else None


def _has_part(message: ParsedMessage, *content_types: str) -> bool:
    return any(part.content_type.lower() in content_types for part in message.attachments)


def _is_report(message: ParsedMessage, report_type: str) -> bool:
    """A multipart/report of `report_type` (RFC 6522), by its header or by the part it carries."""
    if (
        message.content_type == "multipart/report"
        and _content_type_param(message, "report-type") == report_type
    ):
        return True
    return _has_part(message, f"message/{report_type}", f"message/global-{report_type}")


def _is_null_sender(facts: Facts) -> bool:
    # RFC 3834 §2: never respond to a message whose return path is <>; by
    # IMAP only the Return-Path written by the final MTA tells.
    return facts.envelope_sender == ""


def _is_own(facts: Facts) -> bool:
    # The envelope sender is not looked at: forwarding setups (the web.de
    # and Yahoo replies in the corpus) rewrite it to the support address.
    candidates = [facts.from_address or ""]
    candidates += [normalize_address(value) for value in facts.message.header_values("x-loop")]
    return any(is_own_address(address, facts.own_addresses) for address in candidates if address)


def _is_from_role(facts: Facts) -> bool:
    return any(is_role_address(address) for address in facts.senders())


def _is_auto_submitted(facts: Facts) -> bool:
    # RFC 3834 §5: any value but "no" marks automatic mail.
    values = facts.message.header_values("auto-submitted")
    return any(_header_token(value) not in ("", "no") for value in values)


def _has_precedence(level: str) -> Callable[[Facts], bool]:
    def applies(facts: Facts) -> bool:
        values = facts.message.header_values("precedence")
        return any(_header_token(value) == level for value in values)

    return applies


def _has_header(*names: str) -> Callable[[Facts], bool]:
    def applies(facts: Facts) -> bool:
        return any(facts.message.header(name) is not None for name in names)

    return applies


_SUPPRESSING_TOKENS = frozenset({"all", "autoreply", "oof"})


def _suppresses_auto_response(facts: Facts) -> bool:
    # Exchange's X-Auto-Response-Suppress lists what must not answer: All,
    # AutoReply and OOF cover an acknowledgement; DR, NDR, RN, NRN do not.
    for value in facts.message.header_values("x-auto-response-suppress"):
        tokens = {token.lower() for token in re.split(r"[\s,;]+", value) if token}
        if tokens & _SUPPRESSING_TOKENS:
            return True
    return False


# Subjects MTAs give their bounces and delay warnings, in the languages seen
# from Exchange, Domino, Postfix, Sendmail, Exim, qmail, Gmail and Japanese
# carriers. Only counted from a delivery agent (see `_is_delivery_report`),
# so a customer forwarding "Undeliverable: …" is still a customer.
_DSN_SUBJECT = re.compile(
    r"""
    undeliver(?:able|ed)
    | non[- ]?deliver
    | delivery\s+(?:status\s+notification|failure|has\s+failed|failed|notification)
    | mail\s+delivery\s+failed
    | failure\s+notice
    | returned\s+mail
    | returning\s+message\s+to\s+sender
    | could\s+not\s+send\s+message
    | warning:\s+message\s+.*\s+delayed
    | mail\s+system\s+error
    | unzustellbar
    | non\s+recapitabile
    | impossible\s+de\s+remettre
    | onbestelbaar
    | no\s+se\s+puede\s+entregar
    | недоставлен
    | 配信不能 | 配信エラー | 配送エラー | 送信エラー | メールエラー | 不達
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Plain-text bounces without a DSN part: qmail's and Postfix's fixed openings,
# Exim's and Exchange 2003's phrasing.
_DSN_TEXT = re.compile(
    r"""
    this\s+is\s+the\s+qmail-send\s+program
    | this\s+is\s+the\s+mail\s+system\s+at\s+host
    | created\s+automatically\s+by\s+mail\s+delivery\s+software
    | could\s+not\s+be\s+delivered\s+to
    | delivery\s+to\s+the\s+following\s+recipients?\s+failed
    | wasn't\s+able\s+to\s+deliver\s+your\s+message
    | 送信できませんでした | 配信できませんでした | 届けることができませんでした
    """,
    re.IGNORECASE | re.VERBOSE,
)
_DSN_TEXT_SPAN = 4000


def _is_from_delivery_agent(facts: Facts) -> bool:
    return _is_null_sender(facts) or _is_from_role(facts)


def _is_delivery_report(facts: Facts) -> bool:
    message = facts.message
    if _is_report(message, "delivery-status"):
        return True
    # Exim and Gmail name the failed recipients in a header only bounces carry.
    if message.header("x-failed-recipients") is not None:
        return True
    if not _is_from_delivery_agent(facts):
        return False
    subject = message.subject or ""
    return bool(_DSN_SUBJECT.search(subject) or _DSN_TEXT.search(message.text[:_DSN_TEXT_SPAN]))


def _is_feedback_report(facts: Facts) -> bool:
    # ARF (RFC 5965) abuse reports and DMARC failure reports (RFC 6591).
    return _is_report(facts.message, "feedback-report")


def _is_read_receipt(facts: Facts) -> bool:
    # Message disposition notifications (RFC 8098).
    return _is_report(facts.message, "disposition-notification")


# Headers that auto-responders write instead of (or beside) Auto-Submitted.
_VENDOR_FLAG_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-auto-response",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-autogenerated",
    # Exchange: generated by a mailbox rule or transport agent; the loop
    # header is stamped on what inbox rules send or forward on their own.
    "x-ms-exchange-generated-message-source",
    "x-ms-exchange-inbox-rules-loop",
)
_VENDOR_NEGATIVE_VALUES = frozenset({"no", "false", "0"})
_AUTORESPONDER_WORD = re.compile(r"\b(?:vacation|auto-?reply|auto-?respon(?:d|der|se))\b", re.I)


def _is_vendor_autoreply(facts: Facts) -> bool:
    message = facts.message
    for name in _VENDOR_FLAG_HEADERS:
        for value in message.header_values(name):
            if _header_token(value) not in _VENDOR_NEGATIVE_VALUES:
                return True
    # iCloud's vacation replies carry no Auto-Submitted, only this.
    if any("vacation" in value.lower() for value in message.header_values("x-apple-action")):
        return True
    precedences = message.header_values("precedence") + message.header_values("x-precedence")
    if any(_header_token(value) in ("auto_reply", "auto-reply") for value in precedences):
        return True
    # The Unix vacation program and qmail autoresponders name themselves.
    named = (
        message.header_values("x-mailer")
        + message.header_values("x-post-messageclass")
        + message.header_values("delivered-to")
    )
    return any(_AUTORESPONDER_WORD.search(value) for value in named)


# Only the fixed forms responders generate: a leading "Automatic reply:",
# "Out of Office:", "自動応答:", a bracketed "[Automatyczna odpowiedź]" or a
# trailing "(Automatic Response)". "About your out of office policy" is none.
_AUTOREPLY_WORDS = r"""
    auto(?:matic)?[\s-]*(?:reply|response|respons|answer)
    | autorespons\w*
    | out\s+of\s+(?:the\s+)?office(?:\s+auto[\s-]*reply)?
    | abwesenheitsnotiz | automatische\s+antwort
    | r[ée]ponse\s+automatique | respuesta\s+autom[aá]tica | risposta\s+automatica
    | automatyczna\s+odpowied[zź]
    | 自動応答 | 自動返信 | 自动回复 | 自動回覆 | 不在通知
"""
_AUTOREPLY_SUBJECT = re.compile(
    rf"""
    ^\s*(?:{_AUTOREPLY_WORDS})\s*[:：]
    | ^\s*[\[(（［](?:{_AUTOREPLY_WORDS})[\])）］]
    | [\[(（［](?:{_AUTOREPLY_WORDS})[\])）］]\s*$
    """,
    re.IGNORECASE | re.VERBOSE,
)


def _has_autoreply_subject(facts: Facts) -> bool:
    return bool(_AUTOREPLY_SUBJECT.search(facts.message.subject or ""))


RULES: tuple[Rule, ...] = (
    Rule("null-sender", _is_null_sender, Effect.AUTO),
    Rule("own-address", _is_own, Effect.AUTO),
    Rule("role-address", _is_from_role, Effect.AUTO),
    Rule("auto-submitted", _is_auto_submitted, Effect.AUTO),
    Rule("precedence-bulk", _has_precedence("bulk"), Effect.AUTO),
    Rule("precedence-junk", _has_precedence("junk"), Effect.AUTO),
    Rule("precedence-list", _has_precedence("list"), Effect.AUTO),
    Rule("list-id", _has_header("list-id"), Effect.AUTO),
    Rule("list-unsubscribe", _has_header("list-unsubscribe"), Effect.AUTO),
    # List servers' own identification, for notices that carry no List-Id
    # (fml's loop alert to its admin) and RFC 2369 headers without it.
    Rule(
        "list-server",
        _has_header(
            "x-ml-name",
            "x-mlserver",
            "list-software",
            "x-mailman-version",
            "x-beenthere",
            "mailing-list",
            "x-mailing-list",
            "list-post",
            "list-help",
            "list-subscribe",
            "list-owner",
        ),
        Effect.AUTO,
    ),
    Rule("auto-response-suppress", _suppresses_auto_response, Effect.SUPPRESS),
    Rule("delivery-report", _is_delivery_report, Effect.BOUNCE),
    Rule("feedback-report", _is_feedback_report, Effect.AUTO),
    Rule("read-receipt", _is_read_receipt, Effect.AUTO),
    Rule("vendor-autoreply", _is_vendor_autoreply, Effect.AUTO),
    Rule("autoreply-subject", _has_autoreply_subject, Effect.EVIDENCE),
)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


def _envelope_sender(message: ParsedMessage, envelope_from: str | None) -> str | None:
    if envelope_from is not None:
        return normalize_address(envelope_from)
    # The final MTA writes the envelope sender as the topmost Return-Path.
    return_path = message.header("return-path")
    return None if return_path is None else normalize_address(return_path)


def classify_message(
    message: ParsedMessage,
    *,
    envelope_from: str | None,
    own_addresses: frozenset[str],
    engineer_addresses: frozenset[str],
) -> Verdict:
    """What `message` is, whether it may be answered automatically, and every rule that hit.

    `envelope_from` is the SMTP MAIL FROM ("" for the null sender), or None
    when unknown (IMAP), in which case the Return-Path header stands for it.
    """
    facts = Facts(message, _envelope_sender(message, envelope_from), own_addresses)
    hits = tuple(rule for rule in RULES if rule.applies(facts))
    effects = {rule.effect for rule in hits}
    names = tuple(rule.name for rule in hits)
    if Effect.BOUNCE in effects:
        return Verdict(MessageKind.BOUNCE, auto_reply_allowed=False, rule_hits=names)
    # An Outlook "Automatic reply:" carries X-Auto-Response-Suppress and may
    # carry nothing else: the subject then confirms it is not a person.
    if Effect.AUTO in effects or {Effect.SUPPRESS, Effect.EVIDENCE} <= effects:
        return Verdict(MessageKind.AUTO, auto_reply_allowed=False, rule_hits=names)
    # Engineers are matched as own addresses are: a plus suffix is ignored.
    if facts.from_address and is_own_address(facts.from_address, engineer_addresses):
        return Verdict(MessageKind.ENGINEER, auto_reply_allowed=False, rule_hits=names)
    allowed = Effect.SUPPRESS not in effects
    return Verdict(MessageKind.CUSTOMER, auto_reply_allowed=allowed, rule_hits=names)
