"""/mlops: MLOps vs DevOps, the whole table or one aspect."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class MlopsCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("mlops")
    async def mlops(self, interaction: discord.Interaction[Any], aspect: str | None = None) -> None:
        await self.bot.answer(interaction, aspect=aspect)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(MlopsCog(bot))
