"""A local stand-in for the parts of Discord's HTTP API phasebot touches.

It serves 127.0.0.1 with bodies shaped as Discord documents them, so discord.py's *real*
HTTP code runs against it (login, command sync, interaction callbacks, followups, edits);
the harness points ``discord.http.Route.BASE`` at :attr:`StandIn.base_url`.

* Every request is recorded (:attr:`~StandIn.requests`); unknown routes get a 404 and are
  listed in :attr:`~StandIn.unexpected`. Never 5xx or 429 (discord.py would retry).
* What Discord would reject gets Discord's error (listed in :attr:`~StandIn.rejected`):
  ``50035`` with nested ``errors`` for message, component, choice and schema limits,
  ``40060`` for a second callback, ``10062``/``10015``/``10008`` for unknown interactions,
  webhooks (a followup before the callback) and messages.
* Messages are kept as edited (:attr:`~StandIn.messages`), every version in
  :attr:`~StandIn.message_history`. Files sent with a message (``payload_json`` +
  ``files[n]``) become its ``attachments``; :meth:`~StandIn.files` gives back what was sent.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import re
import socket
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, web

JSON = dict[str, Any]

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024  # what a server without boosts allows

FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
_SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS

INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4

CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8

# The callbacks Discord accepts per interaction type, of those the stand-in models
# (modals, 9, and activities, 12, are not).
_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5}),
    INTERACTION_MESSAGE_COMPONENT: frozenset({4, 5, 6, 7}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
}

_counter = itertools.count(1)


def snowflake() -> int:
    """A new, process-wide unique Discord snowflake for "now"."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, username: str, global_name: str | None = None) -> JSON:
    """A Discord user object."""
    user = {"id": str(user_id), "username": username, "discriminator": "0", "avatar": None}
    return {**user, "global_name": global_name, "public_flags": 0}


def _copy(data: Any) -> Any:
    return json.loads(json.dumps(data))


# ---- Recording -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedFile:
    """One file part of a multipart request, as sent."""

    field: str  # "files[0]", ...
    filename: str
    data: bytes
    content_type: str | None  # discord.py always sends application/octet-stream


@dataclass
class RecordedRequest:
    """One HTTP request the stand-in received and how it answered."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    route: str | None  # e.g. "POST /interactions/{iid}/{token}/callback"; None if unknown
    status: int = 0
    response: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass
class InteractionState:
    """What the stand-in knows about one interaction fed to the bot."""

    id: int
    token: str
    type: int
    channel_id: int | None
    guild_id: int | None
    user: JSON
    command_name: str | None = None
    message_id: int | None = None  # the message a component was on
    focused_type: int | None = None  # option type of the focused autocomplete option
    authorizing_integration_owners: dict[str, str] = field(default_factory=dict)
    callback_type: int | None = None
    callback: JSON | None = None  # body of the accepted callback
    original_message_id: int | None = None
    loading: bool = False  # deferred with a "thinking" message not filled in yet
    followup_ids: list[int] = field(default_factory=list)
    choices: list[JSON] | None = None


@dataclass
class MessageMeta:
    channel_id: int
    guild_id: int | None
    ephemeral_user_id: int | None = None  # only this user sees the message


class ApiError(Exception):
    """An error answer in Discord's JSON error format."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body: JSON = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


Where = tuple[str | int, ...]
Problem = tuple[Where, str, str]  # (path in the body, error code, message)


def form_error(problems: Sequence[Problem]) -> ApiError:
    """A ``50035 Invalid Form Body`` error with Discord's nested ``errors`` object."""
    errors: JSON = {}
    for path, code, message in problems:
        node = errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return ApiError(400, 50035, "Invalid Form Body", errors)


# ---- Validation of bodies Discord would reject ---------------------------------------------------


def _length(out: list[Problem], path: Where, value: Any, limit: int, minimum: int = 0) -> None:
    if value is None:
        return
    n = len(str(value))
    if n > limit:
        out.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))
    elif n < minimum:
        out.append((path, "BASE_TYPE_BAD_LENGTH", f"Must be between {minimum} and {limit}."))


def walk_components(rows: Sequence[JSON] | None) -> Iterator[JSON]:
    """Every component of a message, rows and their children, depth first."""
    for comp in rows or []:
        yield comp
        yield from walk_components(comp.get("components"))


def validate_embeds(embeds: Sequence[JSON], prefix: Where) -> list[Problem]:
    out: list[Problem] = []
    if len(embeds) > 10:
        out.append((prefix, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        p = (*prefix, i)
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        _length(out, (*p, "title"), embed.get("title"), 256)
        _length(out, (*p, "description"), embed.get("description"), 4096)
        _length(out, (*p, "footer", "text"), footer, 2048)
        _length(out, (*p, "author", "name"), author, 256)
        total += sum(len(t or "") for t in (embed.get("title"), embed.get("description")))
        total += len(footer or "") + len(author or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            out.append(((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                if not fld.get(key):
                    out.append(((*p, "fields", j, key), "BASE_TYPE_REQUIRED", "Required"))
                _length(out, (*p, "fields", j, key), fld.get(key), limit)
                total += len(fld.get(key) or "")
        color = embed.get("color")
        if color is not None and not 0 <= int(color) <= 0xFFFFFF:
            out.append(((*p, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215."))
    if total > 6000:
        out.append((prefix, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))
    return out


def validate_components(rows: Sequence[JSON], prefix: Where) -> list[Problem]:
    """Action rows of buttons and selects (Components V2 layouts are not modelled)."""
    out: list[Problem] = []
    seen: set[str] = set()
    for comp in walk_components(rows):
        cid = comp.get("custom_id")
        if cid is None:
            continue
        where = (*prefix, "custom_id")
        if not 1 <= len(str(cid)) <= 100:
            out.append((where, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        if cid in seen:
            out.append((where, "COMPONENT_CUSTOM_ID_DUPLICATED", f"Duplicated custom id {cid!r}"))
        seen.add(cid)
    if len(rows) > 5:
        out.append((prefix, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            out.append(((*prefix, i, "type"), "UNION_TYPE_CHOICES", "Must be an action row (1)."))
            continue
        children, where = row.get("components") or [], (*prefix, i, "components")
        if not 1 <= len(children) <= 5:
            out.append((where, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
        if len(children) > 1 and any(c.get("type") in (3, 5, 6, 7, 8) for c in children):
            out.append((where, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select fills its row."))
        for j, comp in enumerate(children):
            out.extend(_validate_interactive(comp, (*prefix, i, "components", j)))
    return out


def _validate_interactive(comp: JSON, p: Where) -> list[Problem]:
    out: list[Problem] = []
    ctype = comp.get("type")
    if ctype == 2:
        style = comp.get("style")
        _length(out, (*p, "label"), comp.get("label"), 80)
        if style == 5:
            if not comp.get("url"):
                out.append(((*p, "url"), "BASE_TYPE_REQUIRED", "This field is required"))
            if comp.get("custom_id"):
                out.append(((*p, "custom_id"), "BUTTON_LINK_CUSTOM_ID", "Link buttons have no id"))
        elif not comp.get("custom_id"):
            out.append(((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"))
        if not comp.get("label") and not comp.get("emoji"):
            out.append(((*p, "label"), "BUTTON_LABEL_OR_EMOJI", "A label or an emoji is required"))
    elif ctype in (3, 5, 6, 7, 8):
        _length(out, (*p, "placeholder"), comp.get("placeholder"), 150)
        lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not 0 <= lo <= 25 or not 1 <= hi <= 25 or lo > hi:
            out.append(((*p, "min_values"), "SELECT_COMPONENT_MIN_MAX", "Must be 0-25, <= max."))
        if ctype == 3:
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                out.append(((*p, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25."))
            if hi > len(options):
                out.append(
                    ((*p, "max_values"), "SELECT_COMPONENT_TOO_MANY_VALUES", "More than options.")
                )
            values: set[str] = set()
            for k, opt in enumerate(options):
                op = (*p, "options", k)
                _length(out, (*op, "label"), opt.get("label"), 100, 1)
                _length(out, (*op, "value"), opt.get("value"), 100, 1)
                _length(out, (*op, "description"), opt.get("description"), 100)
                if opt.get("value") in values:
                    out.append(((*op, "value"), "SELECT_OPTION_VALUE_DUPLICATED", "Not unique."))
                values.add(opt.get("value"))
    else:
        out.append(((*p, "type"), "UNION_TYPE_CHOICES", f"Component type {ctype!r} in a row."))
    return out


def validate_message_body(body: JSON, n_files: int, prefix: Where = ()) -> list[Problem]:
    """Problems Discord would report for a create/edit message body."""
    out: list[Problem] = []
    _length(out, (*prefix, "content"), body.get("content"), 2000)
    out.extend(validate_embeds(body.get("embeds") or [], (*prefix, "embeds")))
    out.extend(validate_components(body.get("components") or [], (*prefix, "components")))
    if len(body.get("attachments") or []) > 10 or n_files > 10:
        out.append(((*prefix, "attachments"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer."))
    return out


def validate_choices(choices: Any, option_type: int | None) -> list[Problem]:
    """Problems with an autocomplete result for an option of ``option_type``."""
    if not isinstance(choices, list):
        return [(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")]
    out: list[Problem] = []
    if len(choices) > 25:
        out.append((("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for i, choice in enumerate(choices):
        p: Where = ("data", "choices", i)
        _length(out, (*p, "name"), choice.get("name"), 100, 1)
        value = choice.get("value")
        if option_type == 3:
            if not isinstance(value, str):
                out.append(((*p, "value"), "BASE_TYPE_STRING", "Must be a string."))
            else:
                _length(out, (*p, "value"), value, 100)
        elif option_type == 4 and (not isinstance(value, int) or isinstance(value, bool)):
            out.append(((*p, "value"), "NUMBER_TYPE_COERCE", "Value is not int."))
        elif option_type == 10 and (not isinstance(value, int | float) or isinstance(value, bool)):
            out.append(((*p, "value"), "NUMBER_TYPE_COERCE", "Value is not a number."))
    return out


# ---- Application command schema ------------------------------------------------------------------


def _valid_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 32
        and all(ch in "-_" or ch.isalnum() for ch in name)
        and name == name.lower()
    )


def _valid_description(text: Any) -> bool:
    return isinstance(text, str) and 1 <= len(text) <= 100


def _option_text(options: Sequence[JSON]) -> int:
    total = 0
    for opt in options:
        total += len(opt.get("name") or "") + len(opt.get("description") or "")
        for choice in opt.get("choices") or []:
            total += len(str(choice.get("name") or "")) + len(str(choice.get("value") or ""))
        total += _option_text(opt.get("options") or [])
    return total


def _check_options(options: Sequence[JSON], where: str, depth: int, out: list[str]) -> None:
    if len(options) > 25:
        out.append(f"{where}: {len(options)} options (at most 25 per level)")
    kinds = {opt.get("type") for opt in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        out.append(f"{where}: subcommands/groups cannot be mixed with other options")
    seen: set[str] = set()
    optional_seen = False
    for opt in options:
        name, otype = opt.get("name"), opt.get("type")
        here = f"{where} option {name!r}"
        if not _valid_name(name):
            out.append(f"{here}: name must be 1-32 lowercase letters, digits, '-' or '_'")
        if name in seen:
            out.append(f"{here}: duplicate option name")
        seen.add(str(name))
        if not _valid_description(opt.get("description")):
            out.append(f"{here}: description must be 1-100 characters")
        if otype not in range(1, 12):
            out.append(f"{here}: unknown option type {otype!r}")
        if otype in (1, 2):
            children = opt.get("options") or []
            if otype == 2 and depth > 0:
                out.append(f"{here}: subcommand groups can only be nested one level")
            if otype == 1 and depth > 1:
                out.append(f"{here}: subcommands nested too deeply")
            if otype == 2 and any(c.get("type") != 1 for c in children):
                out.append(f"{here}: a subcommand group may only contain subcommands")
            if otype == 1 and any(c.get("type") in (1, 2) for c in children):
                out.append(f"{here}: a subcommand cannot contain subcommands")
            _check_options(children, f"{where} {name}", depth + 1, out)
            continue
        if not opt.get("required"):
            optional_seen = True
        elif optional_seen:
            out.append(f"{here}: required options must be listed before optional ones")
        choices = opt.get("choices") or []
        if choices:
            if otype not in (3, 4, 10):
                out.append(f"{here}: choices are only allowed on string/integer/number options")
            if opt.get("autocomplete"):
                out.append(f"{here}: choices and autocomplete are mutually exclusive")
            if len(choices) > 25:
                out.append(f"{here}: {len(choices)} choices (at most 25)")
            for choice in choices:
                cname, value = choice.get("name"), choice.get("value")
                if not _valid_description(cname):
                    out.append(f"{here}: choice name {cname!r} must be 1-100 characters")
                if isinstance(value, str) and len(value) > 100:
                    out.append(f"{here}: choice value {value[:20]!r}... longer than 100")
        if opt.get("autocomplete") and otype not in (3, 4, 10):
            out.append(f"{here}: autocomplete is only allowed on string/integer/number options")
        if ("min_value" in opt or "max_value" in opt) and otype not in (4, 10):
            out.append(f"{here}: min_value/max_value only apply to integer/number options")
        if ("min_length" in opt or "max_length" in opt) and otype != 3:
            out.append(f"{here}: min_length/max_length only apply to string options")
        lo, hi = opt.get("min_value"), opt.get("max_value")
        if lo is not None and hi is not None and lo > hi:
            out.append(f"{here}: min_value > max_value")
        lo, hi = opt.get("min_length"), opt.get("max_length")
        if lo is not None and not 0 <= lo <= 6000:
            out.append(f"{here}: min_length must be 0-6000")
        if hi is not None and not 1 <= hi <= 6000:
            out.append(f"{here}: max_length must be 1-6000")
        if lo is not None and hi is not None and lo > hi:
            out.append(f"{here}: min_length > max_length")


def command_problems(command: Mapping[str, Any]) -> list[str]:
    """Problems Discord would report for one chat-input command payload."""
    out: list[str] = []
    name = command.get("name")
    where = f"command {name!r}"
    if command.get("type", 1) != 1:
        return [f"{where}: type {command.get('type')!r}: only slash commands are modelled"]
    if not _valid_name(name):
        out.append(f"{where}: name must be 1-32 lowercase letters, digits, '-' or '_'")
    if not _valid_description(command.get("description")):
        out.append(f"{where}: description must be 1-100 characters")
    options = command.get("options") or []
    _check_options(options, where, 0, out)
    total = len(str(name or "")) + len(str(command.get("description") or ""))
    total += _option_text(options)
    if total > 4000:
        out.append(f"{where}: {total} characters of name/description/option text (max 4000)")
    return out


def _cross_command_problems(commands: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    names = [str(c.get("name")) for c in commands]
    for name in sorted({n for n in names if names.count(n) > 1}):
        out.append(f"command {name!r}: two commands share this name")
    if len(commands) > 100:
        out.append(f"{len(commands)} slash commands (at most 100)")
    return out


def check_command_schema(commands: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems Discord would report for a bulk-overwrite body (what ``tree.sync()`` PUTs)."""
    out = [text for command in commands for text in command_problems(command)]
    return out + _cross_command_problems(commands)


# ---- The server ----------------------------------------------------------------------------------


_Handler = Callable[[RecordedRequest, "re.Match[str]"], Awaitable[tuple[int, Any]]]


class StandIn:
    """Local stand-in for Discord's REST API. Use as ``async with StandIn() as api:``."""

    def __init__(self, *, bot_name: str = "PhaseBot") -> None:
        self.application_id: int = snowflake()
        self.bot_user: JSON = user_payload(self.application_id, bot_name)
        self.bot_user.update(discriminator="4242", bot=True, verified=True, flags=0)
        self.application: JSON = {
            "id": str(self.application_id),
            "name": bot_name,
            "icon": None,
            "description": "Local stand-in application",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": user_payload(snowflake(), "owner", "Owner"),
            "team": None,
            "flags": (1 << 19) | (1 << 23),  # message content + intents, limited
            "integration_types_config": {"0": {}, "1": {}},  # guild and user installs
            "bot": self.bot_user,
        }
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, JSON] = {}
        self.message_history: dict[int, list[JSON]] = {}
        self.message_meta: dict[int, MessageMeta] = {}
        self.uploads: dict[int, RecordedFile] = {}  # attachment id -> the file uploaded
        self.channels: dict[int, JSON] = {}
        self.dm_channels: dict[int, JSON] = {}  # user id -> that user's DM with the bot
        self.internal_errors: list[str] = []
        self.interactions: dict[int, InteractionState] = {}
        self._tokens: dict[str, InteractionState] = {}
        # scope (None = global, else guild id) -> {name: command as Discord stores it}
        self.commands: dict[int | None, dict[str, JSON]] = {}
        self.command_puts: list[tuple[int | None, list[JSON]]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: list[tuple[str, re.Pattern[str], str, _Handler]] = []
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/oauth2/applications/@me", self._get_app)
        r("PUT", "/applications/{app}/commands", self._put_commands)
        r("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r("POST", "/interactions/{iid}/{token}/callback", self._callback)
        r("POST", "/webhooks/{app}/{token}", self._followup)
        r("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_patch)
        r("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_delete)
        r("GET", "/channels/{cid}", self._get_channel)
        r("POST", "/channels/{cid}/messages", self._channel_post)

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def started(self) -> bool:
        return self._runner is not None

    @property
    def base_url(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        if self._port is None:
            raise RuntimeError("StandIn is not started")
        return f"http://127.0.0.1:{self._port}{API_PREFIX}"

    # ---- accessors -----------------------------------------------------------------------

    @property
    def unexpected(self) -> list[RecordedRequest]:
        """Requests to routes the stand-in does not implement."""
        return [r for r in self.requests if r.route is None]

    @property
    def rejected(self) -> list[RecordedRequest]:
        """Requests to known routes answered with a 4xx error."""
        return [r for r in self.requests if r.route is not None and r.status >= 400]

    def channel_messages(self, channel_id: int) -> list[JSON]:
        """Every message in a channel: interaction answers and the bot's own posts."""
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def files(self, message: JSON) -> list[RecordedFile]:
        """The uploaded files behind ``message["attachments"]``, in order."""
        return [self.uploads[int(a["id"])] for a in message.get("attachments") or []]

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        return list(self.commands.get(guild_id, {}).values())

    def registered_command(self, name: str, guild_id: int | None = None) -> JSON | None:
        """A command as Discord stores it (global by default)."""
        return self.commands.get(guild_id, {}).get(name)

    @property
    def synced(self) -> bool:
        return bool(self.command_puts)

    def add_channel(self, channel: JSON) -> None:
        self.channels[int(channel["id"])] = channel

    def dm_channel(self, user: JSON) -> JSON:
        """The (unique) DM channel between the bot and ``user``, created on first use."""
        uid = int(user["id"])
        if uid not in self.dm_channels:
            channel = {"id": str(snowflake()), "type": 1, "last_message_id": None, "flags": 0}
            self.dm_channels[uid] = {**channel, "recipients": [user]}
            self.add_channel(self.dm_channels[uid])
        return self.dm_channels[uid]

    def dm_recipient(self, channel_id: int) -> int | None:
        for uid, channel in self.dm_channels.items():
            if int(channel["id"]) == channel_id:
                return uid
        return None

    def register_interaction(self, state: InteractionState) -> None:
        self.interactions[state.id] = state
        self._tokens[state.token] = state

    def add_message(self, channel_id: int, payload: JSON, *, guild_id: int | None = None) -> JSON:
        """Put an existing message (e.g. one sent by an older release) into the store."""
        mid = int(payload["id"])
        self.messages[mid] = payload
        self.message_history[mid] = [_copy(payload)]
        self.message_meta[mid] = MessageMeta(channel_id, guild_id)
        return payload

    # ---- dispatch ------------------------------------------------------------------------

    def _route(self, method: str, template: str, handler: _Handler) -> None:
        rx = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append((method, re.compile(f"^{rx}$"), template, handler))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.path
        body, files = await self._read_body(request)
        query = dict(request.rel_url.query)
        sub = path.removeprefix(API_PREFIX)
        rec = RecordedRequest(request.method, sub, query, body, files, None)
        self.requests.append(rec)
        status, payload = 404, {"message": "404: Not Found", "code": 0}
        for method, rx, template, handler in self._routes:
            match = rx.match(sub)
            if match is None or method != request.method or sub == path:
                continue
            rec.route = f"{method} {template}"
            try:
                status, payload = await handler(rec, match)
            except ApiError as err:
                status, payload = err.status, err.body
            except Exception:  # a stand-in bug: never answer 5xx (discord.py would retry)
                text = traceback.format_exc()
                self.internal_errors.append(f"{rec.method} {sub}:\n{text}")
                status, payload = 400, {"message": f"stand-in error: {text}", "code": 0}
            break
        rec.status, rec.response = status, payload
        if payload is None:
            return web.Response(status=204)
        # exactly "application/json": discord.py parses nothing else as JSON
        headers = {"Content-Type": "application/json"}
        return web.Response(status=status, body=json.dumps(payload).encode(), headers=headers)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
        """The JSON body, or for multipart ``payload_json`` and the ``files[n]`` parts."""
        files: list[RecordedFile] = []
        if not request.body_exists:
            return None, files
        if not request.content_type.startswith("multipart/"):
            try:  # discord.py sends JSON; anything else is answered 50109
                return json.loads(await request.read() or b"null"), files
            except ValueError:
                return None, files
        body: Any = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = bytes(await part.read(decode=False))
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                content_type = part.headers.get("Content-Type")
                files.append(RecordedFile(part.name or "", part.filename or "", data, content_type))
        return body, files

    # ---- messages ------------------------------------------------------------------------

    def _attachments(
        self, body: JSON, files: list[RecordedFile], previous: list[JSON]
    ) -> list[JSON]:
        """The message's new ``attachments``: kept ones by id, uploads by ``files[n]`` index."""
        uploaded = {}
        for index, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            uploaded[int(m.group(1)) if m else index] = f
        specs = body.get("attachments")
        if specs is None:  # no list given: keep what there was, add every upload
            specs = [*previous, *({"id": i} for i in sorted(uploaded))]
        kept = {str(a["id"]): a for a in previous}
        result: list[JSON] = []
        for spec in specs:
            sid = str(spec.get("id"))
            if sid in kept:
                result.append(kept[sid])
                continue
            upload = uploaded.get(int(sid)) if sid.isdigit() else None
            if upload is None:
                problem = (("attachments",), "ATTACHMENT_NOT_FOUND", f"Unknown attachment {sid}")
                raise form_error([problem])
            if len(upload.data) > ATTACHMENT_SIZE_LIMIT:
                raise ApiError(413, 40005, "Request entity too large")
            aid = snowflake()
            self.uploads[aid] = upload
            filename = spec.get("filename") or upload.filename
            url = f"https://cdn.discordapp.invalid/attachments/{aid}/{filename}"
            content_type = upload.content_type
            if content_type in (None, "application/octet-stream"):  # Discord guesses
                content_type = mimetypes.guess_type(filename)[0]
            att: JSON = {
                "id": str(aid),
                "filename": filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
            }
            if content_type:
                att["content_type"] = content_type
            if spec.get("description"):
                att["description"] = spec["description"]
            result.append(att)
        return result

    @staticmethod
    def _components(rows: list[JSON]) -> list[JSON]:
        """Rows as Discord returns them: every component numbered with an ``id``."""
        rows = _copy(rows)
        used = {c["id"] for c in walk_components(rows) if isinstance(c.get("id"), int)}
        free = (n for n in itertools.count(1) if n not in used)
        for comp in walk_components(rows):
            if not isinstance(comp.get("id"), int):
                comp["id"] = next(free)
        return rows

    @staticmethod
    def _embeds(embeds: list[JSON]) -> list[JSON]:
        return [{"type": "rich", **embed} for embed in embeds]

    def _new_message(
        self,
        state: InteractionState,
        body: JSON,
        files: list[RecordedFile],
        flags: int,
        *,
        loading: bool = False,
        metadata: JSON | None = None,
        prefix: Where = (),
    ) -> JSON:
        """A message sent for ``state`` (its response or a followup)."""
        if not loading:
            problems = validate_message_body(body, len(files), prefix)
            if not problems and not (
                body.get("content") or body.get("embeds") or body.get("components") or files
            ):
                raise ApiError(400, 50006, "Cannot send an empty message")
            if problems:
                raise form_error(problems)
        mid = snowflake()
        channel_id = state.channel_id or 0
        owners = state.authorizing_integration_owners
        msg: JSON = {
            "id": str(mid),
            "type": 20 if state.type == INTERACTION_APPLICATION_COMMAND else 0,
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(body, files, []),
            "embeds": self._embeds(body.get("embeds") or []),
            "components": self._components(body.get("components") or []),
            "pinned": False,
            "flags": flags,
            "webhook_id": str(self.application_id),
            "application_id": str(self.application_id),
            "interaction_metadata": {
                "id": str(state.id),
                "type": state.type,
                "user": state.user,
                "authorizing_integration_owners": owners,
                **(metadata or {}),
            },
        }
        if state.command_name is not None:
            msg["interaction_metadata"].update(name=state.command_name, command_type=1)
        if state.type == INTERACTION_MESSAGE_COMPONENT and state.message_id is not None:
            msg["interaction_metadata"]["interacted_message_id"] = str(state.message_id)
        self.messages[mid] = msg
        self.message_history[mid] = [_copy(msg)]
        viewer = int(state.user["id"]) if flags & FLAG_EPHEMERAL else None
        self.message_meta[mid] = MessageMeta(channel_id, state.guild_id, viewer)
        return msg

    def _edit(
        self, mid: int, body: JSON, files: list[RecordedFile], *, clear_loading: bool
    ) -> JSON:
        msg = self.messages[mid]
        problems = validate_message_body(body, len(files))
        if problems:
            raise form_error(problems)
        if "content" in body:
            msg["content"] = body["content"] or ""
        if "embeds" in body:
            msg["embeds"] = self._embeds(body["embeds"] or [])
        if "components" in body:
            msg["components"] = self._components(body["components"] or [])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(body, files, msg["attachments"])
        if clear_loading:
            msg["flags"] = int(msg["flags"]) & ~FLAG_LOADING
        msg["edited_timestamp"] = iso_now()
        self.message_history[mid].append(_copy(msg))
        return msg

    def _interaction_for_token(self, app: str, token: str) -> InteractionState:
        state = self._tokens.get(token)
        if app != str(self.application_id) or state is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return state

    @staticmethod
    def _require_json(body: Any) -> JSON:
        if not isinstance(body, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return body

    # ---- routes: login and commands ------------------------------------------------------

    async def _get_me(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _get_app(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.application

    async def _put_commands(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        if m.group("app") != str(self.application_id):
            raise ApiError(404, 10002, "Unknown Application")
        guild = m.groupdict().get("guild")
        scope = int(guild) if guild is not None else None
        body = req.json
        if not isinstance(body, list):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        problems: list[Problem] = []
        for index, command in enumerate(body):
            problems += [
                ((index,), "APPLICATION_COMMAND_INVALID", t) for t in command_problems(command)
            ]
        problems += [((), "APPLICATION_COMMANDS_INVALID", t) for t in _cross_command_problems(body)]
        if problems:
            raise form_error(problems)
        self.command_puts.append((scope, _copy(body)))
        old = self.commands.get(scope, {})
        self.commands[scope] = {
            str(c["name"]): self._store_command(scope, c, old.get(str(c["name"]))) for c in body
        }
        return 200, list(self.commands[scope].values())

    def _store_command(self, scope: int | None, payload: JSON, previous: JSON | None) -> JSON:
        """The command as Discord answers it: what was sent, with ids and defaults."""
        stored: JSON = {"default_member_permissions": None, "nsfw": False, "contexts": None}
        stored.update(payload, type=1, application_id=str(self.application_id))
        stored.update(id=previous["id"] if previous else str(snowflake()), version=str(snowflake()))
        if scope is not None:  # a guild command: guild installs only, no other contexts
            stored.update(guild_id=str(scope), integration_types=[0], contexts=None)
        stored.setdefault("integration_types", [0])
        return stored

    # ---- routes: interaction callback, followups, edits ----------------------------------

    async def _callback(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        state = self.interactions.get(int(m.group("iid")))
        if state is None or state.token != m.group("token"):
            raise ApiError(404, 10062, "Unknown interaction")
        body = self._require_json(req.json)
        if state.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        ctype = body.get("type")
        if ctype not in _ALLOWED_CALLBACKS.get(state.type, frozenset()):
            text = f"Callback type {ctype!r} is not valid for interaction type {state.type}"
            raise form_error([(("type",), "INTERACTION_CALLBACK_TYPE_INVALID", text)])
        data: JSON = body.get("data") or {}
        info: JSON = {"id": str(state.id), "type": state.type}
        resource: JSON = {"type": ctype}
        msg: JSON | None = None
        if ctype == CALLBACK_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & _SETTABLE_FLAGS
            msg = self._new_message(state, data, req.files, flags, prefix=("data",))
            resource["message"] = msg
        elif ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
            msg = self._new_message(state, {}, [], flags, loading=True)
            state.loading = True
        elif ctype in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            if state.message_id is None or state.message_id not in self.messages:
                raise ApiError(404, 10008, "Unknown Message")
            state.original_message_id = state.message_id
            if ctype == CALLBACK_UPDATE_MESSAGE:
                msg = self._edit(state.message_id, data, req.files, clear_loading=False)
                resource["message"] = msg
        else:
            problems = validate_choices(data.get("choices"), state.focused_type)
            if problems:
                raise form_error(problems)
            state.choices = list(data["choices"])
        if msg is not None:
            state.original_message_id = int(msg["id"])
            info.update(
                response_message_id=msg["id"],
                response_message_loading=state.loading,
                response_message_ephemeral=bool(int(msg["flags"]) & FLAG_EPHEMERAL),
            )
        state.callback_type, state.callback = ctype, body
        return 200, {"interaction": info, "resource": resource}

    def _channel(self, channel_id: str) -> JSON:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    async def _get_channel(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._channel(m.group("cid"))

    async def _channel_post(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        """A message the bot posts on its own (an announcement, a reminder)."""
        channel = self._channel(m.group("cid"))
        body = self._require_json(req.json)
        problems = validate_message_body(body, len(req.files))
        if problems:
            raise form_error(problems)
        if not (body.get("content") or body.get("embeds") or req.files):
            raise ApiError(400, 50006, "Cannot send an empty message")
        mid = snowflake()
        msg: JSON = {
            "id": str(mid),
            "type": 0,
            "channel_id": channel["id"],
            "author": self.bot_user,
            "content": body.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(body, req.files, []),
            "embeds": self._embeds(body.get("embeds") or []),
            "components": self._components(body.get("components") or []),
            "pinned": False,
            "flags": 0,
        }
        guild = channel.get("guild_id")
        self.messages[mid] = msg
        self.message_history[mid] = [_copy(msg)]
        self.message_meta[mid] = MessageMeta(int(channel["id"]), int(guild) if guild else None)
        return 200, msg

    async def _followup(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        state = self._interaction_for_token(m.group("app"), m.group("token"))
        if state.callback_type not in (4, 5, 6, 7):
            raise ApiError(404, 10015, "Unknown Webhook")
        body = self._require_json(req.json)
        wait = req.query.get("wait", "false").lower() in ("1", "true")
        if state.loading and state.original_message_id in self.messages:
            # The first followup after a "thinking" defer fills in the loading message.
            msg = self._edit(state.original_message_id, body, req.files, clear_loading=True)
            state.loading = False
            return (200, msg) if wait else (204, None)
        flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS
        metadata: JSON = {}
        if state.original_message_id is not None:
            metadata["original_response_message_id"] = str(state.original_message_id)
        msg = self._new_message(state, body, req.files, flags, metadata=metadata)
        state.followup_ids.append(int(msg["id"]))
        return (200, msg) if wait else (204, None)

    def _webhook_message(self, m: re.Match[str]) -> tuple[InteractionState, int]:
        """The interaction and the message id a webhook route names (``@original``)."""
        state = self._interaction_for_token(m.group("app"), m.group("token"))
        wanted = m.group("mid")
        mid = state.original_message_id if wanted == "@original" else None
        if wanted.isdigit():
            mid = int(wanted)
        mine = mid == state.original_message_id or mid in state.followup_ids
        if mid is None or not mine or mid not in self.messages:
            raise ApiError(404, 10008, "Unknown Message")
        return state, mid

    async def _webhook_delete(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        """Delete the original response or a followup (a deferred answer's "thinking")."""
        state, mid = self._webhook_message(m)
        self.messages.pop(mid)
        if mid == state.original_message_id:
            state.loading = False
            state.original_message_id = None
        return 204, None

    async def _webhook_patch(self, req: RecordedRequest, m: re.Match[str]) -> tuple[int, Any]:
        """Edit the original response (``@original``) or a followup."""
        state, mid = self._webhook_message(m)
        clear = state.loading and mid == state.original_message_id
        msg = self._edit(mid, self._require_json(req.json), req.files, clear_loading=clear)
        if clear:
            state.loading = False
        return 200, msg
