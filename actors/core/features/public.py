"""Public rooms are listed in the service's disco#items (muc_public / muc_hidden)."""
from ..feature import feature, toggle
from ..fields import Kind, RoomField

PUBLIC = RoomField("public", Kind.BOOL, True, "Make room public searchable",
                   "muc#roomconfig_publicroom")

FEATURE = feature("public", PUBLIC, disco_features=toggle("muc_public", "muc_hidden", "public"))
