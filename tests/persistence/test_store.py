"""RoomStore against a real SecantusDB: versioned saves, deletes, listing, outages."""
from __future__ import annotations

import socket
import threading
from dataclasses import replace

import bson
import pytest

from persistence.records import RoomRecord
from persistence.store import RoomStore, StaleWrite, StoreUnavailable

ROOM = "coven@chat.shakespeare.lit"


def room(version: int, jid: str = ROOM, **fields: object) -> RoomRecord:
    return RoomRecord(jid=jid, version=version, **fields)  # type: ignore[arg-type]


def test_load_of_an_unknown_room_is_none(room_store: RoomStore) -> None:
    assert room_store.load(ROOM) is None


def test_saved_record_loads_back_equal(room_store: RoomStore) -> None:
    record = room(
        1,
        config={"muc#roomconfig_persistentroom": True, "history": {"max": 20, "kinds": ["groupchat"]}},
        # Bare JIDs contain dots: they must survive as mapping keys.
        affiliations={"crone1@shakespeare.lit": "owner", "shakespeare.lit": "member"},
        subject="Fire Burn",
        subject_author="secondwitch",
        extra={"reserved_nicks": {"wiccarocks@shakespeare.lit": "secondwitch"}, "$weird.key": 1},
    )
    room_store.save(record)
    assert room_store.load(ROOM) == record


def test_each_save_must_be_the_next_version(room_store: RoomStore) -> None:
    room_store.save(room(1))
    room_store.save(room(2, subject="two"))
    room_store.save(room(3, subject="three"))
    assert room_store.load(ROOM) == room(3, subject="three")


def test_stale_writer_is_refused_and_newer_state_kept(room_store: RoomStore) -> None:
    room_store.save(room(1))
    base = room_store.load(ROOM)
    assert base is not None
    room_store.save(replace(base, version=2, subject="first writer"))
    with pytest.raises(StaleWrite) as refused:
        room_store.save(replace(base, version=2, subject="second writer"))
    assert (refused.value.jid, refused.value.attempted, refused.value.stored) == (ROOM, 2, 2)
    assert room_store.load(ROOM) == room(2, subject="first writer")


def test_creating_an_existing_room_is_stale(room_store: RoomStore) -> None:
    room_store.save(room(1, subject="original"))
    with pytest.raises(StaleWrite) as refused:
        room_store.save(room(1, subject="impostor"))
    assert refused.value.stored == 1
    assert room_store.load(ROOM) == room(1, subject="original")


def test_skipping_a_version_is_stale(room_store: RoomStore) -> None:
    room_store.save(room(1))
    with pytest.raises(StaleWrite):
        room_store.save(room(3))
    assert room_store.load(ROOM) == room(1)


def test_update_of_an_absent_room_is_stale(room_store: RoomStore) -> None:
    with pytest.raises(StaleWrite) as refused:
        room_store.save(room(2))
    assert refused.value.stored is None
    assert room_store.load(ROOM) is None


def test_racing_writers_from_one_base_exactly_one_wins(room_store: RoomStore) -> None:
    room_store.save(room(1))
    writers = 8
    start = threading.Barrier(writers)
    won: list[int] = []
    refused: list[int] = []

    def write(n: int) -> None:
        start.wait()
        try:
            room_store.save(room(2, subject=f"writer {n}"))
            won.append(n)
        except StaleWrite:
            refused.append(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(refused) == writers - 1
    assert room_store.load(ROOM) == room(2, subject=f"writer {won[0]}")


def test_delete(room_store: RoomStore) -> None:
    assert room_store.delete(ROOM) is False
    room_store.save(room(1))
    assert room_store.delete(ROOM) is True
    assert room_store.load(ROOM) is None


def test_conditional_delete_only_removes_that_version(room_store: RoomStore) -> None:
    room_store.save(room(1))
    room_store.save(room(2))
    assert room_store.delete(ROOM, version=1) is False
    assert room_store.load(ROOM) == room(2)
    assert room_store.delete(ROOM, version=2) is True
    assert room_store.load(ROOM) is None


def test_deleted_room_is_not_resurrected_by_a_stale_writer(room_store: RoomStore) -> None:
    room_store.save(room(1))
    room_store.delete(ROOM)
    with pytest.raises(StaleWrite):
        room_store.save(room(2, subject="late"))
    assert room_store.load(ROOM) is None
    room_store.save(room(1, subject="recreated"))  # a new room starts again at version 1
    assert room_store.load(ROOM) == room(1, subject="recreated")


@pytest.mark.parametrize(("rooms", "batch_size"), [(7, 3), (6, 3), (2, 500), (5, 1)])
def test_list_jids_returns_every_room_once_in_order(
    room_store: RoomStore, rooms: int, batch_size: int
) -> None:
    jids = [f"room{n:02d}@muc.a.example" for n in range(rooms)]
    for jid in reversed(jids):
        room_store.save(room(1, jid=jid))
    assert list(room_store.list_jids(batch_size=batch_size)) == jids


def test_list_jids_and_count_per_service(room_store: RoomStore) -> None:
    a_rooms = [f"r{n}@muc.a.example" for n in range(5)]
    b_rooms = [f"r{n}@muc.b.example" for n in range(3)]
    for jid in a_rooms + b_rooms:
        room_store.save(room(1, jid=jid))
    assert list(room_store.list_jids("muc.a.example", batch_size=2)) == a_rooms
    assert list(room_store.list_jids("muc.b.example", batch_size=2)) == b_rooms
    assert list(room_store.list_jids("muc.c.example")) == []
    assert room_store.count() == 8
    assert room_store.count("muc.a.example") == 5
    assert room_store.count("muc.c.example") == 0


def test_list_jids_rejects_a_non_positive_batch(room_store: RoomStore) -> None:
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        next(room_store.list_jids(batch_size=0))


def test_ping_on_a_live_server(room_store: RoomStore) -> None:
    room_store.ping()


@pytest.fixture
def unreachable_store() -> RoomStore:
    # A port that was just free: nothing listens there, so connections are refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = RoomStore.from_uri(f"mongodb://127.0.0.1:{port}/?directConnection=true", timeout_ms=300)
    yield store
    store.close()


@pytest.mark.parametrize(
    "operation",
    [
        lambda store: store.load(ROOM),
        lambda store: store.save(room(1)),
        lambda store: store.delete(ROOM),
        lambda store: list(store.list_jids()),
        lambda store: store.count(),
        lambda store: store.ping(),
    ],
    ids=["load", "save", "delete", "list_jids", "count", "ping"],
)
def test_unreachable_server_raises_store_unavailable(unreachable_store: RoomStore, operation) -> None:
    with pytest.raises(StoreUnavailable):
        operation(unreachable_store)


def test_retryable_writes_default_off_but_uri_can_enable(embedded_mongo) -> None:
    plain = f"mongodb://127.0.0.1:{embedded_mongo.port}/"
    with RoomStore.from_uri(plain) as store:
        store.ping()
        assert store._client.options.retry_writes is False
    with RoomStore.from_uri(plain + "?retryWrites=true") as store:
        assert store._client.options.retry_writes is True


def test_a_room_at_every_cap_of_what_it_stores_saves_and_loads(room_store: RoomStore) -> None:
    # actors/core/caps.py keeps a room's lists below MongoDB's 16 MiB document limit: the
    # most a room may hold (every list full, every entry with a reason, as many bytes as
    # MAX_STORED_BYTES allows) must still save, or every later change of the room fails
    from actors.core.caps import MAX_LIST_ENTRIES, MAX_REGISTERED_NICKS, MAX_STORED_BYTES, stored_bytes
    from actors.core.roles import Affiliation
    lists = ("owner", "admin", "member", "outcast")
    entries = len(lists) * MAX_LIST_ENTRIES
    # every JID, reason and nick `width` bytes long: a JID is in the lists and the reasons,
    # a registered one in the nicks too, with its nick; "outcast" is 7 bytes at most
    width = (MAX_STORED_BYTES - 7 * entries) // (3 * entries + 2 * MAX_REGISTERED_NICKS)
    jids = [f"{i:08}{'x' * (width - 20)}@example.org" for i in range(entries)]
    affiliations = {jid: lists[i % len(lists)] for i, jid in enumerate(jids)}
    nicks = {jid: "n" * width for jid in jids[:MAX_REGISTERED_NICKS]}
    reasons = {jid: "r" * width for jid in jids}
    size = stored_bytes({j: Affiliation(a) for j, a in affiliations.items()}, nicks, reasons)
    assert MAX_STORED_BYTES * 0.95 < size <= MAX_STORED_BYTES
    record = room(1, affiliations=affiliations,
                  extra={"nicks": nicks, "affiliation_reasons": reasons, "secret": "s" * 36})
    room_store.save(record)
    assert room_store.load(ROOM) == record
    # the lists are entries of their own: the room document stays the size of its config
    document = room_store._rooms.find_one({"_id": ROOM})
    assert len(bson.encode(document)) < 4096


def test_saving_the_state_that_is_already_stored_succeeds(room_store: RoomStore) -> None:
    # an attempt that landed but whose answer was lost (the server froze past the socket
    # timeout) is retried: the same record again is success, not a stale write
    room_store.save(room(1))
    room_store.save(room(2, subject="landed"))
    room_store.save(room(2, subject="landed"))
    with pytest.raises(StaleWrite):
        room_store.save(room(2, subject="another state of the same version"))
    assert room_store.load(ROOM) == room(2, subject="landed")
