"""Moderated rooms: only occupants with voice may send to all (muc_moderated)."""
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField

MODERATED = RoomField("moderated", Kind.BOOL, True, "Make room moderated",
                      "muc#roomconfig_moderatedroom")


def _pre_groupchat(room, occupant, message):
    if room.config.moderated and not occupant.role.has_voice:
        raise Refused("forbidden", "Visitors are not allowed to send messages to all occupants")


FEATURE = feature("moderated", MODERATED, pre_groupchat=_pre_groupchat,
                  disco_features=toggle("muc_moderated", "muc_unmoderated", "moderated"))
