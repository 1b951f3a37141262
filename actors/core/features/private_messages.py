"""Private messages between occupants (allow_private_messages)."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField

ALLOW_PRIVATE_MESSAGES = RoomField("allow_private_messages", Kind.BOOL, True,
                                   "Allow occupants to send private messages",
                                   "muc#roomconfig_allowpm",
                                   options=(("anyone", "Anyone"), ("none", "Nobody")),
                                   form_values=("anyone", "none"))


def _pre_private_message(room, occupant, to):
    if not room.config.allow_private_messages:
        raise Refused("not-allowed", "Private messages are not allowed in this room")


FEATURE = feature("private_messages", ALLOW_PRIVATE_MESSAGES,
                  pre_private_message=_pre_private_message)
