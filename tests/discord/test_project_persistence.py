"""/project under load, across restarts and across channels; the history as an audit log."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime

import pytest

from bot.config import Settings
from tests.discord.conftest import Clock
from tests.discord.harness import FakeUser, Harness, InteractionResult
from tests.discord.standin import snowflake
from tests.discord.test_project_helpers import (
    AT_LAST,
    EDITOR,
    MANAGER,
    MEMBER,
    PHASES,
    Elsewhere,
    OpenBot,
    assert_refused,
    command_with_roles,
    create_role,
    dm_scope,
    editor,
    events,
    here,
    restarted,
    role_option,
    set_phase,
    status,
    table_rows,
    uid,
)

pytestmark = pytest.mark.store_backends("sqlite", "postgres")

PHASE_TITLES = [
    "Moved to Phase 2 of 8 · Analysis",
    "Moved to Phase 3 of 8 · Design",
    "Moved to Phase 4 of 8 · Implementation (Coding)",
    "Moved to Phase 5 of 8 · Testing",
    "Moved to Phase 6 of 8 · Deployment",
    "Moved to Phase 7 of 8 · Maintenance and Support",
    "Moved to Phase 8 of 8 · Retirement/Phase-out",
]


def shown(result: InteractionResult) -> list[dict[str, object]]:
    """The embeds without their colour-free noise (for before/after comparisons)."""
    return [{k: v for k, v in e.items() if k != "flags"} for e in result.embeds]


# -- concurrency --------------------------------------------------------------------------


async def test_fifty_concurrent_nexts_stop_at_retirement(harness: Harness) -> None:
    await set_phase(harness, "planning")
    users = [FakeUser.new(f"dev{i}") for i in range(50)]

    results = await asyncio.gather(
        *(harness.command("project next", user=u, permissions=EDITOR) for u in users)
    )

    moved = [r for r in results if not r.ephemeral]
    refused = [r for r in results if r.ephemeral]
    assert sorted(r.embed()["title"] for r in moved) == sorted(PHASE_TITLES)
    assert len(refused) == 43
    for result in refused:
        assert_refused(result, AT_LAST)
    assert all(r.callback_type == 4 for r in results)

    history = await events(harness)
    assert [(e.from_phase, e.to_phase) for e in reversed(history)] == [
        (None, "planning"),
        *itertools.pairwise(PHASES),
    ]
    movers = {r.state.user["id"] for r in moved}
    assert {e.actor.id for e in history[:7]} == movers
    assert len(movers) == 7
    assert (await status(harness)).state.phase_key == "retirement"


async def test_concurrent_changes_in_two_channels_stay_apart(harness: Harness) -> None:
    other = Elsewhere(harness, name="backend")
    await set_phase(harness, "planning")
    started = await other.command("project set", {"phase": "design"}, permissions=EDITOR)
    assert not started.ephemeral

    here_next = [editor(harness, "project next") for _ in range(20)]
    there_check = [
        other.command("project check", {"activity": "user-interfaces"}, permissions=EDITOR)
        for _ in range(11)
    ]
    results = await asyncio.gather(*here_next, *there_check)

    assert sum(not r.ephemeral for r in results[:20]) == 7
    assert all(not r.ephemeral for r in results[20:])
    assert (await status(harness)).state.phase_key == "retirement"
    there = await status(harness, other.scope)
    assert there.state.phase_key == "design"
    assert set(there.ticks) == {"user-interfaces"}  # ticked 11 times: on
    assert len(await events(harness)) == 8
    assert len(await events(harness, other.scope)) == 12


# -- restarts -----------------------------------------------------------------------------


async def test_a_restart_keeps_everything(harness: Harness, open_bot: OpenBot) -> None:
    ann, bob, pat, dana = (FakeUser.new(n) for n in ("ann", "bob", "pat", "dana"))
    role_id = snowflake()
    await create_role(harness, role_id)  # the restarted bot learns it from GUILD_CREATE
    await harness.command(
        "project editor-role", {"role": role_option(role_id)}, permissions=MANAGER
    )
    await editor(harness, "project methodology", {"name": "agile"}, user=ann)
    await set_phase(harness, "deployment", "release 1", user=ann)
    await editor(harness, "project check", {"activity": "1"}, user=bob)
    await editor(harness, "project next", {"note": "iteration done"}, user=ann)
    await editor(harness, "project check", {"activity": "feasibility-studies"}, user=bob)
    await harness.command(
        "project set", {"phase": "testing"}, user=dana, context="bot_dm", permissions=0
    )
    status_before = shown(await harness.command("project status"))
    history_before = shown(await harness.command("project history"))
    dm_before = shown(await harness.command("project status", user=dana, context="bot_dm"))
    choices_before = (await harness.autocomplete("project check", "activity", "")).choices
    assert "Methodology: **Agile** · Iteration **2**" in str(status_before)
    assert choices_before is not None and choices_before[0]["name"].startswith("☑ ")

    async with restarted(harness, open_bot) as second:
        assert shown(await second.command("project status")) == status_before
        assert shown(await second.command("project history")) == history_before
        assert shown(await second.command("project status", user=dana, context="bot_dm")) == (
            dm_before
        )
        assert (await second.autocomplete("project check", "activity", "")).choices == (
            choices_before
        )
        state = (await status(second)).state
        assert (state.phase_key, state.methodology, state.iteration) == ("planning", "agile", 2)
        # The editor role still counts, and the next change continues the same history.
        moved = await command_with_roles(
            second, "project next", roles=(role_id,), user=pat, permissions=MEMBER
        )
        assert moved.embed()["title"] == "Moved to Phase 2 of 8 · Analysis"
        history = await events(second)
        assert len(history) == 6 and history[0].actor.id == uid(pat)


async def test_buttons_sent_before_a_restart_still_work(
    harness: Harness, open_bot: OpenBot
) -> None:
    await set_phase(harness, "planning")
    for _ in range(3):
        await editor(harness, "project next")
    phase_message = await harness.command("phase", {"name": "testing"})
    history_message = await harness.command("project history", {"limit": 2})
    phase_id, history_id = phase_message.message_id, history_message.message_id
    assert phase_id is not None and history_id is not None

    async with restarted(harness, open_bot) as second:
        older_id = next(c for c in history_message.custom_ids() if ":older:" in c)
        older = await second.click(history_id, older_id)
        assert older.callback_type == 7
        assert older.embed()["footer"]["text"] == "Page 2 of 2 · 4 entries · newest first"

        refused = await second.click(phase_id, "pb:setphase:testing", permissions=MEMBER)
        assert refused.ephemeral and "Manage Channels" in refused.content
        moved = await second.click(phase_id, "pb:setphase:testing", permissions=EDITOR)
        assert moved.embed()["title"] == "Moved to Phase 5 of 8 · Testing"
        assert (await status(second)).state.phase_key == "testing"


# -- channels -----------------------------------------------------------------------------


async def test_two_channels_never_see_each_others_data(harness: Harness) -> None:
    other = Elsewhere(harness, name="backend")
    await set_phase(harness, "implementation", "api first")
    await editor(harness, "project check", {"activity": "write-code"})
    await other.command("project methodology", {"name": "spiral"}, permissions=EDITOR)
    await other.command("project set", {"phase": "design"}, permissions=EDITOR)
    await other.command("project check", {"activity": "user-interfaces"}, permissions=EDITOR)

    mine = (await harness.command("project status")).embed()
    theirs = (await other.command("project status")).embed()
    assert mine["title"] == "Phase 4 of 8 · Implementation (Coding)"
    assert "Methodology: **Waterfall**" in mine["description"]
    assert theirs["title"] == "Phase 3 of 8 · Design"
    assert "Methodology: **Spiral** · Iteration **1**" in theirs["description"]
    assert mine["fields"][0]["name"] == "Checklist · 1/3 done"
    assert theirs["fields"][0]["name"] == "Checklist · 1/5 done"
    assert "☑ Design user interfaces." in theirs["fields"][0]["value"]
    assert "Design user interfaces." not in mine["fields"][0]["value"]

    my_history = (await harness.command("project history")).embed()
    their_history = (await other.command("project history")).embed()
    assert "“api first”" in my_history["description"]
    assert "api first" not in their_history["description"]
    assert my_history["footer"]["text"] == "Page 1 of 1 · 2 entries · newest first"
    assert their_history["footer"]["text"] == "Page 1 of 1 · 3 entries · newest first"

    payload = other.builder.slash("project check", {"activity": ""}, focused="activity")
    suggested = await harness.feed(payload)
    assert suggested.choices is not None
    assert [c["value"] for c in suggested.choices][:2] == [
        "system-architecture",
        "data-structures-and-interfaces",
    ]


async def test_dms_are_per_user_and_apart_from_servers(harness: Harness) -> None:
    dana, eve = FakeUser.new("dana"), FakeUser.new("eve")
    await set_phase(harness, "testing")
    await harness.command("project set", {"phase": "design"}, user=dana, context="bot_dm")
    await harness.command("project set", {"phase": "analysis"}, user=eve, context="bot_dm")

    assert (await status(harness, dm_scope(harness, dana))).state.phase_key == "design"
    assert (await status(harness, dm_scope(harness, eve))).state.phase_key == "analysis"
    assert (await status(harness, here(harness))).state.phase_key == "testing"
    dana_history = await harness.command("project history", user=dana, context="bot_dm")
    assert dana_history.embed()["footer"]["text"] == "Page 1 of 1 · 1 entry · newest first"
    assert "**Design**" in dana_history.embed()["description"]


# -- the audit log ------------------------------------------------------------------------


def _when(text: str) -> int:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None and moment.utcoffset() == UTC.utcoffset(None)
    assert moment.timestamp() == int(moment.timestamp())  # the test clock has whole seconds
    return int(moment.timestamp())


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_every_change_is_stored_with_who_and_when(
    harness: Harness, settings: Settings, clock: Clock
) -> None:
    ann, bob = FakeUser.new("ann"), FakeUser.new("bob")
    started = clock()
    steps = [
        lambda: set_phase(harness, "planning", "go", user=ann),
        lambda: editor(harness, "project check", {"activity": "1"}, user=bob),
        lambda: editor(harness, "project check", {"activity": "1"}, user=bob),
        lambda: editor(harness, "project methodology", {"name": "v-model"}, user=ann),
        lambda: editor(harness, "project next", user=bob),
        lambda: editor(harness, "project back", user=ann),
        lambda: harness.command(
            "project editor-role", {"role": role_option(snowflake())}, user=bob, permissions=MANAGER
        ),
        lambda: editor(harness, "project check", {"activity": "2"}, user=ann),
    ]
    for step in steps:  # a minute apart, so every row's time says which step wrote it
        clock.advance(minutes=1)
        assert not (await step()).ephemeral
    minute = [int(started.timestamp()) + 60 * n for n in range(1, len(steps) + 1)]
    ann_id, bob_id = uid(ann), uid(bob)

    rows = table_rows(
        settings.database_path,
        "SELECT kind, from_phase, to_phase, actor_id, actor_name, at, rework, detail "
        "FROM events WHERE platform = 'discord' AND workspace = ? AND channel = ? ORDER BY id",
        (str(harness.world.guild_id), str(harness.world.channel_id)),
    )
    assert [(r[0], r[1], r[2], r[3], r[4], r[6], r[7]) for r in rows] == [
        ("phase", None, "planning", ann_id, "Ann", 0, None),
        ("check", None, "planning", bob_id, "Bob", 0, "feasibility-studies"),
        ("uncheck", None, "planning", bob_id, "Bob", 0, "feasibility-studies"),
        ("methodology", None, None, ann_id, "Ann", 0, "v-model"),
        ("phase", "planning", "analysis", bob_id, "Bob", 0, None),
        ("phase", "analysis", "planning", ann_id, "Ann", 1, None),
        ("check", None, "planning", ann_id, "Ann", 0, "goals-and-objectives"),
    ]
    assert [_when(r[5]) for r in rows] == [*minute[:6], minute[7]]  # step 7 is the role

    [(set_by_id, set_by_name, since)] = table_rows(
        settings.database_path,
        "SELECT set_by_id, set_by_name, since FROM projects WHERE channel = ?",
        (str(harness.world.channel_id),),
    )
    assert (set_by_id, set_by_name, _when(since)) == (ann_id, "Ann", minute[5])
    [(tick_actor, tick_at)] = table_rows(
        settings.database_path,
        "SELECT actor_id, at FROM ticks WHERE activity_key = ?",
        ("goals-and-objectives",),
    )
    assert (tick_actor, _when(tick_at)) == (ann_id, minute[7])
    [(role_by, role_at)] = table_rows(
        settings.database_path,
        "SELECT set_by_id, set_at FROM settings WHERE key = 'editor_role'",
    )
    assert (role_by, _when(role_at)) == (bob_id, minute[6])

    # The same audit trail, as users see it.
    history = (await harness.command("project history")).embed()["description"]
    stamps = [int(s) for s in re.findall(r"<t:(\d+):R>", history)]
    assert stamps == [*reversed([*minute[:6], minute[7]])]
