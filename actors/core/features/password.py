"""Password-protected rooms (401 not-authorized without the right password).

The password is compared in constant time, and a bare JID that gave WRONG_LIMIT wrong
passwords within WRONG_WINDOW seconds is refused (resource-constraint, type wait) without
a comparison until the oldest of them is that old: guessing costs a minute per few tries.
The counts are transient and bounded (the least recently active JIDs are forgotten)."""
import hmac
import math

from .. import external_auth
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField
from ..recent import RecentEvents, Window

PASSWORD_PROTECTED = RoomField("password_protected", Kind.BOOL, False,
                               "Password required to enter", "muc#roomconfig_passwordprotectedroom")
PASSWORD = RoomField("password", Kind.SECRET, "", "Password", "muc#roomconfig_roomsecret")
WRONG_LIMIT = 5
WRONG_WINDOW = 60.0
_WRONG = Window(WRONG_LIMIT, WRONG_WINDOW, max_keys=1000)
_ATTR = "wrong_passwords"       # transient attribute on the Room: RecentEvents by bare JID


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
    if attempt.password is None:    # a client's first try: it asks its user and tries again
        raise Refused("not-authorized", "A password is required to enter this room")
    wrong = room.__dict__.setdefault(_ATTR, RecentEvents(_WRONG))
    if not wrong.left(attempt.bare, attempt.now):
        wait = math.ceil(wrong.retry_in(attempt.bare, attempt.now))
        raise Refused("resource-constraint", f"Too many wrong passwords; try again in {wait} s")
    if not hmac.compare_digest(attempt.password.encode("utf-8", "surrogatepass"),
                               cfg.password.encode("utf-8", "surrogatepass")):
        wrong.add(attempt.bare, attempt.now)
        raise Refused("not-authorized", "A password is required to enter this room")
    wrong.forget(attempt.bare)


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
