"""The repository contract: every backend (the fake, SQLite, PostgreSQL) keeps a
channel's project the same way, under the Tracker, under concurrency and across a
restart. A backend that passes this suite can serve phasebot."""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import replace

import pytest

from bot.core.errors import AtLastPhase, NoPhaseYet, PhasebotError, ProgressError
from bot.core.models import Content
from bot.core.state import Actor, Change, Event, Place, ProjectState, Scope, Snapshot
from bot.core.tracker import Repository, Tracker
from tests.conftest import PHASE_KEYS
from tests.storage.conftest import Backend, Clock

ANN = Actor("111", "Ann")
BOB = Actor("U02BOB", "Bob")
HERE = Scope("discord", "1001", "2002")


async def events_of(repository: Repository, scope: Scope = HERE) -> list[Event]:
    page = await repository.history(scope, 10_000)
    return page.events[::-1]  # oldest first


def assert_chain(events: list[Event]) -> None:
    """Every phase event starts where the one before it ended: no fork, nothing lost."""
    moves = [e for e in events if e.kind == "phase"]
    for before, after in itertools.pairwise(moves):
        assert after.from_phase == before.to_phase, (before, after)
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


# -- reading and changing --------------------------------------------------------------------


async def test_a_channel_never_written_has_nothing(repository: Repository) -> None:
    assert await repository.load(HERE) == Snapshot()
    page = await repository.history(HERE, 10)
    assert (page.events, page.total, page.newer) == ([], 0, 0)


async def test_set_next_back_and_the_history(tracker: Tracker, repository: Repository) -> None:
    await tracker.move(HERE, ANN, "set", "design", "kick-off")
    move, status = await tracker.move(HERE, BOB, "next")
    assert (move.from_key, move.to_key) == ("design", "implementation")
    assert status.state.phase_key == "implementation" and status.state.set_by == BOB
    move, status = await tracker.move(HERE, ANN, "back")
    assert move.rework and status.state.phase_key == "design"
    assert (await repository.load(HERE)).status == status
    events = await events_of(repository)
    assert [(e.from_phase, e.to_phase, e.actor, e.note) for e in events] == [
        (None, "design", ANN, "kick-off"),
        ("design", "implementation", BOB, None),
        ("implementation", "design", ANN, None),
    ]
    assert [e.rework for e in events] == [False, False, True]
    assert (await repository.load(HERE)).version == 3


async def test_refusals_write_nothing(tracker: Tracker, repository: Repository) -> None:
    with pytest.raises(NoPhaseYet):
        await tracker.move(HERE, ANN, "next")
    with pytest.raises(NoPhaseYet):
        await tracker.check(HERE, ANN, "1")
    assert await repository.load(HERE) == Snapshot()
    await tracker.move(HERE, ANN, "set", "retirement")
    before = await repository.load(HERE)
    for attempt in (
        tracker.move(HERE, ANN, "next"),
        tracker.move(HERE, ANN, "set", "retirement"),
        tracker.check(HERE, ANN, "no such activity"),
        tracker.methodology(HERE, ANN, "waterfall"),
    ):
        with pytest.raises(PhasebotError):
            await attempt
    assert await repository.load(HERE) == before
    assert len(await events_of(repository)) == 1


async def test_ticks_follow_the_phase_and_iteration(
    tracker: Tracker, repository: Repository
) -> None:
    await tracker.methodology(HERE, ANN, "agile")
    await tracker.move(HERE, ANN, "set", "testing")
    check, status = await tracker.check(HERE, ANN, "1")
    assert check.checked and set(status.ticks) == {"levels-of-testing"}
    await tracker.move(HERE, ANN, "next")  # deployment
    _, status = await tracker.check(HERE, BOB, "2")
    assert set(status.ticks) == {"deploy-to-production"}
    _, status = await tracker.move(HERE, ANN, "back")  # testing again: its ticks are back
    assert set(status.ticks) == {"levels-of-testing"}
    check, status = await tracker.check(HERE, ANN, "1")  # untick
    assert not check.checked and status.ticks == {}
    await tracker.check(HERE, ANN, "2")
    await tracker.move(HERE, ANN, "next")
    move, status = await tracker.move(HERE, ANN, "next")  # deployment -> planning
    assert move.new_iteration and status.state.iteration == 2 and status.ticks == {}
    await tracker.move(HERE, ANN, "set", "testing")
    assert (await repository.load(HERE)).status.ticks == {}  # a fresh checklist
    assert (await repository.load(HERE)).status == status.__class__(
        (await repository.load(HERE)).state, {}
    )


async def test_a_random_walk_returns_what_a_fresh_read_gives(
    tracker: Tracker, repository: Repository
) -> None:
    rng = random.Random(7)
    await tracker.move(HERE, ANN, "set", "planning")
    for step in range(150):
        choice = rng.random()
        try:
            if choice < 0.35:
                _, status = await tracker.move(HERE, ANN, "next")
            elif choice < 0.5:
                _, status = await tracker.move(HERE, BOB, "back")
            elif choice < 0.6:
                _, status = await tracker.move(HERE, ANN, "set", rng.choice(PHASE_KEYS))
            elif choice < 0.9:
                _, status = await tracker.check(HERE, BOB, str(rng.randint(1, 3)))
            else:
                name = rng.choice(["waterfall", "agile", "spiral", "v-model"])
                _, status = await tracker.methodology(HERE, ANN, name)
        except ProgressError:
            continue
        assert (await repository.load(HERE)).status == status, step
    assert_chain(await events_of(repository))


async def test_channels_platforms_and_dms_are_kept_apart(
    tracker: Tracker, repository: Repository
) -> None:
    slack_twin = Scope("slack", "1001", "2002")  # the same ids on another platform
    dm = Scope("discord", "", "2002", private=True)
    other = Scope("discord", "1001", "2003")
    await tracker.move(HERE, ANN, "set", "design")
    await tracker.move(slack_twin, BOB, "set", "testing")
    await tracker.move(dm, ANN, "set", "planning")
    assert (await tracker.status(HERE)).state.phase_key == "design"
    assert (await tracker.status(slack_twin)).state.phase_key == "testing"
    assert (await tracker.status(dm)).state.phase_key == "planning"
    assert (await tracker.status(other)).state.phase_key is None
    assert [e.to_phase for e in await events_of(repository, slack_twin)] == ["testing"]


async def test_reset_clears_one_channel_keeps_its_methodology_and_moves_on(
    tracker: Tracker, repository: Repository
) -> None:
    other = Scope("discord", "1001", "9")
    await tracker.methodology(HERE, ANN, "spiral")
    await tracker.move(HERE, ANN, "set", "testing")
    await tracker.check(HERE, ANN, "1")
    await tracker.move(other, ANN, "set", "design")
    before = await repository.load(HERE)
    assert await tracker.reset(HERE, ANN)
    after = await repository.load(HERE)
    assert after.state == ProjectState(methodology="spiral") and after.ticks == {}
    assert after.version > before.version  # a change planned before the reset can't land
    assert await events_of(repository) == []
    assert (await tracker.status(other)).state.phase_key == "design"
    stale = Change(replace(before.state, phase_key="deployment"), None)
    assert await repository.append(HERE, before.version, stale) is None
    assert not await tracker.reset(HERE, ANN)  # nothing left to clear


async def test_history_pages_by_offset_and_by_anchor(
    tracker: Tracker, repository: Repository
) -> None:
    await tracker.move(HERE, ANN, "set", "planning")
    for _ in range(6):
        await tracker.move(HERE, ANN, "next")
        await tracker.move(HERE, ANN, "back")
    ids = [e.id for e in (await repository.history(HERE, 100)).events]  # newest first
    assert len(ids) == 13
    first = await repository.history(HERE, 5)
    assert [e.id for e in first.events] == ids[:5] and (first.total, first.newer) == (13, 0)
    second = await repository.history(HERE, 5, offset=5)
    assert [e.id for e in second.events] == ids[5:10] and second.newer == 5
    past = await repository.history(HERE, 5, offset=50)
    assert (past.events, past.total) == ([], 13)
    older = await repository.history(HERE, 5, older_than=ids[4])
    assert [e.id for e in older.events] == ids[5:10] and older.newer == 5
    newer = await repository.history(HERE, 5, newer_than=ids[5])
    assert [e.id for e in newer.events] == ids[:5] and newer.newer == 0
    gone = await repository.history(HERE, 5, older_than=ids[-1])  # past the end: the oldest
    assert [e.id for e in gone.events] == ids[-5:] and gone.newer == 8
    top = await repository.history(HERE, 5, newer_than=ids[0])  # past the start: the newest
    assert [e.id for e in top.events] == ids[:5]


async def test_settings_per_place(repository: Repository) -> None:
    server, channel = Place("discord", "1001"), Place("discord", "1001", "2002")
    at = Clock()()
    assert await repository.setting(server, "editor_role") is None
    await repository.set_setting(server, "editor_role", "42", ANN, at)
    await repository.set_setting(channel, "editor_role", "43", ANN, at)
    await repository.set_setting(Place("slack", "1001"), "editor_role", "S1", BOB, at)
    assert await repository.setting(server, "editor_role") == "42"
    assert await repository.setting(channel, "editor_role") == "43"
    await repository.set_setting(server, "editor_role", "44", BOB, at)
    assert await repository.setting(server, "editor_role") == "44"
    await repository.set_setting(server, "editor_role", None, BOB, at)
    assert await repository.setting(server, "editor_role") is None
    assert await repository.setting(Place("slack", "1001"), "editor_role") == "S1"


# -- concurrency -------------------------------------------------------------------------------


async def test_fifty_concurrent_nexts_make_exactly_seven_moves(
    backend: Backend, content: Content
) -> None:
    async with backend.open() as repository:
        tracker = Tracker(repository, content, Clock())
        await tracker.move(HERE, ANN, "set", "planning")
        results = await asyncio.gather(
            *(tracker.move(HERE, ANN, "next") for _ in range(50)), return_exceptions=True
        )
        moved = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, AtLastPhase)]
        assert (len(moved), len(refused)) == (7, 43), results
        events = await events_of(repository)
        assert [e.to_phase for e in events] == list(PHASE_KEYS)
        assert_chain(events)


async def test_racing_appends_never_fork(backend: Backend, content: Content) -> None:
    """Writers (each on its own connection) read the same version and all try to
    append: exactly one wins each round. (SQLite's losers wait for the file's lock,
    so it gets fewer rounds.)"""
    writers, rounds = 8, (40 if backend.name == "sqlite" else 200)
    async with backend.open() as first:
        tracker = Tracker(first, content, Clock())
        await tracker.move(HERE, ANN, "set", "planning")
        openers = [backend.open() for _ in range(writers)]
        repositories = [await o.__aenter__() for o in openers]
        try:
            wins = 0
            for round_ in range(rounds):
                snapshot = await first.load(HERE)
                target = PHASE_KEYS[(round_ + 1) % len(PHASE_KEYS)]
                if target == snapshot.state.phase_key:
                    target = PHASE_KEYS[0]
                move = Event("phase", ANN, Clock()(), snapshot.state.phase_key, target)
                change = Change(replace(snapshot.state, phase_key=target), move)
                results = await asyncio.gather(
                    *(r.append(HERE, snapshot.version, change) for r in repositories)
                )
                assert [r for r in results if r is not None] == [snapshot.version + 1]
                wins += 1
        finally:
            for opener in openers:
                await opener.__aexit__(None, None, None)
        events = await events_of(first)
        assert len(events) == wins + 1
        assert_chain(events)


async def test_a_restart_keeps_everything(backend: Backend, content: Content) -> None:
    async with backend.open() as repository:
        tracker = Tracker(repository, content, Clock())
        await tracker.methodology(HERE, ANN, "agile")
        await tracker.move(HERE, ANN, "set", "testing", "ready")
        await tracker.check(HERE, BOB, "2")
        await repository.set_setting(Place("discord", "1001"), "editor_role", "42", ANN, Clock()())
        before = await repository.load(HERE)
        history = await events_of(repository)
    async with backend.open() as reopened:
        assert await reopened.load(HERE) == before
        assert await events_of(reopened) == history
        assert await reopened.setting(Place("discord", "1001"), "editor_role") == "42"
        _, status = await Tracker(reopened, content, Clock()).move(HERE, ANN, "next")
        assert status.state.phase_key == "deployment"


async def test_racing_first_changes_create_a_channel_once(
    backend: Backend, content: Content
) -> None:
    """A channel's first change inserts its row: when writers race to create it, one
    wins, the others are told it changed, and the Tracker plans them again."""
    writers = 8
    openers = [backend.open() for _ in range(writers)]
    repositories = [await o.__aenter__() for o in openers]
    try:
        for round_ in range(20):
            scope = Scope("discord", "1001", f"new-{round_}")
            move = Event("phase", ANN, Clock()(), None, "design")
            change = Change(ProjectState(phase_key="design"), move)
            results = await asyncio.gather(*(r.append(scope, 0, change) for r in repositories))
            assert [r for r in results if r is not None] == [1], round_
            assert len(await events_of(repositories[0], scope)) == 1
        trackers = [Tracker(r, content, Clock()) for r in repositories]
        scope = Scope("discord", "1001", "together")
        await trackers[0].move(scope, ANN, "set", "planning")
        results = await asyncio.gather(
            *(t.move(scope, BOB, "next") for t in trackers[:7]), return_exceptions=True
        )
        assert not [r for r in results if isinstance(r, BaseException)], results
        events = await events_of(repositories[0], scope)
        assert [e.to_phase for e in events] == list(PHASE_KEYS)
        assert_chain(events)
    finally:
        for opener in openers:
            await opener.__aexit__(None, None, None)


# -- team views --------------------------------------------------------------------------------


async def test_channels_lists_a_workspaces_tracked_channels_longest_first(
    tracker: Tracker, repository: Repository
) -> None:
    first = Scope("discord", "1001", "1", label="one")
    second = Scope("discord", "1001", "2", label="two")
    untracked = Scope("discord", "1001", "3")
    elsewhere = Scope("discord", "9", "1")
    await tracker.move(second, ANN, "set", "design")  # the clock moves on between moves
    await tracker.move(first, ANN, "set", "planning")
    await tracker.methodology(untracked, ANN, "agile")  # a row, but no phase
    await tracker.move(elsewhere, ANN, "set", "testing")
    await tracker.check(first, BOB, "1")
    listed = await repository.channels(Place("discord", "1001"))
    assert [(s.channel, s.label) for s, _ in listed] == [("2", "two"), ("1", "one")]
    assert listed[1][1] == await repository.load(first)
    assert set(listed[1][1].status.ticks) == {"feasibility-studies"}


async def test_events_page_forwards_from_an_id(tracker: Tracker, repository: Repository) -> None:
    await tracker.move(HERE, ANN, "set", "planning")
    for _ in range(4):
        await tracker.move(HERE, ANN, "next")
    everything = await events_of(repository)
    assert await repository.events(HERE, 0, 100) == everything
    assert await repository.events(HERE, everything[1].id, 2) == everything[2:4]
    assert await repository.events(HERE, everything[-1].id, 10) == []


async def test_places_and_claims(repository: Repository) -> None:
    at = Clock()()
    one, two = Place("slack", "T1", "C1"), Place("slack", "T1", "C2")
    await repository.set_setting(one, "remind_days", "3", ANN, at)
    await repository.set_setting(two, "remind_days", "7", ANN, at)
    await repository.set_setting(Place("discord", "T1", "C1"), "remind_days", "1", ANN, at)
    assert sorted(await repository.places("slack", "remind_days"), key=str) == sorted(
        [(one, "3"), (two, "7")], key=str
    )
    assert await repository.claim(one, "reminded", "stay-1", ANN, at)
    assert not await repository.claim(one, "reminded", "stay-1", BOB, at)  # once per value
    assert await repository.claim(one, "reminded", "stay-2", BOB, at)
    assert await repository.setting(one, "reminded") == "stay-2"


async def test_only_one_of_many_claims_wins(backend: Backend) -> None:
    openers = [backend.open() for _ in range(6)]
    repositories = [await o.__aenter__() for o in openers]
    try:
        at, place = Clock()(), Place("discord", "1", "2")
        for round_ in range(10):
            won = await asyncio.gather(
                *(r.claim(place, "reminded", f"stay-{round_}", ANN, at) for r in repositories)
            )
            assert won.count(True) == 1
    finally:
        for opener in openers:
            await opener.__aexit__(None, None, None)
