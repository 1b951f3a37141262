"""What the router does when a host call fails: only a dead or restarting host (Ray's
actor-died and actor-unavailable errors) is looked up again and called again; a host
that raised may have applied the stanzas, so they are answered internal-server-error
and never sent twice.

The hosts here are in-process fakes: a host that raises after applying a stanza, or
whose actor dies at the moment of a call, is a fault a real RoomHost can't be made to
show on demand. tests/actors/test_router_batching.py drives real hosts."""
from __future__ import annotations

import asyncio

import pytest
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayTaskError

from actors import placement as pl
from actors.core import commands as c
from actors.core.effects import Deliver, ErrorOut, MessageOut
from actors.protocol import HostReply
from gateway.router import RoomRouter

ROOM = "coven@chat.shakespeare.lit"
SENDER = "crone@shakespeare.lit/desktop"


class _Method:
    """`actor.method.options(...).remote(...)` of a Ray handle, answered in-process."""

    def __init__(self, run):
        self.run = run

    def options(self, **_):
        return self

    def remote(self, *args):
        return asyncio.ensure_future(self.run(*args))


class FakeHost:
    def __init__(self, fail: BaseException | None = None, before: bool = False):
        self.applied: list = []
        self.fail, self.before = fail, before
        self.handle_many = _Method(self._many)

    async def _many(self, room_jid: str, cmds: list) -> HostReply:
        if self.fail is not None and self.before:
            raise self.fail
        self.applied.extend(cmds)
        if self.fail is not None:
            raise self.fail
        return HostReply(tuple(Deliver((cmd.sender,), MessageOut("Crone", id=cmd.id))
                               for cmd in cmds))


def say(n: int) -> c.Message:
    return c.Message(SENDER, "", "groupchat", f"m{n}", body="hi", payload="<body>hi</body>")


def app_error(cause: Exception) -> Exception:
    """How Ray hands over an exception a host method raised."""
    return RayTaskError("handle_many", "Traceback: ...", cause).as_instanceof_cause()


def router_with(host, monkeypatch, replacement=None) -> RoomRouter:
    router = RoomRouter(pl.Placement("fake"), None, None, lambda *a: None)
    router.handles[ROOM] = host
    monkeypatch.setattr(pl, "find_host", lambda placement, name: replacement)
    return router


@pytest.mark.parametrize("error", [RuntimeError("bug"), app_error(RuntimeError("bug")),
                                   app_error(ActorDiedError())],
                         ids=["raised", "ray-task-error", "raised-after-another-actor-died"])
def test_a_host_that_raised_is_not_called_again_and_each_stanza_is_answered(error, monkeypatch):
    host, spare = FakeHost(error), FakeHost()
    router = router_with(host, monkeypatch, spare)
    effects = asyncio.run(router.call_many(ROOM, [say(1), say(2)]))
    assert host.applied == [say(1), say(2)] and spare.applied == []     # applied once
    assert [(e.to, e.stanza.id, e.stanza.error.condition) for e in effects] == [
        ((SENDER,), "m1", "internal-server-error"), ((SENDER,), "m2", "internal-server-error")]
    assert all(isinstance(e.stanza, ErrorOut) for e in effects) and router.stats["retries"] == 0


@pytest.mark.parametrize("error", [ActorDiedError(), ActorUnavailableError("restarting", None)],
                         ids=["died", "unavailable"])
def test_a_dead_host_is_looked_up_again_and_its_stanzas_applied_once(error, monkeypatch):
    dead, restarted = FakeHost(error, before=True), FakeHost()
    router = router_with(dead, monkeypatch, restarted)
    effects = asyncio.run(router.call_many(ROOM, [say(1), say(2)]))
    assert dead.applied == [] and restarted.applied == [say(1), say(2)]
    assert [e.stanza.id for e in effects] == ["m1", "m2"]
    assert all(isinstance(e.stanza, MessageOut) for e in effects) and router.stats["retries"] == 1


def test_a_stanza_that_fails_in_the_host_shell_is_answered_and_its_batch_goes_on(embedded_mongo):
    """The host's side: an exception outside the room (here a fault injected into the
    max_user_conferences bookkeeping, which must never raise) costs its own stanza an
    internal-server-error; the stanzas before and after it keep their effects, so the
    call itself does not fail (the router would answer all of them with errors)."""
    from actors.core.policy import ServicePolicy
    from tests.actors.test_deferred import OWNER, host_for, instant_room, say, stanzas
    host = host_for(embedded_mongo, ServicePolicy("conference.localhost"))
    room = "faults@conference.localhost"
    settle = host.conferences.settle

    def faulty(room_jid, cmd):
        if getattr(cmd, "id", None) == "id-two":
            raise RuntimeError("injected")
        settle(room_jid, cmd)

    async def scenario():
        await instant_room(host, room)
        host.conferences.settle = faulty
        return await host.handle_many(room, [say(OWNER, "one"), say(OWNER, "two"),
                                             say(OWNER, "three")])

    reply = asyncio.run(scenario())
    got = [(type(s).__name__, s.id) for s in stanzas(reply.effects, OWNER)]
    assert got == [("MessageOut", "id-one"), ("ErrorOut", "id-two"), ("MessageOut", "id-three")]
