"""Micro-benchmark of the outbound stanza layer (not a test).

Renders a typical groupchat reflection (body, XHTML-IM, stanza-id, occupant-id)
to 200 occupants through Renderer.deliver() (one template, one concatenation per
recipient) and through render() per recipient, and prints microseconds per stanza.

    .venv/bin/python bench/render_bench.py [recipients] [rounds]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from actors.core.effects import Deliver, MessageOut, PresenceOut, Item  # noqa: E402
from gateway.render import render  # noqa: E402
from gateway.renderer import Renderer  # noqa: E402

ROOM = "coven@chat.shakespeare.lit"


def best_of(fn, rounds: int) -> float:
    """Best wall time of `rounds` runs: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    to = tuple(f"user{i}@shakespeare.lit/res{i}" for i in range(recipients))
    msg = MessageOut("thirdwitch", "groupchat", "lh2bs617",
                     "<body>Harpier cries: 'tis time, 'tis time.</body>"
                     "<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
                     "xmlns='http://www.w3.org/1999/xhtml'><p>Harpier cries</p></body></html>",
                     stanza_id="5f3dbc5e-8c8a-4bd6-9d0a-1b2c3d4e5f60", occupant_id="dd72603deec90a38")
    pres = PresenceOut("thirdwitch", item=Item("member", "participant", "hag66@shakespeare.lit/pda"),
                       payload="<show>away</show><c xmlns='http://jabber.org/protocol/caps' "
                               "hash='sha-1' node='https://example.org' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>",
                       status="brb", occupant_id="dd72603deec90a38")
    renderer = Renderer()
    for name, stanza in (("groupchat message", msg), ("presence broadcast", pres)):
        deliver = Deliver(to, stanza)
        fast = best_of(lambda: renderer.deliver(deliver, ROOM), rounds)
        slow = best_of(lambda: [render(stanza, t, ROOM) for t in to], max(rounds // 10, 5))
        size = len(renderer.deliver(deliver, ROOM)[0])
        print(f"{name}, {recipients} recipients, {size} bytes each:")
        print(f"  Renderer.deliver: {fast * 1e6 / recipients:7.3f} us/stanza "
              f"({fast * 1e6:8.1f} us per delivery)")
        print(f"  render() each:    {slow * 1e6 / recipients:7.3f} us/stanza "
              f"({slow * 1e6:8.1f} us per delivery)")


if __name__ == "__main__":
    main()
