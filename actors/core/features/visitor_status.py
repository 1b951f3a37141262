"""allow_visitor_status: when off, visitors' status texts are stripped."""
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Role

ALLOW_VISITOR_STATUS = RoomField("allow_visitor_status", Kind.BOOL, True,
                                 "Allow visitors to send status text in presence updates",
                                 "muc#roomconfig_allowvisitorstatus")   # MongooseIM's var


def _presence_status(room, occupant, status):
    if not room.config.allow_visitor_status and occupant.role is Role.VISITOR:
        return None
    return status


FEATURE = feature("visitor_status", ALLOW_VISITOR_STATUS, presence_status=_presence_status)
