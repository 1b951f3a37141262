"""Room logging (mod_muc_log): the shell writes LogEvents when this is on;
turning it on or off is announced with status 170 / 171.

Who may turn it on or off: owners matching mod_muc_log's access_log (MongooseIM shows
the form field only to them and refuses a form carrying it from others; we refuse
only a form that changes the value, since clients send back every field they were
shown). Without mod_muc_log nobody is shown the field, and a form turning logging on
is refused: the service would write nothing."""
from ..effects import LogEvent
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField

LOGGING = RoomField("logging", Kind.BOOL, False, "Enable public logging",
                    "muc#roomconfig_enablelogging")


def _validate(room, new, sender_bare):
    if new.logging and not room.policy.logging_available:
        raise Refused("not-acceptable", "Room logging is not available on this service")
    if new.logging != room.config.logging and not room.policy.allows("access_log", sender_bare):
        raise Refused("not-acceptable", "You are not allowed to change whether this room "
                                        "is logged")


def _config_changed(room, old, new, out):
    # owner.apply_config logs changes of logging (when on) and anonymity; the log also
    # records that logging was turned off, and other changes while it is on (MongooseIM)
    if old.logging and not new.logging:
        out.add(LogEvent("config", "", "171"))
    elif new.logging and old.logging and new != old and new.anonymous == old.anonymous:
        out.add(LogEvent("config", ""))
    if new.logging and not old.logging:
        return (170,)
    if old.logging and not new.logging:
        return (171,)
    return ()


FEATURE = feature("logging", LOGGING, config_changed=_config_changed, validate_config=_validate,
                  disco_features=lambda cfg: ("muc_logging",) if cfg.logging else ())
# A room stored with logging on keeps advertising muc_logging if mod_muc_log is later removed
# (disco_features sees the config only); config/compat.py keeps new rooms from starting so.
