"""/ask: a question in the user's own words, answered with the best matching content."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.context import everywhere
from bot.discord.respond import send_answer


class AskCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="ask", description="Ask about the SDLC, methodologies or MLOps in your own words."
    )
    @app_commands.describe(question="e.g. how flexible is waterfall? or when do we archive data?")
    @everywhere
    async def ask(
        self, interaction: discord.Interaction[Any], question: app_commands.Range[str, 1, 300]
    ) -> None:
        await send_answer(interaction, self.bot.services.asker.ask(question))


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(AskCog(bot))
