"""Every corpus message parses to what its expectation file says a reader must see."""

from __future__ import annotations

import pytest

from mailgate.mail.parse import ParsedMessage, parse_message
from tests.support.corpus import CorpusCase, corpus_cases, require_case

CASES = corpus_cases()


def _parse(case: CorpusCase | None) -> tuple[ParsedMessage, dict[str, object]]:
    checked = require_case(case)
    return parse_message(checked.raw), checked.expected


@pytest.mark.parametrize("case", CASES)
def test_headers_decode_to_the_expected_subject_and_addresses(case: CorpusCase | None) -> None:
    """Subject, sender and recipients read exactly as the sender wrote them, in any charset."""
    parsed, expected = _parse(case)
    if "subject" in expected:
        assert parsed.subject == expected["subject"]
    if "from" in expected:
        assert (parsed.from_.address if parsed.from_ else None) == expected["from"]
    if "from_name" in expected:
        assert (parsed.from_.name if parsed.from_ else None) == expected["from_name"]
    if "to" in expected:
        assert [address.address for address in parsed.to] == expected["to"]
    if "cc" in expected:
        assert [address.address for address in parsed.cc] == expected["cc"]


@pytest.mark.parametrize("case", CASES)
def test_readable_text_holds_the_body_and_nothing_else(case: CorpusCase | None) -> None:
    """The body text shows the message's words and no markup, encoded data or mojibake."""
    parsed, expected = _parse(case)
    for phrase in expected.get("body_contains", []):  # type: ignore[attr-defined]
        assert phrase in parsed.text
    for phrase in expected.get("body_excludes", []):  # type: ignore[attr-defined]
        assert phrase not in parsed.text


@pytest.mark.parametrize("case", CASES)
def test_attachments_are_listed_with_decoded_names_in_order(case: CorpusCase | None) -> None:
    """Every attached file (inline images and forwarded messages too) shows with its real name."""
    parsed, expected = _parse(case)
    if "attachments" in expected:
        listed = [
            {"filename": attachment.filename, "content_type": attachment.content_type}
            for attachment in parsed.attachments
        ]
        assert listed == expected["attachments"]
