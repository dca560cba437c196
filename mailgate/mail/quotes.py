"""Recognise the lines of a reply that are not the sender's new words.

Input: lines of plain text. Output: answers about one line or a run of lines —
is it quoted, an attribution ("On … wrote:" in any client's language), an
Outlook header block, an "Original Message" rule, a signature delimiter, a
mobile footer. Pure: no I/O, no clock; `mailgate.mail.reply` decides what to
cut with these answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Attributions are wrapped by Gmail, iPhone and Apple Mail over two or three
# lines (`…SomeOne <` / `info@example.org> wrote:`), never more.
MAX_ATTRIBUTION_LINES = 3
MAX_ATTRIBUTION_CHARS = 400

# A header block is From plus at least two of its companions within this many lines.
HEADER_BLOCK_WINDOW_LINES = 10
MIN_HEADER_BLOCK_LABELS = 3

_QUOTED = re.compile(r"^[ \t]*>")

# Verbs that end an attribution, as each client writes them: English, German,
# French, Spanish, Portuguese, Italian, Dutch, Scandinavian, Finnish, Polish,
# Czech, Russian, Chinese, Japanese (Evolution's "さんは書きました", iPhone's
# "のメール"), Korean.
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|scrisse"
    r"|schreef|geschreven|skrev|kirjoitti|napisał\(a\)|napisała|napisał|napsal\(a\)|napsal"
    r"|написал\(а\)|написала|написал|пишет|写道|寫道|書きました|のメール|작성)"
    r"\s*[:：]?\s*(?:-{2,})?\s*$",
    re.IGNORECASE,
)
# Scandinavian and German clients put the verb before the name:
# "Den 15. jun. 2016 kl. 20.42 skrev Jeff <jeff@…>:", "Am … schrieb Max <…>:".
_ATTRIBUTION_VERB_FIRST = re.compile(
    r"^(?:den|am|op|le|el)\s.*\s(?:skrev|schrieb|schreef|a\s+écrit|escribió)\s.*[:：]\s*$",
    re.IGNORECASE,
)
# Horde and other webmail: "Quoting Max <max@…>:".
_ATTRIBUTION_QUOTING = re.compile(r"^(?:quoting|zitat\s+von|citando)\s.*[:：]\s*$", re.IGNORECASE)
# Gmail in Japanese and ISO-date locales writes no verb at all:
# "2026年11月21日(土) 10:00 山田 <yamada@example.jp>:", "2016-10-24 15:36 GMT+02:00 Foo <foo@…>:".
_ATTRIBUTION_DATE_ADDRESS = re.compile(
    r"^\d{4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-].*<\s*[^<>\s]+@[^<>\s]+\s*>\s*[:：]\s*$"
)
# How an attribution opens; a wrapped line joins one only after such an opening,
# so that "Thanks,\nAlex\nOn … wrote:" keeps "Thanks," and "Alex". Becky!
# breaks after the date ("On Sat, 21 Nov 2026 10:00:00 +0900" / "Name <addr>
# wrote:", corpus replies/becky-jp-two-line-attribution).
_ATTRIBUTION_OPENING = re.compile(
    r"^(?:-{2,}\s*)?(?:on|am|le|el|il|em|op|den|dne|w\s+dniu|quoting|zitat|citando|在|\d)",
    re.IGNORECASE,
)
# An attribution that is not followed by a quote ends the reply only when it
# names a time, a year or an address, so a sentence ending in "wrote:" survives
# and "On your remote host you can run:" is never one (replies/reply-starting-with-on).
_ATTRIBUTION_EVIDENCE = re.compile(r"\d{1,2}[:.]\d{2}|\d{4}|@")

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:original\s+message|original-nachricht|ursprüngliche\s+nachricht"
    r"|message\s+d'origine|mensaje\s+original|messaggio\s+originale|mensagem\s+original"
    r"|oorspronkelijk\s+bericht|originalmeddelande|oprindelig\s+meddelelse|opprinnelig\s+melding"
    r"|alkuperäinen\s+viesti|wiadomość\s+oryginalna|původní\s+zpráva|исходное\s+сообщение"
    r"|оригинальное\s+сообщение|reply\s+message|元のメッセージ|オリジナルメッセージ|原始邮件"
    r"|原始郵件|원본\s+메시지)\s*[-_=*]*\s*$",
    re.IGNORECASE,
)

# The line above an inline forward, as Thunderbird, Gmail and Apple Mail write
# it in their users' languages.
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré"
    r"|mensaje\s+reenviado|messaggio\s+inoltrato|doorgestuurd\s+bericht"
    r"|vidarebefordrat\s+meddelande|videresendt\s+melding|přeposlaná\s+zpráva"
    r"|пересылаемое\s+сообщение|転送メッセージ|转发的邮件)\s*-{2,}"
    r"|begin\s+forwarded\s+message\s*:|anfang\s+der\s+weitergeleiteten\s+nachricht\s*:"
    r"|début\s+du\s+message\s+réexpédié\s*:|転送されたメッセージ\s*[:：])\s*$",
    re.IGNORECASE,
)

_FROM_LABELS = "from|von|de|da|van|fra|från|od|от|lähettäjä|差出人|送信者|发件人|寄件者|보낸\\s*사람"
_OTHER_LABELS = (
    "sent|date|to|cc|bcc|subject|reply-to"
    "|gesendet|datum|an|kopie|betreff|antwort\\s+an"
    "|envoyé|à|objet|répondre\\s+à"
    "|enviado(?:\\s+el)?|enviada\\s+em|para|asunto|assunto"
    "|inviato|a|oggetto|data"
    "|verzonden|aan|onderwerp"
    "|sendt|til|emne|skickat|till|ämne"
    "|lähetetty|vastaanottaja|aihe"
    "|wysłano|do|temat|odesláno|komu|předmět"
    "|отправлено|кому|копия|тема|дата"
    "|送信日時|宛先|件名|日付"
    "|发送时间|收件人|主题|抄送|寄件日期|傳送時間|收件者|主旨"
    "|보낸\\s*날짜|받는\\s*사람|제목"
)
# Outlook bolds its labels (`*From:*` once turned into text); Yahoo indents them.
_HEADER_LABEL = re.compile(
    rf"^\s*\*?(?P<label>{_FROM_LABELS}|{_OTHER_LABELS})\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_FROM_LABEL = re.compile(rf"^(?:{_FROM_LABELS})$", re.IGNORECASE)

# A footer a phone or a webmail adds under the text, alone on its line, with
# at most a link after it. "Sent from my desk, is much easier…" is a sentence,
# not a footer: the whole line must be the footer (replies/sent-from-desk-not-signature).
_LINK = r"(?:\s*<[^>\s]*>|\s*\([^)\s]*\))?"
_MOBILE_FOOTER = re.compile(
    r"^(?:sent\s+from\s+my\s+[\w\-]+(?:\s+[\w\-]+){0,3}"
    r"|sent\s+from\s+(?:outlook|mail|yahoo\s+mail|aol\s+mobile\s+mail|outlook\s+mobile)"
    r"(?:\s+for\s+[\w ]+?)?(?:\s+\d+)?"
    r"|get\s+outlook\s+for\s+(?:ios|android|mac|windows)"
    r"|sent\s+with\s+(?:sparrow|spark|airmail|newton|blackberry|proton\s*mail)"
    r"|sendt\s+fra\s+min\s+\w+|skickat\s+från\s+min\s+\w+"
    r"|von\s+meinem\s+[\w\-]+(?:\s+[\w\-]+)?\s+gesendet|gesendet\s+von\s+meinem\s+[\w\-]+"
    r"|envoyé\s+de\s+mon\s+\w+|enviado\s+desde\s+mi\s+\w+|enviado\s+do\s+meu\s+\w+"
    r"|inviato\s+da(?:l)?\s+(?:mio\s+)?\w+|verzonden\s+(?:met|vanaf)\s+mijn\s+\w+"
    r"|отправлено\s+с\s+(?:моего\s+)?\w+"
    r"|\w{1,20}\s?から送信|发自我的\s?\w+|從我的\s?\w+\s?傳送)"
    rf"{_LINK}\.?$",
    re.IGNORECASE,
)

# A rule drawn with one repeated character: Outlook's `____`, Japanese
# signature frames `━━━━`, `-----`, `=====` (replies/outlook-jp-sashidashinin-block).
_RULE = re.compile(r"^\s*([-_=*~#━─═＿－])\1{7,}\s*$")

_EMAIL = re.compile(r"^[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+$")
_PHONE = re.compile(
    r"^(?:(?:tel|phone|mobile|mob|cell|fax|tél|телефон|携帯|電話)\.?\s*[:：]?\s*)?"
    r"\+?[\d()][\d\s().\-/]{6,}\d$",
    re.IGNORECASE,
)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


def is_quoted(line: str) -> bool:
    """True for a line quoted with `>` (with or without the space after it)."""
    return _QUOTED.match(line) is not None


def is_blank(line: str) -> bool:
    return not line.strip()


def is_original_message_rule(line: str) -> bool:
    """True for `-----Original Message-----` and its spellings in other clients and languages."""
    return _ORIGINAL_MESSAGE.match(line) is not None


def is_forward_marker(line: str) -> bool:
    """True for "-------- Forwarded Message --------", "Begin forwarded message:" and their translations."""
    return _FORWARD_MARKER.match(line) is not None


def is_signature_delimiter(line: str) -> bool:
    """True for the `-- ` line (RFC 3676 §4.3) and the `--` that clients trim it to."""
    return line.strip() == "--"


def is_mobile_footer(line: str) -> bool:
    """True for "Sent from my iPhone", "Get Outlook for iOS", "iPhoneから送信" and the like."""
    return _MOBILE_FOOTER.match(line.strip()) is not None


def is_rule(line: str) -> bool:
    return _RULE.match(line) is not None


def attribution_length(lines: Sequence[str], start: int) -> int:
    """How many lines from `start` form an attribution ("On … wrote:"), or 0 if none does."""
    first = lines[start].strip()
    if not first or is_quoted(lines[start]):
        return 0
    for count in range(1, MAX_ATTRIBUTION_LINES + 1):
        if start + count > len(lines):
            return 0
        block = lines[start : start + count]
        if count > 1 and (is_blank(block[-1]) or is_quoted(block[-1])):
            return 0
        joined = " ".join(line.strip() for line in block)
        if len(joined) > MAX_ATTRIBUTION_CHARS:
            return 0
        if count > 1 and not _ATTRIBUTION_OPENING.match(first):
            return 0
        if _is_attribution(joined):
            return count
    return 0


def _is_attribution(text: str) -> bool:
    return bool(
        _ATTRIBUTION_END.search(text)
        or _ATTRIBUTION_VERB_FIRST.match(text)
        or _ATTRIBUTION_QUOTING.match(text)
        or _ATTRIBUTION_DATE_ADDRESS.match(text)
    )


def is_certain_attribution(lines: Sequence[str]) -> bool:
    """True when an attribution's lines name a time, a year or an address."""
    return _ATTRIBUTION_EVIDENCE.search(" ".join(lines)) is not None


def header_label(line: str) -> str | None:
    """The lower-cased label of a header line such as `From:`, `*Sent:*` or `差出人:`, or None."""
    match = _HEADER_LABEL.match(line)
    return match.group("label").lower() if match else None


def starts_header_block(lines: Sequence[str], start: int) -> bool:
    """True when `start` opens a From/Sent/To/Subject block (in any order, any language).

    Outlook, Windows Mail, Yahoo and web.de write the quoted message's headers
    as plain lines. One label line proves nothing ("To: the team" in prose), so
    a block needs a From label and at least two other labels, one per line,
    where a wrapped value may take one more line.
    """
    label = header_label(lines[start])
    if label is None:
        return False
    labels = {label}
    continuation = 0
    for line in lines[start + 1 : start + HEADER_BLOCK_WINDOW_LINES]:
        if is_blank(line) or is_quoted(line):
            break
        found = header_label(line)
        if found is None:
            continuation += 1
            if continuation > 1:
                break
            continue
        continuation = 0
        labels.add(found)
    has_from = any(_FROM_LABEL.match(name) for name in labels)
    return has_from and len(labels) >= MIN_HEADER_BLOCK_LABELS


def is_contact_line(line: str) -> bool:
    """True for a line that is only an address, a phone number or a web address."""
    text = line.strip()
    return bool(_EMAIL.match(text) or _PHONE.match(text) or _URL.match(text))
