"""Nothing is lost: a message that breaks processing is kept and re-run; mail that cannot be sent is retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import update
from structlog.testing import capture_logs

import mailgate.processor
from mailgate.clock import ManualClock
from mailgate.mail.parse import ParsedMessage
from mailgate.store import inbox
from mailgate.store.tables import OutboxRow
from tests.support.harness import build_message, make_config, running_daemon, send_mail, settle, ticket_json
from tests.support.smarthost import CaptureSmarthost


async def test_message_that_breaks_processing_is_kept_failed_and_retried(
    tmp_path: Path,
    database_url: str,
    smarthost: CaptureSmarthost,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug on one message marks it failed with the error; the others go on; `inbox retry` re-runs it."""
    real_parse = mailgate.processor.parse_message

    def parse_with_bug(raw: bytes) -> ParsedMessage:
        # Stands in for a defect in mailgate: a message it cannot yet handle.
        if b"POISON" in raw:
            raise ValueError("cannot handle this message")
        return real_parse(raw)

    monkeypatch.setattr(mailgate.processor, "parse_message", parse_with_bug)
    config = make_config(tmp_path, database_url, smarthost.port)
    async with running_daemon(config, clock) as daemon:
        assert daemon.engine is not None
        await send_mail(daemon, build_message(subject="POISON pill"))
        await send_mail(daemon, build_message(sender="taro@client.example", subject="healthy"))
        await smarthost.expect(1, to="taro@client.example")
        await settle(daemon)
        failed = await inbox.list_items(daemon.engine, failed_only=True)
        assert [(i.id, i.state.value) for i in failed] == [(1, "failed")]
        assert failed[0].error == "ValueError: cannot handle this message"

        monkeypatch.setattr(mailgate.processor, "parse_message", real_parse)
        assert await inbox.retry_failed(daemon.engine, [1]) == [1]
        daemon.processor.wake.set()  # type: ignore[union-attr]
        await smarthost.expect(1, to="hanako@client.example")
        await settle(daemon)
        remaining = await inbox.list_items(daemon.engine, failed_only=True)
        second = await ticket_json(daemon, 2)
    assert remaining == []
    assert second["subject"] == "POISON pill"


async def test_smarthost_4xx_is_retried_with_the_same_message_id(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A temporary smarthost refusal is retried after the backoff; the customer gets one copy, same Message-ID."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"engineers": []})
    smarthost.fail_next("MAIL", "451 4.3.0 Try again later", times=2)
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        await settle(daemon)
        assert smarthost.messages == []
        clock.advance(timedelta(seconds=1))
        await settle(daemon)
        clock.advance(timedelta(seconds=2))
        [ack] = await smarthost.expect(1)
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    outgoing = [m for m in ticket["messages"] if m["direction"] == "out"]
    assert smarthost.attempts == 3
    assert [m["message_id"] for m in outgoing] == [ack["Message-ID"]]


async def test_smarthost_5xx_fails_the_mail_and_says_so_on_the_ticket(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """A permanent refusal is not retried; the ticket's history shows the delivery failure."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"engineers": []})
    smarthost.fail_next("RCPT", "550 5.1.1 No such user")
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        await settle(daemon)
        clock.advance(timedelta(hours=2))
        await settle(daemon)
        ticket = await ticket_json(daemon, 1)
    failures = [e for e in ticket["events"] if e["kind"] == "delivery-failed"]
    assert smarthost.messages == []
    assert smarthost.attempts == 1
    assert len(failures) == 1
    assert "550 5.1.1" in failures[0]["detail"]["error"]


async def test_every_log_line_of_a_message_carries_its_inbox_id(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """An operator grepping one inbox id sees the whole story of that message, ticket included."""
    config = make_config(tmp_path, sqlite_url, smarthost.port)
    structlog.contextvars.clear_contextvars()
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        async with running_daemon(config, clock) as daemon:
            await send_mail(daemon, build_message())
            await smarthost.expect(1)
            await settle(daemon)
    processing = [
        entry
        for entry in logs
        if entry["event"].startswith(
            ("message.classified", "message.threaded", "ticket.", "autoreply.", "message.processed")
        )
    ]
    assert {entry["event"] for entry in processing} >= {
        "message.classified",
        "message.threaded",
        "ticket.created",
        "autoreply.planned",
        "message.processed",
    }
    assert all(entry.get("inbox_id") == 1 for entry in processing)
    assert all(entry.get("ticket") == 1 for entry in processing if entry["event"] != "message.classified")


async def test_mail_cut_off_mid_send_goes_out_on_restart_without_waiting(
    tmp_path: Path, sqlite_url: str, smarthost: CaptureSmarthost, clock: ManualClock
) -> None:
    """An acknowledgement a stopped daemon had claimed is sent as soon as mailgate starts again."""
    config = make_config(tmp_path, sqlite_url, smarthost.port, {"engineers": []})
    async with running_daemon(config, clock) as daemon:
        await send_mail(daemon, build_message())
        [first] = await smarthost.expect(1)
        assert daemon.engine is not None
        async with daemon.engine.begin() as connection:
            # What a daemon killed between claiming and recording leaves behind.
            await connection.execute(
                update(OutboxRow).values(state="sending", next_attempt_at=clock.now() + timedelta(minutes=5))
            )
    async with running_daemon(config, clock) as daemon:
        [_, again] = await smarthost.expect(2)
    assert again["Message-ID"] == first["Message-ID"]
