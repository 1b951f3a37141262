"""Rate control end to end (real Prosody, `raymuc run`, slixmpp clients):
min_message_interval, min_presence_interval, user_message_shaper, room_shaper,
user_presence_shaper, with MongooseIM's semantics: an early message waits its turn, a
further one is refused with resource-constraint, only the latest early presence is
broadcast. Each class runs its own service (one config each, run one after the other).

"Waits" is shown by order, not by clocks: the held message reaches the others after
a message sent later by someone else, and after the refusal of the sender's next one."""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.muc import create_instant, error_condition, groupchat_from, join, say
from tests.e2e.options_stack import OptionsStack, error_text, error_type

pytestmark = pytest.mark.e2e
USERS = ("alice", "bob", "carol")
RATE_EXCEEDED = "Traffic rate limit is exceeded"

INTERVALS = """
min_message_interval = 3
min_presence_interval = 3
user_message_shaper = "per_user"
[shaper.per_user]
max_rate = 1000
"""
SHAPERS = """
room_shaper = "per_room"
user_presence_shaper = "presences"
[shaper.per_room]
max_rate = 1000
[shaper.presences]
max_rate = 400
"""


def run(coro):
    return asyncio.run(coro)


async def room_with(stack: OptionsStack, a, b, c=None) -> str:
    """alice creates a room, bob (and carol) enter; returns the room JID."""
    room = stack.room()
    await create_instant(a, room, "Alice")
    for client, nick in ((b, "Bob"), (c, "Carol")):
        if client is not None:
            pres = await join(client, room, nick)
            assert pres["type"] != "error", pres
            full = f"{room}/{nick}"          # Alice has seen it too before the inboxes are reset
            await a.wait_for_stanza(lambda s: s.name == "presence" and str(s["from"]) == full)
    for client in (a, b, c):
        if client is not None:
            client.inbox.drain()
    return room


def refusal(room: str, msg_id: str):
    return lambda s: s.name == "message" and s["type"] == "error" and s["id"] == msg_id


async def expect_refused(client, room: str, msg_id: str) -> None:
    err = await client.wait_for_stanza(refusal(room, msg_id))
    assert error_condition(err) == "resource-constraint", err
    assert (error_type(err), error_text(err)) == ("wait", RATE_EXCEEDED)


async def next_groupchat(client):
    return await client.wait_for_stanza(
        lambda s: s.name == "message" and s["type"] == "groupchat", timeout=20)


def groupchat_ids(client) -> list[str]:
    return [s["body"] for s in client.inbox.drain() if s.name == "message"
            and s["type"] == "groupchat"]


def presences_from(client, full: str) -> list:
    return [s for s in client.inbox.drain() if s.name == "presence" and str(s["from"]) == full]


@pytest.fixture(scope="class")
def intervals():
    s = OptionsStack("rate", INTERVALS, USERS).start()
    yield s
    s.stop()


@pytest.fixture(scope="class")
def shapers():
    s = OptionsStack("shape", SHAPERS, USERS).start()
    yield s
    s.stop()


class TestIntervals:
    @pytest.fixture
    def stack(self, intervals):
        return intervals

    def test_early_message_waits_its_turn_and_a_further_one_is_refused(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)
                await say(b, room, "one", "m1")
                await say(b, room, "two", "m2")
                await say(b, room, "three", "m3")
                await groupchat_from(a, f"{room}/Bob", "one")
                await groupchat_from(b, f"{room}/Bob", "one")
                await expect_refused(b, room, "m3")
                await say(a, room, "meanwhile", "a1")           # Alice is not held by Bob's turn
                after = [await next_groupchat(b), await next_groupchat(b)]
                assert [(m["from"].resource, m["body"]) for m in after] == \
                    [("Alice", "meanwhile"), ("Bob", "two")]
                assert after[1]["id"] == "m2"
                await groupchat_from(a, f"{room}/Bob", "two")
                assert "three" not in groupchat_ids(a) + groupchat_ids(b)
        run(scenario())

    def test_each_occupant_has_its_own_interval(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b, \
                    stack.client("carol") as c:
                room = await room_with(stack, a, b, c)
                await say(b, room, "bob first", "b1")
                await say(b, room, "bob second", "b2")           # early: held
                await groupchat_from(a, f"{room}/Bob", "bob first")
                await say(c, room, "carol first", "c1")          # Carol's own turn: at once
                after = [await next_groupchat(a), await next_groupchat(a)]
                assert [m["body"] for m in after] == ["carol first", "bob second"]
        run(scenario())

    def test_only_the_latest_early_presence_is_broadcast(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)           # Bob's join starts his interval
                for n in (1, 2, 3):
                    b.send_raw(f"<presence to='{room}/Bob'><status>away {n}</status></presence>")
                full = f"{room}/Bob"
                seen = await a.wait_for_stanza(
                    lambda s: s.name == "presence" and str(s["from"]) == full, timeout=20)
                assert seen["status"] == "away 3", seen
                mine = await b.wait_for_stanza(
                    lambda s: s.name == "presence" and str(s["from"]) == full, timeout=20)
                assert mine["status"] == "away 3", mine
                # a marker after it: any broadcast of "away 1"/"away 2" would be before it
                await say(a, room, "marker", "mk")
                await groupchat_from(b, f"{room}/Alice", "marker")
                await groupchat_from(a, f"{room}/Alice", "marker")
                assert presences_from(a, full) == [] and presences_from(b, full) == []
        run(scenario())

    def test_user_message_shaper_holds_a_message_over_its_rate(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)
                big = "x" * 2500                               # over a 1000 bytes/s bucket
                await say(b, room, big, "big")                 # Bob's first: on time by interval
                await say(b, room, "small", "small")
                # refused (not held for the interval): "big" is the one waiting
                await expect_refused(b, room, "small")
                held = await groupchat_from(a, f"{room}/Bob", big)
                assert held["id"] == "big"
        run(scenario())


class TestShapers:
    @pytest.fixture
    def stack(self, shapers):
        return shapers

    def test_intervals_default_to_off(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)
                for n in range(4):
                    await say(b, room, f"quick {n}", f"q{n}")
                for n in range(4):
                    await groupchat_from(a, f"{room}/Bob", f"quick {n}")
                assert not [s for s in b.inbox.drain() if s["type"] == "error"]
        run(scenario())

    def test_room_shaper_queues_everyone_behind_a_held_message(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)
                await say(a, room, "a" * 850, "fill")           # ~950 of the room's 1000 bytes/s
                await groupchat_from(b, f"{room}/Alice", "a" * 850)
                await groupchat_from(a, f"{room}/Alice", "a" * 850)
                await say(b, room, "b" * 600, "held")          # needs ~650 more: held
                await say(b, room, "again", "again")
                await expect_refused(b, room, "again")
                await say(a, room, "after", "after")           # behind Bob's in the room queue
                first, second = await next_groupchat(a), await next_groupchat(a)
                assert (first["id"], second["id"]) == ("held", "after")
        run(scenario())

    def test_user_presence_shaper_holds_a_presence_and_the_latest_wins(self, stack):
        async def scenario():
            async with stack.client("alice") as a, stack.client("bob") as b:
                room = await room_with(stack, a, b)            # the join used ~150 of 400
                full = f"{room}/Bob"
                b.send_raw(f"<presence to='{full}'><status>{'s' * 400}</status></presence>")
                b.send_raw(f"<presence to='{full}'><status>short</status></presence>")
                seen = await a.wait_for_stanza(
                    lambda s: s.name == "presence" and str(s["from"]) == full, timeout=20)
                assert seen["status"] == "short", seen
                await say(a, room, "marker", "mk")
                await groupchat_from(a, f"{room}/Alice", "marker")
                assert presences_from(a, full) == []
        run(scenario())
