"""/help: every command, one line each, with an example."""

from __future__ import annotations

from typing import Any

import discord
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.declared import declared


class HelpCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @declared("help")
    async def help(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.answer(interaction)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(HelpCog(bot))
