"""Parse raw RFC 5322 bytes into a `ParsedMessage`.

Input: the exact bytes received. Output: decoded headers, addresses, the
readable text (text/plain, or HTML turned into text), attachment metadata and
the defects found. Pure: no I/O, no clock; never raises for malformed mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.errors import MessageError
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_tz
from typing import Final

from mailgate.mail.charsets import decode_header_bytes, decode_text, unfold
from mailgate.mail.htmltext import declared_charset, html_to_text


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: `address` is the lower-cased addr-spec, `name` the decoded display name."""

    address: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    message_id: str | None
    """The Message-ID with its angle brackets, e.g. `<abc@host>`; None when absent."""
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str | None
    """Decoded and unfolded, exactly as the sender wrote it (prefixes kept)."""
    from_: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    headers: tuple[tuple[str, str], ...]
    """Every header as (lower-case name, decoded unfolded value), in order."""
    text: str
    """The readable text of the body."""
    html: str | None
    """The HTML body as sent (unsanitised), when there is one."""
    attachments: tuple[Attachment, ...]
    content_type: str
    """The top-level content type, lower-case (`multipart/report`)."""
    embedded_message_ids: tuple[str, ...] = ()
    """Message-IDs of messages carried inside (message/rfc822, text/rfc822-headers):
    what a DSN reports on."""
    defects: tuple[str, ...] = field(default=())

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)

    def header_values(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse `raw` as well as it can be parsed; record what was wrong in `defects`."""
    defects: list[str] = []
    root = _Part.of(_parse_tree(raw, defects))
    hint = _header_charset_hint(root)
    headers = tuple((name.strip().lower(), _header_text(value, hint, defects)) for name, value in root.items)
    body = _read_body(root, hint, defects)
    embedded = _embedded_message_ids(root, body.text, defects)
    for part in root.walk():
        defects.extend(type(defect).__name__ for defect in part.message.defects)
        if part.too_deep:
            defects.append("nesting-too-deep")
    first = root.first
    return ParsedMessage(
        message_id=_message_id(first.get("message-id"), defects),
        in_reply_to=_msg_ids(first.get("in-reply-to")),
        references=_msg_ids(first.get("references")),
        subject=next((value for key, value in headers if key == "subject"), None),
        from_=next(iter(_addresses(first.get("from"), hint, defects)), None),
        reply_to=_addresses(first.get("reply-to"), hint, defects),
        to=_addresses(first.get("to"), hint, defects),
        cc=_addresses(first.get("cc"), hint, defects),
        date=_date(first.get("date"), defects),
        headers=headers,
        text=body.text,
        html=body.html,
        attachments=body.attachments,
        content_type=root.ctype,
        embedded_message_ids=embedded,
        defects=tuple(dict.fromkeys(defects)),
    )


# The stdlib parser builds the MIME tree and finds boundaries, and with
# compat32 it keeps every header as the raw bytes received (8-bit bytes as
# surrogates); all decoding is done here, where the charsets are known.
_PARSER: Final = BytesParser(policy=compat32)

# What the email package raises on input it cannot make sense of. parse_message
# promises never to raise for malformed mail, so each step that hands hostile
# input to the stdlib catches these and records a defect instead.
_MALFORMED: Final = (ValueError, LookupError, TypeError, IndexError, AttributeError, MessageError)


def _parse_tree(raw: bytes, defects: list[str]) -> Message:
    try:
        return _PARSER.parsebytes(raw)
    except RecursionError:
        # The feedparser recurses once per nesting level; hundreds of nested
        # multiparts (a mail bomb, or a loop of forwards) exhaust the stack.
        # Keep the headers and show the body as it came.
        defects.append("nesting-too-deep")
    except _MALFORMED as exc:
        defects.append(f"unparseable:{type(exc).__name__}")
    try:
        return _PARSER.parsebytes(raw, headersonly=True)
    except (*_MALFORMED, RecursionError):
        return Message()


def _header_text(value: str, hint: str | None, defects: list[str]) -> str:
    if value.isascii() and "=?" not in value and "\n" not in value and "\x00" not in value:
        return value  # most headers: nothing to unfold or decode
    return decode_header_bytes(_raw_bytes(value), hint, defects).replace("\x00", "")


def _raw_bytes(value: str) -> bytes:
    # The parser read the bytes as ASCII with surrogateescape: this is the inverse.
    return value.encode("utf-8", "surrogateescape")


# --- parameters (Content-Type, Content-Disposition) ---------------------------

_PARAM: Final = re.compile(r"""\s*([^\s=;"]+)\s*(?:=\s*("(?:\\.|[^"\\])*(?:"|$)|[^;]*))?\s*(?:;|$)""", re.S)
_SECTION: Final = re.compile(r"^(?P<base>[^*]+)(?:\*(?P<num>\d+))?(?P<star>\*)?$")
_PERCENT: Final = re.compile(rb"%([0-9A-Fa-f]{2})")
_QUOTED_PAIR: Final = re.compile(r"\\(.)", re.S)


@dataclass(frozen=True, slots=True)
class _Header:
    """A structured header split into its value and its parameters (still raw bytes)."""

    value: str
    params: dict[str, bytes]
    extended: dict[str, tuple[str | None, bytes]]
    """RFC 2231 parameters: charset and the joined bytes of all their sections."""

    def has(self, name: str) -> bool:
        return name in self.params or name in self.extended

    def text(self, name: str, hint: str | None, defects: list[str]) -> str | None:
        if name in self.extended:
            charset, data = self.extended[name]
            return decode_text(data, charset or hint, defects)
        if name in self.params:
            # Gmail and Outlook put RFC 2047 encoded words inside quoted
            # parameters (name="=?ISO-2022-JP?B?...?="); phones send raw 8-bit.
            return decode_header_bytes(self.params[name], hint, defects)
        return None


_NO_HEADER: Final = _Header("", {}, {})


def _parse_header(raw: str | None) -> _Header:
    if raw is None:
        return _NO_HEADER
    data = unfold(_raw_bytes(raw)).decode("utf-8", "surrogateescape")
    value, _, rest = data.partition(";")
    params: dict[str, bytes] = {}
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    for match in _PARAM.finditer(rest):
        name, quoted = match.group(1).lower(), match.group(2) or ""
        if quoted.startswith('"'):
            quoted = _QUOTED_PAIR.sub(r"\1", quoted[1:].removesuffix('"'))
        else:
            quoted = quoted.strip()
        section = _SECTION.match(name)
        if section is None or (section["num"] is None and section["star"] is None):
            params.setdefault(name, _raw_bytes(quoted))
            continue
        number = int(section["num"] or 0)
        sections.setdefault(section["base"], []).append((number, bool(section["star"]), quoted))
    extended: dict[str, tuple[str | None, bytes]] = {}
    for base, parts in sections.items():
        # RFC 2231 3-4: join the bytes of every section before decoding; senders
        # cut sections inside multibyte characters.
        parts.sort(key=lambda section: section[0])
        charset: str | None = None
        chunks: list[bytes] = []
        for index, (_number, encoded, text) in enumerate(parts):
            if encoded and index == 0 and text.count("'") >= 2:
                charset_text, _language, text = text.split("'", 2)
                charset = charset_text or None
            chunk = _raw_bytes(text)
            chunks.append(_PERCENT.sub(lambda m: bytes([int(m[1], 16)]), chunk) if encoded else chunk)
        extended[base] = (charset, b"".join(chunks))
    return _Header(value.strip().lower(), params, extended)


# --- the MIME tree ---------------------------------------------------------------

_TOKEN_TYPE: Final = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+")
_MESSAGE_TYPES: Final = frozenset({"message/rfc822", "message/global"})
# Real mail nests a few levels (a forward of a reply with an inline image);
# below this the tree is not read, which keeps every walk well off the stack limit.
_MAX_DEPTH: Final = 40


@dataclass(slots=True)
class _Part:
    """One node of the parsed tree with the headers this module reads, parsed once."""

    message: Message
    items: list[tuple[str, str]]
    first: dict[str, str]
    ctype: str
    content_type: _Header
    disposition: _Header
    children: list[_Part]
    """Sub-parts of a multipart, or the message carried by a message/rfc822 part."""
    too_deep: bool = False
    """Sub-parts exist but lie below _MAX_DEPTH and were not read."""

    @classmethod
    def of(cls, message: Message, default_type: str = "text/plain", depth: int = 0) -> _Part:
        items = [(str(name), str(value)) for name, value in message.raw_items()]
        first: dict[str, str] = {}
        for name, value in items:
            first.setdefault(name.strip().lower(), value)
        content_type = _parse_header(first.get("content-type"))
        ctype = content_type.value
        if not _TOKEN_TYPE.fullmatch(ctype):
            # RFC 2045 5.2: a missing or unreadable Content-Type is text/plain
            # (message/rfc822 inside multipart/digest, RFC 2046 5.1.5).
            ctype = default_type
        # Only a multipart's payload is asked for: get_payload() on a str payload
        # decodes it with the declared charset, which may be any garbage.
        payload = message.get_payload() if message.is_multipart() else None
        children: list[_Part] = []
        if isinstance(payload, list) and depth < _MAX_DEPTH:
            inner_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
            children = [cls.of(sub, inner_default, depth + 1) for sub in payload if isinstance(sub, Message)]
        return cls(
            message=message,
            items=items,
            first=first,
            ctype=ctype,
            content_type=content_type,
            disposition=_parse_header(first.get("content-disposition")),
            children=children,
            too_deep=isinstance(payload, list) and depth >= _MAX_DEPTH,
        )

    def walk(self) -> list[_Part]:
        """This part and every part below it, in document order."""
        found: list[_Part] = []
        stack = [self]
        while stack:
            part = stack.pop()
            found.append(part)
            stack.extend(reversed(part.children))
        return found

    @property
    def is_multipart(self) -> bool:
        # A multipart whose boundary was missing has a str payload: it is a leaf.
        return self.ctype.startswith("multipart/") and self.message.is_multipart()

    @property
    def has_filename(self) -> bool:
        return self.disposition.has("filename") or self.content_type.has("name")

    @property
    def content_id(self) -> str | None:
        return self.first.get("content-id", "").strip().strip("<>") or None

    @property
    def charset(self) -> str | None:
        raw = self.content_type.params.get("charset")
        return raw.decode("utf-8", "replace") if raw else None

    def filename(self, hint: str | None, defects: list[str]) -> str | None:
        name = self.disposition.text("filename", hint, defects)
        if name is None:
            name = self.content_type.text("name", hint, defects)
        return name or None

    def payload(self) -> bytes:
        """The decoded (base64, quoted-printable) bytes of a leaf part."""
        try:
            payload = self.message.get_payload(decode=True)
        except _MALFORMED:
            payload = None
        return payload if isinstance(payload, bytes) else b""


# --- body and attachments ------------------------------------------------------

# text/* subtypes that are documents to keep, not something to read as the body.
_NOT_BODY_TEXT: Final = frozenset(
    {"html", "rfc822-headers", "calendar", "vcard", "x-vcard", "directory", "csv", "xml",
     "css", "javascript", "x-patch", "x-diff", "enriched", "richtext"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Body:
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]


def _is_readable(part: _Part, want: str) -> bool:
    """Whether leaf `part` is body text of kind `want` ("plain" or "html"), not a file."""
    ctype = part.ctype
    if ctype.startswith("multipart/"):
        # A multipart without a usable boundary is one block of text.
        readable = want == "plain"
    elif want == "html":
        readable = ctype == "text/html"
    else:
        # RFC 2046 4.1.4: an unknown text subtype is read as text/plain.
        readable = ctype.startswith("text/") and ctype[5:] not in _NOT_BODY_TEXT
    return readable and part.disposition.value != "attachment" and not part.has_filename


def _readable_parts(part: _Part, want: str) -> list[_Part]:
    """The parts a mail client would show as the body, preferring `want`."""
    if not part.is_multipart:
        return [part] if _is_readable(part, want) else []
    if part.ctype == "multipart/alternative":
        # Take the first alternative that has the wanted kind, wherever it sits:
        # the plain text is preferred even where HTML comes last (RFC 2046 5.1.4).
        for child in part.children:
            found = _readable_parts(child, want)
            if found:
                return found
        return []
    if part.ctype == "multipart/related" and part.children:
        return _readable_parts(_related_root(part), want)
    found = []
    for child in part.children:
        found.extend(_readable_parts(child, want))
    return found


def _related_root(part: _Part) -> _Part:
    start = part.content_type.params.get("start")
    if start:
        wanted = start.decode("utf-8", "replace").strip().strip("<>")
        for child in part.children:
            if child.content_id == wanted:
                return child
    return part.children[0]


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # NUL is no character of any text, and PostgreSQL refuses it in text columns.
    return text.replace("\x00", "") if "\x00" in text else text


def _part_text(part: _Part, defects: list[str]) -> str:
    text = _normalise_newlines(decode_text(part.payload(), part.charset, defects))
    if part.content_type.params.get("format", b"").lower() == b"flowed":
        delsp = part.content_type.params.get("delsp", b"").lower() == b"yes"
        text = unflow(text, delete_space=delsp)
    return text


def _part_html(part: _Part, defects: list[str]) -> str:
    data = part.payload()
    return _normalise_newlines(decode_text(data, part.charset or declared_charset(data), defects))


def _join(texts: list[str]) -> str:
    if len(texts) == 1:
        return texts[0]
    return "\n".join(text if text.endswith("\n") else text + "\n" for text in texts if text)


def _read_body(root: _Part, hint: str | None, defects: list[str]) -> _Body:
    plain = _readable_parts(root, "plain")
    html_parts = _readable_parts(root, "html")
    html = _join([_part_html(part, defects) for part in html_parts]) if html_parts else None
    if plain:
        text = _join([_part_text(part, defects) for part in plain])
        chosen = plain
    elif html is not None:
        text = _normalise_newlines(html_to_text(html))
        chosen = html_parts
    else:
        text, chosen = "", []
    attachments = tuple(_attachments(root, {id(part) for part in chosen}, hint, defects))
    return _Body(text=text, html=html, attachments=attachments)


def _attachments(part: _Part, chosen: set[int], hint: str | None, defects: list[str]) -> list[Attachment]:
    if part.is_multipart:
        found: list[Attachment] = []
        for child in part.children:
            found.extend(_attachments(child, chosen, hint, defects))
        return found
    if id(part) in chosen:
        return []
    disposition = part.disposition.value
    if not part.has_filename and disposition != "attachment" and part.ctype not in _MESSAGE_TYPES:
        return []
    content_id = part.content_id
    return [
        Attachment(
            filename=part.filename(hint, defects),
            content_type=part.ctype,
            size=_size(part),
            inline=disposition == "inline" or (not disposition and content_id is not None),
            content_id=content_id,
        )
    ]


def _size(part: _Part) -> int:
    if part.message.is_multipart():
        # message/rfc822: the parser has already split it; its size is that of
        # the message as it would be written out again.
        try:
            return sum(len(child.message.as_bytes()) for child in part.children)
        except (*_MALFORMED, RecursionError):
            return 0
    return len(part.payload())


# --- format=flowed -------------------------------------------------------------


def unflow(text: str, *, delete_space: bool = False) -> str:
    """RFC 3676: join soft-broken lines (those ending in a space) of the same quote depth."""
    out: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (4.4)
        if current is not None and depth != current_depth:
            out.append(_quoted(current, current_depth))
            current = None
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delete_space:
            content = content[:-1]
        current = content if current is None else current + content
        current_depth = depth
        if not flowed:
            out.append(_quoted(current, depth))
            current = None
    if current is not None:
        out.append(_quoted(current, current_depth))
    return "\n".join(out)


def _quoted(line: str, depth: int) -> str:
    return f"{'>' * depth} {line}" if depth else line


# --- addresses, ids, dates -------------------------------------------------------

_MSG_ID: Final = re.compile(r"<[^<>\s]+>")
_BAD_ADDRESS: Final = re.compile(r"[\s<>()\[\]:;,\"]")
_SPACES: Final = re.compile(r"\s+")
_ADDR_SPEC: Final = r"[^\s<>()\[\]:;,\"@]+@[^\s<>()\[\]:;,\"@]+"
_SIMPLE_MAILBOX_PATTERN: Final = (
    rf"""\s*(?:(?P<bare>{_ADDR_SPEC})|(?:"(?P<quoted>[^"\\]*)"|(?P<phrase>[^<>()\[\]:;,"@\\]*?))"""
    rf"""\s*<(?P<address>{_ADDR_SPEC})>)\s*"""
)
_SIMPLE_MAILBOX: Final = re.compile(_SIMPLE_MAILBOX_PATTERN)
_UNNAMED_MAILBOX: Final = re.sub(r"\?P<\w+>", "?:", _SIMPLE_MAILBOX_PATTERN)
_SIMPLE_MAILBOXES: Final = re.compile(rf"{_UNNAMED_MAILBOX}(?:,{_UNNAMED_MAILBOX})*")


def _header_charset_hint(root: _Part) -> str | None:
    """The charset of the first text part: what raw 8-bit header bytes most likely are."""
    stack = [root]
    while stack:
        part = stack.pop(0)
        if part.is_multipart:
            stack[0:0] = part.children
        elif part.ctype.startswith("text/"):
            return part.charset
    return None


def _addresses(raw: str | None, hint: str | None, defects: list[str]) -> tuple[Address, ...]:
    if raw is None:
        return ()
    value = unfold(_raw_bytes(raw)).decode("utf-8", "surrogateescape")
    if _SIMPLE_MAILBOXES.fullmatch(value):
        # The common shapes (`addr`, `Name <addr>`, `"Name" <addr>`, and lists of
        # them) need none of getaddresses' care for comments, routes and groups.
        pairs = [
            (match["quoted"] or " ".join((match["phrase"] or "").split()), match["address"] or match["bare"])
            for match in _SIMPLE_MAILBOX.finditer(value)
        ]
    else:
        try:
            pairs = getaddresses([value])
        except _MALFORMED:
            defects.append("unparseable-address-header")
            return ()
    # A name that getaddresses took from a comment (`addr (Mail Delivery System)`)
    # is not a display name (RFC 5322 3.4): only `name <addr>` gives one.
    bracketed = _SPACES.sub("", value).lower()
    found: list[Address] = []
    for raw_name, raw_address in pairs:
        address = decode_header_bytes(_raw_bytes(raw_address.strip()), None, defects).lower()
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain or _BAD_ADDRESS.search(address):
            if raw_address or raw_name:
                defects.append("invalid-address")
            continue
        if f"<{raw_address.strip().lower()}>" not in bracketed:
            raw_name = ""
        name = decode_header_bytes(_raw_bytes(raw_name), hint, defects).strip()
        # Outlook writes 'Display Name' in single quotes; they are not part of the name.
        if len(name) > 1 and name[0] == name[-1] == "'":
            name = name[1:-1].strip()
        found.append(Address(address=address, name=name or None))
    return tuple(found)


def _msg_ids(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    return tuple(dict.fromkeys(_MSG_ID.findall(raw)))


def _message_id(raw: str | None, defects: list[str]) -> str | None:
    if raw is None:
        return None
    ids = _MSG_ID.findall(raw)
    if ids:
        return str(ids[0])
    bare = raw.strip()
    if bare and not any(char.isspace() for char in bare) and bare.isascii():
        defects.append("message-id-without-brackets")
        return f"<{bare.strip('<>')}>"
    if bare:
        defects.append("invalid-message-id")
    return None


def _date(raw: str | None, defects: list[str]) -> datetime | None:
    if raw is None:
        return None
    value = unfold(_raw_bytes(raw)).decode("ascii", "replace")
    try:
        parts = parsedate_tz(value)
        if parts is None:
            defects.append("invalid-date")
            return None
        offset = parts[9] or 0  # -0000 (RFC 5322 3.3: zone unknown) is read as UTC
        return datetime(*parts[:6], tzinfo=timezone(timedelta(seconds=offset)))
    except (*_MALFORMED, OverflowError):
        defects.append("invalid-date")
        return None


# --- message-ids of returned messages ----------------------------------------------

_HEADER_MESSAGE_ID: Final = re.compile(r"^Message-ID:[ \t]*\r?\n?[ \t]*(<[^<>\s]+>)", re.I | re.M)
# Plain-text bounces (qmail, Exchange 2003, Japanese carriers) paste the
# original's headers indented or quoted under a separator line.
_QUOTED_MESSAGE_ID: Final = re.compile(r"^[ \t>|]*Message-ID:[ \t]*\n?[ \t>|]*(<[^<>\s]+>)", re.I | re.M)
_HEADERS_TYPES: Final = frozenset({"text/rfc822-headers", "message/global-headers"})


def _embedded_message_ids(root: _Part, text: str, defects: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    stack = [root]
    while stack:
        part = stack.pop(0)
        if part.ctype in _MESSAGE_TYPES:
            for inner in part.children:
                found.extend(_msg_ids(inner.first.get("message-id"))[:1])
        elif part.ctype in _HEADERS_TYPES:
            headers = decode_text(part.payload(), part.charset, defects)
            found.extend(_HEADER_MESSAGE_ID.findall(headers)[:1])
        elif part.is_multipart:
            stack[0:0] = part.children
    if not found:
        found.extend(_QUOTED_MESSAGE_ID.findall(text))
    return tuple(dict.fromkeys(found))
