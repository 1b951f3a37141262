"""public_list: whether the occupant list (the room's disco#items) is visible to
non-occupants."""
from ..feature import feature
from ..fields import Kind, RoomField

PUBLIC_LIST = RoomField("public_list", Kind.BOOL, True, "Make participants list public",
                        "public_list")

FEATURE = feature("public_list", PUBLIC_LIST)
