"""The command schema the real bot registers: what ``tree.sync()`` PUT to the stand-in.

Discord rejects a whole bulk overwrite for one bad command, and does so only at sync time,
so the schema is checked here the way Discord would check it, plus phasebot's own rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pytest

from bot.discord.bot import PhaseBot
from tests.discord.harness import Harness, check_command_schema
from tests.discord.standin import JSON

SUBCOMMAND, GROUP = 1, 2
EXPECTED_COMMANDS = {"phase", "phases", "compare", "methodology", "mlops", "ask", "help", "project"}
PROJECT_SUBCOMMANDS = {
    "status",
    "set",
    "next",
    "back",
    "check",
    "methodology",
    "history",
    "reset",
    "editor-role",
    "overview",
    "timeline",
    "export",
    "announce",
    "remind",
}


def walk(commands: Sequence[JSON]) -> Iterator[tuple[str, JSON]]:
    """Every command, subcommand group, subcommand and option, with its path."""

    def options(path: str, node: JSON) -> Iterator[tuple[str, JSON]]:
        for option in node.get("options") or []:
            here = f"{path} {option['name']}"
            yield here, option
            yield from options(here, option)

    for command in commands:
        yield command["name"], command
        yield from options(command["name"], command)


def levels(commands: Sequence[JSON]) -> Iterator[tuple[str, list[JSON]]]:
    """Each list of options (one level of one command or subcommand), with its path."""
    for path, node in walk(commands):
        if node.get("type", 1) in (1, SUBCOMMAND, GROUP) and "options" in node:
            yield path, list(node.get("options") or [])


@pytest.fixture
def synced(harness: Harness) -> list[JSON]:
    """The body of the global bulk-overwrite PUT the bot's ``tree.sync()`` sent."""
    puts = [body for scope, body in harness.standin.command_puts if scope is None]
    assert puts, "the bot never synced its commands"
    return puts[-1]


def test_discord_would_accept_the_synced_schema(synced: list[JSON]) -> None:
    assert check_command_schema(synced) == []


def test_the_stand_in_accepted_the_sync(harness: Harness, synced: list[JSON]) -> None:
    assert harness.standin.rejected == []
    registered = {c["name"] for c in harness.standin.registered_commands()}
    assert registered == {c["name"] for c in synced}


def test_every_command_is_registered(synced: list[JSON]) -> None:
    assert {c["name"] for c in synced} == EXPECTED_COMMANDS
    assert all(c.get("type", 1) == 1 for c in synced), "slash commands only"


def test_names_are_lowercase_and_descriptions_fit(synced: list[JSON]) -> None:
    for path, node in walk(synced):
        name = node["name"]
        assert name == name.lower(), f"{path}: name is not lowercase"
        assert 1 <= len(name) <= 32, f"{path}: name length"
        assert all(ch.isalnum() or ch in "-_" for ch in name), f"{path}: name characters"
        description = node.get("description")
        assert isinstance(description, str), f"{path}: no description"
        assert 1 <= len(description) <= 100, f"{path}: description is {len(description)} chars"


def test_at_most_25_options_and_required_before_optional(synced: list[JSON]) -> None:
    for path, options in levels(synced):
        assert len(options) <= 25, f"{path}: {len(options)} options"
        plain = [o for o in options if o["type"] not in (SUBCOMMAND, GROUP)]
        if plain:
            assert len(plain) == len(options), f"{path}: options mixed with subcommands"
        required = [bool(o.get("required")) for o in plain]
        assert required == sorted(required, reverse=True), (
            f"{path}: required options must come first, got {required}"
        )


def test_no_name_clashes(synced: list[JSON]) -> None:
    top = Counter((c.get("type", 1), c["name"]) for c in synced)
    assert [key for key, count in top.items() if count > 1] == []
    for path, options in levels(synced):
        names = Counter(o["name"] for o in options)
        assert [n for n, count in names.items() if count > 1] == [], f"{path}: duplicate names"


def test_project_group_has_its_subcommands(synced: list[JSON]) -> None:
    (project,) = [c for c in synced if c["name"] == "project"]
    subcommands = {o["name"]: o for o in project["options"]}
    assert set(subcommands) == PROJECT_SUBCOMMANDS
    assert all(o["type"] == SUBCOMMAND for o in subcommands.values())
    set_options = {o["name"]: o for o in subcommands["set"]["options"]}
    assert set_options["phase"]["required"] and set_options["phase"]["autocomplete"]
    assert not set_options["note"].get("required")
    limit = subcommands["history"]["options"][0]
    assert (limit["name"], limit["min_value"], limit["max_value"]) == ("limit", 1, 50)
    # Project tracking: servers and DMs with the bot, not other people's private channels.
    assert sorted(project["contexts"]) == [0, 1]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("phase", [("name", True, True)]),
        ("phases", []),
        ("compare", [("first", True, True), ("second", True, True), ("aspect", False, True)]),
        ("methodology", [("name", True, True), ("aspect", False, True)]),
        ("mlops", [("aspect", False, True)]),
        ("ask", [("question", True, False)]),
        ("help", []),
    ],
)
def test_knowledge_command_options(
    synced: list[JSON], command: str, options: list[tuple[str, bool, bool]]
) -> None:
    (found,) = [c for c in synced if c["name"] == command]
    got = [
        (o["name"], bool(o.get("required")), bool(o.get("autocomplete")))
        for o in found.get("options") or []
    ]
    assert got == options
    assert sorted(found["integration_types"]) == [0, 1]
    assert sorted(found["contexts"]) == [0, 1, 2]


def test_ask_question_length_is_bounded(synced: list[JSON]) -> None:
    (ask,) = [c for c in synced if c["name"] == "ask"]
    (question,) = ask["options"]
    assert (question["min_length"], question["max_length"]) == (1, 300)


def test_schema_hash_is_taken_over_what_sync_sends(harness: Harness, synced: list[JSON]) -> None:
    bot = harness.bot
    assert isinstance(bot, PhaseBot)
    assert bot.command_schema() == synced
