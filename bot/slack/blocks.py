"""Answers as Slack messages: mrkdwn written from the answer's structure, in Block Kit.

:func:`mrkdwn` writes structured text in Slack's markup. Everything is escaped (``&``,
``<``, ``>``), so only the mentions and dates written here are markup; words users wrote
(:class:`~bot.core.answer.UserText`) also have their formatting characters broken up, so
a note can't format or ping. :func:`iter_messages` turns an answer into messages of
blocks (a header, sections, fields side by side where the answer has inline fields, a
context footer, an actions block), each within every limit in :mod:`bot.slack.limits`:
long text is split at line breaks (or spaces, or, for one huge word, anywhere, never
inside a mention) and continued in further blocks and messages, never cut silently.
:func:`plan` picks the messages a ``response_url`` can take, with the core's note when
an answer is longer than chat should take.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Final

from bot.core.answer import (
    MAX_MESSAGES,
    Action,
    Answer,
    Bold,
    Button,
    ChannelMention,
    Code,
    Inline,
    Mention,
    Menu,
    RoleMention,
    Style,
    Text,
    Time,
    UserText,
    plain,
    render,
    too_long_note,
)
from bot.core.answer import split_text as split
from bot.core.progress import clip
from bot.slack import limits

Block = dict[str, Any]
Message = dict[str, Any]
"""``{"text": fallback, "blocks": [...]}``: what ``respond`` and ``chat.postMessage`` take."""

EMPTY: Final = "\u200b"
"""Stands in for an empty text, which Slack refuses."""
_FORMATTING: Final = re.compile(r"[*_~`]")
_QUOTE_AT_LINE_START: Final = re.compile(r"^&gt;", re.MULTILINE)
_USER_ID: Final = re.compile(r"[UW][A-Z0-9]{1,31}")
_GROUP_ID: Final = re.compile(r"S[A-Z0-9]{1,31}")
_CHANNEL_ID: Final = re.compile(r"[CDG][A-Z0-9]{1,31}")
_DATE_FORMAT: Final = "{date_short_pretty} {time}"


# -- mrkdwn ----------------------------------------------------------------------------------


def escape(words: str) -> str:
    """``words`` as mrkdwn shows them: Slack's three entities, nothing else."""
    if "&" in words or "<" in words or ">" in words:
        return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return words


def neutral(words: str) -> str:
    """Words a user wrote, shown as written: escaped, and with a zero-width space on each
    side of ``* _ ~ ``` and before a quote mark at a line's start, so they can't format."""
    escaped = _FORMATTING.sub(lambda m: f"{EMPTY}{m.group()}{EMPTY}", escape(words))
    return _QUOTE_AT_LINE_START.sub(f"{EMPTY}&gt;", escaped)


def mrkdwn(value: str | Text) -> str:
    return render(value, _inline)


def _inline(piece: Inline) -> str:
    match piece:
        case str():
            return escape(piece)
        case Bold(words):
            return _wrapped("*", words)
        case Code(words):
            return _wrapped("`", words)
        case Mention(user_id, name):
            return f"<@{user_id}>" if _USER_ID.fullmatch(user_id) else neutral(f"@{name}")
        case RoleMention(role_id):
            return f"<!subteam^{role_id}>" if _GROUP_ID.fullmatch(role_id) else neutral(role_id)
        case ChannelMention(channel_id, name):
            if _CHANNEL_ID.fullmatch(channel_id):
                return f"<#{channel_id}>"
            return neutral(f"#{name or channel_id}")
        case Time(moment, _):
            epoch = int(moment.timestamp())
            fallback = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
            return f"<!date^{epoch}^{_DATE_FORMAT}|{fallback}>"
        case UserText(words):
            return neutral(words)
    raise TypeError(piece)


def _wrapped(mark: str, words: str) -> str:
    """``*words*``, with any spaces around the words kept outside the marks (Slack shows
    ``* x*`` as it is)."""
    inner = words.strip()
    if not inner:
        return escape(words)
    start = words.index(inner[0])
    before, after = words[:start], words[start + len(inner) :]
    return f"{escape(before)}{mark}{escape(inner)}{mark}{escape(after)}"


def split_text(text: str, limit: int) -> list[str]:
    """:func:`~bot.core.answer.split_text`, never cutting inside a ``<…>`` mention or date
    or an ``&…;`` entity."""
    return split(text, limit, _outside_markup)


def _outside_markup(text: str, cut: int) -> int:
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut) and opened > 0:
        cut = opened
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp > 0 and ";" not in text[amp:cut]:
        cut = amp
    return cut


# -- blocks ----------------------------------------------------------------------------------


def _text_object(text: str) -> dict[str, Any]:
    # verbatim: Slack doesn't turn bare names and URLs into links or mentions.
    return {"type": "mrkdwn", "text": text or EMPTY, "verbatim": True}


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text or EMPTY, "emoji": True}


def header(title: str) -> Block:
    return {"type": "header", "text": _plain_text(clip(title, limits.HEADER_TEXT))}


def section(text: str) -> Block:
    return {"type": "section", "text": _text_object(text)}


def sections(text: str) -> Iterator[Block]:
    for chunk in split_text(text, limits.SECTION_TEXT):
        yield section(chunk)


def fields_section(texts: Sequence[str]) -> Block:
    return {"type": "section", "fields": [_text_object(t) for t in texts]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [_text_object(text)]}


def text_size(value: Any) -> int:
    """Characters of text in ``value`` as Slack counts them for a message's total: every
    ``text`` string in it, at any depth."""
    if isinstance(value, dict):
        own = value.get("text")
        size = len(own) if isinstance(own, str) else 0
        return size + sum(text_size(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return sum(text_size(v) for v in value)
    return 0


def _content_size(block: Block) -> int:
    """:func:`text_size` of a block :func:`_content` makes, quicker: its text, and its
    fields' or elements' texts."""
    text = block.get("text")
    size = len(text["text"]) if text else 0
    for item in block.get("fields") or block.get("elements") or ():
        size += len(item["text"])
    return size


def actions_block(actions: Sequence[Action]) -> Block | None:
    """Buttons and menus, as far as Slack takes them. Slack has no disabled button, so one
    is left out; so is an action whose id is too long or already used in the message, and
    a menu with more options (or longer values) than a select holds."""
    elements: list[dict[str, Any]] = []
    seen: set[str] = set()
    total = 0
    for action in actions:
        if len(action.action) > limits.ACTION_ID or action.action in seen:
            continue
        element = _button(action) if isinstance(action, Button) else _select(action)
        if element is None:
            continue
        total += _element_size(element)
        if total > limits.ACTIONS_TEXT:
            break
        seen.add(action.action)
        elements.append(element)
        if len(elements) == limits.ACTIONS_ELEMENTS:
            break
    return {"type": "actions", "elements": elements} if elements else None


def _actions_size(block: Block | None) -> int:
    return sum(_element_size(e) for e in block["elements"]) if block else 0


def _element_size(element: dict[str, Any]) -> int:
    """:func:`text_size` of a button or select made here, quicker."""
    if element["type"] == "button":
        return len(element["text"]["text"])
    size = len(element["placeholder"]["text"])
    size += sum(len(o["text"]["text"]) for o in element["options"])
    chosen = element.get("initial_option")
    return size + (len(chosen["text"]["text"]) if chosen else 0)


def _button(button: Button) -> dict[str, Any] | None:
    if button.disabled:
        return None
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain_text(clip(button.label, limits.BUTTON_TEXT)),
        "action_id": button.action,
    }
    if button.style is not Style.SECONDARY:
        element["style"] = button.style.value
    return element


def _select(menu: Menu) -> dict[str, Any] | None:
    if not 0 < len(menu.options) <= limits.SELECT_OPTIONS:
        return None
    if any(not o.value or len(o.value) > limits.OPTION_VALUE for o in menu.options):
        return None
    options = [
        {"text": _plain_text(clip(o.label, limits.OPTION_TEXT)), "value": o.value}
        for o in menu.options
    ]
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": menu.action,
        "placeholder": _plain_text(clip(menu.placeholder, limits.PLACEHOLDER)),
        "options": options,
    }
    chosen = [option for o, option in zip(menu.options, options, strict=True) if o.default]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _content(answer: Answer) -> Iterator[Block]:
    """The answer's blocks but its actions, in order, each within its own limits."""
    description = mrkdwn(answer.description)
    if answer.plain:
        yield from sections(description or EMPTY)
        return
    if answer.title:
        if len(answer.title) > limits.HEADER_TEXT:  # the whole title opens the text
            description = f"{_wrapped('*', answer.title)}\n\n{description}".strip()
        yield header(answer.title)
    yield from sections(description)
    side_by_side: list[str] = []
    for field in answer.fields:
        text = f"{_wrapped('*', field.name)}\n{mrkdwn(field.value) or EMPTY}"
        if field.inline and len(text) <= limits.FIELD_TEXT:
            if (
                len(side_by_side) == limits.SECTION_FIELDS
                or sum(map(len, side_by_side)) + len(text) > limits.SECTION_TEXT
            ):
                yield fields_section(side_by_side)
                side_by_side = []
            side_by_side.append(text)
            continue
        if side_by_side:
            yield fields_section(side_by_side)
            side_by_side = []
        yield from sections(text)
    if side_by_side:
        yield fields_section(side_by_side)
    if answer.footer:
        footer = escape(answer.footer)
        if len(footer) <= limits.CONTEXT_TEXT:
            yield context(footer)
        else:
            yield from sections(footer)


def fallback(answer: Answer) -> str:
    """The message's top-level text, which notifications show."""
    words = answer.title if answer.title and not answer.plain else plain(answer.description)
    return escape(clip(" ".join(words.split()), limits.FALLBACK_TEXT)) or EMPTY


def iter_messages(answer: Answer) -> Iterator[Message]:
    """The answer as messages, each within every Slack limit, planned only as far as they
    are read. The buttons and menus go at the end of the first message."""
    actions = actions_block(answer.actions)
    first_text = fallback(answer)
    reserved_blocks, reserved_text = (1, _actions_size(actions)) if actions else (0, 0)
    blocks: list[Block] = []
    total = 0
    for block in _content(answer):
        size = _content_size(block)
        if blocks and (
            len(blocks) + 1 > limits.BLOCKS - reserved_blocks
            or total + size > limits.MESSAGE_TEXT - reserved_text
        ):
            yield _message(first_text, blocks, actions)
            first_text = clip(f"{first_text} (continued)", limits.FALLBACK_TEXT)
            blocks, total, actions, reserved_blocks, reserved_text = [], 0, None, 0, 0
        blocks.append(block)
        total += size
    if not blocks and actions is None:
        blocks.append(section(EMPTY))
    yield _message(first_text, blocks, actions)


def _message(text: str, blocks: list[Block], actions: Block | None) -> Message:
    return {"text": text, "blocks": [*blocks, actions] if actions else blocks}


def plan(answer: Answer) -> tuple[list[Message], str | None]:
    """The messages to post, and the note to post after them when the answer is longer
    than chat should take (as many messages as a ``response_url`` takes, note included).
    Only what is posted is rendered, and one more message, to know."""
    most = min(MAX_MESSAGES, limits.RESPONSE_URL_POSTS)
    messages = list(islice(iter_messages(answer), most + 1))
    if len(messages) <= most:
        return messages, None
    shown = messages[: most - 1]
    return shown, too_long_note(len(shown))
