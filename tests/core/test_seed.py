"""Every fact the bot answers with equals the seed, word for word.

The seed is parsed independently of the content files. When the seed is not beside
the repository (``../shared/seeds/...``), these tests skip and say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from bot.core.models import Content
from tests.conftest import SEED

pytestmark = pytest.mark.skipif(
    not SEED.is_file(), reason=f"seed not found at {SEED}; cannot compare content to it"
)


@dataclass
class SeedPhase:
    number: int
    name: str
    objective: str
    activities: list[str]


def _seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def _seed_phases() -> list[SeedPhase]:
    phases: list[SeedPhase] = []
    for line in _seed_text().splitlines():
        if m := re.match(r"^(\d+)\. \*\*(.+):\*\*\s*$", line):
            phases.append(SeedPhase(int(m.group(1)), m.group(2), "", []))
        elif m := re.match(r"^\s+- \*\*Objective:\*\* (.+)$", line):
            phases[-1].objective = m.group(1).strip()
        elif phases and (m := re.match(r"^\s{5,}- (.+)$", line)):
            phases[-1].activities.append(m.group(1).strip())
    return phases


def _seed_tables() -> list[list[list[str]]]:
    """Each markdown table as rows of cells, header first, separator dropped."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in _seed_text().splitlines():
        if line.startswith("|"):
            cells = [c.strip().strip("*").strip() for c in line.strip().strip("|").split("|")]
            if all(set(c) <= {"-", ":"} for c in cells):
                continue
            if current is None:
                current = []
                tables.append(current)
            current.append(cells)
        else:
            current = None
    return tables


def test_seed_parses_as_expected() -> None:
    assert len(_seed_phases()) == 8
    methodologies, mlops = _seed_tables()
    assert len(methodologies) == 11 and len(methodologies[0]) == 5
    assert len(mlops) == 13 and len(mlops[0]) == 3


def test_definition_and_goal_are_the_seeds(content: Content) -> None:
    text = " ".join(_seed_text().split())
    info = content.sdlc.sdlc
    for sentence in (info.definition, info.goal, info.overview):
        assert sentence in text


def test_every_phase_matches_the_seed(content: Content) -> None:
    seed = _seed_phases()
    assert [p.number for p in content.phases] == [s.number for s in seed]
    for phase, expected in zip(content.phases, seed, strict=True):
        assert phase.name == expected.name
        assert phase.objective == expected.objective
        assert [a.text for a in phase.activities] == expected.activities


def test_every_methodology_cell_matches_the_seed(content: Content) -> None:
    header, *rows = _seed_tables()[0]
    table = content.table("methodologies")
    assert table is not None
    assert [s.name for s in table.subjects] == header[1:]
    assert [a.name for a in table.aspects] == [row[0] for row in rows]
    for aspect, row in zip(table.aspects, rows, strict=True):
        assert [aspect.values[s.key] for s in table.subjects] == row[1:]


def test_every_mlops_devops_cell_matches_the_seed(content: Content) -> None:
    header, *rows = _seed_tables()[1]
    table = content.table("mlops")
    assert table is not None
    assert [s.name for s in table.subjects] == header[1:]
    assert [a.name for a in table.aspects] == [row[0] for row in rows]
    for aspect, row in zip(table.aspects, rows, strict=True):
        assert [aspect.values[s.key] for s in table.subjects] == row[1:]
