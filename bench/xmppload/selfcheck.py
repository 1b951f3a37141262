"""How much CPU the load client spends per received groupchat (scanner + marker), measured
in-process on stanzas shaped like RayMUC's reflections. Recorded in each run's results to
show the generator is not the bottleneck (slixmpp costs ~80-110 µs per stanza)."""
from __future__ import annotations

import time

from bench.xmppload.marker import body_text, read_marker
from bench.xmppload.scanner import StanzaScanner


def sample_chunk(stanzas: int = 20, padding: int = 60) -> bytes:
    one = ("<message type='groupchat' to='b0001@localhost/load' from='big-abc-0@conference.localhost/n17' "
           "id='m{seq}' xml:lang='en'><body>{body}</body><stanza-id xmlns='urn:xmpp:sid:0' "
           "by='big-abc-0@conference.localhost' id='0b7c4d8e'/><occupant-id xmlns='urn:xmpp:occupant-id:0' "
           "id='ccb5f2c0c95aece0dcd1ced168d423722b33'/></message>")
    return "".join(one.format(seq=i, body=body_text(i, time.monotonic_ns(), "x" * padding))
                   for i in range(stanzas)).encode()


def parse_cost_us(rounds: int = 500, stanzas: int = 20) -> float:
    """Best-of-3 CPU µs per stanza through StanzaScanner.feed + read_marker."""
    chunk = sample_chunk(stanzas)
    best = float("inf")
    for _ in range(3):
        scanner = StanzaScanner()
        began = time.process_time()
        for _ in range(rounds):
            for st in scanner.feed(chunk):
                read_marker(st.raw, st.head_end)
        best = min(best, time.process_time() - began)
    return round(best / (rounds * stanzas) * 1e6, 2)
