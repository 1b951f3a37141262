"""A room's per-JID lists, stored one small document per (room, bare JID).

The affiliations, registered nicks (extra["nicks"]) and affiliation reasons
(extra["affiliation_reasons"]) of a room can hold tens of thousands of JIDs. Kept inside
the room document, every change rewrote all of them (megabytes a change at the caps of
actors/core/caps.py). Here each JID is one document {_id: "room/jid", room, jid, g, a?,
n?, r?} in a collection of its own, and a save writes only the JIDs that changed. (A room
JID has no "/", so the key is unambiguous; every write finds its entry by _id, which
SecantusDB answers in ~1 ms where a query on (room, jid, g) scanned: ~200 ms at 10,000.)

The room document stays the one place where the version is checked. A save of version v:
1. replaces the room document iff it is at v-1 (store.py), with `pending`: the changed
   entries (or, with `reset`, all of them). This is the commit point: a stale writer is
   refused here and never touches an entry.
2. applies `pending` to the entries, each write tagged g=v;
3. removes `pending` from the room document (iff still at v).
A crash between 1 and 3 leaves `pending` in the room document: whoever loads the room
next applies it again (the writes are idempotent) before reading the entries. The room
document also keeps `entries`: the count and an order-independent digest of the whole
set, so a retried save can tell its own landed state from another writer's, and a load
can tell a set that does not match its version.

An entry write only lands over an older generation (g < v), so a writer stalled between
1 and 2 cannot undo a newer version's entries; it can still bring back an entry that a
newer version deleted (deletions leave no generation behind), which needs a room to be
written from two hosts at once, what the versioning refuses everywhere else.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping

from pymongo import ASCENDING, DeleteOne, InsertOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from persistence.records import InvalidRecord, RoomRecord

log = logging.getLogger(__name__)

# extra's lists keyed by bare JID that are stored as entries (actors/core/state.py's names)
NICKS, REASONS = "nicks", "affiliation_reasons"
_FIELDS = (("a", None), ("n", NICKS), ("r", REASONS))   # entry field, extra key (None: affiliations)
_DUPLICATE_KEY = 11000
_MASK = (1 << 128) - 1
_BATCH = 1000   # entry writes a request (SecantusDB: about 0.3 s)

# jid -> (affiliation, nick, reason), None where the JID is not in that list
Entries = dict[str, tuple[str | None, str | None, str | None]]


def ensure_index(entries: Collection) -> None:
    entries.create_index([("room", ASCENDING)])     # a load reads one room's entries


def _key(room: str, jid: str) -> str:
    return f"{room}/{jid}"


def _str_mapping(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def split(record: RoomRecord) -> tuple[dict[str, object], Entries, list[str]]:
    """The room document without its lists, the entries, and which extra keys were moved
    out (so that a load gives back the same record, empty lists included)."""
    doc = record.to_document()
    extra = doc["extra"]
    moved = [key for key in (NICKS, REASONS) if _str_mapping(extra.get(key))]  # type: ignore[union-attr]
    lists = {None: doc.pop("affiliations"), **{key: extra.pop(key) for key in moved}}  # type: ignore[union-attr]
    entries: Entries = {}
    for jid in set().union(*lists.values()):
        entries[jid] = tuple(lists.get(key, {}).get(jid) for _, key in _FIELDS)  # type: ignore[assignment]
    return doc, entries, moved


def join(doc: Mapping[str, object], entries: Entries) -> RoomRecord:
    """The record of a room document of this layout and its entries."""
    moved = doc.get("moved", [])
    if not isinstance(moved, list) or not set(moved) <= {NICKS, REASONS}:
        raise InvalidRecord(f"document {doc.get('_id')!r}: moved {moved!r} is not a list of lists")
    extra = dict(doc.get("extra", {}))  # type: ignore[call-overload]
    lists: dict[str | None, dict[str, str]] = {None: {}, **{key: {} for key in moved}}
    for jid, values in entries.items():
        for (_, key), value in zip(_FIELDS, values):
            if value is not None and key in lists:
                lists[key][jid] = value
    extra.update({key: lists[key] for key in moved})
    return RoomRecord.from_document({**doc, "affiliations": lists[None], "extra": extra})


def _entry_hash(jid: str, values: tuple) -> int:
    return int.from_bytes(hashlib.blake2b(repr((jid, values)).encode(), digest_size=16).digest(),
                          "big")


def digest(entries: Entries) -> int:
    """Order-independent: a sum of per-entry hashes, so one change updates it in O(1)."""
    return sum(_entry_hash(jid, values) for jid, values in entries.items()) & _MASK


def summary(entries: Entries, total: int) -> dict[str, object]:
    return {"count": len(entries), "digest": f"{total:032x}"}


def delta(old: Entries, new: Entries, old_digest: int) -> tuple[list[str], list[str], int]:
    """JIDs to write, JIDs to delete, and the new digest: O(changes) apart from the
    comparison, which reads memory only."""
    changed = [jid for jid, values in new.items() if old.get(jid) != values]
    dropped = [jid for jid in old if jid not in new]
    total = old_digest
    for jid in changed:
        if jid in old:
            total -= _entry_hash(jid, old[jid])
        total += _entry_hash(jid, new[jid])
    for jid in dropped:
        total -= _entry_hash(jid, old[jid])
    return changed, dropped, total & _MASK


def _entry_doc(jid: str, values: tuple) -> dict[str, object]:
    doc: dict[str, object] = {"j": jid}
    doc.update({name: value for (name, _), value in zip(_FIELDS, values) if value is not None})
    return doc


def pending(entries: Entries, changed: list[str], dropped: list[str], reset: bool) -> dict:
    return {"reset": reset, "set": [_entry_doc(jid, entries[jid]) for jid in changed],
            "drop": dropped}


def apply(entries: Collection, room: str, version: int, delta_doc: Mapping) -> None:
    """Make the entries of `room` what the committed `delta_doc` of `version` says.
    Idempotent: a repeated or concurrent application leaves the same entries."""
    docs = [{"_id": _key(room, e["j"]), "room": room, "jid": e["j"], "g": version,
             **{k: v for k, v in e.items() if k != "j"}} for e in delta_doc.get("set", [])]
    if delta_doc.get("reset"):
        # every entry of the room is rewritten: older generations (and the entries of an
        # earlier room of the same name, whose versions started again at 1) go first
        entries.delete_many({"room": room})
        ops: list = [InsertOne(doc) for doc in docs]
    else:
        ops = [ReplaceOne({"_id": doc["_id"], "g": {"$lt": version}}, doc, upsert=True)
               for doc in docs]
        ops += [DeleteOne({"_id": _key(room, jid), "g": {"$lt": version}})
                for jid in delta_doc.get("drop", [])]
    # in batches: each is one request within the socket timeout, however many entries
    for start in range(0, len(ops), _BATCH):
        try:
            entries.bulk_write(ops[start:start + _BATCH], ordered=False)
        except BulkWriteError as exc:
            # a duplicate key is an entry already at this generation or newer: nothing to do
            if exc.details.get("writeConcernErrors") or any(
                    err.get("code") != _DUPLICATE_KEY for err in exc.details.get("writeErrors", [])):
                raise


def read(entries: Collection, room: str) -> Entries:
    found: Entries = {}
    for doc in entries.find({"room": room}):
        jid = doc.get("jid")
        values = tuple(doc.get(name) for name, _ in _FIELDS)
        if not isinstance(jid, str) or not all(v is None or isinstance(v, str) for v in values):
            raise InvalidRecord(f"entry {room!r}/{jid!r}: expected strings, got {values!r}")
        found[jid] = values  # type: ignore[assignment]
    return found


class EntryCache:
    """The entries each room had at its last load or save, so that the next save writes
    only what differs. Bounded (least recently used rooms go first); a room not here is
    saved with all its entries, which is correct, only larger; 0 rooms keeps nothing (a
    store that only reads). Thread-safe: saves run in worker threads."""

    def __init__(self, rooms: int) -> None:
        self._rooms = max(rooms, 0)
        self._known: OrderedDict[str, tuple[int, Entries, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, jid: str, version: int) -> tuple[Entries, int] | None:
        with self._lock:
            known = self._known.get(jid)
            if known is None or known[0] != version:
                return None
            self._known.move_to_end(jid)
            return known[1], known[2]

    def put(self, jid: str, version: int, entries: Entries, total: int) -> None:
        if not self._rooms:
            return
        with self._lock:
            self._known[jid] = (version, entries, total)
            self._known.move_to_end(jid)
            while len(self._known) > self._rooms:
                self._known.popitem(last=False)

    def forget(self, jid: str) -> None:
        with self._lock:
            self._known.pop(jid, None)
