"""The console and `phasebot ask` under hostile input and careless operators: signals,
kills, bytes that aren't text, escape sequences, lines that only look like commands."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli.test_cli import _SETTINGS, _one_line_error, run

KILLS = int(os.environ.get("PHASEBOT_TEST_KILLS", "10"))
"""How often the crash test kills a console (the slow profile sets more)."""


def console(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`phasebot console ARGS` on tmp_path's SQLite file, or with ``env`` (e.g. a
    DATABASE_URL) on top."""
    base = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    base["DATABASE_PATH"] = str(tmp_path / "db.sqlite3")
    env = {**base, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "console", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def writes(count: int, start: int = 0) -> bytes:
    """Moves whose answers can be told apart: each carries its number in its note."""
    phases = ("design", "testing")
    lines = [f"/project set {phases[n % 2]} note:w{start + n}" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


class Acks:
    """The notes of the moves the console acknowledged, read as they are printed."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.seen: list[int] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            found = re.match(rb"^> w(\d+)$", raw.rstrip())
            if found:
                self.seen.append(int(found.group(1)))

    def join(self) -> list[int]:
        self._thread.join(10)
        return self.seen


def kill_among_writes(
    process: subprocess.Popen[bytes], acks: Acks, rng: random.Random, start_up: float = 60
) -> None:
    """SIGKILL once the console is writing (its first acknowledgement: start-up takes
    long on a busy machine), a random moment later."""
    deadline = time.monotonic() + start_up
    while not acks.seen and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.4))
    process.kill()
    process.wait(10)


def stored_notes(path: Path) -> tuple[list[int], str | None, str | None]:
    """The notes in the history (oldest first), the status's phase and the newest move's."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        notes = [
            int(note[1:])
            for (note,) in db.execute("SELECT note FROM events WHERE note IS NOT NULL ORDER BY id")
        ]
        phase = db.execute("SELECT phase_key FROM projects WHERE platform = 'console'").fetchone()
        last = db.execute("SELECT to_phase FROM events ORDER BY id DESC LIMIT 1").fetchone()
    return notes, phase[0] if phase else None, last[0] if last else None


def test_kill_9_in_a_stream_of_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(11)
    acknowledged: list[int] = []
    for kill in range(KILLS):
        process = console(tmp_path)
        acks = Acks(process)
        assert process.stdin is not None
        try:
            process.stdin.write(writes(2000, start=kill * 100_000))
            process.stdin.flush()
        except BrokenPipeError:
            pass
        kill_among_writes(process, acks, rng)
        acknowledged += acks.join()
        notes, phase, last = stored_notes(tmp_path / "db.sqlite3")
        assert set(acknowledged) <= set(notes), "an acknowledged write was lost"
        assert phase == last, "the status disagrees with the history"
    assert len(acknowledged) > KILLS  # the kills landed among writes, not before them
    print(f"{KILLS} kills: {len(acknowledged)} acknowledged writes, all stored")  # with -s


def test_sigterm_in_a_stream_of_writes_stops_within_a_second(tmp_path: Path) -> None:
    for delay in (0.6, 0.9, 1.3):
        process = console(tmp_path, "--channel", f"term-{delay}")
        acks = Acks(process)
        assert process.stdin is not None
        try:
            process.stdin.write(writes(3000))
            process.stdin.flush()
        except BrokenPipeError:
            pass
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = process.wait(10)
        assert time.monotonic() - started < 1.0
        assert code == 0
        acknowledged = acks.join()
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            stored = {
                int(note[1:])
                for (note,) in db.execute(
                    "SELECT note FROM events WHERE channel = (SELECT channel FROM projects "
                    "WHERE label = ?)",
                    (f"term-{delay}",),
                )
            }
        assert acknowledged, "the signal came before any write"
        assert stored == set(acknowledged), "a write was stored but not acknowledged, or lost"
        assert process.stderr is not None and b"Traceback" not in process.stderr.read()


@pytest.mark.parametrize(
    "question",
    [
        "mlops monitoring",
        "help me choose a model",
        "compare agile and waterfall",
        "phases of agile",
        "methodology for startups",
    ],
)
def test_a_line_without_a_slash_is_a_question(tmp_path: Path, question: str) -> None:
    result = run("ask", question, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert not (tmp_path / "db.sqlite3").exists()  # a question never opens the database


def test_apostrophes_in_a_note(tmp_path: Path) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    result = run("ask", "/project next note:specs didn't change", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "> specs didn't change" in result.stdout
    quoted = run("ask", '/project set "Maintenance and Support" note:"it\'s live"', cwd=tmp_path)
    assert quoted.returncode == 0, quoted.stderr
    assert "Moved to Phase 7 of 8 · Maintenance and Support" in quoted.stdout
    assert "> it's live" in quoted.stdout


@pytest.mark.parametrize("junk", ["\x1b[31mred", "\x1b]0;title\x07", "back\x08space"])
def test_control_characters_in_a_note_are_refused(tmp_path: Path, junk: str) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    result = run("ask", f"/project next note:{junk}", cwd=tmp_path)
    assert result.returncode == 1
    assert "control character" in _one_line_error(result)
    history = run("ask", "/project history", cwd=tmp_path)
    assert "Design → Implementation" not in history.stdout  # nothing was written


def test_a_nul_in_a_line_is_refused(tmp_path: Path) -> None:
    result = run(
        "console", cwd=tmp_path, stdin="/project set design note:a\x00b\n/project status\n"
    )
    assert result.returncode == 0
    assert "control character" in result.stdout and "No project phase yet" in result.stdout


def test_stored_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    assert run("ask", "/project set design note:ok", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:  # written by some other tool
        db.execute(
            "UPDATE events SET note = ?, actor_name = ?", ("\x1b]0;pwned\x07x\x00y", "\x1b[2J")
        )
        db.execute("UPDATE projects SET set_by_name = ?", ("\x1b[2Jme",))
    for line in ("/project history", "/project status"):
        result = run("ask", line, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.stdout), result.stdout


def test_invalid_utf8_is_one_plain_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    env["DATABASE_PATH"] = str(tmp_path / "db.sqlite3")
    stdin = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        env=env,
        input=b"/phase \xff\xfe\n/phase 1\n",
        capture_output=True,
        timeout=60,
    )
    assert stdin.returncode == 0
    out = stdin.stdout.decode()
    assert "can't store or show" in out and "Phase 1 of 8 · Planning" in out
    assert b"Traceback" not in stdin.stderr and b"sorry" not in stdin.stdout
    channel = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "ask",
            "--channel",
            b"bad\xff".decode("utf-8", "surrogateescape"),
            "/project status",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert channel.returncode == 2
    assert channel.stderr.decode().strip().splitlines() == [
        "phasebot: --channel must be a name of printable text."
    ]


def test_version(tmp_path: Path) -> None:
    result = run("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert re.fullmatch(r"phasebot \d+\.\d+\.\d+\n", result.stdout)


def test_a_huge_question_is_refused_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    result = run("ask", "why " * 25_000, cwd=tmp_path)
    assert time.monotonic() - started < 10  # the CLI's start included; measured in bench
    assert result.returncode == 1
    assert "keep it to 300 or fewer" in _one_line_error(result)


def test_a_busy_database_is_one_plain_line(tmp_path: Path) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    db = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        result = run("ask", "/project next", cwd=tmp_path)
    finally:
        db.execute("ROLLBACK")
        db.close()
    assert result.returncode == 1
    assert _one_line_error(result) == (
        "phasebot: The database is busy. Nothing was changed; try again in a moment."
    )
    assert "Phase 3 of 8 · Design" in run("ask", "/project status", cwd=tmp_path).stdout


def test_a_read_only_database_is_one_plain_line(tmp_path: Path) -> None:
    assert run("ask", "/project set design", cwd=tmp_path).returncode == 0
    path = tmp_path / "db.sqlite3"
    if os.geteuid() == 0:  # root writes to a file whatever its mode: make it immutable
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root where chattr +i is not available")
    else:
        path.chmod(0o444)
    try:
        status = run("ask", "/project status", cwd=tmp_path)
        result = run("ask", "/project next", cwd=tmp_path)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    assert "Phase 3 of 8 · Design" in status.stdout  # reading still works
    assert result.returncode == 1, result.stdout
    assert _one_line_error(result) == (
        "phasebot: The database is read-only, so I can't record changes. Nothing was "
        "changed; ask whoever runs phasebot to check the database's permissions."
    )


def test_an_error_quoting_the_users_text_is_sanitised(tmp_path: Path) -> None:
    result = run("ask", "/ph\x1b]0;pwned\x07ase testing", cwd=tmp_path)
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert _one_line_error(result).startswith("phasebot: There is no command /ph]0;pwnedase")
