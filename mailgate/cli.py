"""The `mailgate` command: argument parsing, exit codes, text and `--json` output.

No business rules live here. A `MailgateError` becomes one line on stderr
(one `key.path: message` line per problem for configuration errors) and exit
1; usage errors exit 2; `ingest` exits 75 (EX_TEMPFAIL) when the database is
unavailable, so an MTA pipe retries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import mailbox
import secrets
import shutil
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from mailgate import logs
from mailgate.clock import SystemClock
from mailgate.config import Config, default_path, load
from mailgate.errors import ConfigError, DeliveryTemporaryError, MailgateError, StoreUnavailable, UserError
from mailgate.hours.business import BusinessCalendar
from mailgate.hours.sla import first_response_due
from mailgate.inbound.accept import Arrival, accept_once
from mailgate.inbound.imap import ImapError, check_mailbox, mailbox_label
from mailgate.mail.compose import check_templates
from mailgate.outbound.sender import check_smarthost
from mailgate.store import inbox
from mailgate.store.engine import create_engine
from mailgate.store.migrate import upgrade
from mailgate.store.tickets import TicketView, list_ticket_views, load_ticket_view

EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75
PROJECT_DIR = Path(__file__).resolve().parents[1]


class MessageOut(BaseModel):
    id: int
    direction: str
    kind: str
    from_: str | None
    to: list[str]
    cc: list[str]
    subject: str
    message_id: str | None
    body_text: str
    created_at: str
    thread_method: str | None
    rule_hits: list[str]


class EventOut(BaseModel):
    at: str
    kind: str
    detail: dict[str, Any]


class TicketOut(BaseModel):
    id: int
    ref: str
    status: str
    priority: str
    subject: str
    requester: str
    participants: list[str]
    assignee: str | None
    tier: str
    language: str
    created_at: str
    first_response_due: str | None
    first_responded_at: str | None
    resolution_due: str | None
    linked: list[int]
    messages: list[MessageOut] | None = None
    events: list[EventOut] | None = None


def _iso(value: datetime | None, config: Config) -> str | None:
    return value.astimezone(config.hours.zone).isoformat() if value is not None else None


def ticket_out(view: TicketView, config: Config, *, with_messages: bool) -> TicketOut:
    t = view.ticket
    return TicketOut(
        id=t.id,
        ref=f"{config.service.tag}#{t.id}",
        status=t.status,
        priority=t.priority,
        subject=t.subject,
        requester=t.requester,
        participants=view.participants,
        assignee=t.assignee,
        tier=t.tier,
        language=t.language,
        created_at=_iso(t.created_at, config) or "",
        first_response_due=_iso(t.first_response_due, config),
        first_responded_at=_iso(t.first_responded_at, config),
        resolution_due=_iso(t.resolution_due, config),
        linked=view.linked,
        messages=[
            MessageOut(
                id=m.id,
                direction=m.direction,
                kind=m.kind,
                from_=m.from_addr,
                to=m.to,
                cc=m.cc,
                subject=m.subject,
                message_id=m.message_id,
                body_text=m.body_text,
                created_at=_iso(m.created_at, config) or "",
                thread_method=m.thread_method,
                rule_hits=m.rule_hits,
            )
            for m in view.messages
        ]
        if with_messages
        else None,
        events=[EventOut(at=_iso(e.at, config) or "", kind=e.kind, detail=e.detail) for e in view.events]
        if with_messages
        else None,
    )


def _dump(model: BaseModel) -> dict[str, Any]:
    data = model.model_dump(exclude_none=False)
    for message in data.get("messages") or []:
        message["from"] = message.pop("from_")
    if data.get("messages") is None:
        data.pop("messages", None)
        data.pop("events", None)
    return data


async def open_store(config: Config) -> AsyncEngine:
    """The engine, with the schema brought up to date (idempotent and quick when it is)."""
    engine = create_engine(config.database_url, busy_timeout=config.database.busy_timeout)
    await upgrade(engine)
    return engine


async def _with_store(config: Config, work: Callable[[AsyncEngine], Awaitable[int]]) -> int:
    engine = await open_store(config)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


# --- commands -----------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.dir)
    config_file = target / "config.toml"
    templates = target / "templates"
    for path in (config_file, templates):
        if path.exists():
            raise UserError(f"init: {path} exists; refusing to overwrite it")
    target.mkdir(parents=True, exist_ok=True)
    example = (PROJECT_DIR / "config.example.toml").read_text(encoding="utf-8")
    # A fresh secret per installation: a shared example secret would let anyone forge reply tokens.
    example = example.replace('secret = "change-me"', f'secret = "{secrets.token_hex(24)}"', 1)
    config_file.write_text(example, encoding="utf-8")
    shutil.copytree(PROJECT_DIR / "templates", templates)
    print(f"wrote {config_file} and {templates}/")
    return EXIT_OK


def cmd_check_config(args: argparse.Namespace) -> int:
    config = load(args.config)
    problems = check_templates(config.templates_dir, sorted({config.service.language, "en", "ja"}))
    if problems:
        raise ConfigError(problems)
    BusinessCalendar.from_config(config.hours)
    print(f"{args.config}: ok")
    if args.connect:
        return asyncio.run(check_connections(config))
    return EXIT_OK


async def check_connections(config: Config) -> int:
    """`check-config --connect`: log in to every mailbox and greet the smarthost, one line each."""
    failed = False
    for index, settings in enumerate(config.imap):
        label = f"imap[{index}] {mailbox_label(settings)}"
        try:
            found = await check_mailbox(settings)
        except (ImapError, ConfigError) as exc:
            print(f"{label}: {exc}")
            failed = True
            continue
        note = ""
        if found.processed_folder_exists is False:
            note = f"; processed_folder {settings.processed_folder!r} will be created"
        print(f"{label}: ok ({found.messages} messages{note})")
    outbound = config.outbound
    label = f"outbound {outbound.host}:{outbound.port}"
    try:
        greeting = await check_smarthost(config)
    except DeliveryTemporaryError as exc:
        print(f"{label}: {exc}")
        failed = True
    else:
        print(f"{label}: ok ({greeting})")
    return EXIT_USER_ERROR if failed else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from mailgate.daemon import serve

    config = load(args.config)
    asyncio.run(serve(config, args.config))
    return EXIT_OK


def cmd_migrate(args: argparse.Namespace) -> int:
    config = load(args.config)

    async def work() -> int:
        engine = create_engine(config.database_url, busy_timeout=config.database.busy_timeout)
        try:
            before, after = await upgrade(engine)
        finally:
            await engine.dispose()
        print(f"schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))
        return EXIT_OK

    return asyncio.run(work())


def _read_inputs(paths: Sequence[str]) -> list[tuple[str, bytes]]:
    if not paths or paths == ["-"]:
        return [("stdin", sys.stdin.buffer.read())]
    found = []
    for name in paths:
        try:
            found.append((name, Path(name).read_bytes()))
        except OSError as exc:
            raise UserError(f"ingest: {name}: {exc.strerror}") from None
    return found


def cmd_ingest(args: argparse.Namespace) -> int:
    config = load(args.config)
    inputs = _read_inputs(args.files)
    for name, raw in inputs:
        if not raw.strip():
            raise UserError(f"ingest: {name} is empty")

    async def work(engine: AsyncEngine) -> int:
        clock = SystemClock()
        for name, raw in inputs:
            accepted = await accept_once(
                engine,
                clock,
                Arrival(raw=raw, source="ingest", mail_from=args.sender, rcpt_to=tuple(args.recipient or ())),
            )
            state = "duplicate of" if accepted.duplicate else "accepted as"
            print(f"{name}: {state} inbox {accepted.inbox_id}")
        return EXIT_OK

    try:
        return asyncio.run(_with_store(config, work))
    except StoreUnavailable as exc:
        print(f"mailgate ingest: database unavailable, try again later: {exc}", file=sys.stderr)
        return EXIT_TEMPFAIL


def cmd_import(args: argparse.Namespace) -> int:
    config = load(args.config)
    path = Path(args.path)
    if not path.exists():
        raise UserError(f"import: {path} does not exist")
    box: mailbox.Mailbox[Any] = (
        mailbox.mbox(str(path), create=False)
        if args.format == "mbox"
        else mailbox.Maildir(str(path), create=False)
    )

    async def work(engine: AsyncEngine) -> int:
        clock = SystemClock()
        keys = list(box.keys())
        new = duplicate = 0
        for number, key in enumerate(keys, 1):
            raw = box.get_bytes(key)
            if args.format == "mbox" and raw.startswith(b"From "):
                raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
            accepted = await accept_once(engine, clock, Arrival(raw=raw, source="import"))
            duplicate += accepted.duplicate
            new += not accepted.duplicate
            if sys.stderr.isatty():
                print(f"\r{number}/{len(keys)}", end="", file=sys.stderr)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(f"imported {new} new messages, {duplicate} already present")
        return EXIT_OK

    return asyncio.run(_with_store(config, work))


def cmd_tickets(args: argparse.Namespace) -> int:
    config = load(args.config)

    async def work(engine: AsyncEngine) -> int:
        if args.tickets_command == "list":
            # Elements of the JSON list are whole tickets, messages included, as `show --json` prints them.
            views = await list_ticket_views(engine, status=args.status, with_messages=args.json)
            if args.json:
                print(
                    json.dumps(
                        [_dump(ticket_out(v, config, with_messages=True)) for v in views],
                        ensure_ascii=False,
                        indent=2,
                    )
                )
            else:
                for v in views:
                    t = v.ticket
                    due = _iso(t.first_response_due, config) or "-"
                    print(
                        f"{config.service.tag}#{t.id}\t{t.status}\t{t.priority}\t{t.requester}\tdue {due}\t{t.subject or '(no subject)'}"
                    )
            return EXIT_OK
        view = await load_ticket_view(engine, args.id)
        if view is None:
            raise UserError(f"tickets show {args.id}: no such ticket")
        out = ticket_out(view, config, with_messages=True)
        if args.json:
            print(json.dumps(_dump(out), ensure_ascii=False, indent=2))
            return EXIT_OK
        print(f"{out.ref}  {out.subject or '(no subject)'}")
        print(f"status {out.status}  priority {out.priority}  tier {out.tier}  requester {out.requester}")
        print(f"participants: {', '.join(out.participants)}")
        print(f"created {out.created_at}  first response due {out.first_response_due}")
        if out.linked:
            print(f"linked: {', '.join(f'{config.service.tag}#{n}' for n in out.linked)}")
        for m in out.messages or []:
            rules = f"  rules: {', '.join(m.rule_hits)}" if m.rule_hits else ""
            print(f"\n--- #{m.id} {m.direction} {m.kind} {m.created_at} from {m.from_}{rules}")
            print(f"Subject: {m.subject}")
            print(m.body_text.rstrip())
        for e in out.events or []:
            print(f"\n* {e.at} {e.kind} {json.dumps(e.detail, ensure_ascii=False)}")
        return EXIT_OK

    return asyncio.run(_with_store(config, work))


def cmd_inbox(args: argparse.Namespace) -> int:
    config = load(args.config)

    async def work(engine: AsyncEngine) -> int:
        if args.inbox_command == "retry":
            if args.ids:
                known = await inbox.existing_ids(engine, args.ids)
                missing = [i for i in args.ids if i not in known]
                if missing:
                    raise UserError(f"inbox retry {missing[0]}: no such inbox message")
            ids = await inbox.retry_failed(engine, args.ids)
            print(f"queued {len(ids)} failed message(s) again: {', '.join(map(str, ids)) or '-'}")
            return EXIT_OK
        items = await inbox.list_items(engine, failed_only=args.failed)
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "id": i.id,
                            "received_at": _iso(i.received_at, config),
                            "source": i.source,
                            "mail_from": i.mail_from,
                            "rcpt_to": list(i.rcpt_to),
                            "state": i.state.value,
                            "attempts": i.attempts,
                            "error": i.error,
                            "ticket": i.ticket_id,
                            "size": i.size,
                        }
                        for i in items
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for i in items:
                ticket = f"{config.service.tag}#{i.ticket_id}" if i.ticket_id else "-"
                error = f"\t{i.error}" if i.error else ""
                print(
                    f"{i.id}\t{i.state.value}\t{_iso(i.received_at, config)}\t{i.source}\t{i.mail_from or '-'}\t{ticket}{error}"
                )
        return EXIT_OK

    return asyncio.run(_with_store(config, work))


def cmd_due(args: argparse.Namespace) -> int:
    config = load(args.config)
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        raise UserError(f"due --at: {args.at!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=config.hours.zone)
    if args.priority not in config.sla:
        raise UserError(f"due --priority: {args.priority!r} is not one of {', '.join(sorted(config.sla))}")
    calendar = BusinessCalendar.from_config(config.hours)
    tier = config.tier_of(args.customer) if args.customer else "standard"
    due = first_response_due(calendar, config, received_at=at, priority=args.priority, tier=tier)
    if args.json:
        print(
            json.dumps(
                {"due": due.at.isoformat(), "reason": due.reason, "deferred": due.deferred, "tier": tier},
                ensure_ascii=False,
            )
        )
    else:
        print(f"{due.at.isoformat()}\t{due.reason}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from mailgate.demo import run_demo

    return run_demo(Path(args.dir) if args.dir else None, keep_running=not args.once)


# --- parsing ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="config file (default: $MAILGATE_CONFIG or ./config.toml)",
    )
    parser = argparse.ArgumentParser(
        prog="mailgate", description="Email-first ticketing daemon.", parents=[common]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", parents=[common], help="write config.toml and templates/ into DIR")
    p.add_argument("dir", nargs="?", default=".")
    p.set_defaults(func=cmd_init)
    sub.add_parser("run", parents=[common], help="run the daemon").set_defaults(func=cmd_run)
    p = sub.add_parser("check-config", parents=[common], help="validate config and templates")
    p.add_argument("--connect", action="store_true", help="also log in to each mailbox and the smarthost")
    p.set_defaults(func=cmd_check_config)
    sub.add_parser("migrate", parents=[common], help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )

    p = sub.add_parser("ingest", parents=[common], help="accept raw messages from files or stdin")
    p.add_argument("files", nargs="*")
    p.add_argument("--sender", default=None, help="envelope sender, as an MTA pipe passes it")
    p.add_argument("--recipient", action="append", help="envelope recipient (repeatable)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("import", parents=[common], help="bulk import an mbox or Maildir")
    p.add_argument("format", choices=["mbox", "maildir"])
    p.add_argument("path")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("tickets", parents=[common], help="list or show tickets")
    tsub = p.add_subparsers(dest="tickets_command", required=True)
    q = tsub.add_parser("list", parents=[common])
    q.add_argument("--status", choices=["new", "open", "pending", "resolved", "closed"])
    q.add_argument("--json", action="store_true")
    q = tsub.add_parser("show", parents=[common])
    q.add_argument("id", type=_ticket_number)
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_tickets)

    p = sub.add_parser("inbox", parents=[common], help="accepted messages and their processing state")
    p.add_argument("--failed", action="store_true")
    p.add_argument("--json", action="store_true")
    isub = p.add_subparsers(dest="inbox_command")
    q = isub.add_parser("retry", parents=[common], help="re-run failed messages")
    q.add_argument("ids", nargs="*", type=int)
    p.set_defaults(func=cmd_inbox)

    p = sub.add_parser("due", parents=[common], help="first-response due time for a message received at --at")
    p.add_argument("--at", required=True)
    p.add_argument("--priority", default="normal")
    p.add_argument("--customer", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_due)

    p = sub.add_parser("demo", parents=[common], help="run a self-contained demo with a catch-all smarthost")
    p.add_argument("dir", nargs="?", default=None)
    p.add_argument("--once", action="store_true", help="stop after the first ticket and its auto-reply")
    p.set_defaults(func=cmd_demo)
    return parser


def _ticket_number(value: str) -> int:
    text = value.split("#")[-1]
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a ticket number")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "config", None) is None:
        args.config = default_path()
    logs.configure(level="info" if args.command in ("run", "demo") else "warning")
    try:
        result: int = args.func(args)
    except ConfigError as exc:
        for key, message in exc.problems:
            print(f"{key}: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except StoreUnavailable as exc:
        print(f"mailgate {args.command}: database unavailable: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MailgateError as exc:
        print(f"mailgate {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return EXIT_OK
    return result


if __name__ == "__main__":
    sys.exit(main())
