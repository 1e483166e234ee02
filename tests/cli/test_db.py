"""`phasebot db migrate` and `phasebot db copy` on SQLite, and their usage errors (the
PostgreSQL side: tests/storage/test_postgres.py and test_copy.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import latest_version
from tests.cli.test_cli import _one_line_error, run


def test_db_migrate_creates_and_then_leaves_a_sqlite_file(tmp_path: Path) -> None:
    first = run("db", "migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == (
        f"SQLite file {tmp_path / 'db.sqlite3'}: migrated from schema version 0 to "
        f"{latest_version()}\n"
    )
    again = run("db", "migrate", "DATABASE_PATH", cwd=tmp_path)
    assert again.stdout.endswith(f"already at the newest schema (version {latest_version()})\n")
    other = run("db", "migrate", str(tmp_path / "other.sqlite3"), cwd=tmp_path)
    assert other.returncode == 0 and (tmp_path / "other.sqlite3").exists()


def test_db_copy_between_sqlite_files(tmp_path: Path) -> None:
    assert run("ask", "/project set design note:hi", cwd=tmp_path).returncode == 0
    copied = run("db", "copy", "DATABASE_PATH", "copy.sqlite3", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("copied 1 project, 1 event, 0 ticks, 0 settings from ")
    status = run("ask", "/project status", cwd=tmp_path, env={"DATABASE_PATH": "copy.sqlite3"})
    assert "Design" in status.stdout
    assert "already holds exactly" in run("db", "copy", "db.sqlite3", "copy.sqlite3",
                                          cwd=tmp_path).stdout  # fmt: skip


def test_db_usage_errors_are_one_line(tmp_path: Path) -> None:
    unset = run("db", "copy", "DATABASE_URL", "x.sqlite3", cwd=tmp_path)
    assert unset.returncode == 2 and _one_line_error(unset) == "phasebot: DATABASE_URL is not set"
    mysql = run("db", "migrate", "mysql://root:pw@localhost/db", cwd=tmp_path)
    assert mysql.returncode == 2 and "pw" not in _one_line_error(mysql)
    missing = run("db", "copy", "only-one", cwd=tmp_path)
    assert missing.returncode == 2 and "the following arguments are required: TARGET" in (
        missing.stderr
    )


def test_db_copy_refuses_a_source_file_that_does_not_exist(tmp_path: Path) -> None:
    """A mistyped SOURCE (or one relative to another folder) was copied as an empty
    database: "copied 0 projects ...", exit 0, and the file created."""
    typo = run("db", "copy", "data/phasebot.sqlite3", "copy.sqlite3", cwd=tmp_path)
    assert typo.returncode == 1
    assert _one_line_error(typo) == (
        f"phasebot: there is no SQLite file {tmp_path / 'data' / 'phasebot.sqlite3'} "
        "to copy from; check the path (a relative path is taken from the current folder)"
    )
    assert not (tmp_path / "data").exists() and not (tmp_path / "copy.sqlite3").exists()


def test_db_copy_refuses_a_folder_as_its_source(
    tmp_path: Path,
) -> None:
    (tmp_path / "adir").mkdir()
    folder = run("db", "copy", "adir", "copy.sqlite3", cwd=tmp_path)
    assert folder.returncode == 1
    assert _one_line_error(folder) == (
        f"phasebot: {tmp_path / 'adir'} is a folder, not a SQLite file to copy from"
    )
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_source_the_user_may_not_look_at_is_left_to_sqlite_to_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file in a folder the user can't enter: Path.exists() raised PermissionError on
    Python 3.11 (the bug apology); now SQLite opens it and says what is wrong."""
    from bot.storage.transfer import _check_source_file

    def denied(self: Path, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "stat", denied)
    _check_source_file(tmp_path / "locked" / "db.sqlite3")  # no refusal, no error


def test_db_copy_refusal_counts_what_the_target_holds_in_words(tmp_path: Path) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    env = {"DATABASE_PATH": "other.sqlite3"}
    assert run("ask", "/project set testing", cwd=tmp_path, env=env).returncode == 0
    refused = run("db", "copy", "db.sqlite3", "other.sqlite3", cwd=tmp_path)
    assert refused.returncode == 1
    assert "already holds other data (1 project, 1 event); " in _one_line_error(refused)
