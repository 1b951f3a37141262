"""Occupant limit: a room's max_users, never above the service's. Room admins and
owners are admitted up to max_users_admin_threshold more (XEP-0045 §7.2.9: "up to
some reasonable number"); service administrators always (as MongooseIM does)."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Affiliation

MAX_USERS = RoomField("max_users", Kind.POS_INT, 200, "Maximum number of occupants",
                      "muc#roomconfig_maxusers",
                      options=tuple((str(n), str(n)) for n in (5, 10, 20, 30, 50, 100, 200)))


def effective_limit(room) -> int:
    return min(room.config.max_users, room.policy.max_users)


def _pre_join(room, attempt):
    if attempt.service_admin or attempt.extra_session:
        return      # another session of an occupant: no one more in the room
    limit = effective_limit(room)
    if attempt.affiliation.rank >= Affiliation.ADMIN.rank:
        limit += room.policy.max_users_admin_threshold
    if room.occupant_count() >= limit:
        # §7.2.9's example: service-unavailable of type wait (the room may empty out)
        raise Refused("service-unavailable", "The room is full", type="wait")


def _adjust(room, new):
    # Above the service's max_users a submitted value is capped to it, as MongooseIM does.
    # Only a change is: a room stored before the service's max_users was lowered keeps its
    # value (capped by effective_limit) through unrelated edits of a form that echoes it.
    if new.max_users != room.config.max_users and new.max_users > room.policy.max_users:
        return new.replace(max_users=room.policy.max_users)
    return new


def _roominfo(room):
    return (("muc#roomconfig_maxusers", (str(room.config.max_users),)),)


def _roominfo_details(room):
    return (("muc#roominfo_occupants", (str(room.occupant_count()),)),)


FEATURE = feature("max_users", MAX_USERS, pre_join=_pre_join, adjust_config=_adjust,
                  roominfo=_roominfo, roominfo_details=_roominfo_details)
