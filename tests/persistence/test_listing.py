"""The stored room list read a page at a time by index (persistence/listing.py), on
SecantusDB."""
from __future__ import annotations

from pymongo import ASCENDING

from persistence.listing import RoomListing
from persistence.records import RoomRecord

H = "conference.localhost"
OTHER = "muc.elsewhere"


def seed(room_store, n: int = 30) -> list[str]:
    """n rooms of H (every third hidden, owned by boss@localhost; i3 also by carol) and
    one of another service; returns the public JIDs in order."""
    public = []
    for i in range(n):
        jid = f"r{i:03d}@{H}"
        owners = {"boss@localhost": "owner"} if i % 3 == 0 else {"user.dot@localhost": "owner"}
        if i == 3:
            owners["carol@localhost"] = "owner"
        room_store.save(RoomRecord(jid, 1, {"public": i % 3 != 0, "title": f"T{i}"}, owners))
        if i % 3:
            public.append(jid)
    room_store.save(RoomRecord(f"r001@{OTHER}", 1, {"public": True}))
    return public


def test_the_listing_index_is_created_with_the_store_indexes(room_store):
    room_store.ensure_indexes()
    keys = [spec["key"] for spec in room_store.collection.index_information().values()]
    assert [("muc_host", ASCENDING), ("config.public", ASCENDING), ("_id", ASCENDING)] in \
        [list(map(tuple, key)) for key in keys]


def test_walking_pages_lists_each_public_room_once_and_never_a_hidden_one(room_store):
    public = seed(room_store)
    listing = RoomListing(room_store)
    walked, after = [], None
    while True:
        page = listing.page(H, everyone=False, limit=4, after=after)
        if not page:
            break
        assert len(page) <= 4 and all(room.public for room in page)
        walked += [room.jid for room in page]
        after = page[-1].jid
    assert walked == public
    assert listing.count(H, everyone=False) == len(public) == 20
    assert listing.count(H, everyone=False, below=public[5]) == 5
    everything = listing.page(H, everyone=True, limit=100)
    assert len(everything) == 30 and [r.jid for r in everything] == sorted(r.jid for r in everything)
    assert everything[1].title == "T1" and not everything[0].public


def test_pages_backwards_and_the_last_page(room_store):
    public = seed(room_store)
    listing = RoomListing(room_store)
    assert [r.jid for r in listing.page(H, False, 3, before="")] == public[-3:]
    assert [r.jid for r in listing.page(H, False, 3, before=public[5])] == public[2:5]
    assert listing.page(H, False, 3, before=public[0]) == []
    assert listing.page(H, False, 0) == []


def test_stored_state_and_hidden_rooms_of_one_owner(room_store):
    seed(room_store)
    listing = RoomListing(room_store)
    got = listing.stored(H, [f"r000@{H}", f"r001@{H}", f"gone@{H}", f"r001@{OTHER}"])
    assert set(got) == {f"r000@{H}", f"r001@{H}"} and not got[f"r000@{H}"].public
    assert [r.jid for r in listing.owned_hidden(H, "carol@localhost")] == [f"r003@{H}"]
    assert len(listing.owned_hidden(H, "boss@localhost")) == 10
    assert listing.owned_hidden(H, "user.dot@localhost") == []      # owns public rooms only
