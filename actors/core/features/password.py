"""Password-protected rooms (401 not-authorized without the right password)."""
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField

PASSWORD_PROTECTED = RoomField("password_protected", Kind.BOOL, False,
                               "Password required to enter", "muc#roomconfig_passwordprotectedroom")
PASSWORD = RoomField("password", Kind.SECRET, "", "Password", "muc#roomconfig_roomsecret")


def _pre_join(room, attempt):
    cfg = room.config
    if not cfg.password_protected or attempt.service_admin or attempt.external_auth:
        return
    if attempt.affiliation.rank >= 2:   # admins and owners need no password
        return
    if attempt.password != cfg.password:
        raise Refused("not-authorized", "A password is required to enter this room")


FEATURE = feature("password", PASSWORD_PROTECTED, PASSWORD, pre_join=_pre_join,
                  disco_features=toggle("muc_passwordprotected", "muc_unsecured",
                                        "password_protected"))
