"""maygetmemberlist: roles (or privileges) allowed to retrieve the member list."""
from ..feature import feature
from ..fields import Kind, RoomField

MAYGETMEMBERLIST = RoomField("maygetmemberlist", Kind.TEXT_LIST, (),
                             "Roles and affiliations that may retrieve member list",
                             "muc#roomconfig_getmemberlist",
                             options=(("moderator", "Moderator"), ("participant", "Participant"),
                                      ("visitor", "Visitor")))

FEATURE = feature("member_list", MAYGETMEMBERLIST)
