"""The composition root: builds engine, calendar, templates, listener, processor and sender.

Runs them in one `asyncio.TaskGroup` until SIGTERM/SIGINT; SIGHUP reloads the
config and templates (validate, then swap; on failure keep the old ones and
log). Migrates the database before it listens.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from mailgate.clock import Clock, SystemClock
from mailgate.config import Config, load
from mailgate.errors import ConfigError, MailgateError
from mailgate.inbound.accept import Acceptor
from mailgate.inbound.imap import ImapPoller
from mailgate.inbound.smtp import bound_port, start_listener
from mailgate.logs import get_logger
from mailgate.mail.compose import check_templates
from mailgate.outbound.sender import Sender
from mailgate.processor import Processor, Runtime
from mailgate.store.engine import create_engine, describe_url
from mailgate.store.migrate import upgrade

log = get_logger(__name__)


def validate_runtime(config: Config) -> Runtime:
    """Build everything a config implies, or raise ConfigError naming every problem."""
    problems = check_templates(config.templates_dir, sorted({config.service.language, "en", "ja"}))
    if problems:
        raise ConfigError(problems)
    return Runtime.build(config)


@dataclass
class Daemon:
    """A running mailgate; tests build one with a ManualClock and port 0."""

    config: Config
    clock: Clock = field(default_factory=SystemClock)
    config_path: Path | None = None
    smtp_port: int | None = None
    engine: AsyncEngine | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    processor: Processor | None = None
    sender: Sender | None = None
    acceptor: Acceptor | None = None

    async def run(self) -> None:
        runtime = validate_runtime(self.config)
        owns_engine = self.engine is None
        engine = self.engine or create_engine(
            self.config.database_url, busy_timeout=self.config.database.busy_timeout
        )
        self.engine = engine
        before, after = await upgrade(engine)
        if before != after:
            log.info(
                "store.migrated", database=describe_url(self.config.database_url), before=before, after=after
            )
        self.processor = Processor(engine, self.clock, runtime)
        self.sender = Sender(engine, self.clock, self.config)
        self.acceptor = Acceptor(engine, self.clock, on_committed=self.processor.wake)
        server = await start_listener(self.config, self.acceptor, port=self.smtp_port)
        self.port = bound_port(server)
        log.info("daemon.started", smtp_port=self.port)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.processor.run())
                group.create_task(self.sender.run())
                group.create_task(self._relay_wakeups())
                for mailbox in self.config.imap:
                    poller = ImapPoller(mailbox, self.acceptor, engine, self.clock)
                    group.create_task(self._keep_polling(poller))
                self.ready.set()
                await self.stopping.wait()
                log.info("daemon.stopping")
                server.close()
                await server.wait_closed()
                raise _Stop
        except* _Stop:
            pass
        finally:
            server.close()
            await self.acceptor.close()
            if owns_engine:
                await engine.dispose()
            log.info("daemon.stopped")

    async def _relay_wakeups(self) -> None:
        # The processor writes outbox rows; the sender should not wait for its poll to see them.
        processor, sender = self.processor, self.sender
        if processor is None or sender is None:
            return
        while True:
            await processor.outbox_written.wait()
            processor.outbox_written.clear()
            sender.wake.set()

    async def _keep_polling(self, poller: ImapPoller) -> None:
        # Boundary: an exception here would end the TaskGroup and with it the SMTP listener and
        # every other mailbox. The poller retries its own failures; anything reaching this is a bug.
        try:
            await poller.run()
        except Exception:
            log.exception("imap.poller_stopped", mailbox=poller.mailbox)

    def stop(self) -> None:
        self.stopping.set()

    def reload(self) -> None:
        """SIGHUP: read the config file again; swap only if it and its templates are valid."""
        if self.config_path is None or self.processor is None or self.sender is None:
            return
        try:
            config = load(self.config_path)
            runtime = validate_runtime(config)
        except MailgateError as exc:
            log.error("config.reload_failed", error=str(exc))
            return
        unchanged = ("database", "smtp", "imap")
        changed = [key for key in unchanged if getattr(config, key) != getattr(self.config, key)]
        if changed:
            log.warning("config.restart_needed", keys=changed)
        self.config = config
        self.processor.runtime = runtime
        self.sender.config = config
        log.info("config.reloaded")


class _Stop(Exception):  # noqa: N818  (control flow out of the TaskGroup, never raised to callers)
    pass


def install_signals(daemon: Daemon) -> Callable[[], None]:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, daemon.stop)
    loop.add_signal_handler(signal.SIGINT, daemon.stop)
    loop.add_signal_handler(signal.SIGHUP, daemon.reload)

    def remove() -> None:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)

    return remove


async def serve(config: Config, config_path: Path | None) -> None:
    daemon = Daemon(config, config_path=config_path)
    remove = install_signals(daemon)
    try:
        await daemon.run()
    finally:
        remove()
