"""Voice requests (XEP-0045 §7.13) and their approval by a moderator (§8.6).

A visitor sends a muc#request form; the room turns it into the approval form of
§8.6 (requested role, the visitor's full JID and nick, muc#request_allow=false) and
sends it to every moderator's sessions. A moderator grants voice by submitting that
form with muc#request_allow true: the visitor becomes a participant and everyone
gets the presence of §8.3. A submission with false (or a cancelled form) skips the
request. Approval follows the role-change privileges of §8 (privileges.py)."""
from __future__ import annotations

from . import commands as c
from .broadcast import broadcast_presence
from .commands import Form
from .effects import MessageOut
from .errors import Refused
from .outbox import Outbox
from .privileges import actor_of, check_role_change
from .roles import Role
from .state import Env

NS_REQUEST = "http://jabber.org/protocol/muc#request"
_TRUE, _FALSE = ("1", "true"), ("0", "false")


def handle_voice_request(room, cmd: c.VoiceRequest, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if occ is None:
        raise Refused("not-acceptable", "Only occupants may request voice")
    if occ.role is not Role.VISITOR:
        raise Refused("not-allowed", "Only visitors may request voice; you have it already")
    form = Form("form", (
        ("FORM_TYPE", (NS_REQUEST,)),
        ("muc#role", (Role.PARTICIPANT.value,)),
        ("muc#jid", (cmd.sender,)),
        ("muc#roomnick", (occ.nick,)),
        ("muc#request_allow", ("false",)),
    ))
    out.deliver(room.moderator_sessions(), MessageOut(None, "normal", env.uid, form=form))


def handle_voice_approval(room, cmd: c.VoiceApproval, env: Env, out: Outbox) -> None:
    form = cmd.form
    if form.type == "cancel":
        return                                  # the moderator skipped the request
    if form.type != "submit":
        raise Refused("bad-request", "A voice approval is a submitted muc#request form")
    allow = _single(form, "muc#request_allow")
    if allow not in _TRUE + _FALSE:
        raise Refused("bad-request", "muc#request_allow must be a boolean")
    role = _single(form, "muc#role")
    if role not in (None, Role.PARTICIPANT.value):
        raise Refused("bad-request", "A voice request asks for the participant role")
    actor = actor_of(room, cmd.sender)
    if actor.role is not Role.MODERATOR:
        raise Refused("forbidden", "Only moderators may approve voice requests")
    if allow in _FALSE:
        return
    target = _requester(room, form)
    if target.role is not Role.VISITOR:
        return                                  # granted meanwhile: nothing left to do
    check_role_change(actor, target, Role.PARTICIPANT)
    voiced = target.with_(role=Role.PARTICIPANT)
    room.put_occupant(voiced)
    broadcast_presence(room, voiced, out,
                       item_extra={"actor_nick": actor.nick} if actor.nick else None)


def _requester(room, form: Form):
    nick, jid = _single(form, "muc#roomnick"), _single(form, "muc#jid")
    if not nick and not jid:
        raise Refused("bad-request", "The form names no requester (muc#roomnick or muc#jid)")
    occ = room.occupant_named(nick) if nick else room.occupant_of(jid)
    if occ is None or (jid and jid not in occ.sessions and jid != occ.bare):
        raise Refused("item-not-found", "The requester is no longer in the room")
    return occ


def _single(form: Form, var: str) -> str | None:
    values = form.get(var)
    if values is None:
        return None
    if len(values) != 1:
        raise Refused("bad-request", f"{var} takes exactly one value")
    return values[0].strip()
