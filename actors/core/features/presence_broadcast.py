"""muc#roomconfig_presencebroadcast: the roles whose presence is broadcast. An
occupant whose role is left out sees its own presence only, and is left out of
the roster others get on entering. Unavailable presence (role none) always goes
out, as in Prosody: a client ignores an unavailable for a nick it never saw."""
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Role

ROLES = (("moderator", "Moderator"), ("participant", "Participant"), ("visitor", "Visitor"))

PRESENCE_BROADCAST = RoomField("presence_broadcast", Kind.TEXT_LIST,
                               tuple(value for value, _ in ROLES),
                               "Roles for which presence is broadcasted",
                               "muc#roomconfig_presencebroadcast", options=ROLES,
                               in_default_room=False)


def _presence_broadcast(room, occupant) -> bool:
    return occupant.role is Role.NONE or occupant.role.value in room.config.presence_broadcast


FEATURE = feature("presence_broadcast", PRESENCE_BROADCAST,
                  presence_broadcast=_presence_broadcast)
