"""How fast `parse_message` reads the shared mail corpus.

Parses every corpus message N times and prints messages per second overall
and for the five slowest files. mailgate's target is 1,000 messages a second
on two cores for the whole pipeline, so parsing alone should stay well above
that on one core.

    .venv/bin/python bench/parse_speed.py [--rounds N] [--corpus DIR]

Without --rounds, the round count is chosen so that the run takes about five
seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mailgate.mail.parse import parse_message

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
TARGET_SECONDS = 5.0
SLOWEST = 5


def load(corpus: Path) -> list[tuple[str, bytes]]:
    messages = [(str(eml.relative_to(corpus)), eml.read_bytes()) for eml in sorted(corpus.glob("*/*.eml"))]
    if not messages:
        raise SystemExit(f"no .eml files under {corpus}")
    return messages


def time_rounds(messages: list[tuple[str, bytes]], rounds: int) -> dict[str, float]:
    """Seconds spent per file over `rounds` parses of every message."""
    spent = dict.fromkeys((name for name, _ in messages), 0.0)
    for _ in range(rounds):
        for name, raw in messages:
            start = time.perf_counter()
            parse_message(raw)
            spent[name] += time.perf_counter() - start
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=0, help="parses of each message")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("MAILGATE_CORPUS", DEFAULT_CORPUS)),
    )
    args = parser.parse_args()
    messages = load(args.corpus)
    # One warm-up round: imports, regex compilation and codec look-ups are not
    # what a running daemon pays per message.
    time_rounds(messages, 1)
    if args.rounds:
        rounds = args.rounds
    else:
        one_round = sum(time_rounds(messages, 1).values())
        rounds = max(1, round(TARGET_SECONDS / max(one_round, 1e-9)))
    spent = time_rounds(messages, rounds)
    total = sum(spent.values())
    count = len(messages) * rounds
    sizes = {name: len(raw) for name, raw in messages}
    print(f"{len(messages)} messages x {rounds} rounds = {count} parses in {total:.2f}s")
    print(f"{'file':<70} {'KiB':>7} {'msg/s':>10}")
    print(f"{'overall':<70} {sum(sizes.values()) / 1024 / len(sizes):>7.1f} {count / total:>10.0f}")
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1])[:SLOWEST]:
        print(f"{name:<70} {sizes[name] / 1024:>7.1f} {rounds / seconds:>10.0f}")


if __name__ == "__main__":
    main()
