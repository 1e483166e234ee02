"""/ask: a question in the user's own words, answered with the best matching content."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class AskCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("ask")
    async def ask(
        self, interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 300]
    ) -> None:
        await self.bot.answer(interaction, question=question)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(AskCog(bot))
