"""Room name, description and language (muc#roomconfig_roomname/roomdesc/lang),
bounded by the service options max_room_name and max_room_desc."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField

TITLE = RoomField("title", Kind.TEXT, "", "Room title", "muc#roomconfig_roomname",
                  max_len_option="max_room_name")
DESCRIPTION = RoomField("description", Kind.TEXT, "", "Room description",
                        "muc#roomconfig_roomdesc", info_var="muc#roominfo_description",
                        max_len_option="max_room_desc")
LANGUAGE = RoomField("language", Kind.TEXT, "", "Natural language for room discussions",
                     "muc#roomconfig_lang", info_var="muc#roominfo_lang", in_default_room=False)


def _validate(room, new, sender_bare):
    for fld in (TITLE, DESCRIPTION):
        limit = getattr(room.policy, fld.max_len_option)
        value = getattr(new, fld.name)
        if limit is not None and len(value) > limit:
            raise Refused("not-acceptable", f"{fld.label} is longer than {limit} characters")


FEATURE = feature("naming", TITLE, DESCRIPTION, LANGUAGE, validate_config=_validate)
