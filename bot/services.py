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
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.content import load_content
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.runner import Runner
from bot.core.search import Asker
from bot.core.surface import App
from bot.core.tracker import Clock, Repository, Tracker, utc_now

if TYPE_CHECKING:
    from bot.storage.targets import Target

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


def database_target(settings: Settings) -> Target:
    """The database the settings name: PostgreSQL at DATABASE_URL if it is set, else
    the SQLite file at DATABASE_PATH."""
    from bot.storage.targets import settings_target

    url = settings.database_url
    return settings_target(url.get_secret_value() if url else None, settings.database_path)


async def open_database(settings: Settings) -> Repository:
    """Open (and migrate) the database the settings name; the caller closes it."""
    from bot.storage.targets import open_target

    return await open_target(database_target(settings), pool_size=settings.database_pool_size)


@asynccontextmanager
async def open_repository(settings: Settings) -> AsyncIterator[Repository]:
    """The progress store the settings name, open for the duration of the block."""
    repository = await open_database(settings)
    try:
        yield repository
    finally:
        close = getattr(repository, "close", None)
        if close is not None:
            await close()


def exclusive(repository: Repository, name: str) -> AbstractAsyncContextManager[object]:
    """Held by one process at a time across every process on the database: an advisory
    lock on PostgreSQL; nothing to hold on SQLite (one bot per file)."""
    lock = getattr(repository, "exclusive", None)
    if lock is None:
        return nullcontext()
    held: AbstractAsyncContextManager[object] = lock(name)
    return held


def make_runner(services: Services, repository: Repository, clock: Clock = utc_now) -> Runner:
    tracker = Tracker(repository, services.catalog.content, clock)
    return Runner(App(services.catalog, services.knowledge, services.asker, tracker))
