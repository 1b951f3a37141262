"""A room's affiliations, registered nicks and reasons stored one document per JID
(persistence/entries.py), against a real SecantusDB: one change writes what changed,
whatever the lists hold; the version check still refuses a stale writer; a save cut
between its two writes is finished by the next load; rooms stored the old way load."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import bson
import pytest
from pymongo import MongoClient, monitoring

from persistence import entries as lists
from persistence.records import RoomRecord
from persistence.store import RoomStore, StaleWrite

ROOM = "coven@chat.shakespeare.lit"
_WRITES = {"insert", "update", "delete"}


class WrittenBytes(monitoring.CommandListener):
    """The BSON size of every write command the client sends (what goes over the wire)."""

    def __init__(self) -> None:
        self.total = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in _WRITES:
            self.total += len(bson.encode(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def metered(embedded_mongo) -> Iterator[tuple[RoomStore, WrittenBytes, MongoClient]]:
    """A store whose client counts the bytes it writes, and a plain client on its database."""
    database = f"t{uuid.uuid4().hex[:16]}"
    meter = WrittenBytes()
    store = RoomStore(MongoClient(embedded_mongo.uri, event_listeners=[meter]), database=database)
    raw = MongoClient(embedded_mongo.uri)
    try:
        yield store, meter, raw[database]
    finally:
        store.close()
        raw.drop_database(database)
        raw.close()


def members(count: int) -> dict[str, str]:
    return {f"user{i:06}@shakespeare.lit": "member" for i in range(count)}


def big_room(version: int, count: int, **fields: object) -> RoomRecord:
    affiliations = {"crone1@shakespeare.lit": "owner", **members(count)}
    nicks = {jid: f"nick{i}" for i, jid in enumerate(list(affiliations)[: count // 2])}
    return RoomRecord(ROOM, version, {"persistentroom": True}, affiliations,
                      extra={"nicks": nicks, "affiliation_reasons": {}, "secret": "s"}, **fields)


def grant(record: RoomRecord, jid: str, affiliation: str, nick: str | None = None) -> RoomRecord:
    extra = {key: dict(value) if hasattr(value, "items") else value
             for key, value in record.extra.items()}
    if nick is not None:
        extra["nicks"][jid] = nick
    return replace(record, version=record.version + 1,
                   affiliations={**record.affiliations, jid: affiliation}, extra=extra)


def bytes_of_one_change(store: RoomStore, meter: WrittenBytes, count: int) -> int:
    store.delete(ROOM)
    store.save(big_room(1, count))
    meter.total = 0
    store.save(grant(big_room(1, count), "newcomer@shakespeare.lit", "member", "newcomer"))
    return meter.total


def test_one_change_writes_the_same_few_bytes_whatever_the_lists_hold(metered) -> None:
    # before: the whole room document again, ~100 kB at 2,000 entries (~9 MB at the caps)
    store, meter, _ = metered
    small = bytes_of_one_change(store, meter, 20)
    large = bytes_of_one_change(store, meter, 2000)
    assert large < 2048, f"one change wrote {large} bytes"
    assert abs(large - small) <= 16
    assert store.load(ROOM) == grant(big_room(1, 2000), "newcomer@shakespeare.lit", "member",
                                     "newcomer")


def test_one_change_touches_one_entry_document(metered) -> None:
    store, _, db = metered
    store.save(big_room(1, 300))
    store.save(grant(big_room(1, 300), "user000007@shakespeare.lit", "admin"))
    assert db.rooms_entries.count_documents({"room": ROOM}) == 301
    assert list(db.rooms_entries.find({"room": ROOM, "g": 2}, {"_id": 0, "jid": 1, "a": 1})) == [
        {"jid": "user000007@shakespeare.lit", "a": "admin"}]
    room_doc = db.rooms.find_one({"_id": ROOM})
    assert "affiliations" not in room_doc and "pending" not in room_doc
    assert "nicks" not in room_doc["extra"] and room_doc["extra"]["secret"] == "s"


def test_removals_delete_entries_and_load_back(metered, embedded_mongo) -> None:
    store, _, db = metered
    base = big_room(1, 10)
    store.save(base)
    gone = dict(base.affiliations)
    del gone["user000008@shakespeare.lit"]   # no nick: its entry goes
    nicks = dict(base.extra["nicks"])
    del nicks["user000001@shakespeare.lit"]     # a member keeps its affiliation, not its nick
    after = replace(base, version=2, affiliations=gone, extra={**base.extra, "nicks": nicks})
    store.save(after)
    assert db.rooms_entries.count_documents({"room": ROOM}) == 10
    with RoomStore.from_uri(embedded_mongo.uri, database=db.name) as fresh:
        assert fresh.load(ROOM) == after


def test_a_stale_writer_is_refused_and_writes_no_entry(metered, embedded_mongo) -> None:
    # two hosts that loaded the same version: the second to save loses, and its entry
    # never reaches the entries collection
    store, _, db = metered
    store.save(big_room(1, 50))
    other = RoomStore(MongoClient(embedded_mongo.uri), database=db.name)
    try:
        first = store.load(ROOM)
        second = other.load(ROOM)
        store.save(grant(first, "winner@shakespeare.lit", "member"))
        with pytest.raises(StaleWrite) as refused:
            other.save(grant(second, "loser@shakespeare.lit", "admin"))
        assert (refused.value.attempted, refused.value.stored) == (2, 2)
        assert db.rooms_entries.count_documents({"jid": "loser@shakespeare.lit"}) == 0
        assert other.load(ROOM) == grant(first, "winner@shakespeare.lit", "member")
    finally:
        other.close()


def test_same_version_with_other_entries_is_stale_not_a_lost_answer(metered) -> None:
    # a retried save whose first attempt landed succeeds; another state of that version,
    # differing only in its entries, is stale (the digest in the room document tells them)
    store, _, _ = metered
    base = big_room(1, 5)
    store.save(base)
    landed = grant(base, "a@shakespeare.lit", "member")
    store.save(landed)
    store.save(landed)
    with pytest.raises(StaleWrite):
        store.save(grant(base, "b@shakespeare.lit", "member"))
    assert store.load(ROOM) == landed


def test_a_save_cut_after_its_commit_is_finished_by_the_next_load(
        metered, embedded_mongo, monkeypatch) -> None:
    # The process dying between the room document's write and the entries' is a fault we
    # cannot cause at that point from outside: the entries' write raises instead.
    store, _, db = metered
    store.save(big_room(1, 40))
    after = grant(grant(big_room(1, 40), "newcomer@shakespeare.lit", "admin", "nc"),
                  "user000001@shakespeare.lit", "outcast")
    real_apply = lists.apply

    def crash(*args, **kwargs):
        raise SystemExit("killed between the two writes")
    monkeypatch.setattr(lists, "apply", crash)
    with pytest.raises(SystemExit):
        store.save(replace(after, version=2))
    monkeypatch.setattr(lists, "apply", real_apply)
    assert db.rooms.find_one({"_id": ROOM})["pending"]["set"]    # committed, not applied
    assert db.rooms_entries.count_documents({"jid": "newcomer@shakespeare.lit"}) == 0
    restarted = RoomStore(MongoClient(embedded_mongo.uri), database=db.name)
    try:
        assert restarted.load(ROOM) == replace(after, version=2)
        assert "pending" not in db.rooms.find_one({"_id": ROOM})
        assert db.rooms_entries.find_one({"jid": "user000001@shakespeare.lit"})["a"] == "outcast"
        # the next change from the restarted host writes only its own entry
        restarted.save(grant(replace(after, version=2), "late@shakespeare.lit", "member"))
        assert db.rooms_entries.count_documents({"room": ROOM, "g": 3}) == 1
    finally:
        restarted.close()


def test_the_writer_retrying_a_cut_save_finishes_it(metered, monkeypatch) -> None:
    store, _, db = metered
    store.save(big_room(1, 40))
    after = grant(big_room(1, 40), "newcomer@shakespeare.lit", "member")
    real_apply = lists.apply
    monkeypatch.setattr(lists, "apply", lambda *a, **k: (_ for _ in ()).throw(SystemExit("cut")))
    with pytest.raises(SystemExit):
        store.save(after)
    monkeypatch.setattr(lists, "apply", real_apply)
    store.save(after)       # the host's retry: the state landed, so it is finished, not stale
    assert "pending" not in db.rooms.find_one({"_id": ROOM})
    assert db.rooms_entries.count_documents({"jid": "newcomer@shakespeare.lit"}) == 1
    assert store.load(ROOM) == after


def test_a_room_stored_the_old_way_loads_and_its_next_save_converts_it(metered) -> None:
    store, _, db = metered
    old = big_room(4, 30)
    db.rooms.insert_one(old.to_document())     # lists inside the room document, as before
    assert store.load(ROOM) == old
    after = grant(old, "newcomer@shakespeare.lit", "member", "nc")
    store.save(after)
    room_doc = db.rooms.find_one({"_id": ROOM})
    assert "affiliations" not in room_doc and "nicks" not in room_doc["extra"]
    assert db.rooms_entries.count_documents({"room": ROOM}) == 32
    assert store.load(ROOM) == after
    with pytest.raises(StaleWrite):                         # still versioned
        store.save(grant(old, "late@shakespeare.lit", "member"))


def test_a_recreated_room_does_not_inherit_entries_left_behind(metered) -> None:
    store, _, db = metered
    store.save(big_room(1, 5))
    db.rooms.delete_one({"_id": ROOM})          # as if deleting its entries had failed
    assert db.rooms_entries.count_documents({"room": ROOM}) == 6
    fresh = RoomRecord(ROOM, 1, affiliations={"hag66@shakespeare.lit": "owner"})
    store.save(fresh)
    assert store.load(ROOM) == fresh
    assert db.rooms_entries.count_documents({"room": ROOM}) == 1


def test_delete_removes_the_entries(metered) -> None:
    store, _, db = metered
    store.save(big_room(1, 5))
    assert store.delete(ROOM, version=1) is True
    assert db.rooms_entries.count_documents({"room": ROOM}) == 0
    assert store.load(ROOM) is None


def test_a_store_without_a_cache_writes_every_entry_and_stays_correct(metered, embedded_mongo) -> None:
    store, _, db = metered
    store.save(big_room(1, 20))
    uncached = RoomStore.from_uri(embedded_mongo.uri, database=db.name, cached_rooms=0)
    try:
        loaded = uncached.load(ROOM)
        after = grant(replace(loaded, affiliations={
            j: a for j, a in loaded.affiliations.items() if j != "user000015@shakespeare.lit"}),
            "newcomer@shakespeare.lit", "member")
        uncached.save(after)
        assert store.load(ROOM) == after
        assert db.rooms_entries.count_documents({"room": ROOM}) == 21
    finally:
        uncached.close()
