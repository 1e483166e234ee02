"""/phases: the SDLC's definition and goal, then its phases in order."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.context import everywhere
from bot.discord.respond import send_answer


class PhasesCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="phases", description="The software development life cycle and its phases, in order."
    )
    @everywhere
    async def phases(self, interaction: discord.Interaction[Any]) -> None:
        await send_answer(interaction, self.bot.services.knowledge.phases())


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(PhasesCog(bot))
