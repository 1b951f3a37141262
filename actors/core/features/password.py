"""Password-protected rooms (401 not-authorized without the right password)."""
from .. import external_auth
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField

PASSWORD_PROTECTED = RoomField("password_protected", Kind.BOOL, False,
                               "Password required to enter", "muc#roomconfig_passwordprotectedroom")
PASSWORD = RoomField("password", Kind.SECRET, "", "Password", "muc#roomconfig_roomsecret")


def _pre_join(room, attempt):
    cfg = room.config
    # §7.2.5 MUST deny a wrong or missing password whatever the room affiliation;
    # only service administrators (as in MongooseIM) and the room's creator pass
    if not cfg.password_protected or attempt.service_admin:
        return
    if room.policy.http_auth:       # http_auth_pool: the creator is asked too
        external_auth.check(room, attempt)
        return
    if attempt.external_auth or attempt.created:
        return
    if attempt.password != cfg.password:
        raise Refused("not-authorized", "A password is required to enter this room")


def _validate(room, new, sender_bare):
    # §10.1.3 names exactly this case as a policy violation (not-acceptable); only
    # checked when this form touches the password settings, as MongooseIM does
    old = room.config
    touched = (new.password_protected, new.password) != (old.password_protected, old.password)
    if touched and new.password_protected and not new.password:
        raise Refused("not-acceptable", "A password-protected room needs a password")


FEATURE = feature("password", PASSWORD_PROTECTED, PASSWORD, pre_join=_pre_join,
                  validate_config=_validate,
                  disco_features=toggle("muc_passwordprotected", "muc_unsecured",
                                        "password_protected"))
