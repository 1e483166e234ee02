"""/methodology: one methodology's whole profile, or one aspect of it."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.context import choices, everywhere
from bot.discord.errors import safe_autocomplete
from bot.discord.respond import send_answer


class MethodologyCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="methodology", description="One methodology's profile, or one aspect of it."
    )
    @app_commands.describe(name="Waterfall, Agile, Spiral or V-Model", aspect="Only this aspect")
    @everywhere
    async def methodology(
        self, interaction: discord.Interaction[Any], name: str, aspect: str | None = None
    ) -> None:
        await send_answer(interaction, self.bot.services.knowledge.methodology(name, aspect))

    @methodology.autocomplete("name")
    @safe_autocomplete
    async def name_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        return choices(catalog.complete_subject(current, catalog.methodologies))

    @methodology.autocomplete("aspect")
    @safe_autocomplete
    async def aspect_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        return choices(catalog.complete_aspect(catalog.methodologies, current))


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(MethodologyCog(bot))
