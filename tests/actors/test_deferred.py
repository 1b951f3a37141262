"""A room host's work outside a stanza's call (actors/deferred.py), without Ray: held
stanzas released by timers, HTTP password checks that don't stall the room, and the
room log. Real SecantusDB, a real HTTP service on loopback, a real file system; the
gateway's push channel is replaced by a list."""
from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from actors.core import commands as c
from actors.core.effects import Deliver, ErrorOut, MessageOut, PresenceOut
from actors.core.policy import ServicePolicy
from actors.core.rate_limits import RateLimits
from actors.core.state import RoomSeed
from actors.host import RoomHost
from actors.http_auth import AuthPool
from actors.room_log import RoomLogSettings
from actors.settings import HostSettings, ServiceSettings
from tests.fixtures.check_password import CheckPasswordService

DOMAIN = "conference.localhost"
OWNER, BOB, CAROL = "owner@localhost/o", "bob@localhost/b", "carol@localhost/c"


class Pushes:
    def __init__(self):
        self.batches: list[tuple] = []
        self.arrived = asyncio.Event()

    async def __call__(self, room_jid, effects):
        self.batches.append(tuple(effects))
        self.arrived.set()

    async def next(self, timeout: float = 20.0) -> tuple:
        while not self.batches:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), timeout)
        return self.batches.pop(0)


def host_for(mongo, policy: ServicePolicy, seed: RoomSeed = RoomSeed(), **settings) -> RoomHost:
    services = {DOMAIN: ServiceSettings(policy, seed, "all", None, None)}
    host = RoomHost(HostSettings(services, mongo.uri, database=f"t{uuid.uuid4().hex[:12]}",
                                 **settings), "test-host")
    host.deferred.push = Pushes()
    return host


def stanzas(effects, jid, kind=object) -> list:
    return [e.stanza for e in effects if isinstance(e, Deliver) and jid in e.to
            and isinstance(e.stanza, kind)]


async def until(condition, timeout: float = 20.0) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


def join(jid, nick, **kw):
    return c.Presence(jid, nick, True, muc=True, **kw)


def say(jid, body):
    return c.Message(jid, "", "groupchat", f"id-{body}", body=body, payload=f"<body>{body}</body>")


async def instant_room(host, room, **join_kw):
    await host.handle(room, join(OWNER, "Owner", **join_kw))
    await host.handle(room, c.OwnerSet(OWNER, "cfg", form=c.Form("submit")))


def test_a_held_message_is_delivered_by_the_timer_through_the_push_channel(embedded_mongo):
    policy = ServicePolicy(DOMAIN, rates=RateLimits(min_message_interval=1))
    host = host_for(embedded_mongo, policy)
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await instant_room(host, room)
        await host.handle(room, join(BOB, "Bob"))
        first = (await host.handle(room, say(BOB, "one"))).effects
        second = (await host.handle(room, say(BOB, "two"))).effects
        third = (await host.handle(room, say(BOB, "three"))).effects
        assert [m.payload for m in stanzas(first, OWNER, MessageOut)] == ["<body>one</body>"]
        assert stanzas(second, OWNER) == []
        assert [e.error.condition for e in stanzas(third, BOB, ErrorOut)] == ["resource-constraint"]
        pushed = await host.deferred.push.next()
        assert [m.payload for m in stanzas(pushed, OWNER, MessageOut)] == ["<body>two</body>"]
    asyncio.run(scenario())


@pytest.fixture
def check_service():
    service = CheckPasswordService().start()
    yield service
    service.stop()


def auth_host(mongo, service, **pool):
    return host_for(mongo, ServicePolicy(DOMAIN, http_auth=True),
                    RoomSeed(config={"password_protected": True}),
                    http_auth=AuthPool("auth", service.url, request_timeout=1.0, **pool))


async def auth_room(host, room) -> tuple:
    """Create and unlock a room through the HTTP check; the creation's push."""
    await host.handle(room, join(OWNER, "Owner", password="good"))
    pushed = await host.deferred.push.next()
    await host.handle(room, c.OwnerSet(OWNER, "cfg", form=c.Form("submit")))
    return pushed


def test_a_slow_password_check_does_not_stall_the_room(embedded_mongo, check_service):
    host = auth_host(embedded_mongo, check_service)
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        created = await host.handle(room, join(OWNER, "Owner", password="good"))
        assert created.effects == ()                    # the answer comes by push
        pushed = await host.deferred.push.next()
        assert any(201 in p.codes for p in stanzas(pushed, OWNER, PresenceOut))
        await host.handle(room, c.OwnerSet(OWNER, "cfg", form=c.Form("submit")))
        assert check_service.requests[0] == {"path": "/check_password", "from": OWNER,
                                             "to": room, "pass": "good"}
        waiting = await host.handle(room, join(BOB, "Bob", password="slow"))
        assert waiting.effects == ()
        await until(lambda: len(check_service.requests) == 2)   # Bob's check is at the service
        meanwhile = (await host.handle(room, say(OWNER, "still here"))).effects
        assert [m.payload for m in stanzas(meanwhile, OWNER, MessageOut)] == \
            ["<body>still here</body>"]
        assert "Bob" not in host.rooms[room].occupants
        check_service.release()
        pushed = await host.deferred.push.next()
        assert any(110 in p.codes for p in stanzas(pushed, BOB, PresenceOut))
        assert check_service.requests[1] == {"path": "/check_password", "from": BOB, "to": room,
                                             "pass": "slow"}
        await host.deferred.close()
    asyncio.run(scenario())


FAILED = "The password check failed: "


@pytest.mark.parametrize("password, condition, text", [
    ("bad", "not-authorized", "1 Wrong password"),
    ("nomsg", "not-authorized", "7"),
    ("http500", "service-unavailable", FAILED + "the service answered HTTP 500"),
    ("badjson", "service-unavailable", FAILED + "the service's answer is not JSON"),
    ("nocode", "service-unavailable", FAILED + 'the service\'s answer has no integer "code"'),
    ("hang", "service-unavailable", FAILED + "the service did not answer in time"),
])
def test_refusals_carry_the_services_verdict(embedded_mongo, check_service, password, condition,
                                             text):
    host = auth_host(embedded_mongo, check_service)
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await auth_room(host, room)
        await host.handle(room, join(BOB, "Bob", password=password, id="j1"))
        pushed = await host.deferred.push.next()
        [err] = stanzas(pushed, BOB, ErrorOut)
        assert (err.kind, err.id, err.nick, err.error.condition, err.error.text) == \
            ("presence", "j1", "Bob", condition, text)
        assert "Bob" not in host.rooms[room].occupants
        await host.deferred.close()
    asyncio.run(scenario())


def test_an_unreachable_service_refuses_with_service_unavailable(embedded_mongo, check_service):
    host = auth_host(embedded_mongo, check_service)
    check_service.stop()
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await host.handle(room, join(OWNER, "Owner", password="good"))
        [err] = stanzas(await host.deferred.push.next(), OWNER, ErrorOut)
        assert err.error.condition == "service-unavailable"
        assert room not in host.rooms                  # nobody created it
        await host.deferred.close()
    asyncio.run(scenario())


def test_the_room_log_is_written_and_a_broken_one_does_not_break_the_room(embedded_mongo,
                                                                         tmp_path, caplog):
    settings = RoomLogSettings(str(tmp_path), dirtype="plain", file_format="plaintext",
                               timezone="universal")
    host = host_for(embedded_mongo, ServicePolicy(DOMAIN), RoomSeed(config={"logging": True}),
                    room_log=settings)
    good, bad = (f"{n}{uuid.uuid4().hex[:8]}@{DOMAIN}" for n in ("good", "bad"))
    (tmp_path / bad).write_text("not a directory")

    async def scenario():
        for room in (good, bad):
            await instant_room(host, room)
            out = (await host.handle(room, say(OWNER, "hello"))).effects
            assert [m.payload for m in stanzas(out, OWNER, MessageOut)] == ["<body>hello</body>"]
            await host.handle(room, c.Presence(OWNER, "Owner", False))
    with caplog.at_level(logging.ERROR, logger="raymuc.room_log"):
        asyncio.run(scenario())
    [day] = list((tmp_path / good).iterdir())
    lines = [line.split("] ", 1)[1] for line in day.read_text().splitlines()]
    assert lines == ["Chatroom is created", "Owner joins the room", "<Owner> hello",
                     "Owner leaves the room", "Chatroom is destroyed"]
    assert any(bad in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("prefix", ["/api", "/api/", "api"])
def test_the_check_password_url_honours_path_prefix_and_encodes_the_query(prefix):
    assert AuthPool("p", "http://h:1/", prefix).url("a b@x/r", "r@c", "p&ss w") == \
        "http://h:1/api/check_password?from=a+b%40x%2Fr&to=r%40c&pass=p%26ss+w"


def test_best_worker_drops_a_check_beyond_its_queue_limit(embedded_mongo, check_service):
    host = auth_host(embedded_mongo, check_service, workers=1, strategy="best_worker",
                     max_queue=0)
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await auth_room(host, room)
        await host.handle(room, join(BOB, "Bob", password="slow"))
        await until(lambda: len(check_service.requests) == 2)  # the one worker is busy
        await host.handle(room, join(CAROL, "Carol", password="good"))
        [err] = stanzas(await host.deferred.push.next(), CAROL, ErrorOut)
        assert err.error.condition == "service-unavailable"
        assert err.error.text == "The password check failed: too many checks are waiting"
        check_service.release()
        assert any(110 in p.codes for p in stanzas(await host.deferred.push.next(), BOB,
                                                    PresenceOut))
        await host.deferred.close()
    asyncio.run(scenario())


def test_checks_beyond_max_checks_are_refused_whatever_the_strategy(embedded_mongo,
                                                                     check_service, monkeypatch):
    """Without max_worker_queue_len (or another strategy) checks waited for a worker
    without limit; past MAX_CHECKS in a host a join is refused resource-constraint."""
    from actors import http_auth
    monkeypatch.setattr(http_auth, "MAX_CHECKS", 1, raising=False)
    host = auth_host(embedded_mongo, check_service, workers=1, strategy="round_robin")
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"

    async def scenario():
        await auth_room(host, room)
        await host.handle(room, join(BOB, "Bob", password="slow"))
        await until(lambda: len(check_service.requests) == 2)  # Bob's check is the one
        await host.handle(room, join(CAROL, "Carol", password="good"))
        [err] = stanzas(await host.deferred.push.next(), CAROL, ErrorOut)
        assert err.error.condition == "resource-constraint"
        check_service.release()
        assert any(110 in p.codes for p in stanzas(await host.deferred.push.next(), BOB,
                                                    PresenceOut))
        await host.deferred.close()
    asyncio.run(scenario())


class _StuckGateway:
    """A gateway actor that takes pushes and answers none (stuck), then one that does.
    In-process: a Ray actor that stops answering can't be made on demand here."""

    def __init__(self):
        self.stuck = True
        self.taken: list = []
        outer = self

        class _Emit:
            def remote(self, room_jid, effects):
                outer.taken.append(room_jid)
                fut = asyncio.get_running_loop().create_future()
                if not outer.stuck:
                    fut.set_result(None)
                return fut
        self.emit = _Emit()


def test_pushes_to_a_stuck_gateway_time_out_and_beyond_the_bound_are_dropped(
        embedded_mongo, monkeypatch, caplog):
    from actors import deferred, placement
    monkeypatch.setattr(deferred, "PUSH_TIMEOUT", 0.3, raising=False)
    monkeypatch.setattr(deferred, "MAX_PUSHES", 3, raising=False)
    gateway = _StuckGateway()
    monkeypatch.setattr(placement, "find_gateway", lambda namespace: gateway)
    host = host_for(embedded_mongo, ServicePolicy(DOMAIN))
    d = host.deferred
    d.push = d._push_to_gateway
    out = (Deliver((BOB,), MessageOut("Owner", id="x")),)

    async def scenario():
        pushes = [asyncio.ensure_future(d.push(f"r{n}@{DOMAIN}", out)) for n in range(5)]
        await asyncio.sleep(0)
        waiting = d.pushing
        await asyncio.wait_for(asyncio.gather(*pushes), 20)
        gateway.stuck = False
        await asyncio.wait_for(d.push(f"after@{DOMAIN}", out), 20)
        return waiting

    with caplog.at_level(logging.ERROR, "raymuc.deferred"):
        waiting = asyncio.run(scenario())
    assert waiting == 3 and d.pushing == 0 and d.dropped == 5      # 3 timed out, 2 refused
    assert gateway.taken == ["r0@" + DOMAIN, "r1@" + DOMAIN, "r2@" + DOMAIN, "after@" + DOMAIN]
    assert sum("push.dropped" in r.getMessage() for r in caplog.records) == 1
    assert sum("push.timeout" in r.getMessage() for r in caplog.records) == 3
