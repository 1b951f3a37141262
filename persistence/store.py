"""Versioned room storage over pymongo.

Every save names the version it produces; the write only lands if the stored version is
exactly one less (or the room is absent and the version is 1). Two writers racing from
the same base therefore cannot both win, and a stale writer can never overwrite a newer
state: it gets StaleWrite and must reload.
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


def transient(exc: BaseException) -> bool:
    """True when `exc` says the store cannot answer now, not that the request is wrong."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, OperationFailure):
        return exc.code in TRANSIENT_CODES or exc.has_error_label("RetryableWriteError")
    return False


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

    def __init__(self, client: MongoClient, database: str = "raymuc", collection: str = "rooms"):
        self._client = client
        self._rooms = client[database][collection]
        self._indexed = False

    @classmethod
    def from_uri(cls, uri: str, database: str = "raymuc", timeout_ms: int = 5000) -> RoomStore:
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
        return cls(MongoClient(uri, **options), database=database)

    def ensure_indexes(self) -> None:
        # (muc_host, _id) serves both per-service counts and the keyset pages of list_jids.
        with _available("ensure_indexes"):
            self._rooms.create_index([("muc_host", ASCENDING), ("_id", ASCENDING)])
            # the public room list's pages (persistence/listing.py)
            self._rooms.create_index([("muc_host", ASCENDING), ("config.public", ASCENDING),
                                      ("_id", ASCENDING)])
        self._indexed = True

    @property
    def collection(self):
        """The rooms collection, for read-only queries beside this class (listing.py)."""
        return self._rooms

    def load(self, jid: str) -> RoomRecord | None:
        with _available("load", jid):
            doc = self._rooms.find_one({"_id": jid})
        return None if doc is None else RoomRecord.from_document(doc)

    def save(self, record: RoomRecord) -> None:
        """Store `record` iff it is the direct successor of the stored version."""
        if not self._indexed:
            self.ensure_indexes()
        doc = record.to_document()
        with _available("save", record.jid):
            if record.version == 1:
                try:
                    self._rooms.insert_one(doc)
                    return
                except DuplicateKeyError:
                    pass
            else:
                result = self._rooms.replace_one(
                    {"_id": record.jid, "version": record.version - 1}, doc
                )
                if result.matched_count == 1:
                    return
            current = self._rooms.find_one({"_id": record.jid})
            if current == doc:
                # This very state is stored: an earlier attempt landed but its answer was
                # lost (a timeout while the server was slow or frozen). Success, not stale:
                # else the caller refuses a change that did take effect.
                return
            stored = None if current is None else current.get("version")
        log.info("store.stale_write jid=%s attempted=%d stored=%s", record.jid, record.version, stored)
        raise StaleWrite(record.jid, record.version, stored)

    def delete(self, jid: str, version: int | None = None) -> bool:
        """Delete a room; with `version`, only if that is the stored version. True if deleted."""
        query: dict[str, object] = {"_id": jid}
        if version is not None:
            query["version"] = version
        with _available("delete", jid):
            return self._rooms.delete_one(query).deleted_count == 1

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
