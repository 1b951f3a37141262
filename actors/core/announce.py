"""A service administrator's announcement (a message to the MUC service's own JID,
MongooseIM mod_muc broadcast_service_message): every online room sends it to all its
occupants as a groupchat message from the room's bare JID, and keeps it in the
discussion history as mod_muc_room does, so whoever enters later still reads it.
The gateway checks access_admin before fanning out; the room checks again, so a
command from anywhere else can't speak in the room's name."""
from __future__ import annotations

from . import commands as c
from .effects import MessageOut
from .jid import bare_of
from .outbox import Outbox
from .state import Env


def handle_announcement(room, cmd: c.ServiceAnnouncement, env: Env, out: Outbox) -> None:
    if not room.policy.is_service_admin(bare_of(cmd.sender)):
        return      # the gateway already told the sender off; never answer per room
    msg = MessageOut(None, "groupchat", body=cmd.body, stanza_id=env.uid)
    out.deliver(room.all_sessions(), msg)
    room.history.add(msg, env.now)
    room.log("message", "", text=cmd.body, out=out)
