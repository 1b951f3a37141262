"""allow_multiple_sessions: several resources of one bare JID under one nick."""
from ..feature import feature
from ..fields import Kind, RoomField

ALLOW_MULTIPLE_SESSIONS = RoomField("allow_multiple_sessions", Kind.BOOL, False,
                                    "Allow users to have multiple sessions under one nick",
                                    "muc#roomconfig_allowmultisessions")   # MongooseIM's var

FEATURE = feature("multiple_sessions", ALLOW_MULTIPLE_SESSIONS)
