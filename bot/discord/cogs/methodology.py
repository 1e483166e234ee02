"""/methodology: one methodology's whole profile, or one aspect of it."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class MethodologyCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("methodology")
    async def methodology(
        self, interaction: discord.Interaction[Any], name: str, aspect: str | None = None
    ) -> None:
        await self.bot.answer(interaction, name=name, aspect=aspect)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(MethodologyCog(bot))
