"""The one error handler: domain errors become polite ephemeral replies.

Slash commands reach it through the tree's ``on_error``; buttons and selects through
``PhaseBot.click``. An autocomplete interaction always gets an autocomplete result (no
choices), never a message. A command whose schema Discord has not caught up with yet
(between a deploy and the next sync) is a warning, not a bug.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.core.errors import APOLOGY, PhasebotError

log = logging.getLogger(__name__)

CHANGED = (
    "This command has changed since Discord last updated its list, and Discord is "
    "updating it now. Please try again in a minute."
)


def unwrap(error: BaseException) -> BaseException:
    """The error a command or transformer really raised."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        cause = error.__cause__ or getattr(error, "original", None)
        if cause is None:
            break
        error = cause
    return error


def describe(interaction: discord.Interaction[Any]) -> str:
    """The command (or component) and its options, for the log."""
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    if interaction.type is not discord.InteractionType.component:
        return f"/{data.get('name')} {data.get('options')}"
    return f"component {data.get('custom_id')!r} values={data.get('values')}"


def user_message(error: BaseException) -> str | None:
    """The reply for an expected error, or None for a bug."""
    if isinstance(error, PhasebotError):
        return error.user_message()
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't read the value given for that option ({error.type.name})."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works only in a server channel."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use that command here."
    return None


async def report(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user, in the form the interaction takes; log bugs with the command."""
    error = unwrap(error)
    stale = isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch)
    message = user_message(error)
    if stale:
        log.warning("Stale command schema for %s: %s", describe(interaction), error)
        message = CHANGED
    elif message is None:
        log.error("Unexpected error in %s", describe(interaction), exc_info=error)
        message = APOLOGY
    else:
        log.info("Refused %s: %s", describe(interaction), message)
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not send the error reply for %s", describe(interaction), exc_info=True)


UNREADABLE = "I couldn't read the value given for one of the options. Nothing was changed."
_RESOLVED = {6: ("users",), 7: ("channels",), 8: ("roles",), 9: ("users", "roles")}
"""Option types whose value is an id (user, channel, role, mentionable), and where the
payload resolves it."""


class PhaseTree(app_commands.CommandTree[Any]):
    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        """Refuse here what discord.py itself can't read (a forged id that isn't a number
        makes it fail before any handler runs), and give an autocomplete for an option
        this bot doesn't complete (a stale schema, a forged payload) no choices, rather
        than an error discord.py can't answer."""
        if not _ids_are_known(interaction.data):
            log.info("Refused %s: an id that isn't a number", describe(interaction))
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await interaction.response.send_message(UNREADABLE, ephemeral=True)
            return False
        if interaction.type is not discord.InteractionType.autocomplete:
            return True
        command = interaction.command
        focused = _focused(interaction.data)
        if isinstance(command, app_commands.Command) and focused is not None:
            parameter = next((p for p in command.parameters if p.display_name == focused), None)
            if parameter is not None and parameter.autocomplete:
                return True
        log.debug("No autocomplete for %s (focused %r)", describe(interaction), focused)
        if not interaction.response.is_done():
            await interaction.response.autocomplete([])
        return False

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        await report(interaction, error)


def _ids_are_known(data: Any, resolved: Any = None) -> bool:
    """Whether every user, channel, role or mentionable option holds an id that the
    payload resolves, as Discord's client always sends them."""
    if resolved is None:
        resolved = data.get("resolved") if isinstance(data, dict) else None
        resolved = resolved if isinstance(resolved, dict) else {}
    options = data.get("options") if isinstance(data, dict) else None
    for option in options if isinstance(options, list) else ():
        if not isinstance(option, dict):
            return False
        kind = option.get("type")
        kinds = _RESOLVED.get(kind) if isinstance(kind, int) else None
        if kinds is not None and "value" in option and not option.get("focused"):
            value = option["value"]
            if isinstance(value, bool) or not isinstance(value, str | int):
                return False
            if not any(
                isinstance(resolved.get(k), dict) and str(value) in resolved[k] for k in kinds
            ):
                return False
        if not _ids_are_known(option, resolved):
            return False
    return True


def _focused(data: Any) -> str | None:
    """The name of the option being typed in an autocomplete payload."""
    options = data.get("options") if isinstance(data, dict) else None
    while isinstance(options, list):
        for option in options:
            if not isinstance(option, dict):
                return None
            if option.get("focused"):
                return str(option.get("name"))
        nested = [o.get("options") for o in options if isinstance(o, dict) and o.get("options")]
        options = nested[0] if nested else None
    return None
