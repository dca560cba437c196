"""RFC 3834: mailgate never answers automatic mail, and answers any one address at most N times a day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mailgate.clock import ManualClock
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import CaptureSmarthost

SUPPRESSED = [
    pytest.param({"headers": {"Auto-Submitted": "auto-replied"}}, "auto-submitted", id="auto-submitted"),
    pytest.param({"headers": {"Precedence": "bulk"}}, "precedence-bulk", id="precedence-bulk"),
    pytest.param({"headers": {"List-Id": "<announce.lists.example>"}}, "list-id", id="list-id"),
    pytest.param(
        {"headers": {"X-Auto-Response-Suppress": "All"}},
        "auto-response-suppress",
        id="x-auto-response-suppress",
    ),
    pytest.param({"sender": "MAILER-DAEMON@mx.client.example"}, "role-address", id="mailer-daemon"),
    pytest.param({"sender": "postmaster@client.example"}, "role-address", id="postmaster"),
    pytest.param({"sender": "no-reply@shop.example"}, "role-address", id="noreply"),
    pytest.param({"sender": "Example Support <support@example.com>"}, "own-address", id="own-address"),
]


@pytest.mark.parametrize(("message_args", "rule"), SUPPRESSED)
async def test_automatic_mail_gets_a_ticket_but_no_acknowledgement(
    tmp_path: Path,
    sqlite_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    message_args: dict[str, object],
    rule: str,
) -> None:
    """Machine mail is kept on a ticket, never answered, and the rule that stopped the answer is shown."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message(**message_args))  # type: ignore[arg-type]
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    # Engineers are told of mail a person wrote (x-auto-response-suppress); the sender never gets an answer.
    assert [m.rcpt_to for m in smarthost.messages if m.rcpt_to != ["alice@example.com"]] == []
    assert rule in ticket["messages"][0]["rule_hits"]
    assert [e["detail"] for e in ticket["events"] if e["kind"] == "autoreply-suppressed"] == [{"rule": rule}]


async def test_null_envelope_sender_is_never_answered(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """MAIL FROM:<> (a bounce or an auto-reply) gets no acknowledgement."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message(), mail_from="")
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert smarthost.messages == []
    assert "null-sender" in ticket["messages"][0]["rule_hits"]


async def test_sender_gets_at_most_the_daily_limit_of_automatic_mails(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Six new tickets from one address in a day bring five acknowledgements; the next day the count restarts."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        for number in range(6):
            await send_mail(daemon, build_message(subject=f"problem {number}"))
        await settle(daemon)
        sixth = await ticket_json(daemon, 6)
        assert len(smarthost.matching(to="hanako@client.example")) == 5
        clock.advance(timedelta(hours=24, minutes=1))
        await send_mail(daemon, build_message(subject="problem 7"))
        await smarthost.expect(6, to="hanako@client.example")
    assert "rate-limit" in [e["detail"].get("rule") for e in sixth["events"]]


async def test_engineers_are_told_of_every_ticket_whatever_the_customer_limit(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """The daily limit protects customers from loops; it never silences notifications to engineers."""
    config = make_config(
        tmp_path, sqlite_url, smarthost.port, {"limits": {"auto_replies_per_sender_per_day": 2}}
    )
    async with running_daemon(config, clock) as daemon:
        for number in range(4):
            await send_mail(daemon, build_message(sender=f"c{number}@client.example", subject=f"n{number}"))
        notifications = await smarthost.expect(4, to="alice@example.com")
        await settle(daemon)
        customer_acks = [m for m in smarthost.messages if "alice@example.com" not in m.rcpt_to]
    assert len(notifications) == 4
    assert len(customer_acks) == 4


async def test_bounce_of_an_acknowledgement_lands_on_its_ticket_and_starts_none(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A DSN for mailgate's own mail is attached to that ticket; it opens no ticket and is not answered."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        [ack] = await smarthost.expect(1, to="hanako@client.example")
        dsn = (
            "From: Mail Delivery System <MAILER-DAEMON@mx.client.example>\r\n"
            "To: support@example.com\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
            "--b1\r\nContent-Type: text/plain\r\n\r\nhanako@client.example: mailbox full\r\n"
            "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.client.example\r\n\r\n"
            "Final-Recipient: rfc822; hanako@client.example\r\nAction: failed\r\nStatus: 5.2.2\r\n"
            "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"Message-ID: {ack['Message-ID']}\r\nSubject: {ack['Subject']}\r\n"
            "--b1--\r\n"
        ).encode()
        await send_mail(daemon, dsn, mail_from="", rcpt_to=["support@example.com"])
        await send_mail(
            daemon,
            dsn.replace(ack["Message-ID"].encode(), b"<unknown@nowhere.example>"),
            mail_from="",
            rcpt_to=["support@example.com"],
        )
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        assert daemon.engine is not None
        from mailgate.store.tickets import list_ticket_views

        all_tickets = await list_ticket_views(daemon.engine, status=None)
    assert [m["kind"] for m in ticket["messages"]] == ["customer", "auto", "bounce"]
    assert "bounce" in [e["kind"] for e in ticket["events"]]
    assert len(all_tickets) == 1
    assert len(smarthost.matching(to="hanako@client.example")) == 1
