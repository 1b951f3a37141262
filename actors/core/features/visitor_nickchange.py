"""allow_visitor_nickchange: when off, visitors keep their nick (not-allowed)."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Role

ALLOW_VISITOR_NICKCHANGE = RoomField("allow_visitor_nickchange", Kind.BOOL, True,
                                     "Allow visitors to change nickname",
                                     "muc#roomconfig_allowvisitornickchange")  # MongooseIM's


def _pre_nick_change(room, occupant, new_nick):
    if not room.config.allow_visitor_nickchange and occupant.role is Role.VISITOR:
        raise Refused("not-allowed", "Visitors are not allowed to change their nicknames in this room")


FEATURE = feature("visitor_nickchange", ALLOW_VISITOR_NICKCHANGE,
                  pre_nick_change=_pre_nick_change)
