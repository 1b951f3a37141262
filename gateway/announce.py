"""A message from a service administrator to the MUC service's own JID is broadcast
to every online room of that MUC domain (MongooseIM mod_muc broadcast_service_message):
each room sends it to its occupants from the room's bare JID (actors/core/announce.py).

Online rooms come from the live room directory: the supervisor's (actors/supervisor.py
list_rooms, hibernated rooms included, as MongooseIM's online rooms are) when it runs;
otherwise Ray's registry of named actors, which spans the whole cluster too: with one
room per actor the actor names are the room JIDs, with dense placement each room host
is asked which rooms it holds. Rooms that are stored but not running (never woken,
deep-hibernated) are not woken for it, as in MongooseIM; the router delivers each
announcement in the room's own stanza order."""
from __future__ import annotations

import asyncio
import logging

from actors import placement as pl
from actors.core.commands import ServiceAnnouncement

log = logging.getLogger("raymuc.announce")
_ASK_TIMEOUT = 10.0


async def broadcast(router, placement: pl.Placement, domain: str, sender: str, body: str,
                    msg_id: str | None = None) -> int:
    """Submit the announcement to every online room of `domain`; returns how many."""
    rooms = await online_rooms(placement, domain)
    announcement = ServiceAnnouncement(sender, body, msg_id)
    for room_jid in rooms:
        router.submit(room_jid, announcement)
    log.info("service.announcement domain=%s sender=%s rooms=%d", domain, sender, len(rooms))
    return len(rooms)


async def online_rooms(placement: pl.Placement, domain: str) -> list[str]:
    listed = await _from_supervisor(placement.namespace, domain)
    if listed is not None:
        return listed
    names = await asyncio.to_thread(_actor_names, placement.namespace)
    suffix = "@" + domain.lower()
    if not placement.dense:
        return sorted(n for n in names if n.lower().endswith(suffix))
    hosts = [n for n in names if n.startswith("room-host-")]
    found: set[str] = set()
    for jids in await asyncio.gather(*(_rooms_of(placement, n) for n in hosts)):
        found.update(j for j in jids if j.lower().endswith(suffix))
    return sorted(found)


async def _from_supervisor(namespace: str, domain: str) -> list[str] | None:
    """The supervisor's directory, or None when there is no supervisor to ask."""
    try:
        from actors.supervisor import find_supervisor
    except ImportError:
        return None
    handle = await asyncio.to_thread(find_supervisor, namespace)
    if handle is None:
        return None
    try:
        infos = await asyncio.wait_for(_awaitable(handle.list_rooms.remote(domain)), _ASK_TIMEOUT)
    except Exception as exc:   # restarting: fall back to Ray's own names
        log.warning("service.announcement_directory_unreachable error=%s", type(exc).__name__)
        return None
    return sorted(info.jid for info in infos)


def _actor_names(namespace: str) -> list[str]:
    import ray
    return [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
            if a["namespace"] == namespace]


async def _rooms_of(placement: pl.Placement, name: str) -> list[str]:
    handle = await asyncio.to_thread(pl.find_host, placement, name)
    if handle is None:
        return []
    try:
        return await asyncio.wait_for(_awaitable(handle.room_jids.remote()), _ASK_TIMEOUT)
    except Exception as exc:   # a host restarting: its rooms lost their occupants anyway
        log.warning("service.announcement_host_unreachable host=%s error=%s", name,
                    type(exc).__name__)
        return []


async def _awaitable(ref):
    return await ref
