"""Registering with a room (XEP-0045 §7.10, XEP-0077) and the reserved nick it gives
(discovered with disco#info node x-roomuser-item, §7.12; disco.py answers that).

Registration reserves a nick for the user's bare JID (room.extra["nicks"], stored
with the room) and makes an unaffiliated user a member. Who may register:
- outcasts never (forbidden);
- members, admins and owners (service admins count as owners): always, to reserve
  or change their nick;
- unaffiliated users only while in the room (strangers who never enter must not
  grow the stored lists; caps.py bounds what occupants add), and only where
  membership admits nobody the room would otherwise keep out or silence: not in
  members-only rooms (membership is what they control; admins grant it, §9.3) and
  not where newcomers enter as visitors (registering would be a way around the
  moderators). Elsewhere not-allowed, as §7.10 says for a restricted privilege.
A nick held by another user's occupant or reserved by another user is a conflict.
<remove/> cancels the registration: the reservation goes, and membership with it
(admins and owners keep their affiliation); not registered -> registration-required
(XEP-0077 §3.2)."""
from __future__ import annotations

from . import commands as c
from .affiliations import set_affiliation, set_reserved_nick
from .caps import check_room_for
from .effects import FormField, FormResult, IqResult
from .errors import Refused
from .jid import bare_of
from .nick import valid_nick
from .outbox import Outbox
from .roles import Affiliation
from .state import Env

NS_REGISTER = "jabber:iq:register"
NS_MUC_REGISTER = "http://jabber.org/protocol/muc#register"
NICK_VAR = "muc#register_roomnick"


def reserved_nick(room, bare: str) -> str | None:
    return room.extra.get("nicks", {}).get(bare) or None


def handle_register_get(room, cmd: c.RegisterGet, env: Env, out: Outbox) -> None:
    bare = bare_of(cmd.sender)
    _check_may_register(room, bare)
    nick = reserved_nick(room, bare)
    if nick is not None:
        result = FormResult(NS_REGISTER, "", "", (), registered=True, username=nick)
    else:
        result = FormResult(
            NS_REGISTER, NS_MUC_REGISTER, f"Registration with {room.jid}",
            (FormField(NICK_VAR, "text-single", "Desired Nickname"),),
            "Choose the nickname to reserve for you in this room.")
    out.deliver((cmd.sender,), IqResult(cmd.id, None, result))


def handle_register_set(room, cmd: c.RegisterSet, env: Env, out: Outbox) -> None:
    bare = bare_of(cmd.sender)
    if cmd.remove:
        _unregister(room, cmd, bare, out)
        return
    _check_may_register(room, bare)
    form = cmd.form
    if form is None or form.type not in ("submit", "cancel"):
        raise Refused("bad-request", "Submit the registration form (type submit)")
    if form.type == "cancel":
        out.deliver((cmd.sender,), IqResult(cmd.id))
        return
    form_type = form.get("FORM_TYPE")
    if form_type is not None and form_type != (NS_MUC_REGISTER,):
        raise Refused("bad-request", f"The form's FORM_TYPE must be {NS_MUC_REGISTER}")
    values = form.get(NICK_VAR)
    if not values or len(values) != 1 or not valid_nick(values[0]):
        raise Refused("bad-request", f"{NICK_VAR} needs one valid nickname")
    nick = values[0]
    holder = room.occupant_named(nick)
    if (holder is not None and holder.bare != bare) or room.nick_owner(nick) not in (None, bare):
        raise Refused("conflict", "That nickname is already in use or reserved by someone else")
    joins = room.affiliation_of(bare) is Affiliation.NONE
    check_room_for(room, {bare: Affiliation.MEMBER} if joins else {}, {bare: nick})
    # §7.10: the user learns of the success; then, if present, everyone of the membership.
    out.deliver((cmd.sender,), IqResult(cmd.id))
    if reserved_nick(room, bare) != nick:
        set_reserved_nick(room, bare, nick)
    if joins:
        set_affiliation(room, bare, Affiliation.MEMBER, None, "", out)


def _unregister(room, cmd: c.RegisterSet, bare: str, out: Outbox) -> None:
    aff = room.affiliation_of(bare)
    if reserved_nick(room, bare) is None and aff is not Affiliation.MEMBER:
        raise Refused("registration-required", "You are not registered with this room")
    out.deliver((cmd.sender,), IqResult(cmd.id))
    set_reserved_nick(room, bare, None)
    if aff is Affiliation.MEMBER:
        set_affiliation(room, bare, Affiliation.NONE, None, "", out)


def _check_may_register(room, bare: str) -> None:
    if room.locked and room.effective_affiliation(bare) is not Affiliation.OWNER:
        raise Refused("item-not-found", "No such room")     # §7.2.10: not there yet
    aff = room.effective_affiliation(bare)
    if aff is Affiliation.OUTCAST:
        raise Refused("forbidden", "You are banned from this room")
    if aff is not Affiliation.NONE:
        return
    if room.config.members_only:
        raise Refused("not-allowed", "Membership of this members-only room is granted by "
                                     "its admins")
    if not any(o.bare == bare for o in room.occupants.values()):
        raise Refused("not-allowed", "Only occupants may register with this room: enter "
                                     "it first")
    if room.config.moderated and not room.default_role(Affiliation.NONE).has_voice:
        raise Refused("not-allowed", "Registration is closed: newcomers to this room are "
                                     "visitors until a moderator gives them voice")
