"""Room logging end to end (default_room.logging, muc#roomconfig_enablelogging and
[modules.mod_muc_log]): who may turn it on (access_log), status 170/171, the events
written to the day's file (HTML here: dirtype plain, dirname room_jid, universal time,
a css_file link, a top_link, nofollow links), the log going on after the whole service
was stopped and started again, and a file-system error that leaves the room working.
Other layouts and plain text are covered by tests/actors/test_room_log.py."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.e2e.muc import (NS_OWNER, codes, create_instant, error_condition, field,
                           groupchat_from, join, owner_submit, say)
from tests.e2e.muc_flow import iq
from tests.e2e.options_stack import OptionsStack, leave

pytestmark = pytest.mark.e2e
USERS = ("logger", "owner", "bob", "carol", "dave", "eve")
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
ENABLE = "muc#roomconfig_enablelogging"
EXTRA = """
[modules.mod_muc_log]
outdir = "muclogs"
access_log = "loggers"
dirtype = "plain"
timezone = "universal"
css_file = "/css/muc.css"
top_link = {target = "/rooms", text = "All rooms"}
[acl]
loggers = [{user = "logger"}]
[access]
loggers = [{acl = "loggers", value = "allow"}]
"""


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("logs", EXTRA, USERS).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


def room_dir(stack, room: str) -> Path:
    return stack.base / "data" / "muclogs" / room


def read_log(stack, room: str) -> str:
    """The room's log, every day's file in order (a test may run across midnight)."""
    files = sorted(room_dir(stack, room).glob("*.html"))
    assert files, f"no log file for {room}"
    return "".join(f.read_text(encoding="utf-8") for f in files)


def lines_in_order(text: str, *needles: str) -> None:
    at = -1
    for needle in needles:
        found = text.find(needle, at + 1)
        assert found > at, f"{needle!r} not found after position {at}:\n{text}"
        at = found


def form(*pairs) -> str:
    return field("FORM_TYPE", ROOMCONFIG) + "".join(field(var, value) for var, value in pairs)


async def config_fields(client, room: str) -> set[str]:
    reply = await iq(client, room, f"<query xmlns='{NS_OWNER}'/>")
    return {f.get("var") for f in reply.xml.iter("{jabber:x:data}field")}


async def status_message(client, room: str):
    return await client.wait_for_stanza(lambda s: s.name == "message"
                                        and str(s["from"]) == room and codes(s))


def test_an_owner_access_log_denies_can_not_turn_logging_on(stack):
    async def scenario():
        async with stack.client("owner") as o, stack.client("bob") as b:
            room = stack.room()
            await create_instant(o, room, "Owner")
            assert ENABLE not in await config_fields(o, room)
            reply = await owner_submit(o, room, form((ENABLE, "1")))
            assert error_condition(reply) == "not-acceptable", reply
            pres = await join(b, room, "Bob")
            assert 170 not in codes(pres)
            await say(b, room, "not logged", "m1")
            await groupchat_from(o, f"{room}/Bob", "not logged")
            assert not room_dir(stack, room).exists()
    run(scenario())


def test_room_events_are_written_while_logging_is_on(stack):
    async def scenario():
        async with stack.client("logger") as lg, stack.client("bob") as b, \
                stack.client("carol") as c, stack.client("dave") as d, \
                stack.client("eve") as e:
            room = stack.room()
            await create_instant(lg, room, "Logger")
            for client, nick in ((b, "Bob"), (c, "Carol"), (d, "Dave")):
                await join(client, room, nick)
            assert ENABLE in await config_fields(lg, room)
            b.inbox.drain()
            assert (await owner_submit(lg, room, form((ENABLE, "1"))))["type"] == "result"
            assert codes(await status_message(b, room)) == {104, 170}
            assert 170 in codes(await join(e, room, "Eve"))
            await say(b, room, "hello, see https://example.org/x", "m1")
            await groupchat_from(lg, f"{room}/Bob")
            b.send_raw(f"<presence to='{room}/Robert'/>")
            await lg.wait_for_stanza(lambda s: s.name == "presence"
                                     and str(s["from"]) == f"{room}/Robert")
            lg.send_raw(f"<message to='{room}' type='groupchat'><subject>News</subject></message>")
            await b.wait_for_stanza(lambda s: s.name == "message" and s["subject"] == "News")
            for item in ("role='none' nick='Carol'", "affiliation='outcast' jid='dave@localhost'"):
                reason = "spam" if "Carol" in item else "more spam"
                reply = await iq(lg, room, f"<query xmlns='http://jabber.org/protocol/muc#admin'>"
                                           f"<item {item}><reason>{reason}</reason></item></query>",
                                 type="set")
                assert reply["type"] == "result", reply
            b.send_raw(f"<presence to='{room}/Robert' type='unavailable'><status>bye</status>"
                       f"</presence>")
            await lg.wait_for_stanza(lambda s: s.name == "presence" and s["type"] == "unavailable"
                                     and str(s["from"]) == f"{room}/Robert")
            e.inbox.drain()
            assert (await owner_submit(lg, room, form((ENABLE, "0"))))["type"] == "result"
            assert codes(await status_message(e, room)) == {104, 171}
            await say(lg, room, "unlogged words", "m2")
            await groupchat_from(e, f"{room}/Logger", "unlogged words")
        text = read_log(stack, room)
        assert text.count("<!DOCTYPE html>") == 1
        assert '<link rel="stylesheet" type="text/css" href="/css/muc.css"/>' in text
        assert '<a href="/rooms">All rooms</a>' in text
        lines_in_order(text, "Chatroom is created",
                       "Chatroom configuration modified (logging enabled)",
                       "Eve joins the room",
                       '&lt;Bob&gt; hello, see <a href="https://example.org/x" rel="nofollow">',
                       "Bob is now known as Robert",
                       "Logger has set the subject to: News",
                       "Carol has been kicked: spam",
                       "Dave has been banned: more spam",
                       "Robert leaves the room: bye",
                       "Chatroom configuration modified (logging disabled)")
        assert "unlogged words" not in text
    run(scenario())


def test_the_log_goes_on_after_the_service_is_stopped_and_started_again(stack):
    room = stack.room("kept")

    async def before():
        async with stack.client("logger") as lg:
            await create_instant(lg, room, "Logger")
            reply = await owner_submit(lg, room, form(("muc#roomconfig_persistentroom", "1"),
                                                      (ENABLE, "1")))
            assert reply["type"] == "result", reply
            await say(lg, room, "said before", "m1")
            await groupchat_from(lg, f"{room}/Logger", "said before")
            await leave(lg, room, "Logger")

    async def after():
        async with stack.client("logger") as lg:
            pres = await join(lg, room, "Logger")
            assert 170 in codes(pres) and 201 not in codes(pres), pres
            await say(lg, room, "said after", "m2")
            await groupchat_from(lg, f"{room}/Logger", "said after")
            await leave(lg, room, "Logger")

    run(before())
    stack.restart_service()
    run(after())
    text = read_log(stack, room)
    assert text.count("<!DOCTYPE html>") == 1
    lines_in_order(text, "Chatroom is created", "said before", "Logger leaves the room",
                   "Chatroom is started", "Logger joins the room", "said after")


def test_a_file_system_error_is_logged_and_the_room_goes_on(stack):
    room = stack.room("broken")
    path = room_dir(stack, room)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a file where the room's log directory belongs")

    async def scenario():
        async with stack.client("logger") as lg, stack.client("bob") as b:
            await create_instant(lg, room, "Logger")
            assert (await owner_submit(lg, room, form((ENABLE, "1"))))["type"] == "result"
            assert 170 in codes(await join(b, room, "Bob"))
            await say(b, room, "still works", "m1")
            await groupchat_from(lg, f"{room}/Bob", "still works")
    run(scenario())
    assert path.is_file()
    assert any(room in line for line in ray_log_lines(stack, "room_log.write_failed"))


def ray_log_lines(stack, needle: str) -> list[str]:
    """Lines of the running service's Ray worker logs that mention `needle`."""
    session = json.loads((stack.base / "data" / "ray-session.json").read_text())
    found = []
    for path in Path(session["temp_dir"]).glob("ray/session_*/logs/worker-*"):
        for line in path.read_text(errors="replace").splitlines():
            if needle in line:
                found.append(line)
    return found
