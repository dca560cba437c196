"""Classification of every corpus message: its kind, and whether it is acknowledged."""

from __future__ import annotations

import pytest

from mailgate.mail.parse import parse_message
from mailgate.tickets.classify import classify_message
from tests.support.corpus import CorpusCase, corpus_cases, require_case

OWN = frozenset({"support@example.com"})


@pytest.mark.parametrize("case", corpus_cases())
def test_corpus_message_is_classified_as_expected(case: CorpusCase | None) -> None:
    """Real bounces, out-of-office replies and list mail get no acknowledgement; real people do."""
    case = require_case(case)
    # As fetched by IMAP: no SMTP envelope, so the Return-Path header stands for it.
    verdict = classify_message(
        parse_message(case.raw),
        envelope_from=None,
        own_addresses=OWN,
        engineer_addresses=frozenset(),
    )
    assert (verdict.kind.value, verdict.auto_reply_allowed) == (
        case.expected["kind"],
        case.expected["auto_reply"],
    ), f"rules hit: {verdict.rule_hits}"
