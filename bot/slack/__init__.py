"""phasebot on Slack: the edge between slack-bolt and the core's runner.

Nothing outside this package imports slack_bolt or slack_sdk, and this package is only
imported by ``phasebot slack``: Discord and console users pay nothing for it.
"""
