"""PostgreSQL for the benchmarks: the server, a new database per run, its settings.

The server is ``--server`` or ``PHASEBOT_BENCH_PG_DSN``, else ``PHASEBOT_TEST_PG_DSN``: a
``postgresql://`` URL whose role may create databases. The test server of
``scripts/pg-test-server`` runs with ``fsync = off`` in ``/dev/shm``, which flatters
writes; for figures comparable with SQLite (``synchronous = FULL`` on disk) start one on
disk and turn durability on (as root, ``PHASEBOT_PG_TMPDIR=/var/tmp``; then, as the
``postgres`` superuser, ``ALTER SYSTEM SET fsync = on`` and ``synchronous_commit = on``
and ``full_page_writes = on``, ``SELECT pg_reload_conf()``). Every run prints the
server's settings next to its figures.
"""

from __future__ import annotations

import json
import os
import statistics
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def server_dsn(given: str | None) -> str:
    dsn = given or os.environ.get("PHASEBOT_BENCH_PG_DSN") or os.environ.get("PHASEBOT_TEST_PG_DSN")
    if not dsn:
        raise SystemExit(
            "no PostgreSQL server: pass --server postgresql://USER@HOST:PORT/DB or set "
            "PHASEBOT_BENCH_PG_DSN (a role that may create databases)"
        )
    return dsn


def with_database(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def new_database(server: str, prefix: str) -> str:
    """A new empty database on the server; its DSN."""
    name = f"phasebot_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    return with_database(server, name)


async def drop_database(server: str, dsn: str) -> None:
    name = urlsplit(dsn).path.lstrip("/")
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def server_settings(server: str) -> dict[str, Any]:
    conn = await asyncpg.connect(server)
    try:
        found: dict[str, Any] = {"version": await conn.fetchval("SHOW server_version")}
        for name in (
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "max_connections",
            "shared_buffers",
            "data_directory",
        ):
            try:
                found[name] = await conn.fetchval(f"SHOW {name}")
            except asyncpg.InsufficientPrivilegeError:
                found[name] = "(hidden)"
    finally:
        await conn.close()
    return found


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    out = Path(__file__).resolve().parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(data, indent=2, default=str))
    return out


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(seconds, 50) * 1e3, 3),
        "p99": round(percentile(seconds, 99) * 1e3, 3),
        "mean": round(statistics.fmean(seconds) * 1e3, 3) if seconds else float("nan"),
    }
