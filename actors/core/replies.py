"""The error answer to a command, addressed back to its sender."""
from __future__ import annotations

from . import commands as c
from .effects import Deliver, DestroyNotice, ErrorOut, Item, PresenceOut
from .errors import XmppError


def kind_of(cmd) -> str:
    if isinstance(cmd, c.Presence):
        return "presence"
    if isinstance(cmd, c.Iq):
        return "iq"
    return "message"


def error_reply(cmd, error: XmppError) -> tuple:
    """() when the command must not be answered with an error (errors, results,
    unavailable presences), else one Deliver of an ErrorOut to its sender."""
    sender = getattr(cmd, "sender", None)
    if not sender or isinstance(cmd, (c.StanzaError, c.IqResponseFromOccupant)):
        return ()
    if isinstance(cmd, c.Presence) and not cmd.available:
        return ()
    return (Deliver((sender,), ErrorOut(kind_of(cmd), getattr(cmd, "id", None), error,
                                        getattr(cmd, "nick", "") or None)),)


def refuse(cmd, condition: str, text: str = "") -> tuple:
    return error_reply(cmd, XmppError.of(condition, text))


LOST_STATE_TEXT = "The room was restarted; please join again"


def lost_state(sessions, text: str = LOST_STATE_TEXT) -> tuple:
    """The room lost its live state (its process crashed or was lost with its node): each
    occupant session gets its own unavailable presence with 110 and 332 (XEP-0045's
    "removed because of a system shutdown"), so that clients rejoin instead of talking
    into a room that no longer knows them. sessions: (full JID, nick) pairs."""
    return tuple(Deliver((jid,), PresenceOut(nick, unavailable=True, item=Item("none", "none"),
                                             codes=(110, 332), status=text))
                 for jid, nick in sessions)


ROOM_GONE_TEXT = "The room was lost with its server; it no longer exists"


def room_gone(sessions, text: str = ROOM_GONE_TEXT) -> tuple:
    """A temporary room lost its process (crash, node lost): it is gone for good (nothing
    was stored), so each occupant session is told as of a destroyed room (XEP-0045 §10.9:
    unavailable presence with <destroy/>, 110 to the session itself), not to rejoin."""
    return tuple(Deliver((jid,), PresenceOut(nick, unavailable=True, item=Item("none", "none"),
                                             codes=(110,), destroy=DestroyNotice(text)))
                 for jid, nick in sessions)
