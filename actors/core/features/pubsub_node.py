"""muc#roomconfig_pubsub: the XMPP URI of a publish-subscribe node associated with
the room (§15.5.3), shown in the room's disco#info (§6.4)."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField

PUBSUB = RoomField("pubsub", Kind.TEXT, "", "XMPP URI of associated publish-subscribe node",
                   "muc#roomconfig_pubsub", in_default_room=False)


def _validate(room, new, sender_bare):
    if new.pubsub and not new.pubsub.startswith("xmpp:"):
        raise Refused("not-acceptable", "muc#roomconfig_pubsub must be an xmpp: URI")


def _roominfo(room):
    return (("muc#roomconfig_pubsub", (room.config.pubsub,)),) if room.config.pubsub else ()


# the node is where the room's content is published: a detail, like the subject
FEATURE = feature("pubsub_node", PUBSUB, validate_config=_validate, roominfo_details=_roominfo)
