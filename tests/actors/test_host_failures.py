"""A room that fails inside its host (a bug, or storage down mid-command) leaves memory, and
its occupants are told at once to rejoin (110 + 332) instead of being left as ghosts.
Without Ray; real SecantusDB. The failure is injected: a bug can't be caused for real."""
from __future__ import annotations

import asyncio
import uuid

from actors.core.effects import ErrorOut, PresenceOut
from actors.core.policy import ServicePolicy
from persistence.store import StoreUnavailable
from tests.actors.test_deferred import BOB, DOMAIN, OWNER, host_for, instant_room, join, say, \
    stanzas


def failing(exc: Exception):
    def handle(cmd, env):
        raise exc
    return handle


def crash_with(embedded_mongo, exc: Exception, condition: str) -> None:
    host = host_for(embedded_mongo, ServicePolicy(DOMAIN))
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await instant_room(host, room)
        await host.handle(room, join(BOB, "Bob"))
        host.rooms[room].handle = failing(exc)
        reply = (await host.handle(room, say(BOB, "boom"))).effects
        for jid, nick in ((OWNER, "Owner"), (BOB, "Bob")):
            [told] = stanzas(reply, jid, PresenceOut)
            assert (told.nick, told.unavailable, told.codes) == (nick, True, (110, 332))
        assert [e.error.condition for e in stanzas(reply, BOB, ErrorOut)] == [condition]
        assert room not in host.rooms
        again = (await host.handle(room, join(BOB, "Bob"))).effects    # it takes them back
        assert [p for p in stanzas(again, BOB, PresenceOut) if 110 in p.codes]
    asyncio.run(scenario())


def test_a_room_that_raises_tells_its_occupants_to_rejoin(embedded_mongo):
    crash_with(embedded_mongo, RuntimeError("a bug"), "internal-server-error")


def test_a_room_whose_storage_fails_tells_its_occupants_to_rejoin(embedded_mongo):
    crash_with(embedded_mongo, StoreUnavailable("down"), "service-unavailable")
