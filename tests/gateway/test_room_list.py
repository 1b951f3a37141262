"""One page of the service's room list from storage's page and the live directory
(XEP-0045 §6.3), pure."""
from __future__ import annotations

from actors.directory import RoomInfo
from gateway.room_list import Cursor, StoredPage, extra_reads, page_items, temporary_listed
from persistence.listing import Listed

D = "conference.localhost"
NONE = StoredPage((), False)


def stored(*locals_: str, full: bool = False, public: bool = True) -> StoredPage:
    return StoredPage(tuple(Listed(f"{x}@{D}", x.upper() if x != "a" else "", public)
                            for x in locals_), full)


def jids(items) -> list[str]:
    return [jid.split("@")[0] for jid, _, _ in items]


def test_public_stored_and_live_rooms_sorted_with_names():
    live = [RoomInfo(f"b@{D}", "Bee", True), RoomInfo(f"c@{D}", "Sea", True, persistent=True)]
    items = page_items(stored("a", "c"), NONE, live, Cursor(), admin=False, limit=10)
    assert items == [(f"a@{D}", "a", None), (f"b@{D}", "Bee", None), (f"c@{D}", "Sea", None)]


def test_hidden_live_rooms_to_admins_and_owners_only_and_locked_never():
    live = [RoomInfo(f"tmp@{D}", "", False), RoomInfo(f"mine@{D}", "", False, persistent=True),
            RoomInfo(f"new@{D}", "", True, locked=True)]
    owned = stored("mine", public=False)
    assert jids(page_items(NONE, owned, live, Cursor(), False, 10)) == ["mine"]
    assert jids(page_items(stored("new"), NONE, live, Cursor(), True, 10)) == ["mine", "tmp"]


def test_a_full_storage_read_bounds_the_page_and_the_cursor_its_start():
    live = [RoomInfo(f"z@{D}", "", True), RoomInfo(f"b@{D}", "", True, locked=True)]
    # storage stopped at c: z may come after rooms not read yet, so it waits its turn
    assert jids(page_items(stored("b", "c", full=True), NONE, live, Cursor(), False, 5)) == ["c"]
    assert jids(page_items(stored("c", "d"), NONE, live, Cursor(after=f"b@{D}"), False, 5)) == \
        ["c", "d", "z"]
    backwards = page_items(stored("c", "d", full=True), NONE, live, Cursor(before=""), False, 2)
    assert jids(backwards) == ["d", "z"]
    assert extra_reads(live, Cursor(after=f"a@{D}")) == 1


def test_temporary_rooms_counted_below_a_room():
    live = [RoomInfo(f"a@{D}", "", True), RoomInfo(f"p@{D}", "", True, persistent=True),
            RoomInfo(f"h@{D}", "", False), RoomInfo(f"z@{D}", "", True)]
    assert temporary_listed(live, admin=False) == 2
    assert temporary_listed(live, admin=True, below=f"q@{D}") == 2
