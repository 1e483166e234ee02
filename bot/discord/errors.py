"""The one error handler: domain errors become polite ephemeral replies.

Slash commands reach it through the tree's ``on_error``; buttons and selects call
:func:`guarded` around their work (discord.py only logs errors from dynamic items).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.core.errors import PhasebotError

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side while answering that. It has been logged."


class NotAllowed(PhasebotError):
    """The user lacks the permission or role a change needs."""


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
    if interaction.command is not None:
        options = {k: v for k, v in interaction.namespace}
        return f"/{interaction.command.qualified_name} {options}"
    data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
    return f"component {data.get('custom_id')!r} values={data.get('values')}"


def user_message(error: BaseException) -> str | None:
    """The reply for an expected error, or None for a bug."""
    if isinstance(error, PhasebotError):
        return error.user_message()
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works only in a server channel."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You can't use that command here."
    return None


async def report(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Tell the user, ephemerally; log bugs with the command and its options."""
    error = unwrap(error)
    message = user_message(error)
    if message is None:
        log.error("Unexpected error in %s", describe(interaction), exc_info=error)
        message = APOLOGY
    else:
        log.info("Refused %s: %s", describe(interaction), message)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True)
        else:
            await interaction.response.send_message(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("Could not send the error reply for %s", describe(interaction), exc_info=True)


CogT = TypeVar("CogT")
AutocompleteCallback = Callable[
    [CogT, discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]


def safe_autocomplete(func: AutocompleteCallback[CogT]) -> AutocompleteCallback[CogT]:
    """Autocomplete errors never reach the tree's ``on_error``: log them with what was
    typed and offer no choices, instead of leaving Discord's "Loading options failed"."""

    @functools.wraps(func)
    async def wrapper(
        self: CogT, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            return await func(self, interaction, current)
        except Exception:
            log.exception("Autocomplete failed in %s (typed %r)", describe(interaction), current)
            return []

    return wrapper


async def guarded(
    interaction: discord.Interaction[Any], work: Callable[[], Awaitable[None]]
) -> None:
    """Run a component callback, reporting any error like a command's."""
    try:
        await work()
    except Exception as error:
        await report(interaction, error)


class PhaseTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        await report(interaction, error)
