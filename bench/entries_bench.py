"""Bytes and time of one affiliation change, and time to load, for a room with many
affiliations, against an embedded SecantusDB (not a test).

    PYTHONPATH=. .venv/bin/python bench/entries_bench.py [entries] [changes]

Run it with PYTHONPATH at another checkout (e.g. main before persistence/entries.py) to
compare: it only uses RoomStore's save and load. Bytes are the BSON size of the write
commands the driver sends (insert, update, delete), as seen by pymongo's command
monitoring.
"""
from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import bson
from pymongo import MongoClient, monitoring

from persistence.embedded import EmbeddedMongo
from persistence.records import RoomRecord
from persistence.store import RoomStore

ROOM = "bench@chat.example.org"


class WrittenBytes(monitoring.CommandListener):
    def __init__(self) -> None:
        self.total = 0

    def started(self, event) -> None:
        if event.command_name in ("insert", "update", "delete"):
            self.total += len(bson.encode(event.command))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


def room(entries: int) -> RoomRecord:
    affiliations = {f"user{i:06}@example.org": "member" for i in range(entries)}
    affiliations["owner@example.org"] = "owner"
    nicks = {jid: f"nick{i}" for i, jid in enumerate(list(affiliations)[: entries // 2])}
    return RoomRecord(ROOM, 1, {"persistentroom": True, "title": "Bench"}, affiliations,
                      extra={"nicks": nicks, "affiliation_reasons": {}, "secret": "s" * 36})


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    changes = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    data_dir = Path(tempfile.mkdtemp(prefix="rmbench"))
    mongo = EmbeddedMongo(data_dir)
    mongo.start()
    meter = WrittenBytes()
    store = RoomStore(MongoClient(mongo.uri, event_listeners=[meter]), database="bench")
    try:
        record = room(entries)
        start = time.perf_counter()
        store.save(record)
        first_save = time.perf_counter() - start
        record = store.load(ROOM)   # what a host does before its first change
        sizes, times = [], []
        for i in range(changes):
            jid = f"new{i}@example.org"
            record = replace(record, version=record.version + 1,
                             affiliations={**record.affiliations, jid: "member"})
            meter.total = 0
            start = time.perf_counter()
            store.save(record)
            times.append(time.perf_counter() - start)
            sizes.append(meter.total)
        loads = []
        for _ in range(3):
            with RoomStore.from_uri(mongo.uri, database="bench") as fresh:
                start = time.perf_counter()
                loaded = fresh.load(ROOM)
                loads.append(time.perf_counter() - start)
            assert loaded == record
        print(json.dumps({
            "entries": len(record.affiliations), "store": sys.modules[RoomStore.__module__].__file__,
            "first_save_s": round(first_save, 3),
            "bytes_per_change_median": statistics.median(sizes),
            "save_s_per_change_median": round(statistics.median(times), 4),
            "load_s_best": round(min(loads), 3), "load_s_all": [round(x, 3) for x in loads],
        }))
    finally:
        store.close()
        mongo.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
