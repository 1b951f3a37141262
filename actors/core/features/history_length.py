"""muc#maxhistoryfetch: how many history messages the room sends on entering, at
most the service's history_size (what it keeps). "" = the service's history_size,
so a room follows a later change of that option until an owner sets a number."""
from ..errors import Refused
from ..feature import feature
from ..fields import FieldValueError, Kind, RoomField, form_int

HISTORY_LENGTH = RoomField("history_length", Kind.TEXT, "",
                           "Maximum number of history messages returned by room",
                           "muc#maxhistoryfetch", in_default_room=False)


def max_history(room) -> int:
    """The number of messages the room sends on entering."""
    value = room.config.history_length.strip()
    kept = room.policy.history_size
    return min(int(value), kept) if value else kept


def _validate(room, new, sender_bare):
    value = new.history_length.strip()
    if not value:
        return
    try:
        number = form_int(value, 0)
    except FieldValueError as exc:
        raise Refused("bad-request", f"muc#maxhistoryfetch: expected {exc}") from None
    if number > room.policy.history_size:
        raise Refused("not-acceptable", "muc#maxhistoryfetch can't exceed the "
                                        f"{room.policy.history_size} messages the room keeps")


def _roominfo(room):
    return (("muc#maxhistoryfetch", (str(max_history(room)),)),)


FEATURE = feature("history_length", HISTORY_LENGTH, validate_config=_validate,
                  roominfo=_roominfo)
