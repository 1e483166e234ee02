"""Discord's limits, in one place: what the renderer and the cogs cut answers to."""

from __future__ import annotations

from typing import Final

TITLE: Final = 256
DESCRIPTION: Final = 4096
FIELD_NAME: Final = 256
FIELD_VALUE: Final = 1024
FIELDS: Final = 25
FOOTER: Final = 2048
MESSAGE_TOTAL: Final = 6000
"""Characters of all embeds of one message together."""
EMBEDS_PER_MESSAGE: Final = 10
CONTENT: Final = 2000
"""A message's text (not its embeds)."""
CHOICES: Final = 25
"""Autocomplete choices shown."""
CHOICE_LABEL: Final = 100
BUTTON_LABEL: Final = 80
SELECT_OPTIONS: Final = 25
SELECT_LABEL: Final = 100
CUSTOM_ID: Final = 100
ASK_QUESTION: Final = 300
"""Longest /ask question the command's option takes."""
ATTACHMENT: Final = 10 * 1024 * 1024
"""Bytes of a file a bot may attach in any server; a bigger file is sent gzipped."""
DEFER_AFTER: Final = 1.5
"""Seconds a command may take before its answer is deferred (Discord allows 3)."""
