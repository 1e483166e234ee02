"""The team view in the terminal: overview of the console's channels, the timeline and
the export as files, announcements printed where they would be posted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PIL import Image

from tests.cli.test_cli import _one_line_error, run


def test_timeline_and_export_are_saved_as_files(tmp_path: Path) -> None:
    for line in ("/project set planning", "/project next note:=cmd()", "/project check 1"):
        assert run("ask", line, "--channel", "web", cwd=tmp_path).returncode == 0
    picture = run("ask", "/project timeline", "--channel", "web", "--out", "t.png", cwd=tmp_path)
    assert picture.returncode == 0, picture.stderr
    assert "Saved t.png (" in picture.stdout
    assert Image.open(tmp_path / "t.png").size == (1200, 520)
    again = run("ask", "/project timeline", "--channel", "web", "--out", "t.png", cwd=tmp_path)
    assert "Saved t.png (" in again.stdout  # --out is the file asked for, replaced
    text = run("ask", "/phase 1", "--out", "x.txt", cwd=tmp_path)
    assert (
        text.returncode == 0 and "Nothing saved to x.txt: this answer has no file." in text.stdout
    )
    assert not (tmp_path / "x.txt").exists()
    export = run("ask", "/project export csv", "--channel", "web", cwd=tmp_path)
    assert export.returncode == 0 and (tmp_path / "history.csv").exists()
    again = run("ask", "/project export format:csv", "--channel", "web", cwd=tmp_path)
    assert "history-2.csv" in again.stdout  # never over an earlier file
    rows = list(csv.DictReader(io.StringIO((tmp_path / "history.csv").read_text())))
    assert [r["kind"] for r in rows] == ["move", "move", "tick"] and rows[1]["note"] == "'=cmd()"
    bad = run("ask", "/project export format:xlsx", "--channel", "web", cwd=tmp_path)
    assert bad.returncode == 1
    assert "format must be one of: csv, json, markdown" in _one_line_error(bad)


def test_the_overview_lists_the_consoles_channels(tmp_path: Path) -> None:
    for channel, phase in (("web", "design"), ("app", "testing")):
        assert (
            run("ask", f"/project set {phase}", "--channel", channel, cwd=tmp_path).returncode == 0
        )
    result = run("ask", "/project overview", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert [line.split(" · ")[:2] for line in lines] == [
        ["#web", "Design ▰▰▰▱▱▱▱▱"],
        ["#app", "Testing ▰▰▰▰▰▱▱▱"],
    ]


def test_announcements_are_printed_where_they_go(tmp_path: Path) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    assert run("ask", "/project announce channel:releases", cwd=tmp_path).returncode == 0
    moved = run("ask", "/project next note:all done", cwd=tmp_path)
    assert "Posted in #releases:\n📣 Phase 4 of 8 · Implementation (Coding)" in moved.stdout
    assert "#console: Design → Implementation (Coding) by @" in moved.stdout
    assert "> all done" in moved.stdout


def test_a_due_reminder_is_shown_once_when_the_console_opens(tmp_path: Path) -> None:
    import sqlite3

    assert run("ask", "/project set testing", "--channel", "web", cwd=tmp_path).returncode == 0
    assert run("ask", "/project remind days:2", "--channel", "web", cwd=tmp_path).returncode == 0
    first = run("console", "--channel", "web", cwd=tmp_path, stdin="")
    assert "Still in Testing" not in first.stdout  # not due yet
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:  # three days on
        db.execute("UPDATE projects SET since = '2020-01-01T00:00:00.000000+00:00'")
    shown = run("console", "--channel", "web", cwd=tmp_path, stdin="")
    assert "⏰ Still in Testing?" in shown.stdout
    again = run("console", "--channel", "web", cwd=tmp_path, stdin="")
    assert "Still in Testing" not in again.stdout  # once per stay
    other = run("console", "--channel", "app", cwd=tmp_path, stdin="")
    assert "Still in" not in other.stdout
