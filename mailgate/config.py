"""The configuration of mailgate: pydantic models of `config.toml`.

`load(path) -> Config` reads TOML, validates every key (a misspelt key is an
error) and raises one `ConfigError` listing every problem as `key.path:
message`. Models are frozen; one `Config` is passed explicitly, never global.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from mailgate.errors import ConfigError

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class BusinessDuration(BaseModel):
    """A span of business time: whole business days plus business minutes.

    Written `"4h"`, `"30m"`, `"1h30m"`, `"3d"`. A business day is one opening
    day of the calendar, not 24 hours: "3d" from Friday 10:00 is Wednesday 10:00.
    """

    model_config = ConfigDict(frozen=True)

    days: int = 0
    minutes: int = 0

    def __str__(self) -> str:
        parts = []
        if self.days:
            parts.append(f"{self.days}d")
        hours, minutes = divmod(self.minutes, 60)
        if hours:
            parts.append(f"{hours}h")
        if minutes or not parts:
            parts.append(f"{minutes}m")
        return "".join(parts)


def parse_business_duration(value: object) -> object:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match or not any(match.groups()):
            raise ValueError(f"{value!r} is not a duration like '4h', '30m', '1h30m' or '3d'")
        days, hours, minutes = (int(g) if g else 0 for g in match.groups())
        return {"days": days, "minutes": hours * 60 + minutes}
    return value


def parse_size(value: object) -> object:
    if isinstance(value, str):
        match = _SIZE.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a size like '25MB'")
        return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "B").upper()]
    return value


def parse_seconds(value: object) -> object:
    """Wall-clock intervals ("30s", "5m", "1h") for timers, not business time."""
    if isinstance(value, str):
        match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$", value)
        if not match:
            raise ValueError(f"{value!r} is not an interval like '30s', '5m' or '1h'")
        factor = {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
        return float(match.group(1)) * factor
    return value


Duration = Annotated[BusinessDuration, BeforeValidator(parse_business_duration)]
Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]
Seconds = Annotated[float, BeforeValidator(parse_seconds), Field(gt=0)]


class OpeningSpan(BaseModel):
    """One day's opening hours, `"09:00-18:00"`; an empty string means closed."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time


def parse_span(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        match = _SPAN.match(value.strip())
        if not match:
            raise ValueError(f'{value!r} is not HH:MM-HH:MM (or "" for closed)')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"{value!r} is not a valid time span")
        start = time(h1, m1)
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"{value!r} ends before it starts")
        return {"start": start, "end": end}
    return value


Span = Annotated[
    OpeningSpan | None,
    BeforeValidator(parse_span),
    PlainSerializer(
        lambda s: "" if s is None else f"{s.start:%H:%M}-{'24:00' if s.end == time.max else f'{s.end:%H:%M}'}"
    ),
]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _is_address(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    return bool(local) and "." in domain and " " not in value


class ServiceConfig(_Section):
    name: str = "Support"
    address: str
    domains: tuple[str, ...]
    secret: str = Field(min_length=8)
    tag: str = Field(default="EX", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,15}$")
    language: str = "en"
    # Extra addresses that reach the same queue (aliases); mailgate never auto-replies to them.
    aliases: tuple[str, ...] = ()

    @field_validator("address")
    @classmethod
    def _address_is_mail(cls, value: str) -> str:
        if not _is_address(value):
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()

    @field_validator("domains")
    @classmethod
    def _domains_lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one domain is needed")
        return tuple(d.lower().strip() for d in value)

    @field_validator("aliases")
    @classmethod
    def _aliases_lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a.lower() for a in value)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset((self.address, *self.aliases))


class DatabaseConfig(_Section):
    url: str = "sqlite:///mailgate.db"
    # How long a write waits for a lock before SMTP answers 451 (the sender retries).
    busy_timeout: Seconds = 5.0


class SmtpConfig(_Section):
    listen: str = "127.0.0.1:2525"
    max_message_size: Size = 25 * 1024**2

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"{value!r} is not HOST:PORT")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class OutboundConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=0, le=65535)
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: Seconds = 30.0
    # Envelope sender of what mailgate sends; bounces come back here and are threaded.
    envelope_from: str | None = None


class ImapConfig(_Section):
    host: str
    port: int = Field(default=993, ge=1, le=65535)
    tls: bool = True
    username: str
    password: str | None = None
    password_file: Path | None = None
    password_env: str | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None
    poll_interval: Seconds = 60.0
    idle_renew: Seconds = 25 * 60.0
    batch_size: int = Field(default=100, ge=1, le=5000)

    @model_validator(mode="after")
    def _one_password_source(self) -> ImapConfig:
        given = [x for x in (self.password, self.password_file, self.password_env) if x is not None]
        if len(given) > 1:
            raise ValueError("give only one of password, password_file, password_env")
        return self

    def resolve_password(self) -> str:
        """The password, read from its file or environment variable if so configured."""
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    [("imap.password_file", f"cannot read {self.password_file}: {exc.strerror}")]
                ) from exc
        if self.password_env is not None:
            value = os.environ.get(self.password_env)
            if value is None:
                raise ConfigError(
                    [("imap.password_env", f"environment variable {self.password_env} is not set")]
                )
            return value
        return self.password or ""


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursConfig(_Section):
    timezone: str = "UTC"
    mon: Span = None
    tue: Span = None
    wed: Span = None
    thu: Span = None
    fri: Span = None
    sat: Span = None
    sun: Span = None
    holidays: tuple[str, ...] = ()
    closed: tuple[date, ...] = ()
    open: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a known time zone") from exc
        return value

    @field_validator("holidays")
    @classmethod
    def _countries_exist(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import holidays as holidays_package

        supported = holidays_package.list_supported_countries()
        for code in value:
            country, _, subdiv = code.partition("-")
            if country not in supported:
                raise ValueError(f"{code!r} is not a country known to the holidays package")
            if subdiv and subdiv not in supported[country]:
                raise ValueError(f"{code!r}: {subdiv!r} is not a subdivision of {country}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _office_week_by_default(cls, data: object) -> object:
        # With no day given at all, an office week; once any day is given, the others are closed.
        if isinstance(data, dict) and not any(day in data for day in WEEKDAYS):
            return {**data, **dict.fromkeys(WEEKDAYS[:5], "09:00-17:00")}
        return data

    @model_validator(mode="after")
    def _opens_sometime(self) -> HoursConfig:
        if not any(self.week()):
            raise ValueError('no day has opening hours; set e.g. mon = "09:00-18:00"')
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def week(self) -> tuple[OpeningSpan | None, ...]:
        """Opening spans Monday first, as `date.weekday()` counts."""
        return (self.mon, self.tue, self.wed, self.thu, self.fri, self.sat, self.sun)


class SlaWindow(_Section):
    first_response: Duration
    resolution: Duration | None = None


class TierConfig(_Section):
    # A tier that buys after-hours cover gets an on-call page instead of a deferral.
    after_hours: bool = False
    oncall: str | None = None
    sla: dict[str, SlaWindow] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cover_has_someone_to_page(self) -> TierConfig:
        # The acknowledgement tells such customers the on-call engineer was paged: it must be true.
        if self.after_hours and not self.oncall:
            raise ValueError("after_hours = true needs oncall, the address to page")
        return self


class LimitsConfig(_Section):
    auto_replies_per_sender_per_day: int = Field(default=5, ge=0)


class EngineerConfig(_Section):
    address: str
    name: str

    @field_validator("address")
    @classmethod
    def _lower(cls, value: str) -> str:
        if not _is_address(value):
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()


class CustomerConfig(_Section):
    match: str
    tier: str = "standard"
    language: str | None = None

    @field_validator("match")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    def matches(self, address: str) -> bool:
        address = address.lower()
        if self.match.startswith("@"):
            return address.endswith(self.match)
        return address == self.match


class SecurityConfig(_Section):
    trusted_authserv_ids: tuple[str, ...] = ()


class ProcessingConfig(_Section):
    # A message that crashed the processor this many times stays failed until retried by hand.
    max_attempts: int = Field(default=3, ge=1)
    batch_size: int = Field(default=50, ge=1, le=5000)


class DeliveryConfig(_Section):
    max_attempts: int = Field(default=10, ge=1)
    retry_base: Seconds = 30.0
    retry_max: Seconds = 3600.0


class Config(_Section):
    service: ServiceConfig
    database: DatabaseConfig = DatabaseConfig()
    smtp: SmtpConfig = SmtpConfig()
    outbound: OutboundConfig = OutboundConfig()
    imap: tuple[ImapConfig, ...] = ()
    hours: HoursConfig = Field(default_factory=lambda: HoursConfig.model_validate({}))
    sla: dict[str, SlaWindow] = Field(
        default_factory=lambda: {"normal": SlaWindow(first_response=BusinessDuration(minutes=240))}
    )
    tiers: dict[str, TierConfig] = Field(default_factory=dict)
    limits: LimitsConfig = LimitsConfig()
    engineers: tuple[EngineerConfig, ...] = ()
    customers: tuple[CustomerConfig, ...] = ()
    security: SecurityConfig = SecurityConfig()
    processing: ProcessingConfig = ProcessingConfig()
    delivery: DeliveryConfig = DeliveryConfig()
    templates: Path = Path("templates")
    # Where the file was read from; relative paths in it are relative to this folder.
    base_dir: Path = Path()

    @model_validator(mode="after")
    def _sla_has_normal(self) -> Config:
        if "normal" not in self.sla:
            raise ValueError("sla.normal is required: it is the window for every ticket without one")
        for tier in self.customers:
            if tier.tier != "standard" and tier.tier not in self.tiers and tier.tier != "premium":
                raise ValueError(f"customers: tier {tier.tier!r} is not defined under [tiers]")
        return self

    @property
    def database_url(self) -> str:
        return resolve_database_url(self.database.url, self.base_dir)

    @property
    def templates_dir(self) -> Path:
        return self.templates if self.templates.is_absolute() else self.base_dir / self.templates

    def tier_of(self, address: str) -> str:
        for customer in self.customers:
            if customer.matches(address):
                return customer.tier
        return "standard"

    def tier_config(self, tier: str) -> TierConfig:
        return self.tiers.get(tier, TierConfig())

    def engineer(self, address: str) -> EngineerConfig | None:
        address = address.lower()
        return next((e for e in self.engineers if e.address == address), None)


def resolve_database_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite path relative to the config file's folder."""
    for prefix in ("sqlite:///", "sqlite+aiosqlite:///"):
        if url.startswith(prefix):
            path = url[len(prefix) :]
            if path and path != ":memory:" and not Path(path).is_absolute():
                return prefix + str((base_dir / path).resolve())
    return url


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item not in ("function-after[_one_password_source()]",):
            parts.append(str(item))
    return ".".join(p for p in parts if not p.startswith(("function-", "nullable", "union")))


def problems_of(error: ValidationError) -> list[tuple[str, str]]:
    """Turn pydantic's errors into `(key.path, message)` pairs a person can act on."""
    found: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        key = _location(item["loc"]) or "config"
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        elif item["type"] == "missing":
            message = "is required"
        found.append((key, message))
    return found


def parse_config(data: dict[str, Any], base_dir: Path) -> Config:
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(problems_of(exc)) from None


def load(path: Path) -> Config:
    """Read and validate `path`; raise `ConfigError` naming every problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([(str(path), exc.strerror or "cannot be read")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([(str(path), f"not valid TOML: {exc}")]) from None
    if "base_dir" in data:
        raise ConfigError([("base_dir", "unknown key (misspelt?)")])
    return parse_config(data, path.resolve().parent)


def default_path() -> Path:
    return Path(os.environ.get("MAILGATE_CONFIG", "config.toml"))


__all__ = [
    "BusinessDuration",
    "Config",
    "OpeningSpan",
    "SlaWindow",
    "default_path",
    "load",
    "parse_config",
]
