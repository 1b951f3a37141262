"""Who may change the subject: moderators always, others when allow_change_subj."""
from ..errors import Refused
from ..feature import feature
from ..fields import Kind, RoomField
from ..roles import Role

ALLOW_CHANGE_SUBJ = RoomField("allow_change_subj", Kind.BOOL, True,
                              "Allow occupants to change the subject",
                              "muc#roomconfig_changesubject")


def _pre_subject(room, occupant):
    if occupant.role is Role.MODERATOR:
        return
    if not room.config.allow_change_subj or not occupant.role.has_voice:
        raise Refused("forbidden", "Only moderators are allowed to change the subject in this room")


def _roominfo(room):
    # §16.5.4 registers muc#roominfo_subjectmod; §6.4's example shows the roomconfig var
    value = ("1" if room.config.allow_change_subj else "0",)
    return (("muc#roominfo_subjectmod", value), ("muc#roomconfig_changesubject", value))


FEATURE = feature("subject_control", ALLOW_CHANGE_SUBJ, pre_subject=_pre_subject,
                  roominfo=_roominfo)
