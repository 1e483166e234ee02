"""/project: each channel's SDLC phase, its checklist, history and who may change it."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.progress import MAX_NOTE_LENGTH
from bot.core.surface import Where
from bot.discord.bot import PhaseBot
from bot.discord.declared import declared, offered

Note = app_commands.Range[str, 1, MAX_NOTE_LENGTH]


@offered(Where.PROJECTS)
class ProjectCog(
    commands.GroupCog, group_name="project", group_description="This channel's project phase."
):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot
        super().__init__()

    @declared("project status")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.answer(interaction)

    @declared("project history")
    async def history(
        self, interaction: discord.Interaction[Any], limit: app_commands.Range[int, 1, 50] = 10
    ) -> None:
        await self.bot.answer(interaction, limit=limit)

    @declared("project set")
    async def set(
        self, interaction: discord.Interaction[Any], phase: str, note: Note | None = None
    ) -> None:
        await self.bot.answer(interaction, phase=phase, note=note)

    @declared("project next")
    async def next(self, interaction: discord.Interaction[Any], note: Note | None = None) -> None:
        await self.bot.answer(interaction, note=note)

    @declared("project back")
    async def back(self, interaction: discord.Interaction[Any], note: Note | None = None) -> None:
        await self.bot.answer(interaction, note=note)

    @declared("project check")
    async def check(self, interaction: discord.Interaction[Any], activity: str) -> None:
        await self.bot.answer(interaction, activity=activity)

    @declared("project methodology")
    async def methodology(self, interaction: discord.Interaction[Any], name: str) -> None:
        await self.bot.answer(interaction, name=name)

    @declared("project reset")
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.answer(interaction)

    @declared("project editor-role")
    async def editor_role(
        self,
        interaction: discord.Interaction[Any],
        role: discord.Role | None = None,
        clear: bool | None = None,
    ) -> None:
        await self.bot.answer(interaction, role=role and str(role.id), clear=clear)

    @declared("project overview")
    async def overview(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.answer(interaction)

    @declared("project timeline")
    async def timeline(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel | None = None
    ) -> None:
        await self.bot.answer(interaction, channel=channel and str(channel.id))

    @declared("project export")
    async def export(
        self, interaction: discord.Interaction[Any], format: Literal["csv", "json", "markdown"]
    ) -> None:
        await self.bot.answer(interaction, format=format)

    @declared("project announce")
    async def announce(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel | None = None,
        clear: bool | None = None,
    ) -> None:
        await self.bot.answer(interaction, channel=channel and str(channel.id), clear=clear)

    @declared("project remind")
    async def remind(
        self,
        interaction: discord.Interaction[Any],
        days: app_commands.Range[int, 1, 90] | None = None,
        off: bool | None = None,
    ) -> None:
        await self.bot.answer(interaction, days=days, off=off)


async def setup(bot: PhaseBot) -> None:
    await bot.add_cog(ProjectCog(bot))
