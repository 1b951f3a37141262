"""The room's process stops (deep hibernation, or an operator's stop): every occupant
is told it is out (unavailable presence, status 332 "system shutdown", the reason in
the item, as MongooseIM's mod_muc_room does for "Room hibernation"), then the room
closes. Persistent state is untouched: it was stored when it changed, and a stopped
persistent room is recreated from storage by the next stanza."""
from __future__ import annotations

from . import commands as c
from .outbox import Outbox
from .presence import remove_occupant
from .state import Env


def handle_shutdown(room, cmd: c.Shutdown, env: Env, out: Outbox) -> None:
    for occ in list(room.occupants.values()):
        remove_occupant(room, occ, out, codes=tuple(cmd.codes), reason=cmd.reason or None)
    room.close("shutdown", out)
