"""``phasebot slack`` as a command: settings it needs (one line naming what is missing, exit
2), the extra it needs, and Discord and console users paying nothing for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[2]
SETTINGS = ("DISCORD_TOKEN", "DATABASE_PATH", "CONTENT_DIR", "DEV_GUILD_ID", "LOG_LEVEL")


def python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS and not k.startswith("SLACK")}
    base.update(PYTHONPATH=str(REPO), DATABASE_PATH=str(cwd / "db.sqlite3"), **env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=base, capture_output=True, text=True, timeout=60
    )


def slack(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return python(f"from bot.cli import main; raise SystemExit(main({list(args)!r}))", cwd, **env)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_without_a_bot_token_it_says_so(tmp_path: Path) -> None:
    result = slack("slack", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result) == (
        "phasebot: no Slack bot token: set SLACK_BOT_TOKEN (xoxb-…) in the environment or "
        "in .env (see the README, Running it in Slack)."
    )


def test_without_an_app_token_or_a_signing_secret_it_names_both(tmp_path: Path) -> None:
    result = slack("slack", cwd=tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    line = one_line(result)
    assert "SLACK_APP_TOKEN" in line and "SLACK_SIGNING_SECRET" in line


@pytest.mark.parametrize(
    ("name", "value"),
    [("SLACK_BOT_TOKEN", "xapp-pasted-in-the-wrong-place"), ("SLACK_APP_TOKEN", "xoxb-oops")],
)
def test_a_token_of_the_wrong_kind_is_named_never_shown(
    tmp_path: Path, name: str, value: str
) -> None:
    (tmp_path / ".env").write_text(f"{name}={value}\n", encoding="utf-8")
    result = slack("slack", cwd=tmp_path)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"phasebot: invalid setting {name}: ")
    assert value not in result.stderr + result.stdout


def test_a_bad_api_url_is_named(tmp_path: Path) -> None:
    result = slack("slack", cwd=tmp_path, SLACK_API_URL="slack.com/api")
    assert result.returncode == 2
    assert one_line(result).startswith("phasebot: invalid setting SLACK_API_URL: ")


@pytest.mark.parametrize(
    ("args", "missing"),
    [(["slack"], "slack_bolt"), (["slack", "manifest"], "yaml")],
)
def test_without_the_slack_extra_it_says_how_to_install_it(
    tmp_path: Path, args: list[str], missing: str
) -> None:
    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        f"from bot.cli import main; raise SystemExit(main({args!r}))"
    )
    result = python(code, tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert result.returncode == 2
    assert one_line(result) == (
        "phasebot: Slack support is not installed: run pip install '.[slack]' in phasebot's folder"
    )


def test_discord_and_console_users_never_load_slack(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bot.cli import main, build_parser\n"
        "import bot.discord.bot, bot.discord.runner\n"
        "build_parser().parse_args(['run'])\n"
        "assert main(['ask', '/project set design']) == 0\n"
        "extra = {'slack_bolt', 'slack_sdk', 'yaml'}\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & extra)\n"
        "print('loaded:', ','.join(loaded))\n"
    )
    result = python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("loaded:")


def test_the_core_imports_no_slack(tmp_path: Path) -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.core\n"
        "for info in pkgutil.walk_packages(bot.core.__path__, 'bot.core.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'slack_bolt', 'slack_sdk'}))\n"
    )
    result = python(code, tmp_path)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("args", [["slack", "--help"], ["slack", "manifest", "--help"]])
def test_help(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    assert "usage: phasebot slack" in capsys.readouterr().out


def test_help_shows_the_action_as_optional(capsys: pytest.CaptureFixture[str]) -> None:
    """``phasebot slack`` alone connects; its usage line must not say ACTION is required."""
    with pytest.raises(SystemExit):
        main(["slack", "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    assert usage.endswith("[manifest [--http-url URL]]"), usage
    assert "ACTION" not in usage
    with pytest.raises(SystemExit):
        main(["slack", "manifest", "--help"])
    usage = capsys.readouterr().out.splitlines()[0]
    assert usage == "usage: phasebot slack manifest [-h] [--http-url URL]", usage


def test_a_port_must_be_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["slack", "--port", "http"])
    assert done.value.code == 2
    assert "not a port number: 'http'" in capsys.readouterr().err


def test_slack_secrets_are_hidden_in_the_settings() -> None:
    from bot.config import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-very-secret",
        slack_app_token="xapp-very-secret",
        slack_signing_secret="very-secret-signing",
        slack_api_url="http://127.0.0.1:9/api",
    )
    shown = repr(settings) + str(settings.model_dump())
    assert "very-secret" not in shown
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
