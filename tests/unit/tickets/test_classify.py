"""Classification rules, one by one, on hand-built messages."""

from __future__ import annotations

import re

import pytest

from mailgate.mail.parse import Address, Attachment, ParsedMessage
from mailgate.tickets.classify import RULE_NAMES, classify_message
from mailgate.tickets.domain import MessageKind, Verdict

OWN = frozenset({"support@example.com"})
ENGINEERS = frozenset({"alice@example.com"})


def _message(
    *,
    sender: str | None = "customer@client.example",
    subject: str | None = "Printer offline",
    headers: tuple[tuple[str, str], ...] = (),
    text: str = "Our printer is offline since this morning.",
    content_type: str = "text/plain",
    attachments: tuple[Attachment, ...] = (),
) -> ParsedMessage:
    return ParsedMessage(
        message_id="<1@client.example>",
        in_reply_to=(),
        references=(),
        subject=subject,
        from_=Address(sender) if sender is not None else None,
        reply_to=(),
        to=(Address("support@example.com"),),
        cc=(),
        date=None,
        headers=tuple((name.lower(), value) for name, value in headers),
        text=text,
        html=None,
        attachments=attachments,
        content_type=content_type,
    )


def _classify(message: ParsedMessage, envelope_from: str | None = None) -> Verdict:
    return classify_message(
        message, envelope_from=envelope_from, own_addresses=OWN, engineer_addresses=ENGINEERS
    )


def test_a_customer_writing_gets_an_acknowledgement() -> None:
    """An ordinary customer mail opens a ticket and is acknowledged, with no rule recorded."""
    verdict = _classify(_message(), envelope_from="customer@client.example")
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


@pytest.mark.parametrize("sender", ["alice@example.com", "Alice@Example.com", "alice+x@example.com"])
def test_an_engineer_writing_is_an_engineer_and_gets_no_acknowledgement(sender: str) -> None:
    """An engineer's mail is handled as the engineer's, never acknowledged as a customer's."""
    verdict = _classify(_message(sender=sender.lower()))
    assert verdict == Verdict(MessageKind.ENGINEER, auto_reply_allowed=False, rule_hits=())


def test_a_message_without_from_is_still_a_customer() -> None:
    """Mail with no From header is kept as a customer's; nothing automatic marks it."""
    verdict = _classify(_message(sender=None))
    assert verdict.kind is MessageKind.CUSTOMER


# (rule, message, envelope sender): each must make the mail `auto` and unanswered.
AUTO_CASES = [
    ("null-sender", _message(), ""),
    ("null-sender", _message(headers=(("Return-Path", "<>"),)), None),
    ("own-address", _message(sender="support@example.com"), None),
    ("own-address", _message(sender="support+t0k3n@example.com"), None),
    ("own-address", _message(headers=(("X-Loop", "support@example.com"),)), None),
    ("role-address", _message(sender="mailer-daemon@mx.example.jp", subject="Hello"), None),
    ("role-address", _message(sender="noreply@shop.example"), None),
    ("role-address", _message(), "bounces+123@esp.example"),
    ("role-address", _message(headers=(("Return-Path", "<owner-neko@example.co.jp>"),)), None),
    ("auto-submitted", _message(headers=(("Auto-Submitted", "auto-replied"),)), None),
    ("auto-submitted", _message(headers=(("Auto-Submitted", "auto-generated"),)), None),
    ("auto-submitted", _message(headers=(("Auto-Submitted", "Auto-Notified"),)), None),
    (
        "auto-submitted",
        _message(headers=(("Auto-Submitted", "auto-generated (warning-timeout)"),)),
        None,
    ),
    ("precedence-bulk", _message(headers=(("Precedence", "bulk"),)), None),
    ("precedence-bulk", _message(headers=(("Precedence", " BULK "),)), None),
    ("precedence-junk", _message(headers=(("Precedence", "junk"),)), None),
    ("precedence-list", _message(headers=(("Precedence", "list"),)), None),
    ("list-id", _message(headers=(("List-Id", "Shapelib <shapelib.lists.maptools.org>"),)), None),
    (
        "list-unsubscribe",
        _message(headers=(("List-Unsubscribe", "<mailto:neko-ctl@example.co.jp>"),)),
        None,
    ),
    ("list-server", _message(headers=(("X-MLServer", "fml [fml 4.0.3]"),)), None),
    ("list-server", _message(headers=(("X-ML-Name", "neko"),)), None),
    ("list-server", _message(headers=(("X-Mailman-Version", "2.1.23"),)), None),
    ("list-server", _message(headers=(("Mailing-List", "contact x-help@ezmlm.example"),)), None),
    (
        "feedback-report",
        _message(
            content_type="multipart/report",
            headers=(("Content-Type", "multipart/report; report-type=feedback-report"),),
        ),
        None,
    ),
    (
        "feedback-report",
        _message(attachments=(Attachment(None, "message/feedback-report", 120),)),
        None,
    ),
    (
        "read-receipt",
        _message(
            content_type="multipart/report",
            headers=(("Content-Type", 'multipart/report; report-type="disposition-notification"'),),
        ),
        None,
    ),
    ("vendor-autoreply", _message(headers=(("X-Autoreply", "yes"),)), None),
    ("vendor-autoreply", _message(headers=(("X-Autorespond", "Autoreply"),)), None),
    ("vendor-autoreply", _message(headers=(("X-AutoReply-From", "a@client.example"),)), None),
    ("vendor-autoreply", _message(headers=(("X-Auto-Response", "vacation"),)), None),
    ("vendor-autoreply", _message(headers=(("X-Apple-Action", "VACATION"),)), None),
    (
        "vendor-autoreply",
        _message(headers=(("X-MS-Exchange-Inbox-Rules-Loop", "a@client.example"),)),
        None,
    ),
    (
        "vendor-autoreply",
        _message(headers=(("X-MS-Exchange-Generated-Message-Source", "Mailbox Rules Agent"),)),
        None,
    ),
    ("vendor-autoreply", _message(headers=(("X-Mailer", "vacation 1.2.7"),)), None),
    ("vendor-autoreply", _message(headers=(("Precedence", "auto_reply"),)), None),
    ("vendor-autoreply", _message(headers=(("Delivered-To", "Autoresponder"),)), None),
]


def _ids(cases: list[tuple[str, ParsedMessage, str | None]]) -> list[str]:
    """`role-address`, `role-address-2`, …: the rule each case exercises."""
    seen: dict[str, int] = {}
    ids = []
    for rule, _, _ in cases:
        seen[rule] = seen.get(rule, 0) + 1
        ids.append(rule if seen[rule] == 1 else f"{rule}-{seen[rule]}")
    return ids


@pytest.mark.parametrize(("rule", "message", "envelope_from"), AUTO_CASES, ids=_ids(AUTO_CASES))
def test_machine_mail_is_auto_and_never_answered(
    rule: str, message: ParsedMessage, envelope_from: str | None
) -> None:
    """Out-of-office replies, lists, bulk mail and loops are `auto` and never acknowledged."""
    verdict = _classify(message, envelope_from)
    assert verdict.kind is MessageKind.AUTO
    assert not verdict.auto_reply_allowed
    assert rule in verdict.rule_hits


# (message, envelope sender): each a delivery failure report of some MTA's shape.
BOUNCE_CASES = [
    pytest.param(
        _message(
            sender="mailer-daemon@mx.example.jp",
            subject="Undelivered Mail Returned to Sender",
            content_type="multipart/report",
            headers=(("Content-Type", "multipart/report; report-type=delivery-status; b=1"),),
        ),
        "",
        id="multipart-report",
    ),
    pytest.param(
        _message(attachments=(Attachment(None, "message/delivery-status", 300),)),
        None,
        id="delivery-status-part",
    ),
    pytest.param(
        _message(attachments=(Attachment(None, "message/global-delivery-status", 300),)),
        None,
        id="global-delivery-status-part",
    ),
    pytest.param(
        _message(headers=(("X-Failed-Recipients", "kijitora@example.ed.jp"),)),
        None,
        id="exim-failed-recipients",
    ),
    pytest.param(
        _message(sender="postmaster@example.jp", subject="Undeliverable: Kijitora Cat"),
        None,
        id="exchange-subject",
    ),
    pytest.param(
        _message(sender="mailer-daemon@mx4.example.jp", subject="failure notice"),
        "",
        id="qmail-subject",
    ),
    pytest.param(
        _message(
            sender="someone@mx4.example.jp",
            subject="Message",
            text="Hi. This is the qmail-send program at mx4.example.jp.\n",
        ),
        "",
        id="qmail-text-from-null-sender",
    ),
    pytest.param(
        _message(sender="no-reply@x0000000000000.dion.ne.jp", subject="メールエラー通知"),
        None,
        id="japanese-carrier",
    ),
    pytest.param(
        _message(sender="mailer-daemon@example.com", subject="Warning: could not send message"),
        None,
        id="sendmail-delay-warning",
    ),
    pytest.param(
        _message(sender="postmaster@example.de", subject="Unzustellbar: Drucker"),
        None,
        id="exchange-german",
    ),
]


@pytest.mark.parametrize(("message", "envelope_from"), BOUNCE_CASES)
def test_delivery_failure_reports_are_bounces(message: ParsedMessage, envelope_from: str | None) -> None:
    """A DSN from any MTA is attached as a bounce and never starts a ticket or gets an answer."""
    verdict = _classify(message, envelope_from)
    assert verdict.kind is MessageKind.BOUNCE
    assert not verdict.auto_reply_allowed
    assert "delivery-report" in verdict.rule_hits


def test_a_customer_forwarding_a_bounce_is_a_customer() -> None:
    """A customer who forwards "Undeliverable: …" asking for help gets a ticket and an answer."""
    message = _message(
        subject="Fwd: Undeliverable: Invoice 2024-05",
        text="This is the mail system at host mx.example.jp. Could not be delivered to bob.",
    )
    verdict = _classify(message, envelope_from="customer@client.example")
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


def test_every_hit_is_recorded_in_table_order() -> None:
    """`tickets show` lists every reason a message was not answered, not only the first."""
    message = _message(
        sender="mailer-daemon@mx.example.jp",
        subject="Undelivered Mail Returned to Sender",
        content_type="multipart/report",
        headers=(
            ("Auto-Submitted", "auto-replied"),
            ("Content-Type", "multipart/report; report-type=delivery-status"),
            ("Precedence", "bulk"),
        ),
    )
    verdict = _classify(message, envelope_from="")
    assert verdict.rule_hits == (
        "null-sender",
        "role-address",
        "auto-submitted",
        "precedence-bulk",
        "delivery-report",
    )


@pytest.mark.parametrize("value", ["All", "AutoReply", "OOF", "DR, NDR, RN, NRN, OOF, AutoReply", "all"])
def test_auto_response_suppress_silences_the_acknowledgement_only(value: str) -> None:
    """A person whose client asks for no auto-replies gets a ticket, but no acknowledgement."""
    message = _message(headers=(("X-Auto-Response-Suppress", value),))
    verdict = _classify(message)
    assert verdict == Verdict(
        MessageKind.CUSTOMER, auto_reply_allowed=False, rule_hits=("auto-response-suppress",)
    )


def test_auto_response_suppress_for_reports_only_allows_the_acknowledgement() -> None:
    """Suppressing only delivery and read reports does not stop mailgate's acknowledgement."""
    message = _message(headers=(("X-Auto-Response-Suppress", "DR, NDR, RN, NRN"),))
    verdict = _classify(message)
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


def test_autoreply_subject_with_auto_response_suppress_is_auto() -> None:
    """An Outlook "Automatic reply:" carrying only X-Auto-Response-Suppress is kept as auto."""
    message = _message(
        subject="Automatic reply: Printer offline",
        headers=(("X-Auto-Response-Suppress", "All"),),
    )
    verdict = _classify(message)
    assert verdict == Verdict(
        MessageKind.AUTO,
        auto_reply_allowed=False,
        rule_hits=("auto-response-suppress", "autoreply-subject"),
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Printer offline",
        "Auto reply: Nyaan",
        "Auto-Reply: Printer",
        "AutoRespons :Nyaan?",
        "Out of Office: Printer offline",
        "Out of Office AutoReply: Printer offline",
        "Abwesenheitsnotiz: Drucker",
        "Automatische Antwort: Drucker",
        "Réponse automatique : Imprimante",
        "自動応答: Re: [#12345] お問い合わせありがとうございます",
        "自動返信：プリンタ",
        "[Automatyczna odpowiedź] test",
        "Re:   blah blah blah (Automatic Response)",
    ],
)
def test_autoreply_subject_alone_is_recorded_but_still_answered(subject: str) -> None:
    """A subject that looks automatic is noted, but alone it does not silence the answer."""
    verdict = _classify(_message(subject=subject))
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=("autoreply-subject",))


@pytest.mark.parametrize(
    "subject",
    [
        "About your out of office policy",
        "Out of office policy question",
        "Automatic replies keep arriving from your system",
        "How do I set up an auto reply?",
        "自動応答の設定方法について",
        "Re: Automatic reply settings",
        "Question (automatic responses)?",
    ],
)
def test_customers_writing_about_autoreplies_are_not_marked(subject: str) -> None:
    """A customer asking about out-of-office settings is answered like anyone else."""
    verdict = _classify(_message(subject=subject))
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Auto-Submitted", "no"),
        ("Auto-Submitted", "No"),
        ("Precedence", "first-class"),
        ("X-Autoreply", "no"),
        ("X-Apple-Action", "FORWARD"),
        ("X-Mailer", "Microsoft Outlook 16.0"),
        ("X-Loop", "someone@client.example"),
        ("Return-Path", "<customer@client.example>"),
    ],
)
def test_headers_that_say_a_person_wrote_do_not_suppress(name: str, value: str) -> None:
    """`Auto-Submitted: no` and ordinary client headers leave the acknowledgement alone."""
    verdict = _classify(_message(headers=((name, value),)))
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


def test_the_smtp_envelope_sender_wins_over_a_return_path_header() -> None:
    """Over SMTP the real MAIL FROM decides, not a Return-Path the message already carried."""
    message = _message(headers=(("Return-Path", "<>"),))
    verdict = _classify(message, envelope_from="customer@client.example")
    assert verdict.auto_reply_allowed


def test_the_topmost_return_path_is_the_envelope_sender() -> None:
    """By IMAP the Return-Path written by the final MTA (the first one) tells the null sender."""
    message = _message(headers=(("Return-Path", "<>"), ("Return-Path", "<someone@relay.example>")))
    assert _classify(message).rule_hits == ("null-sender",)


def test_a_forwarder_rewriting_the_envelope_to_support_is_not_a_loop() -> None:
    """A customer's mail whose envelope was rewritten to the support address is still answered."""
    message = _message(headers=(("Return-Path", "<support@example.com>"),))
    verdict = _classify(message)
    assert verdict == Verdict(MessageKind.CUSTOMER, auto_reply_allowed=True, rule_hits=())


def test_an_engineers_out_of_office_is_auto() -> None:
    """An engineer's vacation reply to a notification is not taken as the engineer's answer."""
    message = _message(sender="alice@example.com", headers=(("Auto-Submitted", "auto-replied"),))
    verdict = _classify(message)
    assert verdict.kind is MessageKind.AUTO


def test_bounce_wins_over_other_machine_rules() -> None:
    """A DSN sent as bulk by a list server is still reported as a bounce on its ticket."""
    message = _message(
        headers=(("Precedence", "bulk"), ("X-Failed-Recipients", "bob@example.jp")),
    )
    assert _classify(message).kind is MessageKind.BOUNCE


def test_rule_names_are_stable_kebab_case() -> None:
    """The rule names admins see in `tickets show` and logs are unique kebab-case words."""
    assert len(set(RULE_NAMES)) == len(RULE_NAMES)
    assert all(re.fullmatch(r"[a-z]+(?:-[a-z]+)*", name) for name in RULE_NAMES)
    assert {
        "null-sender",
        "own-address",
        "role-address",
        "auto-submitted",
        "precedence-bulk",
        "precedence-junk",
        "precedence-list",
        "list-id",
        "list-unsubscribe",
        "auto-response-suppress",
        "delivery-report",
        "feedback-report",
        "vendor-autoreply",
        "autoreply-subject",
    } <= set(RULE_NAMES)
