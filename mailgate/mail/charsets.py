"""Turn the bytes of mail text into str, whatever the label says.

Input: bytes and the charset label the sender wrote (or none). Output: text,
with every guess or repair appended to the caller's `defects` list. Knows the
habits that the codec registry does not: ISO-2022-JP with the NEC/IBM
extensions (CP50220), Shift_JIS meaning CP932, ISO-8859-1 meaning
Windows-1252, labels that lie, raw 8-bit header bytes. Pure: no I/O.
"""

from __future__ import annotations

import binascii
import codecs
import re
from functools import lru_cache
from typing import Final

JIS: Final = "iso-2022-jp"
"""Our own decoder for the whole ISO-2022-JP family (CP50220 semantics)."""
EUC_JP: Final = "euc-jp"
"""EUC-JP, falling back to the CP51932 (eucJP-ms) NEC rows."""
WEAK_ASCII: Final = "weak-ascii"
"""us-ascii: 8-bit bytes under it are UTF-8 or Windows-1252, never an error."""
WEAK_LATIN1: Final = "weak-latin1"
"""iso-8859-1: Outlook and friends write Windows-1252 under this label."""

_ALIASES: Final[dict[str, str]] = {
    # Japanese: Shift_JIS as written by Windows, Macs and phones is CP932.
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "s-jis": "cp932",
    "shiftjis": "cp932",
    "csshiftjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "ms932": "cp932",
    "x-ms-cp932": "cp932",
    "iso-2022-jp": JIS,
    "csiso2022jp": JIS,
    "iso-2022-jp-1": JIS,
    "iso-2022-jp-2": JIS,
    "iso-2022-jp-3": JIS,
    "iso-2022-jp-2004": JIS,
    "iso-2022-jp-ms": JIS,
    "iso2022jp": JIS,
    "cp50220": JIS,
    "cp50221": JIS,
    "cp50222": JIS,
    "jis": JIS,
    "euc-jp": EUC_JP,
    "eucjp": EUC_JP,
    "x-euc-jp": EUC_JP,
    "euc_jp": EUC_JP,
    "eucjp-ms": EUC_JP,
    "cp51932": EUC_JP,
    "cseucpkdfmtjapanese": EUC_JP,
    # Korean, Chinese: the labels name the old standard, the bytes use the superset.
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "euckr": "cp949",
    "korean": "cp949",
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    # Thai and Hebrew labels the registry does not know.
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso8859_8",
    "iso-8859-8-e": "iso8859_8",
    "iso-8859-6-i": "iso8859_6",
    "iso-8859-6-e": "iso8859_6",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "us-ascii": WEAK_ASCII,
    "ascii": WEAK_ASCII,
    "ansi_x3.4-1968": WEAK_ASCII,
    "iso-8859-1": WEAK_LATIN1,
    "iso8859-1": WEAK_LATIN1,
    "iso_8859-1": WEAK_LATIN1,
    "latin1": WEAK_LATIN1,
    "latin-1": WEAK_LATIN1,
    "l1": WEAK_LATIN1,
    "windows-1252": WEAK_LATIN1,
    "cp1252": WEAK_LATIN1,
}

# Codecs the registry knows that do not turn mail bytes into text.
_UNSAFE_CODECS: Final = frozenset(
    {
        "undefined",
        "unicode_escape",
        "raw_unicode_escape",
        "idna",
        "punycode",
        "mbcs",
        "oem",
        "charmap",
        "unicode_internal",
    }
)


def _windows_1252_table() -> str:
    # The five bytes Windows-1252 leaves undefined keep their ISO-8859-1 meaning,
    # so decoding with this table never fails.
    chars = []
    for byte in range(256):
        try:
            chars.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append(chr(byte))
    return "".join(chars)


_WINDOWS_1252: Final = _windows_1252_table()


def decode_windows_1252(data: bytes) -> str:
    """Windows-1252 that cannot fail: what a label of iso-8859-1 means in practice."""
    return codecs.charmap_decode(data, "strict", _WINDOWS_1252)[0]


@lru_cache(maxsize=256)
def codec_for(label: str) -> str | None:
    """The codec (or one of this module's own names) for a charset label; None when unknown."""
    name = label.strip().strip("\"'").strip().lower()
    if "*" in name:  # RFC 2231 language suffix: utf-8*ja
        name = name.partition("*")[0]
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _UNSAFE_CODECS:
        return None
    if info.name.startswith("iso2022_jp"):
        return JIS
    return _ALIASES.get(info.name.replace("_", "-"), info.name)


_UNPRINTABLE: Final = re.compile(r"[^\x21-\x7e]")


def shown_label(label: str) -> str:
    """A charset label as it may appear in a defect: short, printable ASCII only."""
    return _UNPRINTABLE.sub("?", label.strip().strip("\"'").lower())[:40]


# --- ISO-2022-JP -------------------------------------------------------------

_JIS_SWITCH: Final = re.compile(rb"(\x1b(?:\$[@B]|\$\([@BDOPQ]|\([BJHI]|&@)|[\x0e\x0f])")
_JIS_PAIRS: Final = re.compile(rb"(?:[\x21-\x7e]{2})+")
_JIS_SIGNATURE: Final = re.compile(rb"\x1b(?:\$[@B]|\$\([DOPQ]|\(I)")

_ASCII, _JIS0208, _KANA, _JIS0212, _JIS0213_1, _JIS0213_2 = range(6)
_MODES: Final[dict[bytes, int]] = {
    b"\x1b(B": _ASCII,
    b"\x1b(J": _ASCII,  # JIS X 0201 Roman: mailers mean ASCII (CP50220 does too)
    b"\x1b(H": _ASCII,
    b"\x1b$@": _JIS0208,
    b"\x1b$B": _JIS0208,
    b"\x1b$(@": _JIS0208,
    b"\x1b$(B": _JIS0208,
    b"\x1b(I": _KANA,
    b"\x1b$(D": _JIS0212,
    b"\x1b$(O": _JIS0213_1,
    b"\x1b$(Q": _JIS0213_1,
    b"\x1b$(P": _JIS0213_2,
}


# JIS row byte j1 -> Shift_JIS lead byte: ((j1 + 1) >> 1) + 0x70 (rows 1-62) or + 0xB0.
_SJIS_LEAD: Final = bytes(
    (((b + 1) >> 1) + (0x70 if b <= 0x5E else 0xB0)) & 0xFF if 0x21 <= b <= 0x7E else b for b in range(256)
)
# Shift_JIS trail byte depends on the parity of j1; index = j2 | 0x80 when j1 is odd.
_SJIS_TRAIL: Final = bytes(
    ((b & 0x7F) + (0x1F if (b & 0x7F) <= 0x5F else 0x20)) & 0xFF if b & 0x80 else (b + 0x7E) & 0xFF
    for b in range(256)
)
_ODD_FLAG: Final = bytes(0x80 if b & 1 else 0 for b in range(256))
# JIS 7-bit bytes -> their EUC (and JIS8 katakana) form.
_HIGH_BIT: Final = bytes(b | 0x80 if 0x21 <= b <= 0x7E else b for b in range(256))


def _jis0208_to_text(pairs: bytes) -> str:
    # JIS X 0208 as Shift_JIS, decoded as CP932: the NEC row 13 (①, ㈱, №) and the
    # NEC-selected IBM rows 89-92 (ⅱ, 髙) that phones and Outlook send under a plain
    # iso-2022-jp label come out right, and 0x2141/0x215D become ～/－ as Windows
    # shows them. Whole runs are converted with bytes.translate, not per character.
    n = len(pairs) // 2
    leads = pairs[0::2]
    trails = pairs[1::2]
    odd_rows = int.from_bytes(leads.translate(_ODD_FLAG), "big")
    keys = (odd_rows | int.from_bytes(trails, "big")).to_bytes(n, "big")
    sjis = bytearray(2 * n)
    sjis[0::2] = leads.translate(_SJIS_LEAD)
    sjis[1::2] = keys.translate(_SJIS_TRAIL)
    return bytes(sjis).decode("cp932", "replace")


def _double_byte_run(segment: bytes, mode: int, defects: list[str]) -> str:
    out: list[str] = []
    pos = 0
    for match in _JIS_PAIRS.finditer(segment):
        if match.start() > pos:
            out.append(_stray_bytes(segment[pos : match.start()], defects))
        pairs = match.group()
        if mode == _JIS0208:
            out.append(_jis0208_to_text(pairs))
        elif mode == _JIS0212:
            high = pairs.translate(_HIGH_BIT)
            euc = b"".join(b"\x8f" + high[i : i + 2] for i in range(0, len(high), 2))
            out.append(euc.decode("euc_jp", "replace"))
        elif mode == _JIS0213_1:
            out.append(pairs.translate(_HIGH_BIT).decode("euc_jis_2004", "replace"))
        else:
            high = pairs.translate(_HIGH_BIT)
            euc = b"".join(b"\x8f" + high[i : i + 2] for i in range(0, len(high), 2))
            out.append(euc.decode("euc_jis_2004", "replace"))
        pos = match.end()
    if pos < len(segment):
        out.append(_stray_bytes(segment[pos:], defects))
    return "".join(out)


def _stray_bytes(data: bytes, defects: list[str]) -> str:
    # Line breaks and spaces inside a double-byte run: senders that forget to
    # switch back to ASCII before the end of a line.
    if data.strip(b" \t\r\n"):
        defects.append("iso-2022-jp-stray-bytes")
    return data.decode("cp932", "replace")


def decode_iso2022jp(data: bytes, defects: list[str]) -> str:
    """ISO-2022-JP with CP50220 semantics; 8-bit bytes in it are read as CP932."""
    out: list[str] = []
    mode = _ASCII
    mode_before_shift_out = _ASCII
    for index, piece in enumerate(_JIS_SWITCH.split(data)):
        if index % 2:
            if piece == b"\x0e":
                mode_before_shift_out, mode = mode, _KANA
            elif piece == b"\x0f":
                mode = mode_before_shift_out
            elif piece != b"\x1b&@":
                mode = _MODES[piece]
            continue
        if not piece:
            continue
        if mode == _ASCII:
            if b"\x1b" in piece:
                defects.append("iso-2022-jp-unknown-escape")
                piece = piece.replace(b"\x1b", b"")
            if piece.isascii():
                out.append(piece.decode("ascii"))
            else:
                # JIS8 half-width katakana or Shift_JIS pasted between escapes.
                defects.append("iso-2022-jp-8bit")
                out.append(piece.decode("cp932", "replace"))
        elif mode == _KANA:
            out.append(piece.translate(_HIGH_BIT).decode("cp932", "replace"))
        else:
            out.append(_double_byte_run(piece, mode, defects))
    return "".join(out)


# --- EUC-JP ------------------------------------------------------------------

_EUC_TOKEN: Final = re.compile(
    rb"((?:[\xa1-\xfe][\xa1-\xfe])+)|(\x8e[\xa1-\xdf])|(\x8f[\xa1-\xfe][\xa1-\xfe])|([\x00-\x7f]+)|(.)",
    re.S,
)
_LOW_BIT: Final = bytes(b & 0x7F for b in range(256))


def _decode_euc_jp(data: bytes, defects: list[str]) -> str:
    try:
        return data.decode("euc_jp")
    except UnicodeDecodeError:
        pass
    # CP51932/eucJP-ms: the NEC rows in EUC form, read through their JIS codes.
    defects.append("charset-fallback:euc-jp->cp51932")
    out: list[str] = []
    for pairs, kana, jis0212, ascii_run, odd in _EUC_TOKEN.findall(data):
        if pairs:
            out.append(_jis0208_to_text(pairs.translate(_LOW_BIT)))
        elif kana:
            out.append(kana[1:].decode("cp932", "replace"))
        elif jis0212:
            out.append(jis0212.decode("euc_jp", "replace"))
        elif ascii_run:
            out.append(ascii_run.decode("ascii"))
        else:
            out.append(odd.decode("latin-1"))
    return "".join(out)


# --- bodies ------------------------------------------------------------------


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_text(data: bytes, label: str | None, defects: list[str]) -> str:
    """Decode body (or parameter) bytes labelled `label`; never raises."""
    if not data:
        return ""
    codec = codec_for(label) if label else None
    if label and codec is None:
        defects.append(f"unknown-charset:{shown_label(label)}")
    if codec is None:
        return sniff_text(data, defects)
    shown = shown_label(label) if label else ""
    if codec == "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return _broken_utf8(data, defects)
    if codec == JIS:
        if not data.isascii() and b"\x1b" not in data and _is_utf8(data):
            # au one net and others label UTF-8 text iso-2022-jp.
            defects.append("charset-fallback:iso-2022-jp->utf-8")
            return data.decode("utf-8")
        return decode_iso2022jp(data, defects)
    if codec in (WEAK_ASCII, WEAK_LATIN1):
        if data.isascii():
            if b"\x1b" in data and _JIS_SIGNATURE.search(data):
                defects.append("charset-fallback:ascii->iso-2022-jp")
                return decode_iso2022jp(data, defects)
            return data.decode("ascii")
        if _is_utf8(data):
            defects.append(f"charset-fallback:{shown}->utf-8")
            return data.decode("utf-8")
        if codec == WEAK_ASCII:
            defects.append(f"charset-fallback:{shown}->windows-1252")
        return decode_windows_1252(data)
    if codec == EUC_JP:
        return _decode_euc_jp(data, defects)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        defects.append(f"unknown-charset:{codec}")
        return sniff_text(data, defects)
    if _is_utf8(data):
        defects.append(f"charset-fallback:{shown}->utf-8")
        return data.decode("utf-8")
    defects.append(f"charset-error:{shown}")
    return data.decode(codec, "replace")


def _broken_utf8(data: bytes, defects: list[str]) -> str:
    # A few bad sequences in UTF-8 text (a truncated line, one pasted Latin-1
    # byte) keep the UTF-8 reading; mostly-invalid bytes are another charset.
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    valid = sum(1 for char in text if char > "\x7f") - broken
    if valid > broken:
        defects.append("charset-error:utf-8")
        return text
    defects.append("charset-fallback:utf-8")
    return _guess_legacy(data, None, defects)


# Below this size a statistical detector guesses worse than the fixed order
# of _guess_legacy (Japanese legacy charsets, then Windows-1252).
_DETECTOR_MIN_BYTES: Final = 256
# The detector's cost grows with its input; the start of a text names its charset.
_DETECTOR_SAMPLE_BYTES: Final = 64 * 1024


def sniff_text(data: bytes, defects: list[str]) -> str:
    """Text with no usable label: ESC sequences, UTF-8, then charset-normalizer."""
    if b"\x1b" in data and _JIS_SIGNATURE.search(data):
        return decode_iso2022jp(data, defects)
    if data.isascii():
        return data.decode("ascii")
    if _is_utf8(data):
        return data.decode("utf-8")
    if len(data) < _DETECTOR_MIN_BYTES:
        return _guess_legacy(data, None, defects)
    # Imported here: only unlabelled legacy text pays for loading the detector.
    from charset_normalizer import from_bytes

    best = from_bytes(data[:_DETECTOR_SAMPLE_BYTES]).best()
    if best is not None and best.encoding:
        codec = codec_for(best.encoding) or best.encoding
        defects.append(f"charset-guess:{best.encoding}")
        if codec in (WEAK_ASCII, WEAK_LATIN1):
            return decode_windows_1252(data)
        if codec == EUC_JP:
            return _decode_euc_jp(data, defects)
        return data.decode(codec, "replace")
    defects.append("charset-guess:windows-1252")
    return decode_windows_1252(data)


# --- raw 8-bit header text ---------------------------------------------------

# A non-ASCII character between two ASCII letters ("H\xe5vard") is how Latin
# text looks, and not how Japanese looks; it vetoes a Japanese guess.
_LATIN_SHAPE: Final = re.compile(r"[A-Za-z][^\x00-\x7f][A-Za-z]")
_PRIVATE_USE: Final = re.compile(r"[\ue000-\uf8ff\ufffd]")


# In bytes: an accented Latin-1 small letter (0xE0-0xFF) between ASCII letters
# ("B\xe1r") would be read by CP932 as a rare kanji swallowing the next letter.
_LATIN_BYTES: Final = re.compile(rb"[A-Za-z][\xe0-\xff][A-Za-z]")


def _plausible_japanese(data: bytes, text: str) -> bool:
    return not (_LATIN_SHAPE.search(text) or _LATIN_BYTES.search(data) or _PRIVATE_USE.search(text))


def _guess_legacy(data: bytes, hint: str | None, defects: list[str]) -> str:
    hint_codec = codec_for(hint) if hint else None
    if hint_codec and hint_codec not in (JIS, EUC_JP, "cp932", "utf-8", WEAK_ASCII):
        try:
            return decode_windows_1252(data) if hint_codec == WEAK_LATIN1 else data.decode(hint_codec)
        except (UnicodeDecodeError, LookupError):
            pass
    for codec in ("euc_jp", "cp932"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _plausible_japanese(data, text):
            defects.append(f"charset-guess:{codec}")
            return text
    defects.append("charset-guess:windows-1252")
    return decode_windows_1252(data)


def guess_raw_text(data: bytes, hint: str | None, defects: list[str]) -> str:
    """Raw 8-bit bytes in a header: ISO-2022-JP, UTF-8, the body's charset, EUC-JP, CP932, 1252."""
    if b"\x1b" in data and _JIS_SIGNATURE.search(data):
        return decode_iso2022jp(data, defects)
    if data.isascii():
        return data.decode("ascii")
    if _is_utf8(data):
        return data.decode("utf-8")
    return _guess_legacy(data, hint, defects)


# --- RFC 2047 encoded words --------------------------------------------------

# Encoded text may hold spaces: a fold inside an encoded word (seen from
# hand-made Japanese mailers) leaves one after unfolding.
_ENCODED_WORD: Final = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD: Final = re.compile(rb"\r?\n(?=[ \t])")
_NOT_BASE64: Final = re.compile(rb"[^A-Za-z0-9+/]")


def unfold(value: bytes) -> bytes:
    """RFC 5322 2.2.3: remove the line breaks of folding, keep the white space."""
    if b"\n" not in value and b"\r" not in value:
        return value
    value = _FOLD.sub(b"", value)
    if b"\n" in value or b"\r" in value:
        value = value.replace(b"\r", b"").replace(b"\n", b"")
    return value


def _word_bytes(encoding: bytes, text: bytes, defects: list[str]) -> bytes:
    if encoding in (b"q", b"Q"):
        return binascii.a2b_qp(text.replace(b" ", b""), header=True)
    cleaned = _NOT_BASE64.sub(b"", text.rstrip(b"="))
    if len(cleaned) % 4 == 1:
        defects.append("invalid-base64-encoded-word")
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4))
    except binascii.Error:
        defects.append("invalid-base64-encoded-word")
        return b""


def decode_header_bytes(value: bytes, hint: str | None, defects: list[str]) -> str:
    """A header value's bytes -> its text: unfolded, encoded words decoded, 8-bit guessed.

    Adjacent encoded words of one charset are joined as bytes before decoding
    (RFC 2047 6.2 allows a split anywhere; mailers split inside multibyte
    characters and ISO-2022-JP escape sequences), and the white space between
    two encoded words is dropped.
    """
    value = unfold(value)
    if b"=?" not in value:
        return value.decode("ascii") if value.isascii() else guess_raw_text(value, hint, defects)
    out: list[str] = []
    pending_charset: str | None = None
    pending: list[bytes] = []

    def flush() -> None:
        if pending_charset is None:
            pass
        elif codec_for(pending_charset) is None:
            # X-UNKNOWN and friends: the bytes are the sender's local charset,
            # guessed as raw header text is, not by a detector made for long text.
            defects.append(f"unknown-charset:{shown_label(pending_charset)}")
            out.append(guess_raw_text(b"".join(pending), hint, defects))
        else:
            out.append(decode_text(b"".join(pending), pending_charset, defects))
        pending.clear()

    pos = 0
    previous_was_word = False
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if between and not (previous_was_word and not between.strip(b" \t")):
            flush()
            pending_charset = None
            out.append(
                between.decode("ascii") if between.isascii() else guess_raw_text(between, hint, defects)
            )
        charset = match.group(1).decode("ascii", "replace").partition("*")[0].lower()
        data = _word_bytes(match.group(2), match.group(3), defects)
        if charset != pending_charset:
            flush()
            pending_charset = charset
        pending.append(data)
        previous_was_word = True
        pos = match.end()
    flush()
    rest = value[pos:]
    if rest:
        out.append(rest.decode("ascii") if rest.isascii() else guess_raw_text(rest, hint, defects))
    return "".join(out)
