"""Who may change a channel's project on Discord: the platform's side of the rules.

Reading is open to anyone who can use the command. Changing needs Manage Channels in
that channel or the server's editor role; resetting and choosing the editor role need
Manage Server. In a DM with the bot, the user owns the DM's progress.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.errors import NotAllowed
from bot.core.handlers import EDITOR_ROLE
from bot.core.state import Place, Scope
from bot.core.surface import Need, Request
from bot.core.tracker import Tracker


class DiscordGate:
    """The permission check of one interaction, from the permissions Discord resolved."""

    def __init__(self, interaction: discord.Interaction[Any], tracker: Tracker) -> None:
        self.interaction = interaction
        self.tracker = tracker

    async def require(self, need: Need, request: Request) -> None:
        interaction = self.interaction
        guild_id = interaction.guild_id
        if need is Need.ANYONE or guild_id is None:
            return
        if need is Need.MANAGER:
            if not interaction.permissions.manage_guild:
                raise NotAllowed("That needs the Manage Server permission. Nothing was changed.")
            return
        if interaction.permissions.manage_channels:
            return
        place = Place("discord", str(guild_id))
        role = await self.tracker.setting(place, EDITOR_ROLE)
        if role is not None and (role == str(guild_id) or _has_role(interaction.user, role)):
            return  # (the @everyone role's id is the server's)
        needed = "the Manage Channels permission in this channel"
        if role is not None:
            needed += f" or the <@&{role}> role"
        raise NotAllowed(f"Changing this channel's project needs {needed}. Nothing was changed.")

    async def sees(self, scope: Scope) -> bool:
        """A channel of this server that the user may view (as Discord resolved their
        roles), or, without a member to ask, one the bot can see; a DM only itself."""
        interaction = self.interaction
        if scope.platform != "discord" or not scope.channel.isdigit():
            return False
        if not scope.workspace:
            return scope.channel == str(interaction.channel_id)
        guild = interaction.guild
        if guild is None or str(guild.id) != scope.workspace:
            return False
        channel = guild.get_channel_or_thread(int(scope.channel))
        if channel is None:
            return False
        user = interaction.user
        if isinstance(user, discord.Member):
            return channel.permissions_for(user).view_channel
        return True


def _has_role(user: discord.abc.User, role: str) -> bool:
    return (
        isinstance(user, discord.Member) and role.isdigit() and user.get_role(int(role)) is not None
    )
