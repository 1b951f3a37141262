"""raymuc-rooms.log (actors/rooms_file.py): one line per room, rewritten only on change."""
from __future__ import annotations

import calendar

from actors.directory import RoomInfo
from actors.rooms_file import ROOMS_FILE, RoomsFile, render


def test_render_shows_occupants_persistence_state_and_last_change():
    now = calendar.timegm((2026, 12, 4, 17, 0, 0))
    rows = [(RoomInfo("dev@muc.x", occupants=3, persistent=True), 60.0, 0.0),
            (RoomInfo("old@muc.x", hibernated=True), 600.0, 300.0),
            (RoomInfo("new@muc.x", locked=True), 0.0, 0.0)]
    lines = render(rows, total=5, wall_now=now).splitlines()
    assert lines[0].split() == ["ROOM", "OCC", "PERSIST", "STATE", "LAST", "CHANGE"]
    assert lines[1].split() == ["dev@muc.x", "3", "yes", "awake", "2026-12-04", "16:59:00Z"]
    assert lines[2].split() == ["old@muc.x", "0", "no", "hibernated", "since", "2026-12-04",
                                "16:55:00Z", "2026-12-04", "16:50:00Z"]
    assert "locked (being created)" in lines[3]
    assert lines[4] == "... and 2 more rooms: `raymuc rooms` lists them all"
    assert lines[5] == "5 rooms online, 1 of those listed hibernated"


def test_the_file_is_rewritten_only_when_a_line_changes(tmp_path):
    rooms = RoomsFile(tmp_path)
    row = (RoomInfo("dev@muc.x", occupants=1), 1.0, 0.0)
    assert rooms.update([row], 1)
    first = (tmp_path / ROOMS_FILE).read_text()
    assert "dev@muc.x" in first and first.startswith("# RayMUC live rooms")
    assert not rooms.update([row], 1)
    assert rooms.update([(RoomInfo("dev@muc.x", occupants=2), 0.0, 0.0)], 1)
    assert [p.name for p in tmp_path.iterdir()] == [ROOMS_FILE]


def test_an_unwritable_folder_is_given_up_once(tmp_path):
    rooms = RoomsFile(tmp_path / "missing")
    assert not rooms.update([], 0)
    assert rooms.path is None and not rooms.update([], 0)
    assert not RoomsFile(None).update([], 0)
