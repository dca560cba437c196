"""A capture smarthost: a real aiosmtpd server on 127.0.0.1 that keeps what it is sent.

It can be told to answer the next MAIL, RCPT or DATA with a given reply, so
retries and permanent failures are tested over a real SMTP exchange.
`await smarthost.expect(count=1, to=…, within=5)` returns the messages or
fails listing what did arrive.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Captured:
    mail_from: str
    rcpt_to: list[str]
    raw: bytes
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        parsed = message_from_bytes(self.raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.message = parsed

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""

    @property
    def html(self) -> str:
        body = self.message.get_body(preferencelist=("html",))
        return body.get_content() if body is not None else ""

    def __getitem__(self, header: str) -> Any:
        return self.message[header]


class CaptureSmarthost:
    def __init__(self) -> None:
        self.messages: list[Captured] = []
        self.attempts = 0
        self._failures: dict[str, deque[str]] = {"MAIL": deque(), "RCPT": deque(), "DATA": deque()}
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="smarthost.test", ident="capture"), host="127.0.0.1", port=0
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def fail_next(self, stage: str, reply: str, times: int = 1) -> None:
        """Answer the next `times` commands of `stage` (MAIL, RCPT, DATA) with `reply`."""
        self._failures[stage].extend([reply] * times)

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.attempts += 1
        if self._failures["MAIL"]:
            return self._failures["MAIL"].popleft()
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._failures["RCPT"]:
            return self._failures["RCPT"].popleft()
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self._failures["DATA"]:
            return self._failures["DATA"].popleft()
        raw = envelope.original_content or b""
        async with self._arrived:
            self.messages.append(Captured(envelope.mail_from or "", list(envelope.rcpt_tos), raw))
            self._arrived.notify_all()
        return "250 2.0.0 Ok: captured"

    def matching(self, to: str | None) -> list[Captured]:
        return [m for m in self.messages if to is None or to.lower() in (r.lower() for r in m.rcpt_to)]

    async def expect(self, count: int = 1, *, to: str | None = None, within: float = 5.0) -> list[Captured]:
        """Wait until `count` messages (to `to`, if given) have arrived; fail listing what did."""
        try:
            async with asyncio.timeout(within), self._arrived:
                await self._arrived.wait_for(lambda: len(self.matching(to)) >= count)
        except TimeoutError:
            arrived = [f"{m.rcpt_to} {m['Subject']!r}" for m in self.messages]
            pytest.fail(
                f"expected {count} message(s) to {to or 'anyone'} within {within}s; arrived: {arrived}"
            )
        return self.matching(to)[:count] if count else []

    async def expect_none(self, *, to: str | None = None, within: float = 1.0) -> None:
        """Fail if any message (to `to`) arrives within `within` seconds."""
        try:
            async with asyncio.timeout(within), self._arrived:
                await self._arrived.wait_for(lambda: len(self.matching(to)) > 0)
        except TimeoutError:
            return
        pytest.fail(f"expected no mail to {to or 'anyone'}; got {[m['Subject'] for m in self.matching(to)]}")
