"""parse_message: what a support engineer sees of a customer's mail, whatever wrote it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailgate.mail.parse import Address, ParsedMessage, parse_message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
OWN_FIXTURES = sorted(FIXTURES.glob("parse-*.eml"))


def _fixture(name: str) -> ParsedMessage:
    return parse_message((FIXTURES / name).read_bytes())


def _mail(headers: str, body: bytes = b"body\r\n") -> bytes:
    """A message from header lines (LF in the source, CRLF on the wire) and body bytes."""
    return headers.strip("\n").replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


def _jis_word(text: str) -> str:
    return "=?ISO-2022-JP?B?" + base64.b64encode(text.encode("iso2022_jp")).decode() + "?="


# --- messages as real clients write them ------------------------------------------


def test_outlook_html_only_mail_reads_as_text_in_windows_1252() -> None:
    """Outlook's HTML-only mail labelled iso-8859-1 shows „“ – € and no markup, script or style."""
    parsed = _fixture("parse-outlook-html-only-windows-1252.eml")
    assert parsed.subject == "Offene Rechnung „März“"
    assert parsed.from_ == Address("j.mueller@kunde.example.de", "Müller, Jürgen")
    assert "die Rechnung „März“ – Betrag 1.250 € – ist noch offen." in parsed.text
    assert "Siehe Kundenportal." in parsed.text
    assert "Mit freundlichen Grüßen" in parsed.text
    for leftover in ("<p", "MsoNormal", "trackOpen", "&nbsp;", "o:p", "\r"):
        assert leftover not in parsed.text
    assert parsed.html is not None
    assert '<a href="https://portal.example.de/rechnung/4711">' in parsed.html
    assert parsed.content_type == "text/html"


def test_gmail_alternative_shows_the_plain_part_and_keeps_the_html() -> None:
    """Gmail's multipart/alternative gives the plain text as body and the HTML alongside."""
    parsed = _fixture("parse-gmail-alternative-utf8.eml")
    assert parsed.text == (
        'Hi team,\n\nthe export to CSV fails with "Zugriff verweigert" since this morning'
        " — can you have a look?\n\nThanks,\nMaría\n"
    )
    assert parsed.html is not None
    assert parsed.html.startswith('<div dir="ltr">')
    assert parsed.subject == "Export schlägt fehl – Zugriff verweigert"
    assert parsed.from_ == Address("maria.garcia@gmail.com", "María García")
    assert parsed.to == (Address("support@example.com", "Support"),)
    assert parsed.cc == (
        Address("ops@client.example", "Ops, Team"),
        Address("boss@client.example", None),
    )
    assert parsed.in_reply_to == ("<ticket-41.7f3a@support.example.com>",)
    assert parsed.references == (
        "<ticket-41.0001@support.example.com>",
        "<ticket-41.7f3a@support.example.com>",
    )
    assert parsed.attachments == ()
    assert parsed.date == datetime(2024, 5, 15, 10, 3, 21, tzinfo=timezone(timedelta(hours=2)))


def test_thunderbird_iso_2022_jp_mail_reads_in_japanese() -> None:
    """Thunderbird's ISO-2022-JP subject, sender name and body all show as Japanese text."""
    parsed = _fixture("parse-thunderbird-iso-2022-jp.eml")
    assert parsed.subject == "ログインできません"
    assert parsed.from_ == Address("ichiro.sato@example.ne.jp", "佐藤 一郎")
    assert "ログイン後に画面が真っ白になります。\n確認をお願いいたします。" in parsed.text
    assert "\x1b" not in parsed.text
    assert parsed.defects == ()


def test_apple_mail_quoted_printable_utf8_rejoins_soft_line_breaks() -> None:
    """Apple Mail's quoted-printable UTF-8 body reads as one paragraph with its emoji intact."""
    parsed = _fixture("parse-apple-mail-quoted-printable-utf8.eml")
    assert parsed.subject == "Invoice PDF “beschädigt”"
    assert parsed.from_ == Address("zoe@martin.example", "Zoë Martin")
    assert (
        "the invoice PDF opens as “Dokument beschädigt” on my iPad — on the Mac it is fine."
        " Could you send it once more, as a plain attachment perhaps? 🙏\n"
    ) in parsed.text
    assert "=E2" not in parsed.text


def test_shift_jis_label_reads_nec_characters_as_cp932() -> None:
    """Mail labelled Shift_JIS shows ① and ㈱ in subject and body, not replacement marks."""
    parsed = _fixture("parse-becky-shift-jis-cp932.eml")
    assert parsed.subject == "①ログインの件（㈱サンプル商事）"
    assert parsed.from_ == Address("tanaka@sample-shoji.example.jp", "田中 花子")
    assert "㈱サンプル商事の田中です。" in parsed.text
    assert "①ログインできない\n②パスワード再設定メールが届かない" in parsed.text
    assert "\ufffd" not in parsed.text


def test_truncated_message_without_headers_still_yields_its_text() -> None:
    """A cut-off message with no header block still shows its words and says what was wrong."""
    parsed = _fixture("parse-truncated-no-headers-broken-boundary.eml")
    assert "please call me back" in parsed.text
    assert "\x00" not in parsed.text
    assert parsed.subject is None
    assert parsed.from_ is None
    assert parsed.message_id is None
    assert parsed.date is None
    assert parsed.defects


# --- headers ---------------------------------------------------------------------


def test_utf8_encoded_words_split_inside_a_character_are_joined() -> None:
    """A subject whose encoded words cut a character in two reads whole, without U+FFFD."""
    word = "請求書の再発行".encode()
    first, second = base64.b64encode(word[:7]).decode(), base64.b64encode(word[7:]).decode()
    raw = _mail(f"Subject: =?UTF-8?B?{first}?=\n =?utf-8?B?{second}?=\nFrom: a@example.com")
    assert parse_message(raw).subject == "請求書の再発行"


def test_iso_2022_jp_words_split_inside_an_escape_sequence_are_joined() -> None:
    """Encoded words cut between ESC and `$B` still give the Japanese subject."""
    jis = "見積依頼".encode("iso2022_jp")
    first, second = base64.b64encode(jis[:2]).decode(), base64.b64encode(jis[2:]).decode()
    raw = _mail(f"Subject: =?ISO-2022-JP?B?{first}?= =?ISO-2022-JP?B?{second}?=")
    assert parse_message(raw).subject == "見積依頼"


def test_iso_2022_jp_subject_with_nec_characters_reads_as_windows_shows_it() -> None:
    """①, ㈱, № and ～ in an ISO-2022-JP subject come out as the sender typed them."""
    text = "①㈱№～"
    jis = b"\x1b$B" + b"".join(_sjis_to_jis(char.encode("cp932")) for char in text) + b"\x1b(B"
    raw = _mail(f"Subject: =?ISO-2022-JP?B?{base64.b64encode(jis).decode()}?=")
    assert parse_message(raw).subject == text


def _sjis_to_jis(pair: bytes) -> bytes:
    lead, trail = pair
    row = (lead - (0x70 if lead < 0xA0 else 0xB0)) * 2 - (1 if trail < 0x9F else 0)
    cell = trail - (0x1F if trail < 0x7F else 0x20 if trail < 0x9F else 0x7E)
    return bytes([row, cell])


def test_encoded_word_broken_by_a_fold_still_decodes() -> None:
    """An encoded word whose base64 was folded onto two lines reads as its text."""
    word = _jis_word("テストメール")
    raw = _mail(f"Subject: {word[:28]}\n {word[28:]}")
    assert parse_message(raw).subject == "テストメール"


def test_raw_8bit_header_bytes_are_read_in_the_likely_charset() -> None:
    """Raw UTF-8, CP932 and Latin-1 bytes in headers read as text, not as mojibake."""
    utf8 = parse_message(b"Subject: Caf\xc3\xa9 ouvert\r\n\r\nx")
    cp932 = parse_message("Subject: ①②③\r\n\r\nx".encode("cp932"))
    latin1 = parse_message(b"From: Wilhelmsen H\xe5vard <hw@example.no>\r\n\r\nx")
    assert utf8.subject == "Café ouvert"
    assert cp932.subject == "①②③"
    assert latin1.from_ == Address("hw@example.no", "Wilhelmsen Håvard")


def test_whitespace_between_encoded_words_vanishes_but_text_spacing_stays() -> None:
    """Adjacent encoded words join without spaces; the space before plain text stays."""
    raw = _mail("Subject: [EX#42] =?UTF-8?Q?Stra=C3=9Fe?= =?UTF-8?Q?nbahn?= kaputt")
    assert parse_message(raw).subject == "[EX#42] Straßenbahn kaputt"


def test_every_header_is_kept_decoded_and_in_order() -> None:
    """All headers, repeated ones too, are listed lower-cased with decoded, unfolded values."""
    raw = _mail(
        "Received: from a\n\tby b\nReceived: from c by d\nX-Note: =?UTF-8?Q?gr=C3=BC=C3=9F?=\nSubject: hi"
    )
    parsed = parse_message(raw)
    assert parsed.headers == (
        ("received", "from a\tby b"),
        ("received", "from c by d"),
        ("x-note", "grüß"),
        ("subject", "hi"),
    )
    assert parsed.header_values("Received") == ("from a\tby b", "from c by d")


def test_message_ids_are_picked_out_of_garbage() -> None:
    """In-Reply-To and References yield their <ids> even with comments and junk around them."""
    raw = _mail(
        "Message-ID: <abc@host.example>\n"
        "In-Reply-To: Your message of Tue <x1@h> (sent)\n"
        "References: <r1@h>\n  junk,<r2@h>\t<r1@h>"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "<abc@host.example>"
    assert parsed.in_reply_to == ("<x1@h>",)
    assert parsed.references == ("<r1@h>", "<r2@h>")


def test_message_id_without_brackets_is_bracketed() -> None:
    """A bare Message-ID gets its angle brackets so it can be matched in replies."""
    parsed = parse_message(_mail("Message-ID: 1234.5678@legacy.example"))
    assert parsed.message_id == "<1234.5678@legacy.example>"
    assert "message-id-without-brackets" in parsed.defects


def test_date_is_timezone_aware_and_a_bad_date_is_none() -> None:
    """Dates carry their offset; an unreadable Date header gives None and a defect."""
    good = parse_message(_mail("Date: Sat, 21 Nov 2026 10:00:00 +0900"))
    unknown_zone = parse_message(_mail("Date: Sat, 21 Nov 2026 10:00:00 -0000"))
    bad = parse_message(_mail("Date: next Tuesday-ish"))
    assert good.date == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert good.date is not None
    assert good.date.utcoffset() == timedelta(hours=9)
    assert unknown_zone.date == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert bad.date is None
    assert "invalid-date" in bad.defects


def test_malformed_address_headers_never_raise_and_keep_what_is_valid() -> None:
    """Broken To/Cc headers give the addresses that are real and drop the rest."""
    raw = _mail(
        'From: "Unclosed <a@example.com>\n'
        "To: <Undisclosed-Recipient:@mailman.example;>, ok@Example.COM,, <<>>\n"
        "Cc: undisclosed-recipients:;\n"
        "Reply-To: 'Private Bar' <bar@example.com>"
    )
    parsed = parse_message(raw)
    assert [address.address for address in parsed.to] == ["ok@example.com"]
    assert parsed.cc == ()
    assert parsed.reply_to == (Address("bar@example.com", "Private Bar"),)


def test_comment_after_an_address_is_not_a_display_name() -> None:
    """`addr (Mail Delivery System)` has no display name, only a comment."""
    raw = _mail("From: MAILER-DAEMON@mx.example (Mail Delivery System)")
    assert parse_message(raw).from_ == Address("mailer-daemon@mx.example", None)


# --- body charsets -------------------------------------------------------------------


def test_body_labelled_iso_2022_jp_that_is_utf8_reads_as_utf8() -> None:
    """A carrier's UTF-8 text under an iso-2022-jp label reads correctly."""
    raw = _mail("Content-Type: text/plain; charset=ISO-2022-JP", "メールボックスが一杯です".encode())
    parsed = parse_message(raw)
    assert parsed.text == "メールボックスが一杯です"
    assert "charset-fallback:iso-2022-jp->utf-8" in parsed.defects


def test_unlabelled_body_with_jis_escapes_reads_as_iso_2022_jp() -> None:
    """A body without a charset that switches to JIS with ESC $ B reads as Japanese."""
    raw = _mail("Content-Type: text/plain", "シニアエンジニア\r\n".encode("iso2022_jp"))
    assert parse_message(raw).text == "シニアエンジニア\n"


def test_every_jis_character_of_cp932_reads_back_from_iso_2022_jp() -> None:
    """All of JIS X 0208 with the NEC and NEC-selected IBM rows survive an ISO-2022-JP body."""
    chars = []
    for lead in [*range(0x81, 0xA0), *range(0xE0, 0xF0)]:
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFD)]:
            try:
                chars.append(bytes([lead, trail]).decode("cp932"))
            except UnicodeDecodeError:
                continue
    jis = b"".join(_sjis_to_jis(char.encode("cp932")) for char in chars)
    raw = _mail("Content-Type: text/plain; charset=iso-2022-jp", b"\x1b$B" + jis + b"\x1b(B")
    assert parse_message(raw).text == "".join(chars)


def test_half_width_katakana_escape_reads_as_half_width_katakana() -> None:
    """ESC ( I half-width katakana inside ISO-2022-JP shows as ﾟ and ﾉ, not U+FFFD."""
    body = b"(=\x1b(I_\x1b$B&X\x1b(I_\x1b(B)\x1b(II\x1b(B"
    raw = _mail("Content-Type: text/plain; charset=iso-2022-jp", body)
    assert parse_message(raw).text == "(=ﾟωﾟ)ﾉ"


def test_unknown_charset_falls_back_and_records_a_defect() -> None:
    """A made-up charset label still gives readable text and names the label in defects."""
    raw = _mail(
        "Content-Type: text/plain; charset=x-unknown",
        "Envoyé par le service de messagerie texte de Bell Mobilité".encode(),
    )
    parsed = parse_message(raw)
    assert parsed.text == "Envoyé par le service de messagerie texte de Bell Mobilité"
    assert "unknown-charset:x-unknown" in parsed.defects


def test_legacy_chinese_and_korean_labels_read_as_their_supersets() -> None:
    """gb2312 and ks_c_5601-1987 labels decode characters only their supersets define."""
    chinese = parse_message(_mail("Content-Type: text/plain; charset=gb2312", "镕".encode("gb18030")))
    korean = parse_message(
        _mail("Content-Type: text/plain; charset=ks_c_5601-1987", "똠방각하".encode("cp949"))
    )
    assert chinese.text == "镕"
    assert korean.text == "똠방각하"


def test_common_utf8_message_records_no_defects() -> None:
    """An ordinary UTF-8 message parses clean: no guesses, no defects."""
    raw = _mail(
        "From: Ana <ana@example.com>\nTo: support@example.com\nSubject: Olá\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit",
        "Olá, preciso de ajuda.\r\n".encode(),
    )
    parsed = parse_message(raw)
    assert parsed.text == "Olá, preciso de ajuda.\n"
    assert parsed.defects == ()


# --- body structure ---------------------------------------------------------------------


def test_format_flowed_lines_are_joined_into_paragraphs() -> None:
    """format=flowed soft breaks join; quotes keep their depth and DelSp drops the space."""
    flowed = b"This is one \r\nparagraph.\r\n> quoted \r\n> line\r\n-- \r\nsig\r\n"
    delsp = b"Zusammen\xc2\xad \r\ngeschrieben\r\n"
    plain = parse_message(_mail("Content-Type: text/plain; format=flowed", flowed))
    deleted = parse_message(_mail("Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes", delsp))
    assert plain.text == "This is one paragraph.\n> quoted line\n-- \nsig\n"
    assert deleted.text == "Zusammen\xadgeschrieben\n"


def test_html_only_body_drops_script_and_style_and_keeps_link_text() -> None:
    """HTML without a plain part reads as text; scripts, styles and tags are gone."""
    html = (
        b"<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
        b"<body><p>Please <a href='https://x.example/r'>reset my password</a>.</p></body></html>"
    )
    parsed = parse_message(_mail("Content-Type: text/html; charset=utf-8", html))
    assert parsed.text.strip() == "Please reset my password."
    assert parsed.html == html.decode()


def test_attachments_report_name_size_inline_and_content_id() -> None:
    """Inline images and files are listed with decoded names, sizes and Content-IDs."""
    image = base64.b64encode(b"\x89PNG" + bytes(96)).decode()
    raw = _mail(
        'Content-Type: multipart/mixed; boundary="OUT"',
        (
            "--OUT\r\n"
            'Content-Type: multipart/related; boundary="REL"\r\n\r\n'
            "--REL\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            '<p>See <img src="cid:logo@x"></p>\r\n'
            "--REL\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            'Content-Disposition: inline; filename="logo.png"\r\n\r\n'
            f"{image}\r\n--REL--\r\n"
            "--OUT\r\nContent-Type: application/pdf\r\n"
            "Content-Disposition: attachment;\r\n"
            " filename*0*=UTF-8''%E8%AB%8B%E6%B1%82%E6;\r\n"
            " filename*1*=%9B%B8.pdf\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode(b'%PDF-1.4 test').decode()}\r\n--OUT--\r\n"
        ).encode(),
    )
    parsed = parse_message(raw)
    assert parsed.text.strip() == "See"
    [logo, invoice] = parsed.attachments
    assert (logo.filename, logo.content_type, logo.size) == ("logo.png", "image/png", 100)
    assert (logo.inline, logo.content_id) == (True, "logo@x")
    assert (invoice.filename, invoice.content_type, invoice.size) == (
        "請求書.pdf",
        "application/pdf",
        13,
    )
    assert invoice.inline is False


def test_text_attachment_is_not_taken_for_the_body() -> None:
    """A .txt file next to an empty body stays an attachment and out of the text."""
    raw = _mail(
        'Content-Type: multipart/mixed; boundary="B"',
        b"--B\r\nContent-Type: text/plain\r\n\r\n\r\n"
        b'--B\r\nContent-Type: text/plain; name="log.txt"\r\n'
        b"Content-Disposition: attachment\r\n\r\nsecret log line\r\n--B--\r\n",
    )
    parsed = parse_message(raw)
    assert "secret log line" not in parsed.text
    assert [attachment.filename for attachment in parsed.attachments] == ["log.txt"]


def test_forwarded_message_body_stays_out_of_the_text() -> None:
    """An attached message/rfc822 is listed as an attachment; its body is not the text."""
    raw = _mail(
        'Content-Type: multipart/mixed; boundary="B"',
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee the forwarded mail.\r\n"
        b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Message-ID: <inner@example.com>\r\nSubject: inner\r\n\r\nInner body.\r\n--B--\r\n",
    )
    parsed = parse_message(raw)
    # The line break before a boundary belongs to the boundary (RFC 2046 5.1.1).
    assert parsed.text == "See the forwarded mail."
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert parsed.attachments[0].size > 0


# --- bounces -----------------------------------------------------------------------------


def test_dsn_reports_the_message_id_of_the_returned_message() -> None:
    """A multipart/report bounce names the Message-ID of the mail that bounced."""
    raw = _mail(
        "From: MAILER-DAEMON@mx.example\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        b"--R\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--R\r\nContent-Type: message/rfc822\r\n\r\n"
        b"Message-ID: <ack-42@support.example.com>\r\nSubject: [EX#42]\r\n\r\nHi\r\n--R--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.content_type == "multipart/report"
    assert parsed.embedded_message_ids == ("<ack-42@support.example.com>",)
    assert parsed.text == "Delivery failed."


def test_rfc822_headers_part_reports_the_returned_message_id() -> None:
    """A DSN that returns only the headers (text/rfc822-headers) still names the Message-ID."""
    raw = _mail(
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
        b"--R\r\nContent-Type: text/plain\r\n\r\nWarning: delayed.\r\n"
        b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: support@example.com\r\nMessage-ID:\r\n <ack-7@support.example.com>\r\n--R--\r\n",
    )
    parsed = parse_message(raw)
    assert parsed.embedded_message_ids == ("<ack-7@support.example.com>",)
    assert "Message-ID" not in parsed.text


def test_plain_text_bounce_reports_the_quoted_message_id() -> None:
    """A qmail-style bounce with the original headers pasted in the text names its Message-ID."""
    raw = _mail(
        "From: MAILER-DAEMON@mx.example\nSubject: failure notice",
        b"Hi. This is the qmail-send program.\r\n\r\n--- Below this line is a copy.\r\n\r\n"
        b"  Return-Path: <support@example.com>\r\n"
        b"  Message-Id: <ack-9@support.example.com>\r\n",
    )
    assert parse_message(raw).embedded_message_ids == ("<ack-9@support.example.com>",)


# --- never raises ---------------------------------------------------------------------------


def test_charset_label_with_a_nul_byte_never_raises() -> None:
    """A charset label holding a NUL byte still gives the text, with the label recorded."""
    raw = _mail('Content-Type: text/plain; charset="utf\x00-8"', "Grüße".encode())
    parsed = parse_message(raw)
    assert parsed.text == "Grüße"
    assert any(defect.startswith("unknown-charset:") for defect in parsed.defects)


def test_absurdly_deep_nesting_gives_a_result_with_a_defect() -> None:
    """Thousands of nested multiparts (a mail bomb) still parse, flagged as too deep."""
    levels = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i) for i in range(3000)
    )
    parsed = parse_message(b"Subject: nested\r\n" + levels + b"Content-Type: text/plain\r\n\r\nhi")
    assert parsed.subject == "nested"
    assert "nesting-too-deep" in parsed.defects


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    """Whatever bytes arrive, parsing gives a result rather than an error."""
    parsed = parse_message(raw)
    assert isinstance(parsed.text, str)
    assert "\x00" not in parsed.text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(OWN_FIXTURES),
    st.integers(min_value=0, max_value=1 << 16),
    st.binary(min_size=1, max_size=8),
    st.booleans(),
)
def test_cut_or_corrupted_real_mail_never_raises(
    fixture: Path, position: int, noise: bytes, truncate: bool
) -> None:
    """Real client mail cut short or with bytes overwritten still parses."""
    raw = fixture.read_bytes()
    at = position % (len(raw) + 1)
    mangled = raw[:at] if truncate else raw[:at] + noise + raw[at + len(noise) :]
    assert isinstance(parse_message(mangled), ParsedMessage)


def test_own_fixtures_are_present() -> None:
    """The hand-written client messages these tests read are in the fixtures folder."""
    assert len(OWN_FIXTURES) >= 6
