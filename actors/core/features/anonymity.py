"""Who may see occupants' real JIDs (muc#roomconfig_whois): moderators only
(semi-anonymous, the default) or anyone (non-anonymous, status 100 / 172 / 173)."""
from ..feature import feature, toggle
from ..fields import Kind, RoomField

ANONYMOUS = RoomField("anonymous", Kind.BOOL, True, "Who may discover real JIDs?",
                      "muc#roomconfig_whois", info_var=None,
                      options=(("moderators", "Moderators only"), ("anyone", "Anyone")),
                      form_values=("moderators", "anyone"))


def _config_changed(room, old, new, out):
    if old.anonymous and not new.anonymous:
        return (172,)
    if new.anonymous and not old.anonymous:
        return (173,)
    return ()


def _roominfo(room):
    return (("muc#roominfo_whois", ("moderators" if room.config.anonymous else "anyone",)),)


FEATURE = feature("anonymity", ANONYMOUS, config_changed=_config_changed, roominfo=_roominfo,
                  disco_features=toggle("muc_semianonymous", "muc_nonanonymous", "anonymous"))
