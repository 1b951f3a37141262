"""Coalesces room calls bound for the same host actor into one Ray call.

Calls made in the same event-loop turn (the stanzas of one socket read, say) to rooms
hashed onto one host leave together as `handle_batch`; a lone call goes as
`handle_many`. Each room still has at most one call in flight (the router's pipe), so
a room's order is kept; the host runs the rooms of a batch side by side."""
from __future__ import annotations

import asyncio
import logging

from actors.placement import HOT_CALL_OPTIONS
from actors.protocol import HostReply

log = logging.getLogger("raymuc.router")


# A host call answered in no time: a host that can't be placed (no node with a
# raymuc_room slot left), a stuck process. Long enough for a cold start, storage
# retries and a registry wait on a loaded cluster.
CALL_TIMEOUT = 30.0


class HostCalls:
    def __init__(self, stats: dict, timeout: float | None = None):
        self.stats = stats
        self.timeout = CALL_TIMEOUT if timeout is None else timeout
        # (host name, id of its handle) -> (handle, [(room_jid, cmds, future)])
        self.pending: dict[tuple[str, int], tuple[object, list]] = {}

    def call(self, name: str, handle, room_jid: str, cmds: list) -> asyncio.Future:
        """A future of the room's HostReply (or the Ray error of the whole call)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        key = (name, id(handle))
        entry = self.pending.get(key)
        if entry is None:
            entry = self.pending[key] = (handle, [])
            loop.call_soon(self._flush, key)
        entry[1].append((room_jid, list(cmds), fut))
        self.stats["stanzas"] += len(cmds)
        return fut

    def _flush(self, key: tuple[str, int]) -> None:
        handle, entries = self.pending.pop(key)
        self.stats["calls"] += 1
        if len(entries) == 1:
            room_jid, cmds, _ = entries[0]
            ref = handle.handle_many.options(**HOT_CALL_OPTIONS).remote(room_jid, cmds)
        else:
            ref = handle.handle_batch.options(**HOT_CALL_OPTIONS).remote(
                [(room_jid, cmds) for room_jid, cmds, _ in entries])
        asyncio.get_running_loop().create_task(
            _settle(ref, [fut for _, _, fut in entries], self.timeout))


async def _settle(ref, futures: list[asyncio.Future], timeout: float) -> None:
    try:
        result = await asyncio.wait_for(_awaited(ref), timeout)
    except asyncio.TimeoutError:
        log.warning("router.call_timeout seconds=%.0f rooms=%d", timeout, len(futures))
        _cancel(ref)
        for fut in futures:
            if not fut.done():
                fut.set_exception(CallTimeout(f"no answer within {timeout:.0f}s"))
        return
    except Exception as exc:   # one host, one fate: every room of the call retries
        for fut in futures:
            if not fut.done():
                fut.set_exception(exc)
        return
    replies: list[HostReply] = [result] if len(futures) == 1 else list(result)
    if len(replies) != len(futures):    # a host of another version: let the rooms retry
        exc = RuntimeError(f"host answered {len(replies)} replies for {len(futures)} rooms")
        for fut in futures:
            if not fut.done():
                fut.set_exception(exc)
        return
    for fut, reply in zip(futures, replies):
        if not fut.done():
            fut.set_result(reply)


class CallTimeout(Exception):
    """A host call got no answer in time; whether it ran is unknown (never retried)."""


async def _awaited(ref):
    return await ref


def _cancel(ref) -> None:
    """Take a call that is still queued (a host not placed yet) off Ray's queue, so it
    can't apply its stanzas long after they were answered."""
    try:
        import ray
        if isinstance(ref, ray.ObjectRef):
            ray.cancel(ref)
    except Exception as exc:
        log.warning("router.cancel_failed error=%s", type(exc).__name__)
