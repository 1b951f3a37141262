"""What the fault-injection tests do with their clients, around the fault."""
from __future__ import annotations

import asyncio

from pymongo import MongoClient

from tests.e2e.muc import groupchat_from, join, persistent_room, say
from tests.e2e.muc_flow import iq
from tests.fixtures.service import raymuc_cli

NS_INFO = "http://jabber.org/protocol/disco#info"


async def room_of_two(o, b, room: str, name: str) -> None:
    await persistent_room(o, room, name)
    await join(b, room, "Bob")


async def echo(sender, receiver, room: str, body: str, timeout: float = 5.0) -> bool:
    await say(sender, room, body)
    try:
        await groupchat_from(receiver, f"{room}/Bob", body, timeout)
        return True
    except TimeoutError:
        return False


async def disco_name(client, room: str) -> list:
    """The room's name as its live state gives it (disco#info identity)."""
    info = await iq(client, room, f"<query xmlns='{NS_INFO}'/>")
    return [i.get("name") for i in info.xml.iter(f"{{{NS_INFO}}}identity")]


def stored_name(mongo_uri: str, room: str) -> str | None:
    """The room's name as MongoDB holds it."""
    with MongoClient(mongo_uri, serverSelectionTimeoutMS=5000) as client:
        doc = client["raymuc"]["rooms"].find_one({"_id": room})
    return None if doc is None else doc["config"].get("title")


async def occupant_nicks(cfg, room: str) -> list:
    state = (await asyncio.to_thread(raymuc_cli, cfg, "room", room))["state"]
    return sorted(o["nick"] for o in state["occupants"])
