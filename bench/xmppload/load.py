"""Open-loop groupchat load: a fixed total message rate spread over rooms, whatever the
system's latency (a closed loop would hide overload by slowing the senders down)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Callable

from bench.xmppload.client import LeanClient
from bench.xmppload.marker import body_text
from bench.xmppload.metrics import FanoutRecorder

MIN_SLEEP = 0.001     # at high rates messages go out in bursts of ~1 ms worth
MAX_SLEEP = 0.05      # wake up at least this often to open/close the window on time


@dataclass
class RoomLoad:
    jid: str
    members: list[LeanClient]     # every occupant; senders are taken in turn

    @property
    def occupants(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class LoadOutcome:
    rate: float                  # offered messages/s
    window_s: float              # measured window (after warm-up)
    sent_in_window: int
    expected_in_window: int      # deliveries the window's messages should cause
    received_of_window: int      # deliveries of those messages received (after draining)
    window_deliveries: int       # deliveries received during the window, whatever their message
    max_send_lag_ms: float       # how far the sender fell behind its schedule (generator health)
    drained: bool


async def run_load(rooms: list[RoomLoad], rate: float, warmup: float, duration: float,
                   recorder: FanoutRecorder, *, padding: str = "", drain: float = 5.0,
                   on_window: Callable[[str], None] | None = None) -> LoadOutcome:
    """Send `rate` groupchats/s over `rooms` for warmup + duration seconds; measure the
    window after the warm-up. `on_window("start"/"stop")` frames e.g. CPU sampling."""
    for room in rooms:
        for client in room.members:
            client.on_marker = recorder.record
    turn = [0] * len(rooms)
    sent = sent_window = expected = 0
    max_lag = 0.0
    began = time.monotonic()
    in_window = False
    window_began = window_ended = began
    end = warmup + duration
    while True:
        elapsed = time.monotonic() - began
        if not in_window and elapsed >= warmup:
            in_window = True
            window_began = time.monotonic()
            recorder.send_from_ns = time.monotonic_ns()
            recorder.counting = True
            if on_window:
                on_window("start")
        if elapsed >= end:
            break
        due = int(elapsed * rate) + 1
        if due - sent > 1:
            max_lag = max(max_lag, (due - sent - 1) / rate)
        while sent < due:
            r = sent % len(rooms)
            room = rooms[r]
            sender = room.members[turn[r] % len(room.members)]
            turn[r] += 1
            now_ns = time.monotonic_ns()
            sender.groupchat(room.jid, body_text(sent, now_ns, padding), f"m{sent}")
            if in_window:
                sent_window += 1
                expected += room.occupants
            sent += 1
        # Sleep until the next message is due: no idle polling to inflate the generator's CPU.
        await asyncio.sleep(min(MAX_SLEEP, max(MIN_SLEEP, sent / rate - (time.monotonic() - began))))
    recorder.send_to_ns = time.monotonic_ns()
    recorder.counting = False
    window_ended = time.monotonic()
    if on_window:
        on_window("stop")
    deadline = time.monotonic() + drain
    while len(recorder.latencies) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return LoadOutcome(rate=rate, window_s=round(window_ended - window_began, 3), sent_in_window=sent_window,
                       expected_in_window=expected, received_of_window=len(recorder.latencies),
                       window_deliveries=recorder.window_count, max_send_lag_ms=round(max_lag * 1e3, 1),
                       drained=len(recorder.latencies) >= expected)
