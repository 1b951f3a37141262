"""The room: state plus `handle(command, env) -> effects`. Pure: no I/O, no clock.

Protocol handlers live in sibling modules (presence, messages, owner, disco, ...),
feature rules in features/. A room never assumes it owns its process."""
from __future__ import annotations

import hashlib
from types import MappingProxyType

from . import commands as c
from .effects import Closed, Forget, LogEvent, Persist
from .errors import Refused, XmppError
from .features.registry import hooks
from .history import History
from .jid import bare_of, canonical_bare
from .nick import nick_key
from .occupant import Occupant
from .outbox import Outbox
from .policy import ServicePolicy
from .replies import error_reply, refuse
from .roles import Affiliation, Role
from .roomconfig import RoomConfig
from .state import NICKS, REASONS, Env, RoomSeed, RoomSnapshot


class Room:
    def __init__(self, jid: str, policy: ServicePolicy, config: RoomConfig,
                 affiliations: dict[str, Affiliation], subject: str = "",
                 subject_author: str = "", secret: str = "", version: int = 0,
                 locked: bool = False, extra: dict | None = None):
        self.jid = jid
        self.policy = policy
        self.config = config
        self.affiliations = affiliations
        self.subject = subject
        self.subject_author = subject_author
        self.secret = secret
        self.version = version
        self.locked = locked
        self.extra = dict(extra or {})
        self.occupants: dict[str, Occupant] = {}
        self._nick_keys: dict[str, str] = {}        # nick_key -> nick of an occupant
        self._reserved: dict[str, str] = {}          # nick_key -> bare, of extra[NICKS]
        self._reserved_of: object = None              # the extra[NICKS] it indexes
        self.sessions: dict[str, str] = {}          # full JID -> nick
        self.history = History(policy.history_size)
        self.pending_iqs: dict = {}                  # forwarding.PendingIq by rewritten id
        self.probes: dict = {}                       # probe.Probe by the probe IQ's id
        self.closed = False
        self.persisted = version > 0
        self._dirty = False

    # construction ----------------------------------------------------------
    @classmethod
    def new(cls, jid: str, policy: ServicePolicy, seed: RoomSeed, creator: str, env: Env) -> "Room":
        affs = _canonical_keys({bare: Affiliation(aff) for bare, aff in seed.affiliations})
        affs[bare_of(creator)] = Affiliation.OWNER
        room = cls(jid, policy, RoomConfig(seed.config), affs, seed.subject,
                   seed.subject_author, secret=env.uid, locked=True)
        return room

    @classmethod
    def restore(cls, policy: ServicePolicy, snap: RoomSnapshot) -> "Room":
        extra = _canonical_extra(snap.extra)
        return cls(snap.jid, policy, RoomConfig(snap.config),
                   _canonical_keys({j: Affiliation(a) for j, a in snap.affiliations.items()}),
                   snap.subject, snap.subject_author, secret=str(extra.pop("secret", "")),
                   version=snap.version, extra=extra)

    def snapshot(self) -> RoomSnapshot:
        return RoomSnapshot(
            self.jid, self.version, MappingProxyType(self.config.as_dict()),
            MappingProxyType({j: a.value for j, a in self.affiliations.items()}),
            self.subject, self.subject_author,
            MappingProxyType({**self.extra, "secret": self.secret}))

    # dispatch ----------------------------------------------------------------
    def handle(self, cmd, env: Env) -> list:
        if self.closed:
            return list(refuse(cmd, "item-not-found", "The room is gone"))
        out = Outbox()
        handler = _handler_for(cmd)
        try:
            handler(self, cmd, env, out)
        except Refused as refusal:
            self._refuse(cmd, refusal.error, out)
        self._finish(out)
        return out.effects

    def handle_create(self, cmd: c.Presence, env: Env) -> list:
        """The join that creates this room: the creator becomes owner (201)."""
        from .presence import join
        out = Outbox()
        try:
            join(self, cmd, env, out, created=True)
        except Refused as refusal:
            self._refuse(cmd, refusal.error, out)
        self._finish(out)
        return out.effects

    def _refuse(self, cmd, error: XmppError, out: Outbox) -> None:
        out.effects.extend(error_reply(cmd, error))

    def _finish(self, out: Outbox) -> None:
        if self._dirty and not self.locked and not self.closed:
            self._dirty = False
            if self.config.persistent:
                self.version += 1
                self.persisted = True
                out.add(Persist(self.snapshot()))
            elif self.persisted:
                out.add(Forget(self.version))
                self.persisted = False
        if not self.occupants and not self.config.persistent and not self.closed:
            self.close("empty", out)

    def close(self, reason: str, out: Outbox) -> None:
        if self.persisted and not self.config.persistent:
            out.add(Forget(self.version))
        self.closed = True
        self.occupants.clear()
        self.sessions.clear()
        out.add(Closed(reason))

    # state helpers used by handlers and features ------------------------------
    def changed(self) -> None:
        """Mark persistent state (config, affiliations, subject) as changed."""
        self._dirty = True

    def affiliation_of(self, bare: str) -> Affiliation:
        return self.affiliations.get(bare, Affiliation.NONE)

    def effective_affiliation(self, bare: str) -> Affiliation:
        if self.policy.is_service_admin(bare):
            return Affiliation.OWNER
        return self.affiliation_of(bare)

    def default_role(self, affiliation: Affiliation) -> Role:
        if affiliation in (Affiliation.OWNER, Affiliation.ADMIN):
            return Role.MODERATOR
        if affiliation is Affiliation.MEMBER:
            return Role.PARTICIPANT
        if affiliation is Affiliation.OUTCAST:
            return Role.NONE
        for hook in hooks("join_role"):
            role = hook(self, affiliation)
            if role is not None:
                return role
        return Role.PARTICIPANT

    def occupant_id(self, bare: str) -> str:
        digest = hashlib.sha256(f"{self.secret}\0{self.jid}\0{bare}".encode()).digest()
        return digest[:18].hex()

    def nick_owner(self, nick: str) -> str | None:
        """The bare JID that registered this nick (in any spelling) with the room, if any."""
        return self._reserved_index().get(nick_key(nick) or "")

    def reserve_nick(self, bare: str, nick: str | None) -> None:
        """Reserve `nick` for `bare`, or drop its reservation (None or '')."""
        # Copy, never mutate: a snapshot already handed to the shell may share the dict.
        index = self._reserved_index()
        nicks = dict(self.extra.get(NICKS, {}))
        old = nicks.pop(bare, None)
        if old is not None:
            index.pop(nick_key(old) or "", None)
        if nick:
            nicks[bare] = nick
            index[nick_key(nick) or ""] = bare
        self.extra[NICKS] = self._reserved_of = nicks
        self.changed()

    def _reserved_index(self) -> dict[str, str]:
        # Kept up to date by reserve_nick; rebuilt (once) when extra[NICKS] was replaced
        # wholesale, as restore and tests do
        nicks = self.extra.get(NICKS, {})
        if nicks is not self._reserved_of:
            self._reserved_of = nicks
            self._reserved = {key: bare for bare, nick in nicks.items()
                              if (key := nick_key(nick)) is not None}
        return self._reserved

    def occupant_named(self, nick: str) -> Occupant | None:
        """The occupant whose nick is `nick` in any spelling (nick.py)."""
        found = self._nick_keys.get(nick_key(nick) or "")
        return self.occupants.get(found) if found is not None else None

    def config_max_history(self) -> int | None:
        from .features.history_length import max_history
        return max_history(self)

    def log(self, kind: str, nick: str, text: str = "", jid: str | None = None,
            out: Outbox | None = None) -> None:
        if self.config.logging and out is not None:
            out.add(LogEvent(kind, nick, text, jid))

    def occupant_count(self) -> int:
        return len(self.occupants)

    def occupant_of(self, full_jid: str) -> Occupant | None:
        nick = self.sessions.get(full_jid)
        return self.occupants.get(nick) if nick is not None else None

    def all_sessions(self) -> list[str]:
        return [s for o in self.occupants.values() for s in o.sessions]

    def moderator_sessions(self) -> list[str]:
        return [s for o in self.occupants.values() if o.role is Role.MODERATOR for s in o.sessions]

    def put_occupant(self, occ: Occupant) -> None:
        self.occupants[occ.nick] = occ
        self._nick_keys[nick_key(occ.nick) or occ.nick] = occ.nick
        for s in occ.sessions:
            self.sessions[s] = occ.nick

    def drop_occupant(self, occ: Occupant) -> None:
        self.occupants.pop(occ.nick, None)
        self._nick_keys.pop(nick_key(occ.nick) or occ.nick, None)
        for s in occ.sessions:
            self.sessions.pop(s, None)

    def remove_non_members(self, out: Outbox) -> None:
        from .presence import remove_occupant   # avoids a cycle at import time
        for occ in list(self.occupants.values()):
            if occ.affiliation.rank < Affiliation.MEMBER.rank:
                remove_occupant(self, occ, out, codes=(322,))


def _canonical_keys(by_bare: dict) -> dict:
    """Bare JIDs stored before RFC 7622 normalisation (fullwidth, mixed case) under their
    canonical form. Where two spellings collide the canonical one wins: before, only it
    ever matched a user. A key that does not normalise is kept: it matches nobody, and an
    owner can still see it in the lists."""
    out = {}
    for bare, value in by_bare.items():
        canonical = canonical_bare(bare) or bare
        if canonical not in out or canonical == bare:
            out[canonical] = value
    return out


def _canonical_extra(extra) -> dict:
    extra = dict(extra)
    for name in (NICKS, REASONS):
        if isinstance(extra.get(name), dict):
            extra[name] = _canonical_keys(extra[name])
    return extra


def _handler_for(cmd):
    from .dispatch import HANDLERS   # handlers import Room helpers; resolve lazily
    return HANDLERS.get(type(cmd), _unsupported)


def _unsupported(room, cmd, env, out) -> None:
    raise Refused("feature-not-implemented", f"{type(cmd).__name__} is not supported")
