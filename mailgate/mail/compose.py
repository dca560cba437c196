"""Compose outgoing mail: a `Draft` rendered through the admins' templates into an `EmailMessage`.

Templates live in `templates/<language>/<name>.txt.j2` (and an optional
`.html.j2`), rendered by a sandboxed Jinja2 environment built once per
`Composer`. Customer text only ever arrives as template data, never as template
source. The message carries RFC 3834 and threading headers and the Message-ID
it is given, so a retried delivery is the same message. No I/O beyond reading
templates, no clock: the date is passed in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import Policy
from pathlib import Path
from types import MappingProxyType, TracebackType
from zoneinfo import ZoneInfo

from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateRuntimeError,
    TemplateSyntaxError,
    meta,
    nodes,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailgate.config import ServiceConfig
from mailgate.errors import ConfigError
from mailgate.mail.parse import Address

FALLBACK_LANGUAGE = "en"
AUTO_SUBMITTED_VALUES = frozenset({"auto-replied", "auto-generated"})
MAX_REFERENCES = 20
"""Long threads keep the first Message-ID (the thread's root) and the most recent ones."""

# An admin's template can fail the way any Python expression can ({{ 1 / 0 }},
# {{ "a" + 1 }}); these are reported as that template's problem, with its line.
_RENDER_ERRORS = (TemplateError, ArithmeticError, LookupError, TypeError, ValueError)

_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MESSAGE_ID = re.compile(r"^<[^<>\s]+@[^<>\s]+>$")
# Some mailers write ids without "@"; threading under them still helps the customer.
_THEIR_MESSAGE_ID = re.compile(r"^<[^<>\s]+>$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """One mail to send, before rendering: which template, for whom, with what data.

    `context` holds the template variables (plain data and aware datetimes).
    `references` are the References of the message answered; `in_reply_to` its
    Message-ID. `auto_submitted` is "auto-replied", "auto-generated" or None.
    """

    template: str
    language: str
    to: tuple[Address, ...]
    subject: str
    context: Mapping[str, object]
    cc: tuple[Address, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    reply_to: str | None = None
    from_name: str | None = None
    auto_submitted: str | None = None
    ticket_ref: str | None = None


def make_message_id(domain: str) -> str:
    """A new globally unique Message-ID, `<uuid4hex@domain>`."""
    return f"<{uuid.uuid4().hex}@{domain}>"


def format_when(value: datetime, zone: ZoneInfo, language: str) -> str:
    """`Tue 24 Nov 13:00 JST` (en) or `11月24日(火) 13:00` (ja), in `zone`.

    Names come from the tables above, never from the process locale, so a
    daemon started under `LANG=C` writes the same mail as one under `ja_JP`.
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TemplateRuntimeError(f"when: expected an aware datetime, got {value!r}")
    local = value.astimezone(zone)
    if language == "ja":
        return f"{format_date(local, zone, language)} {local.hour}:{local.minute:02d}"
    return f"{format_date(local, zone, language)} {local:%H:%M} {local.strftime('%Z')}"


def format_date(value: date, zone: ZoneInfo, language: str) -> str:
    """`Tue 24 Nov` (en) or `11月24日(火)` (ja); an aware datetime is first put in `zone`."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TemplateRuntimeError(f"date: expected an aware datetime, got {value!r}")
        value = value.astimezone(zone).date()
    elif not isinstance(value, date):
        raise TemplateRuntimeError(f"date: expected a date or datetime, got {value!r}")
    if language == "ja":
        return f"{value.month}月{value.day}日({_WEEKDAYS['ja'][value.weekday()]})"
    return f"{_WEEKDAYS['en'][value.weekday()]} {value.day} {_MONTHS_EN[value.month - 1]}"


def _language_of(context: Context) -> str:
    # Templates are loaded as "<language>/<file>", so the folder a template was
    # found in (after any fallback) decides how its dates are written.
    return (context.name or FALLBACK_LANGUAGE).split("/", 1)[0]


def _escape_html_only(name: str | None) -> bool:
    return name is not None and name.endswith(".html.j2")


def _finalize(value: object) -> object:
    # A missing customer name is None; a customer should never read "Dear None".
    return "" if value is None else value


def _build_environment(templates_dir: Path, zone: ZoneInfo) -> ImmutableSandboxedEnvironment:
    @pass_context
    def when(context: Context, value: datetime) -> str:
        return format_when(value, zone, _language_of(context))

    @pass_context
    def day(context: Context, value: date) -> str:
        return format_date(value, zone, _language_of(context))

    environment = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(templates_dir, encoding="utf-8"),
        undefined=StrictUndefined,
        autoescape=_escape_html_only,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # Compiled once and kept: templates change only on reload (SIGHUP
        # builds a new Composer), so no per-message stat of every file.
        auto_reload=False,
        cache_size=-1,
    )
    environment.filters["when"] = when
    environment.filters["date"] = day
    return environment


def _error_line(error: BaseException, filename: str | None) -> int | None:
    """The template line an error was raised at, from Jinja's rewritten traceback."""
    if isinstance(error, TemplateSyntaxError):
        return error.lineno
    line = None
    trace: TracebackType | None = error.__traceback__
    while trace is not None:
        if filename is not None and trace.tb_frame.f_code.co_filename == filename:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def _error_message(error: BaseException) -> str:
    if isinstance(error, TemplateError):
        return error.message or type(error).__name__
    return f"{type(error).__name__}: {error}"


def _one_line(text: str) -> str:
    """Header text without line breaks or control characters (no header injection)."""
    return _CONTROL.sub(" ", text).strip()


class _MessageIds(str):
    """A msg-id list header folded between ids, never into RFC 2047 encoded words.

    The stdlib treats In-Reply-To and References as unstructured text and
    encodes any id longer than a line (Gmail's and Outlook's often are), which
    no mail client decodes when threading. A header object with `name` and
    `fold` is stored and written as is by `email.policy`.
    """

    name: str
    ids: tuple[str, ...]

    def __new__(cls, name: str, ids: Sequence[str]) -> _MessageIds:
        header = super().__new__(cls, " ".join(ids))
        header.name = name
        header.ids = tuple(ids)
        return header

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 78
        lines = [f"{self.name}:"]
        for msg_id in self.ids:
            if len(lines) == 1 or len(lines[-1]) + 1 + len(msg_id) <= limit:
                lines[-1] += f" {msg_id}"
            else:
                lines.append(f" {msg_id}")
        return policy.linesep.join(lines) + policy.linesep


def _valid_ids(ids: Iterable[str | None]) -> list[str]:
    """Well-formed msg-ids, once each, in order; a customer's malformed ones are dropped."""
    return list(dict.fromkeys(i.strip() for i in ids if i and _THEIR_MESSAGE_ID.match(i.strip())))


def thread_references(references: Sequence[str], in_reply_to: str | None) -> tuple[str, ...]:
    """A reply's References (RFC 5322 3.6.4): theirs plus the id answered, trimmed in the middle."""
    ids = _valid_ids([*references, in_reply_to])
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def _header_address(address: Address) -> HeaderAddress:
    return HeaderAddress(display_name=_one_line(address.name or ""), addr_spec=address.address)


@dataclass(frozen=True, slots=True)
class _Resolved:
    language: str
    text: Template
    html: Template | None


class Composer:
    """Renders drafts with one sandboxed environment, loaded once and reused for every message."""

    def __init__(self, templates_dir: Path, service: ServiceConfig, zone: ZoneInfo) -> None:
        self._templates_dir = templates_dir
        self._service = service
        self._zone = zone
        self._environment = _build_environment(templates_dir, zone)
        self._resolved: dict[tuple[str, str], _Resolved] = {}

    def _optional(self, name: str) -> Template | None:
        try:
            return self._environment.get_template(name)
        except TemplateNotFound:
            return None
        except TemplateSyntaxError as exc:
            raise ConfigError([(f"{exc.filename or name}:{exc.lineno}", exc.message or "")]) from exc

    def _resolve(self, template: str, language: str) -> _Resolved:
        """The templates for `language`, else the service's language, else English."""
        key = (template, language)
        cached = self._resolved.get(key)
        if cached is not None:
            return cached
        tried = tuple(dict.fromkeys((language, self._service.language, FALLBACK_LANGUAGE)))
        for candidate in tried:
            text = self._optional(f"{candidate}/{template}.txt.j2")
            if text is not None:
                html = self._optional(f"{candidate}/{template}.html.j2")
                resolved = _Resolved(candidate, text, html)
                self._resolved[key] = resolved
                return resolved
        folders = ", ".join(str(self._templates_dir / c) for c in tried)
        raise ConfigError([(f"{template}.txt.j2", f"no such template in {folders}")])

    def _render(self, template: Template, draft: Draft, language: str) -> str:
        try:
            return template.render({**draft.context, "language": language})
        except _RENDER_ERRORS as exc:
            line = _error_line(exc, template.filename)
            where = f"{template.filename}:{line}" if line else str(template.filename)
            raise ConfigError([(where, _error_message(exc))]) from exc

    def render_text(self, draft: Draft) -> str:
        """The text/plain body of `draft`."""
        resolved = self._resolve(draft.template, draft.language)
        return self._render(resolved.text, draft, resolved.language)

    def render_html(self, draft: Draft) -> str | None:
        """The text/html body of `draft`, or None when its language has no HTML template."""
        resolved = self._resolve(draft.template, draft.language)
        if resolved.html is None:
            return None
        return self._render(resolved.html, draft, resolved.language)

    def compose(self, draft: Draft, *, message_id: str, date: datetime) -> EmailMessage:
        """The whole message for `draft`; `message_id` was fixed when its outbox row was written."""
        if not _MESSAGE_ID.match(message_id):
            raise ValueError(f"{message_id!r} is not a Message-ID like <id@domain>")
        if date.tzinfo is None:
            raise ValueError("the Date of an outgoing message must be timezone-aware")
        if draft.auto_submitted is not None and draft.auto_submitted not in AUTO_SUBMITTED_VALUES:
            raise ValueError(f"Auto-Submitted: {draft.auto_submitted!r} is not one of RFC 3834's")
        if not draft.to:
            raise ValueError("a message needs at least one To address")
        resolved = self._resolve(draft.template, draft.language)
        text = self._render(resolved.text, draft, resolved.language)
        html = None
        if resolved.html is not None:
            html = self._render(resolved.html, draft, resolved.language)

        display_name = _one_line(draft.from_name or self._service.name)
        message = EmailMessage()
        message["From"] = HeaderAddress(display_name=display_name, addr_spec=self._service.address)
        message["To"] = [_header_address(a) for a in draft.to]
        if draft.cc:
            message["Cc"] = [_header_address(a) for a in draft.cc]
        message["Subject"] = _one_line(draft.subject)
        message["Date"] = date.astimezone(self._zone)
        message["Message-ID"] = _MessageIds("Message-ID", [message_id])
        in_reply_to = _valid_ids([draft.in_reply_to])
        if in_reply_to:
            message["In-Reply-To"] = _MessageIds("In-Reply-To", in_reply_to)
        references = thread_references(draft.references, draft.in_reply_to)
        if references:
            message["References"] = _MessageIds("References", references)
        if draft.reply_to:
            message["Reply-To"] = HeaderAddress(display_name=display_name, addr_spec=draft.reply_to)
        if draft.auto_submitted:
            # RFC 3834 5.1 for standards-aware software; the Microsoft header
            # keeps Exchange and Outlook from answering with their own out-of-office.
            message["Auto-Submitted"] = draft.auto_submitted
            message["X-Auto-Response-Suppress"] = "All"
        if draft.ticket_ref:
            message["X-Mailgate-Ticket"] = _one_line(draft.ticket_ref)
        # Quoted-printable: 7-bit safe through any relay (no 8BITMIME needed) and
        # every encoded line stays far below RFC 5322's 998 bytes.
        message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
        if html is not None:
            message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
            for part in message.iter_parts():
                # The stdlib stamps each new part as if it were a whole message.
                del part["MIME-Version"]
        # Set after the body: turning the message multipart moves every
        # Content-* header into the first part, where clients do not look.
        message["Content-Language"] = resolved.language
        return message


def _aware(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


SAMPLE_CONTEXT: Mapping[str, object] = MappingProxyType(
    {
        "service": {"name": "Example Support", "address": "support@example.com"},
        "ticket": {
            "ref": "EX#42",
            "number": 42,
            "subject": "Cannot log in to the portal",
            "priority": "normal",
            "status": "new",
        },
        "customer": {"name": "Taro Yamada", "address": "taro@client.example"},
        "received_at": _aware("2026-11-21T10:00:00+09:00"),
        "due_at": _aware("2026-11-24T13:00:00+09:00"),
        "due_reason": "closed: Sat; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00",
        "deferred": True,
        "next_opening": _aware("2026-11-24T09:00:00+09:00"),
        "hours": "Mon–Fri 09:00–18:00 JST",
        "after_hours_cover": False,
    }
)
"""The acknowledgement's context, as the planner builds it; `check_templates` renders with it."""

_ACKNOWLEDGEMENT_VARIANTS: tuple[Mapping[str, object], ...] = (
    SAMPLE_CONTEXT,
    {
        **SAMPLE_CONTEXT,
        "customer": {"name": None, "address": "taro@client.example"},
        "received_at": _aware("2026-11-24T10:00:00+09:00"),
        "due_at": _aware("2026-11-24T14:00:00+09:00"),
        "deferred": False,
        "next_opening": None,
    },
    {**SAMPLE_CONTEXT, "after_hours_cover": True},
)
"""Every branch a shipped template takes: deferred or not, nameless customer, after-hours cover."""

_STAFF_TICKET: dict[str, object] = {
    "ref": "EX#42",
    "number": 42,
    "subject": "Cannot log in to the portal",
    "status": "open",
    "priority": "normal",
    "requester": "taro@client.example",
    "assignee": None,
    "first_response_due": _aware("2026-11-24T13:00:00+09:00"),
    "first_responded_at": None,
    "resolution_due": _aware("2026-11-26T18:00:00+09:00"),
}

_SAMPLE_TICKET_FOR_STAFF: Mapping[str, object] = MappingProxyType(
    {
        "service": SAMPLE_CONTEXT["service"],
        "engineer": {"name": "Alice", "address": "alice@example.com"},
        "ticket": _STAFF_TICKET,
        "participants": [
            {"address": "taro@client.example", "name": "Taro Yamada", "role": "requester"},
            {"address": "boss@client.example", "name": None, "role": "cc"},
        ],
        "linked": [{"ref": "EX#17", "subject": "Portal slow", "status": "closed", "reason": "follow-up"}],
    }
)
"""What every mail to engineers is told about its ticket (`tickets.notify.ticket_context`)."""

_STAFF_ANSWERED = {
    **_SAMPLE_TICKET_FOR_STAFF,
    "ticket": {
        **_STAFF_TICKET,
        "assignee": "alice@example.com",
        "first_responded_at": _aware("2026-11-24T10:30:00+09:00"),
        "resolution_due": None,
    },
    "participants": [],
    "linked": [],
}

_CUSTOMER_SAYS = "Hello,\nnone of our staff can log in since this morning.\n\nTaro"

SAMPLE_CONTEXTS: Mapping[str, tuple[Mapping[str, object], ...]] = MappingProxyType(
    {
        "acknowledgement": _ACKNOWLEDGEMENT_VARIANTS,
        "notification": (
            {
                **_SAMPLE_TICKET_FOR_STAFF,
                "created": True,
                "sender": {"name": "Taro Yamada", "address": "taro@client.example"},
                "text": _CUSTOMER_SAYS,
            },
            {
                **_STAFF_ANSWERED,
                "created": False,
                "sender": {"name": None, "address": "boss@client.example"},
                "text": "Any news?",
            },
        ),
        "engineer_reply": (
            {
                "service": SAMPLE_CONTEXT["service"],
                "ticket": SAMPLE_CONTEXT["ticket"],
                "customer": SAMPLE_CONTEXT["customer"],
                "engineer": {"name": "Alice"},
                "text": "Hello Taro,\n\nplease clear the browser cache and try again.",
            },
        ),
        "command_error": (
            {
                **_SAMPLE_TICKET_FOR_STAFF,
                "errors": [{"line": "/asign bob@example.com", "reason": "unknown command /asign"}],
                "usage": ["/close", "/assign ADDRESS", "/note"],
                "text": "Bob will call you tomorrow.",
            },
            {**_STAFF_ANSWERED, "errors": [], "usage": [], "text": ""},
        ),
        "note": (
            {
                **_SAMPLE_TICKET_FOR_STAFF,
                "author": {"name": "Bob", "address": "bob@example.com"},
                "text": "Their contract ends in December.",
            },
            {**_STAFF_ANSWERED, "author": {"name": "Bob", "address": "bob@example.com"}, "text": "ok"},
        ),
        "unverified_alert": (
            {
                **_SAMPLE_TICKET_FOR_STAFF,
                "claimed": {"name": "Alice", "address": "alice@example.com"},
                "sender": {"name": "Alice", "address": "alice@example.com"},
                "reason": "no-token-no-trusted-pass",
                "text": "Please send the invoice to my private address.",
            },
        ),
        "bounce_alert": (
            {
                **_SAMPLE_TICKET_FOR_STAFF,
                "sender": {"name": "Mail Delivery System", "address": "mailer-daemon@client.example"},
                "report_subject": "Undelivered Mail Returned to Sender",
                "text": "<boss@client.example>: host mx.client.example said: 550 5.1.1 User unknown",
            },
            {**_STAFF_ANSWERED, "sender": {"name": None, "address": None}, "report_subject": "", "text": ""},
        ),
    }
)
"""Per template name, the contexts its planner builds, one per branch worth rendering.

`check_templates` renders each shipped template with each of its contexts and
flags any name a template uses that its context lacks. A template of a name
not listed here (an admin's own) is checked against the acknowledgement's.
"""


def _template_name(path: Path) -> str:
    """`notification.html.j2` → `notification`."""
    return path.name.split(".", 1)[0]


def _variants(path: Path) -> tuple[Mapping[str, object], ...]:
    return SAMPLE_CONTEXTS.get(_template_name(path), _ACKNOWLEDGEMENT_VARIANTS)


def _first_use(tree: nodes.Template, name: str) -> int:
    lines = [n.lineno for n in tree.find_all(nodes.Name) if n.name == name and n.ctx == "load"]
    return min(lines, default=1)


def _check_file(environment: ImmutableSandboxedEnvironment, path: Path, name: str) -> list[tuple[str, str]]:
    raw = path.read_bytes()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [(f"{path}:{line}", "not valid UTF-8")]
    try:
        tree = environment.parse(source, name, str(path))
    except TemplateSyntaxError as exc:
        return [(f"{path}:{exc.lineno}", exc.message or "syntax error")]
    variants = _variants(path)
    known = {"language", *(name for context in variants for name in context)}
    problems = [
        (f"{path}:{_first_use(tree, unknown)}", f"'{unknown}' is undefined")
        for unknown in sorted(meta.find_undeclared_variables(tree) - known)
    ]
    if problems:
        return problems
    template = environment.get_template(name)
    language = name.split("/", 1)[0]
    for context in variants:
        try:
            template.render({**context, "language": language})
        except _RENDER_ERRORS as exc:
            found = (f"{path}:{_error_line(exc, template.filename) or 1}", _error_message(exc))
            if found not in problems:
                problems.append(found)
    return problems


def check_templates(templates_dir: Path, languages: Iterable[str]) -> list[tuple[str, str]]:
    """Every problem in the templates of `languages`, as `("path:line", message)`.

    Each `*.j2` is parsed, checked for names the real context does not have,
    and rendered with each of its template's `SAMPLE_CONTEXTS`.
    """
    environment = _build_environment(templates_dir, ZoneInfo("UTC"))
    problems: list[tuple[str, str]] = []
    for language in dict.fromkeys(languages):
        folder = templates_dir / language
        if not folder.is_dir():
            fallback = "its mail falls back to the service language, then en"
            problems.append((str(folder), f"no templates for language {language!r}: {fallback}"))
            continue
        for path in sorted(folder.rglob("*.j2")):
            name = f"{language}/{path.relative_to(folder).as_posix()}"
            problems.extend(_check_file(environment, path, name))
    return problems


__all__ = [
    "AUTO_SUBMITTED_VALUES",
    "MAX_REFERENCES",
    "SAMPLE_CONTEXT",
    "SAMPLE_CONTEXTS",
    "Composer",
    "Draft",
    "check_templates",
    "format_date",
    "format_when",
    "make_message_id",
    "thread_references",
]
