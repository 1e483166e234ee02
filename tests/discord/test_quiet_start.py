"""Starting the bot prints nothing it shouldn't: no voice warning (phasebot never joins
voice), which discord.py prints once per process when its Client is made."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import logging
    logging.basicConfig(level=logging.DEBUG)
    from bot.config import Settings
    from bot.discord.bot import PhaseBot
    from bot.services import load_services, make_runner
    from tests.fakes import MemoryRepository
    settings = Settings(_env_file=None, database_path="unused.sqlite3")
    PhaseBot(settings, make_runner(load_services(), MemoryRepository()))
    print("made")
    """
)


def test_no_voice_warning_when_the_bot_is_made(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "made"
    assert "PyNaCl" not in result.stderr and "voice" not in result.stderr.lower()
    assert "davey" not in result.stderr.lower()
