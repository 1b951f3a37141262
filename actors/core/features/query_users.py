"""IQ queries to occupants' JIDs are forwarded only when allow_query_users."""
from ..feature import feature
from ..fields import Kind, RoomField

ALLOW_QUERY_USERS = RoomField("allow_query_users", Kind.BOOL, True,
                              "Allow occupants to query other occupants", "allow_query_users")

FEATURE = feature("query_users", ALLOW_QUERY_USERS)
