"""Versioned room storage over pymongo.

Every save names the version it produces; the write only lands if the stored version is
exactly one less (or the room is absent and the version is 1). Two writers racing from
the same base therefore cannot both win, and a stale writer can never overwrite a newer
state: it gets StaleWrite and must reload.

A room's affiliations, registered nicks and reasons are stored one document per JID
beside the room document, and a save writes only those that changed
(persistence/entries.py). Rooms stored with the lists inside their document (before
that) load as they are and are converted by their next save.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from pymongo import ASCENDING, MongoClient
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    WriteConcernError,
    WTimeoutError,
)
from pymongo.uri_parser import parse_uri

from persistence import entries as lists
from persistence.records import RoomRecord

log = logging.getLogger(__name__)

# Errors that mean "the store cannot answer right now", as opposed to a bad request.
_UNAVAILABLE = (ConnectionFailure, ExecutionTimeout, WTimeoutError, WriteConcernError)
# Server error codes of a replica set that is failing over, shutting down or overloaded
# (MongoDB's error_codes.yml: HostUnreachable, HostNotFound, NetworkTimeout,
# WriteConcernFailed, ShutdownInProgress, PrimarySteppedDown, ExceededTimeLimit,
# NotWritablePrimary, InterruptedAtShutdown, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary,
# InterruptedDueToReplStateChange, SocketException, ...). They pass; anything else
# (a bad query, a document too large) is a bug and is raised as it is.
TRANSIENT_CODES = frozenset({6, 7, 50, 64, 89, 91, 189, 262, 9001, 10107, 11600, 11602,
                             13435, 13436})
# a load reads the room document, then its entries: read again while saves land in between
_LOAD_ATTEMPTS = 5


def transient(exc: BaseException) -> bool:
    """True when `exc` says the store cannot answer now, not that the request is wrong."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, OperationFailure):
        return exc.code in TRANSIENT_CODES or exc.has_error_label("RetryableWriteError")
    return False


def _without_pending(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if key != "pending"}


class StaleWrite(Exception):
    """A save or conditional delete lost against a newer (or missing) stored version."""

    def __init__(self, jid: str, attempted: int, stored: int | None) -> None:
        self.jid = jid
        self.attempted = attempted
        self.stored = stored  # as read just after the refusal; None if the room is absent
        super().__init__(
            f"stale write for {jid}: version {attempted} refused, stored version is {stored}"
        )


class StoreUnavailable(Exception):
    """The database could not be reached or timed out; answer service-unavailable.

    A write that raised this may or may not have been applied: reload before retrying.
    """


class StaleMemory(StoreUnavailable):
    """Storage holds a newer state than memory (a stale write): reload, never undo."""


@contextlib.contextmanager
def _available(operation: str, jid: str | None = None) -> Iterator[None]:
    try:
        yield
    except (ConnectionFailure, OperationFailure) as exc:
        if not transient(exc):
            raise
        log.warning("store.unavailable op=%s jid=%s error=%s code=%s", operation, jid,
                    type(exc).__name__, getattr(exc, "code", None))
        raise StoreUnavailable(f"{operation} failed: {exc}") from exc


class RoomStore:
    """Rooms collection access. Thread-safe to the extent MongoClient is (it is)."""

    def __init__(self, client: MongoClient, database: str = "raymuc", collection: str = "rooms",
                 cached_rooms: int = 1000):
        self._client = client
        self._rooms = client[database][collection]
        self._entries = client[database][f"{collection}_entries"]
        # what each room's entries were at its last load or save: a save writes the difference
        self._known = lists.EntryCache(cached_rooms)
        self._indexed = False

    @classmethod
    def from_uri(cls, uri: str, database: str = "raymuc", timeout_ms: int = 5000,
                 cached_rooms: int = 1000) -> RoomStore:
        """Build a store; no network traffic happens until the first operation."""
        options: dict[str, object] = {
            "serverSelectionTimeoutMS": timeout_ms,
            "connectTimeoutMS": timeout_ms,
            "socketTimeoutMS": timeout_ms,
        }
        # Retryable writes are off unless the URI asks: the project's SecantusDB notes report
        # them as slow, and a versioned save that fails already surfaces as StoreUnavailable
        # for the caller to reload and retry.
        given = {key.lower() for key in parse_uri(uri)["options"]}
        if "retrywrites" not in given:
            options["retryWrites"] = False
        if "heartbeatfrequencyms" not in given:
            # After "not primary" the driver waits for its monitor's next check before it
            # selects a server again: 10 s by default, 2 s here, so a save retried after a
            # failover lands within the host's patience (measured: 10.0 s -> 1.0 s).
            options["heartbeatFrequencyMS"] = 2000
        return cls(MongoClient(uri, **options), database=database, cached_rooms=cached_rooms)

    def ensure_indexes(self) -> None:
        # (muc_host, _id) serves both per-service counts and the keyset pages of list_jids.
        with _available("ensure_indexes"):
            self._rooms.create_index([("muc_host", ASCENDING), ("_id", ASCENDING)])
            lists.ensure_index(self._entries)
            self._entries.create_index([("jid", ASCENDING), ("a", ASCENDING)])  # rooms one owns
            # the public room list's pages (persistence/listing.py)
            self._rooms.create_index([("muc_host", ASCENDING), ("config.public", ASCENDING),
                                      ("_id", ASCENDING)])
        self._indexed = True

    @property
    def entries_collection(self):
        """The per-JID entries (persistence/entries.py), for read-only queries (listing.py)."""
        return self._entries

    @property
    def collection(self):
        """The rooms collection, for read-only queries beside this class (listing.py)."""
        return self._rooms

    def load(self, jid: str) -> RoomRecord | None:
        if not self._indexed:
            self.ensure_indexes()
        with _available("load", jid):
            for _ in range(_LOAD_ATTEMPTS):
                doc = self._rooms.find_one({"_id": jid})
                if doc is None:
                    return None
                if "entries" not in doc:    # the lists inside: stored before entries existed
                    self._known.forget(jid)
                    return RoomRecord.from_document(doc)
                if "pending" in doc:        # a save stopped after its commit: finish it
                    log.warning("store.entries_repaired jid=%s version=%s", jid, doc["version"])
                    self._finish(jid, doc["version"], doc["pending"])
                    del doc["pending"]
                found = lists.read(self._entries, jid)
                again = self._rooms.find_one({"_id": jid}, {"version": 1})
                if again is not None and again["version"] == doc["version"]:
                    return self._loaded(doc, found)
        raise StoreUnavailable(f"load of {jid}: it changed under {_LOAD_ATTEMPTS} reads in a row")

    def _loaded(self, doc: dict, found: lists.Entries) -> RoomRecord:
        total = lists.digest(found)
        if doc["entries"] != lists.summary(found, total):
            # not repairable from here: say so, and go on with what is stored
            log.error("store.entries_mismatch jid=%s version=%s stored=%s found=%s", doc["_id"],
                      doc["version"], doc["entries"], lists.summary(found, total))
        record = lists.join(doc, found)
        self._known.put(record.jid, record.version, found, total)
        return record

    def _finish(self, jid: str, version: int, delta: dict) -> None:
        lists.apply(self._entries, jid, version, delta)
        self._rooms.update_one({"_id": jid, "version": version}, {"$unset": {"pending": ""}})

    def save(self, record: RoomRecord) -> None:
        """Store `record` iff it is the direct successor of the stored version."""
        if not self._indexed:
            self.ensure_indexes()
        doc, found, moved = lists.split(record)
        base = self._known.get(record.jid, record.version - 1)
        if base is None:    # unknown or converted from the old layout: write every entry
            total = lists.digest(found)
            changed, dropped = list(found), []
        else:
            changed, dropped, total = lists.delta(base[0], found, base[1])
        doc.update(moved=moved, entries=lists.summary(found, total))
        delta = lists.pending(found, changed, dropped, reset=base is None)
        if changed or dropped or base is None:
            doc["pending"] = delta
        with _available("save", record.jid):
            if self._commit(record, doc):
                if "pending" in doc:
                    self._finish(record.jid, record.version, delta)
                self._known.put(record.jid, record.version, found, total)
                return
            current = self._rooms.find_one({"_id": record.jid})
            if current is not None and _without_pending(current) == _without_pending(doc):
                # This very state is stored: an earlier attempt landed but its answer was
                # lost (a timeout while the server was slow or frozen). Success, not stale:
                # else the caller refuses a change that did take effect. The digest in
                # `entries` tells this state's entries from another writer's.
                if "pending" in current:
                    self._finish(record.jid, record.version, current["pending"])
                self._known.put(record.jid, record.version, found, total)
                return
            stored = None if current is None else current.get("version")
        log.info("store.stale_write jid=%s attempted=%d stored=%s", record.jid, record.version, stored)
        raise StaleWrite(record.jid, record.version, stored)

    def _commit(self, record: RoomRecord, doc: dict) -> bool:
        """The versioned write of the room document; False if another version is stored."""
        if record.version == 1:
            try:
                self._rooms.insert_one(doc)
                return True
            except DuplicateKeyError:
                return False
        result = self._rooms.replace_one({"_id": record.jid, "version": record.version - 1}, doc)
        return result.matched_count == 1

    def delete(self, jid: str, version: int | None = None) -> bool:
        """Delete a room; with `version`, only if that is the stored version. True if deleted."""
        query: dict[str, object] = {"_id": jid}
        if version is not None:
            query["version"] = version
        self._known.forget(jid)
        with _available("delete", jid):
            if self._rooms.delete_one(query).deleted_count != 1:
                return False
        try:
            with _available("delete", jid):
                self._entries.delete_many({"room": jid})
        except StoreUnavailable:
            # the room is gone; its entries are removed by the first save of a room of
            # that name (a save without a known base rewrites them all)
            log.warning("store.entries_left jid=%s", jid)
        return True

    def list_jids(self, muc_host: str | None = None, batch_size: int = 500) -> Iterator[str]:
        """Yield room JIDs in _id order, fetched in pages of `batch_size`.

        Keyset pages (one short query each) rather than one long cursor, so a slow consumer
        (e.g. activating each room at startup) cannot hit the server's idle-cursor timeout.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        base: dict[str, object] = {} if muc_host is None else {"muc_host": muc_host}
        last: str | None = None
        while True:
            query = base if last is None else {**base, "_id": {"$gt": last}}
            with _available("list_jids"):
                page = [
                    doc["_id"]
                    for doc in self._rooms.find(query, {"_id": 1})
                    .sort("_id", ASCENDING)
                    .limit(batch_size)
                ]
            yield from page
            if len(page) < batch_size:
                return
            last = page[-1]

    def count(self, muc_host: str | None = None) -> int:
        query = {} if muc_host is None else {"muc_host": muc_host}
        with _available("count"):
            return self._rooms.count_documents(query)

    def ping(self) -> None:
        """Raise StoreUnavailable unless the server answers."""
        with _available("ping"):
            self._client.admin.command("ping")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RoomStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
