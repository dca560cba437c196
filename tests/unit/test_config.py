"""config.toml: the example is complete and valid, and every mistake is named by key and value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from mailgate.config import Config, ImapConfig, SlaWindow, TierConfig, load, parse_config
from mailgate.errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT_DIR / "config.example.toml"
MINIMAL = {"service": {"address": "support@example.com", "domains": ["example.com"], "secret": "0123456789"}}


def _problems(data: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as raised:
        parse_config(data, PROJECT_DIR)
    return list(raised.value.problems)


def _field_names(model: type[BaseModel]) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        if name == "base_dir":
            continue
        names.add(name)
        annotation = field.annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if (
                isinstance(candidate, type)
                and issubclass(candidate, BaseModel)
                and candidate.__name__.endswith("Config")
            ):
                names |= _field_names(candidate)
    return names


def test_example_config_loads_as_a_japanese_desk() -> None:
    """The shipped example is valid and shows Tokyo hours, JP holidays and the year-end closure."""
    config = load(EXAMPLE)
    assert config.hours.timezone == "Asia/Tokyo"
    assert config.hours.holidays == ("JP",)
    assert [d.isoformat() for d in config.hours.closed][:3] == ["2026-12-29", "2026-12-30", "2026-12-31"]
    assert config.service.language == "ja"
    assert config.templates_dir == PROJECT_DIR / "templates"


def test_example_config_documents_every_key() -> None:
    """An admin reading config.example.toml meets every key mailgate understands."""
    text = EXAMPLE.read_text(encoding="utf-8")
    written = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE)) | set(
        re.findall(r"^#?\s*\[\[?([a-z_]+)", text, flags=re.MULTILINE)
    )
    nested = (ImapConfig, TierConfig, SlaWindow)
    missing = _field_names(Config).union(*(_field_names(model) for model in nested)) - written
    assert missing == set()


def test_every_problem_is_reported_with_its_key_path() -> None:
    """All mistakes come at once, each as key.path and a message naming the bad value."""
    problems = _problems(
        {
            "service": {"address": "not-an-address", "domains": [], "secret": "short", "tagg": "EX"},
            "hours": {"mon": "9-18", "timezone": "Mars/Olympus"},
            "sla": {"normal": {"first_response": "four hours"}},
        }
    )
    assert ("service.address", "'not-an-address' is not an email address") in problems
    assert ("service.domains", "at least one domain is needed") in problems
    assert ("service.tagg", "unknown key (misspelt?)") in problems
    assert ("hours.mon", "'9-18' is not HH:MM-HH:MM (or \"\" for closed)") in problems
    assert ("hours.timezone", "'Mars/Olympus' is not a known time zone") in problems
    assert (
        "sla.normal.first_response",
        "'four hours' is not a duration like '4h', '30m', '1h30m' or '3d'",
    ) in problems


def test_engineer_list_errors_name_the_entry() -> None:
    """A bad engineer address names which [[engineers]] entry is wrong."""
    problems = _problems(
        {**MINIMAL, "engineers": [{"address": "a@example.com", "name": "A"}, {"address": "bob", "name": "B"}]}
    )
    assert problems == [("engineers[1].address", "'bob' is not an email address")]


def test_unknown_holiday_country_and_closed_week_are_refused() -> None:
    """A holidays country the package does not know, or a week with no opening, is an error, not a silent default."""
    assert _problems({**MINIMAL, "hours": {"mon": "09:00-18:00", "holidays": ["XX"]}}) == [
        ("hours.holidays", "'XX' is not a country known to the holidays package")
    ]
    assert _problems({**MINIMAL, "hours": {"mon": "", "tue": ""}}) == [
        ("hours", 'no day has opening hours; set e.g. mon = "09:00-18:00"')
    ]


def test_durations_and_sizes_are_read_as_written() -> None:
    """ "1h30m" is 90 business minutes, "3d" three business days, "25MB" 25 MiB; no [hours] means an office week."""
    config = parse_config(
        {
            **MINIMAL,
            "sla": {"normal": {"first_response": "1h30m", "resolution": "3d"}},
            "smtp": {"max_message_size": "25MB"},
        },
        PROJECT_DIR,
    )
    window = config.sla["normal"]
    assert (window.first_response.days, window.first_response.minutes) == (0, 90)
    assert window.resolution is not None
    assert window.resolution.days == 3
    assert config.smtp.max_message_size == 25 * 1024 * 1024
    assert [span is not None for span in config.hours.week()] == [True] * 5 + [False] * 2


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    """`sqlite:///mailgate.db` next to config.toml, wherever mailgate is started from."""
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert load(path).database_url == f"sqlite:///{tmp_path / 'mailgate.db'}"


def test_imap_password_from_file_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IMAP password need not sit in config.toml: a file or an environment variable will do."""
    secret_file = tmp_path / "imap.password"
    secret_file.write_text("s3cret\n")
    monkeypatch.setenv("MAILGATE_IMAP_PASSWORD", "from-env")
    base = {"host": "imap.example.com", "username": "support@example.com"}
    config = parse_config(
        {
            **MINIMAL,
            "imap": [
                {**base, "password_file": str(secret_file)},
                {**base, "password_env": "MAILGATE_IMAP_PASSWORD"},
            ],
        },
        tmp_path,
    )
    assert [m.resolve_password() for m in config.imap] == ["s3cret", "from-env"]
    assert _problems({**MINIMAL, "imap": [{**base, "password": "x", "password_env": "Y"}]}) == [
        ("imap[0]", "give only one of password, password_file, password_env")
    ]


def test_misspelt_section_is_an_error_not_ignored() -> None:
    """A typo in a section name ([hour]) fails loudly instead of silently using defaults."""
    assert ("hour", "unknown key (misspelt?)") in _problems({**MINIMAL, "hour": {"mon": "09:00-18:00"}})
