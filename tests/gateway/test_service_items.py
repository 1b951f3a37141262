"""The service's disco#items through the ServiceResponder, on SecantusDB: pages from
storage by index (XEP-0059), the live directory merged in, bounded reads, size bound."""
from __future__ import annotations

import asyncio
import os
import signal
from types import SimpleNamespace
from xml.etree import ElementTree as ET

from pymongo import MongoClient, monitoring

from actors.directory import RoomInfo
from gateway.listing_reads import WAITING, WORKERS
from gateway.parse import parse_stanza
from gateway.renderer import Renderer
from gateway.service_items import DEFAULT_PAGE
from gateway.service_level import ServiceResponder
from persistence.records import RoomRecord
from persistence.store import RoomStore
from tests.gateway.parse_tables import stanza

D = "conference.localhost"
NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_RSM = "http://jabber.org/protocol/rsm"


class Link:
    """What the responder writes to (the component's socket)."""

    def __init__(self):
        self.boundjid = SimpleNamespace(bare=D)
        self.sent: list[ET.Element] = []
        self.sizes: list[int] = []

    def send_out(self, data: str) -> None:
        self.sent.append(ET.fromstring(data))
        self.sizes.append(len(data.encode()))


def responder(store, live=(), limit=None) -> ServiceResponder:
    router = SimpleNamespace(placement=SimpleNamespace(namespace="unused"))
    service = ServiceResponder(store, router, None, None, Renderer(limit))

    async def directory(domain):
        return tuple(info for info in live if info.domain == domain)
    service.items.directory = directory
    return service


async def ask(service, link, rsm: str = "", sender: str = "u@localhost/r"):
    xml = stanza(f"<iq from='{sender}' to='{D}' type='get' id='q'>"
                 f"<query xmlns='{NS_ITEMS}'>{rsm}</query></iq>")
    service.handle(link, parse_stanza(xml).command)
    await asyncio.gather(*service._tasks)
    return link.sent[-1]


def listed(reply) -> list[str]:
    assert reply.get("type") == "result", ET.tostring(reply)
    return [i.get("jid") for i in reply.iter(f"{{{NS_ITEMS}}}item")]


def rsm(reply):
    return reply.find(f"{{{NS_ITEMS}}}query/{{{NS_RSM}}}set")


def seed(store, n: int, title: str = "") -> list[str]:
    """n stored rooms, every fourth hidden; returns the public ones."""
    for i in range(n):
        store.save(RoomRecord(f"s{i:04d}@{D}", 1, {"public": i % 4 != 0, "title": title}))
    return [f"s{i:04d}@{D}" for i in range(n) if i % 4]


def test_walking_pages_both_ways_lists_each_visible_room_once(room_store):
    public = seed(room_store, 60)
    live = [RoomInfo(f"s0010@{D}", "Renamed", True, persistent=True),          # live state wins
            RoomInfo(f"s0013@{D}", "", True, persistent=True, locked=True),     # not listed
            RoomInfo(f"s0031@{D}", "", False, persistent=True),                 # hidden now
            RoomInfo(f"s0030x@{D}", "Passing", True),                           # temporary
            RoomInfo(f"s0040x@{D}", "", False)]                                 # temporary, hidden
    expected = sorted(set(public) - {f"s0013@{D}", f"s0031@{D}"} | {f"s0030x@{D}"})
    service, link = responder(room_store, live), Link()

    async def walk():
        walked, after = [], ""
        while True:
            reply = await ask(service, link, f"<set xmlns='{NS_RSM}'><max>7</max>{after}</set>")
            page, where = listed(reply), rsm(reply)
            assert int(where.findtext(f"{{{NS_RSM}}}count")) == len(expected)
            if not page:
                return walked
            assert len(page) <= 7 and where.findtext(f"{{{NS_RSM}}}last") == page[-1]
            assert where.find(f"{{{NS_RSM}}}first").get("index") == str(len(walked))
            walked += page
            after = f"<after>{page[-1]}</after>"

    async def walk_back():
        walked, before = [], "<before/>"
        while True:
            reply = await ask(service, link, f"<set xmlns='{NS_RSM}'><max>5</max>{before}</set>")
            page = listed(reply)
            if not page:
                return walked
            first = rsm(reply).find(f"{{{NS_RSM}}}first")
            assert first.text == page[0] and first.get("index") == str(expected.index(page[0]))
            walked = page + walked
            before = f"<before>{page[0]}</before>"

    assert asyncio.run(walk()) == expected
    assert asyncio.run(walk_back()) == expected
    names = {i.get("jid"): i.get("name") for i in
             asyncio.run(ask(service, link)).iter(f"{{{NS_ITEMS}}}item")}
    assert names[f"s0010@{D}"] == "Renamed" and names[f"s0030x@{D}"] == "Passing"


def test_hidden_rooms_only_to_their_owners_and_bad_cursors(room_store):
    room_store.save(RoomRecord(f"mine@{D}", 1, {"public": False}, {"me@localhost": "owner"}))
    room_store.save(RoomRecord(f"theirs@{D}", 1, {"public": False}, {"x@localhost": "owner"}))
    room_store.save(RoomRecord(f"open@{D}", 1, {"public": True}))
    service, link = responder(room_store), Link()
    assert asyncio.run(ask(service, link, sender="me@localhost/a")) is not None
    assert listed(link.sent[-1]) == [f"mine@{D}", f"open@{D}"]
    assert listed(asyncio.run(ask(service, link))) == [f"open@{D}"]
    for cursor, condition in ((f"<after>theirs@{D}</after>", "item-not-found"),
                              ("<after>nobody@nowhere</after>", "item-not-found"),
                              ("<index>3</index>", "feature-not-implemented")):
        reply = asyncio.run(ask(service, link, f"<set xmlns='{NS_RSM}'>{cursor}</set>"))
        assert reply.get("type") == "error" and reply.find(".//{*}" + condition) is not None


def test_without_a_request_the_first_page_is_bounded_and_says_so(room_store):
    public = seed(room_store, 200)
    service, link = responder(room_store), Link()
    reply = asyncio.run(ask(service, link))
    assert listed(reply) == public[:DEFAULT_PAGE]
    assert rsm(reply).findtext(f"{{{NS_RSM}}}count") == str(len(public))


def test_every_answer_fits_the_stanza_limit_and_the_walk_covers_the_list(room_store):
    limit = 16 * 1024
    public = seed(room_store, 80, title="é" * 600)     # 1.2 KB per item: ~12 per answer
    service, link = responder(room_store, limit=limit), Link()

    async def walk():
        walked, after = [], ""
        while True:
            reply = await ask(service, link, f"<set xmlns='{NS_RSM}'><max>1000</max>{after}</set>")
            if not listed(reply):
                return walked
            walked += listed(reply)
            after = f"<after>{walked[-1]}</after>"
    assert asyncio.run(walk()) == public
    assert max(link.sizes) <= limit and len(link.sizes) > 5


class ReturnedDocuments(monitoring.CommandListener):
    """Counts the documents the server sends back to find commands."""

    def __init__(self):
        self.returned = 0

    def started(self, event):
        pass

    def succeeded(self, event):
        if event.command_name in ("find", "getMore"):
            cursor = event.reply.get("cursor", {})
            self.returned += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))

    def failed(self, event):
        pass


def test_a_page_reads_about_a_page_not_every_room(embedded_mongo, room_store):
    seed(room_store, 400)
    counter = ReturnedDocuments()
    watched = RoomStore(MongoClient(embedded_mongo.uri, event_listeners=[counter]),
                        database=room_store.collection.database.name)
    service, link = responder(watched), Link()
    try:
        page = listed(asyncio.run(ask(service, link, f"<set xmlns='{NS_RSM}'><max>10</max>"
                                                     f"<after>s0101@{D}</after></set>")))
    finally:
        watched.close()
    assert len(page) == 10
    assert counter.returned <= 2 * 10 + 5         # the page (and one more), the cursor check


def test_reads_beyond_the_bound_are_refused_while_storage_is_stuck(embedded_mongo, room_store):
    """Storage frozen (SIGSTOP): the first WORKERS + WAITING reads wait, every further
    request is answered resource-constraint at once; all are answered once it thaws."""
    seed(room_store, 12)
    room_store.ensure_indexes()
    service, link = responder(room_store), Link()
    asked = 30

    async def scenario():
        for i in range(asked):           # distinct requesters: distinct reads, none shared
            xml = stanza(f"<iq from='u{i}@localhost/r' to='{D}' type='get' id='q{i}'>"
                         f"<query xmlns='{NS_ITEMS}'/></iq>")
            service.handle(link, parse_stanza(xml).command)
        os.kill(embedded_mongo.pid, signal.SIGSTOP)
        try:
            for _ in range(200):
                if len(link.sent) >= asked - WORKERS - WAITING:
                    break
                await asyncio.sleep(0.01)
            refused = list(link.sent)
        finally:
            os.kill(embedded_mongo.pid, signal.SIGCONT)
        await asyncio.gather(*service._tasks)
        return refused

    refused = asyncio.run(scenario())
    assert len(refused) == asked - WORKERS - WAITING
    assert all(r.get("type") == "error" and r.find(".//{*}resource-constraint") is not None
               and r.find("{*}error").get("type") == "wait" for r in refused)
    answered = link.sent[len(refused):]
    assert len(answered) == WORKERS + WAITING and all(r.get("type") == "result" for r in answered)
