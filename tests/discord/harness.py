"""End-to-end harness: drive a real discord.py bot against the local :mod:`standin` API.

Nothing in discord.py is mocked. The harness starts a :class:`~standin.StandIn`, points
``discord.http.Route.BASE`` at it, logs the bot in (its real ``setup_hook`` runs), optionally
syncs its commands, feeds a ``GUILD_CREATE``, then feeds ``INTERACTION_CREATE`` payloads
through discord.py's own gateway parser and waits until every task discord.py spawned for
one has finished::

    async with Harness(bot, sync=True) as h:
        res = await h.command("phase", {"name": "testing"})
        assert res.callback_type == 4 and not res.ephemeral
        clicked = await h.click(res, "pb:phase:deployment")
        assert clicked.callback_type == 7

:class:`InteractionBuilder` builds payloads the way Discord's client does and refuses
(:class:`UnsendableInteraction`) what the client would never send. To send such a *forged*
payload anyway, build a valid one, change it and feed it raw::

    payload = h.builder.slash("phase", {"name": "testing"})
    payload["data"]["options"][0]["value"] = 5  # a string option sent as an integer
    res = await h.feed(payload, check=False)
"""

from __future__ import annotations

import asyncio
import copy
import io
import logging
import secrets
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohappyeyeballs
import aiohttp
import discord
import discord.http
from discord import app_commands

from tests.discord.standin import (
    ATTACHMENT_SIZE_LIMIT,
    FLAG_EPHEMERAL,
    JSON,
    InteractionState,
    RecordedFile,
    RecordedRequest,
    StandIn,
    check_command_schema,
    snowflake,
    user_payload,
    walk_components,
)

__all__ = [
    "DEFAULT_MEMBER_PERMISSIONS",
    "Context",
    "FakeUser",
    "Harness",
    "HarnessError",
    "InteractionBuilder",
    "InteractionResult",
    "UnsendableInteraction",
    "World",
    "check_command_schema",
    "state_from_payload",
]

Context = Literal["guild", "bot_dm", "private_channel"]
_CONTEXT_VALUE: dict[str, int] = {"guild": 0, "bot_dm": 1, "private_channel": 2}

DEFAULT_MEMBER_PERMISSIONS: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    use_external_stickers=True,
    read_message_history=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    change_nickname=True,
    create_instant_invite=True,
).value
DEFAULT_APP_PERMISSIONS: int = (
    DEFAULT_MEMBER_PERMISSIONS | discord.Permissions(manage_messages=True).value
)
_ADMINISTRATOR = discord.Permissions(administrator=True).value
_MAX_SAFE_INT = 2**53


class UnsendableInteraction(ValueError):
    """Discord's client would never send this interaction (the builder refused it)."""


class HarnessError(AssertionError):
    """The bot misbehaved (logged errors, unacknowledged interaction, unknown routes, hang)."""


def _refuse(message: str) -> UnsendableInteraction:
    return UnsendableInteraction(f"Discord's client would not send this: {message}")


# ---- The simulated world -------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    id: int
    username: str
    global_name: str | None = None

    @classmethod
    def new(cls, username: str = "tester") -> FakeUser:
        return cls(snowflake(), username, username.title())

    def payload(self) -> JSON:
        return user_payload(self.id, self.username, global_name=self.global_name)


@dataclass
class World:
    """The guild, channel and users the interactions come from. Share it across restarts."""

    guild_id: int = field(default_factory=snowflake)
    guild_name: str = "Test Guild"
    channel_id: int = field(default_factory=snowflake)
    channel_name: str = "general"
    owner: FakeUser = field(default_factory=lambda: FakeUser.new("guildowner"))
    user: FakeUser = field(default_factory=FakeUser.new)
    member_permissions: int = DEFAULT_MEMBER_PERMISSIONS
    app_permissions: int = DEFAULT_APP_PERMISSIONS
    locale: str = "en-US"
    bot_role_id: int = field(default_factory=snowflake)
    # user id -> that user's DM with a friend (context ``private_channel``, user installs);
    # DMs with the bot itself live in the stand-in (``StandIn.dm_channel``).
    private_channels: dict[int, JSON] = field(default_factory=dict)
    # The guild's roles besides @everyone and the bot's own (role payloads), sent in
    # GUILD_CREATE: a member's roles mean something to discord.py only if the guild has them.
    roles: list[JSON] = field(default_factory=list)

    def permissions(self, permissions: int | None) -> int:
        return self.member_permissions if permissions is None else permissions

    def guild_channel(self, permissions: int | None = None) -> JSON:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.channel_name,
            "position": 0,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "permission_overwrites": [],
            "last_message_id": None,
            "flags": 0,
            "permissions": str(self.permissions(permissions)),
        }

    def private_channel(self, user: FakeUser) -> JSON:
        """The DM between ``user`` and a friend, created on first use."""
        if user.id not in self.private_channels:
            friend = FakeUser.new("friend").payload()
            channel = {"id": str(snowflake()), "type": 1, "last_message_id": None, "flags": 0}
            self.private_channels[user.id] = {**channel, "recipients": [friend]}
        return self.private_channels[user.id]

    def member(self, user: FakeUser, permissions: int | None = None) -> JSON:
        return {
            "user": user.payload(),
            "roles": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "communication_disabled_until": None,
            "permissions": str(self.permissions(permissions)),
        }

    def guild_create(self, bot_user: JSON) -> JSON:
        """A ``GUILD_CREATE`` dispatch payload with the channel, the bot and the user."""
        everyone = {
            "id": str(self.guild_id),
            "name": "@everyone",
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(self.member_permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        bot_role = {
            **everyone,
            "id": str(self.bot_role_id),
            "name": bot_user["username"],
            "position": 1,
            "permissions": str(self.app_permissions),
            "managed": True,
            "tags": {"bot_id": bot_user["id"]},
        }
        user_member = self.member(self.user)
        del user_member["permissions"]
        bot_member = {**user_member, "user": bot_user, "roles": [str(self.bot_role_id)]}
        channel = self.guild_channel()
        del channel["permissions"], channel["guild_id"]
        # The fields discord.py or a bot reads; decorative ones (splash, banner, ...) left out.
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": [everyone, bot_role, *self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "system_channel_id": str(self.channel_id),
            "premium_tier": 0,  # discord.py derives the upload size limit from it
            "preferred_locale": self.locale,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            # member_count == len(members) marks the guild as chunked: no chunk request.
            "member_count": 2,
            "members": [bot_member, user_member],
            "channels": [channel],
            "threads": [],
        }


# ---- Building INTERACTION_CREATE payloads like Discord's client does -----------------------------


class InteractionBuilder:
    """Builds raw ``INTERACTION_CREATE`` payloads and refuses what the client would not send.

    Command schemas come from the stand-in's global registrations once commands were synced
    (what Discord's client validates against), otherwise from the bot's tree.
    """

    def __init__(
        self, *, world: World, standin: StandIn, tree: app_commands.CommandTree[Any] | None
    ) -> None:
        self.world = world
        self.standin = standin
        self.tree = tree
        self._fake_ids: dict[str, int] = {}

    def schema(self, name: str) -> tuple[JSON, int]:
        """``(command json, command id)`` of a global slash command, or refuse."""
        if self.standin.synced:
            found = self.standin.registered_command(name)
            if found is None:
                raise _refuse(f"command {name!r} is not registered with Discord")
            return found, int(found["id"])
        tree = self.tree
        command = tree.get_command(name) if tree is not None else None
        if tree is None or not isinstance(command, app_commands.Command | app_commands.Group):
            raise _refuse(f"unknown command {name!r}")
        return command.to_dict(tree), self._fake_ids.setdefault(name, snowflake())

    def _envelope(
        self,
        itype: int,
        data: JSON,
        *,
        user: FakeUser,
        context: Context,
        permissions: int | None,
        installs: Sequence[int] = (0,),
        channel: JSON | None = None,
        guild_id: int | None = None,
    ) -> JSON:
        world = self.world
        payload: JSON = {
            "id": str(snowflake()),
            "application_id": str(self.standin.application_id),
            "type": itype,
            "data": data,
            "token": "aW50ZXJhY3Rpb24." + secrets.token_urlsafe(32),
            "version": 1,
            "locale": world.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "app_permissions": str(world.app_permissions),
            "context": _CONTEXT_VALUE[context],
        }
        owners: dict[str, str] = {}
        if context == "guild":
            gid = guild_id or world.guild_id
            if 0 in installs:
                owners["0"] = str(gid)
            chan = {**(channel or world.guild_channel())}
            chan["permissions"] = str(world.permissions(permissions))
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": world.locale, "features": []},
                guild_locale=world.locale,
                member=world.member(user, permissions),
            )
        else:
            if context == "bot_dm" and 0 in installs:
                owners["0"] = "0"
            chan = channel or self.dm_channel(user, context)
            payload["user"] = user.payload()
        if 1 in installs or not owners:
            owners["1"] = str(user.id)
        payload.update(channel=chan, channel_id=chan["id"], authorizing_integration_owners=owners)
        return payload

    def dm_channel(self, user: FakeUser, context: Context = "bot_dm") -> JSON:
        """The user's DM with the bot (``bot_dm``) or with a friend (``private_channel``)."""
        if context == "bot_dm":
            return self.standin.dm_channel(user.payload())
        channel = self.world.private_channel(user)
        self.standin.add_channel(channel)
        return channel

    # ---- slash commands and autocomplete -------------------------------------------------

    def _check_availability(
        self, schema: JSON, context: Context, permissions: int | None
    ) -> list[int]:
        """Refuse a command the client would not offer here; return its integration types."""
        name = schema.get("name")
        installs = list(schema.get("integration_types") or [0])
        contexts = schema.get("contexts")
        if contexts is not None and _CONTEXT_VALUE[context] not in contexts:
            raise _refuse(f"{name!r} is not allowed in context {context} (contexts={contexts})")
        if contexts is None and context == "bot_dm" and schema.get("dm_permission") is False:
            raise _refuse(f"{name!r} has dm_permission=false")
        if context == "private_channel" and 1 not in installs:
            raise _refuse(f"{name!r} is not user-installable (integration_types={installs})")
        required = schema.get("default_member_permissions")
        if context == "guild" and required is not None and 0 in installs:
            perms, needed = self.world.permissions(permissions), int(required)
            if not perms & _ADMINISTRATOR and (needed == 0 or perms & needed != needed):
                raise _refuse(
                    f"{name!r} needs permissions {needed} (default_member_permissions);"
                    f" the member has {perms}"
                )
        return installs

    def slash(
        self,
        qualified_name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        focused: str | None = None,
    ) -> JSON:
        """A slash command (type 2) or, with ``focused``, an autocomplete (type 4)."""
        parts = qualified_name.split()
        if not parts:
            raise _refuse("empty command name")
        schema, command_id = self.schema(parts[0])
        installs = self._check_availability(schema, context, permissions)
        resolved: JSON = {}
        data: JSON = {
            "id": str(command_id),
            "name": parts[0],
            "type": 1,
            "options": self._options(schema, parts, dict(options or {}), resolved, focused),
        }
        if resolved:
            data["resolved"] = resolved
        return self._envelope(
            2 if focused is None else 4,
            data,
            user=user or self.world.user,
            context=context,
            permissions=permissions,
            installs=installs,
        )

    def _options(
        self,
        schema: JSON,
        parts: list[str],
        given: dict[str, Any],
        resolved: JSON,
        focused: str | None,
    ) -> list[JSON]:
        """The ``options`` of the payload, nested in subcommand (group) wrappers."""
        level: list[JSON] = list(schema.get("options") or [])
        path = parts[0]
        wrappers: list[JSON] = []
        for part in parts[1:]:
            sub = next((o for o in level if o["type"] in (1, 2) and o["name"] == part), None)
            if sub is None:
                raise _refuse(f"{path!r} has no subcommand or group {part!r}")
            path = f"{path} {part}"
            wrappers.append({"name": part, "type": sub["type"]})
            level = list(sub.get("options") or [])
        if any(o["type"] in (1, 2) for o in level):
            names = [o["name"] for o in level]
            raise _refuse(f"{path!r} cannot be invoked directly; pick one of {names}")
        by_name = {o["name"]: o for o in level}
        for name in given:
            if name not in by_name:
                raise _refuse(f"{path!r} has no option {name!r} (options: {list(by_name)})")
        if focused is not None:
            if focused not in by_name or not by_name[focused].get("autocomplete"):
                raise _refuse(f"option {focused!r} of {path!r} has no autocomplete")
            if not isinstance(given.setdefault(focused, ""), str):
                raise _refuse("the focused autocomplete value is the text typed so far (str)")
        else:
            missing = [o["name"] for o in level if o.get("required") and o["name"] not in given]
            if missing:
                raise _refuse(f"{path!r} is missing required option(s) {missing}")
        result: list[JSON] = []
        for name, value in given.items():
            spec = by_name[name]
            option = {"name": name, "type": spec["type"]}
            if name == focused:
                result.append({**option, "value": value, "focused": True})
            else:
                where = f"option {name!r} of {path!r}"
                result.append({**option, "value": _option_value(spec, value, resolved, where)})
        for wrapper in reversed(wrappers):
            result = [{**wrapper, "options": result}]
        return result

    # ---- components ----------------------------------------------------------------------

    def _message_context(self, message: JSON, user: FakeUser) -> tuple[Context, JSON, int | None]:
        """Where a stored message lives: (context, channel payload, guild id)."""
        meta = self.standin.message_meta.get(int(message["id"]))
        channel_id = int(message["channel_id"])
        if meta is not None and meta.ephemeral_user_id not in (None, user.id):
            raise _refuse("the message is ephemeral and only visible to another user")
        channel = self.standin.channels.get(channel_id)
        if meta is not None and meta.guild_id is not None:
            if channel is None or channel_id == self.world.channel_id:
                channel = self.world.guild_channel()
            return "guild", channel, meta.guild_id
        if channel is None or channel.get("type") != 1:
            raise _refuse(f"channel {channel_id} is unknown to the harness")
        context: Context = "bot_dm"
        owner = self.standin.dm_recipient(channel_id)
        for user_id, dm in self.world.private_channels.items():
            if int(dm["id"]) == channel_id:
                context, owner = "private_channel", user_id
        if owner != user.id:
            raise _refuse("that DM belongs to another user")
        return context, channel, None

    def component(
        self,
        message: JSON,
        custom_id: str,
        *,
        values: Sequence[str] | None = None,
        user: FakeUser | None = None,
        permissions: int | None = None,
    ) -> JSON:
        """A button click (``values`` None) or a string-select pick on ``message``."""
        user = user or self.world.user
        comps = list(walk_components(message.get("components")))
        comp = next((c for c in comps if c.get("custom_id") == custom_id), None)
        if comp is None:
            ids = [c.get("custom_id") for c in comps if c.get("custom_id")]
            raise _refuse(f"message has no component {custom_id!r} (has {ids})")
        if comp.get("disabled"):
            raise _refuse(f"component {custom_id!r} is disabled")
        ctype = int(comp["type"])
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if isinstance(comp.get("id"), int):
            data["id"] = comp["id"]
        if ctype == 2 and values is not None:
            raise _refuse("buttons take no values")
        if ctype == 3:
            if values is None:
                raise _refuse("a select needs values")
            lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
            if not lo <= len(values) <= hi:
                raise _refuse(f"select {custom_id!r} takes {lo}-{hi} values, got {len(values)}")
            allowed = [o["value"] for o in comp.get("options") or []]
            if any(v not in allowed for v in values) or len(set(values)) != len(values):
                raise _refuse(f"select {custom_id!r} values must be distinct among {allowed}")
            data["values"] = list(values)
        elif ctype != 2:
            raise _refuse(f"component type {ctype} is not modelled (buttons, string selects)")
        context, channel, guild_id = self._message_context(message, user)
        owners = (message.get("interaction_metadata") or {}).get("authorizing_integration_owners")
        payload = self._envelope(
            3,
            data,
            user=user,
            context=context,
            permissions=permissions,
            installs=[int(k) for k in owners] if owners else [0],
            channel=channel,
            guild_id=guild_id,
        )
        payload["message"] = copy.deepcopy(message)
        return payload


def _option_value(spec: JSON, value: Any, resolved: JSON, where: str) -> Any:
    """``value`` as the client sends it for option ``spec``; refuses what it would not send."""
    otype = spec["type"]
    if otype == 3:
        if not isinstance(value, str):
            raise _refuse(f"{where} takes a string, got {value!r}")
        lo, hi = spec.get("min_length", 1) or 1, spec.get("max_length", 6000)
        if not lo <= len(value) <= hi:
            raise _refuse(f"{where} must be {lo}-{hi} characters, got {len(value)}")
    elif otype in (4, 10):
        integer = otype == 4
        if isinstance(value, bool) or not isinstance(value, int if integer else int | float):
            raise _refuse(f"{where} takes {'an integer' if integer else 'a number'}, got {value!r}")
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if lo is not None and value < lo:
            raise _refuse(f"{where} must be >= {lo}, got {value!r}")
        if hi is not None and value > hi:
            raise _refuse(f"{where} must be <= {hi}, got {value!r}")
        if integer and not -_MAX_SAFE_INT < value < _MAX_SAFE_INT:
            raise _refuse(f"{where} is outside Discord's integer range")
    elif otype == 5:
        if not isinstance(value, bool):
            raise _refuse(f"{where} takes a boolean, got {value!r}")
    elif otype == 8:
        if not isinstance(value, Mapping) or "id" not in value or "permissions" not in value:
            raise _refuse(f"{where} takes a role dict with 'id' and 'permissions'")
        role = {"name": "role", "color": 0, "hoist": False, "position": 1, "managed": False}
        role = {**role, "mentionable": True, "flags": 0, **value}
        resolved.setdefault("roles", {})[str(role["id"])] = role
        return str(role["id"])
    elif otype == 7:
        if not isinstance(value, Mapping) or "id" not in value:
            raise _refuse(f"{where} takes a channel dict with an 'id'")
        types = spec.get("channel_types")
        if types and value.get("type") not in types:
            raise _refuse(f"{where} only takes channel types {types}")
        channel = {"type": 0, "permissions": "0", **value}
        resolved.setdefault("channels", {})[str(channel["id"])] = channel
        return str(channel["id"])
    else:
        raise _refuse(f"{where}: option type {otype} is not modelled by the harness")
    choices = [c["value"] for c in spec.get("choices") or []]
    if choices and value not in choices:
        raise _refuse(f"{where} must be one of {choices}, got {value!r}")
    return value


def state_from_payload(payload: JSON) -> InteractionState:
    """What the stand-in needs to know about an interaction payload (forged ones too)."""
    data = payload.get("data") or {}
    user = payload.get("user") or (payload.get("member") or {}).get("user") or {}
    focused_type = None
    stack = list(data.get("options") or [])
    while stack:
        opt = stack.pop()
        stack.extend(opt.get("options") or [])
        if opt.get("focused"):
            focused_type = int(opt["type"])
    message = payload.get("message")
    channel = payload.get("channel")
    return InteractionState(
        id=int(payload["id"]),
        token=payload["token"],
        type=int(payload["type"]),
        channel_id=int(channel["id"]) if channel else None,
        guild_id=int(payload["guild_id"]) if payload.get("guild_id") else None,
        user=user,
        command_name=data.get("name") if payload["type"] in (2, 4) else None,
        message_id=int(message["id"]) if message else None,
        focused_type=focused_type,
        authorizing_integration_owners=dict(payload.get("authorizing_integration_owners") or {}),
    )


# ---- Results -------------------------------------------------------------------------------------


@dataclass
class InteractionResult:
    """What the bot did with one interaction. Message views are live ("as edited")."""

    harness: Harness = field(repr=False)
    payload: JSON = field(repr=False)
    state: InteractionState
    requests: list[RecordedRequest] = field(repr=False)
    errors: list[str]

    @property
    def callback_type(self) -> int | None:
        return self.state.callback_type

    @property
    def acknowledged(self) -> bool:
        return self.state.callback_type is not None

    @property
    def callback_data(self) -> JSON:
        return (self.state.callback or {}).get("data") or {}

    @property
    def message_id(self) -> int | None:
        return self.state.original_message_id

    @property
    def message(self) -> JSON | None:
        """The original response (or the component's message after type 6/7), as edited."""
        mid = self.state.original_message_id
        return None if mid is None else self.harness.standin.messages.get(mid)

    @property
    def versions(self) -> list[JSON]:
        """Every version of the original message, first (as created) to last."""
        mid = self.state.original_message_id
        return [] if mid is None else list(self.harness.standin.message_history.get(mid, []))

    @property
    def content(self) -> str:
        return str((self.message or {}).get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list((self.message or {}).get("embeds") or [])

    def embed(self, index: int = 0) -> JSON:
        embeds = self.embeds
        if index >= len(embeds):
            raise AssertionError(f"no embed #{index}; message has {len(embeds)} embed(s)")
        return embeds[index]

    @property
    def components(self) -> list[JSON]:
        return list((self.message or {}).get("components") or [])

    @property
    def attachments(self) -> list[JSON]:
        return list((self.message or {}).get("attachments") or [])

    @property
    def files(self) -> list[RecordedFile]:
        """The uploaded files behind :attr:`attachments` (bytes, filename, content type)."""
        return self.harness.standin.files(self.message or {})

    @property
    def flags(self) -> int:
        return int((self.message or {}).get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> JSON:
        for comp in walk_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        raise AssertionError(f"no component {custom_id!r}; have {self.custom_ids()}")

    @property
    def followups(self) -> list[JSON]:
        messages = self.harness.standin.messages
        return [messages[mid] for mid in self.state.followup_ids if mid in messages]

    @property
    def choices(self) -> list[JSON] | None:
        return self.state.choices

    @property
    def rejected(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route is not None and r.status >= 400]

    @property
    def unexpected(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.route is None]

    def text(self) -> str:
        """Content plus all embed text, handy for substring assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for fld in embed.get("fields") or []:
                parts += [fld.get("name") or "", fld.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)


# ---- The driver ----------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _format_record(record: logging.LogRecord) -> str:
    text = f"[{record.name}] {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(record.exc_info[1]))
    return text


_SERVER_DIRS = (str(Path(aiohttp.__file__).parent), str(Path(aiohappyeyeballs.__file__).parent))


def _is_server_task(task: asyncio.Task[Any]) -> bool:
    """The stand-in's server or aiohttp's connection internals."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_SERVER_DIRS)


def is_background_task(task: asyncio.Task[Any]) -> bool:
    """Tasks the harness does not wait for: server internals, view timeouts and
    ``discord.ext.tasks`` loops (which run for as long as the bot)."""
    qualname = str(getattr(task.get_coro(), "__qualname__", ""))
    return (
        _is_server_task(task)
        or qualname.endswith("__timeout_task_impl")
        or qualname == "Loop._loop"
    )


def _describe_tasks(tasks: Sequence[asyncio.Task[Any]]) -> str:
    out = io.StringIO()
    for task in tasks:
        out.write(f"- {task.get_name()}: {getattr(task.get_coro(), '__qualname__', '?')}\n")
        task.print_stack(limit=4, file=out)
    return out.getvalue()


class Harness:
    """Runs ``bot`` against a :class:`StandIn`. Use as ``async with Harness(bot) as h:``."""

    def __init__(
        self,
        bot: discord.Client,
        *,
        standin: StandIn | None = None,
        world: World | None = None,
        sync: bool = False,
        timeout: float = 5.0,
        capture_loggers: Sequence[str] = ("discord",),
    ) -> None:
        self.bot = bot
        self.capture_loggers = tuple(capture_loggers)
        self.standin = standin or StandIn()
        self.world = world or World()
        self.sync_on_start = sync
        self.timeout = timeout
        self.builder = InteractionBuilder(world=self.world, standin=self.standin, tree=None)
        self._owns_standin = False  # True when this harness started the stand-in
        self._capture = _Capture()
        self._loop_errors: list[str] = []
        self._start_tasks: set[asyncio.Task[Any]] = set()
        self._prev_base: str | None = None
        self._prev_handler: Any = None
        self._started = False

    def successor(self, bot: discord.Client) -> Harness:
        """A harness for a restarted bot: same stand-in (messages, commands) and world."""
        return Harness(
            bot,
            standin=self.standin,
            world=self.world,
            timeout=self.timeout,
            capture_loggers=self.capture_loggers,
        )

    @property
    def tree(self) -> app_commands.CommandTree[Any] | None:
        """The bot's command tree (``commands.Bot.tree``, or one attached to a Client)."""
        return getattr(self.bot._connection, "_command_tree", None)

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Harness:
        if self._started:
            return self
        self._started = True
        loop = asyncio.get_running_loop()
        self._start_tasks = set(asyncio.all_tasks())
        if not self.standin.started:
            await self.standin.start()
            self._owns_standin = True
        self._prev_base = discord.http.Route.BASE
        discord.http.Route.BASE = self.standin.base_url
        for name in self.capture_loggers:
            logging.getLogger(name).addHandler(self._capture)
        self._prev_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._on_loop_error)
        self.standin.add_channel(self.world.guild_channel())
        try:
            await asyncio.wait_for(self.bot.login("fake-token"), self.timeout)
            self.builder.tree = self.tree
            baseline = set(asyncio.all_tasks())
            guild = self.world.guild_create(self.standin.bot_user)
            self.bot._connection.parsers["GUILD_CREATE"](guild)
            await self.wait_idle(baseline)
            if self.sync_on_start:
                await self.sync()
        except BaseException:
            await self.close(check=False)
            raise
        return self

    async def close(self, *, check: bool = True) -> None:
        """Close the bot, cancel what it left running; fail if it called unknown routes."""
        if not self._started:
            return
        self._started = False
        try:
            if not self.bot.is_closed():
                await self.bot.close()
        finally:
            me = asyncio.current_task()
            leftovers = [
                t
                for t in asyncio.all_tasks()
                if t is not me
                and t not in self._start_tasks
                and not t.done()
                and not _is_server_task(t)
            ]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
            for name in self.capture_loggers:
                logging.getLogger(name).removeHandler(self._capture)
            asyncio.get_running_loop().set_exception_handler(self._prev_handler)
            if self._prev_base is not None:
                discord.http.Route.BASE = self._prev_base
            if self._owns_standin:
                await self.standin.close()
        if check and self.standin.unexpected:
            raise HarnessError(
                "the bot called routes the stand-in does not implement: "
                + ", ".join(str(r) for r in self.standin.unexpected)
            )

    async def __aenter__(self) -> Harness:
        return await self.start()

    async def __aexit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        await self.close(check=exc_type is None)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        text = str(context.get("message"))
        if isinstance(exc, BaseException):
            text += "\n" + "".join(traceback.format_exception(exc))
        self._loop_errors.append(text)

    # ---- commands ------------------------------------------------------------------------

    async def sync(self) -> list[JSON]:
        """``await tree.sync()``; returns the body of the global bulk-overwrite PUT."""
        if self.tree is None:
            raise HarnessError("the bot has no CommandTree to sync")
        await self.tree.sync()
        return self.synced_payload()

    def synced_payload(self, guild_id: int | None = None) -> list[JSON]:
        """The last bulk-overwrite body ``tree.sync()`` PUT for a scope."""
        for scope, body in reversed(self.standin.command_puts):
            if scope == guild_id:
                return body
        raise HarnessError(f"no commands were synced for scope {guild_id}")

    # ---- feeding -------------------------------------------------------------------------

    async def dispatch(self, event: str, data: JSON) -> None:
        """Feed any raw gateway dispatch through discord.py's parser and wait for handlers."""
        baseline = set(asyncio.all_tasks())
        self.bot._connection.parsers[event](copy.deepcopy(data))
        await self.wait_idle(baseline)

    async def feed(self, payload: JSON, *, check: bool = True) -> InteractionResult:
        """Feed a raw ``INTERACTION_CREATE`` payload and wait until the bot is done with it.

        Any payload goes, forged ones too. With ``check`` raise :class:`HarnessError` if
        discord.py or the bot logged an error, a task raised, an unknown route was called,
        or the interaction was never acknowledged ("This interaction failed").
        """
        if not self._started:
            raise HarnessError("the harness is not started")
        state = state_from_payload(payload)
        self.standin.register_interaction(state)
        first_request = len(self.standin.requests)
        first_record = len(self._capture.records)
        first_loop_error = len(self._loop_errors)
        first_internal = len(self.standin.internal_errors)
        baseline = set(asyncio.all_tasks())
        self.bot._connection.parsers["INTERACTION_CREATE"](copy.deepcopy(payload))
        task_errors = await self.wait_idle(baseline)
        errors = [_format_record(r) for r in self._capture.records[first_record:]]
        errors += self._loop_errors[first_loop_error:]
        errors += self.standin.internal_errors[first_internal:]
        errors += task_errors
        requests = self.standin.requests[first_request:]
        result = InteractionResult(self, payload, state, requests, errors)
        if check:
            problems = list(errors)
            if result.unexpected:
                problems.append("unknown routes called: " + ", ".join(map(str, result.unexpected)))
            if not result.acknowledged:
                problems.append(
                    "the interaction was never acknowledged"
                    " (Discord would show 'This interaction failed')"
                )
            if problems:
                data = payload.get("data") or {}
                what = data.get("name") or data.get("custom_id") or ""
                raise HarnessError(
                    f"interaction {payload['type']} {what}:\n" + "\n---\n".join(problems)
                )
        return result

    async def wait_idle(self, baseline: set[asyncio.Task[Any]]) -> list[str]:
        """Wait until every task created after ``baseline`` is done, except background tasks.

        Returns the exceptions those tasks raised, formatted; fails with
        :class:`HarnessError` after ``timeout`` seconds, listing what still runs.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        me = asyncio.current_task()
        seen: set[asyncio.Task[Any]] = set()
        quiet = 0
        while quiet <= 3:  # a few idle loop turns: callbacks may still schedule tasks
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not me and t not in baseline and not t.done() and not is_background_task(t)
            ]
            seen.update(pending)
            if not pending:
                quiet += 1
                await asyncio.sleep(0)
                continue
            quiet = 0
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HarnessError(
                    f"bot still busy after {self.timeout}s:\n" + _describe_tasks(pending)
                )
            await asyncio.wait(pending, timeout=remaining)
        return [
            f"task {t.get_name()} raised:\n" + "".join(traceback.format_exception(exc))
            for t in seen
            if t.done() and not t.cancelled() and (exc := t.exception()) is not None
        ]

    # ---- high level ----------------------------------------------------------------------

    async def command(
        self,
        qualified_name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Invoke ``/qualified name`` (e.g. ``"project set"``) with ``options``."""
        payload = self.builder.slash(
            qualified_name,
            options,
            user=user,
            context=context,
            permissions=permissions,
        )
        return await self.feed(payload, check=check)

    async def autocomplete(
        self,
        qualified_name: str,
        focused: str,
        value: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Type ``value`` into option ``focused``; ``result.choices`` holds the suggestions."""
        payload = self.builder.slash(
            qualified_name,
            {**(options or {}), focused: value},
            user=user,
            context=context,
            permissions=permissions,
            focused=focused,
        )
        return await self.feed(payload, check=check)

    def _message(self, target: InteractionResult | JSON | int) -> JSON:
        if isinstance(target, InteractionResult):
            if target.message is None:
                raise UnsendableInteraction("that interaction has no message")
            return target.message
        mid = int(target) if isinstance(target, int) else int(target["id"])
        if mid not in self.standin.messages:
            raise UnsendableInteraction(f"message {mid} does not exist")
        return self.standin.messages[mid]

    async def click(
        self,
        target: InteractionResult | JSON | int,
        custom_id: str,
        *,
        user: FakeUser | None = None,
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Click button ``custom_id`` on a message (a result, message dict or message id),
        as the message is now (re-read from the stand-in)."""
        message = self._message(target)
        payload = self.builder.component(message, custom_id, user=user, permissions=permissions)
        return await self.feed(payload, check=check)

    async def select(
        self,
        target: InteractionResult | JSON | int,
        custom_id: str,
        values: Sequence[str],
        *,
        user: FakeUser | None = None,
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Pick ``values`` in string select ``custom_id`` on a message."""
        message = self._message(target)
        payload = self.builder.component(
            message, custom_id, values=values, user=user, permissions=permissions
        )
        return await self.feed(payload, check=check)
