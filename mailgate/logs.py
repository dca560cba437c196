"""Logging for mailgate: structlog set-up and the catalogue of events.

`configure()` is called once, from `cli.main()`; nothing logs at import.
Lines are JSON when stderr is not a terminal, coloured console on one.
Per-message context (`inbox_id`, `message_id`, `ticket`) is bound with
`structlog.contextvars`, so every line of a message's processing carries it.

Events (constant strings, `noun.past_verb`, fields as key=value):

    daemon.started / daemon.stopping / daemon.stopped
    config.reloaded / config.reload_failed / config.restart_needed
    store.migrated
    smtp.listening / smtp.rcpt_refused / smtp.accept_failed
    message.accepted / message.duplicate / message.classified / message.threaded
    message.processed (outcome, ms) / message.failed
    ticket.created / ticket.updated
    autoreply.planned / autoreply.suppressed (rule=)
    engineers.notified / engineer.replied / engineer.not_relayed / engineer.unverified
    outbox.sent / outbox.retry_scheduled / outbox.failed / outbox.partially_refused
    outbox.attempt_crashed / outbox.store_unavailable / processor.store_unavailable
    imap.connected / imap.synced / imap.error / imap.recovered / imap.accept_failed
    imap.uidvalidity_changed / imap.folder_created / imap.poller_stopped
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def configure(*, level: str = "info", json: bool | None = None) -> None:
    """Set structlog up once for the process; `json=None` means "unless on a terminal"."""
    as_json = not sys.stderr.isatty() if json is None else json
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> Any:
    """A bound logger for a module; `name` is the module's dotted name."""
    return structlog.get_logger(name)
