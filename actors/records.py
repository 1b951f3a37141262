"""Mapping between the core's RoomSnapshot and the store's RoomRecord."""
from __future__ import annotations

from actors.core.state import RoomSnapshot
from persistence.records import RoomRecord


def to_record(snap: RoomSnapshot) -> RoomRecord:
    return RoomRecord(snap.jid, snap.version, dict(snap.config), dict(snap.affiliations),
                      snap.subject, snap.subject_author, dict(snap.extra))


def to_snapshot(rec: RoomRecord) -> RoomSnapshot:
    return RoomSnapshot(rec.jid, rec.version, rec.config, rec.affiliations,
                        rec.subject, rec.subject_author, rec.extra)
