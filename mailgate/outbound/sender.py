"""The outbox worker: claim due rows and send them to the smarthost with aiosmtplib.

A 4xx answer or a network failure is retried with exponential backoff; a 5xx
answer (or too many attempts) fails the row for good and records it on the
ticket. The Message-ID was fixed when the row was written, so a retry is the
same message, not a second one.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncEngine

from mailgate.clock import Clock
from mailgate.config import Config
from mailgate.errors import DeliveryPermanentError, DeliveryTemporaryError, StoreUnavailable
from mailgate.logs import get_logger
from mailgate.store import outbox
from mailgate.store.outbox import OutboxState, Outcome, OutgoingMail

log = get_logger(__name__)

CLAIM_BATCH = 50
IDLE_POLL_SECONDS = 1.0
STORE_BACKOFF_SECONDS = 2.0


def smarthost_client(config: Config) -> aiosmtplib.SMTP:
    """A client for the configured smarthost; connecting also does EHLO, STARTTLS and AUTH."""
    settings = config.outbound
    return aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.tls,
        start_tls=settings.starttls and not settings.tls,
        username=settings.username,
        password=settings.password,
        timeout=settings.timeout,
        local_hostname=config.service.domain,
    )


async def check_smarthost(config: Config) -> str:
    """Connect and greet the smarthost as sending would; the greeting, or DeliveryTemporaryError."""
    client = smarthost_client(config)
    try:
        greeting = await client.connect()
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryTemporaryError(f"{type(exc).__name__}: {exc}") from exc
    return f"{greeting.code} {greeting.message.splitlines()[0] if greeting.message else ''}".strip()


async def deliver(config: Config, mail: OutgoingMail) -> None:
    """Hand one mail to the smarthost; raise DeliveryTemporaryError or DeliveryPermanentError."""
    try:
        async with smarthost_client(config) as client:
            errors, _ = await client.sendmail(mail.mail_from, list(mail.rcpt_to), mail.raw)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [refusal.code for refusal in exc.recipients]
        text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        if all(code >= 500 for code in codes):
            raise DeliveryPermanentError(text) from exc
        raise DeliveryTemporaryError(text) from exc
    except aiosmtplib.SMTPResponseException as exc:
        text = f"{exc.code} {exc.message}"
        if exc.code >= 500:
            raise DeliveryPermanentError(text) from exc
        raise DeliveryTemporaryError(text) from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise DeliveryTemporaryError(f"{type(exc).__name__}: {exc}") from exc
    if errors:
        # Some recipients were refused, the rest took it: the mail is sent; record who missed it.
        log.warning("outbox.partially_refused", outbox_id=mail.id, refused=sorted(errors))


def backoff(config: Config, attempts: int) -> timedelta:
    base = config.delivery.retry_base
    return timedelta(seconds=min(config.delivery.retry_max, base * 2 ** max(0, attempts - 1)))


class Sender:
    """Runs until cancelled; `wake` is set by whoever writes outbox rows."""

    def __init__(self, engine: AsyncEngine, clock: Clock, config: Config) -> None:
        self._engine = engine
        self._clock = clock
        self.config = config
        self.wake = asyncio.Event()

    async def run(self) -> None:
        if self._engine.dialect.name == "sqlite":
            # Only this process uses an SQLite database: whatever is `sending` was cut off by a
            # stop or a crash, and waiting out its claim would delay the customer's mail.
            with contextlib.suppress(StoreUnavailable):
                await outbox.release_claims(self._engine, self._clock.now())
        while True:
            try:
                sent_any = await self.send_due()
            except StoreUnavailable as exc:
                log.warning("outbox.store_unavailable", reason=str(exc))
                await self._clock.sleep(STORE_BACKOFF_SECONDS)
                continue
            if not sent_any:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_POLL_SECONDS):
                        await self.wake.wait()

    async def send_due(self) -> bool:
        """Send every row due now; True when there was something to do."""
        mails = await outbox.claim_due(self._engine, self._clock.now(), CLAIM_BATCH)
        if not mails:
            return False
        outcomes = await asyncio.gather(*(self._attempt(mail) for mail in mails))
        await outbox.record_outcomes(self._engine, outcomes)
        for outcome in outcomes:
            self._log(outcome)
        return True

    async def _attempt(self, mail: OutgoingMail) -> Outcome:
        try:
            await deliver(self.config, mail)
        except DeliveryPermanentError as exc:
            return Outcome(mail, OutboxState.FAILED, self._clock.now(), str(exc))
        except DeliveryTemporaryError as exc:
            return self._retry_or_give_up(mail, str(exc))
        except Exception as exc:
            log.exception("outbox.attempt_crashed", outbox_id=mail.id)
            return self._retry_or_give_up(mail, f"{type(exc).__name__}: {exc}")
        return Outcome(mail, OutboxState.SENT, self._clock.now())

    def _retry_or_give_up(self, mail: OutgoingMail, error: str) -> Outcome:
        now = self._clock.now()
        if mail.attempts >= self.config.delivery.max_attempts:
            return Outcome(mail, OutboxState.FAILED, now, f"gave up after {mail.attempts} attempts: {error}")
        return Outcome(
            mail, OutboxState.PENDING, now, error, retry_at=now + backoff(self.config, mail.attempts)
        )

    @staticmethod
    def _log(outcome: Outcome) -> None:
        mail = outcome.mail
        if outcome.state is OutboxState.SENT:
            log.info("outbox.sent", outbox_id=mail.id, ticket=mail.ticket_id, recipients=len(mail.rcpt_to))
        elif outcome.state is OutboxState.PENDING:
            retry_at = outcome.retry_at.isoformat() if outcome.retry_at else None
            log.info(
                "outbox.retry_scheduled",
                outbox_id=mail.id,
                attempts=mail.attempts,
                at=retry_at,
                error=outcome.error,
            )
        else:
            log.error("outbox.failed", outbox_id=mail.id, ticket=mail.ticket_id, error=outcome.error)
