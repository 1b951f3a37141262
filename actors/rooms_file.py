"""raymuc-rooms.log: the live room directory, one line per room, that the supervisor keeps in
its node's Ray log folder, where the dashboard's Logs tab shows it (docs/sre.md). Ray takes
an actor's repr once, at creation, so the actors table cannot show a room's current state.

Rewritten on the supervisor's probe only when a line changed: times are wall-clock stamps,
not ages, so an idle service does not rewrite it."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger("raymuc.supervisor")

ROOMS_FILE = "raymuc-rooms.log"
LIMIT = 1000


def _stamp(wall: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(wall))


def render(rows, total: int, wall_now: float) -> str:
    """rows: (RoomInfo, seconds since it changed, seconds hibernated), from
    Directory.changed_since; total: rooms in the directory."""
    lines = [f"{'ROOM':<48} {'OCC':>4} {'PERSIST':<7} {'STATE':<32} LAST CHANGE"]
    for info, changed_ago, hibernated_for in rows:
        if info.locked:
            state = "locked (being created)"
        elif info.hibernated:
            state = f"hibernated since {_stamp(wall_now - hibernated_for)}"
        else:
            state = "awake"
        lines.append(f"{info.jid:<48} {info.occupants:>4} {'yes' if info.persistent else 'no':<7} "
                     f"{state:<32} {_stamp(wall_now - changed_ago)}")
    if total > len(rows):
        lines.append(f"... and {total - len(rows)} more rooms: `raymuc rooms` lists them all")
    lines.append(f"{total} rooms online, {sum(r[0].hibernated for r in rows)} of those listed "
                 "hibernated")
    return "\n".join(lines) + "\n"


class RoomsFile:
    def __init__(self, folder: Path | None):
        self.path = None if folder is None else folder / ROOMS_FILE
        self._last = None

    def update(self, rows, total: int) -> bool:
        """Write the file if its lines changed; True when written."""
        if self.path is None:
            return False
        body = render(rows, total, time.time())
        if body == self._last:
            return False
        text = (f"# RayMUC live rooms, from the supervisor's directory, written "
                f"{_stamp(time.time())}; `raymuc rooms` shows the same\n{body}")
        tmp = self.path.with_name(f".{ROOMS_FILE}.tmp")
        try:
            tmp.write_text(text)
            os.replace(tmp, self.path)     # the dashboard never reads half a file
        except OSError as exc:
            log.warning("rooms_file.write_failed path=%s error=%s", self.path, exc)
            self.path = None               # once: the directory is not writable
            return False
        self._last = body
        return True
