"""The one wiring point for the core: content in, ready-to-use services out.

Both the Discord bot (in ``setup_hook``) and the console build their services here,
so they answer from exactly the same objects.
"""

from __future__ import annotations

import logging
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


def load_services(content_dir: Path | None = None) -> Services:
    """Load and validate the content (bundled by default) and index it once."""
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
