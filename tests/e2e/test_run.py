"""`mailgate run` as a real process: start, take mail, answer it, reload on SIGHUP, stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
from email.utils import parseaddr
from pathlib import Path

from tests.support.cli import LIBFAKETIME, MAILGATE, faketime_env, run_cli, write_config
from tests.support.harness import _smtp_send, build_message
from tests.support.skips import need
from tests.support.smarthost import CaptureSmarthost

START_SECONDS = 30.0


async def _wait_for_event(stream: asyncio.StreamReader, event: str) -> dict[str, object]:
    async with asyncio.timeout(START_SECONDS):
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"mailgate exited before logging {event}")
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == event:
                return record  # type: ignore[no-any-return]


async def test_daemon_under_faketime_answers_reloads_and_stops(
    tmp_path: Path, smarthost: CaptureSmarthost
) -> None:
    """Saturday 10:00 JST by the process's own clock: the reply says Tuesday; SIGHUP applies new wording; SIGTERM stops it."""
    need(LIBFAKETIME is not None, "libfaketime (Debian package faketime) is not installed")
    config = write_config(tmp_path, "sqlite:///mailgate.db", smarthost.port)
    process = await asyncio.create_subprocess_exec(
        str(MAILGATE),
        "run",
        "-c",
        str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin", **faketime_env("2026-11-21 01:00:00")},
    )
    assert process.stderr is not None
    try:
        listening = await _wait_for_event(process.stderr, "smtp.listening")
        port = int(str(listening["port"]))
        await asyncio.to_thread(
            _smtp_send, port, build_message(), "hanako@client.example", ["support@example.com"]
        )
        [ack] = await smarthost.expect(1, within=15)
        shown = await asyncio.to_thread(run_cli, "tickets", "show", "1", "--json", "-c", str(config))
        ticket = json.loads(shown.stdout)
        listed = await asyncio.to_thread(run_cli, "tickets", "list", "--json", "-c", str(config))
        listed_new = await asyncio.to_thread(run_cli, "tickets", "list", "--status", "new", "-c", str(config))

        config.write_text(config.read_text().replace('name = "Example Support"', 'name = "Acme Helpdesk"'))
        process.send_signal(signal.SIGHUP)
        await _wait_for_event(process.stderr, "config.reloaded")
        second = build_message(sender="taro@client.example", subject="Second question")
        await asyncio.to_thread(_smtp_send, port, second, "taro@client.example", ["support@example.com"])
        [second_ack] = await smarthost.expect(1, to="taro@client.example", within=15)

        config.write_text(config.read_text().replace('mon = "09:00-18:00"', 'mon = "nine to six"'))
        process.send_signal(signal.SIGHUP)
        await _wait_for_event(process.stderr, "config.reload_failed")

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(START_SECONDS):
            returncode = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert ticket["first_response_due"] == "2026-11-24T13:00:00+09:00"
    assert [t["messages"][0]["from"] for t in json.loads(listed.stdout)] == ["hanako@client.example"]
    assert listed_new.stdout.startswith(
        "EX#1\tnew\tnormal\thanako@client.example\tdue 2026-11-24T13:00:00+09:00\t"
    )
    assert "Tue 24 Nov 13:00 JST" in ack.text
    assert parseaddr(ack["From"])[0] == "Example Support"
    assert parseaddr(second_ack["From"])[0] == "Acme Helpdesk"
    assert returncode == 0
