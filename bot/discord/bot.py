"""The Bot subclass: discord.py in, the core's runner out.

Everything the bot answers from is passed in (the runner, built in ``main`` as
discord.py's ``examples/advanced_startup.py`` does); the bot builds nothing itself.
Each cog method hands its options to :meth:`PhaseBot.answer`; buttons and menus reach
:meth:`PhaseBot.click` through the one dynamic item, :class:`~bot.discord.render.ActionItem`.
Commands are synced only on request (``phasebot sync``) or when their schema changed
since the last sync (``phasebot run``), never on every start.

The bot is an ``AutoShardedBot``: with ``SHARD_COUNT`` and ``SHARD_IDS`` it runs those
shards of that many; with neither, Discord's recommended number, all in this process.
Of several processes, only the one holding shard 0 syncs the commands, and it compares
and syncs under a lock held across every process on the database (an advisory lock on
PostgreSQL), with the synced schema's hash kept in the database's settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.core.commands import SAME_ANSWER
from bot.core.lookup import Choice
from bot.core.progress import clip
from bot.core.runner import Runner
from bot.core.state import SYSTEM, Actor, Place, Scope
from bot.core.surface import Request
from bot.discord import limits, notices
from bot.discord.errors import PhaseTree, report
from bot.discord.permissions import DiscordGate
from bot.discord.render import ActionItem
from bot.discord.respond import respond

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

T = TypeVar("T")
SYNC_HASH_KEY = "command_schema_hash"
SYNC_LOCK = "phasebot:command-sync"

Exclusive = Callable[[str], AbstractAsyncContextManager[object]]
"""Holds a named lock across every process on the database while the block runs."""


def _no_lock(name: str) -> AbstractAsyncContextManager[object]:
    return nullcontext()


class PhaseBot(commands.AutoShardedBot):
    """phasebot's Discord client."""

    def __init__(self, settings: Settings, runner: Runner, exclusive: Exclusive = _no_lock) -> None:
        # phasebot never joins voice: no warning at every start that voice libraries are
        # missing (discord.py warns in Client.__init__, so this must come first).
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            tree_cls=PhaseTree,
            allowed_mentions=discord.AllowedMentions.none(),
            shard_count=settings.shard_count,
            # None (discord.py's default, not in its type hints): every shard of the count.
            shard_ids=cast("list[int]", list(settings.shard_ids) if settings.shard_ids else None),
        )
        self.settings = settings
        self.runner = runner
        self._options: dict[app_commands.Command[Any, ..., Any], set[str]] = {}
        self.reminders = notices.Reminders(self)
        self.exclusive = exclusive

    @property
    def syncs_commands(self) -> bool:
        """Whether this process registers the commands: the one holding shard 0 (so any
        process that runs every shard)."""
        return self.shard_ids is None or 0 in self.shard_ids

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ActionItem)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.settings.dev_guild_id is not None:
            self.tree.copy_global_to(guild=discord.Object(self.settings.dev_guild_id))
        self.reminders.start()
        log.info("ready to answer: %d commands", len(self.tree.get_commands()))

    async def close(self) -> None:
        self.reminders.stop()
        await super().close()

    # -- answering -----------------------------------------------------------------------

    def request(self, interaction: discord.Interaction[Any]) -> Request:
        """Who asks, and which channel's project (none where projects aren't tracked:
        other people's DMs and group chats, where the app is only user-installed)."""
        user = interaction.user
        scope = None
        if not interaction.context.private_channel and interaction.channel_id is not None:
            guild = interaction.guild_id
            scope = Scope(
                "discord",
                "" if guild is None else str(guild),
                str(interaction.channel_id),
                private=guild is None,
            )
        gate = DiscordGate(interaction, self.runner.app.tracker)
        actor = Actor(str(user.id), user.display_name)
        return Request("discord", actor, scope, gate, channel=self._channel_of(interaction))

    def _channel_of(self, interaction: discord.Interaction[Any]) -> Callable[[str], Scope]:
        def scope(value: str) -> Scope:
            found = self.get_channel(int(value)) if value.isdigit() else None
            label = getattr(found, "name", "") or ""
            return Scope("discord", str(interaction.guild_id or ""), value, label=label)

        return scope

    async def answer(self, interaction: discord.Interaction[Any], **options: object) -> None:
        """Run the interaction's command with ``options`` and send the answer (errors
        reach the tree's ``on_error``)."""
        command = interaction.command
        assert isinstance(command, app_commands.Command)
        # discord.py ignores an option its command doesn't have: a client whose list of
        # commands is older than this code sent it, and its value would be lost.
        known = self._options.get(command)
        if known is None:  # (the same for every call: worked out once)
            known = self._options[command] = {p.display_name for p in command.parameters}
        if any(sent not in known for sent, _ in interaction.namespace):
            raise app_commands.CommandSignatureMismatch(command)
        name = command.qualified_name
        request = self.request(interaction)
        answer = await self._deferred(
            interaction, self.runner.run(name, options, request), thinking=True
        )
        await respond(interaction, answer, kept=name in SAME_ANSWER)
        await notices.announce(self, interaction, answer.posts)
        if name == "project remind":
            self.reminders.wake()

    async def click(
        self, interaction: discord.Interaction[Any], action_id: str, values: list[str]
    ) -> None:
        try:
            work = self.runner.click(action_id, values, self.request(interaction))
            answer = await self._deferred(interaction, work, thinking=False)
            await respond(interaction, answer)
            await notices.announce(self, interaction, answer.posts)
        except Exception as error:
            await report(interaction, error)

    async def _deferred(
        self, interaction: discord.Interaction[Any], work: Awaitable[T], *, thinking: bool
    ) -> T:
        """``work``'s result, the interaction deferred if it takes longer than DEFER_AFTER
        (a long export, a busy database), so Discord's 3 seconds hold. A timer, not a task
        waited on with a timeout, which cost every answer 3-5 % more (p50 over its echo).
        If the work then fails, a command's public "thinking" message is deleted, so the
        refusal that follows reaches its user alone."""
        loop = asyncio.get_running_loop()
        deferring: list[asyncio.Task[Any]] = []

        def defer() -> None:
            deferring.append(loop.create_task(interaction.response.defer(thinking=thinking)))

        timer = loop.call_later(limits.DEFER_AFTER, defer)
        try:
            return await work
        except Exception:
            if deferring and thinking:
                await deferring[0]
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            raise
        finally:
            timer.cancel()
            for task in deferring:  # deferred before it is answered, refused or fails
                await task

    async def choices(
        self, interaction: discord.Interaction[Any], option: str, typed: object
    ) -> list[app_commands.Choice[str]]:
        assert interaction.command is not None
        name = interaction.command.qualified_name
        others = dict(iter(interaction.namespace))
        found: list[Choice] = []
        try:
            found = await self.runner.complete(
                name, option, typed, others, self.request(interaction)
            )
        except Exception:
            log.exception("autocomplete of /%s %s failed (typed %r)", name, option, typed)
        return [
            app_commands.Choice(name=clip(c.label, limits.CHOICE_LABEL), value=c.value)
            for c in found[: limits.CHOICES]
        ]

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
        tracker = self.runner.app.tracker
        await tracker.set_setting(
            _hash_place(), _hash_key(guild_id), self.schema_hash(guild), SYSTEM
        )
        log.info(
            "synced %d commands %s", len(synced), f"to guild {guild_id}" if guild else "globally"
        )
        return len(synced)

    async def sync_if_changed(self) -> bool:
        """Sync the scopes whose command schema changed since their last sync (compared
        and synced under the sync lock, so two processes never both sync)."""
        scopes: list[int | None] = [None]
        if self.settings.dev_guild_id is not None:
            scopes.append(self.settings.dev_guild_id)
        changed = False
        tracker = self.runner.app.tracker
        async with self.exclusive(SYNC_LOCK):
            for guild_id in scopes:
                guild = discord.Object(guild_id) if guild_id is not None else None
                stored = await tracker.setting(_hash_place(), _hash_key(guild_id))
                if stored == self.schema_hash(guild):
                    continue
                await self.sync_commands(guild_id)
                changed = True
        if not changed:
            log.info("commands unchanged since the last sync; not syncing")
        return changed


def _hash_place() -> Place:
    return Place("discord", "")


def _hash_key(guild_id: int | None) -> str:
    return SYNC_HASH_KEY if guild_id is None else f"{SYNC_HASH_KEY}:{guild_id}"
