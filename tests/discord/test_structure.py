"""The shape of the code: every cog is an extension that loads, no two commands clash,
the cogs match the core's command declarations (so the two cannot drift), and the
platform-neutral core never imports discord or aiosqlite."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

import bot.core
import bot.discord.cogs
from bot.core.commands import BY_NAME, COMMANDS
from bot.core.surface import Command, Kind, Where
from bot.discord.bot import EXTENSIONS, PhaseBot

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "bot" / "core"
FORBIDDEN = frozenset({"discord", "aiosqlite"})

AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


# --------------------------------------------------------------------------------------------
# Cogs
# --------------------------------------------------------------------------------------------


def test_every_cog_module_is_an_extension_exactly_once() -> None:
    modules = {
        f"{bot.discord.cogs.__name__}.{info.name}"
        for info in pkgutil.iter_modules(bot.discord.cogs.__path__)
    }
    assert modules, "no cog modules found"
    assert Counter(EXTENSIONS).most_common(1)[0][1] == 1, "an extension is listed twice"
    assert set(EXTENSIONS) == modules


@pytest.mark.parametrize("extension", EXTENSIONS)
def test_extension_defines_async_setup_bot(extension: str) -> None:
    module = importlib.import_module(extension)
    setup = getattr(module, "setup", None)
    assert setup is not None, f"{extension} has no setup()"
    assert inspect.iscoroutinefunction(setup), f"{extension}.setup must be `async def`"
    assert list(inspect.signature(setup).parameters) == ["bot"]


@pytest.fixture
async def bare_bot(make_bot: Callable[[], PhaseBot]) -> AsyncIterator[PhaseBot]:
    """A PhaseBot that never logs in: cogs are loaded into it by hand."""
    instance = make_bot()
    try:
        yield instance
    finally:
        for extension in list(instance.extensions):
            await instance.unload_extension(extension)


def declared(cog: commands.Cog) -> list[AppCommand]:
    """The app commands a cog's class declares (before discord.py builds its tree),
    including ones a same-named sibling would silently replace."""
    found: list[AppCommand] = []
    for klass in reversed(type(cog).__mro__):
        for value in vars(klass).values():
            if isinstance(value, app_commands.Command | app_commands.Group):
                found.append(value)
    return found


@pytest.mark.parametrize("extension", EXTENSIONS)
async def test_extension_loads_on_its_own(bare_bot: PhaseBot, extension: str) -> None:
    await bare_bot.load_extension(extension)
    assert extension in bare_bot.extensions
    cogs = list(bare_bot.cogs.values())
    assert len(cogs) == 1, f"{extension} should add one cog, added {len(cogs)}"
    assert bare_bot.tree.get_commands(), f"{extension} added no slash command"


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(name for name, count in Counter(names).items() if count > 1)


async def test_loaded_cogs_have_no_clashing_commands(bare_bot: PhaseBot) -> None:
    for extension in EXTENSIONS:
        await bare_bot.load_extension(extension)
    assert len(bare_bot.cogs) == len(EXTENSIONS)

    top_level: list[str] = []
    for cog in bare_bot.cogs.values():
        own = declared(cog)
        if isinstance(cog, commands.GroupCog):
            group = cog.__cog_app_commands_group__
            assert group is not None
            top_level.append(group.name)
            names = [c.name for c in own]
            assert _duplicates(names) == [], f"/{group.name}: subcommands share a name"
            assert sorted(c.name for c in group.commands) == sorted(names), (
                f"/{group.name}: a subcommand was dropped"
            )
        else:
            top_level += [c.name for c in own]
            for command in own:
                if isinstance(command, app_commands.Group):
                    children = [c.name for c in command.commands]
                    assert _duplicates(children) == [], f"/{command.name}: clashing subcommands"

    assert _duplicates(top_level) == [], "two cogs declare the same top-level command"
    registered = sorted(c.name for c in bare_bot.tree.get_commands())
    assert registered == sorted(top_level), "the tree lost or gained a command"
    assert bare_bot.tree.get_commands(type=discord.AppCommandType.user) == []
    assert bare_bot.tree.get_commands(type=discord.AppCommandType.message) == []


async def test_every_command_belongs_to_the_cog_that_declares_it(bare_bot: PhaseBot) -> None:
    for extension in EXTENSIONS:
        await bare_bot.load_extension(extension)
    for command in bare_bot.tree.walk_commands():
        if isinstance(command, app_commands.Command):
            assert isinstance(command.binding, commands.Cog), f"/{command.qualified_name}"
            module = type(command.binding).__module__
            assert module in EXTENSIONS, f"/{command.qualified_name} comes from {module}"


# --------------------------------------------------------------------------------------------
# The cogs match the declarations
# --------------------------------------------------------------------------------------------

PLATFORM = "discord"
OPTION_TYPES = {Kind.TEXT: 3, Kind.INTEGER: 4, Kind.BOOLEAN: 5, Kind.ROLE: 8, Kind.CHANNEL: 7}
"""Each declared kind as Discord's option type: string, integer, boolean, role, channel."""
CONTEXTS = {Where.EVERYWHERE: [0, 1, 2], Where.PROJECTS: [0, 1]}
"""Each declared place as Discord's contexts: guild, bot DM, private channel."""
OFFERED = [c for c in COMMANDS if c.offered_on(PLATFORM)]


@pytest.fixture
async def loaded(bare_bot: PhaseBot) -> PhaseBot:
    for extension in EXTENSIONS:
        await bare_bot.load_extension(extension)
    return bare_bot


def app_command(bot: PhaseBot, name: str) -> app_commands.Command[Any, ..., Any]:
    """The loaded app command ``name`` (``"project set"`` for a subcommand)."""
    found = next((c for c in bot.tree.walk_commands() if c.qualified_name == name), None)
    assert isinstance(found, app_commands.Command), f"no app command /{name}"
    return found


def top_level_schema(bot: PhaseBot, command: Command) -> dict[str, Any]:
    """What a sync sends for the command, or for its group."""
    found = bot.tree.get_command(command.group or command.name)
    assert found is not None, f"no app command /{command.group or command.name}"
    return found.to_dict(bot.tree)


def option_problems(declared: Command, schema: dict[str, Any]) -> list[str]:
    """How the options Discord is sent for ``declared`` differ from its declaration."""
    problems: list[str] = []
    offered = [o for o in declared.options if o.offered_on(PLATFORM)]
    sent = list(schema.get("options") or [])
    names = [o["name"] for o in sent]
    if names != [o.name for o in offered]:
        return [f"options {names}, declared {[o.name for o in offered]}"]
    for option, got in zip(offered, sent, strict=True):
        where = f"{option.name}:"
        expected_type = OPTION_TYPES[option.kind]
        text = option.kind is Kind.TEXT
        integer = option.kind is Kind.INTEGER
        checks: list[tuple[str, object, object]] = [
            ("type", got["type"], expected_type),
            ("description", got["description"], option.description),
            ("required", bool(got.get("required")), option.required),
            ("autocomplete", bool(got.get("autocomplete")), option.complete is not None),
            ("min_value", got.get("min_value"), option.min_value if integer else None),
            ("max_value", got.get("max_value"), option.max_value if integer else None),
            ("max_length", got.get("max_length"), option.max_length if text else None),
            (
                "choices",
                got.get("choices"),
                [{"name": c, "value": c} for c in option.choices] or None,
            ),
        ]
        if got.get("min_length") not in (None, 1):  # 1: Discord never sends ""
            problems.append(f"{where} min_length {got['min_length']} is not declared")
        problems += [
            f"{where} {what} is {have!r}, declared {want!r}"
            for what, have, want in checks
            if have != want
        ]
    return problems


@pytest.mark.parametrize("command", OFFERED, ids=[c.name for c in OFFERED])
def test_each_declared_command_is_loaded_as_declared(loaded: PhaseBot, command: Command) -> None:
    found = app_command(loaded, command.name)
    assert found.qualified_name == command.name
    assert found.description == command.description
    schema = found.to_dict(loaded.tree)
    assert option_problems(command, schema) == []
    # The parameters the callback takes are the options, by name, in order.
    params = [p.name for p in found.parameters]
    assert params == [o.name for o in command.options if o.offered_on(PLATFORM)]


@pytest.mark.parametrize("command", OFFERED, ids=[c.name for c in OFFERED])
def test_each_command_is_offered_where_declared(loaded: PhaseBot, command: Command) -> None:
    schema = top_level_schema(loaded, command)
    assert sorted(schema["contexts"]) == CONTEXTS[command.where]
    assert sorted(schema["integration_types"]) == [0, 1]  # installed in servers and by users
    assert schema.get("default_member_permissions") is None  # the core's Gate decides


def test_a_groups_subcommands_are_all_offered_in_the_same_places() -> None:
    """Discord sets contexts on a top-level command only, so a group's subcommands must
    agree on where they are offered."""
    places: dict[str, set[Where]] = {}
    for command in OFFERED:
        if command.group is not None:
            places.setdefault(command.group, set()).add(command.where)
    assert places and all(len(found) == 1 for found in places.values()), places


def test_no_app_command_exists_without_a_declaration(loaded: PhaseBot) -> None:
    declared_names = {c.name for c in OFFERED}
    groups = {c.group for c in OFFERED if c.group is not None}
    for command in loaded.tree.walk_commands():
        if isinstance(command, app_commands.Group):
            assert command.qualified_name in groups, f"/{command.qualified_name}"
        else:
            assert command.qualified_name in declared_names, f"/{command.qualified_name}"
    loaded_names = {c.qualified_name for c in loaded.tree.walk_commands()}
    assert declared_names <= loaded_names
    for name, command in BY_NAME.items():  # not offered on Discord: not loaded either
        if not command.offered_on(PLATFORM):
            assert name not in loaded_names


def _answer_keywords(callback: Callable[..., Any]) -> list[str] | None:
    """The keyword names a cog method passes to ``self.bot.answer``, or None if it
    makes no such call."""
    source = inspect.getsource(callback)
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "answer"
        ):
            assert all(k.arg is not None for k in node.keywords), "no **options"
            return [str(k.arg) for k in node.keywords]
    return None


@pytest.mark.parametrize("command", OFFERED, ids=[c.name for c in OFFERED])
def test_each_cog_method_hands_its_options_to_the_runner_by_name(
    loaded: PhaseBot, command: Command
) -> None:
    found = app_command(loaded, command.name)
    keywords = _answer_keywords(found.callback)
    assert keywords == [o.name for o in command.options if o.offered_on(PLATFORM)]


def test_the_declaration_check_catches_drift() -> None:
    """``option_problems`` notices a renamed, retyped, re-ranged, re-described option."""
    history = BY_NAME["project history"]
    good = {
        "options": [
            {
                "type": 4,
                "name": "limit",
                "description": "Entries per page (1-50, default 10)",
                "required": False,
                "min_value": 1,
                "max_value": 50,
            }
        ]
    }
    assert option_problems(history, good) == []
    (option,) = good["options"]
    for change in (
        {"name": "size"},
        {"type": 3},
        {"max_value": 100},
        {"description": "How many"},
        {"required": True},
        {"autocomplete": True},
    ):
        assert option_problems(history, {"options": [{**option, **change}]}) != [], change
    assert option_problems(history, {"options": []}) != []


# --------------------------------------------------------------------------------------------
# bot/core is platform-neutral
# --------------------------------------------------------------------------------------------


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of every module ``source`` imports: import statements anywhere
    (also under ``if TYPE_CHECKING`` or inside functions), relative ones resolved, and
    ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.add(first.value)
    return {name for name in found if name}


def forbidden_imports(
    root: Path, start: Iterable[str], find_source: Callable[[str], Path | None]
) -> list[str]:
    """Chains ``a -> b -> discord`` from the ``start`` modules to a forbidden package,
    following the project's own modules found under ``root``."""
    problems: list[str] = []
    chains: dict[str, list[str]] = {name: [name] for name in start}
    queue = list(chains)
    while queue:
        current = queue.pop(0)
        path = find_source(current)
        if path is None:
            continue
        for name in sorted(
            imported_modules(path.read_text(encoding="utf-8"), current, path.name == "__init__.py")
        ):
            chain = [*chains[current], name]
            if name.split(".")[0] in FORBIDDEN:
                problems.append(" -> ".join(chain))
            elif find_source(name) is not None and name not in chains:
                chains[name] = chain
                queue.append(name)
    return problems


def _finder(root: Path) -> Callable[[str], Path | None]:
    def find(name: str) -> Path | None:
        base = root.joinpath(*name.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    return find


def test_core_imports_neither_discord_nor_aiosqlite() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 5, "bot/core has source files"
    start = [_module_name(path, REPO) for path in files]
    assert forbidden_imports(REPO, start, _finder(REPO)) == []


def test_the_import_scan_catches_direct_relative_and_indirect_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "core").mkdir(parents=True)
    (package / "edge").mkdir()
    for init in (package, package / "core", package / "edge"):
        (init / "__init__.py").write_text("", encoding="utf-8")
    (package / "core" / "clean.py").write_text(
        "from __future__ import annotations\nimport json\nfrom . import typed\n", encoding="utf-8"
    )
    (package / "core" / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import discord.ui\n",
        encoding="utf-8",
    )
    (package / "core" / "sneaky.py").write_text("from ..edge import store\n", encoding="utf-8")
    (package / "edge" / "store.py").write_text(
        "def open():\n    import aiosqlite as db\n    return db\n", encoding="utf-8"
    )
    (package / "core" / "dynamic.py").write_text(
        "import importlib\nimportlib.import_module('discord')\n", encoding="utf-8"
    )
    find = _finder(tmp_path)
    found = forbidden_imports(
        tmp_path,
        ["pkg.core.clean", "pkg.core.sneaky", "pkg.core.dynamic"],
        find,
    )
    assert "pkg.core.clean -> pkg.core.typed -> discord.ui" in found
    assert "pkg.core.sneaky -> pkg.edge.store -> aiosqlite" in found
    assert "pkg.core.dynamic -> discord" in found
    assert forbidden_imports(tmp_path, ["pkg.edge"], find) == []


def test_core_imports_without_loading_discord_or_aiosqlite() -> None:
    """In a fresh interpreter, importing every bot.core module loads neither package."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import bot.core\n"
        "for info in pkgutil.walk_packages(bot.core.__path__, 'bot.core.'):\n"
        "    importlib.import_module(info.name)\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'discord', 'aiosqlite'})\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_bot_core_package_is_the_one_scanned() -> None:
    assert Path(bot.core.__file__ or "").resolve().parent == CORE
