"""Composing outgoing mail from the admins' templates: headers, bodies, languages, checks."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailgate.config import ServiceConfig
from mailgate.errors import ConfigError
from mailgate.mail.compose import (
    MAX_REFERENCES,
    SAMPLE_CONTEXT,
    Composer,
    Draft,
    check_templates,
    make_message_id,
)
from mailgate.mail.parse import Address

SHIPPED = Path(__file__).resolve().parents[3] / "templates"
TOKYO = ZoneInfo("Asia/Tokyo")
SENT_AT = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
MESSAGE_ID = "<0f1e2d3c4b5a69788796a5b4c3d2e1f0@example.com>"
CUSTOMER = Address("taro@client.example", "Taro Yamada")


def service(language: str = "en", name: str = "Example Support") -> ServiceConfig:
    return ServiceConfig(
        name=name,
        address="support@example.com",
        domains=("example.com",),
        secret="s3cret-for-tests",
        language=language,
    )


def draft(**changes: object) -> Draft:
    """An acknowledgement for ticket EX#42 as the planner would hand it over."""
    context = changes.pop("context", {})
    assert isinstance(context, Mapping)
    fields: dict[str, object] = {
        "template": "acknowledgement",
        "language": "en",
        "to": (CUSTOMER,),
        "subject": "[EX#42] Cannot log in to the portal",
        "context": {**SAMPLE_CONTEXT, **context},
        "in_reply_to": "<CAF=customer-1@mail.gmail.com>",
        "references": ("<root@client.example>",),
        "reply_to": "support+abcdefgh@example.com",
        "auto_submitted": "auto-replied",
        "ticket_ref": "EX#42",
    }
    fields.update(changes)
    return Draft(**fields)  # type: ignore[arg-type]


def compose(item: Draft, language: str = "en", templates: Path = SHIPPED) -> EmailMessage:
    composer = Composer(templates, service(language), TOKYO)
    return composer.compose(item, message_id=MESSAGE_ID, date=SENT_AT)


def received(message: EmailMessage) -> EmailMessage:
    """The message as a recipient's mail client parses it from the wire."""
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body((subtype,))
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the shipped templates the test may break."""
    copy = tmp_path / "templates"
    shutil.copytree(SHIPPED, copy)
    return copy


def test_acknowledgement_carries_every_header_a_client_and_mailgate_need() -> None:
    """The auto-reply threads under the customer's mail, stops auto-replies, names its ticket."""
    message = received(compose(draft(cc=(Address("boss@client.example"),))))

    assert message["From"] == "Example Support <support@example.com>"
    assert message["To"] == "Taro Yamada <taro@client.example>"
    assert message["Cc"] == "boss@client.example"
    assert message["Subject"] == "[EX#42] Cannot log in to the portal"
    assert message["Date"] == "Sat, 21 Nov 2026 10:00:00 +0900"
    assert message["Message-ID"] == MESSAGE_ID
    assert message["In-Reply-To"] == "<CAF=customer-1@mail.gmail.com>"
    assert message["References"] == "<root@client.example> <CAF=customer-1@mail.gmail.com>"
    assert message["Reply-To"].addresses[0].addr_spec == "support+abcdefgh@example.com"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Content-Language"] == "en"
    assert message["X-Mailgate-Ticket"] == "EX#42"
    assert message["MIME-Version"] == "1.0"


def test_retried_message_keeps_its_message_id() -> None:
    """A delivery retried after a failure is the same message, so clients never show it twice."""
    first = compose(draft())
    second = compose(draft())

    assert first["Message-ID"] == second["Message-ID"] == MESSAGE_ID


def test_mail_written_by_a_person_has_no_auto_submitted_headers() -> None:
    """An engineer's reply is not marked automatic, so it does not silence customers' systems."""
    message = received(compose(draft(auto_submitted=None, in_reply_to=None, references=())))

    assert message["Auto-Submitted"] is None
    assert message["X-Auto-Response-Suppress"] is None
    assert message["In-Reply-To"] is None
    assert message["References"] is None


def test_long_message_ids_are_folded_never_encoded() -> None:
    """Outlook's and Gmail's long Message-IDs stay readable so every client threads the reply."""
    long_ids = tuple(f"<CAH{n}{'x' * 70}@mail.gmail.com>" for n in range(3))
    message = compose(draft(references=long_ids[:2], in_reply_to=long_ids[2]))
    headers = message.as_bytes().split(b"\n\n", 1)[0]

    for msg_id in long_ids:
        assert msg_id.encode() in headers
    assert received(message)["References"] == " ".join(long_ids)
    assert received(message)["In-Reply-To"] == long_ids[2]


def test_long_thread_references_keep_the_root_and_the_latest() -> None:
    """A reply deep in a long thread still threads under its root and its parent."""
    ids = tuple(f"<m{n}@client.example>" for n in range(40))
    message = received(compose(draft(references=ids[:-1], in_reply_to=ids[-1])))
    kept = message["References"].split()

    assert len(kept) == MAX_REFERENCES
    assert kept[0] == "<m0@client.example>"
    assert kept[-1] == "<m39@client.example>"


def test_malformed_customer_references_are_left_out() -> None:
    """Junk in a customer's References header does not corrupt the reply's headers."""
    message = received(compose(draft(references=("not-an-id", "<ok@client.example>"))))

    assert message["References"] == "<ok@client.example> <CAF=customer-1@mail.gmail.com>"


def test_japanese_subject_and_sender_name_arrive_intact() -> None:
    """A Japanese customer sees the subject and the team's name exactly as written."""
    subject = "[EX#42] 【至急】ポータルにログインできません（Re: 先日の件）"
    composer = Composer(SHIPPED, service("ja", "エグザンプル サポート窓口"), TOKYO)
    message = received(
        composer.compose(draft(language="ja", subject=subject), message_id=MESSAGE_ID, date=SENT_AT)
    )

    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "エグザンプル サポート窓口"
    assert message["From"].addresses[0].addr_spec == "support@example.com"
    assert message["Content-Language"] == "ja"


def test_long_japanese_sender_name_decodes_as_written() -> None:
    """A long company name split over several encoded words decodes without added spaces."""
    name = "株式会社エグザンプル・テクノロジーズ カスタマーサポートセンター"
    composer = Composer(SHIPPED, service("ja", name), TOKYO)
    message = composer.compose(draft(language="ja"), message_id=MESSAGE_ID, date=SENT_AT)
    raw_from = message_from_bytes(message.as_bytes()).get("From")
    assert isinstance(raw_from, str)
    display = str(make_header(decode_header(raw_from.rsplit("<", 1)[0])))

    assert display.strip().strip('"') == name


def test_every_line_on_the_wire_is_short_enough() -> None:
    """No relay rejects or breaks the mail for lines over RFC 5322's 998 bytes."""
    huge = "長い件名" * 300
    message = compose(draft(subject=huge, context={"ticket": {**_ticket(), "subject": huge}}))

    assert max(len(line) for line in message.as_bytes().splitlines()) < 998
    assert received(message)["Subject"] == huge


def _ticket() -> dict[str, object]:
    ticket = SAMPLE_CONTEXT["ticket"]
    assert isinstance(ticket, Mapping)
    return dict(ticket)


def test_line_breaks_in_a_subject_cannot_inject_headers() -> None:
    """A subject carrying CR/LF cannot add a Bcc or any other header."""
    message = received(compose(draft(subject="Hello\r\nBcc: victim@elsewhere.example")))

    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: victim@elsewhere.example"


def test_customer_markup_is_escaped_in_the_html_part() -> None:
    """A subject with a script tag shows as text in the HTML mail and never runs."""
    subject = '<script>alert("x")</script> & <b>bold</b>'
    message = received(compose(draft(context={"ticket": {**_ticket(), "subject": subject}})))
    html = body(message, "html")

    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert subject in body(message, "plain")


def test_template_syntax_in_customer_text_is_not_evaluated() -> None:
    """A customer who writes `{{ 7*7 }}` sees those characters back, not 49."""
    trap = "{{ 7*7 }} {% if true %}yes{% endif %}"
    message = received(
        compose(
            draft(
                subject=trap,
                context={
                    "ticket": {**_ticket(), "subject": trap},
                    "customer": {"name": trap, "address": "taro@client.example"},
                },
            )
        )
    )
    text = body(message, "plain")

    assert trap in text
    assert "49" not in text
    assert message["Subject"] == trap


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Tue 24 Nov 13:00 JST | Tue 24 Nov"), ("ja", "11月24日(火) 13:00 | 11月24日(火)")],
)
def test_times_are_written_in_the_service_zone_and_the_mail_language(
    templates: Path, language: str, expected: str
) -> None:
    """A due time is shown as the customer's office reads it, in their language."""
    (templates / language / "when.txt.j2").write_text("{{ at | when }} | {{ at | date }}\n")
    composer = Composer(templates, service(), TOKYO)
    at = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)

    text = composer.render_text(draft(template="when", language=language, context={"at": at}))

    assert text == f"{expected}\n"


def test_naive_time_in_a_template_is_an_error_not_a_guess(templates: Path) -> None:
    """A time without a zone is refused rather than shown to a customer in the wrong zone."""
    (templates / "en" / "when.txt.j2").write_text("{{ at | when }}\n")
    composer = Composer(templates, service(), TOKYO)

    with pytest.raises(ConfigError, match=r"when\.txt\.j2:1"):
        composer.render_text(
            draft(template="when", context={"at": datetime(2026, 11, 24, 13, 0)})  # noqa: DTZ001
        )


@pytest.mark.parametrize(
    ("language", "deferral"),
    [("en", "outside our business hours"), ("ja", "営業時間外")],
)
def test_deferral_is_explained_only_when_the_mail_arrived_while_closed(language: str, deferral: str) -> None:
    """A Saturday customer is told work resumes Tuesday; a Tuesday customer is not told that."""
    composer = Composer(SHIPPED, service(language), TOKYO)
    closed = composer.render_text(draft(language=language))
    open_now = composer.render_text(
        draft(language=language, context={"deferred": False, "next_opening": None})
    )

    assert deferral in closed
    assert ("Tue 24 Nov 09:00 JST" if language == "en" else "11月24日(火) 9:00") in closed
    assert deferral not in open_now
    for text in (closed, open_now):
        assert "[EX#42]" in text
        assert "Mon–Fri 09:00–18:00 JST" in text


@pytest.mark.parametrize(("language", "paged"), [("en", "on-call engineer"), ("ja", "担当エンジニア")])
def test_after_hours_cover_says_the_on_call_engineer_was_paged(language: str, paged: str) -> None:
    """A premium customer writing at night is told someone is on it, not to wait for Tuesday."""
    composer = Composer(SHIPPED, service(language), TOKYO)
    text = composer.render_text(draft(language=language, context={"after_hours_cover": True}))

    assert paged in text
    assert "Nobody" not in text
    assert "営業開始後" not in text


def test_missing_customer_name_never_shows_as_none() -> None:
    """A customer who sent no display name is greeted politely, not as 'None'."""
    composer = Composer(SHIPPED, service(), TOKYO)
    item = draft(context={"customer": {"name": None, "address": "taro@client.example"}})

    assert "None" not in composer.render_text(item)
    assert "None" not in (composer.render_html(item) or "")


def test_language_without_templates_falls_back_to_the_service_language() -> None:
    """A customer configured for French gets the service's Japanese mail rather than nothing."""
    message = received(compose(draft(language="fr"), language="ja"))

    assert message["Content-Language"] == "ja"
    assert "お問い合わせ" in body(message, "plain")


def test_template_missing_in_both_languages_falls_back_to_english(templates: Path) -> None:
    """An acknowledgement still goes out when the default language lacks that template."""
    for path in (templates / "ja").iterdir():
        path.unlink()
    message = received(compose(draft(language="ja"), language="ja", templates=templates))

    assert message["Content-Language"] == "en"
    assert "Thank you for contacting Example Support" in body(message, "plain")


def test_text_only_template_sends_a_single_plain_part(templates: Path) -> None:
    """Admins may delete the HTML template; the mail is then plain text only."""
    (templates / "en" / "acknowledgement.html.j2").unlink()
    message = received(compose(draft(), templates=templates))

    assert message.get_content_type() == "text/plain"
    assert "[EX#42]" in message.get_content()


def test_unknown_template_is_a_configuration_error(templates: Path) -> None:
    """A planner asking for a template no folder has gets an error naming it."""
    composer = Composer(templates, service(), TOKYO)

    with pytest.raises(ConfigError, match=r"nonexistent\.txt\.j2"):
        composer.render_text(draft(template="nonexistent"))


def test_templates_are_read_once_per_composer(templates: Path) -> None:
    """An edit to a template takes effect on reload, not halfway through a batch of mail."""
    composer = Composer(templates, service(), TOKYO)
    before = composer.render_text(draft())
    (templates / "en" / "acknowledgement.txt.j2").write_text("edited\n")

    assert composer.render_text(draft()) == before
    assert Composer(templates, service(), TOKYO).render_text(draft()) == "edited\n"


def test_invalid_auto_submitted_value_is_refused() -> None:
    """Only RFC 3834's values are ever written, so other systems understand the header."""
    with pytest.raises(ValueError, match="auto-reply"):
        compose(draft(auto_submitted="auto-reply"))


def test_message_ids_are_unique_and_at_the_service_domain() -> None:
    """Each new mail gets its own Message-ID under the service's domain."""
    first, second = make_message_id("example.com"), make_message_id("example.com")

    assert first != second
    assert first.startswith("<")
    assert first.endswith("@example.com>")


def test_shipped_templates_have_no_problems() -> None:
    """`mailgate check-config` is clean on a fresh installation."""
    assert check_templates(SHIPPED, ["en", "ja"]) == []


def test_template_syntax_error_is_reported_by_file_and_line(templates: Path) -> None:
    """An admin's typo is shown as file:line, so they know where to look."""
    path = templates / "ja" / "acknowledgement.txt.j2"
    path.write_text("{{ ticket.ref }}\n\n{% if deferred %}\nclosed\n{% endfi %}\nend\n")

    problems = check_templates(templates, ["en", "ja"])

    assert [where for where, _ in problems] == [f"{path}:5"]
    assert "endfi" in problems[0][1]


def test_unknown_variable_is_reported_by_file_and_line(templates: Path) -> None:
    """A misspelt variable is caught by check-config rather than in a customer's mail."""
    path = templates / "en" / "acknowledgement.txt.j2"
    path.write_text("Hello\n\nticket {{ ticket.ref }}\ndue {{ due_att | when }}\n")

    assert check_templates(templates, ["en"]) == [(f"{path}:4", "'due_att' is undefined")]


def test_unknown_attribute_in_a_branch_is_reported_by_file_and_line(templates: Path) -> None:
    """A mistake in the deferred paragraph is found even though most mail skips it."""
    path = templates / "en" / "acknowledgement.html.j2"
    path.write_text(
        "<p>{{ ticket.ref }}</p>\n{% if not deferred %}\n<p>{{ ticket.sujbect }}</p>\n{% endif %}\n"
    )

    problems = check_templates(templates, ["en"])

    assert [where for where, _ in problems] == [f"{path}:3"]
    assert "sujbect" in problems[0][1]


def test_language_folder_missing_is_reported(templates: Path) -> None:
    """A misspelt default language (`jp`) is pointed out instead of silently sending English."""
    problems = check_templates(templates, ["jp"])

    assert [where for where, _ in problems] == [str(templates / "jp")]


def test_unknown_variable_in_an_engineer_template_is_reported(templates: Path) -> None:
    """Each template is checked against its own context: the notification has no `due_at`, it has `ticket.first_response_due`."""
    path = templates / "en" / "notification.txt.j2"
    path.write_text("{{ ticket.ref }} {{ text }}\n{{ due_at | when }}\n")

    assert check_templates(templates, ["en"]) == [(f"{path}:2", "'due_at' is undefined")]


def test_every_engineer_template_renders_in_both_languages() -> None:
    """Each mail engineers or customers get because of an engineer has an English and a Japanese text."""
    for name in (
        "notification",
        "engineer_reply",
        "command_error",
        "note",
        "unverified_alert",
        "bounce_alert",
    ):
        for language in ("en", "ja"):
            assert (SHIPPED / language / f"{name}.txt.j2").is_file()
    assert check_templates(SHIPPED, ["en", "ja"]) == []
