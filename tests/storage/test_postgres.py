"""The PostgreSQL repository's own behaviour, beyond the contract suite: migrations
(once, under a lock, also with openers racing), times, polite errors, no password in
any message, a write that finishes when its caller is cancelled."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest

from bot.core.state import Actor, Change, Event, Place, ProjectState, Scope, Tick, TickChange
from bot.core.tracker import DatabaseBusy, StorageError
from bot.storage.migrate import SchemaTooNew, load_migrations
from bot.storage.pg import describe_url, scrub, storage_error
from bot.storage.pg_migrate import latest_version
from bot.storage.postgres import PostgresRepository
from tests.postgres import with_database

REPO = Path(__file__).resolve().parents[2]
ANN = Actor("111", "Ann")
HERE = Scope("discord", "1001", "2002")


def with_password(dsn: str, password: str) -> str:
    """The test server trusts loopback, so any password is accepted (and ignored)."""
    return dsn.replace("://phasebot@", f"://phasebot:{password}@", 1)


async def schema_rows(dsn: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT version, name FROM phasebot_schema ORDER BY version")
        return [(r["version"], r["name"]) for r in rows]
    finally:
        await conn.close()


async def test_a_new_database_is_migrated_once_and_reopened_as_is(pg_dsn: str) -> None:
    async with await PostgresRepository.open(pg_dsn) as repository:
        assert repository.schema == (0, latest_version())
    async with await PostgresRepository.open(pg_dsn) as repository:
        assert repository.schema == (latest_version(), latest_version())
    expected = [(m.version, m.name) for m in load_migrations("postgres")]
    assert await schema_rows(pg_dsn) == expected


async def test_openers_racing_on_a_new_database_migrate_it_once(pg_dsn: str) -> None:
    opened = await asyncio.gather(*(PostgresRepository.open(pg_dsn) for _ in range(6)))
    try:
        befores = sorted(r.schema[0] for r in opened)
        assert befores.count(0) == 1 and {r.schema[1] for r in opened} == {latest_version()}
    finally:
        for repository in opened:
            await repository.close()
    assert await schema_rows(pg_dsn) == [(m.version, m.name) for m in load_migrations("postgres")]


def test_processes_starting_together_migrate_once(pg_dsn: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": pg_dsn, "LOG_LEVEL": "INFO"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "db", "migrate"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    said = sorted(out.strip().split(": ", 1)[1] for out, _ in outputs)
    assert said.count(f"migrated from schema version 0 to {latest_version()}") == 1, said
    rows = asyncio.run(schema_rows(pg_dsn))
    assert rows == [(m.version, m.name) for m in load_migrations("postgres")]


async def test_a_database_newer_than_this_phasebot_is_refused(pg_dsn: str) -> None:
    async with await PostgresRepository.open(pg_dsn):
        pass
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("INSERT INTO phasebot_schema (version, name) VALUES (99, 'future')")
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNew):
        await PostgresRepository.open(pg_dsn)


async def test_times_keep_their_instant_and_microseconds(pg_dsn: str) -> None:
    east = timezone(timedelta(hours=5, minutes=30))
    at = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=east)
    state = ProjectState(phase_key="design", since=at, set_by=ANN)
    tick = TickChange(1, "design", "architecture", Tick("architecture", ANN, at))
    change = Change(state, Event("phase", ANN, at, None, "design"), tick)
    async with await PostgresRepository.open(pg_dsn) as repository:
        assert await repository.append(HERE, 0, change) == 1
        snapshot = await repository.load(HERE)
        [event] = (await repository.history(HERE, 5)).events
        assert snapshot.state.since == at and snapshot.state.since.tzinfo is not None
        assert snapshot.ticks["design"]["architecture"].at == at
        assert event.at == at and event.at.astimezone(UTC).microsecond == 123456
        with pytest.raises(ValueError, match="timezone-aware"):
            naive = Change(state, Event("phase", ANN, at.replace(tzinfo=None), None, "x"))
            await repository.append(HERE, 1, naive)
        assert (await repository.load(HERE)).version == 1


async def test_a_write_waiting_too_long_for_a_lock_is_busy_and_writes_nothing(
    pg_dsn: str,
) -> None:
    async with await PostgresRepository.open(pg_dsn) as repository:
        first = Change(
            ProjectState(phase_key="design"), Event("phase", ANN, _now(), None, "design")
        )
        assert await repository.append(HERE, 0, first) == 1
        holder = await asyncpg.connect(pg_dsn)
        try:
            async with holder.transaction():
                await holder.execute("SELECT 1 FROM projects FOR UPDATE")
                move = Event("phase", ANN, _now(), "design", "testing")
                with pytest.raises(DatabaseBusy):
                    await repository.append(HERE, 1, Change(ProjectState("testing"), move))
        finally:
            await holder.close()
        assert (await repository.load(HERE)).version == 1
        assert len((await repository.history(HERE, 10)).events) == 1


async def test_too_many_connections_is_busy(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        name = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT 1')
        with pytest.raises(DatabaseBusy):
            await PostgresRepository.open(pg_dsn)
    finally:
        await conn.close()


def test_busy_conditions_are_told_as_busy() -> None:
    where = "PostgreSQL database db on host:5432"
    for exc in (
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.LockNotAvailableError("canceling statement due to lock timeout"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        TimeoutError(),
    ):
        assert isinstance(storage_error(exc, where, "cannot write"), DatabaseBusy), exc


def test_login_tls_and_url_option_errors_say_what_to_check() -> None:
    where = "PostgreSQL database db on host:5432"
    login = storage_error(asyncpg.InvalidPasswordError("password"), where, "cannot open")
    assert str(login) == (
        "cannot open: the PostgreSQL database db on host:5432 refused the login; "
        "check the user and password in its URL"
    )
    option = asyncpg.ClientConfigurationError("`sslmode` parameter must be one of: disable")
    assert str(storage_error(option, where, "cannot open")) == (
        "cannot open: the PostgreSQL database db on host:5432 has an invalid setting: "
        "`sslmode` parameter must be one of: disable"
    )
    tls = ConnectionError('PostgreSQL server at "host:5432" rejected SSL upgrade')
    assert str(storage_error(tls, where, "cannot open")) == (
        "cannot open: cannot reach the PostgreSQL database db on host:5432 "
        '(PostgreSQL server at "host:5432" rejected SSL upgrade)'
    )


async def test_errors_name_the_host_and_database_never_the_password(
    pg_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-Pa55"
    caplog.set_level(logging.DEBUG)
    refused = f"postgresql://phasebot:{secret}@127.0.0.1:1/somedb"
    with pytest.raises(StorageError) as raised:
        await PostgresRepository.open(refused)
    assert str(raised.value) == (
        "cannot open the database: cannot reach the PostgreSQL database somedb on "
        "127.0.0.1:1 (connection refused)"
    )
    missing = with_database(with_password(pg_dsn, secret), "no_such_database")
    with pytest.raises(StorageError, match=r"no_such_database on 127\.0\.0\.1:\d+ does not exist"):
        await PostgresRepository.open(missing)
    async with await PostgresRepository.open(with_password(pg_dsn, secret)) as repository:
        await repository.set_setting(Place("discord", "1"), "k", "v", ANN, _now())
        assert secret not in repository.where and "127.0.0.1" in repository.where
    assert secret not in caplog.text


def test_the_url_is_described_without_its_password() -> None:
    url = "postgres://bot:p%40ss@db.example:6543/phase?sslmode=require"
    assert describe_url(url) == "PostgreSQL database phase on db.example:6543"
    assert describe_url("postgresql://bot@/phase?host=/run/pg") == (
        "PostgreSQL database phase on /run/pg:5432"
    )
    assert (
        scrub(f"failed for {url} and p@ss", url)
        == "failed for " + url.replace("p%40ss", "***") + " and ***"
    )


def test_the_cli_never_prints_the_password(pg_dsn: str, tmp_path: Path) -> None:
    secret = "s3cr3t-Pa55"
    env = {
        **os.environ,
        "LOG_LEVEL": "DEBUG",
        "DATABASE_URL": f"postgresql://phasebot:{secret}@127.0.0.1:1/somedb",
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = run("db", "migrate")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        "phasebot: cannot open the database: cannot reach the PostgreSQL database somedb "
        "on 127.0.0.1:1 (connection refused)"
    )
    env["DATABASE_URL"] = with_password(pg_dsn, secret)
    worked = run("console", stdin="/project set design\n/project status\n")
    assert worked.returncode == 0 and "Design" in worked.stdout
    bad = run("db", "copy", "DATABASE_URL", env["DATABASE_URL"].replace("127.0.0.1", "::x"))
    assert bad.returncode == 1 and "not a valid PostgreSQL URL" in bad.stderr
    for result in (refused, worked, bad):
        assert secret not in result.stdout + result.stderr
    env["DATABASE_URL"] = f"mysql://root:{secret}@localhost/db"
    wrong = run("db", "migrate")
    assert wrong.returncode == 2 and secret not in wrong.stderr
    assert "DATABASE_URL: must be a postgresql:// or postgres:// URL" in wrong.stderr


async def test_a_cancelled_write_still_reports_what_it_did(pg_dsn: str) -> None:
    async with await PostgresRepository.open(pg_dsn) as repository:
        version = 0
        for attempt in range(30):
            state = ProjectState(phase_key="design" if attempt % 2 else "testing")
            event = Event("phase", ANN, _now(), None, state.phase_key)
            task = asyncio.create_task(repository.append(HERE, version, Change(state, event)))
            await asyncio.sleep(0.0005 * (attempt % 5))
            task.cancel()
            try:
                result = await task
            except asyncio.CancelledError:
                result = None
            stored = (await repository.load(HERE)).version
            if result is not None:
                assert stored == result == version + 1
            else:  # cancelled before it began: nothing written
                assert stored == version
            version = stored
        assert len((await repository.history(HERE, 100)).events) == version


def _now() -> datetime:
    return datetime.now(UTC)


async def test_what_a_locked_block_raises_is_its_own(pg_dsn: str) -> None:
    """Only taking the lock is the database's business: a timeout inside the block (a
    call to Discord while the commands are synced) is not 'the database is busy'."""
    async with await PostgresRepository.open(pg_dsn) as repository:
        with pytest.raises(TimeoutError):
            async with repository.exclusive("test-lock"):
                raise TimeoutError("Discord took too long")
        async with repository.exclusive("test-lock"):  # and the lock was let go
            pass
