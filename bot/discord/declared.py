"""discord.py's decorators, fed from the core's command declarations.

``@declared("phase")`` on a cog method is ``@app_commands.command`` with the declared
name and description, ``@app_commands.describe`` with the options' descriptions, the
contexts and installs the command is offered in, and an autocomplete callback for
every option the declaration completes. The method's signature gives the options'
Discord types and ranges; a structural test checks them against the declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.commands import BY_NAME
from bot.core.surface import Where

PLATFORM = "discord"


def declared(name: str) -> Callable[[Callable[..., Any]], app_commands.Command[Any, ..., Any]]:
    spec = BY_NAME[name]

    def decorate(method: Callable[..., Any]) -> app_commands.Command[Any, ..., Any]:
        described = app_commands.describe(
            **{o.name: o.description for o in spec.options if o.offered_on(PLATFORM)}
        )(method)
        command: app_commands.Command[Any, ..., Any] = app_commands.command(
            name=spec.leaf, description=spec.description
        )(described)
        for option in spec.options:
            if option.complete is not None and option.offered_on(PLATFORM):
                command.autocomplete(option.name)(_completer(option.name))
        if spec.group is None:  # subcommands take their group's contexts
            command = offered(spec.where)(command)
        return command

    return decorate


def offered(where: Where) -> Callable[[Any], Any]:
    """Knowledge commands: servers, DMs with the bot, and anywhere when user-installed.
    Project commands: server channels and DMs with the bot."""

    def decorate(command: Any) -> Any:
        command = app_commands.allowed_installs(guilds=True, users=True)(command)
        private = where is Where.EVERYWHERE
        return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=private)(
            command
        )

    return decorate


def _completer(option: str) -> Callable[..., Any]:
    async def complete(
        interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await interaction.client.choices(interaction, option, current)  # type: ignore[attr-defined, no-any-return]

    return complete
