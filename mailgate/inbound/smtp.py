"""The SMTP listener: aiosmtpd's protocol on mailgate's own event loop.

Refuses by policy at the envelope only (foreign recipient domain 550, too big
552); answers 250 only after `accept` committed the raw bytes, and 451 when
it could not. Never tells a peer why something failed inside mailgate.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from mailgate.config import Config
from mailgate.errors import StoreUnavailable
from mailgate.inbound.accept import Acceptor, Arrival
from mailgate.logs import get_logger

log = get_logger(__name__)

REPLY_OK = "250 2.1.5 OK"
REPLY_RELAY_DENIED = "550 5.7.1 Relaying denied"
REPLY_TOO_BIG = "552 5.3.4 Message too big"
REPLY_TRY_LATER = "451 4.3.0 Temporary failure, please try again later"


def queued_reply(inbox_id: int) -> str:
    return f"250 2.0.0 Ok: queued as {inbox_id}"


class _Protocol(SMTP):
    # RFC 5321 caps lines at 1000 octets, but real clients (old Outlook, scripts)
    # send longer ones; refusing them would refuse customer mail for its content.
    line_length_limit = 64 * 1024


class SmtpHandler:
    """aiosmtpd hooks: RCPT policy, DATA acceptance, and the exception boundary."""

    def __init__(self, acceptor: Acceptor, domains: frozenset[str]) -> None:
        self._acceptor = acceptor
        self._domains = domains

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        domain = address.rpartition("@")[2].lower().rstrip(".")
        if domain not in self._domains:
            log.info("smtp.rcpt_refused", recipient_domain=domain, peer=str(session.peer))
            return REPLY_RELAY_DENIED
        envelope.rcpt_tos.append(address)
        return REPLY_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content
        if not isinstance(raw, bytes):
            return REPLY_TRY_LATER
        arrival = Arrival(
            raw=raw,
            source="smtp",
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
        )
        try:
            accepted = await self._acceptor.accept(arrival)
        except StoreUnavailable as exc:
            log.warning("smtp.accept_failed", reason=str(exc))
            return REPLY_TRY_LATER
        except Exception:
            log.exception("smtp.accept_failed")
            return REPLY_TRY_LATER
        return queued_reply(accepted.inbox_id)

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default reply names the exception; the peer gets nothing but "try later".
        log.error("smtp.accept_failed", error=type(error).__name__)
        return REPLY_TRY_LATER


async def start_listener(config: Config, acceptor: Acceptor, *, port: int | None = None) -> asyncio.Server:
    """Listen on `smtp.listen` (or `port`, 0 for a free one); the bound port is in `.sockets`."""
    handler = SmtpHandler(acceptor, frozenset(config.service.domains))
    loop = asyncio.get_running_loop()
    size_limit = config.smtp.max_message_size

    def factory() -> Any:
        return _Protocol(
            handler,
            data_size_limit=size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=config.service.domain,
            ident="mailgate",
            loop=loop,
        )

    server = await loop.create_server(
        factory, host=config.smtp.host, port=config.smtp.port if port is None else port
    )
    bound = server.sockets[0].getsockname()
    log.info("smtp.listening", host=bound[0], port=bound[1])
    return server


def bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])
