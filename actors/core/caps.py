"""How much a room keeps per bare JID: each affiliation list, the registered nicks, and
all of them (with the reasons of affiliations) in bytes.

The lists are stored one small document per JID (persistence/entries.py), and one
change writes only the JIDs it changes. These caps still bound what strangers can make a
room keep, load and hold in memory, and the one save that writes every entry (a room's
first, or its first after conversion from the older one-document layout, which MongoDB
refused past 16 MiB) - far above any legitimate room. MongooseIM has no such options, so
they are constants here, not [modules.mod_muc] settings. Only growth is refused: a room
already past a cap (restored from older data) can still shrink."""
from __future__ import annotations

from collections.abc import Mapping

from .errors import Refused
from .roles import Affiliation
from .state import NICKS, REASONS

MAX_LIST_ENTRIES = 10_000           # owners, admins, members, outcasts: each list
MAX_REGISTERED_NICKS = 10_000
# The JIDs, nicks and reasons of all lists together, UTF-8: half of MongoDB's document
# limit, which leaves room for the configuration and the rest of the document even
# when every JID is as long as RFC 7622 allows
MAX_STORED_BYTES = 8 * 1024 * 1024

_LISTED = (Affiliation.OWNER, Affiliation.ADMIN, Affiliation.MEMBER, Affiliation.OUTCAST)


def check_room_for(room, affiliations: Mapping[str, Affiliation] = {},
                   nicks: Mapping[str, str | None] = {},
                   reasons: Mapping[str, str] = {}) -> None:
    """Refuse (resource-constraint) a change that would take a list past its cap. The
    mappings give, per bare JID, its new affiliation, reserved nick (None or '' drops
    it) and reason, as the change would leave them; check before applying anything."""
    before_affs = room.affiliations
    after_affs = _updated(before_affs, {b: (None if a is Affiliation.NONE else a)
                                        for b, a in affiliations.items()})
    for aff in {a for a in affiliations.values() if a in _LISTED}:
        count = _count(after_affs, aff)
        if count > MAX_LIST_ENTRIES and count > _count(before_affs, aff):
            raise Refused("resource-constraint", f"This room's {aff.value} list is full "
                                                 f"({MAX_LIST_ENTRIES} entries)")
    before_nicks = room.extra.get(NICKS, {})
    after_nicks = _updated(before_nicks, {b: (n or None) for b, n in nicks.items()})
    if len(after_nicks) > MAX_REGISTERED_NICKS and len(after_nicks) > len(before_nicks):
        raise Refused("resource-constraint", f"This room holds as many registered nicks as it "
                                             f"can ({MAX_REGISTERED_NICKS})")
    before_reasons = room.extra.get(REASONS, {})
    after_reasons = _updated(before_reasons, {b: (r or None) for b, r in reasons.items()})
    after = stored_bytes(after_affs, after_nicks, after_reasons)
    if after > MAX_STORED_BYTES and after > stored_bytes(before_affs, before_nicks, before_reasons):
        raise Refused("resource-constraint", "This room's affiliation lists and registered "
                                             "nicks are as large as it can store")


def stored_bytes(affiliations: Mapping[str, Affiliation], nicks: Mapping[str, str],
                 reasons: Mapping[str, str]) -> int:
    """The UTF-8 size of what the lists store, keys and values (BSON adds a few bytes an
    entry; MAX_STORED_BYTES leaves room for them)."""
    return (sum(len(b.encode()) + len(a.value) for b, a in affiliations.items())
            + sum(len(b.encode()) + len(n.encode()) for b, n in nicks.items())
            + sum(len(b.encode()) + len(r.encode()) for b, r in reasons.items()))


def _updated(current: Mapping, changes: Mapping) -> dict:
    after = dict(current)
    for key, value in changes.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    return after


def _count(affiliations: Mapping[str, Affiliation], aff: Affiliation) -> int:
    return sum(1 for a in affiliations.values() if a is aff)
