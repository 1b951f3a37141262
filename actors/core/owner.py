"""Owner use cases (§10): the muc#roomconfig form, instant rooms, cancelling the
initial configuration, and destroying the room."""
from __future__ import annotations

from . import commands as c
from .effects import DestroyNotice, FormField, FormResult, IqResult, MessageOut
from .errors import Refused
from .features.registry import FIELDS, hooks
from .fields import FieldValueError
from .jid import bare_of
from .outbox import Outbox
from .roles import Affiliation, Role
from .state import Env

NS_OWNER = "http://jabber.org/protocol/muc#owner"
FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig"
_BY_VAR = {f.form_var: f for f in FIELDS.values() if f.form_var}


def _require_owner(room, sender: str) -> None:
    if room.effective_affiliation(bare_of(sender)) is not Affiliation.OWNER:
        raise Refused("forbidden", "Only owners may configure the room")


def visible_fields(room, sender_bare: str):
    for fld in FIELDS.values():
        if not fld.form_var:
            continue
        if fld.name == "persistent" and not room.policy.allows("access_persistent", sender_bare):
            continue
        yield fld


def handle_owner_get(room, cmd: c.OwnerGet, env: Env, out: Outbox) -> None:
    _require_owner(room, cmd.sender)
    fields = [FormField("FORM_TYPE", "hidden", values=(FORM_TYPE,))]
    for fld in visible_fields(room, bare_of(cmd.sender)):
        options = fld.options
        if fld.name == "max_users":
            options = tuple(o for o in options if int(o[0]) <= room.policy.max_users)
        fields.append(FormField(fld.form_var, fld.form_type, fld.label,
                                fld.to_form(getattr(room.config, fld.name)), options))
    for var, aff, label in _AFF_LISTS:
        fields.append(FormField(var, "jid-multi", label,
                                tuple(sorted(j for j, a in room.affiliations.items() if a is aff))))
    out.deliver((cmd.sender,), IqResult(cmd.id, None, FormResult(
        NS_OWNER, FORM_TYPE, f"Configuration for {room.jid}", tuple(fields),
        instructions="Complete this form to modify the configuration of your room.")))


_AFF_LISTS = (("muc#roomconfig_roomowners", Affiliation.OWNER, "Room owners"),
              ("muc#roomconfig_roomadmins", Affiliation.ADMIN, "Room admins"))


def handle_owner_set(room, cmd: c.OwnerSet, env: Env, out: Outbox) -> None:
    _require_owner(room, cmd.sender)
    if cmd.destroy is not None:
        destroy(room, cmd.destroy, out)
        out.deliver((cmd.sender,), IqResult(cmd.id))
        return
    form = cmd.form
    if form is None:
        raise Refused("bad-request", "Expected a data form or a destroy request")
    if form.type == "cancel":
        out.deliver((cmd.sender,), IqResult(cmd.id))
        if room.locked:
            destroy(room, c.DestroyRequest(reason="Initial configuration cancelled"), out)
        return
    if form.type != "submit":
        raise Refused("bad-request", "The form must be of type submit or cancel")
    fts = form.get("FORM_TYPE")
    if fts is not None and fts != (FORM_TYPE,):
        raise Refused("bad-request", "Unexpected FORM_TYPE")
    apply_config(room, form, cmd.sender, out)
    out.deliver((cmd.sender,), IqResult(cmd.id))


def apply_config(room, form: c.Form, sender: str, out: Outbox) -> None:
    sender_bare = bare_of(sender)
    visible = {f.form_var for f in visible_fields(room, sender_bare)}
    changes: dict[str, object] = {}
    for var, values in form.fields:
        fld = _BY_VAR.get(var)
        if fld is None or var not in visible:
            continue
        try:
            changes[fld.name] = fld.from_form(values)
        except FieldValueError as exc:
            raise Refused("not-acceptable", f"{var}: expected {exc}") from None
    new_affs = _affiliation_lists(room, form)
    old, new = room.config, room.config.replace(**changes)
    for hook in hooks("validate_config"):
        hook(room, new, sender_bare)
    was_locked = room.locked
    room.locked = False
    if new != old or new_affs is not None or was_locked:
        room.config = new
        room.changed()
    if new_affs is not None:
        _apply_affiliation_lists(room, new_affs, out)
    codes: list[int] = []
    for hook in hooks("config_changed"):
        codes.extend(hook(room, old, new, out))
    if new != old and room.occupants:
        out.deliver(room.all_sessions(), MessageOut(None, codes=tuple(sorted({104, *codes}))))
    if new.logging != old.logging or new.anonymous != old.anonymous:
        room.log("config", "", text=",".join(str(x) for x in codes), out=out)


def _affiliation_lists(room, form: c.Form):
    lists = {}
    for var, aff, _ in _AFF_LISTS:
        values = form.get(var)
        if values is not None:
            lists[aff] = {bare_of(v.strip().lower()) for v in values if v.strip()}
    if not lists:
        return None
    owners = lists.get(Affiliation.OWNER)
    if owners is not None and not owners:
        raise Refused("conflict", "A room must keep at least one owner")
    return lists


def _apply_affiliation_lists(room, lists, out: Outbox) -> None:
    from .affiliations import set_affiliation   # one path for every affiliation change
    for aff, jids in lists.items():
        for bare, current in list(room.affiliations.items()):
            if current is aff and bare not in jids:
                set_affiliation(room, bare, Affiliation.NONE, None, "", out)
        for bare in jids:
            if room.affiliation_of(bare) is not aff:
                set_affiliation(room, bare, aff, None, "", out)


def destroy(room, req: c.DestroyRequest, out: Outbox) -> None:
    from .broadcast import broadcast_presence
    notice = DestroyNotice(req.reason, req.alternate, req.password)
    for occ in list(room.occupants.values()):
        gone = occ.with_(role=Role.NONE, affiliation=Affiliation.NONE)
        broadcast_presence(room, gone, out, unavailable=True, destroy=notice, to_others=False)
    room.config = room.config.replace(persistent=False)
    room.close("destroyed", out)
