"""/help: every command, one line each, with an example."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.help import help_answer
from bot.discord.bot import PhaseBot
from bot.discord.context import everywhere
from bot.discord.respond import send_answer


class HelpCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What phasebot can do, with examples.")
    @everywhere
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        await send_answer(interaction, help_answer())


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(HelpCog(bot))
