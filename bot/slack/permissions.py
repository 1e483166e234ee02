"""Who may change a channel's project on Slack: the platform's side of the rules.

Slack has no per-channel permission like Discord's Manage Channels, so: changing a phase
is open to workspace admins and owners, to members of the workspace's editor user group
(``/project editor-group``), and in a DM, to the people in it. Resetting and choosing
the editor group need an admin or owner. Reading is open to anyone.

Who is an admin (``users.info``) and who is in a group (``usergroups.users.list``) is
asked of Slack and kept for :data:`CACHE_SECONDS`: ``usergroups.users.list`` is a Tier 2
method (about 20 calls a minute), so a busy channel would otherwise soon be rate
limited. One look-up at a time per user or group; the others wait for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import EDITOR_ROLE
from bot.core.errors import NotAllowed, PhasebotError
from bot.core.state import Place, Scope
from bot.core.surface import Need, Request
from bot.core.tracker import Tracker

log = logging.getLogger(__name__)

CACHE_SECONDS: Final = 60.0
"""How long an answer from Slack about a user or group is trusted: a user removed from
the group, or no longer an admin, may still change phases for up to this long."""
MAX_CACHED: Final = 10_000
"""Past this many entries, expired ones are dropped."""
_NOT_FOUND: Final = frozenset({"user_not_found", "no_such_subteam", "subteam_not_found"})


class LookupFailed(PhasebotError):
    def __init__(self) -> None:
        super().__init__(
            "I couldn't check your permissions with Slack just now. Nothing was changed; "
            "try again in a moment."
        )


class Directory:
    """Workspace admins and user group members, as Slack says, cached briefly."""

    def __init__(
        self,
        client: AsyncWebClient,
        seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.seconds = seconds
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, asyncio.Task[frozenset[str]]]] = {}

    async def is_admin(self, user_id: str) -> bool:
        """A workspace admin or owner (``users.info``)."""
        return bool(await self._cached("user", user_id, self._admin))

    async def members(self, group_id: str) -> frozenset[str]:
        """The user ids in a user group (``usergroups.users.list``)."""
        return await self._cached("group", group_id, self._members)

    async def _admin(self, user_id: str) -> frozenset[str]:
        user = (await self.client.users_info(user=user_id))["user"]
        admin = not user.get("deleted") and (user.get("is_admin") or user.get("is_owner"))
        return frozenset({user_id}) if admin else frozenset()

    async def _members(self, group_id: str) -> frozenset[str]:
        found = await self.client.usergroups_users_list(usergroup=group_id)
        return frozenset(str(u) for u in found.get("users") or ())

    async def _cached(
        self, kind: str, key: str, fetch: Callable[[str], Awaitable[frozenset[str]]]
    ) -> frozenset[str]:
        now = self.clock()
        entry = self._cache.get((kind, key))
        if entry is None or entry[0] <= now:
            if len(self._cache) >= MAX_CACHED:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            entry = (now + self.seconds, asyncio.ensure_future(self._ask(kind, key, fetch)))
            self._cache[(kind, key)] = entry
        try:
            return await asyncio.shield(entry[1])
        except Exception:
            if self._cache.get((kind, key)) is entry:  # a failure is not kept
                del self._cache[(kind, key)]
            raise

    async def _ask(
        self, kind: str, key: str, fetch: Callable[[str], Awaitable[frozenset[str]]]
    ) -> frozenset[str]:
        try:
            return await fetch(key)
        except SlackApiError as error:
            code = error.response.get("error")
            if code in _NOT_FOUND:
                log.info("Slack has no %s %s (%s)", kind, key, code)
                return frozenset()
            log.warning("could not look up %s %s: %s", kind, key, code)
            raise LookupFailed() from None
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("could not look up %s %s: %s", kind, key, type(error).__name__)
            raise LookupFailed() from None


class SlackGate:
    """The permission check of one Slack request, asked in channel ``here``."""

    def __init__(self, directory: Directory, tracker: Tracker, here: Scope | None = None) -> None:
        self.directory = directory
        self.tracker = tracker
        self.here = here

    async def sees(self, scope: Scope) -> bool:
        """Only the channel asked in: without the channels:read and groups:read scopes,
        Slack doesn't tell an app who can see another channel, so an overview or a
        timeline never shows one the user might not see."""
        return self.here is not None and scope.key == self.here.key

    async def require(self, need: Need, request: Request) -> None:
        scope = request.scope
        if need is Need.ANYONE or scope is None or scope.private:
            return
        user = request.actor.id
        if need is Need.MANAGER:
            if not await self.directory.is_admin(user):
                raise NotAllowed("That needs a workspace admin or owner. Nothing was changed.")
            return
        group = await self.tracker.setting(Place(scope.platform, scope.workspace), EDITOR_ROLE)
        if group is not None and user in await self.directory.members(group):
            return  # one cached look-up serves every member of the group
        if await self.directory.is_admin(user):
            return
        needed = "a workspace admin or owner"
        if group is not None:
            needed += f", or a member of <!subteam^{group}>"
        raise NotAllowed(f"Changing this channel's project needs {needed}. Nothing was changed.")
