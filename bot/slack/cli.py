"""``phasebot slack`` and ``phasebot slack manifest``: their arguments, and what they run.

Imported by :mod:`bot.cli` for the parser; slack-bolt, slack_sdk and PyYAML (the
``phasebot[slack]`` extra) are imported only when one of these commands runs, so Discord
and console users never load them, nor need them installed.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from bot.config import Settings

NO_SLACK: Final = "Slack support is not installed: run pip install '.[slack]' in phasebot's folder"
NO_SLACK_TOKEN: Final = (
    "no Slack bot token: set SLACK_BOT_TOKEN (xoxb-…) in the environment or in .env "
    "(see the README, Running it in Slack)."
)
NO_SLACK_ROUTE: Final = (
    "no way for Slack to reach the app: set SLACK_APP_TOKEN (xapp-…) for Socket Mode, "
    "or SLACK_SIGNING_SECRET to serve HTTP (see the README, Running it in Slack)."
)
_EXTRA: Final = frozenset({"slack_bolt", "slack_sdk", "yaml"})
P = TypeVar("P", bound=argparse.ArgumentParser)


def add_parser(sub: argparse._SubParsersAction[P], parser_class: type[P]) -> None:
    slack = sub.add_parser(
        "slack",
        help="connect to Slack and answer commands",
        # argparse would show the optional ACTION as required: "... ACTION ..."
        usage="%(prog)s [-h] [--host HOST] [--port PORT] [manifest [--http-url URL]]",
        description=(
            "Connect to Slack with SLACK_BOT_TOKEN: in Socket Mode when SLACK_APP_TOKEN is "
            "set, else as an HTTP server for Slack's requests (checked against "
            "SLACK_SIGNING_SECRET) at /slack/events."
        ),
    )
    slack.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP mode: the address to listen on (default: 127.0.0.1; 0.0.0.0 for all)",
    )
    slack.add_argument(
        "--port", type=_port, default=3000, help="HTTP mode: the port (default: 3000)"
    )
    actions = slack.add_subparsers(
        prog=slack.prog,  # not the usage line above: "phasebot slack manifest ..."
        dest="slack_command",
        metavar="ACTION",
        parser_class=parser_class,
        title="actions (optional; none connects to Slack)",
    )
    manifest = actions.add_parser(
        "manifest",
        help="print the Slack app manifest",
        description="Print the app manifest (YAML) to create the Slack app from.",
    )
    manifest.add_argument(
        "--http-url",
        metavar="URL",
        help="the public https URL Slack should post to (HTTP mode); "
        "without it, the app uses Socket Mode",
    )


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


def _missing_extra(error: ImportError) -> bool:
    return isinstance(error, ModuleNotFoundError) and (error.name or "").split(".")[0] in _EXTRA


def manifest(http_url: str | None) -> int:
    """Print the manifest as YAML."""
    from bot.cli import EXIT_OK, EXIT_USAGE, CliError

    try:
        import yaml
    except ImportError as error:
        if not _missing_extra(error):
            raise
        raise CliError(NO_SLACK, EXIT_USAGE) from None
    from bot.slack.manifest import manifest, request_url

    try:
        url = request_url(http_url) if http_url is not None else None
    except ValueError as error:
        raise CliError(str(error), EXIT_USAGE) from None
    print(yaml.safe_dump(manifest(url), sort_keys=False, allow_unicode=True, width=1000), end="")
    return EXIT_OK


def run(settings: Settings, host: str, port: int) -> int:
    """Run the Slack app until SIGINT or SIGTERM."""
    from bot.cli import EXIT_USAGE, CliError

    try:
        from bot.slack import runner
    except ImportError as error:
        if not _missing_extra(error):
            raise
        raise CliError(NO_SLACK, EXIT_USAGE) from None
    if settings.slack_bot_token is None:
        raise CliError(NO_SLACK_TOKEN, EXIT_USAGE)
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise CliError(NO_SLACK_ROUTE, EXIT_USAGE)
    try:
        return asyncio.run(runner.run(settings, host, port))
    except runner.RunError as error:
        raise CliError(str(error)) from None
