"""PostgreSQL connections for phasebot: the pool, polite errors, advisory locks.

A ``DATABASE_URL`` may hold a password, so nothing here logs or repeats one: a server
is named by :func:`describe_url` (its host, port and database), and every error a
user sees is one of the core's :class:`~bot.core.tracker.StorageError` family, worded
here. Busy conditions (too many connections, a lock or serialization timeout, the
pool exhausted) are :class:`~bot.core.tracker.DatabaseBusy`: nothing was written, try
again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from bot.core.tracker import DatabaseBusy, DatabaseReadOnly, StorageError

log = logging.getLogger(__name__)

LOCK_TIMEOUT_MS: Final = 2000
"""How long a change waits for another writer's row lock before "busy": short enough
that Discord's 3-second deadline for an answer is still met (as SQLite's busy timeout)."""
ACQUIRE_TIMEOUT_SECONDS: Final = 2.5
"""How long a call waits for a free connection of the pool before "busy"."""
CONNECT_TIMEOUT_SECONDS: Final = 10.0
LOCK_NAMESPACE: Final = 0x70686173  # "phas": advisory lock keys are (namespace, hash of name)

_BUSY: Final = (
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.SerializationError,  # 40001
    asyncpg.DeadlockDetectedError,  # 40P01
    asyncpg.LockNotAvailableError,  # 55P03: lock_timeout
    asyncpg.QueryCanceledError,  # 57014: statement_timeout or a cancel
    TimeoutError,  # the pool had no free connection in time
)


def describe_url(url: str) -> str:
    """``PostgreSQL database NAME on HOST:PORT``: what errors and logs may say of a
    ``postgresql://`` URL (never its user's password)."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        host = parts.hostname or query.get("host", ["localhost"])[0]
        port = parts.port or int(query.get("port", ["5432"])[0])
        database = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
        database = database or unquote(parts.username or "") or "(default)"
    except ValueError:
        return "PostgreSQL database (at an invalid URL)"
    return f"PostgreSQL database {database} on {host}:{port}"


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password (if any) blotted out: the last line of defence
    for a message that quotes a driver's own words."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return text
    for secret in {password, unquote(password or "")}:
        if secret:
            text = text.replace(secret, "***")
    return text


def storage_error(exc: BaseException, where: str, doing: str) -> StorageError:
    """A user's word for a failure: busy and read-only in plain words, a refused or
    missing server or database by name (host and database only), anything else with
    the server's own message."""
    if isinstance(exc, _BUSY):
        return DatabaseBusy()
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return DatabaseReadOnly()
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):  # and a bad password
        return StorageError(
            f"{doing}: the {where} refused the login; check the user and password in its URL"
        )
    if isinstance(exc, asyncpg.ClientConfigurationError):  # e.g. ?sslmode=bogus (asyncpg's
        # messages name hosts, ports and files, never a password)
        return StorageError(f"{doing}: the {where} has an invalid setting: {exc}")
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return StorageError(f"{doing}: the {where} does not exist; create it first")
    if isinstance(exc, asyncpg.PostgresConnectionError | asyncpg.AdminShutdownError):
        return StorageError(f"{doing}: lost the connection to the {where}")
    if isinstance(exc, OSError):
        if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
            reason = "connection refused"
        else:  # asyncpg's own (e.g. "... rejected SSL upgrade") names no password
            reason = exc.strerror.lower() if exc.strerror else str(exc) or type(exc).__name__
        return StorageError(f"{doing}: cannot reach the {where} ({reason})")
    if isinstance(exc, asyncpg.PostgresError):
        return StorageError(f"{doing}: the {where} said: {exc.args[0] if exc.args else exc}")
    return StorageError(f"{doing}: the {where} failed ({type(exc).__name__})")


async def create_pool(url: str, size: int) -> asyncpg.Pool:
    """A pool of up to ``size`` connections (one opened now, so a bad URL fails here)."""
    where = describe_url(url)
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=1,
            max_size=size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={
                "application_name": "phasebot",
                "lock_timeout": str(LOCK_TIMEOUT_MS),
                "idle_in_transaction_session_timeout": "60000",
            },
        )
    except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as exc:
        log.debug("connecting to the %s failed: %s", where, scrub(repr(exc), url))
        raise storage_error(exc, where, "cannot open the database") from None
    except ValueError:  # asyncpg could not parse the URL; its words may quote it
        raise StorageError(
            "cannot open the database: not a valid PostgreSQL URL "
            "(postgresql://USER:PASSWORD@HOST:PORT/DB)"
        ) from None
    assert pool is not None
    return pool


def lock_key(name: str) -> int:
    """A stable 32-bit key for an advisory lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


@asynccontextmanager
async def advisory_lock(conn: Any, name: str) -> AsyncIterator[None]:
    """Hold the session advisory lock ``name`` on ``conn``, waiting for it as long as it
    takes (another process may be migrating, or syncing commands)."""
    await conn.execute("SET lock_timeout = 0")
    try:
        await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, lock_key(name))
    finally:
        await conn.execute("RESET lock_timeout")
    try:
        yield
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NAMESPACE, lock_key(name))
