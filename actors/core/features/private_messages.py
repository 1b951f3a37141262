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
    # MongooseIM's answer (route_nick_message): forbidden, "It is not allowed to send
    # private messages"; XEP-0045 §7.5 names no condition for muc#roomconfig_allowpm.
    if not room.config.allow_private_messages:
        raise Refused("forbidden", "It is not allowed to send private messages in this room")


FEATURE = feature("private_messages", ALLOW_PRIVATE_MESSAGES,
                  pre_private_message=_pre_private_message)
