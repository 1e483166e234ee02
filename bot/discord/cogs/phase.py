"""/phase: one SDLC phase, with ◀ ▶ to browse and a button to make it the channel's phase."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class PhaseCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("phase")
    async def phase(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self.bot.answer(interaction, name=name)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(PhaseCog(bot))
