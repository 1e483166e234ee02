"""PostgreSQL for the tests: a pytest plugin (loaded by tests/conftest.py).

Fixtures:

- ``pg_server_dsn`` (session): the DSN of a PostgreSQL server whose role may create
  databases, from ``PHASEBOT_TEST_PG_DSN``.
- ``pg_dsn`` (function): the DSN of a new, empty database of the test's own on that
  server, created from ``template0`` and dropped (``WITH (FORCE)``) after the test.

Where the server comes from, and what happens without one, is :func:`decide`:

- ``PHASEBOT_TEST_PG_DSN`` set: that server is used; nothing is started.
- ``PHASEBOT_TEST_PG_START=1``: the session starts a throwaway server with
  ``scripts/pg-test-server`` and stops it at the end.
- neither: the PostgreSQL tests skip, saying how to run them, unless
  ``PHASEBOT_REQUIRE_PG`` is set (as ``.ci/run`` does): then they fail.

Every test that uses ``pg_server_dsn`` (so also ``pg_dsn``) is marked ``postgres``
(``pytest -m postgres`` runs them alone), and while ``PHASEBOT_REQUIRE_PG`` is set, a
test marked ``postgres`` that skips for any reason is reported as failed.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import subprocess
import time
import uuid
from collections.abc import Coroutine, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = REPO / "scripts" / "pg-test-server"

DSN_ENV = "PHASEBOT_TEST_PG_DSN"
REQUIRE_ENV = "PHASEBOT_REQUIRE_PG"
START_ENV = "PHASEBOT_TEST_PG_START"

MARKER = "postgres"
DATABASE_PREFIX = "phasebot_test_"

USE_A_SERVER = (
    f"set {DSN_ENV}=postgresql://USER@127.0.0.1:PORT/DB (a role that may create databases)"
)
HOW_TO_RUN = (
    f"{USE_A_SERVER}, "
    f'or start a throwaway server: export {DSN_ENV}="$(scripts/pg-test-server start)", '
    f"or set {START_ENV}=1 to have pytest start and stop one"
)

_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

_T = TypeVar("_T")


class Action(enum.Enum):
    USE = "use"
    START = "start"
    SKIP = "skip"
    FAIL = "fail"


@dataclass(frozen=True)
class ServerDecision:
    """What the session does for a PostgreSQL server; ``dsn`` is set for USE."""

    action: Action
    dsn: str | None = None
    reason: str = ""


def required(env: Mapping[str, str]) -> bool:
    """Whether a missing server fails the tests: PHASEBOT_REQUIRE_PG is set to anything
    but empty, 0, false, no or off (a misspelt value requires, rather than skips)."""
    return env.get(REQUIRE_ENV, "").strip().lower() not in _FALSE_WORDS


def unavailable(reason: str, env: Mapping[str, str]) -> ServerDecision:
    """No server: FAIL if one is required, else SKIP; both say how to get one."""
    if required(env):
        return ServerDecision(
            Action.FAIL, reason=f"{REQUIRE_ENV} is set, so this may not skip: {reason}"
        )
    return ServerDecision(Action.SKIP, reason=reason)


def decide(env: Mapping[str, str]) -> ServerDecision:
    """Where the PostgreSQL tests' server comes from, from the environment alone."""
    dsn = env.get(DSN_ENV, "").strip()
    if dsn:
        if urlsplit(dsn).scheme not in ("postgresql", "postgres"):
            return ServerDecision(
                Action.FAIL,
                reason=f"{DSN_ENV} must be a postgresql://USER@HOST:PORT/DB URL, not {dsn!r}",
            )
        return ServerDecision(Action.USE, dsn=dsn)
    if env.get(START_ENV, "").strip().lower() not in _FALSE_WORDS:
        return ServerDecision(Action.START)
    return unavailable(f"no PostgreSQL server for these tests: {HOW_TO_RUN}", env)


def with_database(dsn: str, database: str) -> str:
    """The same DSN naming another database (the query, e.g. sslmode, is kept)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine on a private event loop (fixtures set up outside any loop), so
    the test's own loop, whichever pytest-asyncio gives it, is left alone."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_test_database(server_dsn: str) -> str:
    """Create a new empty database with a unique name; returns its name."""
    name = f"{DATABASE_PREFIX}{uuid.uuid4().hex[:16]}"
    started = time.perf_counter()
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f"CREATE DATABASE {_quote_ident(name)} TEMPLATE template0")
    finally:
        await conn.close()
    logger.debug("created database %s in %.1f ms", name, (time.perf_counter() - started) * 1e3)
    return name


async def drop_test_database(server_dsn: str, name: str) -> None:
    """Drop a test database, ending any connection still open to it."""
    started = time.perf_counter()
    conn = await asyncpg.connect(server_dsn)
    try:
        if conn.get_server_version().major >= 13:
            # FORCE ends our own leftover connections, but a role without superuser may
            # not end an autovacuum worker that has just started on the new database
            # (InsufficientPrivilegeError; seen once in CI): it is done within moments.
            for attempt in range(50):
                try:
                    await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
                    break
                except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
                    if attempt == 49:
                        raise
                    await asyncio.sleep(0.2)
        else:  # pragma: no cover - servers before 13 have no FORCE
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                name,
            )
            await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)}")
    finally:
        await conn.close()
    logger.debug("dropped database %s in %.1f ms", name, (time.perf_counter() - started) * 1e3)


def start_server(state_file: Path, env: Mapping[str, str]) -> ServerDecision:
    """Start a throwaway server with scripts/pg-test-server (PHASEBOT_TEST_PG_START)."""
    try:
        result = subprocess.run(
            ["bash", str(SERVER_SCRIPT), "start", "--state", str(state_file)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return unavailable(
            f"{START_ENV} is set but {SERVER_SCRIPT.name} start failed: {exc}; or {USE_A_SERVER}",
            env,
        )
    messages = "; ".join(
        line.removeprefix(f"{SERVER_SCRIPT.name}: ") for line in result.stderr.split("\n") if line
    )
    if result.returncode == 0 and result.stdout.strip():
        logger.info("%s", messages)
        return ServerDecision(Action.USE, dsn=result.stdout.strip())
    return unavailable(
        f"{START_ENV} is set but {SERVER_SCRIPT.name} start failed "
        f"(exit {result.returncode}): {messages}; or {USE_A_SERVER}",
        env,
    )


def stop_server(state_file: Path) -> None:
    result = subprocess.run(
        ["bash", str(SERVER_SCRIPT), "stop", "--state", str(state_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        logger.warning("%s stop failed: %s", SERVER_SCRIPT.name, result.stderr.strip())


@pytest.fixture(scope="session")
def pg_server_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The PostgreSQL server's DSN; skips or fails the test as :func:`decide` says."""
    decision = decide(os.environ)
    state_file: Path | None = None
    if decision.action is Action.START:
        state_file = tmp_path_factory.mktemp("pg-test-server") / "state"
        decision = start_server(state_file, os.environ)
    try:
        if decision.action is Action.FAIL:
            pytest.fail(decision.reason, pytrace=False)
        if decision.action is Action.SKIP:
            pytest.skip(decision.reason)
        assert decision.dsn is not None
        yield decision.dsn
    finally:
        if state_file is not None and state_file.exists():
            stop_server(state_file)


@pytest.fixture
def pg_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A new, empty database of this test's own; dropped after the test."""
    name = _run(create_test_database(pg_server_dsn))
    try:
        yield with_database(pg_server_dsn, name)
    finally:
        _run(drop_test_database(pg_server_dsn, name))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: needs a PostgreSQL server ({DSN_ENV}); added to every test that uses "
        "pg_server_dsn or pg_dsn",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_server_dsn" in getattr(item, "fixturenames", ()):
            item.add_marker(MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """While PHASEBOT_REQUIRE_PG is set, a PostgreSQL test that skips has failed."""
    report = yield
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and item.get_closest_marker(MARKER) is not None
        and required(os.environ)
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ENV} is set, so a PostgreSQL test may not skip: {reason}"
    return report
