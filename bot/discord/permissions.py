"""Who may change a channel's project: the Discord side of the rules.

Reading is open to anyone who can use the command. Changing needs Manage Channels
in that channel or the server's editor role; reset and the editor role itself need
Manage Server. In a DM with the bot, the user owns the DM's progress.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.progress import Actor, Scope
from bot.core.tracker import Tracker
from bot.discord.errors import NotAllowed


def tracks_projects(interaction: discord.Interaction[Any]) -> bool:
    """Projects live in server channels and in DMs with the bot, not in other people's
    DMs or group chats (where the app is only user-installed)."""
    return not interaction.context.private_channel


def scope_of(interaction: discord.Interaction[Any]) -> Scope:
    if not tracks_projects(interaction):
        raise NotAllowed(
            "Project tracking works in server channels and in DMs with me, not in this chat."
        )
    channel_id = interaction.channel_id
    if channel_id is None:  # Discord always sends a channel for commands; be explicit anyway
        raise NotAllowed("I can't tell which channel this is, so I can't track a project here.")
    return Scope(guild_id=interaction.guild_id, channel_id=channel_id)


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    return Actor(id=interaction.user.id, name=interaction.user.display_name)


def _has_role(user: discord.abc.User, role_id: int) -> bool:
    # Interaction members carry their role ids even when the guild is not cached.
    roles = getattr(user, "_roles", ())
    return role_id in roles


async def require_editor(interaction: discord.Interaction[Any], tracker: Tracker) -> None:
    """Manage Channels here, or the server's editor role. Raises :class:`NotAllowed`."""
    if interaction.guild_id is None:
        return
    if interaction.permissions.manage_channels:
        return
    role_id = await tracker.editor_role(interaction.guild_id)
    if role_id is not None and (
        role_id == interaction.guild_id  # @everyone: its id is the server's
        or _has_role(interaction.user, role_id)
    ):
        return
    needed = "the Manage Channels permission in this channel"
    if role_id is not None:
        needed += f" or the <@&{role_id}> role"
    raise NotAllowed(f"Changing this channel's project needs {needed}. Nothing was changed.")


def require_manager(interaction: discord.Interaction[Any], what: str) -> None:
    """Manage Server. Raises :class:`NotAllowed`."""
    if interaction.guild_id is None:
        return
    if not interaction.permissions.manage_guild:
        raise NotAllowed(f"{what} needs the Manage Server permission. Nothing was changed.")
