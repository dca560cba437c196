"""Subjects: reply and forward prefixes in any language, and the ticket tag `[EX#42]`.

Input: a decoded subject. Output: the subject without `Re:`/`Fwd:`/`AW:`/`返信:`…,
the ticket numbers its tags name, and the tagged subject mailgate sends.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import re

# Reply and forward markers as mail clients write them in their user's
# language. Each is matched only as a whole word followed by a colon, so
# "Review:", "Re-install" and "Research" are subjects, not prefixes.
_PREFIX_WORDS = (
    "re",  # Latin "in the matter of"; most clients everywhere
    "fwd",
    "fw",
    "aw",  # German Antwort
    "wg",  # German Weitergeleitet
    "antw",  # Dutch, German
    "antwort",  # Lotus Notes in German
    "doorst",  # Dutch doorgestuurd
    "sv",  # Swedish, Danish, Norwegian svar
    "vs",  # Finnish vastaus; Norwegian videresendt
    "vl",  # Finnish välitetty
    "tr",  # French transféré
    "réf",  # French référence
    "rif",  # Italian riferimento
    "r",  # Italian risposta
    "rv",  # Spanish reenviado
    "res",  # Portuguese resposta
    "enc",  # Portuguese encaminhado
    "odp",  # Polish, Czech, Slovak odpowiedź / odpověď
    "ynt",  # Turkish yanıt
    "vá",  # Hungarian válasz
    "továbbítás",  # Hungarian
    "atb",  # Latvian atbilde
    "ats",  # Lithuanian atsakymas
    "απ",  # Greek απάντηση
    "σχετ",  # Greek σχετικά
    "πρθ",  # Greek προώθηση
    "отв",  # Russian ответ
    "ответ",
    "пересл",  # Russian переслано
    "השב",  # Hebrew
    "הועבר",
    "رد",  # Arabic
    "返信",  # Japanese
    "転送",
    "回复",  # Chinese (simplified)
    "答复",
    "转发",
    "回覆",  # Chinese (traditional)
    "轉寄",
    "답장",  # Korean
    "회신",
    "전달",
)
# Longest first, so "antwort" is not read as "antw" followed by "ort".
_PREFIX_ALTERNATION = "|".join(re.escape(word) for word in sorted(_PREFIX_WORDS, key=len, reverse=True))
# The counters some clients add to collapse a run: Re[2]:, Re^2:, Re(3):, Re*2:
_PREFIX = re.compile(
    rf"(?:{_PREFIX_ALTERNATION})\s*(?:\[\d+\]|\(\d+\)|\^\d+|\*\d+)?\s*[:：]\s*",
    re.IGNORECASE,
)
# A mailing list's tag before or between prefixes: "[neko:00123] Re: …".
_LIST_TAG = re.compile(r"[\[［][^\[\]［］]{1,64}[\]］]\s*")
# Old Netscape and Thunderbird forwarded as "[Fwd: subject]"; Pine appends "(fwd)".
_BRACKETED_FORWARD = re.compile(r"^[\[［]\s*(?:fwd?|fw)\s*[:：]\s*(.*?)\s*[\]］]$", re.IGNORECASE)
_FORWARD_SUFFIX = re.compile(r"\s*\(fwd\)\s*$", re.IGNORECASE)


def strip_prefixes(subject: str) -> str:
    """`subject` without its leading run of reply and forward prefixes.

    List tags in that run are kept, in their order (`Re: [list] Re: hi` →
    `[list] hi`); anything after the first word that is neither is the subject.
    """
    text = subject.strip()
    forwarded = _BRACKETED_FORWARD.match(text)
    if forwarded:
        text = forwarded.group(1)
    text = _FORWARD_SUFFIX.sub("", text)
    tags: list[str] = []
    position = 0
    while position < len(text):
        prefix = _PREFIX.match(text, position)
        if prefix:
            position = prefix.end()
            continue
        tag = _LIST_TAG.match(text, position)
        # A tag is only stepped over when a prefix follows it; otherwise it
        # starts the subject and stays where it is.
        if tag and _PREFIX.match(text, tag.end()):
            tags.append(tag.group().strip())
            position = tag.end()
            continue
        break
    rest = text[position:].strip()
    return " ".join([*tags, rest]) if rest else " ".join(tags)


def _tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(
        rf"[\[［]\s*{re.escape(tag)}\s*[#＃]\s*(\d+)\s*[\]］]",
        re.IGNORECASE,
    )


def find_tags(subject: str, tag: str) -> list[int]:
    """The ticket numbers named by `[TAG#n]` tags in `subject`, in order, each once."""
    numbers: list[int] = []
    for match in _tag_pattern(tag).finditer(subject):
        number = int(match.group(1))
        if number not in numbers:
            numbers.append(number)
    return numbers


def display_subject(subject: str | None, tag: str) -> str:
    """The subject a person reads: prefixes and `[TAG#n]` tags removed, whitespace collapsed.

    An empty or missing subject gives "": the caller decides how to show that.
    """
    if not subject:
        return ""
    text = strip_prefixes(subject)
    untagged = _tag_pattern(tag).sub(" ", text)
    # Removing a tag can uncover prefixes written after it: "[EX#42] Re: hi".
    return " ".join(strip_prefixes(untagged).split())


def tagged_subject(subject: str | None, ref: str) -> str:
    """`"[EX#42] " + display subject` for ticket `ref` ("EX#42").

    Every tag of the service is replaced by this one, so a reply names one
    ticket only and a tag already present is not doubled.
    """
    tag, _, _ = ref.rpartition("#")
    shown = display_subject(subject, tag) if tag else " ".join((subject or "").split())
    return f"[{ref}] {shown}" if shown else f"[{ref}]"
