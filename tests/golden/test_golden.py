"""Every answer is byte-identical to before the redesign, unless an issue changed it.

``answers.json`` holds 488 lines run through the console at 3642ca1 (before issue 12's
redesign): each command over all of the bundled content, the /ask question set, and a
scripted /project session. Each is replayed through today's runner and compared: the
console text and the Discord embeds. Deliberate changes are listed in ``CHANGED`` with
the issue that made them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import Services, load_services
from tests.golden.replay import records, replay

_NOTHING_CLOSE = "issue 7 (item 8): nothing close is said so, with the names there are"
CHANGED = {
    "/help": "issue 12: /help is derived from the command declarations",
    "/phase nowhere": _NOTHING_CLOSE,
    "/methodology nowhere": _NOTHING_CLOSE,
    "/methodology mlops": _NOTHING_CLOSE,
    "/methodology agile aspect:nowhere": _NOTHING_CLOSE,
    "/mlops aspect:nowhere": _NOTHING_CLOSE,
    "/compare agile spiral aspect:nowhere": _NOTHING_CLOSE,
    "/compare nowhere agile": _NOTHING_CLOSE,
    "/project set nowhere": _NOTHING_CLOSE,
    "/project check nowhere": _NOTHING_CLOSE,
    "/phase tset": "issue 12: one matcher; only Testing is close to 'tset' (not 'sunset')",
    "/ask how fast does scrum deliver": "issue 12: Snowball stems; one more see-also line",
    "/ask handling reported issues after release": (
        "issue 16: 'after release' names the phase after Deployment: Maintenance and Support"
    ),
    "/ask who handles user support after go live": (
        "issue 16: 'after go live' names the phase after Deployment, which is no longer "
        "suggested as if it were asked about"
    ),
    "/ask what tools do mlops teams use": (
        "issue 16: 'mlops teams' are MLOps's people (as 'ml teams'), not its Collaboration "
        "aspect; the see-also line for Collaboration gives way to Focus"
    ),
}


@pytest.fixture(scope="module")
def services() -> Services:
    return load_services()


async def test_every_answer_is_as_it_was(services: Services, tmp_path: Path) -> None:
    old = records()
    assert len(old) == 488
    new = list(await replay(services, tmp_path / "golden.sqlite3", [r["line"] for r in old]))
    differ = [o["line"] for o, n in zip(old, new, strict=True) if o != n]
    assert sorted(differ) == sorted(CHANGED), "\n".join(differ)


async def test_help_lists_every_command_with_its_example(
    services: Services, tmp_path: Path
) -> None:
    (record,) = await replay(services, tmp_path / "help.sqlite3", ["/help"])
    for line in ("/phase name:<phase>", "/compare first:<a> second:<b> [aspect:<x>]"):
        assert line in record["text"]
    assert "e.g. /project next note:specs signed off" in record["text"]
