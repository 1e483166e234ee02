"""The PostgreSQL test server and its fixtures (tests/postgres.py, scripts/pg-test-server).

The first tests need a server (they are marked ``postgres``); the rest check, without
one, when the PostgreSQL tests use a server, skip or fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest

from tests import postgres
from tests.postgres import Action, decide, required, with_database

# --- with a server ---------------------------------------------------------------------

_DATABASES_SEEN: set[str] = set()


async def test_connects_to_a_server_13_or_newer(pg_dsn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert conn.get_server_version() >= (13, 0)
        assert await conn.fetchval("SELECT current_database()") == pg_dsn.rsplit("/", 1)[1]
        assert await conn.fetchval("SELECT 1 + 1") == 2
    finally:
        await conn.close()


@pytest.mark.parametrize("turn", ["first", "second"])
async def test_each_test_gets_a_new_empty_database(pg_dsn: str, turn: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        name = await conn.fetchval("SELECT current_database()")
        assert name.startswith(postgres.DATABASE_PREFIX)
        assert name not in _DATABASES_SEEN
        _DATABASES_SEEN.add(name)
        relations = await conn.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%'"
        )
        assert relations == []
        # Left behind on purpose: the other turn must not see it.
        await conn.execute(f"CREATE TABLE left_by_{turn} (id integer PRIMARY KEY)")
        await conn.execute(f"INSERT INTO left_by_{turn} VALUES (1)")
    finally:
        await conn.close()


async def test_the_test_database_is_dropped_even_with_a_connection_open(
    pg_server_dsn: str,
) -> None:
    name = await postgres.create_test_database(pg_server_dsn)
    leftover = await asyncpg.connect(with_database(pg_server_dsn, name))
    try:
        await postgres.drop_test_database(pg_server_dsn, name)
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
            await leftover.fetchval("SELECT 1")
    finally:
        leftover.terminate()
    conn = await asyncpg.connect(pg_server_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", name) == 0
    finally:
        await conn.close()


def test_pg_dsn_serves_a_plain_test_too(pg_dsn: str) -> None:
    async def database() -> str:
        conn = await asyncpg.connect(pg_dsn)
        try:
            return str(await conn.fetchval("SELECT current_database()"))
        finally:
            await conn.close()

    assert postgres._run(database()).startswith(postgres.DATABASE_PREFIX)


# --- the decision, without a server ------------------------------------------------------

DSN = "postgresql://phasebot@127.0.0.1:5433/phasebot"


def test_a_dsn_in_the_environment_is_used_and_nothing_is_started() -> None:
    decision = decide({postgres.DSN_ENV: DSN, postgres.START_ENV: "1"})
    assert decision.action is Action.USE
    assert decision.dsn == DSN


def test_a_dsn_that_is_not_a_postgresql_url_fails() -> None:
    decision = decide({postgres.DSN_ENV: "host=localhost dbname=x", postgres.REQUIRE_ENV: ""})
    assert decision.action is Action.FAIL
    assert "postgresql://" in decision.reason


def test_on_a_laptop_without_a_server_the_tests_skip_saying_how_to_run_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (postgres.DSN_ENV, postgres.REQUIRE_ENV, postgres.START_ENV):
        monkeypatch.delenv(name, raising=False)
    decision = decide(os.environ)
    assert decision.action is Action.SKIP
    assert "PHASEBOT_TEST_PG_DSN=postgresql://" in decision.reason
    assert "scripts/pg-test-server start" in decision.reason
    assert "PHASEBOT_TEST_PG_START=1" in decision.reason


def test_in_ci_a_missing_server_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(postgres.DSN_ENV, raising=False)
    monkeypatch.delenv(postgres.START_ENV, raising=False)
    monkeypatch.setenv(postgres.REQUIRE_ENV, "1")
    decision = decide(os.environ)
    assert decision.action is Action.FAIL
    assert "PHASEBOT_REQUIRE_PG is set" in decision.reason
    assert "scripts/pg-test-server start" in decision.reason


def test_start_asks_the_session_to_start_a_server() -> None:
    assert decide({postgres.START_ENV: "1"}).action is Action.START
    assert decide({postgres.START_ENV: "0"}).action is Action.SKIP


@pytest.mark.parametrize("value", ["", "0", "false", "No", " off "])
def test_values_that_do_not_require_a_server(value: str) -> None:
    assert not required({postgres.REQUIRE_ENV: value})


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "ture"])
def test_values_that_require_a_server(value: str) -> None:
    assert required({postgres.REQUIRE_ENV: value})


def test_with_database_keeps_user_host_port_and_query() -> None:
    assert (
        with_database("postgresql://u@h:5/db?sslmode=disable", "other")
        == "postgresql://u@h:5/other?sslmode=disable"
    )
    assert with_database("postgres://u@h:5", "x") == "postgres://u@h:5/x"


# --- the plugin in a pytest run of its own, without a server ------------------------------

REPO = postgres.REPO
PG_TEST = textwrap.dedent(
    """
    import os
    import pathlib

    import pytest

    def test_uses_postgres(pg_dsn, pg_server_dsn):
        if "DSN_OUT" in os.environ:
            pathlib.Path(os.environ["DSN_OUT"]).write_text(pg_server_dsn)

    @pytest.mark.postgres
    def test_skips_by_itself():
        pytest.skip("skipped inside the test")
    """
)


def run_pytest(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_pg.py").write_text(PG_TEST, encoding="utf-8")
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in (postgres.DSN_ENV, postgres.REQUIRE_ENV, postgres.START_ENV)
        and not key.startswith("PHASEBOT_PG_")
        and not key.startswith("PYTEST_")
    }
    clean["PYTHONPATH"] = str(REPO)
    clean.update(env)
    command = [sys.executable, "-m", "pytest", "-p", "tests.postgres", "-p", "no:cacheprovider"]
    command += ["-rs", "-q", f"--basetemp={tmp_path / 'basetemp'}", *args]
    return subprocess.run(
        [*command, str(tmp_path / "test_pg.py")],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_on_a_laptop_skips_with_the_how_to(tmp_path: Path) -> None:
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "scripts/pg-test-server start" in result.stdout
    # The test that uses pg_dsn was marked `postgres` without saying so.
    deselected = run_pytest(tmp_path, "-m", "not postgres")
    assert "2 deselected" in deselected.stdout, deselected.stdout


def test_run_in_ci_fails_without_a_server_and_no_postgres_test_may_skip(
    tmp_path: Path,
) -> None:
    result = run_pytest(tmp_path, PHASEBOT_REQUIRE_PG="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
    assert "PHASEBOT_REQUIRE_PG is set" in result.stdout


def test_run_that_may_start_a_server_but_finds_no_binaries_skips(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, PHASEBOT_TEST_PG_START="1", PHASEBOT_PG_BINDIRS="/nonexistent")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "no PostgreSQL server binaries" in result.stdout


def _local_binaries() -> bool:
    return (
        subprocess.run(
            ["bash", str(postgres.SERVER_SCRIPT), "bindir"], capture_output=True, check=False
        ).returncode
        == 0
    )


@pytest.mark.skipif(not _local_binaries(), reason="no PostgreSQL binaries on this machine")
def test_run_with_start_starts_and_stops_a_server(tmp_path: Path) -> None:
    dsn_file = tmp_path / "dsn"
    result = run_pytest(
        tmp_path, PHASEBOT_TEST_PG_START="1", PHASEBOT_REQUIRE_PG="1", DSN_OUT=str(dsn_file)
    )
    assert result.returncode == 1, result.stdout + result.stderr  # the self-skipping test
    assert "1 failed, 1 passed" in result.stdout.splitlines()[-1]
    assert "skipped inside the test" in result.stdout
    # The server it started served the test, and is gone.
    dsn = dsn_file.read_text()
    assert dsn.startswith("postgresql://phasebot@127.0.0.1:")
    with pytest.raises(OSError):
        postgres._run(asyncpg.connect(dsn, timeout=5))
