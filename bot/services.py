"""The one wiring point for the core: content in, ready-to-use services out.

Both the Discord bot (in ``setup_hook``) and the console build their services here,
so they answer from exactly the same objects.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.core.content import load_content
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.search import Asker

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    catalog: Catalog
    knowledge: Knowledge
    asker: Asker


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: loading makes many objects that live as long
    as the process and next to no garbage, so the collector would only walk the growing
    heap again and again (a quarter of the load time of a 1000× content pack, and the
    reason that time grew faster than the content)."""
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
