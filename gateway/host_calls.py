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


class HostCalls:
    def __init__(self, stats: dict):
        self.stats = stats
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
        asyncio.get_running_loop().create_task(_settle(ref, [fut for _, _, fut in entries]))


async def _settle(ref, futures: list[asyncio.Future]) -> None:
    try:
        result = await ref
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
