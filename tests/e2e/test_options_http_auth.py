"""External HTTP authentication end to end: [outgoing_pools.http.NAME] + http_auth_pool
+ default_room.password_protected. A real HTTP service on loopback
(tests/fixtures/check_password.py) answers by password; every attempt to create or
enter a password-protected room asks it, and the room keeps serving its occupants
while a check is pending."""
from __future__ import annotations

import asyncio
from xml.sax.saxutils import escape

import pytest

from tests.e2e.muc import codes, create_instant, error_condition, field, groupchat_from, join, \
    owner_submit, say
from tests.e2e.options_stack import OptionsStack, error_text
from tests.fixtures.check_password import CheckPasswordService

pytestmark = pytest.mark.e2e
USERS = ("alice", "bob", "carol", "dave")
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
EXTRA = """
http_auth_pool = "muc_auth"
default_room.password_protected = true
[outgoing_pools.http.muc_auth]
strategy = "available_worker"
workers = 4
connection.host = "{url}"
connection.path_prefix = "/muc/"
connection.request_timeout = 1500
"""


@pytest.fixture(scope="module")
def checker():
    service = CheckPasswordService("/muc/").start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def stack(checker):
    s = OptionsStack("auth", EXTRA.format(url=checker.url), USERS).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


def password(pw: str) -> str:
    return f"<password>{escape(pw)}</password>"


def asked(checker, user_jid_prefix: str, room: str) -> list[dict]:
    return [r for r in checker.requests if r["to"] == room
            and r["from"].startswith(user_jid_prefix)]


async def open_room(stack, a, room: str) -> None:
    pres = await join(a, room, "Alice", extra=password("good"))
    assert 201 in codes(pres), pres
    reply = await owner_submit(a, room, "")
    assert reply["type"] == "result", reply


def test_creating_a_room_asks_the_service_with_the_creators_full_jid(stack, checker):
    async def scenario():
        async with stack.client("alice") as a:
            room = stack.room()
            await open_room(stack, a, room)
            [req] = asked(checker, "alice@localhost/", room)
            assert req == {"path": "/muc/check_password", "from": str(a.boundjid), "to": room,
                           "pass": "good"}
    run(scenario())


def test_refusals_and_then_admission(stack, checker):
    cases = [("bad", "not-authorized", "1 Wrong password"),
             ("http500", "service-unavailable", None),
             ("badjson", "service-unavailable", None),
             ("hang", "service-unavailable", None),        # longer than request_timeout
             ("p@ss w&rd?", "not-authorized", "2 Unknown password 'p@ss w&rd?'")]

    async def scenario():
        async with stack.client("alice") as a, stack.client("bob") as b:
            room = stack.room()
            await open_room(stack, a, room)
            no_password = await join(b, room, "Bob")
            assert error_condition(no_password) == "not-authorized", no_password
            assert asked(checker, "bob@localhost/", room) == []     # refused without asking
            for pw, condition, text in cases:
                pres = await join(b, room, "Bob", extra=password(pw))
                assert pres["type"] == "error" and error_condition(pres) == condition, (pw, pres)
                if text is not None:
                    assert error_text(pres) == text
            assert [r["pass"] for r in asked(checker, "bob@localhost/", room)] == \
                [pw for pw, _, _ in cases]
            admitted = await join(b, room, "Bob", extra=password("ok-bob"))
            assert 110 in codes(admitted), admitted
    run(scenario())


def test_a_slow_check_does_not_stall_the_room(stack, checker):
    async def scenario():
        async with stack.client("alice") as a, stack.client("bob") as b, \
                stack.client("carol") as c:
            room = stack.room()
            await open_room(stack, a, room)
            assert 110 in codes(await join(c, room, "Carol", extra=password("good")))
            b.send_raw(f"<presence to='{room}/Bob'><x xmlns='http://jabber.org/protocol/muc'>"
                       f"{password('slow-bob')}</x></presence>")
            await until(lambda: asked(checker, "bob@localhost/", room))   # Bob's check waits
            await say(a, room, "still here", "m1")
            await groupchat_from(c, f"{room}/Alice", "still here")
            await say(c, room, "me too", "m2")
            await groupchat_from(a, f"{room}/Carol", "me too")
            assert not [s for s in b.inbox.drain() if s.name == "presence"
                        and str(s["from"]).startswith(room)]
            checker.release()
            entered = await join_result(b, f"{room}/Bob")
            assert 110 in codes(entered), entered
            await a.wait_for_stanza(lambda s: s.name == "presence"
                                    and str(s["from"]) == f"{room}/Bob")
    run(scenario())


async def until(condition, timeout: float = 20.0) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


async def join_result(client, full: str):
    return await client.wait_for_stanza(
        lambda s: s.name == "presence" and str(s["from"]) == full
        and (110 in codes(s) or s["type"] == "error"), 30)


def test_rooms_without_a_password_are_entered_without_asking(stack, checker):
    async def scenario():
        async with stack.client("alice") as a, stack.client("dave") as d:
            room = stack.room()
            await open_room(stack, a, room)
            reply = await owner_submit(a, room, field("FORM_TYPE", ROOMCONFIG)
                                       + field("muc#roomconfig_passwordprotectedroom", "0"))
            assert reply["type"] == "result", reply
            assert 110 in codes(await join(d, room, "Dave"))
            assert asked(checker, "dave@localhost/", room) == []
    run(scenario())


def test_an_unreachable_service_refuses_with_service_unavailable(stack, checker):
    port = checker.port
    checker.stop()
    try:
        async def scenario():
            async with stack.client("alice") as a:
                room = stack.room()
                pres = await join(a, room, "Alice", extra=password("good"))
                assert error_condition(pres) == "service-unavailable", pres
                assert "unreachable" in error_text(pres)
        run(scenario())
    finally:
        checker.start(port)


def test_a_refused_creation_leaves_no_room_process_behind(stack, checker):
    room = stack.room("refused")

    async def scenario():
        async with stack.client("dave") as d:
            # the check outlasts request_timeout (1.5 s): the gateway's request to retire
            # the room's empty host came while it was in flight and was refused
            pres = await join(d, room, "Dave", extra=password("hang"))
            assert error_condition(pres) == "service-unavailable", pres
            # then the host retired itself (Dave stays online: no later stanza of his,
            # such as the unavailable presence his server sends when he goes, does it)
            for _ in range(10):
                shown = await asyncio.to_thread(stack.raymuc, "room", room)
                if "not running" in shown.stdout:
                    break
            assert "not running" in shown.stdout, shown.stdout + shown.stderr
    run(scenario())
