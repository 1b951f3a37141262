"""`raymuc run`: SecantusDB (when embedded), Ray, the gateway; stopped in reverse
order on SIGTERM/SIGINT so nothing of ours is left running."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import tempfile
from pathlib import Path

log = logging.getLogger("raymuc.service")
SESSION_FILE = "ray-session.json"


def ensure_data_dir(path: Path) -> None:
    """Create data_dir for the service's eyes only (0700: it holds the database, the Ray
    session file and the metrics endpoint). An existing one is left as its owner set it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    path.chmod(0o700)       # mkdir's mode is narrowed by the umask, never widened: be exact


def start_storage(config, stack: contextlib.ExitStack) -> str:
    if config.storage.mongo_uri != "embedded":
        return config.storage.mongo_uri
    from persistence.embedded import EmbeddedMongo
    mongo = EmbeddedMongo(Path(config.storage.data_dir) / "mongo")
    mongo.start()
    stack.callback(mongo.stop)
    log.info("storage.embedded_started uri=%s", mongo.uri)
    return mongo.uri


def start_ray(config, stack: contextlib.ExitStack):
    import ray
    from raymuc import raysession
    data_dir = Path(config.storage.data_dir)
    if config.ray.address == "local":
        temp = Path(tempfile.mkdtemp(prefix="rm-", dir="/tmp"))   # short: unix socket paths
        stack.callback(shutil.rmtree, temp, True)                  # runs after the head stopped
        session, head = raysession.start_local_head(temp, namespace=config.ray.namespace)
        stack.callback(raysession.stop_head, head)
        session.to_file(data_dir / SESSION_FILE)
        stack.callback(lambda: (data_dir / SESSION_FILE).unlink(missing_ok=True))
        log.info("ray.started dashboard=%s", session.dashboard_url)
    else:
        session, _ = raysession.attach_or_start(config.ray.address, data_dir)
    from ray.job_config import JobConfig
    raysession.connect(session, namespace=config.ray.namespace,     # named in the dashboard's jobs
                       job_config=JobConfig(metadata={"job_name": "raymuc run"}))
    stack.callback(ray.shutdown)
    return session


def run(config, ready=None) -> int:
    from persistence.store import RoomStore
    from raymuc import wiring
    ensure_data_dir(Path(config.storage.data_dir))
    with contextlib.ExitStack() as stack:
        uri = start_storage(config, stack)
        session = start_ray(config, stack)
        store = RoomStore.from_uri(uri)
        stack.callback(store.close)
        settings = wiring.host_settings(config, uri)
        asyncio.run(_serve(config, settings, store, session, ready))
    log.info("service.stopped")
    return 0


async def _serve(config, settings, store, session, ready) -> None:
    import ray
    from gateway.actor import start_gateway
    from raymuc import wiring
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    spec = dict(domains=config.muc_domains(), host=config.component.host,
                port=config.component.port, secret=config.component.password,
                max_stanza=config.component.max_stanza_size,
                placement=wiring.placement(config), settings=settings,
                mongo_uri=settings.mongo_uri, loglevel=config.general.loglevel,
                workers=config.ray.gateway_workers,
                access=(wiring.access_rules(config), config.muc.access, config.muc.access_admin))
    from actors.conferences import ensure_registry
    registry = asyncio.create_task(asyncio.to_thread(ensure_registry, config.ray.namespace))
    gateway = await asyncio.to_thread(start_gateway, config.ray.namespace, spec)
    # after the gateway: deep hibernation pushes its notices through it
    from actors.supervisor import start_supervisor
    supervised = asyncio.create_task(asyncio.to_thread(start_supervisor,
                                                       wiring.supervisor_settings(config)))
    await registry      # max_user_conferences is counted from the first join on
    supervisor = await _supervisor_ready(supervised, config)
    log.info("service.ready domains=%s dashboard=%s", ",".join(config.muc_domains()),
             getattr(session, "dashboard_url", ""))
    print(f"raymuc ready: serving {', '.join(config.muc_domains())}", flush=True)
    if ready is not None:
        ready()
    from raymuc.startup_rooms import start_in_background
    preload = start_in_background(config, settings, store)   # never delays readiness
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 5)
        except asyncio.TimeoutError:
            await _watch(gateway)
    log.info("service.stopping")
    if preload is not None:
        preload.cancel()
    try:
        await asyncio.wait_for(gateway.stop.remote(), 15)
    except Exception:
        log.exception("service.gateway_stop_failed")
    ray.kill(gateway, no_restart=True)
    if supervisor is not None:
        ray.kill(supervisor, no_restart=True)
        (Path(config.storage.data_dir) / METRICS_FILE).unlink(missing_ok=True)


METRICS_FILE = "metrics-endpoint.json"


async def _supervisor_ready(task, config):
    """The supervisor (actors/supervisor.py) is up; where /metrics is goes to the log
    and to <data_dir>/metrics-endpoint.json (port 0 picks a free port)."""
    import json
    path = Path(config.storage.data_dir) / METRICS_FILE
    try:
        handle, stats = await task
    except Exception:      # rooms work without it: no deep hibernation, no metrics
        log.exception("service.supervisor_failed")
        return None
    path.write_text(json.dumps({"url": stats.get("metrics_url"),
                                "error": stats.get("metrics_error")}) + "\n")
    log.info("service.supervisor_ready metrics=%s", stats.get("metrics_url") or
             stats.get("metrics_error") or "off")
    return handle


async def _watch(gateway) -> None:
    """Ray restarts a crashed gateway actor; reconnect it (idempotent)."""
    try:
        if await asyncio.wait_for(gateway.ensure_started.remote(), 30):
            log.warning("service.gateway_restarted")
    except Exception as exc:
        log.error("service.gateway_unreachable error=%s", exc)
