"""The live room directory: which rooms run now, on which host, how they look from
outside (title, public, occupants) and whether they are hibernated, as the room hosts
report it. Pure (no Ray): the supervisor actor holds one; tests drive it with a fake
clock.

How it stays true
- Events: a host sends what changed after the command that changed it, fire-and-forget
  (one Ray call per command that changed something; none for an ordinary message).
- Renewals: every host also sends its whole list every `renew` seconds; that list
  replaces the host's entries (lost events and the supervisor's own restarts heal
  within one renewal).
- Leases: a host's entries expire `lease` seconds after its last word (a host that
  vanished without a word, e.g. its node was lost).
- Restarts: a host Ray re-created after a crash resets its predecessor's entries at
  once (its rooms are gone from memory). What reset and expire drop is returned with the
  occupants' sessions last reported, so that the supervisor tells them (status 332).
- Two incarnations of one host name (a room actor that exited and was created again)
  are told apart by an incarnation id: a late "closed" from the old one never removes
  the new one's entry.
The supervisor is a single-threaded actor, so one host's calls are applied in the
order it made them."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from enum import Enum
from typing import Callable, Iterable

Holder = tuple[str, str, str]     # (host actor name, incarnation id, Ray node id)


class EventKind(str, Enum):
    OPENED = "opened"                      # a new room
    RECREATED = "recreated"                # restored from MongoDB: mod_muc_process_recreations
    CHANGED = "changed"                    # title, public, persistent or occupants changed
    HIBERNATED = "hibernated"              # mod_muc_hibernations
    WOKE = "woke"                          # a stanza reached a hibernated room
    DEEP_HIBERNATED = "deep-hibernated"    # its process stopped: mod_muc_deep_hibernations
    CLOSED = "closed"                      # destroyed, emptied, stopped by hand or failed


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """A live room as the directory lists it (service disco#items, `raymuc rooms`)."""
    jid: str
    title: str = ""
    public: bool = True
    persistent: bool = False
    occupants: int = 0
    hibernated: bool = False
    owners_only: bool = True        # every occupant is an owner (or there is none)
    hibernated_for: float = 0.0     # seconds, as measured by the host when it reported
    locked: bool = False            # being created: not configured yet (hidden from disco)
    # (full JID, nick) of every occupant session: whom to tell if the room's host is lost
    sessions: tuple[tuple[str, str], ...] = ()
    node: str = ""                  # the Ray node of its host (filled in by the directory)

    @property
    def domain(self) -> str:
        return self.jid.partition("@")[2]


@dataclass(frozen=True, slots=True)
class RoomEvent:
    kind: EventKind
    jid: str
    info: RoomInfo | None = None    # None for DEEP_HIBERNATED and CLOSED


@dataclass(slots=True)
class _Entry:
    holder: Holder
    info: RoomInfo
    hibernated_at: float | None     # directory clock
    changed_at: float = 0.0         # directory clock: last report that changed the info


class Directory:
    def __init__(self, lease: float, clock: Callable[[], float] = time.monotonic):
        self.lease = lease
        self.clock = clock
        self.rooms: dict[str, _Entry] = {}
        self.expiry: dict[Holder, float] = {}
        self.busy: set[str] = set()          # rooms with a deep-hibernation call in flight

    # what hosts tell --------------------------------------------------------------
    def apply(self, holder: Holder, events: Iterable[RoomEvent]) -> None:
        holder = tuple(holder)
        self._touch(holder)
        for ev in events:
            if ev.info is not None:
                self._put(holder, ev.info)
            else:
                self.forget(ev.jid, holder)

    def renew(self, holder: Holder, infos: Iterable[RoomInfo]) -> None:
        """The host is alive and runs exactly these rooms."""
        holder = tuple(holder)
        self._touch(holder)
        listed = set()
        for info in infos:
            listed.add(info.jid)
            self._put(holder, info)
        for jid in [j for j, e in self.rooms.items() if e.holder == holder and j not in listed]:
            del self.rooms[jid]
        if not listed:
            self.expiry.pop(holder, None)     # nothing to expire; keeps the table small

    def reset(self, host_name: str, incarnation: str) -> list[RoomInfo]:
        """A host restarted: its predecessors' rooms are gone from memory; returns them
        as last reported (their occupants are to be told)."""
        old = [j for j, e in self.rooms.items()
               if e.holder[0] == host_name and e.holder[1] != incarnation]
        lost = [self.rooms.pop(jid).info for jid in old]
        for holder in [h for h in self.expiry if h[0] == host_name and h[1] != incarnation]:
            del self.expiry[holder]
        return lost

    def forget(self, jid: str, holder: Holder | None = None) -> None:
        entry = self.rooms.get(jid)
        if entry is not None and (holder is None or entry.holder == tuple(holder)):
            del self.rooms[jid]

    def expire(self) -> dict[Holder, list[RoomInfo]]:
        """Hosts silent for longer than the lease, with the rooms they held."""
        now = self.clock()
        gone: dict[Holder, list[RoomInfo]] = {}
        for holder in [h for h, t in self.expiry.items() if t < now]:
            del self.expiry[holder]
            held = [j for j, e in self.rooms.items() if e.holder == holder]
            gone[holder] = [self.rooms.pop(jid).info for jid in held]
        return gone

    # what the supervisor asks -----------------------------------------------------
    def candidates(self, timeout: float) -> list[tuple[str, Holder]]:
        """Rooms to deep-hibernate: persistent, hibernated for `timeout` seconds or
        more, no occupant but owners (the host checks again under the room's lock)."""
        now = self.clock()
        return [(jid, e.holder) for jid, e in self.rooms.items()
                if e.hibernated_at is not None and now - e.hibernated_at >= timeout
                and e.info.persistent and e.info.owners_only and jid not in self.busy]

    def holder_of(self, jid: str) -> Holder | None:
        entry = self.rooms.get(jid)
        return entry.holder if entry is not None else None

    def list_rooms(self, domain: str | None = None) -> list[RoomInfo]:
        now = self.clock()
        found = []
        for jid, e in self.rooms.items():
            if domain is None or e.info.domain == domain.lower():
                since = 0.0 if e.hibernated_at is None else now - e.hibernated_at
                found.append(replace(e.info, hibernated_for=since, node=_node(e.holder)))
        return sorted(found, key=lambda i: i.jid)

    def changed_since(self, limit: int) -> list[tuple[RoomInfo, float, float]]:
        """(room, seconds since its info last changed, seconds hibernated) for the first
        `limit` rooms by JID (the supervisor's rooms file)."""
        now = self.clock()
        out = []
        for jid in sorted(self.rooms)[:limit]:
            e = self.rooms[jid]
            out.append((e.info, now - e.changed_at,
                        0.0 if e.hibernated_at is None else now - e.hibernated_at))
        return out

    def gauges(self, label_of: Callable[[str], str]) -> dict[str, tuple[int, int]]:
        """label -> (rooms online, rooms hibernated); hibernated rooms are online too."""
        out: dict[str, list[int]] = {}
        for e in self.rooms.values():
            counts = out.setdefault(label_of(e.info.domain), [0, 0])
            counts[0] += 1
            counts[1] += e.info.hibernated
        return {label: (n[0], n[1]) for label, n in out.items()}

    # internals --------------------------------------------------------------------
    def _touch(self, holder: Holder) -> None:
        self.expiry[holder] = self.clock() + self.lease

    def _put(self, holder: Holder, info: RoomInfo) -> None:
        entry = self.rooms.get(info.jid)
        if not info.hibernated:
            at = None
        elif entry is not None and entry.hibernated_at is not None and entry.holder == holder:
            at = entry.hibernated_at          # still the same hibernation
        else:
            at = self.clock() - info.hibernated_for
        same = entry is not None and entry.holder == holder and \
            replace(entry.info, hibernated_for=0.0) == replace(info, hibernated_for=0.0)
        changed = entry.changed_at if same else self.clock()
        self.rooms[info.jid] = _Entry(holder, info, at, changed)


def _node(holder: Holder) -> str:
    return holder[2] if len(holder) > 2 else ""
