"""Small text helpers shared by lookup and search."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")

MAX_PHRASE = 5
"""Longest run of words that is looked up as one name (a longer name is never matched)."""


def normalize(text: str) -> str:
    """Fold case and drop everything but letters and digits: 'V-Model' -> 'vmodel'."""
    return "".join(filter(str.isalnum, text.casefold()))


def words(text: str) -> list[str]:
    """Lowercase word tokens: 'V-Model, testing!' -> ['v', 'model', 'testing']."""
    return _WORD.findall(text.casefold())
