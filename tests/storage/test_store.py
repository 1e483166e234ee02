"""The aiosqlite progress store, on real database files in tmp_path."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.errors import (
    AlreadyInPhase,
    AtFirstPhase,
    AtLastPhase,
    NoPhaseYet,
    UnknownActivity,
    UnknownPhase,
    UnknownSubject,
)
from bot.core.models import Content
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    Actor,
    AlreadyUsingMethodology,
    NoteTooLong,
    ProjectStatus,
    Scope,
)
from bot.storage import ProgressStore, SchemaTooNew, latest_version, load_migrations
from bot.storage import migrate as migrate_module
from bot.storage import store as store_module
from bot.storage.migrate import Migration, StorageError, split_statements

ANN = Actor(111, "Ann")
BOB = Actor(222, "Bob")
HERE = Scope(1, 10)
THERE = Scope(1, 20)
OTHER_GUILD = Scope(2, 10)
DM = Scope(None, 10)
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TABLES = ("projects", "events", "ticks", "meta", "guild_settings")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "progress.sqlite3"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[ProgressStore]:
    async with await ProgressStore.open(db_path) as opened:
        yield opened


def is_file(path: Path) -> bool:
    return path.is_file()


def exists(path: Path) -> bool:
    return path.exists()


async def stored(store: ProgressStore, scope: Scope) -> ProjectStatus:
    """The status as the database has it (``store.status`` may answer from memory)."""
    return (await store_module._read_snapshot(store._connection(), scope)).status


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


# -- schema and connection -----------------------------------------------------------------


def test_migrations_are_numbered_and_split() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert len(migrations) >= 2 and latest_version() == migrations[-1].version
    assert all(m.statements for m in migrations)
    assert split_statements("-- c\nCREATE TABLE a (x);\n-- trailing\n") == (
        "-- c\nCREATE TABLE a (x);",
    )


async def test_open_creates_directory_and_migrates_from_zero(db_path: Path) -> None:
    assert not exists(db_path.parent)
    async with await ProgressStore.open(db_path) as store:
        info = await store.connection_info()
    assert is_file(db_path)
    assert info["user_version"] == latest_version()
    assert set(counts(db_path)) == set(TABLES)


async def test_pragmas_in_force(store: ProgressStore) -> None:
    info = await store.connection_info()
    assert info["journal_mode"] == "wal"
    assert info["synchronous"] == 2
    assert info["foreign_keys"] == 1
    assert info["busy_timeout"] == 5000


async def test_upgrade_from_version_1_keeps_data(db_path: Path, content: Content) -> None:
    db_path.parent.mkdir(parents=True)
    first = load_migrations()[0]
    with sqlite3.connect(db_path) as db:
        db.executescript(first.sql)
        db.execute("PRAGMA user_version = 1")
        db.execute(
            "INSERT INTO projects (guild_id, channel_id, phase_key, methodology, iteration, since, "
            "set_by_id, set_by_name) VALUES (1, 10, 'design', 'agile', 2, ?, 111, 'Ann')",
            (T0.isoformat(),),
        )
        db.execute(
            "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
            "actor_name, at, iteration) VALUES (1, 10, 'phase', 'analysis', 'design', 111, "
            "'Ann', ?, 2)",
            (T0.isoformat(),),
        )
        db.execute("INSERT INTO meta (key, value) VALUES ('commands', 'abc')")
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "guild_settings" not in tables

    async with await ProgressStore.open(db_path) as store:
        assert (await store.connection_info())["user_version"] == latest_version()
        status = await store.status(HERE)
        assert status.state.phase_key == "design"
        assert status.state.methodology == "agile"
        assert status.state.iteration == 2
        assert status.state.since == T0
        assert status.state.set_by == ANN
        events, total = await store.history(HERE, 10)
        assert total == 1 and events[0].to_phase == "design"
        assert await store.get_meta("commands") == "abc"
        await store.set_editor_role(1, 555, ANN)  # the table from migration 2 works
        assert await store.editor_role(1) == 555
        move, after = await store.move(HERE, BOB, "next", content)  # migration 3's triggers
        assert (move.from_key, move.to_key) == ("design", "implementation")
        assert after == await stored(store, HERE)
        assert after.state.iteration == 2 and after.state.methodology == "agile"


async def test_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    with sqlite3.connect(db_path) as db:
        db.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(SchemaTooNew):
        await ProgressStore.open(db_path)


async def test_closed_store_refuses(db_path: Path) -> None:
    store = await ProgressStore.open(db_path)
    await store.close()
    await store.close()
    assert store.closed
    with pytest.raises(RuntimeError):
        await store.status(HERE)


# -- moves ---------------------------------------------------------------------------------


async def test_fresh_channel_has_no_phase(store: ProgressStore, content: Content) -> None:
    status = await store.status(HERE)
    assert status.state.phase_key is None and status.ticks == {}
    with pytest.raises(NoPhaseYet):
        await store.move(HERE, ANN, "next", content)


async def test_set_next_back(store: ProgressStore, content: Content) -> None:
    move, status = await store.move(HERE, ANN, "set", content, "planning", note=" go ", now=T0)
    assert move.from_key is None and move.to_key == "planning"
    assert status.state.phase_key == "planning"
    assert status.state.since == T0 and status.state.set_by == ANN
    move, status = await store.move(HERE, BOB, "next", content, now=T0 + timedelta(hours=1))
    assert (move.from_key, move.to_key) == ("planning", "analysis")
    assert status.state.set_by == BOB
    move, _ = await store.move(HERE, BOB, "back", content)
    assert move.to_key == "planning" and move.rework
    with pytest.raises(AtFirstPhase):
        await store.move(HERE, BOB, "back", content)
    events, total = await store.history(HERE, 10)
    assert total == 3
    assert [e.to_phase for e in events] == ["planning", "analysis", "planning"]
    assert events[-1].note == "go" and events[-1].at == T0
    assert [e.rework for e in events] == [True, False, False]


async def test_fifty_concurrent_nexts(store: ProgressStore, content: Content) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    _, before = await store.history(HERE, 0)
    results = await asyncio.gather(
        *(store.move(HERE, Actor(i, f"user{i}"), "next", content) for i in range(50)),
        return_exceptions=True,
    )
    moves = [r for r in results if not isinstance(r, BaseException)]
    refusals = [r for r in results if isinstance(r, BaseException)]
    assert len(moves) == 7
    assert len(refusals) == 43 and all(isinstance(r, AtLastPhase) for r in refusals)
    assert (await store.status(HERE)).state.phase_key == "retirement"
    events, after = await store.history(HERE, 100)
    assert after - before == 7
    new = [e for e in events if e.from_phase is not None]
    assert len(new) == 7 and all(e.kind == "phase" for e in new)
    # Each move started where the previous one ended: no lost or doubled update.
    path = [e.to_phase for e in reversed(events)]
    assert path == [p.key for p in content.phases]


async def test_two_connections_on_one_file_serialize(db_path: Path, content: Content) -> None:
    async with (
        await ProgressStore.open(db_path) as first,
        await ProgressStore.open(db_path) as second,
    ):
        await first.move(HERE, ANN, "set", content, "planning")
        results = await asyncio.gather(
            *(s.move(HERE, ANN, "next", content) for _ in range(10) for s in (first, second)),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 7
        assert all(isinstance(r, AtLastPhase) for r in results if isinstance(r, BaseException))
        _, total = await second.history(HERE, 0)
        assert total == 8


async def test_refusals_write_nothing(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    await store.move(HERE, ANN, "set", content, "retirement")
    await store.toggle_check(HERE, ANN, "archive-data", content)
    before = counts(db_path)
    refused = [
        (store.move(HERE, ANN, "next", content), AtLastPhase),
        (store.move(HERE, ANN, "set", content, "retirement"), AlreadyInPhase),
        (store.move(HERE, ANN, "set", content, "nowhere"), UnknownPhase),
        (store.move(HERE, ANN, "back", content, note="x" * (MAX_NOTE_LENGTH + 1)), NoteTooLong),
        (store.move(THERE, ANN, "back", content), NoPhaseYet),
        (store.toggle_check(HERE, ANN, "fix-bugs", content), UnknownActivity),
        (store.toggle_check(THERE, ANN, "fix-bugs", content), NoPhaseYet),
        (store.set_methodology(HERE, ANN, "waterfall", content), AlreadyUsingMethodology),
        (store.set_methodology(THERE, ANN, "devops", content), UnknownSubject),
    ]
    for attempt, error in refused:
        with pytest.raises(error):
            await attempt
    assert counts(db_path) == before
    assert (await store.status(THERE)).state.phase_key is None


async def test_refusal_types(store: ProgressStore, content: Content) -> None:
    with pytest.raises(NoteTooLong):
        await store.move(HERE, ANN, "set", content, "design", note="x" * 201)
    with pytest.raises(AlreadyUsingMethodology):
        await store.set_methodology(HERE, ANN, "waterfall", content)
    with pytest.raises(ValueError):
        await store.move(HERE, ANN, "set", content, "design", now=datetime(2024, 1, 1))


# -- isolation, restart, reset -------------------------------------------------------------


async def test_channels_and_guilds_are_isolated(store: ProgressStore, content: Content) -> None:
    await store.move(HERE, ANN, "set", content, "design")
    await store.toggle_check(HERE, ANN, "user-interfaces", content)
    await store.set_methodology(HERE, ANN, "spiral", content)
    await store.move(THERE, BOB, "set", content, "testing")
    for scope in (OTHER_GUILD, DM):
        status = await store.status(scope)
        assert status.state.phase_key is None and status.state.methodology == "waterfall"
        assert (await store.history(scope, 10)) == ([], 0)
    there = await store.status(THERE)
    assert there.state.phase_key == "testing" and there.ticks == {}
    assert there.state.methodology == "waterfall"
    _, total = await store.history(THERE, 10)
    assert total == 1
    here = await store.status(HERE)
    assert set(here.ticks) == {"user-interfaces"} and here.state.methodology == "spiral"


async def test_dms_are_their_own_scope(store: ProgressStore, content: Content) -> None:
    await store.move(DM, ANN, "set", content, "analysis")
    assert (await store.status(DM)).state.phase_key == "analysis"
    assert (await store.status(Scope(0, 10))).state.phase_key == "analysis"  # stored as guild 0
    assert (await store.status(HERE)).state.phase_key is None
    assert (await store.status(Scope(None, 11))).state.phase_key is None


async def test_restart_keeps_everything(db_path: Path, content: Content) -> None:
    async with await ProgressStore.open(db_path) as store:
        await store.set_methodology(HERE, ANN, "agile", content)
        await store.move(HERE, ANN, "set", content, "deployment", now=T0)
        await store.toggle_check(HERE, BOB, "deploy-to-production", content, now=T0)
        await store.set_editor_role(1, 999, ANN)
        await store.set_meta("command-hash", "deadbeef")
        before = await store.status(HERE)
        history_before = await store.history(HERE, 50)
    async with await ProgressStore.open(db_path) as store:
        assert await store.status(HERE) == before
        assert await store.history(HERE, 50) == history_before
        assert await store.editor_role(1) == 999
        assert await store.get_meta("command-hash") == "deadbeef"
        assert before.ticks["deploy-to-production"].actor == BOB
        assert before.ticks["deploy-to-production"].at == T0


async def test_reset_clears_only_that_channel(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    for scope in (HERE, THERE):
        await store.move(scope, ANN, "set", content, "planning")
        await store.toggle_check(scope, ANN, "feasibility-studies", content)
    await store.set_methodology(HERE, ANN, "agile", content)
    assert await store.reset(HERE, BOB) is True
    status = await store.status(HERE)
    assert status.state.phase_key is None and status.ticks == {}
    assert status.state.methodology == "agile"  # the methodology is a setting, it stays
    assert await store.history(HERE, 10) == ([], 0)
    there = await store.status(THERE)
    assert there.state.phase_key == "planning" and set(there.ticks) == {"feasibility-studies"}
    assert (await store.history(THERE, 10))[1] == 2
    assert counts(db_path)["ticks"] == 1
    assert await store.reset(HERE, BOB) is False
    assert await store.reset(Scope(5, 5), BOB) is False
    await store.move(HERE, ANN, "set", content, "planning")  # and it starts again cleanly
    assert (await store.status(HERE)).ticks == {}


# -- checklists, iterations, rework --------------------------------------------------------


async def test_toggle_check(store: ProgressStore, content: Content) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    check, status = await store.toggle_check(HERE, BOB, "2", content, now=T0)
    assert check.activity_key == "goals-and-objectives" and check.checked
    assert status.ticks["goals-and-objectives"].actor == BOB
    check, status = await store.toggle_check(HERE, ANN, "goals-and-objectives", content)
    assert not check.checked and status.ticks == {}
    events, _ = await store.history(HERE, 10)
    assert [(e.kind, e.detail, e.to_phase) for e in events[:2]] == [
        ("uncheck", "goals-and-objectives", "planning"),
        ("check", "goals-and-objectives", "planning"),
    ]


async def test_agile_iterations_start_with_fresh_checklist(
    store: ProgressStore, content: Content
) -> None:
    await store.set_methodology(HERE, ANN, "agile", content)
    await store.move(HERE, ANN, "set", content, "planning")
    await store.toggle_check(HERE, ANN, "feasibility-studies", content)
    for _ in range(5):
        await store.move(HERE, ANN, "next", content)
    assert (await store.status(HERE)).state.phase_key == "deployment"
    move, status = await store.move(HERE, ANN, "next", content)
    assert (move.from_key, move.to_key) == ("deployment", "planning")
    assert move.new_iteration and move.iteration_after == 2
    assert status.state.iteration == 2 and status.ticks == {}
    await store.toggle_check(HERE, ANN, "plan-and-schedule", content)
    assert set((await store.status(HERE)).ticks) == {"plan-and-schedule"}
    events, _ = await store.history(HERE, 1)
    assert events[0].kind == "check" and events[0].iteration == 2
    events, _ = await store.history(HERE, 1, offset=1)
    assert events[0].new_iteration and events[0].iteration == 2 and not events[0].rework
    # set from testing to planning also starts an iteration
    await store.move(HERE, ANN, "set", content, "testing")
    move, _ = await store.move(HERE, ANN, "set", content, "planning")
    assert move.new_iteration and move.iteration_after == 3


async def test_waterfall_rework_keeps_ticks_and_is_marked(
    store: ProgressStore, content: Content
) -> None:
    await store.move(HERE, ANN, "set", content, "design")
    await store.toggle_check(HERE, ANN, "user-interfaces", content)
    await store.move(HERE, ANN, "next", content)
    await store.move(HERE, ANN, "next", content)
    move, status = await store.move(HERE, BOB, "set", content, "design", note="spec gap")
    assert move.rework and not move.new_iteration
    assert status.state.iteration == 1
    assert set(status.ticks) == {"user-interfaces"}
    move, _ = await store.move(HERE, BOB, "next", content)
    assert not move.rework
    events, total = await store.history(HERE, 10)
    assert total == 6
    marks = [(e.from_phase, e.to_phase, e.rework) for e in events if e.kind == "phase"]
    assert marks[:2] == [("design", "implementation", False), ("testing", "design", True)]
    assert events[1].note == "spec gap"


async def test_history_paging(store: ProgressStore, content: Content) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    for _ in range(7):
        await store.move(HERE, ANN, "next", content)
    page1, total = await store.history(HERE, 3)
    page2, _ = await store.history(HERE, 3, offset=3)
    page4, _ = await store.history(HERE, 3, offset=9)
    assert total == 8
    ids = [e.id for e in page1 + page2]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 6
    assert page4 == []
    with pytest.raises(ValueError):
        await store.history(HERE, -1)


async def test_editor_role_and_meta(store: ProgressStore) -> None:
    assert await store.editor_role(1) is None
    await store.set_editor_role(1, 42, ANN)
    await store.set_editor_role(2, 43, ANN)
    assert await store.editor_role(1) == 42
    await store.set_editor_role(1, None, BOB)
    assert await store.editor_role(1) is None
    assert await store.editor_role(2) == 43
    assert await store.get_meta("x") is None
    await store.set_meta("x", "1")
    await store.set_meta("x", "2")
    assert await store.get_meta("x") == "2"


async def test_failed_migration_rolls_back(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_migrations()[0]
    broken = Migration(
        2, "0002_broken.sql", "CREATE TABLE half (a);\nINSERT INTO nope VALUES (1);\n"
    )
    monkeypatch.setattr(migrate_module, "load_migrations", lambda: (first, broken))
    with pytest.raises(StorageError) as caught:
        await ProgressStore.open(db_path)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    with sqlite3.connect(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "projects" in tables and "half" not in tables
    monkeypatch.undo()
    async with await ProgressStore.open(db_path) as store:  # the real set still applies
        assert (await store.connection_info())["user_version"] == latest_version()


async def test_cancelled_changes_leave_the_store_consistent(
    store: ProgressStore, content: Content
) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    tasks = [asyncio.create_task(store.move(HERE, ANN, "next", content)) for _ in range(12)]
    for _ in range(3):
        await asyncio.sleep(0)
    for task in tasks[::2]:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    status = await store.status(HERE)
    events, total = await store.history(HERE, 100)
    phase = next(p for p in content.phases if p.key == status.state.phase_key)
    assert total == phase.number  # one event per step taken, none lost, none doubled
    assert [e.to_phase for e in reversed(events)] == [p.key for p in content.phases][:total]
    await store.move(HERE, ANN, "set", content, "design")  # no transaction left open


async def test_unusable_path_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError) as caught:
        await ProgressStore.open(blocker / "db.sqlite3")
    assert "cannot open the database" in caught.value.user_message()


async def test_a_path_sqlite_cannot_open_fails_before_aiosqlite_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connects: list[object] = []
    monkeypatch.setattr(store_module.aiosqlite, "connect", lambda *a, **k: connects.append(a))
    with pytest.raises(StorageError) as caught:
        await ProgressStore.open(tmp_path)  # a directory
    assert "cannot open the database" in caught.value.user_message()
    assert connects == []  # no aiosqlite thread left to report to a closed loop


async def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError) as caught:
        await ProgressStore.open(junk)
    assert "cannot use the database" in str(caught.value)


# -- one statement per change ---------------------------------------------------------------


async def test_each_change_returns_the_status_a_fresh_read_gives(
    store: ProgressStore, content: Content
) -> None:
    """A change computes its new status instead of reading it back: after every one of
    many random changes (moves, rework, new iterations, ticks, methodologies, resets),
    what it returned is what the database holds."""
    rng = random.Random(20261127)
    phases = [p.key for p in content.phases]
    activities = {p.key: [a.key for a in p.activities] for p in content.phases}
    done, iterations, came_back_to_ticks = 0, set(), 0
    for step in range(400):
        current = (await store.status(HERE)).state
        when = T0 + timedelta(minutes=step)
        actor = rng.choice((ANN, BOB))
        roll = rng.random()
        try:
            if current.phase_key is None or roll < 0.25:
                _, returned = await store.move(
                    HERE, actor, "set", content, rng.choice(phases), now=when
                )
            elif roll < 0.45:
                _, returned = await store.move(HERE, actor, "next", content, now=when)
            elif roll < 0.55:
                _, returned = await store.move(HERE, actor, "back", content, note="redo", now=when)
            elif roll < 0.9:
                activity = rng.choice(activities[current.phase_key])
                _, returned = await store.toggle_check(HERE, actor, activity, content, now=when)
            elif roll < 0.98:
                name = rng.choice(("waterfall", "agile", "spiral", "v-model"))
                _, returned = await store.set_methodology(HERE, actor, name, content, now=when)
            else:
                await store.reset(HERE, actor)
                continue
        except (AlreadyInPhase, AtLastPhase, AtFirstPhase, AlreadyUsingMethodology):
            continue
        assert returned == await stored(store, HERE), f"step {step}"
        done += 1
        iterations.add(returned.state.iteration)
        moved = returned.state.phase_key != current.phase_key
        came_back_to_ticks += moved and bool(returned.ticks)
    # The walk covered what the computed status must get right:
    assert done > 250
    assert max(iterations) >= 3  # new iterations (a fresh checklist)
    assert came_back_to_ticks >= 5  # moves back to a phase that kept its ticks


def _move_elsewhere(db_path: Path, to_phase: str, actor: Actor = BOB) -> None:
    """Another process moves HERE to ``to_phase`` (its event, applied by the triggers)."""
    with sqlite3.connect(db_path, isolation_level=None) as db:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(
            "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
            "actor_name, at, iteration) SELECT guild_id, channel_id, 'phase', phase_key, ?, ?, "
            "?, ?, iteration FROM projects WHERE guild_id = ? AND channel_id = ?",
            (to_phase, actor.id, actor.name, T0.isoformat(), HERE.guild_id, HERE.channel_id),
        )


async def test_a_change_made_elsewhere_meanwhile_is_planned_again(
    store: ProgressStore, db_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    real_plan = store_module.plan_move
    calls: list[str | None] = []

    def plan_move_then_interfere(*args: object, **kwargs: object) -> object:
        move = real_plan(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(move.from_key)
        if len(calls) == 1:  # between this change's read and its write
            _move_elsewhere(db_path, "analysis")
        return move

    monkeypatch.setattr(store_module, "plan_move", plan_move_then_interfere)
    move, status = await store.move(HERE, ANN, "next", content)
    assert calls == ["planning", "analysis"]  # planned again on what the other wrote
    assert (move.from_key, move.to_key) == ("analysis", "design")
    assert status == await stored(store, HERE) and status.state.phase_key == "design"
    events, total = await store.history(HERE, 10)
    assert total == 3
    assert [(e.from_phase, e.to_phase, e.actor) for e in reversed(events)] == [
        (None, "planning", ANN),
        ("planning", "analysis", BOB),
        ("analysis", "design", ANN),
    ]


async def test_a_channel_changed_elsewhere_every_time_refuses_politely(
    store: ProgressStore, db_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    real_plan = store_module.plan_move
    tour = iter(["analysis", "planning"] * store_module.CHANGE_ATTEMPTS)

    def plan_move_then_interfere(*args: object, **kwargs: object) -> object:
        move = real_plan(*args, **kwargs)  # type: ignore[arg-type]
        _move_elsewhere(db_path, next(tour))
        return move

    monkeypatch.setattr(store_module, "plan_move", plan_move_then_interfere)
    with pytest.raises(store_module.ConcurrentChange) as caught:
        await store.move(HERE, ANN, "next", content)
    assert "Nothing was changed" in caught.value.user_message()
    events, total = await store.history(HERE, 100)
    assert total == 1 + store_module.CHANGE_ATTEMPTS  # the set, and only the other's moves
    assert all(e.actor == BOB for e in events[:-1])


async def test_close_lets_changes_under_way_finish(db_path: Path, content: Content) -> None:
    store = await ProgressStore.open(db_path)
    await store.move(HERE, ANN, "set", content, "planning")
    changes = [asyncio.create_task(store.move(HERE, ANN, "next", content)) for _ in range(3)]
    await asyncio.sleep(0)  # they have started: the first is reading
    await store.close()
    assert store.closed
    done = await asyncio.gather(*changes)
    assert [move.to_key for move, _ in done] == ["analysis", "design", "implementation"]
    async with await ProgressStore.open(db_path) as reopened:
        assert (await reopened.status(HERE)).state.phase_key == "implementation"


async def test_reads_during_a_change_see_the_state_before_it(
    store: ProgressStore, content: Content
) -> None:
    """Reads take no lock: one made while a change to the same channel waits for the
    database is answered at once, with the state before the change; never half of it."""
    await store.move(HERE, ANN, "set", content, "planning")
    await store.toggle_check(HERE, ANN, "feasibility-studies", content)
    change = asyncio.create_task(store.move(HERE, ANN, "next", content))
    await asyncio.sleep(0)  # the change has started and waits for the database
    during = await store.status(HERE)
    assert not change.done()
    assert during.state.phase_key == "planning" and set(during.ticks) == {"feasibility-studies"}
    await change
    after = await store.status(HERE)
    assert after.state.phase_key == "analysis" and after.ticks == {}


async def test_a_refusal_is_checked_against_the_database(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    """This store remembers Retirement, where `next` is refused; another process moved
    the project back meanwhile, so the refusal must not come from memory."""
    await store.move(HERE, ANN, "set", content, "retirement")
    _move_elsewhere(db_path, "testing")
    move, status = await store.move(HERE, ANN, "next", content)
    assert (move.from_key, move.to_key) == ("testing", "deployment")
    assert status == await stored(store, HERE)
    with pytest.raises(AlreadyInPhase):  # and a refusal that holds is still refused
        await store.move(HERE, ANN, "set", content, "deployment")


async def test_status_from_memory_or_from_the_file(db_path: Path, content: Content) -> None:
    """A store remembers the channels it used; with ``remember=0`` it reads every status
    from the file, so a change made by another process shows at once."""
    async with (
        await ProgressStore.open(db_path) as remembering,
        await ProgressStore.open(db_path, remember=0) as reading,
    ):
        await remembering.move(HERE, ANN, "set", content, "planning")
        assert (await reading.status(HERE)).state.phase_key == "planning"
        _move_elsewhere(db_path, "analysis")
        assert (await reading.status(HERE)).state.phase_key == "analysis"
        assert (await remembering.status(HERE)).state.phase_key == "planning"  # until its
        move, status = await remembering.move(HERE, ANN, "next", content)  # next change
        assert (move.from_key, status.state.phase_key) == ("analysis", "design")
        assert (await reading.status(HERE)).state.phase_key == "design"


async def test_a_change_cancelled_while_the_database_has_it_is_not_forgotten(
    store: ProgressStore, content: Content
) -> None:
    """Cancelled after its statement went to the database thread, a change may still be
    applied; the store must then read the channel again rather than answer from memory."""
    await store.move(HERE, ANN, "set", content, "planning")
    change = asyncio.create_task(store.move(HERE, ANN, "next", content))
    await asyncio.sleep(0)  # its statement is queued on the database thread
    change.cancel()
    with pytest.raises(asyncio.CancelledError):
        await change
    await asyncio.sleep(0.05)  # the thread finishes the statement anyway
    assert await store.status(HERE) == await stored(store, HERE)
    assert (await store.status(HERE)).state.phase_key == "analysis"


def _elsewhere(db_path: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    with sqlite3.connect(db_path, isolation_level=None) as db:
        db.execute("PRAGMA foreign_keys = ON")
        for sql, params in statements:
            db.execute(sql, params)


async def test_a_reset_made_elsewhere_after_a_methodology_change_is_noticed(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    """Elsewhere: Agile, then a reset (no history left, the methodology stays). The
    store's memory of the channel (no events, Waterfall) must not pass for current."""
    assert (await store.status(HERE)).state.methodology == "waterfall"  # remembered
    _elsewhere(
        db_path,
        (
            "INSERT INTO events (guild_id, channel_id, kind, actor_id, actor_name, at, detail) "
            "VALUES (?, ?, 'methodology', 2, 'Bob', ?, 'agile')",
            (HERE.guild_id, HERE.channel_id, T0.isoformat()),
        ),
        (
            "UPDATE projects SET phase_key = NULL WHERE guild_id = ? AND channel_id = ?",
            (HERE.guild_id, HERE.channel_id),
        ),
    )
    await store.move(HERE, ANN, "set", content, "testing")
    move, status = await store.move(HERE, ANN, "set", content, "planning")
    assert move.new_iteration and not move.rework  # Agile's rule, not Waterfall's
    assert status == await stored(store, HERE)
    assert (status.state.methodology, status.state.iteration) == ("agile", 2)


async def test_a_tick_written_by_the_schema_2_code_is_not_doubled(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    """A phasebot of the previous version, still running on the upgraded file, inserts
    the tick and then its event; the check trigger must not fail on the tick."""
    await store.move(HERE, ANN, "set", content, "planning")
    key = (HERE.guild_id, HERE.channel_id, 1, "planning", "feasibility-studies")
    _elsewhere(
        db_path,
        (
            "INSERT INTO ticks (guild_id, channel_id, iteration, phase_key, activity_key, "
            "actor_id, actor_name, at) VALUES (?, ?, ?, ?, ?, 2, 'Bob', ?)",
            (*key, T0.isoformat()),
        ),
        (
            "INSERT INTO events (guild_id, channel_id, kind, to_phase, actor_id, actor_name, "
            "at, iteration, detail) VALUES (?, ?, 'check', 'planning', 2, 'Bob', ?, 1, "
            "'feasibility-studies')",
            (HERE.guild_id, HERE.channel_id, T0.isoformat()),
        ),
    )
    assert counts(db_path)["ticks"] == 1
    check, status = await store.toggle_check(HERE, ANN, "feasibility-studies", content)
    assert not check.checked and status.ticks == {}  # planned on the fresh read: untick
    assert status == await stored(store, HERE)


# -- the writer: grouped commits on their own connection ------------------------------------


async def test_changes_that_arrive_together_are_committed_together(
    db_path: Path, content: Content
) -> None:
    async with await ProgressStore.open(db_path) as store:
        scopes = [Scope(1, 100 + i) for i in range(50)]
        for scope in scopes:
            await store.move(scope, ANN, "set", content, "planning")
        alone = store._writer.transactions
        assert alone == 0  # one at a time: each statement commits on its own
        results = await asyncio.gather(*(store.move(s, BOB, "next", content) for s in scopes))
        assert all(status.state.phase_key == "analysis" for _, status in results)
        grouped = store._writer.transactions
        assert 1 <= grouped < 50  # 50 changes, fewer commits
    async with await ProgressStore.open(db_path) as reopened:  # and every one is on disk
        for scope in scopes:
            assert (await reopened.status(scope)).state.phase_key == "analysis"
            assert (await reopened.history(scope, 0))[1] == 2


class _PausedCommits:
    """The writer's connection, with COMMIT held until ``go`` is set."""

    def __init__(self, db: object) -> None:
        self.db = db
        self.go = asyncio.Event()
        self.waiting = asyncio.Event()

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> object:
        if sql == "COMMIT":
            self.waiting.set()
            await self.go.wait()
        return await self.db.execute(sql, params)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.db, name)


async def test_reads_never_see_a_group_before_it_is_committed(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    await store.move(HERE, ANN, "set", content, "planning")
    await store.move(THERE, ANN, "set", content, "planning")
    paused = _PausedCommits(store._writer.db)
    store._writer.db = paused  # type: ignore[assignment]
    changes = asyncio.gather(
        store.move(HERE, BOB, "next", content), store.move(THERE, BOB, "next", content)
    )
    await paused.waiting.wait()  # both appended, the transaction not committed
    try:
        history_during = (await store.history(HERE, 10))[1]
        there_during = (await stored(store, THERE)).state.phase_key
        with sqlite3.connect(db_path) as other:  # nor does another process
            events_elsewhere = other.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        paused.go.set()
        await changes
    assert (history_during, there_during, events_elsewhere) == (1, "planning", 2)
    assert (await store.history(HERE, 10))[1] == 2
    assert (await stored(store, THERE)).state.phase_key == "analysis"


async def test_a_group_that_fails_writes_none_of_its_changes(
    store: ProgressStore, db_path: Path, content: Content
) -> None:
    for scope in (HERE, THERE):
        await store.move(scope, ANN, "set", content, "planning")
    before = counts(db_path)
    results = await asyncio.gather(
        store.move(HERE, BOB, "next", content),
        store._write("INSERT INTO no_such_table VALUES (1)", ()),  # fails the group
        store.move(THERE, BOB, "next", content),
        return_exceptions=True,
    )
    assert all(isinstance(r, sqlite3.OperationalError) for r in results)
    assert counts(db_path) == before
    for scope in (HERE, THERE):  # memory and file agree, and the store goes on working
        assert await store.status(scope) == await stored(store, scope)
        move, status = await store.move(scope, BOB, "next", content)
        assert move.to_key == "analysis" and status == await stored(store, scope)


async def test_close_finishes_pending_writes(db_path: Path) -> None:
    store = await ProgressStore.open(db_path)
    writes = [asyncio.create_task(store.set_meta(f"k{i}", str(i))) for i in range(20)]
    await asyncio.sleep(0)
    await store.close()
    await asyncio.gather(*writes)
    async with await ProgressStore.open(db_path) as reopened:
        assert [await reopened.get_meta(f"k{i}") for i in range(20)] == [str(i) for i in range(20)]


async def test_an_in_memory_database_works_on_one_connection(content: Content) -> None:
    async with await ProgressStore.open(":memory:") as store:
        await asyncio.gather(
            store.move(HERE, ANN, "set", content, "design"),
            store.move(THERE, ANN, "set", content, "testing"),
        )
        assert (await store.status(HERE)).state.phase_key == "design"
        assert (await store.history(THERE, 10))[1] == 1
        assert store._writer.transactions == 0  # not grouped: one connection, no WAL


@pytest.mark.parametrize("cancellations", [1, 2])
async def test_a_change_cancelled_while_queued_for_the_writer_is_read_after_it(
    store: ProgressStore, content: Content, cancellations: int
) -> None:
    """Cancelled (once, or again while it waits) while its statement waits behind
    another group, a change still holds the channel until the statement is written, so
    no read slips in before it and remembers the state from before."""
    for scope in (HERE, THERE):
        await store.move(scope, ANN, "set", content, "planning")
    busy = asyncio.create_task(store.move(THERE, ANN, "next", content))
    await asyncio.sleep(0)
    queued = asyncio.create_task(store.move(HERE, ANN, "next", content))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert store._writer._pending  # HERE's statement waits for the writer
    for _ in range(cancellations):  # e.g. a timeout, then shutdown
        queued.cancel()
        await asyncio.sleep(0)
    status_meanwhile = asyncio.create_task(store.status(HERE))
    with pytest.raises(asyncio.CancelledError):
        await queued
    await busy
    await status_meanwhile
    assert await store.status(HERE) == await stored(store, HERE)
    assert (await store.status(HERE)).state.phase_key == "analysis"


class _SpyBegin:
    """The writer's connection, telling when a group's BEGIN has gone to the thread."""

    def __init__(self, db: object) -> None:
        self.db = db
        self.began = asyncio.Event()

    async def execute(self, sql: str, params: tuple[object, ...] = ()) -> object:
        sent = asyncio.ensure_future(self.db.execute(sql, params))  # type: ignore[attr-defined]
        if sql == "BEGIN IMMEDIATE":
            self.began.set()
        return await sent

    def __getattr__(self, name: str) -> object:
        return getattr(self.db, name)


async def test_a_writer_cancelled_mid_group_leaves_no_transaction_and_no_leftovers(
    db_path: Path,
) -> None:
    store = await ProgressStore.open(db_path)
    spy = _SpyBegin(store._writer.db)
    store._writer.db = spy  # type: ignore[assignment]
    writes = [asyncio.create_task(store.set_meta(f"k{i}", "x")) for i in range(3)]
    await spy.began.wait()  # one written alone, two grouped: their BEGIN is out
    late = asyncio.create_task(store.set_meta("late", "x"))  # waits in _pending
    await asyncio.sleep(0)
    assert store._writer._task is not None
    store._writer._task.cancel()  # as at loop shutdown
    results = await asyncio.gather(*writes, late, return_exceptions=True)
    assert [type(r) for r in results[1:]] == [asyncio.CancelledError] * 3
    store._writer.db = spy.db  # type: ignore[assignment]
    assert not store._writer.db.in_transaction  # rolled back: the file is not left locked
    await store.set_meta("after", "1")  # the writer starts again
    await asyncio.gather(store.set_meta("g1", "1"), store.set_meta("g2", "2"))
    with sqlite3.connect(db_path, timeout=0.5) as other:  # another process can write
        other.execute("INSERT INTO meta VALUES ('other', 'y')")
    await store.close()
    async with await ProgressStore.open(db_path) as reopened:
        assert await reopened.get_meta("after") == "1" and await reopened.get_meta("g2") == "2"
        assert await reopened.get_meta("late") is None  # cancelled means not written
        assert await reopened.get_meta("k2") is None


async def test_a_read_connection_that_cannot_open_is_a_storage_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = store_module.aiosqlite.connect
    opened: list[object] = []

    def connect(*args: object, **kwargs: object) -> object:
        if opened:  # the second connection, for reads
            raise OSError("Too many open files")
        connection = real_connect(*args, **kwargs)  # type: ignore[arg-type]
        opened.append(connection)
        return connection

    monkeypatch.setattr(store_module.aiosqlite, "connect", connect)
    with pytest.raises(StorageError) as caught:
        await ProgressStore.open(db_path)
    assert "Too many open files" in caught.value.user_message()
    with pytest.raises(ValueError, match="no active connection"):  # closed, not leaked
        await opened[0].execute("SELECT 1")  # type: ignore[attr-defined]
