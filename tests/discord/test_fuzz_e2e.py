"""Fuzzing through discord.py's real dispatch: Hypothesis makes interactions, both ones
a Discord client can send and forged ones (wrong types, values out of range, unknown
subcommands and options, junk autocomplete values, forged button ids, DMs, other people's
chats, missing permissions), and sends each through the stand-in. For every one:

* it gets exactly one response, of a type that suits it (a message for a command, a
  choice list for an autocomplete, a message or an edit for a button);
* nothing is logged at ERROR (a client's input is never a bug);
* a refusal writes nothing.

``HYPOTHESIS_PROFILE=slow`` runs many more examples than CI does.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.core.commands import COMMANDS
from bot.core.surface import Kind, Option
from bot.discord.bot import PhaseBot
from bot.services import load_services, make_runner
from bot.storage import SQLiteRepository
from tests.discord.harness import Harness, InteractionResult, UnsendableInteraction
from tests.discord.standin import JSON
from tests.discord.test_project_helpers import (
    EDITOR,
    MANAGER,
    MEMBER,
    OWNER,
    database_rows,
)

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "slow", max_examples=400, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SERVICES = load_services()
OFFERED = [c for c in COMMANDS if c.offered_on("discord")]
JUNK = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
WORDS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
) | st.sampled_from(["testing", "design", "1", "agile", "spiral", "mlops", "fix-bugs", "qa"])
CUSTOM_IDS = st.one_of(
    st.sampled_from(
        [
            "pb:phase:testing",
            "pb:setphase:design",
            "pb:status",
            "pb:ov:2",
            "pb:hist:older:5:10",
            "pb:hist:newer:9223372036854775808:5",
            "pb:reset:yes:1:99999999999",
            "pb:reset:no:1:1",
        ]
    ),
    st.builds(
        lambda kind, fields: f"pb:{kind}:{':'.join(fields)}",
        st.sampled_from(["phase", "setphase", "cmp", "hist", "reset", "ov", "x"]),
        st.lists(
            st.text(alphabet=string.ascii_letters + string.digits + "-", max_size=25), max_size=4
        ),
    ),
)


@dataclass(frozen=True)
class Send:
    """One interaction to make: what, how forged, by whom, where."""

    kind: str  # "command", "autocomplete" or "click"
    command: str
    options: dict[str, Any]
    forge: tuple[str, Any] | None  # (option to overwrite, value) or a structural forgery
    permissions: int
    context: str
    custom_id: str = ""


CHANNEL = "<the world's channel>"


def _valid(option: Option) -> st.SearchStrategy[Any]:
    if option.choices:
        return st.sampled_from(option.choices)
    if option.kind is Kind.INTEGER:
        return st.integers(option.min_value or 0, option.max_value or 10**6)
    if option.kind is Kind.BOOLEAN:
        return st.booleans()
    if option.kind is Kind.CHANNEL:
        return st.just(CHANNEL)
    if option.kind is Kind.ROLE:
        return st.integers(10**17, 10**18).map(
            lambda i: {"id": str(i), "permissions": "0", "name": "r"}
        )
    return WORDS.map(lambda w: w[: option.max_length or 100])


@st.composite
def sends(draw: st.DrawFn) -> Send:
    kind = draw(st.sampled_from(["command", "command", "autocomplete", "click"]))
    permissions = draw(st.sampled_from([MEMBER, EDITOR, MANAGER, OWNER]))
    context = draw(st.sampled_from(["guild", "guild", "guild", "bot_dm", "private_channel"]))
    if kind == "click":
        return Send(kind, "", {}, None, permissions, "guild", draw(CUSTOM_IDS))
    candidates = (
        OFFERED if kind == "command" else [c for c in OFFERED if any(o.complete for o in c.options)]
    )
    command = draw(st.sampled_from(candidates))
    offered = [o for o in command.options if o.offered_on("discord")]
    options = {o.name: draw(_valid(o)) for o in offered if o.required or draw(st.booleans())}
    forge: tuple[str, Any] | None = None
    if kind == "autocomplete":
        focus = draw(st.sampled_from([o for o in offered if o.complete]))
        options[focus.name] = draw(st.text(max_size=30))
        forge = ("focus", focus.name) if draw(st.booleans()) else ("focus-junk", focus.name)
    elif draw(st.integers(0, 3)) == 0 and options:  # a forged value
        forge = (draw(st.sampled_from(sorted(options))), draw(JUNK))
    elif draw(st.integers(0, 9)) == 0:
        forge = (draw(st.sampled_from(["unknown-subcommand", "unknown-option", "missing"])), None)
    return Send(kind, command.name, options, forge, permissions, context)


@contextmanager
def errors_logged() -> Iterator[list[logging.LogRecord]]:
    found: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                found.append(record)

    handler = Keep()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield found
    finally:
        root.removeHandler(handler)


def _payload(h: Harness, send: Send) -> JSON | None:
    """The interaction as a client (or a forger) would send it; None if not even a
    forger could build it (the builder refuses what Discord itself would refuse)."""
    focused = send.forge[1] if send.forge and send.forge[0].startswith("focus") else None
    options = {k: h.world.guild_channel() if v == CHANNEL else v for k, v in send.options.items()}
    try:
        payload = h.builder.slash(
            send.command,
            options,
            context=send.context,  # type: ignore[arg-type]
            permissions=send.permissions,
            focused=focused,
        )
    except UnsendableInteraction:
        return None
    data = payload["data"]
    leaf = data
    if data.get("options") and data["options"][0]["type"] == 1:
        leaf = data["options"][0]
    if send.forge is None:
        return payload
    what, value = send.forge
    if what == "focus-junk":
        for option in leaf.get("options", []):
            if option.get("focused"):
                option["value"] = 12345
    elif what == "unknown-subcommand" and leaf is not data:
        leaf["name"] = "roadmap"
    elif what == "unknown-option" and leaf.get("options"):
        leaf["options"][0]["name"] = "renamed"
    elif what == "missing":
        leaf["options"] = []
    elif what in {o.get("name") for o in leaf.get("options", [])}:
        for option in leaf["options"]:
            if option["name"] == what:
                option["value"] = value
    return payload


async def _message_with_button(h: Harness, custom_id: str) -> int:
    sent = await h.command("phase", {"name": "testing"})
    assert sent.message is not None
    forged = copy.deepcopy(sent.message)
    forged["id"] = str(int(forged["id"]) + 1)
    forged["components"] = [
        {"type": 1, "components": [{"type": 2, "style": 2, "label": "b", "custom_id": custom_id}]}
    ]
    h.standin.add_message(h.world.channel_id, forged, guild_id=h.world.guild_id)
    return int(forged["id"])


def _suits(send: Send, result: InteractionResult) -> bool:
    if send.kind == "autocomplete":
        return result.callback_type == 8
    if send.kind == "click":
        return result.callback_type in (4, 5, 6, 7)
    return result.callback_type in (4, 5)


async def _run(sends_: list[Send], folder: Path) -> None:
    path = folder / "fuzz.sqlite3"
    config = Settings(_env_file=None, database_path=path)  # type: ignore[call-arg]
    async with await SQLiteRepository.open(path) as repository:
        bot = PhaseBot(config, make_runner(SERVICES, repository))
        async with Harness(bot, sync=True) as h:
            await h.command("project set", {"phase": "planning"}, permissions=OWNER)
            for send in sends_:
                before = database_rows(path)
                with errors_logged() as errors:
                    if send.kind == "click":
                        message = await _message_with_button(h, send.custom_id)
                        before = database_rows(path)
                        result = await h.click(
                            message, send.custom_id, permissions=send.permissions, check=False
                        )
                    else:
                        payload = _payload(h, send)
                        if payload is None:
                            continue
                        result = await h.feed(payload, check=False)
                assert errors == [], (send, [r.getMessage() for r in errors])
                assert result.rejected == [], (send, result.rejected)
                assert _suits(send, result), (send, result.callback_type, result.text())
                if result.ephemeral:
                    assert database_rows(path) == before, (send, result.text())


@given(st.data())
def test_no_interaction_breaks_the_bot(tmp_path_factory: Any, data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    batch = data.draw(st.lists(sends(), min_size=5, max_size=12))
    asyncio.run(_run(batch, folder))
