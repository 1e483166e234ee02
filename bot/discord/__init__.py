"""The Discord edge: the Bot subclass, one cog per file, the embed renderer, the error handler."""
