"""Small helpers every cog shares: where commands may run, and the typed client."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.core.lookup import Choice

if TYPE_CHECKING:
    from bot.discord.bot import PhaseBot

T = TypeVar("T")


def everywhere(command: T) -> T:
    """Usable in servers, in DMs with the bot, and anywhere when installed to a user."""
    command = app_commands.allowed_installs(guilds=True, users=True)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(command)


def bot_of(interaction: discord.Interaction[Any]) -> PhaseBot:
    return cast("PhaseBot", interaction.client)


def choices(items: Sequence[Choice]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=c.label, value=c.value) for c in items]
