"""Shared fixtures: the bundled content, and the seed it was transcribed from."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.content import bundled_content_dir, load_content
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.models import Content

# PostgreSQL fixtures (pg_server_dsn, pg_dsn) and the `postgres` marker.
pytest_plugins = ("tests.postgres",)

REPO = Path(__file__).resolve().parent.parent
SEED = REPO.parent / "shared" / "seeds" / "000_daffca5378d08aa9.txt"

PHASE_KEYS = (
    "planning",
    "analysis",
    "design",
    "implementation",
    "testing",
    "deployment",
    "maintenance",
    "retirement",
)
"""The bundled phases' keys, in order, as tests expect them."""

METHODOLOGY_ASPECTS = [
    "Development Approach",
    "Flexibility",
    "Phases",
    "Feedback",
    "Client Involvement",
    "Risk Management",
    "Delivery Time",
    "Change Management",
    "Testing",
    "Documentation",
]
"""The methodology table's aspects, in order, as tests expect them."""


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="session")
def catalog(content: Content) -> Catalog:
    return Catalog(content)


@pytest.fixture(scope="session")
def knowledge(catalog: Catalog) -> Knowledge:
    return Knowledge(catalog)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled content directory."""
    target = tmp_path / "content"
    target.mkdir()
    for source in bundled_content_dir().glob("*.toml"):
        (target / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target
