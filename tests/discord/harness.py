"""End-to-end harness: drive a real discord.py bot against the local :mod:`standin` API.

Nothing in discord.py is mocked or patched. The harness

* starts a :class:`~standin.StandIn` and points ``discord.http.Route.BASE`` at it (restored on
  close),
* calls ``await bot.login(...)`` so login (``GET /users/@me`` + ``GET
  /oauth2/applications/@me``) and the bot's real ``setup_hook`` run,
* optionally runs ``await bot.tree.sync()`` so the stand-in holds the registered schema,
* feeds a ``GUILD_CREATE`` (and optionally ``READY``) through discord.py's own gateway parsers,
* feeds ``INTERACTION_CREATE`` payloads built like Discord's client would build them through
  ``bot._connection.parsers["INTERACTION_CREATE"]`` and waits until every task discord.py
  spawned for it (command-tree invoker, view/dynamic-item/modal dispatch, event listeners)
  has finished,
* returns an :class:`InteractionResult` describing what the bot answered.

Usage::

    async with Harness(MyBot(), sync=True) as h:
        res = await h.command("roll", {"sides": 6})
        assert res.callback_type == 4 and not res.ephemeral
        assert res.embed()["title"] == "Roll"
        clicked = await h.click(res, "reroll")
        assert clicked.callback_type == 7
        assert "rolled" in clicked.message["embeds"][0]["description"]
"""

from __future__ import annotations

import asyncio
import copy
import io
import logging
import secrets
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
import discord
import discord.http
from discord import app_commands

from tests.discord.standin import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    InteractionState,
    RecordedRequest,
    StandIn,
    check_command_schema,
    snowflake,
    user_payload,
    walk_components,
)

__all__ = [
    "DEFAULT_APP_PERMISSIONS",
    "DEFAULT_MEMBER_PERMISSIONS",
    "Context",
    "FakeAttachment",
    "FakeUser",
    "Harness",
    "HarnessError",
    "InteractionBuilder",
    "InteractionResult",
    "UnsendableInteraction",
    "World",
    "check_command_schema",
    "is_background_task",
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
_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_MAX_SAFE_INT = 2**53


class UnsendableInteraction(ValueError):
    """Discord's client would never send this interaction (the builder refused it)."""


class HarnessError(AssertionError):
    """The bot misbehaved (logged errors, unacknowledged interaction, unknown routes, hang)."""


# --------------------------------------------------------------------------------------------
# The simulated world
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class FakeAttachment:
    """A file a user attached to an attachment option."""

    filename: str
    size: int = 1024
    content_type: str | None = "text/plain"
    id: int = field(default_factory=snowflake)

    def payload(self) -> JSON:
        url = f"https://cdn.invalid/attachments/{self.id}/{self.filename}"
        data: JSON = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": url,
            "proxy_url": url,
            "ephemeral": True,
        }
        if self.content_type:
            data["content_type"] = self.content_type
        return data


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
    # user id -> the DM between that user and a friend (where user-installed apps are used);
    # DMs with the bot itself live in the stand-in (``StandIn.dm_channel``).
    private_channels: dict[int, JSON] = field(default_factory=dict)
    # The guild's roles besides @everyone and the bot's own (role payloads), sent in
    # GUILD_CREATE: a member's roles mean something to discord.py only if the guild has them.
    roles: list[JSON] = field(default_factory=list)

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
            "permissions": str(self.member_permissions if permissions is None else permissions),
        }

    def private_channel(self, user: FakeUser) -> JSON:
        """The DM between ``user`` and a friend (context ``private_channel``)."""
        channel = self.private_channels.get(user.id)
        if channel is None:
            channel = {
                "id": str(snowflake()),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [FakeUser.new("friend").payload()],
            }
            self.private_channels[user.id] = channel
        return channel

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
            "permissions": str(self.member_permissions if permissions is None else permissions),
        }

    def guild_create(self, bot_user: JSON) -> JSON:
        """A ``GUILD_CREATE`` dispatch payload with the channel, the bot and the user."""
        role = {
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
            **role,
            "id": str(self.bot_role_id),
            "name": bot_user["username"],
            "position": 1,
            "permissions": str(self.app_permissions),
            "managed": True,
            "tags": {"bot_id": bot_user["id"]},
        }
        bot_member = {**self.member(self.user), "user": bot_user, "roles": [str(self.bot_role_id)]}
        bot_member.pop("permissions")
        user_member = self.member(self.user)
        user_member.pop("permissions")
        channel = self.guild_channel()
        channel.pop("permissions")
        channel.pop("guild_id")
        return {
            "id": str(self.guild_id),
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner.id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 2,
            "roles": [role, bot_role, *self.roles],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": str(self.channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2024-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            # member_count == len(members) marks the guild as chunked: no chunk request.
            "member_count": 2,
            "members": [bot_member, user_member],
            "channels": [channel],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


# --------------------------------------------------------------------------------------------
# Building INTERACTION_CREATE payloads like Discord's client does
# --------------------------------------------------------------------------------------------


def _refuse(message: str) -> UnsendableInteraction:
    return UnsendableInteraction(f"Discord's client would not send this: {message}")


class InteractionBuilder:
    """Builds raw ``INTERACTION_CREATE`` data and refuses input the client would never send.

    Command schemas come from the stand-in's registrations when commands were synced
    (that is what Discord's client validates against), otherwise from the bot's tree.
    """

    def __init__(
        self,
        *,
        world: World,
        standin: StandIn,
        tree: app_commands.CommandTree[Any] | None,
    ) -> None:
        self.world = world
        self.standin = standin
        self.tree = tree
        self._fake_ids: dict[tuple[int | None, int, str], int] = {}

    # ---- schema lookup --------------------------------------------------------------------

    def schema(
        self, name: str, *, guild_id: int | None, type: int = 1
    ) -> tuple[JSON, int, int | None]:
        """Return ``(command json, command id, guild id if guild-scoped)`` or refuse."""
        if self.standin.synced:
            found = self.standin.registered_command(name, guild_id=guild_id, type=type)
            if found is None:
                raise _refuse(f"command {name!r} (type {type}) is not registered with Discord")
            found_scope = int(found["guild_id"]) if found.get("guild_id") else None
            return found, int(found["id"]), found_scope
        if self.tree is None:
            raise _refuse(f"the bot has no command tree, so {name!r} cannot exist")
        ctype = discord.AppCommandType(type)
        command: Any = None
        scope: int | None = None
        if guild_id is not None:
            command = self.tree.get_command(name, guild=discord.Object(guild_id), type=ctype)
            scope = guild_id if command is not None else None
        if command is None:
            command = self.tree.get_command(name, type=ctype)
        if command is None:
            raise _refuse(f"unknown command {name!r} (type {type})")
        schema: JSON = command.to_dict(self.tree)
        key = (scope, type, name)
        if key not in self._fake_ids:
            self._fake_ids[key] = snowflake()
        return schema, self._fake_ids[key], scope

    # ---- common envelope ------------------------------------------------------------------

    def _envelope(
        self,
        itype: int,
        data: JSON,
        *,
        user: FakeUser,
        context: Context,
        permissions: int | None,
        locale: str | None,
        installs: Sequence[int] = (0,),
        channel: JSON | None = None,
        guild_id: int | None = None,
    ) -> JSON:
        world = self.world
        ctx = _CONTEXT_VALUE[context]
        payload: JSON = {
            "id": str(snowflake()),
            "application_id": str(self.standin.application_id),
            "type": itype,
            "data": data,
            "token": "aW50ZXJhY3Rpb24." + secrets.token_urlsafe(32),
            "version": 1,
            "locale": locale or world.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": _ATTACHMENT_SIZE_LIMIT,
            "app_permissions": str(world.app_permissions),
            "context": ctx,
        }
        owners: dict[str, str] = {}
        if context == "guild":
            gid = guild_id or world.guild_id
            if 0 in installs:
                owners["0"] = str(gid)
            if 1 in installs or not owners:
                owners["1"] = str(user.id)
            chan = channel or world.guild_channel(permissions)
            chan = {**chan, "permissions": str(_perms(world, permissions))}
            payload.update(
                guild_id=str(gid),
                guild={"id": str(gid), "locale": world.locale, "features": []},
                guild_locale=world.locale,
                member=world.member(user, permissions),
                channel=chan,
                channel_id=chan["id"],
            )
        else:
            if context == "bot_dm" and 0 in installs:
                owners["0"] = "0"
            if 1 in installs or not owners:
                owners["1"] = str(user.id)
            chan = channel or self.dm_channel(user, context)
            payload.update(user=user.payload(), channel=chan, channel_id=chan["id"])
        payload["authorizing_integration_owners"] = owners
        return payload

    def dm_channel(self, user: FakeUser, context: Context = "bot_dm") -> JSON:
        """The user's DM with the bot (``bot_dm``) or with a friend (``private_channel``)."""
        if context == "bot_dm":
            return self.standin.dm_channel(user.payload())
        channel = self.world.private_channel(user)
        self.standin.add_channel(channel)
        return channel

    # ---- application commands -------------------------------------------------------------

    def _check_availability(
        self,
        schema: JSON,
        scope: int | None,
        context: Context,
        permissions: int | None,
    ) -> list[int]:
        name = schema.get("name")
        installs = list(schema.get("integration_types") or [0])
        contexts = schema.get("contexts")
        ctx = _CONTEXT_VALUE[context]
        if context != "guild" and scope is not None:
            raise _refuse(f"{name!r} is a guild command and cannot be used in DMs")
        if contexts is not None and ctx not in contexts:
            raise _refuse(f"{name!r} is not allowed in context {context} (contexts={contexts})")
        if contexts is None and context == "bot_dm" and schema.get("dm_permission") is False:
            raise _refuse(f"{name!r} has dm_permission=false")
        if context == "private_channel" and 1 not in installs:
            raise _refuse(f"{name!r} is not user-installable (integration_types={installs})")
        required = schema.get("default_member_permissions")
        if context == "guild" and required is not None and 0 in installs:
            perms = _perms(self.world, permissions)
            needed = int(required)
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
        locale: str | None = None,
        focused: str | None = None,
    ) -> JSON:
        """A chat-input command (type 2) or, with ``focused``, an autocomplete (type 4)."""
        parts = qualified_name.split()
        if not parts:
            raise _refuse("empty command name")
        guild_id = self.world.guild_id if context == "guild" else None
        schema, command_id, scope = self.schema(parts[0], guild_id=guild_id, type=1)
        installs = self._check_availability(schema, scope, context, permissions)
        resolved: JSON = {}
        leaf_options = self._leaf_options(
            schema, parts, dict(options or {}), resolved, context, focused
        )
        data: JSON = {
            "id": str(command_id),
            "name": parts[0],
            "type": 1,
            "options": leaf_options,
        }
        if resolved:
            data["resolved"] = resolved
        if scope is not None:
            data["guild_id"] = str(scope)
        itype = 4 if focused is not None else 2
        return self._envelope(
            itype,
            data,
            user=user or self.world.user,
            context=context,
            permissions=permissions,
            locale=locale,
            installs=installs,
        )

    def _leaf_options(
        self,
        schema: JSON,
        parts: list[str],
        given: dict[str, Any],
        resolved: JSON,
        context: Context,
        focused: str | None,
    ) -> list[JSON]:
        level: list[JSON] = list(schema.get("options") or [])
        path = parts[0]
        wrappers: list[JSON] = []
        for part in parts[1:]:
            sub = next(
                (o for o in level if o.get("type") in (1, 2) and o.get("name") == part), None
            )
            if sub is None:
                raise _refuse(f"{path!r} has no subcommand or group {part!r}")
            path = f"{path} {part}"
            wrappers.append({"name": part, "type": sub["type"]})
            level = list(sub.get("options") or [])
        if any(o.get("type") in (1, 2) for o in level):
            names = [o["name"] for o in level]
            raise _refuse(f"{path!r} cannot be invoked directly; pick one of {names}")
        by_name = {o["name"]: o for o in level}
        if focused is not None:
            spec = by_name.get(focused)
            if spec is None:
                raise _refuse(f"{path!r} has no option {focused!r} to autocomplete")
            if not spec.get("autocomplete"):
                raise _refuse(f"option {focused!r} of {path!r} has no autocomplete")
            if focused not in given:
                given[focused] = ""
        for name in given:
            if name not in by_name:
                raise _refuse(f"{path!r} has no option {name!r} (options: {list(by_name)})")
        if focused is None:
            missing = [o["name"] for o in level if o.get("required") and o["name"] not in given]
            if missing:
                raise _refuse(f"{path!r} is missing required option(s) {missing}")
        built: list[JSON] = []
        for name, value in given.items():
            spec = by_name[name]
            if name == focused:
                if not isinstance(value, str):
                    raise _refuse("the focused autocomplete value is the text typed so far (str)")
                built.append({"name": name, "type": spec["type"], "value": value, "focused": True})
                continue
            wire = self._option_value(spec, value, resolved, context, path)
            built.append({"name": name, "type": spec["type"], "value": wire})
        # Nest inside subcommand / group wrappers, innermost first.
        result = built
        for wrapper in reversed(wrappers):
            result = [{**wrapper, "options": result}]
        return result

    def _option_value(
        self, spec: JSON, value: Any, resolved: JSON, context: Context, path: str
    ) -> Any:
        name, otype = spec["name"], spec["type"]
        where = f"option {name!r} of {path!r}"
        choices = spec.get("choices")
        if otype == 3:
            if not isinstance(value, str):
                raise _refuse(f"{where} takes a string, got {value!r}")
            lo, hi = spec.get("min_length", 1) or 1, spec.get("max_length", 6000)
            if not lo <= len(value) <= hi:
                raise _refuse(f"{where} must be {lo}-{hi} characters, got {len(value)}")
        elif otype == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _refuse(f"{where} takes an integer, got {value!r}")
            _check_range(spec, value, where, integer=True)
        elif otype == 10:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _refuse(f"{where} takes a number, got {value!r}")
            _check_range(spec, value, where, integer=False)
        elif otype == 5:
            if not isinstance(value, bool):
                raise _refuse(f"{where} takes a boolean, got {value!r}")
        elif otype in (6, 9) and isinstance(value, FakeUser):
            resolved.setdefault("users", {})[str(value.id)] = value.payload()
            if context == "guild":
                member = self.world.member(value)
                member.pop("user")
                resolved.setdefault("members", {})[str(value.id)] = member
            return str(value.id)
        elif otype in (8, 9) and isinstance(value, Mapping) and "permissions" in value:
            role = {
                "name": "role",
                "color": 0,
                "hoist": False,
                "position": 1,
                "managed": False,
                "mentionable": True,
                "flags": 0,
                **value,
            }
            resolved.setdefault("roles", {})[str(role["id"])] = role
            return str(role["id"])
        elif otype == 7 and isinstance(value, Mapping):
            channel = {"permissions": str(self.world.member_permissions), **value}
            types = spec.get("channel_types")
            if types and channel.get("type") not in types:
                raise _refuse(f"{where} only accepts channel types {types}")
            resolved.setdefault("channels", {})[str(channel["id"])] = channel
            return str(channel["id"])
        elif otype == 11 and isinstance(value, FakeAttachment):
            resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
            return str(value.id)
        else:
            kinds = {6: "FakeUser", 7: "channel dict", 8: "role dict", 9: "FakeUser/role dict"}
            raise _refuse(f"{where} (type {otype}) needs a {kinds.get(otype, 'FakeAttachment')}")
        if choices and value not in [c["value"] for c in choices]:
            raise _refuse(f"{where} must be one of {[c['value'] for c in choices]}, got {value!r}")
        return value

    def context_menu(
        self,
        name: str,
        target: FakeUser | JSON,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        locale: str | None = None,
    ) -> JSON:
        """A user (target is a FakeUser) or message (target is a message dict) command."""
        ctype = 2 if isinstance(target, FakeUser) else 3
        guild_id = self.world.guild_id if context == "guild" else None
        schema, command_id, scope = self.schema(name, guild_id=guild_id, type=ctype)
        installs = self._check_availability(schema, scope, context, permissions)
        resolved: JSON
        if isinstance(target, FakeUser):
            target_id = str(target.id)
            resolved = {"users": {target_id: target.payload()}}
            if context == "guild":
                member = self.world.member(target)
                member.pop("user")
                resolved["members"] = {target_id: member}
        else:
            target_id = str(target["id"])
            resolved = {"messages": {target_id: copy.deepcopy(dict(target))}}
        data: JSON = {
            "id": str(command_id),
            "name": name,
            "type": ctype,
            "target_id": target_id,
            "resolved": resolved,
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        return self._envelope(
            2,
            data,
            user=user or self.world.user,
            context=context,
            permissions=permissions,
            locale=locale,
            installs=installs,
        )

    # ---- components and modals ------------------------------------------------------------

    def _message_context(self, message: JSON, user: FakeUser) -> tuple[Context, JSON, int | None]:
        """Where a stored message lives: (context, channel payload, guild id)."""
        mid = int(message["id"])
        meta = self.standin.message_meta.get(mid)
        channel_id = int(message["channel_id"])
        if meta is not None and meta.ephemeral_user_id not in (None, user.id):
            raise _refuse("the message is ephemeral and only visible to another user")
        channel = self.standin.channels.get(channel_id)
        if meta is not None and meta.guild_id is not None:
            if channel is None or channel_id == self.world.channel_id:
                channel = self.world.guild_channel()
            return "guild", channel, meta.guild_id
        if channel is None or channel.get("type") not in (1, 3):
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
        values: Sequence[Any] | None = None,
        user: FakeUser | None = None,
        permissions: int | None = None,
        locale: str | None = None,
    ) -> JSON:
        """A button click (``values`` None) or a select (``values`` given) on ``message``."""
        user = user or self.world.user
        comp = next(
            (
                c
                for c in walk_components(message.get("components"))
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if comp is None:
            ids = [c.get("custom_id") for c in walk_components(message.get("components"))]
            raise _refuse(f"message has no component {custom_id!r} (has {ids})")
        if comp.get("disabled"):
            raise _refuse(f"component {custom_id!r} is disabled")
        ctype = int(comp["type"])
        data: JSON = {"custom_id": custom_id, "component_type": ctype}
        if isinstance(comp.get("id"), int):
            data["id"] = comp["id"]
        context, channel, guild_id = self._message_context(message, user)
        if ctype == 2:
            if values is not None:
                raise _refuse("buttons take no values")
            if comp.get("style") in (5, 6):
                raise _refuse("link/premium buttons do not create interactions")
        elif ctype in (3, 5, 6, 7, 8):
            if values is None:
                raise _refuse("a select needs values")
            lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
            if not lo <= len(values) <= hi:
                raise _refuse(f"select {custom_id!r} takes {lo}-{hi} values, got {len(values)}")
            if ctype == 3:
                allowed = [o["value"] for o in comp.get("options") or []]
                bad = [v for v in values if v not in allowed]
                if bad or len(set(values)) != len(values):
                    raise _refuse(f"select {custom_id!r} values must be distinct among {allowed}")
                data["values"] = list(values)
            else:
                resolved: JSON = {}
                wire = []
                kind = {5: 6, 6: 8, 7: 9, 8: 7}[ctype]
                spec = {"name": custom_id, "type": kind}
                if ctype == 8 and comp.get("channel_types"):
                    spec["channel_types"] = comp["channel_types"]
                for value in values:
                    wire.append(self._option_value(spec, value, resolved, context, "select"))
                data["values"] = wire
                data["resolved"] = resolved
        else:
            raise _refuse(f"component type {ctype} is not interactive")
        payload = self._envelope(
            3,
            data,
            user=user,
            context=context,
            permissions=permissions,
            locale=locale,
            installs=_installs_from(message),
            channel=channel,
            guild_id=guild_id,
        )
        payload["message"] = copy.deepcopy(message)
        return payload

    def modal_submit(
        self,
        modal: JSON,
        values: Mapping[str, Any],
        *,
        origin: JSON,
        user: FakeUser | None = None,
        permissions: int | None = None,
        locale: str | None = None,
    ) -> JSON:
        """A modal submit (type 5) for the modal the bot sent in answer to the interaction
        payload ``origin``."""
        user = user or self.world.user
        remaining = dict(values)
        submitted: list[JSON] = []
        for comp in modal.get("components") or []:
            if comp.get("type") == 1:
                children = [self._submit_field(c, remaining) for c in comp.get("components") or []]
                submitted.append({"type": 1, "components": [c for c in children if c]})
            elif comp.get("type") == 18:
                child = self._submit_field(comp.get("component") or {}, remaining)
                if child:
                    submitted.append({"type": 18, "component": child})
        if remaining:
            raise _refuse(f"the modal has no input(s) {sorted(remaining)}")
        data: JSON = {"custom_id": modal["custom_id"], "components": submitted}
        origin_message = origin.get("message")
        message = self.standin.messages.get(int(origin_message["id"])) if origin_message else None
        names = {v: k for k, v in _CONTEXT_VALUE.items()}
        context: Context = names[int(origin.get("context", 0))]  # type: ignore[assignment]
        channel: JSON = origin["channel"]
        guild_id = int(origin["guild_id"]) if origin.get("guild_id") else None
        if message is not None:
            context, channel, guild_id = self._message_context(message, user)
        owners = origin.get("authorizing_integration_owners") or {}
        payload = self._envelope(
            5,
            data,
            user=user,
            context=context,
            permissions=permissions,
            locale=locale,
            installs=[int(k) for k in owners] or [0],
            channel=channel,
            guild_id=guild_id,
        )
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    @staticmethod
    def _submit_field(comp: JSON, remaining: dict[str, Any]) -> JSON | None:
        cid = comp.get("custom_id")
        if cid is None:
            return None
        ctype = comp.get("type")
        if ctype == 4:
            value = remaining.pop(cid, comp.get("value") or "")
            if not isinstance(value, str):
                raise _refuse(f"text input {cid!r} takes a string")
            required = comp.get("required", True)
            if required and not value:
                raise _refuse(f"text input {cid!r} is required")
            lo, hi = comp.get("min_length", 0) or 0, comp.get("max_length", 4000) or 4000
            if value and not lo <= len(value) <= hi:
                raise _refuse(f"text input {cid!r} must be {lo}-{hi} characters")
            out: JSON = {"type": 4, "custom_id": cid, "value": value}
        elif ctype == 3:
            chosen = remaining.pop(cid, [])
            allowed = [o["value"] for o in comp.get("options") or []]
            if any(v not in allowed for v in chosen):
                raise _refuse(f"select {cid!r} values must be among {allowed}")
            lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
            if comp.get("required", True) and not lo <= len(chosen) <= hi:
                raise _refuse(f"select {cid!r} takes {lo}-{hi} values")
            out = {"type": 3, "custom_id": cid, "values": list(chosen)}
        else:
            return None
        if isinstance(comp.get("id"), int):
            out["id"] = comp["id"]
        return out


def _perms(world: World, permissions: int | None) -> int:
    return world.member_permissions if permissions is None else permissions


def _check_range(spec: JSON, value: float, where: str, *, integer: bool) -> None:
    lo, hi = spec.get("min_value"), spec.get("max_value")
    if lo is not None and value < lo:
        raise _refuse(f"{where} must be >= {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise _refuse(f"{where} must be <= {hi}, got {value!r}")
    if integer and not -_MAX_SAFE_INT < value < _MAX_SAFE_INT:
        raise _refuse(f"{where} is outside Discord's integer range")


def _installs_from(message: JSON) -> list[int]:
    owners = (message.get("interaction_metadata") or {}).get("authorizing_integration_owners")
    return [int(k) for k in owners] if owners else [0]


def state_from_payload(payload: JSON) -> InteractionState:
    """What the stand-in needs to know about an interaction payload."""
    data = payload.get("data") or {}
    user = payload.get("user") or (payload.get("member") or {}).get("user") or {}
    focused_type = None
    if payload["type"] == 4:
        stack = list(data.get("options") or [])
        while stack:
            opt = stack.pop()
            stack.extend(opt.get("options") or [])
            if opt.get("focused"):
                focused_type = int(opt["type"])
    message = payload.get("message")
    return InteractionState(
        id=int(payload["id"]),
        token=payload["token"],
        type=int(payload["type"]),
        channel_id=int(payload["channel"]["id"]) if payload.get("channel") else None,
        guild_id=int(payload["guild_id"]) if payload.get("guild_id") else None,
        user=user,
        command_name=data.get("name") if payload["type"] in (2, 4) else None,
        command_type=int(data.get("type", 1)) if payload["type"] in (2, 4) else None,
        message_id=int(message["id"]) if message else None,
        focused_type=focused_type,
        authorizing_integration_owners=dict(payload.get("authorizing_integration_owners") or {}),
    )


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class InteractionResult:
    """What the bot did with one interaction. Message views are live ("as edited")."""

    harness: Harness = field(repr=False)
    payload: JSON = field(repr=False)
    state: InteractionState
    requests: list[RecordedRequest] = field(repr=False)
    errors: list[str]

    @property
    def id(self) -> int:
        return self.state.id

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
    def deleted(self) -> bool:
        mid = self.state.original_message_id
        return mid is not None and mid in self.harness.standin.deleted_messages

    @property
    def versions(self) -> list[JSON]:
        """Every version of the original message, first (as created) to last."""
        mid = self.state.original_message_id
        return [] if mid is None else list(self.harness.standin.message_history.get(mid, []))

    @property
    def edits(self) -> list[JSON]:
        """Bodies of every PATCH the bot sent for this interaction's webhook messages."""
        return [
            r.json
            for r in self.harness.standin.requests
            if r.method == "PATCH"
            and r.route is not None
            and r.route.startswith("PATCH /webhooks/")
            and f"/{self.state.token}/" in r.path
        ]

    def _msg(self) -> JSON:
        return self.message or {}

    @property
    def content(self) -> str:
        return str(self._msg().get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list(self._msg().get("embeds") or [])

    def embed(self, index: int = 0) -> JSON:
        embeds = self.embeds
        if index >= len(embeds):
            raise AssertionError(f"no embed #{index}; message has {len(embeds)} embed(s)")
        return embeds[index]

    @property
    def components(self) -> list[JSON]:
        return list(self._msg().get("components") or [])

    @property
    def attachments(self) -> list[JSON]:
        return list(self._msg().get("attachments") or [])

    @property
    def flags(self) -> int:
        return int(self._msg().get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> JSON:
        for comp in walk_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        raise AssertionError(f"no component {custom_id!r}; have {self.custom_ids()}")

    @property
    def followups(self) -> list[JSON]:
        store = self.harness.standin
        out = []
        for mid in self.state.followup_ids:
            msg = store.messages.get(mid) or store.deleted_messages.get(mid)
            if msg is not None:
                out.append(msg)
        return out

    @property
    def choices(self) -> list[JSON] | None:
        return self.state.choices

    @property
    def modal(self) -> JSON | None:
        return self.state.modal

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


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


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


_BACKGROUND_DIRS: tuple[str, ...] = (str(Path(aiohttp.__file__).parent),)
try:
    import aiohappyeyeballs

    _BACKGROUND_DIRS += (str(Path(aiohappyeyeballs.__file__).parent),)
except ImportError:  # pragma: no cover
    pass
_DISCORD_DIR = str(Path(discord.__file__).parent)


def is_background_task(task: asyncio.Task[Any]) -> bool:
    """Tasks the harness does not wait for: server/connection internals, view timeouts,
    ``discord.ext.tasks`` loops and delayed deletes (``delete_after=``)."""
    coro = task.get_coro()
    code = getattr(coro, "cr_code", None)
    qualname = str(getattr(coro, "__qualname__", ""))
    filename = code.co_filename if code is not None else ""
    if filename.startswith(_BACKGROUND_DIRS):
        return True
    if qualname.endswith("__timeout_task_impl") or qualname == "Loop._loop":
        return True
    return (
        filename.startswith(_DISCORD_DIR)
        and "<locals>" in qualname
        and qualname.rsplit(".", 1)[-1] in ("inner_call", "delete")
    )


class Harness:
    """Runs ``bot`` against a :class:`StandIn`. Use as ``async with Harness(bot) as h:``."""

    def __init__(
        self,
        bot: discord.Client,
        *,
        standin: StandIn | None = None,
        world: World | None = None,
        sync: bool = False,
        cache_guild: bool = True,
        ready: bool = False,
        timeout: float = 5.0,
        token: str = "fake-token",
        capture_loggers: Sequence[str] = ("discord",),
        strict_routes: bool = True,
        is_background: Callable[[asyncio.Task[Any]], bool] = is_background_task,
    ) -> None:
        self.bot = bot
        self.standin = standin or StandIn()
        self._owns_standin = False  # True when this harness started the stand-in
        self.world = world or World()
        self.sync_on_start = sync
        self.cache_guild = cache_guild
        self.ready = ready
        self.timeout = timeout
        self.token = token
        self.capture_loggers = tuple(capture_loggers)
        self.strict_routes = strict_routes
        self.is_background = is_background
        self.results: list[InteractionResult] = []
        self._capture = _Capture()
        self._prev_base: str | None = None
        self._start_tasks: set[asyncio.Task[Any]] = set()
        self._loop_errors: list[str] = []
        self._prev_handler: Any = None
        self._started = False
        self.builder = InteractionBuilder(world=self.world, standin=self.standin, tree=None)

    # ---- lifecycle -----------------------------------------------------------------------

    def successor(self, bot: discord.Client, **kwargs: Any) -> Harness:
        """A harness for a restarted bot: same stand-in (messages, commands) and world."""
        options: dict[str, Any] = {
            "standin": self.standin,
            "world": self.world,
            "timeout": self.timeout,
            "cache_guild": self.cache_guild,
            "capture_loggers": self.capture_loggers,
            "strict_routes": self.strict_routes,
        }
        options.update(kwargs)
        return Harness(bot, **options)

    @property
    def tree(self) -> app_commands.CommandTree[Any] | None:
        tree = getattr(self.bot, "tree", None)
        if isinstance(tree, app_commands.CommandTree):
            return tree
        return getattr(self.bot._connection, "_command_tree", None)

    @property
    def application_id(self) -> int:
        return self.standin.application_id

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
            await asyncio.wait_for(self.bot.login(self.token), self.timeout)
            self.builder.tree = self.tree
            if self.ready:
                await self._feed_ready()
            elif self.cache_guild:
                await self.dispatch("GUILD_CREATE", self.world.guild_create(self.standin.bot_user))
            if self.sync_on_start:
                await self.sync()
        except BaseException:
            await self.close(check=False)
            raise
        return self

    async def _feed_ready(self) -> None:
        state = self.bot._connection
        # Discord waits for GUILD_CREATEs after READY; keep discord.py's wait short.
        state.guild_ready_timeout = min(state.guild_ready_timeout, 0.05)
        ready = {
            "v": 10,
            "user": self.standin.bot_user,
            "guilds": (
                [{"id": str(self.world.guild_id), "unavailable": True}] if self.cache_guild else []
            ),
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": "wss://gateway.invalid",
            "shard": [0, 1],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
        }
        baseline = set(asyncio.all_tasks())
        state.parsers["READY"](copy.deepcopy(ready))
        if self.cache_guild:
            state.parsers["GUILD_CREATE"](self.world.guild_create(self.standin.bot_user))
        await asyncio.wait_for(self.bot.wait_until_ready(), self.timeout)
        await self.wait_idle(baseline)

    async def close(self, *, check: bool = True) -> None:
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
            loop = asyncio.get_running_loop()
            loop.set_exception_handler(self._prev_handler)
            if self._prev_base is not None:
                discord.http.Route.BASE = self._prev_base
            if self._owns_standin:
                await self.standin.close()
        if check and self.strict_routes and self.standin.unexpected:
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
        """``await tree.sync()`` (and for the world's guild if it has guild commands).

        Returns the body of the global bulk-overwrite PUT.
        """
        tree = self.tree
        if tree is None:
            raise HarnessError("the bot has no CommandTree to sync")
        await tree.sync()
        guild = discord.Object(self.world.guild_id)
        if tree.get_commands(guild=guild):
            await tree.sync(guild=guild)
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

        With ``check`` (default) raise :class:`HarnessError` if discord.py or the bot logged an
        error, a task raised, an unknown route was called, or the interaction was never
        acknowledged (Discord would show "This interaction failed").
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
        result = InteractionResult(
            self, payload, state, self.standin.requests[first_request:], errors
        )
        self.results.append(result)
        if check:
            problems = list(errors)
            if result.unexpected:
                problems.append(
                    "unknown routes called: " + ", ".join(str(r) for r in result.unexpected)
                )
            if not result.acknowledged:
                problems.append(
                    "the interaction was never acknowledged (Discord would show"
                    " 'This interaction failed')"
                )
            if problems:
                raise HarnessError(
                    f"interaction {payload['type']} {payload.get('data', {}).get('name') or ''}"
                    f"{payload.get('data', {}).get('custom_id') or ''}:\n"
                    + "\n---\n".join(problems)
                )
        return result

    async def wait_idle(self, baseline: set[asyncio.Task[Any]] | None = None) -> list[str]:
        """Wait until every task created after ``baseline`` (default: harness start) is done,
        except background tasks. Returns formatted exceptions those tasks raised. Fails with
        :class:`HarnessError` after ``timeout`` seconds, listing what is still running."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        me = asyncio.current_task()
        skip = baseline if baseline is not None else self._start_tasks
        seen: set[asyncio.Task[Any]] = set()
        quiet = 0
        while True:
            pending = [
                t
                for t in asyncio.all_tasks()
                if t is not me and t not in skip and not t.done() and not self.is_background(t)
            ]
            seen.update(pending)
            if not pending:
                quiet += 1
                if quiet > 3:
                    break
                await asyncio.sleep(0)
                continue
            quiet = 0
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise HarnessError(
                    f"bot still busy after {self.timeout}s:\n" + _describe_tasks(pending)
                )
            await asyncio.wait(pending, timeout=remaining)
        errors = []
        for task in seen:
            if task.done() and not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                assert exc is not None
                errors.append(
                    f"task {task.get_name()} raised:\n" + "".join(traceback.format_exception(exc))
                )
        return errors

    # ---- high level ----------------------------------------------------------------------

    def new_user(self, username: str) -> FakeUser:
        return FakeUser.new(username)

    async def command(
        self,
        qualified_name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        locale: str | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Invoke ``/qualified name`` (e.g. ``"settings phase set"``) with ``options``."""
        payload = self.builder.slash(
            qualified_name,
            options,
            user=user,
            context=context,
            permissions=permissions,
            locale=locale,
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
        locale: str | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Type ``value`` into option ``focused``; ``result.choices`` holds the suggestions."""
        opts = dict(options or {})
        opts[focused] = value
        payload = self.builder.slash(
            qualified_name,
            opts,
            user=user,
            context=context,
            permissions=permissions,
            locale=locale,
            focused=focused,
        )
        return await self.feed(payload, check=check)

    async def context_menu(
        self,
        name: str,
        target: FakeUser | JSON,
        *,
        user: FakeUser | None = None,
        context: Context = "guild",
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        payload = self.builder.context_menu(
            name, target, user=user, context=context, permissions=permissions
        )
        return await self.feed(payload, check=check)

    def _message(self, target: InteractionResult | JSON | int) -> JSON:
        if isinstance(target, InteractionResult):
            msg = target.message
            if msg is None:
                raise UnsendableInteraction("that interaction has no (undeleted) message")
            return msg
        mid = int(target) if isinstance(target, int) else int(target["id"])
        msg = self.standin.messages.get(mid)
        if msg is None:
            raise UnsendableInteraction(f"message {mid} does not exist (deleted?)")
        return msg

    async def click(
        self,
        target: InteractionResult | JSON | int,
        custom_id: str,
        *,
        user: FakeUser | None = None,
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Click button ``custom_id`` on a message (a result, message dict or message id).

        The message is re-read from the stand-in, so it is clicked as currently edited.
        """
        message = self._message(target)
        payload = self.builder.component(message, custom_id, user=user, permissions=permissions)
        return await self.feed(payload, check=check)

    async def select(
        self,
        target: InteractionResult | JSON | int,
        custom_id: str,
        values: Sequence[Any],
        *,
        user: FakeUser | None = None,
        permissions: int | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Pick ``values`` in select menu ``custom_id`` on a message."""
        message = self._message(target)
        payload = self.builder.component(
            message, custom_id, values=values, user=user, permissions=permissions
        )
        return await self.feed(payload, check=check)

    async def submit_modal(
        self,
        opened_by: InteractionResult,
        values: Mapping[str, Any],
        *,
        user: FakeUser | None = None,
        check: bool = True,
    ) -> InteractionResult:
        """Fill in and submit the modal the bot answered ``opened_by`` with."""
        if opened_by.modal is None:
            raise UnsendableInteraction("that interaction was not answered with a modal")
        payload = self.builder.modal_submit(
            opened_by.modal, values, origin=opened_by.payload, user=user or _user_of(opened_by)
        )
        return await self.feed(payload, check=check)


def _user_of(result: InteractionResult) -> FakeUser:
    data = result.state.user
    return FakeUser(int(data["id"]), data["username"], data.get("global_name"))


def _is_server_task(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_BACKGROUND_DIRS)


def _describe_tasks(tasks: Sequence[asyncio.Task[Any]]) -> str:
    out = io.StringIO()
    for task in tasks:
        out.write(f"- {task.get_name()}: {getattr(task.get_coro(), '__qualname__', '?')}\n")
        task.print_stack(limit=4, file=out)
    return out.getvalue()
