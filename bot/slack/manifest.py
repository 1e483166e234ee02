"""The Slack app manifest, made from the command declarations: ``phasebot slack manifest``.

Paste it into *Create New App → From an app manifest*. Every command offered on Slack is
reachable: each top-level command has its slash command (a group, like ``/project``,
takes its subcommand as the first word), and ``/phasebot`` takes any line, for a
workspace where a name is taken. ``/help`` is too generic a name to claim in a whole
workspace, so it is ``/phasebot help``. The bot asks for only the scopes it uses.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from bot.core.commands import COMMANDS
from bot.core.surface import Command, Kind, Option
from bot.slack.read import PLATFORM, UMBRELLA

APP_NAME: Final = "phasebot"
DESCRIPTION: Final = "Answers about the SDLC and MLOps, and tracks each channel's project phase."
SCOPES: Final = ("commands", "chat:write", "users:read", "usergroups:read", "files:write")
"""commands: slash commands; chat:write: answers; users:read: who is an admin or owner;
usergroups:read: who is in the editor group; files:write: answers with a file."""
EVENTS_PATH: Final = "/slack/events"
GROUPS: Final = {"project": "This channel's project phase: where it is, moving it, its history."}
"""Descriptions of command groups (their subcommands are declared, the group is not)."""
ONLY_UNDER_UMBRELLA: Final = frozenset({"help"})
UMBRELLA_DESCRIPTION: Final = "Any phasebot command as a line, e.g. compare agile spiral, or help."
UMBRELLA_HINT: Final = "help | <command> [options] | <a question>"


def request_url(url: str) -> str:
    """``--http-url`` as Slack's Request URL: https, and ``/slack/events`` when no path
    is given. Raises ValueError with a plain message."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("--http-url must be an https:// URL: Slack posts only to HTTPS")
    path = parts.path if parts.path not in ("", "/") else EVENTS_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def manifest(http_url: str | None = None) -> dict[str, Any]:
    """The manifest: Socket Mode, or with ``http_url`` (see :func:`request_url`) the
    Request URL for slash commands and interactivity."""
    interactivity: dict[str, Any] = {"is_enabled": True}
    if http_url is not None:
        interactivity["request_url"] = http_url
    return {
        "display_information": {"name": APP_NAME, "description": DESCRIPTION},
        "features": {
            "app_home": {
                "home_tab_enabled": False,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": slash_commands(http_url),
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": {
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": http_url is None,
            "token_rotation_enabled": False,
        },
    }


def slash_commands(http_url: str | None = None) -> list[dict[str, Any]]:
    offered = [c for c in COMMANDS if c.offered_on(PLATFORM)]
    entries: list[dict[str, Any]] = []
    for name in dict.fromkeys(c.name.split()[0] for c in offered):
        if name in ONLY_UNDER_UMBRELLA:
            continue
        reached = [c for c in offered if c.name == name or c.group == name]
        if reached[0].group is None:
            description, hint = reached[0].description, _hint(reached[0])
        else:
            description = GROUPS[name]
            hint = " | ".join(_hint(c, c.leaf) for c in reached)
        entries.append(_entry(name, description, hint, reached, http_url))
    entries.append(_entry(UMBRELLA, UMBRELLA_DESCRIPTION, UMBRELLA_HINT, offered, http_url))
    return entries


def _entry(
    name: str, description: str, hint: str, reached: list[Command], http_url: str | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": f"/{name}"}
    if http_url is not None:
        entry["url"] = http_url
    entry["description"] = description
    if hint:
        entry["usage_hint"] = hint
    # Slack sends a mentioned user group or channel as its id only when asked to escape.
    entry["should_escape"] = any(
        o.kind in (Kind.ROLE, Kind.CHANNEL)
        for c in reached
        for o in c.options
        if o.offered_on(PLATFORM)
    )
    return entry


def _hint(command: Command, head: str = "") -> str:
    """How to type the command's options: required ones in order, optional ones by name."""
    parts = [head] if head else []
    for option in command.options:
        if option.offered_on(PLATFORM):
            parts.append(_shown(option))
    return " ".join(parts)


def _shown(option: Option) -> str:
    value = option.placeholder or f"<{option.name}>"
    return value if option.required else f"[{option.name}:{value}]"
