"""How often `visible_text` stores exactly the reply a reader sees.

Runs every reply in the shared corpus (`replies/`) and the client fixtures
(`tests/fixtures/mail/reply-*.eml`) through `parse_message` and
`visible_text`, compares with the expected text the way the corpus README
says, and prints cases, exact matches and accuracy per set, then the misses.
With `--compare`, the reply-parsing libraries on PyPI that are installed
(mail-parser-reply, email-reply-parser) are measured on the same text.

    .venv/bin/python bench/reply_accuracy.py [--compare]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailgate.mail.parse import parse_message  # noqa: E402
from mailgate.mail.reply import visible_text  # noqa: E402
from tests.support.corpus import CORPUS_DIR  # noqa: E402
from tests.unit.mail.test_reply_corpus import normalise_visible  # noqa: E402

FIXTURES_DIR = ROOT / "tests" / "fixtures" / "mail"

Stripper = Callable[[str, str | None], str]


@dataclass
class Score:
    cases: int = 0
    exact: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return 100.0 * self.exact / self.cases if self.cases else 0.0


def reply_sets() -> dict[str, list[Path]]:
    return {
        "corpus replies/": sorted((CORPUS_DIR / "replies").glob("*.eml")),
        "fixtures reply-*": sorted(FIXTURES_DIR.glob("reply-*.eml")),
    }


def strippers(compare: bool) -> dict[str, Stripper]:
    found: dict[str, Stripper] = {"mailgate": visible_text}
    if not compare:
        return found
    try:
        from mailparser_reply import EmailReplyParser as MailParserReply
        from mailparser_reply.constants import MAIL_LANGUAGES
    except ImportError:
        print("mail-parser-reply is not installed; not compared")
    else:
        languages = list(MAIL_LANGUAGES)

        def mail_parser_reply(text: str, html: str | None) -> str:
            return str(MailParserReply(languages=languages).read(text).replies[0].body)

        found["mail-parser-reply"] = mail_parser_reply
    try:
        from email_reply_parser import EmailReplyParser
    except ImportError:
        print("email-reply-parser is not installed; not compared")
    else:

        def email_reply_parser(text: str, html: str | None) -> str:
            return str(EmailReplyParser.parse_reply(text))

        found["email-reply-parser"] = email_reply_parser
    return found


def measure(paths: list[Path], strip: Stripper) -> Score:
    score = Score()
    for eml in paths:
        expected = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))["visible_text"]
        parsed = parse_message(eml.read_bytes())
        score.cases += 1
        if normalise_visible(strip(parsed.text, parsed.html)) == normalise_visible(expected):
            score.exact += 1
        else:
            score.misses.append(eml.stem)
    return score


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--compare", action="store_true", help="also measure installed libraries")
    options = arguments.parse_args()

    sets = reply_sets()
    if not sets["corpus replies/"]:
        print(f"no corpus at {CORPUS_DIR}; set MAILGATE_CORPUS")
    measured = strippers(options.compare)
    print(f"{'stripper':<20} {'set':<18} {'cases':>5} {'exact':>5} {'accuracy':>9}")
    misses: list[str] = []
    for name, strip in measured.items():
        for label, paths in sets.items():
            score = measure(paths, strip)
            print(f"{name:<20} {label:<18} {score.cases:>5} {score.exact:>5} {score.accuracy:>8.1f}%")
            misses.extend(f"{name} {label} {miss}" for miss in score.misses)
    print()
    print("misses:" if misses else "misses: none")
    for miss in misses:
        print(f"  {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
