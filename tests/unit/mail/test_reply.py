"""Quoted history and signatures stripped from replies, client by client and language by language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailgate.mail.htmltext import html_to_text
from mailgate.mail.parse import parse_message
from mailgate.mail.reply import visible_text
from tests.unit.mail.test_reply_corpus import normalise_visible

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
REPLY_FIXTURES = sorted(FIXTURES.glob("reply-*.eml"))


def html_only(html: str) -> str:
    """What a reply stores for an HTML-only message, whose readable text is the HTML as text."""
    return visible_text(html_to_text(html), html)


@pytest.mark.parametrize("eml", REPLY_FIXTURES, ids=[path.stem for path in REPLY_FIXTURES])
def test_client_written_reply_keeps_only_the_new_text(eml: Path) -> None:
    """A reply written in a real client is stored as the new text its sender typed."""
    expected = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    parsed = parse_message(eml.read_bytes())

    stored = visible_text(parsed.text, parsed.html)

    assert normalise_visible(stored) == normalise_visible(expected["visible_text"])


def test_every_client_fixture_is_present() -> None:
    """The client fixtures named in the design notes are all there to be tested."""
    names = {path.stem for path in REPLY_FIXTURES}

    assert names >= {
        "reply-outlook-html-only-original-message",
        "reply-gmail-multipart-gmail-quote",
        "reply-thunderbird-blockquote-cite",
        "reply-apple-mail-on-wrote",
        "reply-gmail-jp-iso2022jp-signature",
        "reply-outlook-jp-sashidashinin",
    }


def test_top_posted_reply_drops_the_quote_below_it() -> None:
    """A reply written above the quoted message keeps only what was written above."""
    text = (
        "Works now, thanks.\n\n"
        "On Sat, Nov 21, 2026 at 10:00 AM Support <s@example.com> wrote:\n"
        "> Try again.\n"
    )

    assert visible_text(text) == "Works now, thanks."


def test_bottom_posted_reply_keeps_the_text_below_the_quote() -> None:
    """A reply written under the quote is kept, and the quote above it is not."""
    text = (
        "On Mon, Aug 19, 2013 at 2:36 AM, Someone via Forum <\n"
        "info@example.org> wrote:\n"
        "\n"
        "> A reverse proxy would take care of this.\n"
        ">\n"
        "\n"
        "I pointed to rack because that is still the web server level.\n"
    )

    assert visible_text(text) == "I pointed to rack because that is still the web server level."


def test_inline_answers_between_quotes_are_all_kept() -> None:
    """Answers interleaved with quoted paragraphs are kept in order, the quotes dropped."""
    text = (
        "On Tue, Apr 29, 2014 at 4:22 PM, Dev <dev@example.com> wrote:\n"
        "\n"
        "> Can you reply under this?\n"
        "\n"
        "Yes, here.\n"
        "\n"
        "> And under this?\n"
        ">\n"
        "> -- Tim\n"
        "\n"
        "And here.\n"
    )

    assert normalise_visible(visible_text(text)) == "Yes, here.\n\nAnd here."


@pytest.mark.parametrize(
    "attribution",
    [
        "On Sat, Nov 21, 2026 at 10:00 AM Support <support@example.com> wrote:",
        "On Sat, Nov 21, 2026 at 10:00 AM Support <support@example.com>\nwrote:",
        "On Sat, Nov 21, 2026 at 10:00 AM Support <\nsupport@example.com> wrote:",
        "On Sat, 21 Nov 2026 10:00:00 +0900\nSupport <support@example.com> wrote:",
        "On 21 Nov 2026, at 10:00, Support <support@example.com> wrote:",
        "Am 21.11.2026 um 10:00 schrieb Support <support@example.com>:",
        "Support <support@example.com> schrieb:",
        "Le sam. 21 nov. 2026 à 10:00, Support <support@example.com> a écrit :",
        "El sáb, 21 nov 2026 a las 10:00, Support (<support@example.com>) escribió:",
        "Den 21. nov. 2026 kl. 10.00 skrev Support <support@example.com>:",
        "21.11.2026 10:00 пользователь Support <support@example.com> написал:",
        "在 2026年11月21日，上午10:00，Support <support@example.com> 写道：",
        "2026年11月21日(土) 10:00 山田 <yamada@example.jp>:",
        "2026-11-21 10:00 GMT+09:00 Support <support@example.com>:",
        "2026-11-21 (土) の 10:00 +0900 に サポート窓口 さんは書きました:",
        "On 2026/11/21 10:00, サポート窓口 wrote:",
        "2026/11/21 10:00、サポート窓口 <support@example.com>のメール:",
        "---- On Sat, 21 Nov 2026 10:00:00 +0900 support@example.com wrote ----",
    ],
    ids=[
        "gmail",
        "gmail-wrapped-before-wrote",
        "gmail-wrapped-inside-address",
        "becky-two-lines",
        "apple-mail",
        "german-am-schrieb",
        "k9-german-schrieb",
        "french-a-ecrit",
        "spanish-escribio",
        "norwegian-skrev",
        "russian-napisal",
        "chinese-apple-mail",
        "gmail-japanese",
        "gmail-iso-date",
        "evolution-japanese",
        "thunderbird-japanese",
        "iphone-japanese",
        "zoho-dashed",
    ],
)
def test_attribution_and_quote_are_dropped_in_any_language(attribution: str) -> None:
    """The "On … wrote:" line is dropped with the quote it introduces, whatever the client's language."""
    text = f"Thanks, it works.\n\n{attribution}\n> Please try again.\n> Support\n"

    assert visible_text(text) == "Thanks, it works."


def test_attribution_over_unquoted_history_ends_the_reply() -> None:
    """History that a client did not mark with '>' is dropped from its attribution to the end."""
    text = (
        "This is my answer.\n\n\n"
        "On Wed, May 18, 2016 at 11:10 PM Steven <notifications@example.com>\n"
        "wrote:\n\n\n"
        "The earlier message, not quoted.\n"
    )

    assert visible_text(text) == "This is my answer."


def test_reply_starting_with_on_is_not_an_attribution() -> None:
    """A reply whose first sentence starts with "On" and ends with a colon is kept whole."""
    text = "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nThat should connect.\n"

    assert (
        visible_text(text)
        == "On your remote host you can run:\n\n     telnet 127.0.0.1 52698\n\nThat should connect."
    )


def test_sentence_ending_in_wrote_is_kept_without_a_quote() -> None:
    """A sentence that ends in "wrote:" but names no date or address does not cut the reply."""
    text = "Here is what our auditor wrote:\n\nAll ledgers balance.\n"

    assert visible_text(text) == "Here is what our auditor wrote:\n\nAll ledgers balance."


@pytest.mark.parametrize(
    "block",
    [
        "-----Original Message-----\nFrom: Support [mailto:support@example.com]\nSent: Saturday",
        "----- Original Message -----\nFrom: support@example.com\nTo: you@example.net",
        "-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Samstag",
        "-------- 元のメッセージ --------\n件名: 問い合わせ",
        "From: Support [mailto:support@example.com]\nSent: Saturday, November 21, 2026 10:00 AM\n"
        "To: Paul\nSubject: Ledger",
        "________________________________\nFrom: Support <support@example.com>\n"
        "Sent: Saturday, November 21, 2026 10:00 AM\nTo: Paul <paul@example.net>\nSubject: Ledger",
        "*From:* Support [mailto:support@example.com]\n*Sent:* Saturday\n*To:* Paul\n*Subject:* Ledger",
        "From: Support\n<support@example.com>\nSent: Saturday\nTo: Paul\nSubject: Ledger",
        "From: Support <support@example.com>\nReply-To: Support <s+1@example.com>\n"
        "Date: Saturday, 21 November 2026 at 10:00\nTo: Paul\nSubject: Ledger",
        "差出人: サポート窓口 <support@example.com>\n送信日時: 2026年11月21日 土曜日 10:00\n"
        "宛先: 佐藤 花子 <hanako@example.co.jp>\n件名: 請求書の再発行について",
        "Von: Support <support@example.com>\nGesendet: Samstag, 21. November 2026 10:00\n"
        "An: Paul\nBetreff: Rechnung",
        "      Von: Support <support@example.com>\n An: paul@example.net\n"
        " Gesendet: 18:42 Dienstag, 11.April 2017\n Betreff: Antwort",
        "От: Support\nОтправлено: суббота, 21 ноября 2026 г. 10:00\nКому: Paul",
    ],
    ids=[
        "outlook-original-message",
        "yahoo-zimbra-original-message",
        "german-original-message",
        "japanese-original-message",
        "outlook-header-block",
        "outlook-underscore-rule",
        "outlook-bold-labels",
        "outlook-from-wrapped",
        "outlook-mac-reply-to",
        "outlook-japanese",
        "outlook-german",
        "yahoo-german-indented",
        "windows-mail-russian",
    ],
)
def test_outlook_style_history_is_dropped_to_the_end(block: str) -> None:
    """History under an Outlook-style header block or "Original Message" rule is dropped entirely."""
    text = f"Fixed, thank you.\n\n{block}\n\nThe earlier message.\n"

    assert visible_text(text) == "Fixed, thank you."


def test_a_single_to_line_in_prose_is_not_a_header_block() -> None:
    """A line that happens to start with "To:" does not cut the reply."""
    text = "Please send the report.\nTo: the finance team\nThanks\n"

    assert visible_text(text) == "Please send the report.\nTo: the finance team\nThanks"


def test_forwarded_message_is_kept_whole() -> None:
    """A message the sender forwards is kept under their own words, headers and all."""
    text = (
        "Please see the request below.\n\n"
        "-------- Forwarded Message --------\n"
        "Subject: \tChange of evaluation\n"
        "Date: \tThu, 9 Jan 2020 16:24:28 +0100\n"
        "From: \tNikola <nikola@example.cz>\n"
        "To: \tJohn <john@example.cz>\n\n"
        "Hello John,\nplease show each employer once.\n"
    )

    stored = visible_text(text)

    assert stored.startswith("Please see the request below.\n\n-------- Forwarded Message --------")
    assert stored.endswith("Hello John,\nplease show each employer once.")


def test_forward_inside_quoted_history_is_dropped() -> None:
    """A forward that was part of the earlier message is history like the rest of it."""
    text = (
        "Done.\n\n"
        "On Sat, Nov 21, 2026 at 10:00 AM Support <support@example.com> wrote:\n\n"
        "---------- Forwarded message ---------\n"
        "From: Vendor <vendor@example.org>\n"
        "Please patch.\n"
    )

    assert visible_text(text) == "Done."


def test_dash_dash_space_signature_is_dropped() -> None:
    """Everything under the "-- " delimiter is the signature and is not stored."""
    text = "this is an email with a correct -- signature.\n\n-- \nrick\n"

    assert visible_text(text) == "this is an email with a correct -- signature."


def test_dashes_followed_by_a_long_text_are_kept() -> None:
    """A "--" with many lines after it is a separator the sender typed, not a signature."""
    body = "\n".join(f"step {number}" for number in range(30))
    text = f"Here is the log.\n--\n{body}\n"

    assert visible_text(text) == text.strip()


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my Samsung Galaxy smartphone.",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Sent from Mail for Windows 10",
        "Sent from Outlook Mobile<https://example.com>",
        "Sendt fra min iPad",
        "Von meinem iPhone gesendet",
        "iPhoneから送信",
    ],
)
def test_mobile_footer_is_dropped(footer: str) -> None:
    """The footer a phone or a mail app adds under the text is not part of the reply."""
    text = f"Confirmed for Thursday.\n\n{footer}\n"

    assert visible_text(text) == "Confirmed for Thursday."


def test_sent_from_inside_a_sentence_is_kept() -> None:
    """A sentence that starts "Sent from my desk, …" is the sender's words, not a footer."""
    text = "Here is another email\n\nSent from my desk, is much easier then my mobile phone.\n"

    assert visible_text(text) == text.strip()


def test_corporate_contact_block_is_dropped() -> None:
    """A last paragraph of name, address, phone and web site is a signature even without "-- "."""
    text = (
        "The new prices apply from January.\n\n"
        "Gina Example\ngina@example.com\n(555) 346-9947\nwww.example.com\n"
    )

    assert visible_text(text) == "The new prices apply from January."


def test_short_sign_off_is_kept() -> None:
    """A sign-off with the sender's name stays with the reply."""
    text = "We will try it small first.\n\nBest regards,\n\n//Jef\n"

    assert visible_text(text) == "We will try it small first.\n\nBest regards,\n\n//Jef"


def test_japanese_signature_framed_by_rules_is_dropped() -> None:
    """A Japanese business signature between two rules is not part of the reply."""
    text = (
        "本件はクローズしていただいて問題ございません。\n\n"
        "━━━━━━━━━━━━━━━━━━━━\n"
        "株式会社サンプル商事 経理部\n"
        "佐藤 花子\n"
        "TEL：03-1234-5678\n"
        "━━━━━━━━━━━━━━━━━━━━\n"
    )

    assert visible_text(text) == "本件はクローズしていただいて問題ございません。"


def test_crlf_line_endings_are_handled() -> None:
    """A reply with CRLF line endings is stripped like any other."""
    text = (
        ":+1:\r\n\r\n"
        "On Tue, Sep 25, 2012 at 8:59 AM, Chris\r\n"
        "<notifications@example.com>wrote:\r\n\r\n"
        "> Done.\r\n"
    )

    assert visible_text(text) == ":+1:"


def test_empty_message_gives_empty_text() -> None:
    """A message with no body stores an empty reply rather than failing."""
    assert visible_text("") == ""
    assert visible_text("", "") == ""


def test_gmail_html_quote_is_dropped() -> None:
    """In an HTML-only Gmail reply, the div.gmail_quote and its attribution are dropped."""
    html = (
        '<div dir="ltr"><div>Hi. I am fine.</div><div><br></div><div>Thanks,</div><div>Alex</div></div>'
        '<br><div class="gmail_quote"><div class="gmail_attr">On Thu, Jun 26, 2014 at 2:14 PM, '
        'Sasha &lt;a@example.com&gt; wrote:<br></div><blockquote class="gmail_quote">'
        "<div>Hello! How are you?</div></blockquote></div>"
    )

    assert html_only(html) == "Hi. I am fine.\n\nThanks,\nAlex"


def test_thunderbird_html_cite_is_dropped() -> None:
    """In an HTML-only Thunderbird reply, the cite prefix and blockquote are dropped."""
    html = (
        "<html><body>Hi. I am fine.<br><br>Thanks,<br>Alex<br>"
        '<div class="moz-cite-prefix">On 26.06.2014 14:41, Sasha wrote:<br></div>'
        '<blockquote type="cite"><div>Hello! How are you?</div></blockquote></body></html>'
    )

    assert html_only(html) == "Hi. I am fine.\n\nThanks,\nAlex"


def test_text_under_an_html_quote_is_kept() -> None:
    """An HTML reply written under the blockquote keeps what follows the quote."""
    html = (
        '<div class="moz-cite-prefix">On 26.06.2014 14:41, Sasha wrote:</div>'
        '<blockquote type="cite">Which day suits you?</blockquote>'
        "<div>Thursday works.</div>"
    )

    assert html_only(html) == "Thursday works."


def test_outlook_html_header_block_under_a_rule_is_dropped() -> None:
    """Outlook's border-top div with From/Sent/To/Subject and everything under it are dropped."""
    html = (
        '<div class="WordSection1"><p class="MsoNormal">Hi. I am fine.<o:p></o:p></p>'
        '<p class="MsoNormal">Thanks,<o:p></o:p></p><p class="MsoNormal">Alex<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b>From:</b> Sasha &lt;a@example.com&gt;<br><b>Sent:</b> Friday, '
        "June 27, 2014 12:06 PM<br><b>To:</b> Alex<br><b>Subject:</b> Test</p></div>"
        '<p class="MsoNormal">Hello! How are you?</p></div>'
    )

    assert html_only(html) == "Hi. I am fine.\nThanks,\nAlex"


def test_outlook_2003_hr_before_from_is_dropped() -> None:
    """Outlook 2003's <hr> and the From block under it are dropped."""
    html = (
        "<p class=MsoNormal>Hi. I am fine.</p><div class=MsoNormal align=center><hr size=3></div>"
        "<p class=MsoNormal><b>From:</b> Sasha [mailto:a@example.com]<br><b>Sent:</b> Friday<br>"
        "<b>To:</b> Alex<br><b>Subject:</b> Test</p><p class=MsoNormal>Hello!</p>"
    )

    assert html_only(html) == "Hi. I am fine."


def test_outlook_web_reply_divider_is_dropped() -> None:
    """Outlook on the web's divRplyFwdMsg and everything after it are dropped."""
    html = (
        '<div>See you on Monday.</div><hr style="display:inline-block;width:98%">'
        '<div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Sasha</div><div>Earlier text</div>'
    )

    assert html_only(html) == "See you on Monday."


def test_webde_div_quote_is_dropped() -> None:
    """web.de's <div name="quote"> is dropped and the &nbsp; lines stay paragraph breaks."""
    html = (
        "<div><div>Lieber Phil,</div><div>&nbsp;</div><div>vielen Dank.</div><div>&nbsp;</div>"
        '<div>J&ouml;rg</div><div>&nbsp;<div name="quote"><div><b>Gesendet:</b>&nbsp;Montag<br/>'
        "<b>Von:</b>&nbsp;support@example.org</div><div>Guten Tag!</div></div></div></div>"
    )

    assert html_only(html) == "Lieber Phil,\n\nvielen Dank.\n\nJörg"


def test_gmail_html_signature_is_dropped() -> None:
    """Gmail's marked-up signature is not stored with an HTML-only reply."""
    html = (
        "<div>Danke!</div><div><br></div>"
        '<span class="gmail_signature_prefix">-- </span><br>'
        '<div class="gmail_signature">Max Muster<br>Muster GmbH</div>'
    )

    assert html_only(html) == "Danke!"


def test_plain_part_wins_over_html() -> None:
    """When the sender's client wrote a plain part, the stored reply is that plain text."""
    text = "Hello\n\nFrom: Support [mailto:s@example.com]\nSent: Friday\nTo: Dan\nSubject: Loop\n\nHi\n"
    html = (
        '<p class="MsoNormal">Allo! Follow up MIME!</p><p class="MsoNormal"><b>From:</b> Support'
        "<br><b>Sent:</b> Friday<br><b>To:</b> Dan<br><b>Subject:</b> Loop</p><p>Hi</p>"
    )

    assert visible_text(text, html) == "Hello"
