"""A line of text as a command and its options: the console's and Slack's grammar.

A line is a command only when it starts with ``/``; anything else is a question for
``/ask``. Options go by name (``aspect:testing``) or in order (``/compare agile
spiral``); a value with spaces is quoted (``"Implementation (Coding)"``), and free text
(a question, a note) runs to the end of the line, apostrophes and all. The grammar is
derived from the command declarations, so every command parses the same everywhere.
"""

from __future__ import annotations

import re
from typing import Final

from bot.core.commands import BY_NAME, COMMANDS
from bot.core.errors import InvalidRequest, UnknownCommand
from bot.core.surface import Command, Option

_TOKEN: Final = re.compile(
    r"""(?:[a-z][a-z-]*:)?(?:"[^"]*"|'[^']*'|“[^”]*”)(?=\s|$)|\S+""", re.IGNORECASE
)
_OPTION: Final = re.compile(r"^([a-z][a-z-]*):(.*)$", re.DOTALL | re.IGNORECASE)
_QUOTES: Final = (('"', '"'), ("'", "'"), ("“", "”"))


def parse(line: str, platform: str) -> tuple[Command, dict[str, str]]:
    """The command a line names and its options as text (the runner checks them)."""
    text = line.strip()
    if not text:
        raise InvalidRequest("Type a command, e.g. /phase testing, or /help.")
    ask = BY_NAME["ask"]
    if not text.startswith("/"):
        return ask, {"question": text}
    head, _, rest = text[1:].partition(" ")
    name = head.casefold()
    if name == ask.name:  # free text, no quoting rules: what's, don't, drift:
        question = rest.strip()
        question = question[len("question:") :] if question.startswith("question:") else question
        return ask, {"question": question} if question else {}
    tokens = _tokens(rest)
    offered = [c for c in COMMANDS if c.offered_on(platform)]
    groups = {c.group for c in offered if c.group}
    if name in groups:
        subcommands = ", ".join(c.leaf for c in offered if c.group == name)
        if not tokens:
            raise InvalidRequest(f"/{name} needs a subcommand: {subcommands}.")
        name, tokens = f"{name} {tokens[0][0].casefold()}", tokens[1:]
        if name not in {c.name for c in offered}:
            raise UnknownCommand(f"There is no command /{name}. Subcommands: {subcommands}.")
    command = next((c for c in offered if c.name == name), None)
    if command is None:
        known = ", ".join(f"/{c}" for c in dict.fromkeys(c.name.split()[0] for c in offered))
        raise UnknownCommand(f"There is no command /{name}. Commands: {known}.")
    return command, bind(command, tokens, platform)


def bind(command: Command, tokens: list[tuple[str, bool]], platform: str) -> dict[str, str]:
    """Options by name (``aspect:testing``) or by position; free text runs to the end.

    ``tokens``: each word and whether it was quoted (a quoted word is never an option
    name)."""
    params = {o.name: o for o in command.options if o.offered_on(platform)}
    if tokens and not params:
        raise InvalidRequest(f"/{command.name} takes no options. Example: {command.example}")
    values: dict[str, list[str]] = {}
    current: Option | None = None
    for token, quoted in tokens:
        match = None if quoted else _OPTION.match(token)
        in_free_text = current is not None and current.rest and bool(values[current.name])
        named = match.group(1).casefold() if match else ""
        if match and named in params:
            current = params[named]
            if current.name in values:
                raise InvalidRequest(f"/{command.name} got {current.name} twice.")
            values[current.name] = [_unquote(match.group(2))[0]] if match.group(2) else []
            continue
        if match and not in_free_text:
            raise InvalidRequest(
                f"/{command.name} has no option '{match.group(1)}'. "
                f"Options: {', '.join(params)}. Example: {command.example}"
            )
        if current is not None and (current.rest or not values[current.name]):
            values[current.name].append(token)
            continue
        free = next((o for o in params.values() if o.name not in values), None)
        if free is None:
            raise InvalidRequest(
                f"Too many words for /{command.name}; quote a value with spaces. "
                f"Example: {command.example}"
            )
        values[free.name] = [token]
        current = free
    return {k: " ".join(v).strip() for k, v in values.items() if " ".join(v).strip()}


def _tokens(rest: str) -> list[tuple[str, bool]]:
    return [_unquote(token) for token in _TOKEN.findall(rest)]


def _unquote(token: str) -> tuple[str, bool]:
    """A word without its quotes, and whether it was quoted."""
    for opening, closing in _QUOTES:
        if len(token) >= 2 and token.startswith(opening) and token.endswith(closing):
            return token[1:-1], True
    return token, False
