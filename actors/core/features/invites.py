"""Who may send mediated invitations: moderators always, others when allow_user_invites."""
from ..feature import feature
from ..fields import Kind, RoomField

ALLOW_USER_INVITES = RoomField("allow_user_invites", Kind.BOOL, False,
                               "Allow occupants to invite others", "muc#roomconfig_allowinvites")

FEATURE = feature("invites", ALLOW_USER_INVITES)
