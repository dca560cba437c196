"""The shared mail corpus (`../shared/corpus` beside the checkout), read in place.

Each `NAME.eml` has a `NAME.json` of what must come out of it. Tests
parametrise over `corpus_cases(folder)`; where the corpus is absent (a user's
own clone) they skip with the reason, and CI makes that skip a failure.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.skips import need

CORPUS_DIR = Path(
    os.environ.get("MAILGATE_CORPUS", Path(__file__).resolve().parents[2].parent / "shared" / "corpus")
)
FOLDERS = ("clients", "japanese", "auto", "mime", "replies")


@dataclass(frozen=True)
class CorpusCase:
    name: str
    eml: Path
    expected: dict[str, Any]

    @property
    def raw(self) -> bytes:
        return self.eml.read_bytes()


def corpus_cases(*folders: str) -> list[Any]:
    """pytest params, one per message, id = `folder/file name`; one skipping param if absent."""
    params: list[Any] = []
    for folder in folders or FOLDERS:
        for eml in sorted((CORPUS_DIR / folder).glob("*.eml")):
            expected = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
            case = CorpusCase(f"{folder}/{eml.stem}", eml, expected)
            params.append(pytest.param(case, id=case.name))
    if not params:
        params.append(pytest.param(None, id="corpus-missing"))
    return params


def require_case(case: CorpusCase | None) -> CorpusCase:
    need(case is not None, f"the shared mail corpus is not at {CORPUS_DIR}")
    assert case is not None
    return case
