"""/compare: two methodologies (or MLOps and DevOps) side by side, with an aspect picker."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class CompareCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("compare")
    async def compare(
        self,
        interaction: discord.Interaction[Any],
        first: str,
        second: str,
        aspect: str | None = None,
    ) -> None:
        await self.bot.answer(interaction, first=first, second=second, aspect=aspect)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(CompareCog(bot))
