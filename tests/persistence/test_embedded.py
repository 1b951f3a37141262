"""EmbeddedMongo: a real secantusd child — restart durability, reaping, discovery, failures."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from persistence.embedded import EmbeddedMongo, EmbeddedMongoError
from persistence.records import RoomRecord
from persistence.store import RoomStore
from tests.persistence.conftest import secantus_alive

ROOM = RoomRecord(
    jid="coven@chat.shakespeare.lit",
    version=2,
    config={"muc#roomconfig_persistentroom": True},
    affiliations={"crone1@shakespeare.lit": "owner"},
    subject="Fire Burn",
)


def save_from_scratch(store: RoomStore, record: RoomRecord) -> None:
    for version in range(1, record.version + 1):
        store.save(replace(record, version=version))


def test_data_survives_a_restart_on_the_same_data_dir(private_data_dir: Path) -> None:
    with EmbeddedMongo(private_data_dir) as first:
        with RoomStore.from_uri(first.uri) as store:
            save_from_scratch(store, ROOM)
    assert not first.running
    with EmbeddedMongo(private_data_dir) as second:
        with RoomStore.from_uri(second.uri) as store:
            assert store.load(ROOM.jid) == ROOM
            assert list(store.list_jids()) == [ROOM.jid]


def test_stop_reaps_the_process_and_is_idempotent(private_data_dir: Path) -> None:
    mongo = EmbeddedMongo(private_data_dir).start()
    pid = mongo.pid
    assert pid is not None and secantus_alive(pid)
    mongo.stop()
    assert not secantus_alive(pid)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left behind
    mongo.stop()
    assert mongo.pid is None and mongo.port is None
    with pytest.raises(EmbeddedMongoError, match="not running"):
        mongo.uri


def test_running_instance_is_discoverable_and_exclusive(private_data_dir: Path) -> None:
    assert EmbeddedMongo.read_running(private_data_dir) is None
    with EmbeddedMongo(private_data_dir) as mongo:
        assert EmbeddedMongo.read_running(private_data_dir) == mongo.uri
        assert mongo.start() is mongo  # starting a running instance is a no-op
        with pytest.raises(EmbeddedMongoError, match="another SecantusDB already serves"):
            EmbeddedMongo(private_data_dir).start()
    assert EmbeddedMongo.read_running(private_data_dir) is None
    assert not (private_data_dir / "secantus.json").exists()


def test_stale_state_file_is_ignored(private_data_dir: Path) -> None:
    # A PID that is surely not secantusd (our own) and a dead port: as left by a crash.
    (private_data_dir / "secantus.json").write_text(f'{{"pid": {os.getpid()}, "port": 1}}')
    assert EmbeddedMongo.read_running(private_data_dir) is None
    (private_data_dir / "secantus.json").write_text("not json")
    assert EmbeddedMongo.read_running(private_data_dir) is None


def test_failed_start_reports_the_log_tail(private_data_dir: Path) -> None:
    mongo = EmbeddedMongo(private_data_dir, cache_size="lots")
    with pytest.raises(EmbeddedMongoError, match=r"exited with code \d+ during startup(.|\n)*cache_size"):
        mongo.start()
    assert not mongo.running and mongo.pid is None


def test_missing_executable_is_a_clear_error(
    private_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend this interpreter lives where no secantusd-py is, with nothing on PATH.
    monkeypatch.setattr(sys, "executable", str(private_data_dir / "python"))
    monkeypatch.setenv("PATH", str(private_data_dir))
    with pytest.raises(EmbeddedMongoError, match="secantusd-py not found"):
        EmbeddedMongo(private_data_dir).start()


def test_child_dies_when_its_parent_is_killed(private_data_dir: Path) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from persistence.embedded import EmbeddedMongo
                mongo = EmbeddedMongo(Path({str(private_data_dir)!r})).start()
                print(mongo.pid, flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        pid = int(parent.stdout.readline())
        assert secantus_alive(pid)
    finally:
        parent.send_signal(signal.SIGKILL)  # no atexit, no cleanup: only the kernel can help
        parent.wait()
        parent.stdout.close()
    deadline = time.monotonic() + 30
    while secantus_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not secantus_alive(pid)


def test_start_retries_when_its_port_is_taken_first(
    private_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Losing the race for a just-freed port cannot be caused on demand, so hand out a
    # port that is really in use on the first try and a free one after.
    import persistence.embedded as embedded

    real_free_port = embedded._free_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        monkeypatch.setattr(embedded, "_free_port", lambda: next(ports, None) or real_free_port())
        with EmbeddedMongo(private_data_dir) as mongo:
            assert mongo.port != taken
            assert "Address already in use" in mongo.log_file.read_text()
            with RoomStore.from_uri(mongo.uri) as store:
                store.ping()
