"""The acknowledgement a customer receives: ticket, hours, honest due time, RFC 3834 headers."""

from __future__ import annotations

from datetime import datetime
from email.header import Header
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailgate.clock import ManualClock
from mailgate.mail.tokens import read_token
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import CaptureSmarthost

TOKYO = ZoneInfo("Asia/Tokyo")
SECRET = "test-secret-0123456789"


async def test_saturday_mail_is_due_tuesday_after_monday_holiday(
    tmp_path: Path, database_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Mail on Saturday 10:00 JST is due Tuesday 13:00: Monday 23 Nov is Labor Thanksgiving Day."""
    clock.set(datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO))
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message(subject="Cannot log in"))
        [ack] = await smarthost.expect(1, to="hanako@client.example")
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert ticket["first_response_due"] == "2026-11-24T13:00:00+09:00"
    assert ticket["status"] == "new"
    assert ticket["ref"] == "EX#1"
    assert ack["Subject"] == "[EX#1] Cannot log in"
    assert "Tue 24 Nov 13:00 JST" in ack.text
    # Outside hours: the customer is told plainly when work resumes.
    assert "outside our business hours" in ack.text
    assert "Tue 24 Nov 09:00 JST" in ack.text
    assert "Mon–Fri 09:00–18:00 JST" in ack.text


async def test_friday_evening_mail_is_due_tuesday_noon(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """Mail on Friday 17:00 JST uses Friday's last hour, skips the weekend and holiday: due Tue 12:00."""
    clock.set(datetime(2026, 11, 20, 17, 0, tzinfo=TOKYO))
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        [ack] = await smarthost.expect(1)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert ticket["first_response_due"] == "2026-11-24T12:00:00+09:00"
    assert "Tue 24 Nov 12:00 JST" in ack.text
    assert "outside our business hours" not in ack.text


async def test_acknowledgement_carries_loop_and_threading_headers(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """The acknowledgement is marked automatic, threads under the customer's mail and has a signed Reply-To."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    message = build_message()
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, message)
        [ack] = await smarthost.expect(1)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"] == message["Message-ID"]
    assert message["Message-ID"] in ack["References"]
    assert parseaddr(ack["From"])[1] == "support@example.com"
    reply_to = parseaddr(ack["Reply-To"])[1]
    assert reply_to.startswith("support+")
    claim = read_token(SECRET, [reply_to], "support@example.com", [])
    assert claim is not None
    assert claim.ticket == 1
    assert ack.rcpt_to == ["hanako@client.example"]


async def test_japanese_customer_gets_japanese_acknowledgement_with_decoded_subject(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """An ISO-2022-JP mail is answered in Japanese, its subject decoded after the ticket tag."""
    name = Header("山田 花子", "iso-2022-jp").encode()
    subject = Header("Re: メールが送信できません", "iso-2022-jp").encode()
    raw = (
        f"From: {name} <yamada@client.example>\r\n"
        "To: support@example.com\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <jp-1@client.example>\r\n"
        "Date: Sat, 21 Nov 2026 10:00:00 +0900\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n"
        "\r\n"
    ).encode("ascii") + "いつもお世話になっております。\r\nメールが送信できません。\r\n".encode("iso-2022-jp")
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, raw, mail_from="yamada@client.example", rcpt_to=["support@example.com"])
        [ack] = await smarthost.expect(1)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert ticket["subject"] == "メールが送信できません"
    assert ticket["language"] == "ja"
    assert "メールが送信できません" in ticket["messages"][0]["body_text"]
    assert ack["Subject"] == "[EX#1] メールが送信できません"
    assert "11月24日(火) 13:00" in ack.text
    assert "[EX#1]" in ack.text


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/plain; charset=Shift_JIS", "お問い合わせ①です".encode("cp932"), "お問い合わせ①です"),
        ("text/plain; charset=utf-8", "Grüße aus Köln".encode(), "Grüße aus Köln"),
        (
            "text/html; charset=utf-8",
            b"<html><body><p>Only <b>HTML</b> here</p><script>x()</script></body></html>",
            "Only HTML here",
        ),
    ],
    ids=["shift-jis", "utf-8", "html-only"],
)
async def test_any_charset_becomes_a_readable_ticket(
    tmp_path: Path,
    sqlite_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    content_type: str,
    body: bytes,
    expected: str,
) -> None:
    """Whatever the charset or format, the ticket shows the text the customer wrote."""
    raw = (
        (
            "From: customer@client.example\r\nTo: support@example.com\r\n"
            "Subject: =?UTF-8?B?5paH5a2X5YyW44GR?=\r\nMessage-ID: <cs@client.example>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        ).encode("ascii")
        + body
        + b"\r\n"
    )
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, raw, mail_from="customer@client.example", rcpt_to=["support@example.com"])
        await smarthost.expect(1)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    assert ticket["subject"] == "文字化け"
    assert expected in ticket["messages"][0]["body_text"]
    assert "<script>" not in ticket["messages"][0]["body_text"]


async def test_premium_customer_after_hours_is_told_on_call_was_paged(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A tier with after-hours cover is not deferred to Tuesday: its window runs in plain time and on-call is paged."""
    config = make_config(
        tmp_path,
        sqlite_url,
        smarthost.port,
        {"tiers": {"premium": {"after_hours": True, "oncall": "oncall@example.com"}}},
    )
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message(sender="cto@bigcorp.example"))
        [ack] = await smarthost.expect(1, to="cto@bigcorp.example")
        [page] = await smarthost.expect(1, to="oncall@example.com")
        await send_mail(daemon, build_message(sender="taro@client.example"))
        await smarthost.expect(1, to="taro@client.example")
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
        pages = smarthost.matching("oncall@example.com")
    assert ticket["tier"] == "premium"
    assert ticket["first_response_due"] == "2026-11-21T14:00:00+09:00"
    assert "on-call engineer has\nbeen paged" in ack.text.replace("\r\n", "\n")
    assert "Nobody will work on it" not in ack.text
    # The on-call engineer is paged for the premium customer, and only for them.
    assert "[EX#1]" in page["Subject"]
    assert "cto@bigcorp.example" in page.text
    assert len(pages) == 1
