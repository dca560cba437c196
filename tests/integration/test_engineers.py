"""Engineers work tickets from their own mail client: notifications, replies, commands, trust."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any

import pytest

from mailgate.clock import ManualClock
from mailgate.daemon import Daemon
from mailgate.mail.tokens import read_token
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import Captured, CaptureSmarthost

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
SECRET = "test-secret-0123456789"
CUSTOMER = "hanako@client.example"
BOSS = "boss@client.example"
ALICE = "alice@example.com"
BOB = "bob@example.com"
TWO_ENGINEERS: dict[str, Any] = {
    "engineers": [{"address": ALICE, "name": "Alice"}, {"address": BOB, "name": "Bob"}]
}
CUSTOMER_TEXT = "Hello,\nthe printer in room 3 is smoking.\n"
SIGNATURE = "\n-- \n"


async def _open_ticket(
    daemon: Daemon, smarthost: CaptureSmarthost, engineers: tuple[str, ...] = (ALICE,)
) -> dict[str, Captured]:
    """Hanako writes with her boss on Cc; return each engineer's notification."""
    await send_mail(daemon, build_message(subject="Printer on fire", cc=f"Boss <{BOSS}>", body=CUSTOMER_TEXT))
    await smarthost.expect(1, to=CUSTOMER)
    return {engineer: (await smarthost.expect(1, to=engineer))[0] for engineer in engineers}


def _token_address(mail: Captured) -> str:
    return parseaddr(str(mail["Reply-To"]))[1]


async def _reply(
    daemon: Daemon,
    notification: Captured,
    body: str,
    *,
    sender: str = f"Alice Smith <{ALICE}>",
    to: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Answer a notification the way a mail client does: to its Reply-To, under its Message-ID."""
    address = to or _token_address(notification)
    message = build_message(
        sender=sender,
        to=address,
        subject=f"Re: {notification['Subject']}",
        body=body,
        headers={"In-Reply-To": str(notification["Message-ID"]), **(headers or {})},
    )
    await send_mail(daemon, message, mail_from=parseaddr(sender)[1], rcpt_to=[address])
    await settle(daemon)


def _rewritten_fixture(name: str, token_address: str) -> bytes:
    """A client's reply fixture as if Alice had sent it to her token address; the body stays byte for byte."""
    message: Message = message_from_bytes((FIXTURES / name).read_bytes(), policy=compat32)
    for header in ("From", "To", "Cc", "Message-ID", "Return-Path", "Received"):
        del message[header]
    message["From"] = f"Alice Smith <{ALICE}>"
    message["To"] = f"Example Support <{token_address}>"
    message["Message-ID"] = make_msgid(domain="example.com")
    return message.as_bytes()


def _mentions(mail: Captured, needle: str) -> bool:
    """Whether `needle` appears anywhere the customer's client could show it: raw, headers, decoded bodies."""
    needle = needle.lower()
    headers = " ".join(f"{k}: {v}" for k, v in mail.message.items())
    return any(needle in part.lower() for part in (mail.raw.decode("latin-1"), headers, mail.text, mail.html))


def _answer(mail: Captured) -> str:
    """The engineer's text in a relayed mail, without the service's signature under it."""
    return mail.text.replace("\r\n", "\n").split(SIGNATURE, 1)[0].strip()


async def test_new_ticket_and_each_customer_reply_notify_every_engineer_while_unassigned(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Both engineers get the customer's text, ref, status, due time and people, with their own reply token."""
    config = make_config(tmp_path, database_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        ack = (await smarthost.expect(1, to=CUSTOMER))[0]
        await send_mail(
            daemon,
            build_message(
                subject="Re: [EX#1] Printer on fire",
                body="It has stopped smoking now.\n\n> Hello,\n> the printer in room 3 is smoking.\n",
                headers={"In-Reply-To": str(ack["Message-ID"])},
            ),
        )
        second = {e: (await smarthost.expect(2, to=e))[1] for e in (ALICE, BOB)}
        await settle(daemon)
        customer_mail = smarthost.matching(to=CUSTOMER)
    for engineer, notification in notifications.items():
        assert notification.rcpt_to == [engineer]
        assert notification["Subject"] == "[EX#1] Printer on fire"
        assert notification["Auto-Submitted"] == "auto-generated"
        assert "the printer in room 3 is smoking." in notification.text
        assert "[EX#1]" in notification.text
        assert "new" in notification.text
        # The service speaks Japanese: Saturday's mail is due Tuesday 13:00 (Monday is a holiday).
        assert "11月24日(火) 13:00" in notification.text
        assert BOSS in notification.text
        claim = read_token(SECRET, [_token_address(notification)], "support@example.com", [ALICE, BOB])
        assert claim is not None
        assert (claim.ticket, claim.engineer) == (1, engineer)
    for notification in second.values():
        assert "It has stopped smoking now." in notification.text
        assert "> Hello" not in notification.text
    # Notifications are not answers to the customer, and the customer got only the acknowledgement.
    assert len(customer_mail) == 1


async def test_after_take_or_assign_only_the_assignee_is_notified(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """`/take` makes Alice the only one told of new customer mail; `/assign bob@…` hands it to Bob."""
    config = make_config(tmp_path, sqlite_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        await _reply(daemon, notifications[ALICE], "/take\n")
        taken = await ticket_json(daemon, 1)
        await send_mail(daemon, build_message(subject="[EX#1] still smoking", body="Still smoking.\n"))
        await smarthost.expect(2, to=ALICE)
        await settle(daemon)
        bob_after_take = len(smarthost.matching(to=BOB))
        await _reply(daemon, notifications[ALICE], f"/assign {BOB}\n")
        await send_mail(daemon, build_message(subject="[EX#1] fire", body="Now it is on fire.\n"))
        await smarthost.expect(2, to=BOB)
        await settle(daemon)
        assigned = await ticket_json(daemon, 1)
        alice_total = len(smarthost.matching(to=ALICE))
    assert taken["assignee"] == ALICE
    assert bob_after_take == 1
    assert assigned["assignee"] == BOB
    assert alice_total == 2
    assert "Now it is on fire." in smarthost.matching(to=BOB)[1].text


CLIENT_REPLIES = [
    "reply-gmail-multipart-gmail-quote",
    "reply-apple-mail-on-wrote",
    "reply-outlook-html-only-original-message",
    "reply-thunderbird-blockquote-cite",
    "reply-gmail-jp-iso2022jp-signature",
    "reply-outlook-jp-sashidashinin",
    "engineer-thunderbird-top-posted-signature",
    "engineer-outlook-html-only-signature-original-message",
]


@pytest.mark.parametrize("fixture", CLIENT_REPLIES)
async def test_engineer_reply_from_each_client_reaches_customer_and_participants_without_quotes_or_signature(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock, fixture: str
) -> None:
    """Whatever client the engineer uses, the customer and the Cc'd boss read only the new text, never her address."""
    expected = json.loads((FIXTURES / f"{fixture}.json").read_text(encoding="utf-8"))["visible_text"]
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        token = _token_address(notifications[ALICE])
        await send_mail(daemon, _rewritten_fixture(f"{fixture}.eml", token), mail_from=ALICE, rcpt_to=[token])
        [_, relay] = await smarthost.expect(2, to=CUSTOMER)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert relay.rcpt_to == [CUSTOMER, BOSS]
    assert _answer(relay) == expected
    assert not _mentions(relay, ALICE)
    assert not _mentions(relay, "wrote:")
    assert not _mentions(relay, "Original Message")
    stored = [m for m in ticket["messages"] if m["kind"] == "engineer" and m["direction"] == "in"]
    assert [m["body_text"] for m in stored] == [expected]


async def test_japanese_reply_with_command_sets_pending_and_reaches_customer_without_signature(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """An ISO-2022-JP reply starting with /pending sets the ticket pending; the customer reads the answer alone."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        token = _token_address(notifications[ALICE])
        raw = _rewritten_fixture("engineer-japanese-iso2022jp-attribution.eml", token)
        await send_mail(daemon, raw, mail_from=ALICE, rcpt_to=[token])
        [_, relay] = await smarthost.expect(2, to=CUSTOMER)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    answer = _answer(relay)
    assert answer.startswith("山田様\n\nお世話になっております。サポートの鈴木です。")
    assert answer.endswith("よろしくお願いいたします。")
    assert "/pending" not in relay.text
    assert "━━" not in relay.text
    assert "03-1234-5678" not in relay.text
    assert "2026年11月21日(土) 10:00" not in relay.text
    assert not _mentions(relay, ALICE)
    assert ticket["status"] == "pending"


async def test_relayed_answer_is_threaded_into_the_customer_conversation_from_the_support_address(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """The answer comes from "Alice (Example Support)" <support@…> under the customer's mail and tag, as a person's mail."""
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        [ack] = smarthost.matching(to=CUSTOMER)
        follow_up = build_message(
            subject="Re: [EX#1] Printer on fire", headers={"In-Reply-To": str(ack["Message-ID"])}
        )
        await send_mail(daemon, follow_up)
        await smarthost.expect(2, to=ALICE)
        clock.advance(timedelta(minutes=30))
        await _reply(
            daemon,
            notifications[ALICE],
            "Please unplug it.\n\nAlice\n\n-- \nAlice Smith\nalice@example.com\n",
            headers={"References": f"<notification-1@example.com> {notifications[ALICE]['Message-ID']}"},
        )
        [_, relay] = await smarthost.expect(2, to=CUSTOMER)
        clock.advance(timedelta(minutes=30))
        await _reply(daemon, notifications[ALICE], "And keep the window open.\n")
        await smarthost.expect(3, to=CUSTOMER)
        # The boss answers the relay with reply-all: the token brings it back to the ticket.
        await send_mail(
            daemon,
            build_message(
                sender=f"Boss <{BOSS}>", to=_token_address(relay), subject=f"Re: {relay['Subject']}"
            ),
            rcpt_to=[_token_address(relay)],
        )
        await smarthost.expect(3, to=ALICE)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert relay["From"].addresses[0].display_name == "Alice (Example Support)"
    assert relay["From"].addresses[0].addr_spec == "support@example.com"
    assert relay["Subject"] == "Re: [EX#1] Printer on fire"
    assert relay["In-Reply-To"] == str(follow_up["Message-ID"])
    references = str(relay["References"]).split()
    assert references[-1] == str(follow_up["Message-ID"])
    assert str(ack["Message-ID"]) in references
    assert "<notification-1@example.com>" not in references
    assert relay["Auto-Submitted"] is None
    claim = read_token(SECRET, [_token_address(relay)], "support@example.com", [ALICE])
    assert claim is not None
    assert (claim.ticket, claim.engineer) == (1, None)
    assert _answer(relay) == "Please unplug it.\n\nAlice"
    assert not _mentions(relay, ALICE)
    assert ticket["first_responded_at"] == "2026-11-21T10:30:00+09:00"
    assert ticket["status"] == "open"
    engineer_in = [m for m in ticket["messages"] if m["kind"] == "engineer" and m["direction"] == "in"]
    assert [m["body_text"] for m in engineer_in] == [
        "Please unplug it.\n\nAlice",
        "And keep the window open.",
    ]
    assert ticket["messages"][-1]["from"] == BOSS


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        pytest.param(["/pending"], {"status": "pending"}, id="pending"),
        pytest.param(["/resolve"], {"status": "resolved"}, id="resolve"),
        pytest.param(["/close"], {"status": "closed"}, id="close"),
        pytest.param(["/pending", "/open"], {"status": "open"}, id="open"),
        pytest.param(["/take"], {"assignee": ALICE}, id="take"),
        pytest.param([f"/assign {BOB}"], {"assignee": BOB}, id="assign"),
        # Urgent is 1 business hour: from Saturday's mail, Tuesday 10:00.
        pytest.param(
            ["/priority urgent"],
            {"priority": "urgent", "first_response_due": "2026-11-24T10:00:00+09:00"},
            id="priority",
        ),
        pytest.param(
            ["/resolve\n/take\n/priority urgent"], {"status": "resolved", "assignee": ALICE}, id="several"
        ),
    ],
)
async def test_each_command_changes_the_ticket_and_a_command_only_reply_sends_the_customer_nothing(
    tmp_path: Path,
    sqlite_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    replies: list[str],
    expected: dict[str, str],
) -> None:
    """A reply of commands alone changes the ticket as written and the customer hears nothing of it."""
    config = make_config(tmp_path, sqlite_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        for body in replies:
            await _reply(daemon, notifications[ALICE], f"{body}\n")
        ticket = await ticket_json(daemon, 1)
        customer_mail = len(smarthost.matching(to=CUSTOMER))
    assert {key: ticket[key] for key in expected} == expected
    assert customer_mail == 1
    assert ticket["first_responded_at"] is None


async def test_cc_add_and_remove_change_who_reads_the_answers(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """`/cc add` brings the end user into the thread and `/cc remove` takes the boss out of it."""
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        await _reply(
            daemon,
            notifications[ALICE],
            f"/cc add enduser@client.example\n/cc remove {BOSS}\n\nWe will call you both today.\n",
        )
        [relay] = await smarthost.expect(1, to="enduser@client.example")
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert relay.rcpt_to == [CUSTOMER, "enduser@client.example"]
    assert _answer(relay) == "We will call you both today."
    assert ticket["participants"] == [CUSTOMER, "enduser@client.example"]


async def test_link_and_merge_join_tickets(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """`/link 2` links two tickets; `/merge 2` moves ticket 1's mail and people into 2 and closes 1."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        await send_mail(daemon, build_message(sender="Boss <boss@client.example>", subject="Printer again"))
        await send_mail(daemon, build_message(sender="Jiro <jiro@client.example>", subject="Printer smells"))
        await smarthost.expect(3, to=ALICE)
        await settle(daemon)
        await _reply(daemon, notifications[ALICE], "/link EX#3\n")
        linked = await ticket_json(daemon, 1)
        await _reply(daemon, notifications[ALICE], "/merge 2\n\nWe handle both reports together now.\n")
        await smarthost.expect(1, to=BOSS)
        await settle(daemon)
        first = await ticket_json(daemon, 1)
        second = await ticket_json(daemon, 2)
        # Hanako answers the old thread: her mail follows the merge to ticket 2.
        [ack] = smarthost.matching(to=CUSTOMER)[:1]
        await send_mail(
            daemon,
            build_message(
                subject="Re: [EX#1] Printer on fire", headers={"In-Reply-To": str(ack["Message-ID"])}
            ),
        )
        await settle(daemon)
        after = await ticket_json(daemon, 2)
        answers = [m for m in smarthost.matching(to=CUSTOMER) if "together" in m.text]
    assert linked["linked"] == [3]
    assert first["status"] == "closed"
    assert first["messages"] == []
    assert 2 in first["linked"]
    assert {CUSTOMER, BOSS} <= set(second["participants"])
    assert [m["from"] for m in second["messages"] if m["kind"] == "customer"] == [CUSTOMER, BOSS]
    assert [a["Subject"] for a in answers] == ["Re: [EX#2] Printer again"]
    assert set(answers[0].rcpt_to) == {BOSS, CUSTOMER}
    assert after["messages"][-1]["from"] == CUSTOMER
    assert len(after["messages"]) == len(second["messages"]) + 1


async def test_note_reaches_the_other_engineers_and_no_customer(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A `/note` reply is stored as an internal note and mailed to Bob only, never to the customer or boss."""
    config = make_config(tmp_path, sqlite_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        await _reply(daemon, notifications[ALICE], "/note\nTheir contract ends in December.\n")
        [_, note] = await smarthost.expect(2, to=BOB)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        customer_mail = smarthost.matching(to=CUSTOMER) + smarthost.matching(to=BOSS)
        alice_mail = smarthost.matching(to=ALICE)
    assert "Their contract ends in December." in note.text
    assert note["Auto-Submitted"] == "auto-generated"
    assert len(customer_mail) == 2
    assert len(alice_mail) == 1
    assert [m["body_text"] for m in ticket["messages"] if m["kind"] == "note"] == [
        "Their contract ends in December."
    ]
    assert ticket["first_responded_at"] is None


async def test_unknown_command_gets_an_error_mail_to_that_engineer_only(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A typo in a command stops the whole reply: Alice is told why, the customer and Bob get nothing."""
    config = make_config(tmp_path, sqlite_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        await _reply(daemon, notifications[ALICE], "/resolve\n/asign bob@example.com\n\nFixed, thanks!\n")
        [_, error] = await smarthost.expect(2, to=ALICE)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        customer_mail = len(smarthost.matching(to=CUSTOMER))
        bob_mail = len(smarthost.matching(to=BOB))
    assert "/asign bob@example.com" in error.text
    assert "unknown command /asign" in error.text
    assert "Fixed, thanks!" in error.text
    assert error.rcpt_to == [ALICE]
    assert customer_mail == 1
    assert bob_mail == 1
    assert ticket["status"] == "new"
    assert ticket["assignee"] is None
    assert "commands-refused" in [e["kind"] for e in ticket["events"]]


async def test_assigning_someone_who_is_not_an_engineer_is_refused(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """`/assign` to an address outside `[[engineers]]` changes nothing and says so."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        await _reply(daemon, notifications[ALICE], "/assign mallory@evil.example\n/link 99\n")
        [_, error] = await smarthost.expect(2, to=ALICE)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert "mallory@evil.example is not one of the configured engineers" in error.text
    assert "there is no ticket 99" in error.text
    assert ticket["assignee"] is None


@pytest.mark.parametrize(
    "route",
    [
        pytest.param("support-address-with-tag", id="tag"),
        pytest.param("customer-token", id="customer-token"),
        pytest.param("other-engineers-token", id="other-engineers-token"),
    ],
)
async def test_spoofed_engineer_from_reaches_no_customer_and_alerts_the_engineers(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock, route: str
) -> None:
    """Mail in Alice's name without her token is kept as an unverified note, alerts both engineers, is never relayed."""
    config = make_config(tmp_path, database_url, smarthost.port, TWO_ENGINEERS)
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost, (ALICE, BOB))
        [ack] = smarthost.matching(to=CUSTOMER)
        to = {
            "support-address-with-tag": "support@example.com",
            "customer-token": _token_address(ack),
            "other-engineers-token": _token_address(notifications[BOB]),
        }[route]
        await _reply(daemon, notifications[ALICE], "/close\nPlease pay to account 12345 instead.\n", to=to)
        alerts = [(await smarthost.expect(2, to=e))[1] for e in (ALICE, BOB)]
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        customer_mail = len(smarthost.matching(to=CUSTOMER)) + len(smarthost.matching(to=BOSS))
    assert customer_mail == 2
    assert ticket["status"] == "new"
    [note] = [m for m in ticket["messages"] if m["kind"] == "note"]
    assert "unverified-engineer" in note["rule_hits"]
    assert "Please pay to account 12345 instead." in note["body_text"]
    assert "unverified-engineer-mail" in [e["kind"] for e in ticket["events"]]
    for alert in alerts:
        assert "Please pay to account 12345 instead." in alert.text
        assert "NOT sent to the customer" in alert.text or "お客様には送信していません" in alert.text


@pytest.mark.parametrize(
    ("authserv_id", "relayed"),
    [
        pytest.param("mx.example.com", True, id="trusted"),
        pytest.param("mx.evil.example", False, id="untrusted"),
    ],
)
async def test_passing_authentication_results_from_a_trusted_server_stand_in_for_the_token(
    tmp_path: Path,
    sqlite_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    authserv_id: str,
    relayed: bool,
) -> None:
    """A reply to support@ with DKIM/SPF pass from the configured MX is relayed; the same result from another server is not."""
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"security": {"trusted_authserv_ids": ["mx.example.com"]}}
    )
    results = f"{authserv_id}; dkim=pass header.d=example.com; spf=pass smtp.mailfrom=alice@example.com"
    async with running_daemon(config, clock) as daemon:
        notifications = await _open_ticket(daemon, smarthost)
        await _reply(
            daemon,
            notifications[ALICE],
            "Please unplug it.\n",
            to="support@example.com",
            headers={"Authentication-Results": results},
        )
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        customer_mail = smarthost.matching(to=CUSTOMER)
    assert len(customer_mail) == (2 if relayed else 1)
    assert [m["kind"] for m in ticket["messages"] if m["from"] == ALICE] == [
        "engineer" if relayed else "note"
    ]
    assert (ticket["first_responded_at"] is not None) is relayed


async def test_bounce_alerts_engineers_and_an_auto_reply_notifies_nobody(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A failed delivery is reported to the engineers as such; the customer's out-of-office is not passed on as a reply."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await _open_ticket(daemon, smarthost)
        [ack] = smarthost.matching(to=CUSTOMER)
        await send_mail(
            daemon,
            build_message(
                subject="Out of office: [EX#1] Printer on fire",
                body="I am away until Monday.\n",
                headers={"Auto-Submitted": "auto-replied", "In-Reply-To": str(ack["Message-ID"])},
            ),
        )
        await settle(daemon)
        after_auto_reply = len(smarthost.matching(to=ALICE))
        dsn = (
            "From: Mail Delivery System <MAILER-DAEMON@mx.client.example>\r\n"
            "To: support@example.com\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
            "--b1\r\nContent-Type: text/plain\r\n\r\n<boss@client.example>: mailbox unavailable\r\n"
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.client.example\r\n\r\n"
            "Final-Recipient: rfc822; boss@client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {ack['Message-ID']}\r\nSubject: {ack['Subject']}\r\n"
            "--b1--\r\n"
        ).encode()
        await send_mail(daemon, dsn, mail_from="", rcpt_to=["support@example.com"])
        [_, alert] = await smarthost.expect(2, to=ALICE)
        await settle(daemon)
        customer_mail = len(smarthost.matching(to=CUSTOMER))
    assert after_auto_reply == 1
    assert "Delivery failed" in alert.text or "配信に失敗しました" in alert.text
    assert "mailbox unavailable" in alert.text
    assert alert["Auto-Submitted"] == "auto-generated"
    assert customer_mail == 1
