"""A team's view on Discord, end to end: overview, timeline picture, export, announcements
(and their failures), reminders (with the injected clock, never a sleep)."""

from __future__ import annotations

import copy
import csv
import io
import logging
from typing import Any

import pytest
from PIL import Image

from bot.core import team
from bot.core.state import Place
from bot.discord import notices
from tests.conftest import PHASE_KEYS
from tests.discord.conftest import Clock
from tests.discord.harness import Harness, InteractionResult
from tests.discord.standin import JSON, snowflake
from tests.discord.test_project_helpers import (
    EDITOR,
    MANAGER,
    MEMBER,
    NEEDS_MANAGER,
    assert_refused,
    set_phase,
    tracker_of,
)

VIEW_CHANNEL = 1 << 10


def add_channel(h: Harness, name: str, *, hidden: bool = False) -> JSON:
    """Another text channel of the guild, which discord.py and the stand-in both know;
    ``hidden``: members can't view it."""
    channel: JSON = {
        "id": str(snowflake()),
        "type": 0,
        "guild_id": str(h.world.guild_id),
        "name": name,
        "position": 1,
        "parent_id": None,
        "permission_overwrites": (
            [{"id": str(h.world.guild_id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
            if hidden
            else []
        ),
        "flags": 0,
    }
    h.bot._connection.parse_channel_create(copy.deepcopy(channel))  # as the gateway delivers it
    h.standin.add_channel(channel)
    return channel


async def in_channel(
    h: Harness, channel: JSON, name: str, options: dict[str, Any] | None = None, **kwargs: Any
) -> InteractionResult:
    payload = h.builder.slash(name, options, **kwargs)
    payload["channel_id"] = channel["id"]
    payload["channel"] = {**channel, "permissions": payload["channel"]["permissions"]}
    return await h.feed(payload)


def posts(h: Harness, channel_id: int | str) -> list[JSON]:
    """Messages the bot posted in a channel on its own (not answers to interactions)."""
    return [m for m in h.standin.channel_messages(int(channel_id)) if m["type"] == 0]


def file_of(result: InteractionResult) -> tuple[str, bytes]:
    (found,) = [f for r in result.requests for f in r.files]
    return found.filename, found.data


async def test_the_overview_lists_what_the_member_can_see(harness: Harness) -> None:
    await set_phase(harness, "design")
    qa = add_channel(harness, "qa")
    secret = add_channel(harness, "secret", hidden=True)
    await in_channel(harness, qa, "project set", {"phase": "testing"}, permissions=EDITOR)
    await in_channel(harness, secret, "project set", {"phase": "planning"}, permissions=EDITOR)
    result = await harness.command("project overview", permissions=MEMBER)
    assert not result.ephemeral
    embed = result.embed()
    lines = embed["description"].splitlines()
    assert [line.split(" · ")[0] for line in lines] == [
        f"<#{harness.world.channel_id}>",
        f"<#{qa['id']}>",
    ]
    assert lines[1].startswith(f"<#{qa['id']}> · **Testing** ▰▰▰▰▰▱▱▱ · Waterfall · since <t:")
    assert lines[1].endswith(" · 0/3 ticked")
    assert embed["footer"]["text"] == "Page 1 of 1 · 2 channels · longest in their phase first"


async def test_the_timeline_is_a_picture_in_the_embed(harness: Harness, clock: Clock) -> None:
    for phase in PHASE_KEYS[:4]:
        await set_phase(harness, phase)
        clock.advance(days=2)
    result = await harness.command("project timeline", permissions=MEMBER)
    name, data = file_of(result)
    assert name == "timeline.png" and result.attachments[0]["filename"] == "timeline.png"
    assert result.embed()["image"]["url"] == "attachment://timeline.png"
    assert Image.open(io.BytesIO(data)).size == (1200, 520)
    assert len(data) < 8 * 1024 * 1024
    assert "4 moves · 1 iteration" in result.embed()["description"]
    secret = add_channel(harness, "secret", hidden=True)
    refused = await harness.command(
        "project timeline", {"channel": secret}, permissions=MEMBER, check=False
    )
    assert_refused(refused, "I can't show you that channel: you can't see it, or I can't.")


async def test_the_export_is_a_file_of_every_event(harness: Harness) -> None:
    await set_phase(harness, "planning", '=HYPERLINK("x")')
    await harness.command("project next", {"note": "@everyone"}, permissions=EDITOR)
    result = await harness.command("project export", {"format": "csv"}, permissions=MEMBER)
    name, data = file_of(result)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert name == "history.csv" and len(rows) == 2
    assert [r["note"] for r in rows] == ['\'=HYPERLINK("x")', "'@everyone"]
    assert rows[1]["who_id"] == str(harness.world.user.id)


async def test_a_move_is_announced_and_a_failed_announcement_is_told_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    releases = add_channel(harness, "releases")
    await set_phase(harness, "design")
    refused = await harness.command("project announce", {"channel": releases}, permissions=MEMBER)
    assert_refused(refused, NEEDS_MANAGER)
    on = await harness.command("project announce", {"channel": releases}, permissions=MANAGER)
    assert on.embed()["title"] == "Announcements on"
    moved = await harness.command("project next", {"note": "ready"}, permissions=EDITOR)
    assert moved.embed()["title"].startswith("Moved to Phase 4")
    (posted,) = posts(harness, releases["id"])
    assert posted["embeds"][0]["title"] == "📣 Phase 4 of 8 · Implementation (Coding)"
    assert posted["embeds"][0]["description"].startswith(f"<#{harness.world.channel_id}>: Design")
    del harness.standin.channels[int(releases["id"])]  # the channel is deleted
    harness.bot._connection.parse_channel_delete(copy.deepcopy(releases))
    with caplog.at_level(logging.WARNING, logger="bot"):
        moved = await harness.command("project next", permissions=EDITOR, check=False)
    assert moved.embed()["title"].startswith("Moved to Phase 5")  # the change stands
    (notice,) = moved.followups
    assert notice["flags"] & 64 and "couldn't announce it" in notice["content"]
    warnings = [
        r for r in caplog.records if r.name.startswith("bot") and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (await tracker_of(harness).status(harness_scope(harness))).state.phase_key == "testing"


def harness_scope(h: Harness) -> Any:
    from bot.core.state import Scope

    return Scope("discord", str(h.world.guild_id), str(h.world.channel_id))


async def test_a_reminder_is_posted_once_when_due(harness: Harness, clock: Clock) -> None:
    await set_phase(harness, "testing")
    refused = await harness.command("project remind", {"days": 3}, permissions=MEMBER)
    assert refused.ephemeral
    on = await harness.command("project remind", {"days": 3}, permissions=EDITOR)
    assert on.embed()["title"] == "Reminders on"
    bot = harness.bot
    clock.advance(days=2)
    assert await notices.send_reminders(bot, clock()) == clock() + team.timedelta(days=1)
    assert posts(harness, harness.world.channel_id) == []
    clock.advance(days=1)
    await notices.send_reminders(bot, clock())
    await notices.send_reminders(bot, clock())  # again: nothing more
    (reminder,) = posts(harness, harness.world.channel_id)
    assert reminder["embeds"][0]["title"] == "⏰ Still in Testing?"
    assert [c["custom_id"] for row in reminder["components"] for c in row["components"]] == [
        "pb:status"
    ]
    assert "Still open" in [f["name"] for f in reminder["embeds"][0]["fields"]]


async def test_a_reminder_claimed_by_another_process_is_not_sent_here(
    harness: Harness, clock: Clock, open_bot: Any
) -> None:
    await set_phase(harness, "design")
    await harness.command("project remind", {"days": 1}, permissions=EDITOR)
    clock.advance(days=1)
    async with open_bot() as other:  # another process on the same database claims it first
        tracker = other.runner.app.tracker
        (due,), _ = await team.reminders(tracker, "discord", clock())
        assert await team.claim(tracker, due, clock())
    await notices.send_reminders(harness.bot, clock())
    assert posts(harness, harness.world.channel_id) == []
    place = Place("discord", str(harness.world.guild_id), str(harness.world.channel_id))
    assert await tracker_of(harness).setting(place, team.REMINDED) == due.marker


async def test_a_slow_answer_is_deferred_within_discords_three_seconds(
    harness: Harness, settings: Any
) -> None:
    """A busy database makes a change wait (up to SQLite's busy timeout): the answer is
    deferred first, so Discord doesn't give up on it, then it comes as a follow-up."""
    import sqlite3
    import threading

    await set_phase(harness, "design")
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        db = sqlite3.connect(settings.database_path, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(10)
        db.execute("ROLLBACK")
        db.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(5)
    try:
        result = await harness.command("project next", permissions=EDITOR, check=False)
    finally:
        release.set()
        holder.join()
    assert result.callback_type == 5  # deferred: "phasebot is thinking…"
    (refusal,) = result.followups
    assert refusal["flags"] & 64, "a refusal reaches its user alone, even after a defer"
    assert refusal["content"].startswith("The database is busy")
    assert result.state.original_message_id is None  # the public "thinking" is gone
    assert (await tracker_of(harness).status(harness_scope(harness))).state.phase_key == "design"


async def test_a_slow_click_is_deferred_too(harness: Harness, settings: Any) -> None:
    import sqlite3
    import threading

    shown = await harness.command("phase", {"name": "design"}, permissions=EDITOR)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        db = sqlite3.connect(settings.database_path, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(10)
        db.execute("ROLLBACK")
        db.close()

    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(5)
    try:
        clicked = await harness.click(shown, "pb:setphase:design", permissions=EDITOR, check=False)
    finally:
        release.set()
        holder.join()
    assert clicked.callback_type == 6  # deferred within Discord's 3 seconds
    (refusal,) = clicked.followups
    assert refusal["flags"] & 64 and refusal["content"].startswith("The database is busy")
    assert (await tracker_of(harness).status(harness_scope(harness))).state.phase_key is None
