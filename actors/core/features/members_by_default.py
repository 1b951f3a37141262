"""Occupants without an affiliation enter as participants, or as visitors when off."""
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Affiliation, Role

MEMBERS_BY_DEFAULT = RoomField("members_by_default", Kind.BOOL, True,
                               "Default users as participants", "members_by_default")


def _join_role(room, affiliation):
    if affiliation is Affiliation.NONE:
        return Role.PARTICIPANT if room.config.members_by_default else Role.VISITOR
    return None


FEATURE = feature("members_by_default", MEMBERS_BY_DEFAULT, join_role=_join_role)
