"""The `phasebot` command: run, console, ask, sync, content check, db migrate, db copy.

Every user mistake ends in one clear line on stderr and a non-zero exit code:
2 for a usage or settings problem, 1 for a refused request or failed check.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bot.config import Settings, SettingsError, load_settings
from bot.core.errors import ContentError, PhasebotError
from bot.db_cli import add_db_commands, run_db_command
from bot.slack import cli as slack_cli

if TYPE_CHECKING:
    from bot.console import Console
    from bot.core.answer import Answer

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2

NO_TOKEN = (
    "no Discord token: set DISCORD_TOKEN in the environment or in .env "
    "(see .env.example). To try the bot without Discord, run `phasebot console`."
)


_PASSWORD_IN_URL = re.compile(r"(://[^/:@]*:)[^@/]*@")
"""A password in a URL on the command line: never logged."""


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="phasebot",
        description="A Discord and Slack bot that answers questions about the SDLC and "
        "MLOps and tracks each channel's project phase.",
    )
    parser.add_argument("--version", action="version", version=f"phasebot {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser(
        "run",
        help="connect to Discord and answer commands",
        description=(
            "Connect to Discord with DISCORD_TOKEN. Slash commands are registered only "
            "when they changed since the last sync."
        ),
    )
    console = sub.add_parser(
        "console",
        help="type the bot's commands in a terminal",
        description="A prompt for the bot's slash commands, as text.",
    )
    console.add_argument(
        "--channel",
        default="console",
        metavar="NAME",
        help="the channel whose project progress to use (default: console)",
    )
    ask = sub.add_parser(
        "ask",
        help="answer one command and exit",
        description='Answer one command, e.g. phasebot ask "/phase testing".',
    )
    ask.add_argument(
        "line", metavar="COMMAND", nargs="+", help='a slash command, e.g. "/phase testing"'
    )
    ask.add_argument(
        "--channel",
        default="console",
        metavar="NAME",
        help="the channel whose project progress to use (default: console)",
    )
    ask.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="where to save a picture or export (default: its own name, here)",
    )
    sync = sub.add_parser(
        "sync",
        help="register the slash commands with Discord now",
        description="Register the slash commands now, globally or in one server.",
    )
    sync.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="copy the commands to this server for instant updates",
    )
    slack_cli.add_parser(sub, _Parser)
    content = sub.add_parser(
        "content",
        help="work with content directories",
        description="Work with content directories.",
    )
    content_sub = content.add_subparsers(
        dest="content_command", metavar="ACTION", parser_class=_Parser
    )
    content_sub.required = True
    check = content_sub.add_parser(
        "check",
        help="validate a content directory",
        description="Validate a content directory and list every problem.",
    )
    check.add_argument(
        "directory",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="the directory to check (default: CONTENT_DIR or the bundled content)",
    )
    add_db_commands(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:
        parser.print_help()
        return EXIT_USAGE
    args = parser.parse_args(arguments)
    # Answers carry "·", "◀", "☑": never crash on a terminal that cannot show them.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    if isinstance(sys.stdin, io.TextIOWrapper):
        # Invalid UTF-8 arrives as lone surrogates, which the runner refuses politely.
        sys.stdin.reconfigure(errors="surrogateescape")
    try:
        return _dispatch(args)
    except CliError as exc:
        _say(str(exc))
        return exc.code
    except SettingsError as exc:
        _say(str(exc))
        return EXIT_USAGE
    except ContentError as exc:
        _say(exc.user_message())
        return EXIT_REFUSED
    except PhasebotError as exc:
        _say(exc.user_message())
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`phasebot ask ... | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        shown = " ".join(_PASSWORD_IN_URL.sub(r"\1***@", a) for a in arguments)
        log.debug("unexpected error in phasebot %s", shown, exc_info=True)
        _say(apology(exc))
        return EXIT_REFUSED


def _say(message: str) -> None:
    """A refusal or an apology on stderr, as one line a terminal only shows (text a user
    typed is in it, and must not run as an escape sequence)."""
    from bot.console import sanitize

    print(f"phasebot: {sanitize(message)}", file=sys.stderr)


def apology(exc: BaseException) -> str:
    """One line for a bug: what broke, and how to see the traceback."""
    return (
        f"sorry, something went wrong on my side ({type(exc).__name__}: {exc}). "
        "Run with LOG_LEVEL=DEBUG for the details."
    )


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "content":
        return _content_check(args.directory)
    if args.command == "slack" and args.slack_command == "manifest":
        return slack_cli.manifest(args.http_url)
    settings = load_settings()
    if args.command == "db":
        _configure_logging(settings.log_level if settings.log_level == "DEBUG" else "WARNING")
        return asyncio.run(run_db_command(settings, args))
    # In the terminal commands the answer is the output: log only problems there,
    # unless LOG_LEVEL=DEBUG asks for everything.
    quiet = args.command in {"ask", "console"} and settings.log_level != "DEBUG"
    _configure_logging("WARNING" if quiet else settings.log_level)
    if args.command == "ask":
        return asyncio.run(_ask(settings, " ".join(args.line), args.channel, args.out))
    if args.command == "console":
        return _console(settings, args.channel)
    if args.command == "slack":
        return slack_cli.run(settings, args.host, args.port)
    if settings.discord_token is None:
        raise CliError(NO_TOKEN, EXIT_USAGE)
    from bot.discord import runner  # discord.py is imported only for these commands

    try:
        if args.command == "run":
            return asyncio.run(runner.run(settings))
        return asyncio.run(runner.sync(settings, args.guild))
    except runner.RunError as exc:
        raise CliError(str(exc)) from None


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _content_check(directory: Path | None) -> int:
    from bot.core.content import bundled_content_dir, load_content

    if directory is None:
        directory = load_settings().content_dir or bundled_content_dir()
    content = load_content(directory)
    tables = ", ".join(f"{t.title} ({len(t.subjects)}×{len(t.aspects)})" for t in content.tables)
    print(f"{directory}: ok — {len(content.phases)} phases; {tables}")
    return EXIT_OK


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("phasebot")
    except PackageNotFoundError:  # run from a checkout that isn't installed
        return "(not installed)"


def _channel(name: str) -> str:
    from bot.console import printable

    if not printable(name):
        raise CliError("--channel must be a name of printable text.", EXIT_USAGE)
    return name.strip()


@asynccontextmanager
async def _console_of(settings: Settings, channel: str) -> AsyncIterator[Console]:
    """A console whose database is opened only if a project command needs it."""
    from bot.console import Console, OnFirstUse
    from bot.services import load_services, make_runner, open_database

    services = load_services(settings.content_dir)
    repository = OnFirstUse(lambda: open_database(settings))
    try:
        yield Console(make_runner(services, repository), _channel(channel))
    finally:
        await repository.close()


async def _ask(settings: Settings, line: str, channel: str, out: Path | None) -> int:
    from bot.console import present

    async with _console_of(settings, channel) as console:
        answer = await console.execute(line)
    print(present(answer, Path.cwd(), out), end="")
    return EXIT_OK


def _console(settings: Settings, channel: str) -> int:
    """The prompt. Input is read synchronously so signals interrupt it at once; however
    it ends (Ctrl-D, `exit`, SIGTERM, Ctrl-C when not interactive), the database is
    closed cleanly first."""
    loop = asyncio.new_event_loop()
    session = _Session(loop)
    previous = signal.signal(signal.SIGTERM, session.terminate)
    code = EXIT_OK
    opened = _console_of(settings, channel)
    try:
        console = loop.run_until_complete(opened.__aenter__())
        if settings.database_path.exists() or settings.database_url is not None:
            reminder = loop.run_until_complete(console.reminder())
            if reminder is not None:
                from bot.console import render_text

                print(render_text(reminder), flush=True)
        _prompt_loop(console, session, channel)
    except _Terminated:
        code = EXIT_OK
    except KeyboardInterrupt:
        code = 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # closing is not interrupted
        try:
            loop.run_until_complete(opened.__aexit__(None, None, None))
        finally:
            loop.close()
            signal.signal(signal.SIGTERM, previous)
    return code


class _Terminated(BaseException):
    """SIGTERM at the prompt: stop the console cleanly (a BaseException, so that no
    handler of errors can swallow it)."""


class _Session:
    """The console's state for SIGTERM: at the prompt it stops at once; while a command
    runs, the command may finish (and its answer is printed) for up to
    :data:`TERM_GRACE_SECONDS`, else it is cancelled (and nothing of it is written)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.task: asyncio.Task[Answer] | None = None
        self.stopping = False

    def terminate(self, signum: int, frame: object) -> None:
        task = self.task
        if task is None:
            raise _Terminated
        self.stopping = True
        self.loop.call_soon_threadsafe(self._cancel_later, task)

    def _cancel_later(self, task: asyncio.Task[Answer]) -> None:
        self.loop.call_later(TERM_GRACE_SECONDS, task.cancel)

    def run(self, console: Console, line: str) -> Answer | None:
        """The line's answer; None if SIGTERM cancelled it before it was written. The
        task stays set until :meth:`done`, so a SIGTERM while the answer is printed
        lets the printing finish."""
        self.task = self.loop.create_task(console.execute(line))
        try:
            return self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            return None

    def done(self) -> None:
        self.task = None


TERM_GRACE_SECONDS = 0.5
"""How long a command under way may still finish after SIGTERM."""


def _prompt_loop(console: Console, session: _Session, channel: str) -> None:
    from bot.console import present, sanitize

    interactive = sys.stdin.isatty()
    if interactive:
        import readline  # noqa: F401 - line editing and history for input()

        shown = sanitize(channel)
        print(f"phasebot console · channel “{shown}” · /help lists commands · Ctrl-D quits")
    while not session.stopping:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            if interactive:
                print()
            break
        except KeyboardInterrupt:
            if not interactive:
                raise
            print()  # Ctrl-C drops the line being typed, as shells do; Ctrl-D quits
            continue
        if not line.strip():
            continue
        if line.strip().casefold() in {"exit", "quit", "/exit", "/quit"}:
            break
        try:
            answer = session.run(console, line)
            if answer is None:
                break
            print(present(answer, Path.cwd()), flush=True)
        except PhasebotError as exc:
            print(sanitize(exc.user_message()) + "\n", flush=True)
        except Exception as exc:
            log.debug("unexpected error answering %r", line, exc_info=True)
            print(sanitize(apology(exc)) + "\n", flush=True)
        finally:
            session.done()
