"""Members-only rooms admit members, admins and owners only (407 otherwise)."""
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField
from ..roles import Affiliation

MEMBERS_ONLY = RoomField("members_only", Kind.BOOL, False, "Make room members-only",
                         "muc#roomconfig_membersonly")


def _pre_join(room, attempt):
    if room.config.members_only and attempt.affiliation.rank < Affiliation.MEMBER.rank \
            and not attempt.service_admin:
        raise Refused("registration-required", "This room is members-only")


def _config_changed(room, old, new, out):
    if new.members_only and not old.members_only:
        room.remove_non_members(out)
    return ()


FEATURE = feature("members_only", MEMBERS_ONLY, pre_join=_pre_join,
                  config_changed=_config_changed,
                  disco_features=toggle("muc_membersonly", "muc_open", "members_only"))
