"""The Bot subclass and its factory.

Everything the bot needs (settings, content services, the progress store) is a
typed attribute, built in ``setup_hook`` and closed in ``close``. Extensions are an
explicit tuple. Commands are synced only on request (``phasebot sync``) or when
their schema changed since the last sync (``phasebot run``), never on every start.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import discord
from discord.ext import commands

from bot.config import Settings
from bot.core.tracker import Tracker
from bot.discord.errors import PhaseTree
from bot.services import Services, load_services
from bot.storage import ProgressStore

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.discord.cogs.phase",
    "bot.discord.cogs.phases",
    "bot.discord.cogs.compare",
    "bot.discord.cogs.methodology",
    "bot.discord.cogs.mlops",
    "bot.discord.cogs.ask",
    "bot.discord.cogs.help",
    "bot.discord.cogs.project",
)

SYNC_HASH_KEY = "command_schema_hash"


class PhaseBot(commands.Bot):
    """phasebot's Discord client. Build it with :func:`create_bot`."""

    services: Services
    store: ProgressStore
    tracker: Tracker

    def __init__(self, settings: Settings) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=PhaseTree,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self._store: ProgressStore | None = None
        # phasebot never joins voice: no warning at every start that voice libraries are missing.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False

    async def open_resources(self) -> None:
        """Load the content and open the database (once). ``setup_hook`` calls it;
        ``phasebot run`` calls it before connecting, so a bad setting fails fast."""
        if self._store is not None:
            return
        self.services = load_services(self.settings.content_dir)
        self._store = await ProgressStore.open(self.settings.database_path)
        self.store = self._store
        self.tracker = Tracker(self.store, self.services.catalog)

    async def setup_hook(self) -> None:
        await self.open_resources()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.dev_guild_id is not None:
            self.tree.copy_global_to(guild=discord.Object(self.settings.dev_guild_id))
        log.info("ready to answer: %d commands", len(self.tree.get_commands()))

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self._store is not None:
                await self._store.close()
                self._store = None

    # -- command registration ------------------------------------------------------------

    def command_schema(self, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
        """What a sync would send, as JSON-ready data."""
        return [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]

    def schema_hash(self, guild: discord.abc.Snowflake | None = None) -> str:
        data = json.dumps(self.command_schema(guild), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(data.encode()).hexdigest()

    async def sync_commands(self, guild_id: int | None = None) -> int:
        """Register the commands now (globally, or copied to one guild)."""
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        await self.store.set_meta(_hash_key(guild_id), self.schema_hash(guild))
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild_id}" if guild else "globally"
        )
        return len(synced)

    async def sync_if_changed(self) -> bool:
        """Sync the scopes whose command schema changed since their last sync."""
        scopes: list[int | None] = [None]
        if self.settings.dev_guild_id is not None:
            scopes.append(self.settings.dev_guild_id)
        changed = False
        for guild_id in scopes:
            guild = discord.Object(guild_id) if guild_id is not None else None
            if await self.store.get_meta(_hash_key(guild_id)) == self.schema_hash(guild):
                continue
            await self.sync_commands(guild_id)
            changed = True
        if not changed:
            log.info("commands unchanged since the last sync; not syncing")
        return changed


def _hash_key(guild_id: int | None) -> str:
    return SYNC_HASH_KEY if guild_id is None else f"{SYNC_HASH_KEY}:{guild_id}"


def create_bot(settings: Settings) -> PhaseBot:
    """An unstarted bot. Its ``setup_hook`` loads content, opens the database and adds commands."""
    return PhaseBot(settings)
