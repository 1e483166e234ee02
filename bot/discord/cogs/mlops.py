"""/mlops: MLOps vs DevOps, the whole table or one aspect."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.context import choices, everywhere
from bot.discord.errors import safe_autocomplete
from bot.discord.respond import send_answer


class MlopsCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="mlops", description="How MLOps differs from DevOps, whole or one aspect."
    )
    @app_commands.describe(aspect="Only this aspect, e.g. testing, tools or metrics")
    @everywhere
    async def mlops(self, interaction: discord.Interaction[Any], aspect: str | None = None) -> None:
        await send_answer(interaction, self.bot.services.knowledge.mlops(aspect))

    @mlops.autocomplete("aspect")
    @safe_autocomplete
    async def aspect_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        return choices(catalog.complete_aspect(catalog.mlops, current))


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(MlopsCog(bot))
