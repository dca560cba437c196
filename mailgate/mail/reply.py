"""Keep only what a reader sees as the new reply: no quoted history, no signature.

Input: the readable text of a message (`ParsedMessage.text`) and its HTML body
when it has one. Output: the new text, as stored for a ticket's reply; the
full original stays in the raw store. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from mailgate.mail import quotes
from mailgate.mail.htmltext import html_to_text

# A signature or a footer is a few lines under the text; a "--" with more than
# this many lines after it is a separator the sender typed, not a signature.
MAX_SIGNATURE_LINES = 20
# A signature framed by rules ("━━━━" / name, company, phone / "━━━━"), as
# Japanese business mail signs, has at most this many lines inside the frame.
MAX_FRAMED_SIGNATURE_LINES = 10
# A contact block ("Gina X / gina@… / (555) 346-9947 / www.…") without a
# delimiter: short lines, at least two of them an address, a phone or a URL
# (replies/corporate-signature-without-dashes). A sign-off ("Best regards,"
# and a name) has none and stays.
MAX_CONTACT_BLOCK_LINES = 6
MAX_CONTACT_LINE_CHARS = 50
MIN_CONTACT_LINES = 2

_WHITESPACE = re.compile(r"[ \t\r\n\f]+")
_NO_WHITESPACE = re.compile(r"\s+")


def visible_text(text: str, html: str | None = None) -> str:
    """The new text of a reply, without quoted history or signature.

    A plain part, when the sender's client wrote one, is the text the sender
    saw and wins. When `text` is only the HTML turned into text, the HTML's own
    quote containers (Gmail's `gmail_quote`, Thunderbird's `blockquote
    type=cite`, web.de's `div name=quote`…) are cut before the text heuristics
    run, because markup says where the quote is more surely than text does.
    """
    # Gmail wraps a forward in the same div.gmail_quote as a quote, so a
    # message that forwards is read from its text, where the two differ.
    forwards = any(quotes.is_forward_marker(line) for line in text.splitlines())
    if html and not forwards and _is_rendered_from(text, html):
        rendered = _render_html(html)
        if rendered.strip():
            return _strip_history(rendered)
    return _strip_history(text)


def _is_rendered_from(text: str, html: str) -> bool:
    """True when `text` is the HTML body turned into text, not a plain part of its own.

    Compared without whitespace, so that how `parse_message` lays out lines
    does not matter, only which words it found.
    """
    if not text.strip():
        return True
    flat_text = _NO_WHITESPACE.sub("", text)
    flat_html = _NO_WHITESPACE.sub("", html_to_text(html))
    return flat_text == flat_html


def _strip_history(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # A forwarded message is what the sender passes on, not history of this
    # thread: it is kept whole, headers included, under the sender's own text,
    # unless it lies inside history that was already cut.
    forward = next((index for index, line in enumerate(lines) if quotes.is_forward_marker(line)), None)
    own, history_began = _drop_quotes(lines if forward is None else lines[:forward])
    kept = _drop_signature(own)
    if forward is not None and not history_began:
        kept = [*kept, "", *lines[forward:]]
    return _tidy(kept)


def _drop_quotes(lines: list[str]) -> tuple[list[str], bool]:
    """The lines before the quoted history begins, less any `>` quotes; and whether history began.

    A quote introduced by an attribution is dropped with its attribution, and
    the text under it is kept: bottom-posting and inline answers between quotes
    are new text. History that is not `>`-quoted (Outlook's header block, an
    "Original Message" rule, an attribution over unquoted text) runs to the end
    of the message, so everything from it on is dropped.
    """
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if quotes.is_quoted(line):
            index += 1
            continue
        if quotes.is_original_message_rule(line) or quotes.starts_header_block(lines, index):
            return kept, True
        length = quotes.attribution_length(lines, index)
        if length:
            after = index + length
            while after < len(lines) and quotes.is_blank(lines[after]):
                after += 1
            if after < len(lines) and quotes.is_quoted(lines[after]):
                index = after
                continue
            if quotes.is_certain_attribution(lines[index:after]):
                return kept, True
        kept.append(line)
        index += 1
    return kept, False


def _drop_signature(lines: list[str]) -> list[str]:
    lines = _drop_delimited_signature(lines)
    lines = _strip_trailing_blanks(lines)
    lines = _drop_framed_signature(lines)
    lines = _drop_contact_block(lines)
    # Outlook's rule above its header block stays behind once the block is cut.
    while lines and (quotes.is_blank(lines[-1]) or quotes.is_rule(lines[-1])):
        lines.pop()
    return lines


def _drop_delimited_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if not (quotes.is_signature_delimiter(line) or quotes.is_mobile_footer(line)):
            continue
        rest = [after for after in lines[index + 1 :] if not quotes.is_blank(after)]
        if len(rest) <= MAX_SIGNATURE_LINES:
            return lines[:index]
    return lines


def _drop_framed_signature(lines: list[str]) -> list[str]:
    if not lines or not quotes.is_rule(lines[-1]):
        return lines
    bottom = len(lines) - 1
    for top in range(bottom - 1, max(-1, bottom - MAX_FRAMED_SIGNATURE_LINES - 2), -1):
        if quotes.is_blank(lines[top]):
            return lines
        if quotes.is_rule(lines[top]):
            return lines[:top] if top > 0 else lines
    return lines


def _drop_contact_block(lines: list[str]) -> list[str]:
    """Drop a last paragraph that is a name and contact details, as corporate signatures are."""
    start = len(lines)
    while start > 0 and not quotes.is_blank(lines[start - 1]):
        start -= 1
    block = lines[start:]
    if start == 0 or not block or len(block) > MAX_CONTACT_BLOCK_LINES:
        return lines
    if any(len(line.strip()) > MAX_CONTACT_LINE_CHARS for line in block):
        return lines
    if sum(quotes.is_contact_line(line) for line in block) < MIN_CONTACT_LINES:
        return lines
    return lines[:start]


def _strip_trailing_blanks(lines: list[str]) -> list[str]:
    end = len(lines)
    while end > 0 and quotes.is_blank(lines[end - 1]):
        end -= 1
    return lines[:end]


def _tidy(lines: list[str]) -> str:
    """Join the lines, trailing spaces and runs of blank lines removed."""
    out: list[str] = []
    for line in lines:
        clean = line.rstrip()
        if not clean and (not out or not out[-1]):
            continue
        out.append(clean)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# Elements that start a new line.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "ul",
    ]
)
# Elements a browser puts a blank line around.
_PARAGRAPH_TAGS = frozenset(["p", "h1", "h2", "h3", "h4", "h5", "h6"])
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
_HIDDEN_TAGS = frozenset(["head", "script", "style", "template", "title", "noscript"])
_CELL_TAGS = frozenset({"td", "th"})

# Classes that hold quoted history or a signature, by client: Gmail
# (`gmail_quote`, `gmail_signature`), Thunderbird (`moz-cite-prefix`,
# `moz-signature`), Yahoo (`yahoo_quoted`), Proton (`protonmail_quote`).
# Outlook on the web prefixes copied classes with `x_`.
_QUOTE_CLASSES = frozenset(
    [
        "gmail_quote",
        "gmail_quote_container",
        "gmail_attr",
        "gmail_signature",
        "gmail_signature_prefix",
        "moz-cite-prefix",
        "moz-signature",
        "yahoo_quoted",
        "protonmail_quote",
        "protonmail_signature_block",
    ]
)
# Ids after which Outlook (desktop and web) and Zimbra put only the quoted message.
_HISTORY_IDS = frozenset({"divrplyfwdmsg", "appendonsend", "zwchr", "stopspelling"})


def _is_quote_container(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag == "blockquote" and (attrs.get("type") or "").lower() == "cite":
        return True
    # web.de and GMX wrap the quote in <div name="quote">.
    if (attrs.get("name") or "").lower() == "quote":
        return True
    # Windows Mail's signature block.
    if (attrs.get("data-signatureblock") or "").lower() == "true":
        return True
    classes = (attrs.get("class") or "").lower().split()
    return any(name.removeprefix("x_") in _QUOTE_CLASSES for name in classes)


def _starts_history(attrs: dict[str, str | None]) -> bool:
    return (attrs.get("id") or "").lower().removeprefix("x_") in _HISTORY_IDS


def _is_one_line_paragraph(attrs: dict[str, str | None]) -> bool:
    # Word-generated mail styles p.MsoNormal with margin 0: one line each.
    return "msonormal" in (attrs.get("class") or "").lower().split()


class _HtmlText(HTMLParser):
    """Renders HTML as a reader sees it, minus quote containers and what follows history.

    `<div>` and `<br>` break lines; paragraphs other than Outlook's zero-margin
    `MsoNormal` ones are set apart by a blank line.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._out: list[str] = []
        self._open: list[tuple[str, bool]] = []
        self._skip_depth: int | None = None
        self._pre_depth = 0
        self._list_counters: list[int | None] = []
        self._line_has_text = False
        self._blank_pending = False
        self._stopped = False

    @property
    def text(self) -> str:
        return "".join(self._out)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        attributes = dict(attrs)
        if self._skip_depth is None and _starts_history(attributes):
            self._stopped = True
            return
        if tag in _VOID_TAGS:
            if self._skip_depth is None:
                self._void(tag)
            return
        if tag == "body" and self._open and self._open[-1][0] == "head":
            # A <head> left open ends where <body> begins.
            self.handle_endtag("head")
        paragraph = tag in _PARAGRAPH_TAGS and not _is_one_line_paragraph(attributes)
        self._open.append((tag, paragraph))
        if self._skip_depth is not None:
            return
        if tag in _HIDDEN_TAGS or _is_quote_container(tag, attributes):
            self._skip_depth = len(self._open) - 1
            return
        self._enter(tag, paragraph)

    def handle_endtag(self, tag: str) -> None:
        if self._stopped or tag in _VOID_TAGS:
            return
        if all(name != tag for name, _ in self._open):
            return
        while self._open:
            name, paragraph = self._open.pop()
            if self._skip_depth is not None:
                if len(self._open) == self._skip_depth:
                    self._skip_depth = None
                    self._newline()
            else:
                self._leave(name, paragraph)
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._stopped or self._skip_depth is not None:
            return
        if self._pre_depth:
            self._write(data)
            return
        collapsed = _WHITESPACE.sub(" ", data)
        if not self._line_has_text:
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self._write(collapsed)

    def _void(self, tag: str) -> None:
        if tag == "br":
            self._out.append("\n")
            self._line_has_text = False
        elif tag == "hr":
            self._newline()

    def _enter(self, tag: str, paragraph: bool) -> None:
        if tag in _BLOCK_TAGS:
            self._newline()
        if paragraph:
            self._blank_pending = True
        if tag == "pre":
            self._pre_depth += 1
        elif tag in ("ul", "ol"):
            self._list_counters.append(0 if tag == "ol" else None)
        elif tag == "li":
            self._write(self._bullet())
        elif tag in _CELL_TAGS and self._line_has_text:
            self._write(" ")

    def _leave(self, tag: str, paragraph: bool) -> None:
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        elif tag in ("ul", "ol") and self._list_counters:
            self._list_counters.pop()
        if tag in _BLOCK_TAGS:
            self._newline()
        if paragraph:
            self._blank_pending = True

    def _bullet(self) -> str:
        if not self._list_counters or self._list_counters[-1] is None:
            return "* "
        self._list_counters[-1] += 1
        return f"{self._list_counters[-1]}. "

    def _newline(self) -> None:
        if self._line_has_text:
            self._out.append("\n")
            self._line_has_text = False

    def _write(self, text: str) -> None:
        if self._blank_pending and self._out:
            self._newline()
            self._out.append("\n")
        self._blank_pending = False
        self._out.append(text)
        self._line_has_text = not text.endswith("\n")


def _render_html(html: str) -> str:
    renderer = _HtmlText()
    renderer.feed(html)
    renderer.close()
    return renderer.text
