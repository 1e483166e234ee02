"""/phases: the SDLC's definition and goal, then its phases in order."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class PhasesCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("phases")
    async def phases(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.answer(interaction)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(PhasesCog(bot))
