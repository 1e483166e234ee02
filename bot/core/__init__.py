"""The platform-neutral core: content, lookup, search, answers and progress rules.

Nothing in this package imports discord or aiosqlite; the Discord cogs, the console
and the storage layer call into it, never the other way round.
"""
