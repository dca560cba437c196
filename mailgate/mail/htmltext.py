"""Turn an HTML mail body into the plain text a reader sees.

Input: the decoded HTML. Output: text with no markup, scripts or styles, link
text kept, line breaks where blocks end. Also finds the charset an HTML part
declares in its own <meta>. Pure: no I/O. (Not `html.py`: that name belongs
to the standard library.)
"""

from __future__ import annotations

import html
import re
from typing import Final

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

# The strict profile: blocks end lines without the relaxed profile's padding
# spaces, which would otherwise indent every <div> of Gmail and Apple Mail.
_CONFIG: Final = ParserConfig(css=CSS_PROFILES["strict"])
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
_DROPPED: Final = re.compile(r"<(script|style|head)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG: Final = re.compile(r"<[^>]*>")


def html_to_text(markup: str) -> str:
    """The readable text of `markup`; falls back to stripping tags if the parser gives up."""
    if not markup.strip():
        return ""
    # lxml refuses a str that still carries an XML encoding declaration.
    markup = _XML_DECLARATION.sub("", markup)
    try:
        text: str = get_text(markup, _CONFIG)
    # lxml raises its own error classes for markup it cannot read; a body that
    # defeats the parser still has text worth showing, so strip tags instead.
    except Exception:  # noqa: BLE001
        text = html.unescape(_TAG.sub(" ", _DROPPED.sub(" ", markup)))
    return text.replace("\xa0", " ")


def declared_charset(data: bytes) -> str | None:
    """The charset named by `<meta charset>` or `<meta http-equiv>` near the top, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None
