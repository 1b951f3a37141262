"""Helpers for the muc#admin end-to-end tests (test_admin.py, test_affiliations.py):
a Room that keeps inboxes clean of entry presences, muc#admin requests, assertions."""
from __future__ import annotations

import asyncio
import itertools
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest

from tests.e2e.muc import (NS_USER, ROOM_DOMAIN, codes, error_condition, is_from, item, join,
                           owner_submit)
from tests.e2e.xmpp_clients import connected_client

NS_ADMIN = "http://jabber.org/protocol/muc#admin"
_ids = itertools.count()


def run(coro):
    return asyncio.run(coro)


def room_name() -> str:
    return f"adm{secrets.token_hex(4)}@{ROOM_DOMAIN}"


@pytest.fixture
def users(raymuc_service, prosody, xmpp_account):
    """users(n): n fresh accounts; `clients(accounts)` logs them in."""
    return lambda n: [xmpp_account() for _ in range(n)]


@asynccontextmanager
async def clients(prosody, accounts):
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(
            connected_client(*acc, "127.0.0.1", prosody.c2s_port)) for acc in accounts]


class Room:
    """A room under test and who is in it. Entering waits until every occupant has
    seen the newcomer and the newcomer has seen them, so inboxes then hold only what
    happens afterwards: a later wait for a nick's presence matches the change under
    test, never the presence sent on entering."""

    def __init__(self, jid: str):
        self.jid = jid
        self.present: dict[str, object] = {}      # nick -> client

    @classmethod
    async def create(cls, client, nick: str, *fields: str) -> "Room":
        """Create a room and submit its first configuration (unlocking it)."""
        room = cls(room_name())
        pres = await join(client, room.jid, nick)
        assert 201 in codes(pres), ET.tostring(pres.xml)
        reply = await owner_submit(client, room.jid, "".join(fields))
        assert reply["type"] == "result", ET.tostring(reply.xml)
        room.present[nick] = client
        return room

    async def enter(self, client, nick: str):
        me = await join(client, self.jid, nick)
        assert 110 in codes(me), ET.tostring(me.xml)
        for other_nick, other in self.present.items():
            await presence_of(other, self.jid, nick, unavailable=False)
            await presence_of(client, self.jid, other_nick, unavailable=False)
        self.present[nick] = client
        return me

    def gone(self, nick: str) -> None:
        self.present.pop(nick)


def it(reason: str | None = None, **attrs: str) -> str:
    text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    if reason is None:
        return f"<item{text}/>"
    return f"<item{text}><reason>{escape(reason)}</reason></item>"


async def admin(client, room: str, *items: str, type_: str = "set"):
    iq_id = f"adm{next(_ids)}"
    client.send_raw(f"<iq type='{type_}' to='{room}' id='{iq_id}'>"
                    f"<query xmlns='{NS_ADMIN}'>{''.join(items)}</query></iq>")
    return await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id)


async def admin_ok(client, room: str, *items: str, type_: str = "set"):
    reply = await admin(client, room, *items, type_=type_)
    assert reply["type"] == "result", ET.tostring(reply.xml)
    return reply


def listed(reply) -> list[ET.Element]:
    return list(reply.xml.find(f"{{{NS_ADMIN}}}query"))


def refused(reply, condition: str, err_type: str) -> None:
    assert reply["type"] == "error", ET.tostring(reply.xml)
    assert error_condition(reply) == condition, ET.tostring(reply.xml)
    assert reply.xml.find("{jabber:client}error").get("type") == err_type


async def presence_of(client, room: str, nick: str, *, unavailable: bool | None = None,
                      **attrs: str):
    """The oldest presence from room/nick whose muc#user item has `attrs`."""
    def match(s) -> bool:
        if s.name != "presence" or not is_from(s, f"{room}/{nick}"):
            return False
        if unavailable is not None and (s["type"] == "unavailable") != unavailable:
            return False
        got = item(s)
        return got is not None and all(got.get(k) == v for k, v in attrs.items())
    return await client.wait_for_stanza(match)


def actor_nick(stanza) -> str | None:
    actor = item(stanza).find(f"{{{NS_USER}}}actor")
    return None if actor is None else actor.get("nick")


def reason(stanza) -> str | None:
    return item(stanza).findtext(f"{{{NS_USER}}}reason")


def bare(account) -> str:
    return account.jid
