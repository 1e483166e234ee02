"""`python -m bot` is the `phasebot` command."""

from bot.cli import main

raise SystemExit(main())
