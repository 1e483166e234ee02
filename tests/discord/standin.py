"""A local stand-in for the parts of Discord's HTTP API a slash-command bot touches.

The server listens on ``127.0.0.1`` on an ephemeral port and answers with bodies shaped the
way Discord documents them, so that discord.py's *real* HTTP code path (login, command sync,
interaction callbacks, followups, edits) can run against it. Point discord.py at it by
setting ``discord.http.Route.BASE = standin.base_url`` (the harness does this and restores it).

Behaviour worth knowing:

* Every request is recorded (:attr:`StandIn.requests`); requests to routes the stand-in does
  not know are answered ``404 {"message": ..., "code": 0}`` and also listed in
  :attr:`StandIn.unexpected`. The stand-in never answers 5xx or 429 (discord.py would retry
  with sleeps).
* Like Discord, it rejects bodies Discord would reject (``400`` with code ``50035`` *Invalid
  Form Body* and a nested ``errors`` object): content over 2000 characters, embed limits,
  component limits, autocomplete choice limits, modal limits, invalid command schemas, and
  protocol errors (responding twice -> ``40060``, unknown interaction -> ``10062``, followup
  before acknowledging -> ``10015``, unknown message -> ``10008``). Rejections are listed in
  :attr:`StandIn.rejected`.
* Messages are kept "as edited" in :attr:`StandIn.messages`; every version is kept in
  :attr:`StandIn.message_history`. An ``UPDATE_MESSAGE`` callback (type 7) edits the message
  the component was on. After a ``DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE`` (type 5) the first
  followup fills in the loading message, as Discord does.
"""

from __future__ import annotations

import itertools
import json
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

# Message flags Discord lets a bot set when sending.
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15
_SETTABLE_FLAGS = (
    FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | FLAG_SUPPRESS_NOTIFICATIONS | FLAG_COMPONENTS_V2
)

# Interaction types and callback types (Discord's numbering).
INTERACTION_PING = 1
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_MESSAGE_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4
INTERACTION_MODAL_SUBMIT = 5

CALLBACK_CHANNEL_MESSAGE = 4
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE_MESSAGE = 6
CALLBACK_UPDATE_MESSAGE = 7
CALLBACK_AUTOCOMPLETE_RESULT = 8
CALLBACK_MODAL = 9
CALLBACK_LAUNCH_ACTIVITY = 12

_ALLOWED_CALLBACKS: dict[int, frozenset[int]] = {
    INTERACTION_APPLICATION_COMMAND: frozenset({4, 5, 9, 12}),
    INTERACTION_MESSAGE_COMPONENT: frozenset({4, 5, 6, 7, 9, 12}),
    INTERACTION_AUTOCOMPLETE: frozenset({8}),
    INTERACTION_MODAL_SUBMIT: frozenset({4, 5, 6, 7}),
}

_counter = itertools.count(1)


def snowflake() -> int:
    """Return a new, process-wide unique Discord snowflake for "now"."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user_payload(
    user_id: int,
    username: str,
    *,
    global_name: str | None = None,
    bot: bool = False,
    discriminator: str = "0",
) -> JSON:
    """A Discord user object."""
    data: JSON = {
        "id": str(user_id),
        "username": username,
        "discriminator": discriminator,
        "global_name": global_name,
        "avatar": None,
        "public_flags": 0,
        "avatar_decoration_data": None,
    }
    if bot:
        data["bot"] = True
    return data


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedFile:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class RecordedRequest:
    """One HTTP request the stand-in received and how it answered."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    route: str | None  # e.g. "POST /interactions/{id}/{token}/callback"; None if unknown
    status: int = 0
    response: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass
class InteractionState:
    """What the stand-in knows about one interaction the harness fed to the bot."""

    id: int
    token: str
    type: int
    channel_id: int | None
    guild_id: int | None
    user: JSON
    command_name: str | None = None
    command_type: int | None = None
    message_id: int | None = None  # the message a component/modal-from-component was on
    focused_type: int | None = None  # option type of the focused autocomplete option
    authorizing_integration_owners: dict[str, str] = field(default_factory=dict)
    callback_type: int | None = None
    callback: JSON | None = None  # body of the accepted callback
    callback_attempts: list[JSON] = field(default_factory=list)
    original_message_id: int | None = None
    loading: bool = False  # deferred with a "thinking" message not filled in yet
    followup_ids: list[int] = field(default_factory=list)
    choices: list[JSON] | None = None
    modal: JSON | None = None


@dataclass
class MessageMeta:
    channel_id: int
    guild_id: int | None
    interaction_id: int | None
    origin: str  # "response", "followup", "channel"
    ephemeral_user_id: int | None = None


class ApiError(Exception):
    """An error answer in Discord's JSON error format."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        data: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


Problem = tuple[tuple[str | int, ...], str, str]  # (path, code, message)


def form_error(problems: Sequence[Problem]) -> ApiError:
    errors: JSON = {}
    for path, code, message in problems:
        node = errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})
    return ApiError(400, 50035, "Invalid Form Body", errors)


# --------------------------------------------------------------------------------------------
# Validation of bodies Discord would reject
# --------------------------------------------------------------------------------------------


def _max_len(
    out: list[Problem], path: tuple[str | int, ...], value: Any, limit: int, minimum: int = 0
) -> None:
    if value is None:
        return
    text = str(value)
    if len(text) > limit:
        out.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))
    elif len(text) < minimum:
        out.append(
            (
                path,
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between {minimum} and {limit} in length.",
            )
        )


def walk_components(components: Sequence[JSON] | None) -> Iterator[JSON]:
    """Yield every component, depth first, including nested (v2) ones."""
    for comp in components or []:
        yield comp
        yield from walk_components(comp.get("components"))
        for key in ("accessory", "component"):
            child = comp.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def validate_embeds(embeds: Sequence[JSON], prefix: tuple[str | int, ...]) -> list[Problem]:
    out: list[Problem] = []
    if len(embeds) > 10:
        out.append((prefix, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        p = (*prefix, i)
        _max_len(out, (*p, "title"), embed.get("title"), 256)
        _max_len(out, (*p, "description"), embed.get("description"), 4096)
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        footer = embed.get("footer") or {}
        _max_len(out, (*p, "footer", "text"), footer.get("text"), 2048)
        total += len(footer.get("text") or "")
        author = embed.get("author") or {}
        _max_len(out, (*p, "author", "name"), author.get("name"), 256)
        total += len(author.get("name") or "")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            out.append(((*p, "fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            fp = (*p, "fields", j)
            if not fld.get("name"):
                out.append(((*fp, "name"), "BASE_TYPE_REQUIRED", "This field is required"))
            if not fld.get("value"):
                out.append(((*fp, "value"), "BASE_TYPE_REQUIRED", "This field is required"))
            _max_len(out, (*fp, "name"), fld.get("name"), 256)
            _max_len(out, (*fp, "value"), fld.get("value"), 1024)
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        color = embed.get("color")
        if color is not None and not 0 <= int(color) <= 0xFFFFFF:
            out.append(((*p, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215."))
    if total > 6000:
        out.append((prefix, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"))
    return out


def validate_components(
    components: Sequence[JSON], prefix: tuple[str | int, ...], *, v2: bool
) -> list[Problem]:
    out: list[Problem] = []
    seen_ids: set[str] = set()
    for comp in walk_components(components):
        cid = comp.get("custom_id")
        if cid is not None:
            if not 1 <= len(str(cid)) <= 100:
                out.append(
                    (
                        (*prefix, "custom_id"),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    )
                )
            if cid in seen_ids:
                out.append(
                    (
                        (*prefix, "custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        f"Component custom id {cid!r} cannot be duplicated",
                    )
                )
            seen_ids.add(cid)
    if v2:
        if sum(1 for _ in walk_components(components)) > 40:
            out.append((prefix, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length."))
        return out
    if len(components) > 5:
        out.append((prefix, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length."))
    for i, row in enumerate(components):
        rp = (*prefix, i)
        if row.get("type") != 1:
            out.append(
                (
                    (*rp, "type"),
                    "UNION_TYPE_CHOICES",
                    "Value of field 'type' must be one of (1,) without IS_COMPONENTS_V2.",
                )
            )
            continue
        children = row.get("components") or []
        if not children:
            out.append(((*rp, "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5."))
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(children) > 1:
            out.append(
                (
                    (*rp, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            )
        if len(children) > 5:
            out.append(((*rp, "components"), "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer."))
        for j, comp in enumerate(children):
            out.extend(_validate_interactive(comp, (*rp, "components", j)))
    return out


def _validate_interactive(comp: JSON, p: tuple[str | int, ...]) -> list[Problem]:
    out: list[Problem] = []
    ctype = comp.get("type")
    if ctype == 2:
        style = comp.get("style")
        _max_len(out, (*p, "label"), comp.get("label"), 80)
        if style == 5:
            if not comp.get("url"):
                out.append(((*p, "url"), "BASE_TYPE_REQUIRED", "This field is required"))
            if comp.get("custom_id"):
                out.append(
                    ((*p, "custom_id"), "BUTTON_LINK_CUSTOM_ID", "Link buttons cannot have ids")
                )
        elif style != 6 and not comp.get("custom_id"):
            out.append(((*p, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required"))
        if not comp.get("label") and not comp.get("emoji") and style != 6:
            out.append(((*p, "label"), "BUTTON_LABEL_OR_EMOJI", "A label or an emoji is required"))
    elif ctype in (3, 5, 6, 7, 8):
        _max_len(out, (*p, "placeholder"), comp.get("placeholder"), 150)
        min_v = int(comp.get("min_values", 1))
        max_v = int(comp.get("max_values", 1))
        if not 0 <= min_v <= 25:
            out.append(((*p, "min_values"), "NUMBER_TYPE_MAX", "int value should be <= 25."))
        if not 1 <= max_v <= 25:
            out.append(((*p, "max_values"), "NUMBER_TYPE_MAX", "int value should be <= 25."))
        if min_v > max_v:
            out.append(((*p, "min_values"), "SELECT_COMPONENT_MIN_MAX", "min_values > max_values"))
        if ctype == 3:
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                out.append(((*p, "options"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25."))
            if max_v > len(options):
                out.append(
                    (
                        (*p, "max_values"),
                        "SELECT_COMPONENT_TOO_MANY_VALUES",
                        "max_values exceeds the number of options",
                    )
                )
            values: set[str] = set()
            for k, opt in enumerate(options):
                op = (*p, "options", k)
                _max_len(out, (*op, "label"), opt.get("label"), 100, 1)
                _max_len(out, (*op, "value"), opt.get("value"), 100, 1)
                _max_len(out, (*op, "description"), opt.get("description"), 100)
                if opt.get("value") in values:
                    out.append(
                        (
                            (*op, "value"),
                            "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                            "Select option values must be unique",
                        )
                    )
                values.add(opt.get("value"))
    elif ctype == 4:
        _max_len(out, (*p, "label"), comp.get("label"), 45)
        _max_len(out, (*p, "placeholder"), comp.get("placeholder"), 100)
        _max_len(out, (*p, "value"), comp.get("value"), 4000)
        if comp.get("style") not in (1, 2):
            out.append(((*p, "style"), "BASE_TYPE_CHOICES", "Value must be one of {1, 2}."))
    return out


def validate_message_body(
    body: JSON,
    n_files: int,
    prefix: tuple[str | int, ...] = (),
    *,
    creating: bool,
    flags: int = 0,
) -> list[Problem]:
    """Problems Discord would report for a create/edit message body."""
    out: list[Problem] = []
    content = body.get("content")
    _max_len(out, (*prefix, "content"), content, 2000)
    embeds = body.get("embeds") or []
    out.extend(validate_embeds(embeds, (*prefix, "embeds")))
    components = body.get("components") or []
    v2 = bool(flags & FLAG_COMPONENTS_V2)
    out.extend(validate_components(components, (*prefix, "components"), v2=v2))
    if v2 and (content or embeds):
        out.append(
            (
                (*prefix, "content"),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used with IS_COMPONENTS_V2",
            )
        )
    attachments = body.get("attachments") or []
    if len(attachments) > 10 or n_files > 10:
        out.append(((*prefix, "attachments"), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer."))
    return out


def validate_choices(choices: Any, option_type: int | None) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(choices, list):
        return [(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")]
    if len(choices) > 25:
        out.append((("data", "choices"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for i, choice in enumerate(choices):
        p: tuple[str | int, ...] = ("data", "choices", i)
        _max_len(out, (*p, "name"), choice.get("name"), 100, 1)
        value = choice.get("value")
        if option_type == 3:
            if not isinstance(value, str):
                out.append(((*p, "value"), "BASE_TYPE_STRING", "Must be a string."))
            else:
                _max_len(out, (*p, "value"), value, 100)
        elif option_type == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                out.append(((*p, "value"), "NUMBER_TYPE_COERCE", "Value is not int."))
        elif option_type == 10 and (not isinstance(value, int | float) or isinstance(value, bool)):
            out.append(((*p, "value"), "NUMBER_TYPE_COERCE", "Value is not a number."))
    return out


def validate_modal(data: JSON) -> list[Problem]:
    out: list[Problem] = []
    _max_len(out, ("data", "title"), data.get("title"), 45, 1)
    _max_len(out, ("data", "custom_id"), data.get("custom_id"), 100, 1)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        out.append((("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5."))
    for i, comp in enumerate(components):
        p: tuple[str | int, ...] = ("data", "components", i)
        if comp.get("type") == 18:
            _max_len(out, (*p, "label"), comp.get("label"), 45, 1)
            _max_len(out, (*p, "description"), comp.get("description"), 100)
            child = comp.get("component") or {}
            out.extend(_validate_interactive(child, (*p, "component")))
        elif comp.get("type") == 1:
            for j, child in enumerate(comp.get("components") or []):
                out.extend(_validate_interactive(child, (*p, "components", j)))
    return out


# --------------------------------------------------------------------------------------------
# Application command schema
# --------------------------------------------------------------------------------------------


def _valid_chat_name(name: Any) -> bool:
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 32
        and all(ch in "-_" or ch.isalnum() for ch in name)
        and name == name.lower()
    )


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
    subs = kinds & {1, 2}
    if subs and kinds - {1, 2}:
        out.append(f"{where}: subcommands/groups cannot be mixed with other options")
    seen: set[str] = set()
    optional_seen = False
    for opt in options:
        name = opt.get("name")
        here = f"{where} option {name!r}"
        if not _valid_chat_name(name):
            out.append(f"{here}: name must be 1-32 lowercase letters, digits, '-' or '_'")
        if name in seen:
            out.append(f"{here}: duplicate option name")
        seen.add(str(name))
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            out.append(f"{here}: description must be 1-100 characters")
        for loc, text in (opt.get("name_localizations") or {}).items():
            if not _valid_chat_name(text):
                out.append(f"{here}: name localization {loc!r} is invalid")
        for loc, text in (opt.get("description_localizations") or {}).items():
            if not isinstance(text, str) or not 1 <= len(text) <= 100:
                out.append(f"{here}: description localization {loc!r} must be 1-100 characters")
        otype = opt.get("type")
        if otype not in range(1, 12):
            out.append(f"{here}: unknown option type {otype!r}")
        if otype in (1, 2):
            if otype == 2 and depth > 0:
                out.append(f"{here}: subcommand groups can only be nested one level")
            if otype == 1 and depth > 1:
                out.append(f"{here}: subcommands nested too deeply")
            children = opt.get("options") or []
            if otype == 2 and any(c.get("type") != 1 for c in children):
                out.append(f"{here}: a subcommand group may only contain subcommands")
            if otype == 1 and any(c.get("type") in (1, 2) for c in children):
                out.append(f"{here}: a subcommand cannot contain subcommands")
            _check_options(children, f"{where} {name}", depth + 1, out)
            continue
        if opt.get("required"):
            if optional_seen:
                out.append(f"{here}: required options must be listed before optional ones")
        else:
            optional_seen = True
        choices = opt.get("choices") or []
        if choices:
            if otype not in (3, 4, 10):
                out.append(f"{here}: choices are only allowed on string/integer/number options")
            if opt.get("autocomplete"):
                out.append(f"{here}: choices and autocomplete are mutually exclusive")
            if len(choices) > 25:
                out.append(f"{here}: {len(choices)} choices (at most 25)")
            for choice in choices:
                cname = choice.get("name")
                if not isinstance(cname, str) or not 1 <= len(cname) <= 100:
                    out.append(f"{here}: choice name {cname!r} must be 1-100 characters")
                value = choice.get("value")
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
        lo_len, hi_len = opt.get("min_length"), opt.get("max_length")
        if lo_len is not None and not 0 <= lo_len <= 6000:
            out.append(f"{here}: min_length must be 0-6000")
        if hi_len is not None and not 1 <= hi_len <= 6000:
            out.append(f"{here}: max_length must be 1-6000")
        if lo_len is not None and hi_len is not None and lo_len > hi_len:
            out.append(f"{here}: min_length > max_length")


def command_problems(command: Mapping[str, Any]) -> list[str]:
    """Problems Discord would report for one application command payload."""
    out: list[str] = []
    ctype = command.get("type", 1)
    name = command.get("name")
    where = f"command {name!r}"
    if ctype == 1:
        if not _valid_chat_name(name):
            out.append(f"{where}: name must be 1-32 lowercase letters, digits, '-' or '_'")
        desc = command.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            out.append(f"{where}: description must be 1-100 characters")
        for loc, text in (command.get("name_localizations") or {}).items():
            if not _valid_chat_name(text):
                out.append(f"{where}: name localization {loc!r} is invalid")
        _check_options(command.get("options") or [], where, 0, out)
    elif ctype in (2, 3):
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            out.append(f"{where}: context menu name must be 1-32 characters")
        if command.get("description"):
            out.append(f"{where}: context menu commands cannot have a description")
        if command.get("options"):
            out.append(f"{where}: context menu commands cannot have options")
    elif ctype != 4:
        out.append(f"{where}: unknown command type {ctype!r}")
    total = (
        len(str(name or ""))
        + len(str(command.get("description") or ""))
        + _option_text(command.get("options") or [])
    )
    if total > 4000:
        out.append(f"{where}: {total} characters of name/description/option text (max 4000)")
    return out


def _cross_command_problems(commands_json: Sequence[Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    seen: set[tuple[int, str]] = set()
    per_type: dict[int, int] = {}
    for command in commands_json:
        key = (int(command.get("type", 1)), str(command.get("name")))
        if key in seen:
            out.append(f"command {key[1]!r}: two commands of type {key[0]} share this name")
        seen.add(key)
        per_type[key[0]] = per_type.get(key[0], 0) + 1
    for ctype, limit in ((1, 100), (2, 15), (3, 15)):
        if per_type.get(ctype, 0) > limit:
            out.append(f"{per_type[ctype]} commands of type {ctype} (at most {limit})")
    return out


def check_command_schema(commands_json: Sequence[Mapping[str, Any]]) -> list[str]:
    """Check a bulk-overwrite body (what ``tree.sync()`` PUTs) the way Discord would.

    Returns a list of human-readable problems (empty when Discord would accept it).
    """
    out: list[str] = []
    for command in commands_json:
        out.extend(command_problems(command))
    out.extend(_cross_command_problems(commands_json))
    return out


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]


_Handler = Callable[[_Request, "re.Match[str]"], Awaitable[tuple[int, Any]]]


class StandIn:
    """Local stand-in for Discord's REST API. Use as ``async with StandIn() as api:``."""

    def __init__(
        self,
        *,
        bot_name: str = "PhaseBot",
        application_id: int | None = None,
        validate_commands: bool = True,
    ) -> None:
        self.application_id: int = application_id or snowflake()
        self.bot_user: JSON = user_payload(
            self.application_id, bot_name, bot=True, discriminator="4242"
        )
        self.bot_user.update({"verified": True, "mfa_enabled": False, "flags": 0})
        owner_id = snowflake()
        self.owner: JSON = user_payload(owner_id, "owner", global_name="Owner")
        self.application: JSON = {
            "id": str(self.application_id),
            "name": bot_name,
            "icon": None,
            "description": "Local stand-in application",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner,
            "team": None,
            "flags": (1 << 19) | (1 << 23),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}, "1": {}},
            "bot": self.bot_user,
        }
        self.validate_commands = validate_commands
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, JSON] = {}
        self.message_history: dict[int, list[JSON]] = {}
        self.message_meta: dict[int, MessageMeta] = {}
        self.deleted_messages: dict[int, JSON] = {}
        self.attachment_data: dict[int, bytes] = {}
        self.channels: dict[int, JSON] = {}
        self.dm_channels: dict[int, JSON] = {}  # user id -> that user's DM with the bot
        self.internal_errors: list[str] = []
        self.interactions: dict[int, InteractionState] = {}
        self._tokens: dict[str, InteractionState] = {}
        # scope (None = global, else guild id) -> {(type, name): command}
        self.commands: dict[int | None, dict[tuple[int, str], JSON]] = {}
        self.command_puts: list[tuple[int | None, list[JSON]]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes: list[tuple[str, re.Pattern[str], str, _Handler]] = []
        self._install_routes()

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
        site = web.SockSite(runner, sock)
        await site.start()
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
    def origin(self) -> str:
        if self._port is None:
            raise RuntimeError("StandIn is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return self.origin + API_PREFIX

    # ---- accessors -----------------------------------------------------------------------

    @property
    def unexpected(self) -> list[RecordedRequest]:
        """Requests to routes the stand-in does not implement."""
        return [r for r in self.requests if r.route is None]

    @property
    def rejected(self) -> list[RecordedRequest]:
        """Requests to known routes answered with a 4xx error."""
        return [r for r in self.requests if r.route is not None and r.status >= 400]

    def requests_matching(self, method: str | None = None, path: str = "") -> list[RecordedRequest]:
        """Recorded requests whose path matches the regex ``path`` (searched)."""
        rx = re.compile(path)
        return [
            r
            for r in self.requests
            if (method is None or r.method == method.upper()) and rx.search(r.path)
        ]

    def message(self, message_id: int | str) -> JSON:
        """The current ("as edited") message; raises KeyError if unknown or deleted."""
        return self.messages[int(message_id)]

    def channel_messages(self, channel_id: int) -> list[JSON]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    def interaction(self, interaction_id: int | str) -> InteractionState:
        return self.interactions[int(interaction_id)]

    def registered_commands(self, guild_id: int | None = None) -> list[JSON]:
        return list(self.commands.get(guild_id, {}).values())

    def registered_command(
        self, name: str, *, guild_id: int | None = None, type: int = 1
    ) -> JSON | None:
        """A command as Discord stores it, looked up in the guild then globally."""
        if guild_id is not None:
            found = self.commands.get(guild_id, {}).get((type, name))
            if found is not None:
                return found
        return self.commands.get(None, {}).get((type, name))

    @property
    def synced(self) -> bool:
        return bool(self.command_puts)

    def add_channel(self, channel: JSON) -> None:
        self.channels[int(channel["id"])] = channel

    def dm_channel(self, user: JSON) -> JSON:
        """The (unique) DM channel between the bot and ``user``, created on first use."""
        uid = int(user["id"])
        channel = self.dm_channels.get(uid)
        if channel is None:
            channel = {
                "id": str(snowflake()),
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [user],
            }
            self.dm_channels[uid] = channel
            self.add_channel(channel)
        return channel

    def dm_recipient(self, channel_id: int) -> int | None:
        for uid, channel in self.dm_channels.items():
            if int(channel["id"]) == channel_id:
                return uid
        return None

    def register_interaction(self, state: InteractionState) -> None:
        self.interactions[state.id] = state
        self._tokens[state.token] = state

    def add_message(
        self, channel_id: int, payload: JSON, *, guild_id: int | None = None, origin: str = "seed"
    ) -> JSON:
        """Put an existing message (e.g. from a user) into the store."""
        mid = int(payload["id"])
        self.messages[mid] = payload
        self.message_history[mid] = [json.loads(json.dumps(payload))]
        self.message_meta[mid] = MessageMeta(channel_id, guild_id, None, origin)
        return payload

    # ---- dispatch ------------------------------------------------------------------------

    def _route(self, method: str, template: str, handler: _Handler) -> None:
        rx = re.escape(template)
        rx = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", rx)
        self._routes.append((method, re.compile(f"^{rx}$"), template, handler))

    def _install_routes(self) -> None:
        r = self._route
        r("GET", "/users/@me", self._get_me)
        r("GET", "/oauth2/applications/@me", self._get_app)
        r("GET", "/applications/@me", self._get_app)
        r("POST", "/users/@me/channels", self._create_dm)
        for base in ("/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"):
            r("PUT", base, self._put_commands)
            r("GET", base, self._get_commands)
            r("POST", base, self._post_command)
            r("GET", base + "/{cmd}", self._get_command)
            r("PATCH", base + "/{cmd}", self._patch_command)
            r("DELETE", base + "/{cmd}", self._delete_command)
        r("POST", "/interactions/{iid}/{token}/callback", self._callback)
        r("POST", "/webhooks/{app}/{token}", self._followup)
        r("GET", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_get)
        r("PATCH", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_patch)
        r("DELETE", "/webhooks/{app}/{token}/messages/{mid}", self._webhook_delete)
        r("GET", "/channels/{cid}", self._get_channel)
        r("POST", "/channels/{cid}/typing", self._typing)
        r("POST", "/channels/{cid}/messages", self._channel_post)
        r("GET", "/channels/{cid}/messages/{mid}", self._channel_get)
        r("PATCH", "/channels/{cid}/messages/{mid}", self._channel_patch)
        r("DELETE", "/channels/{cid}/messages/{mid}", self._channel_delete)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.rel_url.path
        body, files = await self._read_body(request)
        query = dict(request.rel_url.query)
        if request.method == "GET" and path.startswith("/attachments/"):
            return self._serve_attachment(path)
        rec = RecordedRequest(request.method, path, query, body, files, None)
        self.requests.append(rec)
        status: int
        payload: Any
        if not path.startswith(API_PREFIX + "/"):
            status, payload = 404, {"message": "404: Not Found", "code": 0}
        else:
            sub = path[len(API_PREFIX) :]
            status, payload = 404, {"message": "404: Not Found", "code": 0}
            for method, rx, template, handler in self._routes:
                match = rx.match(sub)
                if match is None or method != request.method:
                    continue
                rec.route = f"{method} {template}"
                rec.path = sub
                req = _Request(request.method, sub, query, body, files)
                try:
                    status, payload = await handler(req, match)
                except ApiError as err:
                    status, payload = err.status, err.body()
                except Exception:  # a stand-in bug: never answer 5xx (discord.py would retry)
                    text = traceback.format_exc()
                    self.internal_errors.append(f"{rec.method} {sub}:\n{text}")
                    status, payload = 400, {"message": f"stand-in error: {text}", "code": 0}
                break
            else:
                rec.path = sub
        rec.status, rec.response = status, payload
        if status == 204 or payload is None:
            return web.Response(status=204)
        return web.Response(
            status=status,
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )

    async def _read_body(self, request: web.Request) -> tuple[Any, list[RecordedFile]]:
        files: list[RecordedFile] = []
        if not request.body_exists:
            return None, files
        if request.content_type.startswith("multipart/"):
            body: Any = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    body = json.loads(data.decode())
                else:
                    files.append(
                        RecordedFile(
                            part.name or "",
                            part.filename or "",
                            bytes(data),
                            part.headers.get("Content-Type"),
                        )
                    )
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw.decode()), files
        except ValueError:
            return raw.decode(errors="replace"), files

    def _serve_attachment(self, path: str) -> web.Response:
        parts = path.split("/")
        try:
            data = self.attachment_data[int(parts[3])]
        except (IndexError, ValueError, KeyError):
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    # ---- helpers -------------------------------------------------------------------------

    def _check_app(self, app: str) -> None:
        if app != str(self.application_id):
            raise ApiError(404, 10015, "Unknown Webhook")

    def _channel(self, cid: str) -> JSON:
        try:
            return self.channels[int(cid)]
        except (KeyError, ValueError):
            raise ApiError(404, 10003, "Unknown Channel") from None

    def _attachments(
        self, body: JSON, files: list[RecordedFile], channel_id: int, previous: list[JSON]
    ) -> list[JSON]:
        by_index = {}
        for index, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else index] = f
        requested = body.get("attachments")
        result: list[JSON] = []
        if requested is None:
            result = list(previous)
            specs: list[JSON] = [{"id": i} for i in sorted(by_index)]
        else:
            specs = list(requested)
        old = {str(a["id"]): a for a in previous}
        for spec in specs:
            sid = str(spec.get("id"))
            if sid in old:
                result.append(old[sid])
                continue
            try:
                f = by_index[int(sid)]
            except (KeyError, ValueError):
                raise form_error(
                    [(("attachments",), "ATTACHMENT_NOT_FOUND", f"Unknown attachment {sid}")]
                ) from None
            aid = snowflake()
            filename = spec.get("filename") or f.filename
            self.attachment_data[aid] = f.data
            url = f"{self.origin}/attachments/{channel_id}/{aid}/{filename}"
            att: JSON = {
                "id": str(aid),
                "filename": filename,
                "size": len(f.data),
                "url": url,
                "proxy_url": url,
            }
            if f.content_type and f.content_type != "application/octet-stream":
                att["content_type"] = f.content_type
            if spec.get("description"):
                att["description"] = spec["description"]
            result.append(att)
        return result

    @staticmethod
    def _assign_component_ids(components: list[JSON]) -> list[JSON]:
        comps: list[JSON] = json.loads(json.dumps(components))
        used = {c["id"] for c in walk_components(comps) if isinstance(c.get("id"), int)}
        counter = itertools.count(1)
        for comp in walk_components(comps):
            if not isinstance(comp.get("id"), int):
                nid = next(counter)
                while nid in used:
                    nid = next(counter)
                comp["id"] = nid
                used.add(nid)
        return comps

    @staticmethod
    def _embeds(embeds: list[JSON]) -> list[JSON]:
        out = []
        for embed in embeds:
            e = dict(embed)
            e.setdefault("type", "rich")
            out.append(e)
        return out

    def _new_message(
        self,
        *,
        channel_id: int,
        guild_id: int | None,
        body: JSON,
        files: list[RecordedFile],
        msg_type: int,
        flags: int,
        origin: str,
        interaction: InteractionState | None = None,
        loading: bool = False,
        metadata_extra: JSON | None = None,
    ) -> JSON:
        mid = snowflake()
        msg: JSON = {
            "id": str(mid),
            "type": msg_type,
            "channel_id": str(channel_id),
            "author": self.bot_user,
            "content": "" if loading else (body.get("content") or ""),
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [] if loading else self._attachments(body, files, channel_id, []),
            "embeds": [] if loading else self._embeds(body.get("embeds") or []),
            "components": []
            if loading
            else self._assign_component_ids(body.get("components") or []),
            "pinned": False,
            "flags": flags,
        }
        if body.get("poll") and not loading:
            msg["poll"] = body["poll"]
        ephemeral_user: int | None = None
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            meta: JSON = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user,
                "authorizing_integration_owners": interaction.authorizing_integration_owners,
            }
            if interaction.command_name is not None:
                meta["name"] = interaction.command_name
                meta["command_type"] = interaction.command_type or 1
            if interaction.message_id is not None and interaction.type == 3:
                meta["interacted_message_id"] = str(interaction.message_id)
            meta.update(metadata_extra or {})
            msg["interaction_metadata"] = meta
            if interaction.command_name is not None:
                msg["interaction"] = {
                    "id": str(interaction.id),
                    "type": interaction.type,
                    "name": interaction.command_name,
                    "user": interaction.user,
                }
            if flags & FLAG_EPHEMERAL:
                ephemeral_user = int(interaction.user["id"])
        if body.get("message_reference"):
            msg["message_reference"] = body["message_reference"]
        self.messages[mid] = msg
        self.message_history[mid] = [json.loads(json.dumps(msg))]
        self.message_meta[mid] = MessageMeta(
            channel_id,
            guild_id,
            interaction.id if interaction else None,
            origin,
            ephemeral_user,
        )
        return msg

    def _edit(
        self, mid: int, body: JSON, files: list[RecordedFile], *, clear_loading: bool
    ) -> JSON:
        msg = self.messages[mid]
        flags = int(msg.get("flags", 0))
        new_flags = flags
        if "flags" in body and body["flags"] is not None:
            settable = FLAG_SUPPRESS_EMBEDS | FLAG_COMPONENTS_V2
            new_flags = (flags & ~settable) | (int(body["flags"]) & settable)
        if clear_loading:
            new_flags &= ~FLAG_LOADING
        problems = validate_message_body(body, len(files), creating=False, flags=new_flags)
        if problems:
            raise form_error(problems)
        if "content" in body:
            msg["content"] = body["content"] or ""
        if "embeds" in body:
            msg["embeds"] = self._embeds(body["embeds"] or [])
        if "components" in body:
            msg["components"] = self._assign_component_ids(body["components"] or [])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(
                body, files, int(msg["channel_id"]), msg["attachments"]
            )
        if "poll" in body:
            msg["poll"] = body["poll"]
        msg["flags"] = new_flags
        msg["edited_timestamp"] = iso_now()
        self.message_history[mid].append(json.loads(json.dumps(msg)))
        return msg

    def _delete(self, mid: int) -> None:
        msg = self.messages.pop(mid)
        self.deleted_messages[mid] = msg

    def _interaction_for_token(self, app: str, token: str) -> InteractionState:
        self._check_app(app)
        state = self._tokens.get(token)
        if state is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        return state

    def _webhook_message_id(self, state: InteractionState, mid: str) -> int:
        if mid == "@original":
            if state.original_message_id is None or state.original_message_id not in self.messages:
                raise ApiError(404, 10008, "Unknown Message")
            return state.original_message_id
        try:
            wanted = int(mid)
        except ValueError:
            raise ApiError(404, 10008, "Unknown Message") from None
        if wanted not in self.messages or (
            wanted != state.original_message_id and wanted not in state.followup_ids
        ):
            raise ApiError(404, 10008, "Unknown Message")
        return wanted

    @staticmethod
    def _require_json(body: Any) -> JSON:
        if not isinstance(body, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return body

    # ---- login ---------------------------------------------------------------------------

    async def _get_me(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.bot_user

    async def _get_app(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.application

    async def _create_dm(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        body = self._require_json(req.json)
        rid = int(body.get("recipient_id") or 0)
        known = self.dm_channels.get(rid)
        if known is not None:
            return 200, known
        return 200, self.dm_channel(user_payload(rid, f"user{rid % 10000}"))

    # ---- commands ------------------------------------------------------------------------

    def _scope(self, m: re.Match[str]) -> int | None:
        self._check_app(m.group("app"))
        guild = m.groupdict().get("guild")
        return int(guild) if guild is not None else None

    def _store_command(
        self, scope: int | None, payload: Mapping[str, Any], previous: JSON | None
    ) -> JSON:
        ctype = int(payload.get("type", 1))
        stored: JSON = {
            "id": previous["id"] if previous else str(snowflake()),
            "application_id": str(self.application_id),
            "version": str(snowflake()),
            "type": ctype,
            "name": payload["name"],
            "description": payload.get("description") or "",
            "default_member_permissions": payload.get("default_member_permissions"),
            "nsfw": bool(payload.get("nsfw", False)),
        }
        if payload.get("options"):
            stored["options"] = payload["options"]
        for key in ("name_localizations", "description_localizations"):
            if payload.get(key):
                stored[key] = payload[key]
        if scope is None:
            stored["dm_permission"] = payload.get("dm_permission", True) is not False
            stored["integration_types"] = payload.get("integration_types") or [0]
            stored["contexts"] = payload.get("contexts")
        else:
            stored["guild_id"] = str(scope)
            stored["integration_types"] = [0]
            stored["contexts"] = None
        return stored

    def _validate_commands(self, body: Sequence[Mapping[str, Any]], *, bulk: bool) -> None:
        if not self.validate_commands:
            return
        problems: list[Problem] = []
        for index, command in enumerate(body):
            for text in command_problems(command):
                problems.append(((index,) if bulk else (), "APPLICATION_COMMAND_INVALID", text))
        if bulk:
            for text in _cross_command_problems(body):
                problems.append(((), "APPLICATION_COMMANDS_INVALID", text))
        if problems:
            raise form_error(problems)

    async def _put_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        scope = self._scope(m)
        body = req.json
        if not isinstance(body, list):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        self._validate_commands(body, bulk=True)
        self.command_puts.append((scope, json.loads(json.dumps(body))))
        old = self.commands.get(scope, {})
        new: dict[tuple[int, str], JSON] = {}
        for payload in body:
            key = (int(payload.get("type", 1)), str(payload["name"]))
            new[key] = self._store_command(scope, payload, old.get(key))
        self.commands[scope] = new
        return 200, list(new.values())

    async def _get_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, list(self.commands.get(self._scope(m), {}).values())

    async def _post_command(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        scope = self._scope(m)
        payload = self._require_json(req.json)
        self._validate_commands([payload], bulk=False)
        bucket = self.commands.setdefault(scope, {})
        key = (int(payload.get("type", 1)), str(payload["name"]))
        existed = key in bucket
        bucket[key] = self._store_command(scope, payload, bucket.get(key))
        return (200 if existed else 201), bucket[key]

    def _find_command(self, scope: int | None, cmd: str) -> tuple[tuple[int, str], JSON]:
        for key, command in self.commands.get(scope, {}).items():
            if command["id"] == cmd:
                return key, command
        raise ApiError(404, 10063, "Unknown application command")

    async def _get_command(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._find_command(self._scope(m), m.group("cmd"))[1]

    async def _patch_command(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        scope = self._scope(m)
        key, command = self._find_command(scope, m.group("cmd"))
        merged = {**command, **self._require_json(req.json)}
        self._validate_commands([merged], bulk=False)
        bucket = self.commands[scope]
        del bucket[key]
        new_key = (int(merged.get("type", 1)), str(merged["name"]))
        bucket[new_key] = self._store_command(scope, merged, command)
        return 200, bucket[new_key]

    async def _delete_command(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        scope = self._scope(m)
        key, _ = self._find_command(scope, m.group("cmd"))
        del self.commands[scope][key]
        return 204, None

    # ---- interaction callback ------------------------------------------------------------

    async def _callback(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        state = self.interactions.get(int(m.group("iid")))
        if state is None or state.token != m.group("token"):
            raise ApiError(404, 10062, "Unknown interaction")
        body = self._require_json(req.json)
        state.callback_attempts.append(body)
        if state.callback_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        ctype = body.get("type")
        allowed = _ALLOWED_CALLBACKS.get(state.type, frozenset())
        if state.type == INTERACTION_MODAL_SUBMIT and state.message_id is None:
            allowed = allowed - {6, 7}
        if ctype not in allowed:
            raise form_error(
                [
                    (
                        ("type",),
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype!r} is not valid for interaction type {state.type}",
                    )
                ]
            )
        data: JSON = body.get("data") or {}
        info: JSON = {"id": str(state.id), "type": state.type}
        resource: JSON = {"type": ctype}
        if ctype == CALLBACK_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & _SETTABLE_FLAGS
            problems = validate_message_body(
                data, len(req.files), ("data",), creating=True, flags=flags
            )
            if not problems and not _has_message_content(data, req.files):
                raise ApiError(400, 50006, "Cannot send an empty message")
            if problems:
                raise form_error(problems)
            msg = self._new_message(
                channel_id=state.channel_id or 0,
                guild_id=state.guild_id,
                body=data,
                files=req.files,
                msg_type=self._response_type(state),
                flags=flags,
                origin="response",
                interaction=state,
            )
            state.original_message_id = int(msg["id"])
            info.update(
                response_message_id=msg["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(flags & FLAG_EPHEMERAL),
            )
            resource["message"] = msg
        elif ctype == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
            flags = (int(data.get("flags") or 0) & FLAG_EPHEMERAL) | FLAG_LOADING
            msg = self._new_message(
                channel_id=state.channel_id or 0,
                guild_id=state.guild_id,
                body={},
                files=[],
                msg_type=self._response_type(state),
                flags=flags,
                origin="response",
                interaction=state,
                loading=True,
            )
            state.original_message_id = int(msg["id"])
            state.loading = True
            info.update(
                response_message_id=msg["id"],
                response_message_loading=True,
                response_message_ephemeral=bool(flags & FLAG_EPHEMERAL),
            )
        elif ctype in (CALLBACK_DEFERRED_UPDATE_MESSAGE, CALLBACK_UPDATE_MESSAGE):
            target = state.message_id
            if target is None or target not in self.messages:
                raise ApiError(404, 10008, "Unknown Message")
            state.original_message_id = target
            if ctype == CALLBACK_UPDATE_MESSAGE:
                msg = self._edit(target, data, req.files, clear_loading=False)
                resource["message"] = msg
                info.update(
                    response_message_id=msg["id"],
                    response_message_loading=False,
                    response_message_ephemeral=bool(int(msg["flags"]) & FLAG_EPHEMERAL),
                )
        elif ctype == CALLBACK_AUTOCOMPLETE_RESULT:
            problems = validate_choices(data.get("choices"), state.focused_type)
            if problems:
                raise form_error(problems)
            state.choices = list(data.get("choices") or [])
        elif ctype == CALLBACK_MODAL:
            problems = validate_modal(data)
            if problems:
                raise form_error(problems)
            state.modal = data
        elif ctype == CALLBACK_LAUNCH_ACTIVITY:
            instance = f"i-{snowflake()}"
            info["activity_instance_id"] = instance
            resource["activity_instance"] = {"id": instance}
        state.callback_type = ctype
        state.callback = body
        return 200, {"interaction": info, "resource": resource}

    @staticmethod
    def _response_type(state: InteractionState) -> int:
        if state.type == INTERACTION_APPLICATION_COMMAND:
            return 20 if (state.command_type or 1) == 1 else 23
        return 0

    # ---- followups / webhook messages ----------------------------------------------------

    async def _followup(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
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
        problems = validate_message_body(body, len(req.files), creating=True, flags=flags)
        if not problems and not _has_message_content(body, req.files):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if problems:
            raise form_error(problems)
        extra: JSON = {}
        if state.original_message_id is not None:
            extra["original_response_message_id"] = str(state.original_message_id)
        msg = self._new_message(
            channel_id=state.channel_id or 0,
            guild_id=state.guild_id,
            body=body,
            files=req.files,
            msg_type=self._response_type(state),
            flags=flags,
            origin="followup",
            interaction=state,
            metadata_extra=extra,
        )
        state.followup_ids.append(int(msg["id"]))
        return (200, msg) if wait else (204, None)

    async def _webhook_get(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        state = self._interaction_for_token(m.group("app"), m.group("token"))
        return 200, self.messages[self._webhook_message_id(state, m.group("mid"))]

    async def _webhook_patch(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        state = self._interaction_for_token(m.group("app"), m.group("token"))
        mid = self._webhook_message_id(state, m.group("mid"))
        body = self._require_json(req.json)
        clear = state.loading and mid == state.original_message_id
        msg = self._edit(mid, body, req.files, clear_loading=clear)
        if clear:
            state.loading = False
        return 200, msg

    async def _webhook_delete(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        state = self._interaction_for_token(m.group("app"), m.group("token"))
        mid = self._webhook_message_id(state, m.group("mid"))
        self._delete(mid)
        if mid == state.original_message_id:
            state.loading = False
        return 204, None

    # ---- channels ------------------------------------------------------------------------

    async def _get_channel(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self._channel(m.group("cid"))

    async def _typing(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._channel(m.group("cid"))
        return 204, None

    async def _channel_post(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        channel = self._channel(m.group("cid"))
        body = self._require_json(req.json)
        flags = int(body.get("flags") or 0) & (_SETTABLE_FLAGS & ~FLAG_EPHEMERAL)
        problems = validate_message_body(body, len(req.files), creating=True, flags=flags)
        if not problems and not _has_message_content(body, req.files):
            raise ApiError(400, 50006, "Cannot send an empty message")
        if problems:
            raise form_error(problems)
        guild_id = channel.get("guild_id")
        msg = self._new_message(
            channel_id=int(channel["id"]),
            guild_id=int(guild_id) if guild_id else None,
            body=body,
            files=req.files,
            msg_type=19 if body.get("message_reference") else 0,
            flags=flags,
            origin="channel",
        )
        return 200, msg

    def _channel_message(self, m: re.Match[str]) -> int:
        self._channel(m.group("cid"))
        mid = int(m.group("mid"))
        msg = self.messages.get(mid)
        if msg is None or msg["channel_id"] != m.group("cid"):
            raise ApiError(404, 10008, "Unknown Message")
        return mid

    async def _channel_get(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        return 200, self.messages[self._channel_message(m)]

    async def _channel_patch(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        mid = self._channel_message(m)
        if self.messages[mid]["author"]["id"] != self.bot_user["id"]:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        return 200, self._edit(mid, self._require_json(req.json), req.files, clear_loading=False)

    async def _channel_delete(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        self._delete(self._channel_message(m))
        return 204, None


def _has_message_content(body: JSON, files: Sequence[RecordedFile]) -> bool:
    return bool(
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
    )
