"""Pages of the stored room list (the service's disco#items), read by index, never whole.

Every read is one query on the index `(muc_host, config.public, _id)` (created by
RoomStore.ensure_indexes) with a keyset bound on `_id`, a sort on `_id` and a limit, so
its cost follows the page, not the number of stored rooms (on MongoDB; SecantusDB
fetches every index entry in the range before it sorts, see bench/disco_load.py).
Only `config.public` and `config.title` leave the server, except for `owned_hidden`.
"""
from __future__ import annotations

from dataclasses import dataclass

from pymongo import ASCENDING, DESCENDING

from persistence.store import RoomStore, _available

# A room saved before `public` was a stored field counts as public (the field's default).
_PUBLIC = {"$in": [True, None]}
_FIELDS = {"config.public": 1, "config.title": 1}
# Hidden rooms one owner sees beyond the public list: a bound, not a page (owners
# rarely hold many hidden rooms; the rest are left out and logged by the caller).
MAX_OWNED_HIDDEN = 200


@dataclass(frozen=True, slots=True)
class Listed:
    jid: str
    title: str
    public: bool


class RoomListing:
    """Read-only listing queries beside RoomStore (same collection and error mapping)."""

    def __init__(self, store: RoomStore) -> None:
        self._store = store
        self._indexed = False

    def _rooms(self):
        if not self._indexed:       # a gateway may list before any room was ever saved
            self._store.ensure_indexes()
            self._indexed = True
        return self._store.collection

    def page(self, muc_host: str, everyone: bool, limit: int, after: str | None = None,
             before: str | None = None) -> list[Listed]:
        """Up to `limit` rooms in JID order right after `after`, or right before `before`
        ("" for the end of the list); public ones only unless `everyone`."""
        query = _base(muc_host, everyone)
        backwards = before is not None
        if after is not None:
            query["_id"] = {"$gt": after}
        elif before:
            query["_id"] = {"$lt": before}
        if limit <= 0:
            return []
        with _available("list_page"):
            docs = list(self._rooms().find(query, _FIELDS)
                        .sort("_id", DESCENDING if backwards else ASCENDING).limit(limit))
        rooms = [_listed(doc) for doc in docs]
        return rooms[::-1] if backwards else rooms

    def count(self, muc_host: str, everyone: bool, below: str | None = None) -> int:
        """How many rooms the list holds (with `below`: how many sort before it)."""
        query = _base(muc_host, everyone)
        if below is not None:
            query["_id"] = {"$lt": below}
        with _available("list_count"):
            return self._rooms().count_documents(query)

    def stored(self, muc_host: str, jids: list[str]) -> dict[str, Listed]:
        """The stored state of these rooms (a point lookup each on the same index)."""
        if not jids:
            return {}
        with _available("list_stored"):
            docs = self._rooms().find({"muc_host": muc_host, "_id": {"$in": sorted(jids)}},
                                      _FIELDS)
            return {doc["_id"]: _listed(doc) for doc in docs}

    def owned_hidden(self, muc_host: str, owner: str) -> list[Listed]:
        """Hidden rooms `owner` (a bare JID) owns, in JID order, at most MAX_OWNED_HIDDEN.
        Ownership is one entry document per (room, JID) (persistence/entries.py, indexed
        on jid); a room still stored with its lists inside its document is matched there
        by the server (JIDs hold dots, so no field path can name them)."""
        self._rooms()                       # the indexes exist
        with _available("list_owned"):
            owned = [doc["room"] for doc in self._store.entries_collection
                     .find({"jid": owner, "a": "owner"}, {"room": 1})
                     .sort("room", ASCENDING).limit(10 * MAX_OWNED_HIDDEN)]
            found = list(self._rooms().find(
                {"muc_host": muc_host, "config.public": False, "_id": {"$in": owned}}, _FIELDS)
                .sort("_id", ASCENDING).limit(MAX_OWNED_HIDDEN)) if owned else []
            legacy = {"muc_host": muc_host, "config.public": False,
                      "affiliations": {"$exists": True},
                      "$expr": {"$eq": [{"$getField": {"field": {"$literal": owner},
                                                       "input": "$affiliations"}}, "owner"]}}
            found += self._rooms().find(legacy, _FIELDS).sort("_id", ASCENDING) \
                .limit(MAX_OWNED_HIDDEN)
        rooms = sorted({doc["_id"]: _listed(doc) for doc in found}.values(), key=lambda r: r.jid)
        return rooms[:MAX_OWNED_HIDDEN]


def _base(muc_host: str, everyone: bool) -> dict[str, object]:
    return {"muc_host": muc_host} if everyone else {"muc_host": muc_host, "config.public": _PUBLIC}


def _listed(doc) -> Listed:
    config = doc.get("config") or {}
    return Listed(doc["_id"], str(config.get("title") or ""), config.get("public") is not False)
