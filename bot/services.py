"""The wiring point: settings in, the core's resources out.

``phasebot run``, ``phasebot slack`` and the console build their resources here, in
``main``, and pass them in; nothing builds its own. The content is loaded and indexed
once (:func:`load_services`); the repository is opened for as long as a command runs
(:func:`open_repository`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.core.content import load_content
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.runner import Runner
from bot.core.search import Asker
from bot.core.surface import App
from bot.core.tracker import Clock, Repository, Tracker, utc_now

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What the content gives: looked up, answered and searched. No I/O."""

    catalog: Catalog
    knowledge: Knowledge
    asker: Asker


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: loading makes many objects that live as long
    as the process and next to no garbage, so the collector would only walk the growing
    heap again and again (a quarter of the load time of a 1000× content pack)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_services(content_dir: Path | None = None) -> Services:
    """Load and validate the content (bundled by default) and index it once."""
    with collector_paused():
        catalog = Catalog(load_content(content_dir))
        knowledge = Knowledge(catalog)
        services = Services(catalog=catalog, knowledge=knowledge, asker=Asker(knowledge))
    log.info(
        "content loaded from %s: %d phases, %d tables",
        content_dir or "the bundled content",
        len(catalog.phases),
        len(catalog.content.tables),
    )
    return services


@asynccontextmanager
async def open_repository(settings: Settings) -> AsyncIterator[Repository]:
    """The progress store the settings name, open for the duration of the block."""
    from bot.storage import SQLiteRepository

    repository = await SQLiteRepository.open(settings.database_path)
    try:
        yield repository
    finally:
        await repository.close()


def make_runner(services: Services, repository: Repository, clock: Clock = utc_now) -> Runner:
    tracker = Tracker(repository, services.catalog.content, clock)
    return Runner(App(services.catalog, services.knowledge, services.asker, tracker))
