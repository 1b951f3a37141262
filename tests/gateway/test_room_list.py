"""The service's room list from the live directory and storage (XEP-0045 §6.3)."""
from __future__ import annotations

from actors.directory import RoomInfo
from gateway.room_list import Stored, room_list

D = "conference.localhost"
ME = "me@localhost"


def stored(local: str, public: bool = True, title: str = "", owners: tuple = ()) -> Stored:
    return Stored(f"{local}@{D}", {"public": public, "title": title},
                  {o: "owner" for o in owners})


def jids(items) -> list[str]:
    return [jid.split("@")[0] for jid, _, _ in items]


def test_public_live_and_stored_rooms_sorted_with_names():
    live = [RoomInfo(f"b@{D}", "Bee", True), RoomInfo(f"a@{D}", "", True)]
    items = room_list(live, [stored("c", title="Sea")], ME, admin=False)
    assert items == [(f"a@{D}", "a", None), (f"b@{D}", "Bee", None), (f"c@{D}", "Sea", None)]


def test_hidden_rooms_to_admins_and_stored_owners_only():
    live = [RoomInfo(f"tmp@{D}", "", False)]
    rooms = [stored("mine", public=False, owners=(ME,)), stored("theirs", public=False)]
    assert jids(room_list(live, rooms, ME, admin=False)) == ["mine"]
    assert jids(room_list(live, rooms, ME, admin=True)) == ["mine", "theirs", "tmp"]


def test_live_state_wins_over_storage_and_locked_rooms_are_left_out():
    live = [RoomInfo(f"r@{D}", "New title", False), RoomInfo(f"new@{D}", "", True, locked=True)]
    items = room_list(live, [stored("r", public=True, title="Old")], ME, admin=False)
    assert items == []
    items = room_list(live, [stored("r", public=True, title="Old", owners=(ME,))], ME, admin=False)
    assert items == [(f"r@{D}", "New title", None)]
    assert jids(room_list(live, [], ME, admin=True)) == ["r"]
