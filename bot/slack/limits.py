"""Slack's limits, in one place: what the Block Kit renderer and the edge cut answers to.

From Slack's Block Kit reference (blocks, block elements, composition objects) and its
``response_url`` documentation. ``tests/slack/blocks.py`` checks every message against
the same numbers, independently.
"""

from __future__ import annotations

from typing import Final

BLOCKS: Final = 50
"""Blocks in one message."""
MESSAGE_TEXT: Final = 12_000
"""Characters of all the text in one message's blocks together."""
SECTION_TEXT: Final = 3000
SECTION_FIELDS: Final = 10
FIELD_TEXT: Final = 2000
HEADER_TEXT: Final = 150
CONTEXT_TEXT: Final = 3000
ACTIONS_ELEMENTS: Final = 25
ACTIONS_TEXT: Final = MESSAGE_TEXT - SECTION_TEXT
"""The most text an answer's actions block may hold: any one other block still fits
beside it in a message."""
BUTTON_TEXT: Final = 75
BUTTON_VALUE: Final = 2000
ACTION_ID: Final = 255
SELECT_OPTIONS: Final = 100
OPTION_TEXT: Final = 75
OPTION_VALUE: Final = 150
PLACEHOLDER: Final = 150
FALLBACK_TEXT: Final = 300
"""The top-level ``text`` of a message with blocks: only notifications show it, so keep it
short (Slack itself takes up to 40,000)."""
RESPONSE_URL_POSTS: Final = 5
"""A ``response_url`` takes at most five posts (within 30 minutes of the command)."""
