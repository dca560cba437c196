"""The `mailgate` command as operators script it: exit codes, messages, JSON."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.cli import run_cli, write_config
from tests.support.harness import build_message


def test_init_writes_a_working_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    """`mailgate init` gives a config that passes check-config, with its own secret; a second init refuses."""
    first = run_cli("init", str(tmp_path / "desk"))
    assert first.returncode == 0, first.stderr
    config = (tmp_path / "desk" / "config.toml").read_text()
    assert 'secret = "change-me"' not in config
    assert (tmp_path / "desk" / "templates" / "ja" / "acknowledgement.txt.j2").exists()
    checked = run_cli("check-config", "-c", str(tmp_path / "desk" / "config.toml"))
    assert checked.returncode == 0, checked.stderr
    again = run_cli("init", str(tmp_path / "desk"))
    assert again.returncode == 1
    assert "refusing to overwrite" in again.stderr


def test_check_config_names_every_bad_key_and_value(tmp_path: Path) -> None:
    """Each problem is one `key.path: message` line naming the value; exit status 1."""
    path = write_config(tmp_path, "sqlite:///x.db", 25)
    text = (
        path.read_text()
        .replace('mon = "09:00-18:00"', 'mon = "9-18"')
        .replace('timezone = "Asia/Tokyo"', 'timezone = "Asia/Tokio"\ncolour = "blue"')
    )
    path.write_text(text)
    result = run_cli("check-config", "-c", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "hours.mon: '9-18' is not HH:MM-HH:MM (or \"\" for closed)" in lines
    assert "hours.timezone: 'Asia/Tokio' is not a known time zone" in lines
    assert "hours.colour: unknown key (misspelt?)" in lines


def test_check_config_reports_a_broken_template_by_file_and_line(tmp_path: Path) -> None:
    """An admin's template mistake is reported with its file and line before the daemon ever runs."""
    run_cli("init", str(tmp_path))
    template = tmp_path / "templates" / "en" / "acknowledgement.txt.j2"
    lines = template.read_text().splitlines()
    lines.append("Your reference: {{ ticket.ref ")
    template.write_text("\n".join(lines) + "\n")
    result = run_cli("check-config", "-c", str(tmp_path / "config.toml"))
    assert result.returncode == 1
    assert f"acknowledgement.txt.j2:{len(lines)}:" in result.stderr


def test_due_prints_the_interface_examples_with_reasons(tmp_path: Path) -> None:
    """`mailgate due` answers the two documented examples, with the closed days spelled out."""
    config = str(write_config(tmp_path, "sqlite:///x.db", 25))
    saturday = run_cli("due", "-c", config, "--at", "2026-11-21T10:00:00+09:00")
    friday = run_cli("due", "-c", config, "--at", "2026-11-20T17:00:00+09:00", "--json")
    urgent = run_cli("due", "-c", config, "--at", "2026-11-20T17:00:00+09:00", "--priority", "urgent")
    assert saturday.returncode == 0, saturday.stderr
    assert saturday.stdout.startswith("2026-11-24T13:00:00+09:00\t")
    assert "closed: Sat; holiday 2026-11-23 Labor Thanksgiving Day; opens Tue 09:00" in saturday.stdout
    assert json.loads(friday.stdout)["due"] == "2026-11-24T12:00:00+09:00"
    assert urgent.stdout.startswith("2026-11-20T18:00:00+09:00")
    bad = run_cli("due", "-c", config, "--at", "tomorrow")
    assert bad.returncode == 1
    assert "'tomorrow' is not an ISO 8601 time" in bad.stderr


def test_migrate_then_unknown_ticket_is_a_one_line_user_error(tmp_path: Path) -> None:
    """`migrate` creates the schema; `tickets show 99` says there is no such ticket and exits 1."""
    config = str(write_config(tmp_path, "sqlite:///mailgate.db", 25))
    migrated = run_cli("migrate", "-c", config)
    assert migrated.returncode == 0, migrated.stderr
    assert "schema at 0001" in migrated.stdout
    missing = run_cli("tickets", "show", "99", "-c", config)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "mailgate tickets show 99: no such ticket"
    assert json.loads(run_cli("tickets", "list", "--json", "-c", config).stdout) == []


def test_ingest_accepts_from_stdin_and_files_idempotently(tmp_path: Path) -> None:
    """An MTA pipe hands a message on stdin; the same message again is recognised, not duplicated."""
    config = str(write_config(tmp_path, "sqlite:///mailgate.db", 25))
    raw = build_message().as_bytes()
    (tmp_path / "a.eml").write_bytes(raw)
    first = run_cli("ingest", "-c", config, stdin=raw)
    second = run_cli("ingest", "-c", config, str(tmp_path / "a.eml"))
    assert first.returncode == 0, first.stderr
    assert "accepted as inbox 1" in first.stdout
    assert "duplicate of inbox 1" in second.stdout
    listed = json.loads(run_cli("inbox", "--json", "-c", config).stdout)
    assert [(i["id"], i["state"], i["source"]) for i in listed] == [(1, "pending", "ingest")]


def test_ingest_exits_75_while_the_database_is_locked(tmp_path: Path) -> None:
    """With the database locked past its timeout, ingest exits EX_TEMPFAIL so the MTA retries."""
    config = write_config(tmp_path, "sqlite:///mailgate.db", 25)
    text = config.read_text().replace(
        'url = "sqlite:///mailgate.db"', 'url = "sqlite:///mailgate.db"\nbusy_timeout = "0.3s"'
    )
    config.write_text(text)
    assert run_cli("migrate", "-c", str(config)).returncode == 0
    blocker = sqlite3.connect(tmp_path / "mailgate.db", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = run_cli("ingest", "-c", str(config), stdin=build_message().as_bytes())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.returncode == 75
    assert "try again later" in result.stderr
    assert run_cli("ingest", "-c", str(config), stdin=build_message().as_bytes()).returncode == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """A command line mailgate does not understand is a usage error (exit 2), not a crash."""
    assert run_cli("tickets", "frobnicate").returncode == 2
    assert run_cli("tickets", "show", "abc").returncode == 2


def test_demo_shows_a_ticket_and_its_acknowledgement(tmp_path: Path) -> None:
    """A newcomer's `mailgate demo` sends a first mail and shows the acknowledgement it got, saved as .eml."""
    result = run_cli("demo", str(tmp_path / "demo"), "--once")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "=== outgoing mail → hanako@client.example" in result.stdout
    assert "Subject: [EX#1] Cannot log in since this morning" in result.stdout
    saved = sorted((tmp_path / "demo" / "outbox").glob("*.eml"))
    assert saved
    assert b"Auto-Submitted: auto-replied" in saved[0].read_bytes()
    shown = json.loads(
        run_cli("tickets", "show", "1", "--json", "-c", str(tmp_path / "demo" / "config.toml")).stdout
    )
    assert shown["requester"] == "hanako@client.example"
