"""/phase: one SDLC phase, with ◀ ▶ to browse and a button to make it the channel's phase."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.bot import PhaseBot
from bot.discord.components import PhaseNav, SetPhaseButton, phase_view
from bot.discord.context import choices, everywhere
from bot.discord.errors import safe_autocomplete
from bot.discord.respond import send_answer


class PhaseCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(name="phase", description="One SDLC phase: its objective and activities.")
    @app_commands.describe(name="A phase: name, number (1-8) or a word like qa, coding, release")
    @everywhere
    async def phase(self, interaction: discord.Interaction[Any], name: str) -> None:
        catalog = self.bot.services.catalog
        phase = catalog.phase(name)
        answer = self.bot.services.knowledge.phase_answer(phase)
        await send_answer(interaction, answer, view=phase_view(interaction, phase))

    @phase.autocomplete("name")
    @safe_autocomplete
    async def phase_name(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self.bot.services.catalog.complete_phase(current))


async def setup(bot: PhaseBot) -> None:
    bot.add_dynamic_items(PhaseNav, SetPhaseButton)
    await bot.add_cog(PhaseCog(bot))
