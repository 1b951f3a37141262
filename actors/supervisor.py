"""The supervisor: one detached, named Ray actor ("raymuc-supervisor") per service
namespace. It holds the live room directory (actors/directory.py), runs the deep
hibernation sweep, and alone exports the mod_muc metrics (actors/metrics.py).

Why one actor does all three: the hosts' reports are the one source for the sweep's
candidates, the gauges and the counters, so the sweep never scans Ray's state API.

Fault contract
- Ray restarts it if its process dies (max_restarts=-1); it comes back empty: the
  hosts' renewals rebuild the directory within directory_renew seconds, and the
  counters start again from 0 (Prometheus rate() treats that as a counter reset).
- Created with get_if_exists under its name: a second driver gets the same actor, two
  can't exist in one namespace.
- A synchronous, single-threaded actor: one host's reports are applied in the order
  it sent them. The sweep and the gauge probe are threads of their own; a host call in
  the sweep never blocks reports.
- The sweep: every hibernated_room_check_interval ms, the candidates' hosts are called
  at once, each call with its own timeout (call_timeout); a room that fails or times
  out is logged and skipped, the others go on. A room whose host is gone is dropped
  from the directory.
- Reports are fire-and-forget: a lost one changes a count, never a room."""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from actors.directory import Directory, EventKind, RoomInfo
from actors.live_rooms import LiveRooms, cluster_cap
from actors.names import SUPERVISOR_NAME
from actors.placement import Placement
from actors.restarts import restarted_by_ray
from actors.rooms_file import LIMIT, RoomsFile

log = logging.getLogger("raymuc.supervisor")

SUPERVISOR_OPTIONS = dict(
    num_cpus=0,            # bookkeeping only; never takes a CPU slot from rooms
    lifetime="detached",   # outlives the driver's connection hiccups, like the rooms
    max_restarts=-1,       # restarted empty; hosts' renewals rebuild the directory
    max_task_retries=0,    # a report is applied once; callers never wait on it
    max_concurrency=1,     # one call at a time: reports keep their order
)


@dataclass(frozen=True)
class SupervisorSettings:
    namespace: str = "raymuc"
    placement: Placement = Placement()
    host_types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    check_interval: float | None = None          # seconds; None: no sweep ("infinity")
    hibernated_room_timeout: float | None = None  # seconds; None: never deep-hibernate
    probe_interval: float = 15.0                  # seconds between gauge updates
    prometheus: tuple[str, int] | None = None     # (host, port) of /metrics; None: not served
    lease: float = 95.0                           # > 3 x the hosts' directory_renew
    call_timeout: float = 10.0                    # per host call in a sweep
    max_per_sweep: int = 256                      # rooms stopped per sweep at most
    live_rooms_per_node: int = 0                  # [ray] max_live_rooms_per_node; 0: from memory

    def host_type(self, domain: str) -> str:
        return self.host_types.get(domain.lower(), domain.lower())


_COUNTED = {EventKind.RECREATED: "mod_muc_process_recreations_count",
            EventKind.HIBERNATED: "mod_muc_hibernations_count",
            EventKind.DEEP_HIBERNATED: "mod_muc_deep_hibernations_count"}


class Supervisor:
    def __init__(self, settings: SupervisorSettings):
        from actors.metrics import MucMetrics
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        self.settings = settings
        self.lock = threading.Lock()
        self.directory = Directory(settings.lease)
        self.metrics = MucMetrics(set(settings.host_types.values()), settings.prometheus)
        self.rooms_file = RoomsFile(_ray_log_folder())
        self.handles: dict[str, object] = {}
        self.inflight: dict[object, tuple] = {}    # deep_hibernate call -> (room, holder, host)
        self.sweep_stats = {"sweeps": 0, "called": 0, "deep_hibernated": 0, "refused": 0,
                            "failed": 0, "timed_out": 0, "last_sweep_seconds": 0.0}
        self.started = time.time()
        self.restarted = restarted_by_ray()
        self.live = LiveRooms(self._live_cap() or 1)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._every, args=(settings.probe_interval,
                                                                     self.probe), daemon=True,
                                          name="probe")]
        if settings.check_interval is not None and settings.hibernated_room_timeout is not None:
            self._threads.append(threading.Thread(
                target=self._every, args=(settings.check_interval, self.sweep), daemon=True,
                name="sweep"))
        for t in self._threads:
            t.start()
        log.info("supervisor.started namespace=%s sweep_every=%s deep_after=%s metrics=%s "
                 "restarted=%s live_cap=%d", settings.namespace, settings.check_interval,
                 settings.hibernated_room_timeout, self.metrics.url or self.metrics.error,
                 self.restarted, self.live.cap)

    # reports from room hosts (fire-and-forget) --------------------------------------
    def report(self, holder, events) -> None:
        with self.lock:
            self.directory.apply(holder, events)
        for ev in events:
            name = _COUNTED.get(ev.kind)
            if name is not None:
                self.metrics.count(name, self.settings.host_type(ev.jid.partition("@")[2]))

    def renew(self, holder, infos) -> None:
        with self.lock:
            self.directory.renew(holder, infos)

    def reset(self, host_name: str, incarnation: str) -> int:
        with self.lock:
            lost = self.directory.reset(host_name, incarnation)
        log.info("directory.host_restarted host=%s rooms_dropped=%d", host_name, len(lost))
        self._tell_lost(lost)
        if lost and not any(r.persistent for r in lost) and not self.settings.placement.dense:
            # only temporary rooms were there: nobody comes back to this host (told "gone"),
            # so its process ends instead of idling (it refuses if a stanza came in)
            handle = self._host(host_name)
            if handle is not None:
                self.handles.pop(host_name, None)
                handle.retire.remote()
        return len(lost)

    def _tell_lost(self, rooms) -> None:
        """Rooms whose host crashed or vanished lost their occupants: each occupant session
        is told through the gateway. A persistent room comes back from storage: an
        unavailable presence with 332, so that clients rejoin instead of talking into a
        room that no longer knows them. A temporary room is gone: a destroy notice.
        Fire-and-forget: a lost notice leaves that client as it was before this existed."""
        from actors.core.replies import lost_state, room_gone
        from actors.placement import find_gateway
        rooms = [r for r in rooms if r.sessions]
        if not rooms:
            return
        try:
            gateway = find_gateway(self.settings.namespace)
            for room in rooms:
                told = lost_state if room.persistent else room_gone
                gateway.emit.remote(room.jid, told(room.sessions))
        except Exception as exc:
            log.warning("directory.lost_notice_failed rooms=%d error=%s", len(rooms), exc)
            return
        log.warning("directory.occupants_told rooms=%d sessions=%d gone=%d", len(rooms),
                    sum(len(r.sessions) for r in rooms), sum(not r.persistent for r in rooms))

    # admission (gateway/admission.py) --------------------------------------------
    def admit_start(self, room_jid: str) -> bool:
        """May a room that is not running start now (the live-room cap)?"""
        with self.lock:
            rooms = self.directory.rooms
            return self.live.admit(room_jid, rooms, len(rooms))

    def _live_cap(self) -> int | None:
        """The cap over the cluster's alive nodes now; None when Ray can't say."""
        try:
            import ray
            memories = [n.get("Resources", {}).get("memory", 0.0)
                        for n in ray.nodes() if n.get("Alive")]
        except Exception as exc:      # keep the last cap
            log.warning("supervisor.live_cap_unknown error=%r", exc)
            return None
        return cluster_cap(memories, self.settings.live_rooms_per_node,
                           self.settings.placement.dense) or None

    # queries ---------------------------------------------------------------------
    def list_rooms(self, domain: str | None = None) -> list[RoomInfo]:
        """The live rooms of a MUC domain (all when None), sorted by JID."""
        with self.lock:
            return self.directory.list_rooms(domain)

    def stats(self) -> dict:
        with self.lock:
            rooms = self.directory.list_rooms()
        from actors.placement import here
        return {"metrics_url": self.metrics.url, "node_id": here(), "pid": os.getpid(),
                "metrics_error": self.metrics.error,
                "rooms_online": len(rooms), "rooms_hibernated": sum(r.hibernated for r in rooms),
                "restarted": self.restarted, "started": self.started,
                "live_cap": self.live.cap, "live_pending": len(self.live.pending),
                "sweep": dict(self.sweep_stats), "metrics": self.metrics.snapshot(),
                "settings": {"check_interval": self.settings.check_interval,
                             "hibernated_room_timeout": self.settings.hibernated_room_timeout,
                             "probe_interval": self.settings.probe_interval}}

    def leases(self) -> list:
        """The hosts the directory holds a lease for: (name, incarnation, node) each."""
        with self.lock:
            return sorted(self.directory.expiry)

    def ping(self) -> bool:
        return True

    # periodic work (own threads) --------------------------------------------------
    def _every(self, seconds: float, work) -> None:
        seconds = max(seconds, 0.01)      # an interval of 0 must not spin
        while not self._stop.wait(seconds):
            try:
                work()
            except Exception:     # a bad round must not end the loop
                log.exception("supervisor.round_failed work=%s", work.__name__)

    def probe(self) -> None:
        """The gauges, every probe_interval (and expired host leases, the rooms file)."""
        with self.lock:
            gone = self.directory.expire()
            counts = self.directory.gauges(self.settings.host_type)
            rows, total = self.directory.changed_since(LIMIT), len(self.directory.rooms)
        self.rooms_file.update(rows, total)
        for holder, rooms in gone.items():
            log.warning("directory.lease_expired host=%s rooms=%d", holder[0], len(rooms))
            self._tell_lost(rooms)
        self.metrics.set_rooms(counts)
        cap = self._live_cap()        # nodes come and go
        if cap is not None and cap != self.live.cap:
            log.info("supervisor.live_cap rooms=%d was=%d", cap, self.live.cap)
            self.live.cap = cap

    def sweep(self) -> None:
        """Deep-hibernate the rooms hibernated for longer than hibernated_room_timeout."""
        import ray
        began = time.monotonic()
        self._settle_finished(timeout=0)          # calls a slow host answered meanwhile
        with self.lock:
            self.directory.busy = {jid for jid, _h, _x in self.inflight.values()}
            found = self.directory.candidates(self.settings.hibernated_room_timeout)
        called = 0
        for jid, holder in found[: self.settings.max_per_sweep]:
            handle = self._host(holder[0])
            if handle is None:                    # its host is gone: so is the room
                with self.lock:
                    self.directory.forget(jid, holder)
                continue
            self.inflight[handle.deep_hibernate.remote(jid)] = (jid, holder, handle)
            called += 1
        late = self._settle_finished(timeout=self.settings.call_timeout, deadline=began)
        for jid in late:                          # still in flight: not called again meanwhile
            self.sweep_stats["timed_out"] += 1
            log.warning("sweep.timeout room=%s after=%ss", jid, self.settings.call_timeout)
        self.sweep_stats["sweeps"] += 1
        self.sweep_stats["called"] += called
        self.sweep_stats["last_sweep_seconds"] = round(time.monotonic() - began, 4)

    def _settle_finished(self, timeout: float, deadline: float | None = None) -> list[str]:
        """Settle the calls that finished (waiting up to `timeout`); the rooms still waiting."""
        import ray
        if not self.inflight:
            return []
        if deadline is not None:
            timeout = max(0.0, deadline + timeout - time.monotonic())
        ready, _ = ray.wait(list(self.inflight), num_returns=len(self.inflight), timeout=timeout)
        for ref in ready:
            self._settle(ref, *self.inflight.pop(ref))
        return [jid for jid, _h, _x in self.inflight.values()] if deadline is not None else []

    def _settle(self, ref, jid: str, holder, handle) -> None:
        import ray
        try:
            result = ray.get(ref)
        except Exception as exc:
            self.sweep_stats["failed"] += 1
            self.handles.pop(holder[0], None)
            log.warning("sweep.failed room=%s error=%s", jid, type(exc).__name__)
            if _actor_gone(exc):
                with self.lock:
                    self.directory.forget(jid, holder)
            return
        if result.get("done"):
            self.sweep_stats["deep_hibernated"] += 1
            with self.lock:
                self.directory.forget(jid, holder)
        else:
            self.sweep_stats["refused"] += 1
            log.info("sweep.kept room=%s reason=%s", jid, result.get("reason"))
        if result.get("host_empty") and not self.settings.placement.dense:
            self.handles.pop(holder[0], None)
            handle.retire.remote()      # the process ends; it refuses if a stanza came in

    def _host(self, name: str):
        handle = self.handles.get(name)
        if handle is None:
            from actors.placement import find_host
            handle = find_host(self.settings.placement, name)
            if handle is not None:
                self.handles[name] = handle
        return handle


def _ray_log_folder():
    """This node's Ray log folder (the dashboard's Logs tab); None outside Ray. Ray has no
    public call for it: the node object is private, hence the broad fallback."""
    try:
        import ray
        from pathlib import Path
        return Path(ray._private.worker._global_node.get_logs_dir_path())
    except Exception:
        return None


def _actor_gone(exc: Exception) -> bool:
    from ray.exceptions import ActorDiedError
    return isinstance(exc, ActorDiedError)


# Ray plumbing ---------------------------------------------------------------------------

def get_or_create_supervisor(settings: SupervisorSettings):
    import ray
    from actors.placement import control_options
    return ray.remote(Supervisor).options(
        name=SUPERVISOR_NAME, namespace=settings.namespace, get_if_exists=True,
        **control_options(), **SUPERVISOR_OPTIONS).remote(settings)


def find_supervisor(namespace: str):
    import ray
    try:
        return ray.get_actor(SUPERVISOR_NAME, namespace=namespace)
    except ValueError:
        return None


def start_supervisor(settings: SupervisorSettings, timeout: float = 60.0):
    """Create (or find) the supervisor and wait until it answers; returns (handle, stats)."""
    import ray
    handle = get_or_create_supervisor(settings)
    return handle, ray.get(handle.stats.remote(), timeout=timeout)


def operate(placement: Placement, room_jid: str, op: str, timeout: float = 30.0) -> dict:
    """`raymuc hibernate` (op "hibernate": deep-hibernate now, whatever the idle time)
    and `raymuc stop-room` (op "stop"): call the room's host, then retire the host
    when it holds no room any more (rooms_per_actor = 1), so its process ends."""
    import ray
    from actors.placement import find_host
    name = placement.actor_name(room_jid)
    handle = find_host(placement, name)
    if handle is None:
        return {"done": False, "reason": f"not running (no actor {name!r})"}
    call = handle.deep_hibernate.remote(room_jid, True) if op == "hibernate" \
        else handle.stop_room.remote(room_jid)
    result = ray.get(call, timeout=timeout)
    if result.get("done") and result.get("host_empty") and not placement.dense:
        try:
            result["retired"] = bool(ray.get(handle.retire.remote(), timeout=timeout))
        except Exception:        # exit_actor ends the call with the process: it is gone
            result["retired"] = find_host(placement, name) is None
    return {"actor": name, **result}
