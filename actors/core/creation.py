"""Who may bring a room to life (mod_muc's access_create and max_room_id).

MongooseIM (mod_muc:check_user_can_create_room) runs this check for every available
presence to a room that is not online, whether the room is new or stored: a user
that access_create denies can't wake a stopped (deep-hibernated) persistent room by
joining it, only by other stanzas (or by someone else's join). We keep that.
We differ on max_room_id: it bounds the names of NEW rooms only, so lowering the
limit never locks people out of rooms that already exist (MongooseIM refuses to wake
them). Lengths are counted in characters (MongooseIM counts UTF-8 bytes), as
max_room_name and max_room_desc are; the error is MongooseIM's: not-allowed."""
from __future__ import annotations

from dataclasses import dataclass

from .access import AccessRules
from .errors import XmppError

DENIED = "Room creation is denied by service policy"


@dataclass(frozen=True)
class CreationPolicy:
    rules: AccessRules
    access_create: str = "all"
    max_room_id: int | None = None      # None = infinity
    server_host: str | None = None      # for acl match = "current_domain"

    def refusal(self, room_jid: str, sender: str, stored: bool) -> XmppError | None:
        """The error for a join that would start `room_jid` (a new room unless
        `stored`), or None when it may go ahead."""
        if not self.rules.allows(self.access_create, sender, self.server_host):
            return XmppError.of("not-allowed", f"{DENIED}: you may not create rooms")
        local = room_jid.partition("@")[0]
        if not stored and self.max_room_id is not None and len(local) > self.max_room_id:
            return XmppError.of("not-allowed", f"{DENIED}: the room name is longer than "
                                               f"{self.max_room_id} characters")
        return None
