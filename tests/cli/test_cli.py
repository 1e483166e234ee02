"""The real `phasebot` command, run as a new process the way users run it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import METHODOLOGY_ASPECTS


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` from ``cwd``, with a clean phasebot environment."""
    base = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    base["DATABASE_PATH"] = str(cwd / "db.sqlite3")
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=base,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


_SETTINGS = {
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "SHARD_COUNT",
    "SHARD_IDS",
    "CONTENT_DIR",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
}


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("phasebot")
    return lines[0]


def test_ask_phase_prints_objective_and_every_activity(tmp_path: Path) -> None:
    result = run("ask", "/phase testing", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Phase 5 of 8 · Testing\n")
    assert (
        "Verify that the software meets the specified requirements and is free of defects." in out
    )
    for activity in (
        "Conduct various levels of testing (unit, integration, system, acceptance).",
        "Identify and fix bugs and issues.",
        "Perform regression testing to ensure changes do not negatively impact existing "
        "functionality.",
    ):
        assert f"• {activity}" in out
    assert not (tmp_path / "db.sqlite3").exists()  # knowledge questions never open the database


def test_ask_compare_prints_all_ten_aspects_for_both(tmp_path: Path) -> None:
    result = run("ask", "/compare agile spiral", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for aspect in METHODOLOGY_ASPECTS:
        assert f"\n{aspect}\n" in out
    assert out.count("  Agile: ") == 10
    assert out.count("  Spiral: ") == 10
    assert "  Agile: Embraces changes easily" in out
    assert "  Spiral: Ongoing and updated documentation" in out


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("ask", "/nope"), 1, "There is no command /nope"),
        (("ask", "/project frob"), 1, "Subcommands: status, set, next"),
        (("ask", "/phase"), 1, "/phase needs name"),
        (("ask", "/compare agile mlops"), 1, "different tables"),
        (("ask", "/phase tetsing"), 1, "Did you mean “Testing”"),
        (("ask",), 2, "the following arguments are required: COMMAND"),
        (("ask", "/phase", "nam:testing"), 1, "/phase has no option 'nam'"),
        (("bogus",), 2, "invalid choice: 'bogus'"),
        (("run",), 2, "set DISCORD_TOKEN"),
        (("sync",), 2, "phasebot console"),
    ],
)
def test_mistakes_are_one_line_and_non_zero(
    tmp_path: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    result = run(*args, cwd=tmp_path)
    assert result.returncode == code
    assert words in _one_line_error(result)


def test_bad_setting_names_it(tmp_path: Path) -> None:
    result = run("ask", "/help", cwd=tmp_path, env={"DEV_GUILD_ID": "not-a-number"})
    assert result.returncode == 2
    assert "DEV_GUILD_ID" in _one_line_error(result)


def test_settings_from_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=loud\n", encoding="utf-8")
    result = run("ask", "/help", cwd=tmp_path)
    assert result.returncode == 2
    assert "LOG_LEVEL" in _one_line_error(result)


def test_token_is_never_printed(tmp_path: Path) -> None:
    secret = "MTIzNDU2Nzg5.secret-token-value"
    result = run("ask", "/help", cwd=tmp_path, env={"DISCORD_TOKEN": secret, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0
    assert secret not in result.stdout + result.stderr


def test_console_progress_survives_a_restart(tmp_path: Path) -> None:
    first = run(
        "console",
        "--channel",
        "team-a",
        cwd=tmp_path,
        stdin="/project set design kickoff\n/project next\n/project check 2\n",
    )
    assert first.returncode == 0, first.stderr
    assert "Moved to Phase 4 of 8 · Implementation (Coding)" in first.stdout
    second = run("ask", "/project status", "--channel", "team-a", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("Phase 4 of 8 · Implementation (Coding)\n")
    assert "☑ Conduct unit testing" in second.stdout
    other = run("ask", "/project status", "--channel", "team-b", cwd=tmp_path)
    assert "no project phase yet" in other.stdout.lower()


def test_console_keeps_going_after_a_mistake(tmp_path: Path) -> None:
    result = run("console", cwd=tmp_path, stdin="/phase nowhere\n/phase 1\n")
    assert result.returncode == 0
    assert "I don't know a phase called “nowhere”" in result.stdout
    assert "Phase 1 of 8 · Planning" in result.stdout


def test_refused_change_writes_nothing(tmp_path: Path) -> None:
    result = run("ask", "/project next", cwd=tmp_path)
    assert result.returncode == 1
    assert "no project phase yet" in _one_line_error(result).lower()
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
        assert db.execute(
            "SELECT count(*) FROM projects WHERE phase_key IS NOT NULL"
        ).fetchone() == (0,)


def test_content_check_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["content", "check"]) == 0
    assert "ok — 8 phases" in capsys.readouterr().out


def test_content_check_lists_every_problem(content_copy: Path) -> None:
    sdlc = content_copy / "sdlc.toml"
    sdlc.write_text(
        sdlc.read_text(encoding="utf-8").replace('key = "analysis"', 'key = "planning"'),
        encoding="utf-8",
    )
    aliases = content_copy / "aliases.toml"
    aliases.write_text(
        aliases.read_text(encoding="utf-8").replace('qa = "testing"', 'qa = "qa-phase"'),
        encoding="utf-8",
    )
    result = run("content", "check", str(content_copy), cwd=content_copy.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert (
        "sdlc.toml: entry phases[2], field 'key': duplicate phase key 'planning'" in result.stderr
    )


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["--help"],
        ["run", "--help"],
        ["console", "--help"],
        ["ask", "--help"],
        ["sync", "--help"],
        ["content", "check", "--help"],
    ):
        with pytest.raises(SystemExit) as done:
            main(argv)
        assert done.value.code == 0
        assert "usage: phasebot" in capsys.readouterr().out


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_console_closes_the_database_cleanly_on_a_signal(
    tmp_path: Path, sig: int, code: int
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    env["DATABASE_PATH"] = str(tmp_path / "db.sqlite3")
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/project set analysis\n")
        proc.stdin.flush()
        assert proc.stdout.readline().startswith("Moved to Phase 2 of 8 · Analysis")
        assert (tmp_path / "db.sqlite3-wal").exists()  # open, in WAL mode
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == code
    assert "Traceback" not in err
    assert not (tmp_path / "db.sqlite3-wal").exists()  # the last close checkpoints the WAL
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT phase_key FROM projects").fetchall() == [("analysis",)]


def test_unusable_database_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run(
        "ask",
        "/project status",
        cwd=tmp_path,
        env={"DATABASE_PATH": str(tmp_path / "file" / "db.sqlite3")},
    )
    assert result.returncode == 1
    assert "cannot open the database" in _one_line_error(result)


def test_console_with_an_unusable_database_prints_one_line(tmp_path: Path) -> None:
    result = run(
        "console", cwd=tmp_path, env={"DATABASE_PATH": str(tmp_path)}, stdin="/project status\n"
    )
    assert "cannot open the database" in result.stdout  # a reply; the console goes on
    assert result.stderr == ""  # no traceback from aiosqlite's thread as the console exits


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("/ask what's agile?", "Agile"),  # an apostrophe is not a quote
        ("how flexible is waterfall?", "Waterfall · Flexibility"),  # no /ask needed
        ("ask question:what's mlops", "MLOps vs DevOps"),
    ],
)
def test_questions_are_free_text(tmp_path: Path, line: str, title: str) -> None:
    result = run("ask", line, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == title


def test_an_unknown_slash_command_is_still_one_line(tmp_path: Path) -> None:
    result = run("ask", "/how are you", cwd=tmp_path)
    assert result.returncode == 1
    assert "There is no command /how" in _one_line_error(result)


def test_broken_content_dir_is_reported(tmp_path: Path) -> None:
    result = run("ask", "/phase 1", cwd=tmp_path, env={"CONTENT_DIR": str(tmp_path / "nowhere")})
    assert result.returncode == 1
    assert "nowhere: not a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_unquoted_ask_words_are_joined(tmp_path: Path) -> None:
    result = run("ask", "/compare", "agile", "spiral", "aspect:flexibility", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Agile vs Spiral · Flexibility\n")


def test_a_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    # 5000 answers fill any pipe buffer, so the console really writes into a closed pipe.
    shell = f"yes /phases | head -n 5000 | {sys.executable} -m bot console | head -c 10"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout == "Software D"
    assert result.returncode == 141  # the console's own exit code, as for any Unix tool
    assert "Traceback" not in result.stderr
    assert "Broken pipe" not in result.stderr


def test_a_terminal_without_unicode_gets_replacements(tmp_path: Path) -> None:
    result = run("ask", "/phase 1", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0
    assert result.stdout.startswith("Phase 1 of 8 ? Planning")


def test_bare_phasebot_prints_help(tmp_path: Path) -> None:
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: phasebot" in result.stdout


def test_a_bug_is_one_line_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from bot.core.knowledge import Knowledge

    def broken(self: Knowledge, phase: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Knowledge, "phase_answer", broken)
    assert main(["ask", "/phase 1"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "phasebot: sorry, something went wrong on my side (RuntimeError: boom). "
        "Run with LOG_LEVEL=DEBUG for the details."
    ]


def test_odd_digits_are_refused_politely(tmp_path: Path) -> None:
    result = run("ask", "/project history limit:²", cwd=tmp_path)
    assert result.returncode == 1
    assert "limit must be a whole number from 1 to 50" in _one_line_error(result)
