"""`phasebot db migrate` and `phasebot db copy`: the progress database without the bot.

A database argument is a SQLite file, a ``postgresql://`` URL, or the word
``DATABASE_URL`` / ``DATABASE_PATH`` for the one the setting names (so that a password
need not be typed on a command line, where other users' ``ps`` could see it).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.storage.targets import Target


def add_db_commands(
    sub: argparse._SubParsersAction[Any], parser_class: type[argparse.ArgumentParser]
) -> None:
    db = sub.add_parser(
        "db",
        help="migrate or copy the progress database",
        description="Work with the progress database (SQLite or PostgreSQL).",
    )
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=parser_class)
    db_sub.required = True
    migrate = db_sub.add_parser(
        "migrate",
        help="bring a database to the newest schema, without starting the bot",
        description="Create or upgrade a database to the newest schema and exit. "
        "DATABASE: a SQLite file, a postgresql:// URL, or DATABASE_URL / DATABASE_PATH "
        "for the setting's (default: the database the settings name).",
    )
    migrate.add_argument("database", nargs="?", metavar="DATABASE")
    copy = db_sub.add_parser(
        "copy",
        help="copy every project, event, tick and setting into an empty database",
        description="Copy everything from SOURCE into TARGET (each a SQLite file or a "
        "postgresql:// URL; DATABASE_URL or DATABASE_PATH for the setting's), verify it, "
        "and exit. Running it again is a no-op; a TARGET holding other data is refused. "
        "Stop the bots first: writes made during the copy are not copied.",
    )
    copy.add_argument("source", metavar="SOURCE")
    copy.add_argument("target", metavar="TARGET")


async def run_db_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage.targets import migrate_target

    if args.db_command == "migrate":
        target = _database(settings, args.database)
        before, after = await migrate_target(target)
        if before == after:
            print(f"{target.name}: already at the newest schema (version {after})")
        else:
            print(f"{target.name}: migrated from schema version {before} to {after}")
        return 0
    from bot.storage.transfer import copy_database

    source, target = _database(settings, args.source), _database(settings, args.target)
    report = await copy_database(source, target)
    if report.copied:
        print(f"copied {report.digest.summary()} from {source.name} to {target.name}; verified")
    else:
        print(f"{target.name} already holds exactly this data ({report.digest.summary()})")
    return 0


def _database(settings: Settings, given: str | None) -> Target:
    """A database argument: a path, a postgresql:// URL, or a setting's name."""
    from bot.cli import EXIT_USAGE, CliError
    from bot.services import database_target
    from bot.storage.targets import settings_target, target_of

    if given is None:
        return database_target(settings)
    if given == "DATABASE_URL":
        if settings.database_url is None:
            raise CliError("DATABASE_URL is not set", EXIT_USAGE)
        return settings_target(settings.database_url.get_secret_value(), settings.database_path)
    if given == "DATABASE_PATH":
        return settings_target(None, settings.database_path)
    if "://" in given and not given.startswith(("postgresql://", "postgres://")):
        raise CliError("a database is a SQLite file or a postgresql:// URL", EXIT_USAGE)
    return target_of(given)
