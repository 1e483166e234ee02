"""What Slack would say of a message's ``blocks``: slack_sdk's block models, then Slack's limits.

:func:`block_problems` returns a list of reasons, empty when Slack would take the blocks. Each
block must parse with ``slack_sdk.models.blocks.Block.parse``, pass ``validate_json()`` and
serialise back to the same dict with ``to_dict()`` (which validates nested elements too, and
catches unknown block or element types and misspelt keys, which the models drop). The limits
below are checked here as well, whether or not the installed slack_sdk checks them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_SELECT_OPTIONS = 100
MAX_BLOCKS_TEXT = 12_000
"""All the ``text`` strings in a message's blocks, added up."""
MAX_MESSAGE_TEXT = 40_000
"""A message's top-level ``text`` when it has no blocks."""

_SELECTS = {"static_select", "multi_static_select"}


def block_problems(blocks: Any) -> list[str]:
    """Why Slack would reject ``blocks`` (``invalid_blocks``); empty if it would not."""
    if not isinstance(blocks, list):
        return [f"blocks must be a list, not {type(blocks).__name__}"]
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; at most {MAX_BLOCKS}")
    for i, block in enumerate(blocks):
        problems += [f"blocks[{i}]: {p}" for p in _one_block(block)]
    total = sum(len(text) for text in _texts(blocks))
    if total > MAX_BLOCKS_TEXT:
        problems.append(f"{total} characters of text in all; at most {MAX_BLOCKS_TEXT}")
    return problems


def _one_block(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return [f"a block must be an object, not {type(block).__name__}"]
    problems = _limits(block)
    try:
        model = Block.parse(block)
        if model is None:
            return [*problems, f"unknown block type {block.get('type')!r}"]
        model.validate_json()
        round_trip = model.to_dict()
    except Exception as e:  # a malformed block can make the models raise about anything
        return [*problems, f"slack_sdk: {type(e).__name__}: {e}"]
    if round_trip != block:
        where = _first_difference(block, round_trip, "")
        problems.append(f"slack_sdk's models do not read it back the same at {where or '.'}")
    return problems


def _limits(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []

    def too_long(what: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            problems.append(f"{what} has {len(value)} characters; at most {limit}")

    kind = block.get("type")
    if kind == "section":
        too_long("section text", _text_of(block.get("text")), MAX_SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(f"{len(fields)} section fields; at most {MAX_FIELDS}")
        for i, f in enumerate(fields):
            too_long(f"section fields[{i}]", _text_of(f), MAX_FIELD_TEXT)
    elif kind == "header":
        too_long("header text", _text_of(block.get("text")), MAX_HEADER_TEXT)
    for element in _objects(block):
        too_long("action_id", element.get("action_id"), MAX_ACTION_ID)
        if element.get("type") == "button":
            too_long("button text", _text_of(element.get("text")), MAX_BUTTON_TEXT)
            too_long("button value", element.get("value"), MAX_BUTTON_VALUE)
        if (
            element.get("type") in _SELECTS
            and len(element.get("options") or []) > MAX_SELECT_OPTIONS
        ):
            count = len(element["options"])
            problems.append(f"{count} options in a static select; at most {MAX_SELECT_OPTIONS}")
    return problems


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, dict) else None


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict nested in ``value`` (itself included)."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v)


def _texts(value: Any) -> Iterator[str]:
    for obj in _objects(value):
        if isinstance(obj.get("text"), str):
            yield obj["text"]


def _first_difference(a: Any, b: Any, path: str) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            if key not in a or key not in b:
                return f"{path}.{key}"
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return None if a == b else path
