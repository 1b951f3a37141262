"""Owner use cases (§10): the muc#roomconfig form, instant rooms, cancelling the
initial configuration, and destroying the room."""
from __future__ import annotations

from . import commands as c
from .caps import check_room_for
from .effects import DestroyNotice, FormField, FormResult, IqResult, MessageOut
from .errors import Refused
from .features.history_length import max_history
from .features.registry import FIELDS, hooks
from .fields import FieldValueError
from .jid import JID, JidError, bare_of
from .outbox import Outbox
from .roles import Affiliation, Role
from .state import Env

NS_OWNER = "http://jabber.org/protocol/muc#owner"
FORM_TYPE = "http://jabber.org/protocol/muc#roomconfig"
_BY_VAR = {f.form_var: f for f in FIELDS.values() if f.form_var}
_AFF_LISTS = (("muc#roomconfig_roomowners", Affiliation.OWNER, "Full list of room owners"),
              ("muc#roomconfig_roomadmins", Affiliation.ADMIN, "Full list of room admins"))


def _require_owner(room, sender: str) -> None:
    if room.effective_affiliation(bare_of(sender)) is not Affiliation.OWNER:
        raise Refused("forbidden", "Only owners may configure or destroy the room")


def visible_fields(room, sender_bare: str):
    """The fields this owner is shown (MongooseIM hides 'persistent' from owners that
    access_persistent denies)."""
    for fld in FIELDS.values():
        if not fld.form_var:
            continue
        if fld.name == "persistent" and not room.policy.allows("access_persistent", sender_bare):
            continue
        if fld.name == "logging" and not room.policy.may_toggle_logging(sender_bare):
            continue        # no mod_muc_log, or its access_log denies: hidden, as MongooseIM
        yield fld


def _form_field(room, fld) -> FormField:
    values = fld.to_form(getattr(room.config, fld.name))
    options = fld.options
    if fld.name == "max_users":
        # the room's and the service's values are offered too, never above the service's
        limit = room.policy.max_users
        numbers = {int(v) for v, _ in options} | {room.config.max_users, limit}
        options = tuple((str(n), str(n)) for n in sorted(numbers) if n <= limit)
    elif fld.name == "history_length":
        values = (str(max_history(room)),)   # "" (the service's default) shown as a number
    return FormField(fld.form_var, fld.form_type, fld.label, values, options)


def handle_owner_get(room, cmd: c.OwnerGet, env: Env, out: Outbox) -> None:
    _require_owner(room, cmd.sender)
    fields = [FormField("FORM_TYPE", "hidden", values=(FORM_TYPE,))]
    fields.extend(_form_field(room, fld) for fld in visible_fields(room, bare_of(cmd.sender)))
    for var, aff, label in _AFF_LISTS:
        fields.append(FormField(var, "jid-multi", label,
                                tuple(sorted(j for j, a in room.affiliations.items() if a is aff))))
    out.deliver((cmd.sender,), IqResult(cmd.id, None, FormResult(
        NS_OWNER, FORM_TYPE, f"Configuration for {room.jid}", tuple(fields),
        instructions="Complete this form to modify the configuration of your room.")))


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
        if room.locked:     # §10.1.3: cancelling the initial configuration destroys the room
            destroy(room, c.DestroyRequest(reason="Initial configuration cancelled"), out)
        return
    if form.type != "submit":
        raise Refused("bad-request", f"The form must be of type submit or cancel, not {form.type}")
    fts = form.get("FORM_TYPE")
    if fts is not None and fts != (FORM_TYPE,):
        raise Refused("bad-request", f"FORM_TYPE must be {FORM_TYPE}")
    apply_config(room, form, cmd.sender, env, out)
    out.deliver((cmd.sender,), IqResult(cmd.id))


def apply_config(room, form: c.Form, sender: str, env: Env, out: Outbox) -> None:
    """Check the whole form first (bad-request for a malformed value, not-acceptable for
    a value the service's policy refuses), then apply it at once."""
    sender_bare = bare_of(sender)
    changes: dict[str, object] = {}
    for var, values in form.fields:
        fld = _BY_VAR.get(var)
        if fld is None:
            continue        # fixed fields, other implementations' options: ignored
        try:
            changes[fld.name] = fld.from_form(values)
        except FieldValueError as exc:
            raise Refused("bad-request", f"{var}: expected {exc}") from None
    new_affs = _affiliation_lists(form)
    list_changes = _list_changes(room, new_affs) if new_affs is not None else None
    if list_changes and Affiliation.OWNER not in {**room.affiliations, **list_changes}.values():
        # e.g. the only owner listed under muc#roomconfig_roomadmins alone
        raise Refused("conflict", "A room must keep at least one owner")
    old, new = room.config, room.config.replace(**changes)
    for hook in hooks("adjust_config"):
        new = hook(room, new)
    for hook in hooks("validate_config"):
        hook(room, new, sender_bare)
    if new_affs is not None:
        check_room_for(room, list_changes)
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
    # §10.2.1: tell the occupants (not the creator configuring a room nobody else
    # could enter yet): 170-173 for privacy changes, 104 for any change
    if new != old and room.occupants and not was_locked:
        out.deliver(room.all_sessions(),
                    MessageOut(None, id=env.uid, codes=tuple(sorted({104, *codes}))))
    if new.logging != old.logging or new.anonymous != old.anonymous:
        room.log("config", "", text=",".join(str(x) for x in codes), out=out)


def _affiliation_lists(form: c.Form):
    lists = {}
    for var, aff, _ in _AFF_LISTS:
        values = form.get(var)
        if values is not None:
            lists[aff] = {_bare_jid(v) for v in values if v.strip()}
    if not lists:
        return None
    owners = lists.get(Affiliation.OWNER)
    if owners is not None and not owners:
        raise Refused("conflict", "A room must keep at least one owner")
    if Affiliation.OWNER in lists and Affiliation.ADMIN in lists \
            and lists[Affiliation.OWNER] & lists[Affiliation.ADMIN]:
        raise Refused("bad-request", "A JID can't be both an owner and an admin")
    return lists


def _bare_jid(value: str) -> str:
    try:
        return JID.parse(value.strip()).bare
    except JidError:
        raise Refused("jid-malformed", f"Not a JID: {value.strip()!r}") from None


def _list_changes(room, lists) -> dict[str, Affiliation]:
    """What _apply_affiliation_lists will change: bare JID -> new affiliation."""
    changes = {bare: Affiliation.NONE for aff in lists
               for bare, current in room.affiliations.items() if current is aff}
    changes.update((bare, aff) for aff, jids in lists.items() for bare in jids)
    return changes


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
    """§10.9: one unavailable presence per occupant session (its own, with 110),
    carrying <destroy/> with the reason and alternate venue; then the room closes
    and, if it was stored, is removed from storage (Forget)."""
    from .broadcast import broadcast_presence
    notice = DestroyNotice(req.reason, req.alternate, req.password)
    for occ in list(room.occupants.values()):
        gone = occ.with_(role=Role.NONE, affiliation=Affiliation.NONE)
        broadcast_presence(room, gone, out, unavailable=True, destroy=notice, to_others=False)
    room.config = room.config.replace(persistent=False)
    room.close("destroyed", out)
