"""Every real reply in the corpus is stored as the text its reader sees as new."""

from __future__ import annotations

import pytest

from mailgate.mail.parse import parse_message
from mailgate.mail.reply import visible_text
from tests.support.corpus import CorpusCase, corpus_cases, require_case


def normalise_visible(text: str) -> str:
    """The corpus README's comparison: lines stripped, blank-line runs collapsed, ends trimmed."""
    lines: list[str] = []
    for line in text.strip().splitlines():
        clean = line.strip()
        if clean or (lines and lines[-1]):
            lines.append(clean)
    return "\n".join(lines).strip()


@pytest.mark.parametrize("case", corpus_cases("replies"))
def test_reply_keeps_only_the_new_text(case: CorpusCase | None) -> None:
    """An engineer reading a stored reply sees the sender's new words, without history or signature."""
    case = require_case(case)
    parsed = parse_message(case.raw)

    stored = visible_text(parsed.text, parsed.html)

    assert normalise_visible(stored) == normalise_visible(case.expected["visible_text"])
