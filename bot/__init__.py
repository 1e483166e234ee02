"""phasebot: answers about the SDLC and MLOps, and each channel's project phase.

``bot.cli`` is the ``phasebot`` command; ``bot.services`` builds the core's resources
that the Discord bot (``bot.discord``), the Slack app and the console are given.
"""
