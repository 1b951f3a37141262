"""Room logging (mod_muc_log): the shell writes LogEvents when this is on;
turning it on or off is announced with status 170 / 171."""
from ..feature import feature, toggle
from ..fields import Kind, RoomField

LOGGING = RoomField("logging", Kind.BOOL, False, "Enable public logging",
                    "muc#roomconfig_enablelogging")


def _config_changed(room, old, new, out):
    if new.logging and not old.logging:
        return (170,)
    if old.logging and not new.logging:
        return (171,)
    return ()


FEATURE = feature("logging", LOGGING, config_changed=_config_changed,
                  disco_features=lambda cfg: ("muc_logging",) if cfg.logging else ())
