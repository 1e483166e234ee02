"""`phasebot db copy`: every project, event, tick and setting from one database into
another (SQLite to PostgreSQL, or back), verified, whole or not at all.

Rows travel as plain tuples of the same Python types whichever the backend (text,
int, bool, timezone-aware datetimes, None), in the column order of :data:`TABLES`.
Event ids are kept, and so is the highest id ever given, so the target's history
orders as the source's did and a new event never reuses an id.

The copy is one transaction on the target: the rows are written, read back and
compared with what was read from the source (a count and an order-independent digest
per table, so every project's latest state, every event, tick and setting); only if
they are the same is it committed. A target that already holds data is compared the
same way: the very same data is a no-op success (so a second run is harmless), other
data is refused. Stop the bots while copying: a write made after the copy began is
not copied.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from bot.core.tracker import StorageError
from bot.storage.targets import Target

log = logging.getLogger(__name__)

Row = tuple[Any, ...]

TABLES: Final[dict[str, tuple[str, ...]]] = {
    "projects": (
        "platform", "workspace", "channel", "label", "version", "phase_key", "methodology",
        "iteration", "since", "set_by_id", "set_by_name",
    ),
    "events": (
        "id", "platform", "workspace", "channel", "kind", "from_phase", "to_phase", "actor_id",
        "actor_name", "at", "note", "rework", "iteration", "new_iteration", "detail",
    ),
    "ticks": (
        "platform", "workspace", "channel", "iteration", "phase_key", "activity_key",
        "actor_id", "actor_name", "at",
    ),
    "settings": (
        "platform", "workspace", "channel", "key", "value", "set_by_id", "set_by_name", "set_at",
    ),
}  # fmt: skip
"""The tables copied, in the order they are written (a project before its events), and
their columns."""
TIMES: Final = frozenset({"since", "at", "set_at"})
FLAGS: Final = frozenset({"rework", "new_iteration"})
BATCH: Final = 5000


class CopyRefused(StorageError):
    """The target holds other data; nothing was written."""


class Reading(Protocol):
    def rows(self, table: str) -> AsyncIterator[list[Row]]:
        """Every row of ``table`` in batches, in no particular order."""
        ...

    async def last_event_id(self) -> int:
        """The highest event id ever given (0: none)."""
        ...


class Writing(Reading, Protocol):
    async def insert(self, table: str, rows: Sequence[Row]) -> None: ...

    async def keep_event_ids_above(self, last: int) -> None:
        """New events get ids above ``last``."""
        ...


class Side(Protocol):
    """One database, for copying: read in one snapshot, written in one transaction."""

    async def counts(self) -> dict[str, int]: ...

    def reading(self) -> AbstractAsyncContextManager[Reading]: ...

    def writing(self) -> AbstractAsyncContextManager[Writing]:
        """One transaction, committed when the block ends without an error."""
        ...


@dataclass
class Digest:
    """What a database holds, per table: how many rows, and the sum of their hashes (so
    the order they come in does not matter)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    last_event_id: int = 0

    def add(self, table: str, rows: Sequence[Row]) -> None:
        self.counts[table] += len(rows)
        total = self.sums[table]
        for row in rows:
            total += int.from_bytes(hashlib.sha256(repr(row).encode()).digest(), "big")
        self.sums[table] = total % (1 << 256)

    def differences(self, other: Digest) -> list[str]:
        return [
            f"{table} ({self.counts[table]} vs {other.counts[table]} rows)"
            if self.counts[table] != other.counts[table]
            else f"{table} (same count, different rows)"
            for table in TABLES
            if (self.counts[table], self.sums[table]) != (other.counts[table], other.sums[table])
        ]

    def summary(self) -> str:
        return counted(self.counts)


def counted(counts: dict[str, int]) -> str:
    """``{"projects": 1, "events": 2}`` as "1 project, 2 events" (tables are plurals)."""
    return ", ".join(f"{n} {table[:-1] if n == 1 else table}" for table, n in counts.items())


@dataclass(frozen=True)
class CopyReport:
    digest: Digest
    copied: bool
    """False: the target already held exactly this data; nothing was written."""


async def digest_of(reading: Reading) -> Digest:
    digest = Digest(last_event_id=await reading.last_event_id())
    for table in TABLES:
        async for rows in reading.rows(table):
            digest.add(table, rows)
    return digest


async def copy_between(source: Side, target: Side, target_name: str) -> CopyReport:
    """Copy everything from ``source`` into an empty ``target``, verified, in one
    transaction; a no-op if ``target`` holds exactly the same; refused otherwise."""
    held = await target.counts()
    if any(held.values()):
        async with source.reading() as reading:
            wanted = await digest_of(reading)
        async with target.reading() as reading:
            found = await digest_of(reading)
        if not wanted.differences(found):
            return CopyReport(wanted, copied=False)
        summary = counted({table: count for table, count in held.items() if count})
        raise CopyRefused(
            f"the target {target_name} already holds other data ({summary}); "
            "copy only into an empty database"
        )
    async with source.reading() as reading, target.writing() as writing:
        copied = Digest(last_event_id=await reading.last_event_id())
        for table in TABLES:
            async for rows in reading.rows(table):
                copied.add(table, rows)
                await writing.insert(table, rows)
        await writing.keep_event_ids_above(copied.last_event_id)
        written = await digest_of(writing)
        problems = copied.differences(written)
        if written.last_event_id < copied.last_event_id:
            problems.append("the event ids")
        if problems:  # raising rolls the whole copy back
            raise StorageError(
                f"the copy into {target_name} did not verify ({'; '.join(problems)}); "
                "nothing was written"
            )
    return CopyReport(copied, copied=True)


async def copy_database(source: Target, target: Target) -> CopyReport:
    """``phasebot db copy SOURCE TARGET``: both are migrated to the newest schema first."""
    if source == target:
        raise CopyRefused("the source and the target are the same database")
    if source.path is not None:
        _check_source_file(source.path)
    async with side_of(source) as from_side, side_of(target) as to_side:
        report = await copy_between(from_side, to_side, target.name)
    if report.copied:
        log.info("copied %s from %s to %s", report.digest.summary(), source.name, target.name)
    return report


def _check_source_file(path: Path) -> None:
    """Refuse a SQLite source that isn't there (opening it would create it, empty) or is
    a folder; any other trouble is SQLite's to report when it opens the file."""
    try:
        if path.is_dir():
            raise CopyRefused(f"{path} is a folder, not a SQLite file to copy from")
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise CopyRefused(
            f"there is no SQLite file {path} to copy from; check the path (a relative "
            "path is taken from the current folder)"
        ) from None
    except OSError:
        pass


def side_of(target: Target) -> AbstractAsyncContextManager[Side]:
    if target.url is not None:
        from bot.storage.bulk_pg import postgres_side

        return postgres_side(target.url)
    from bot.storage.bulk_sqlite import sqlite_side

    assert target.path is not None
    return sqlite_side(target.path)
