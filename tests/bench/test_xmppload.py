"""The benchmark client's stanza scanner, marker reader and figures (pure, no sockets)."""
from __future__ import annotations

import pytest

from bench.profile import QUICK
from bench.xmppload.client import status_codes
from bench.xmppload.marker import body_text, read_marker
from bench.xmppload.metrics import FanoutRecorder, percentile, summary_ms
from bench.xmppload.scanner import STREAM_CLOSE, STREAM_OPEN, ScanError, StanzaScanner

HEADER = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xml:lang='en' "
          b"xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0'>")
FEATURES = (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
            b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
GROUPCHAT = (b"<message type='groupchat' from='r@muc.localhost/n1' to='u@localhost/r' id='m7'>"
             b"<body>BM 7 123456789 xxxx</body><stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='r@muc.localhost'/>"
             b"</message>")
SELF_PRESENCE = (b"<presence from='r@muc.localhost/n0' to='u@localhost/r'>"
                 b"<x xmlns='http://jabber.org/protocol/muc#user'><status code='201'/>"
                 b"<item role='moderator' affiliation='owner'/><status code=\"110\"/></x></presence>")
FORWARDED = (b"<message to='u@localhost/r' from='u@localhost'><result xmlns='urn:xmpp:mam:2'><forwarded>"
             b"<message type='groupchat' from='a@b/c'><body>inner</body></message>"
             b"</forwarded></result></message>")
STREAM = HEADER + FEATURES + b"\n " + GROUPCHAT + b"<iq type='result' id='q1'/>" + SELF_PRESENCE + FORWARDED \
    + b"</stream:stream>"


def names(stanzas) -> list[bytes]:
    return [s.name for s in stanzas]


def test_whole_stream_splits_into_top_level_elements():
    stanzas = StanzaScanner().feed(STREAM)
    assert names(stanzas) == [STREAM_OPEN, b"stream:features", b"message", b"iq", b"presence", b"message",
                              STREAM_CLOSE]
    assert stanzas[2].raw == GROUPCHAT
    assert stanzas[4].raw == SELF_PRESENCE
    assert stanzas[5].raw == FORWARDED      # the nested <message> does not end the outer one


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 333])
def test_any_chunking_gives_the_same_stanzas(chunk):
    scanner = StanzaScanner()
    got = []
    for i in range(0, len(STREAM), chunk):
        got += scanner.feed(STREAM[i:i + chunk])
    whole = StanzaScanner().feed(STREAM)
    assert [(s.name, s.raw) for s in got] == [(s.name, s.raw) for s in whole]


def test_incomplete_stanza_waits_for_the_rest():
    scanner = StanzaScanner()
    assert scanner.feed(GROUPCHAT[:-3]) == []
    [st] = scanner.feed(GROUPCHAT[-3:])
    assert st.raw == GROUPCHAT


def test_attributes_in_either_quote_with_entities():
    [st] = StanzaScanner().feed(b"<iq type=\"result\" id='a&amp;b' from='x&apos;y'/>")
    assert st.attrs() == {"type": "result", "id": "a&b", "from": "x'y"}
    assert st.attr("to") is None


def test_child_text_and_status_codes():
    [bind] = StanzaScanner().feed(b"<iq type='result' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                                  b"<jid>u@localhost/r&amp;1</jid></bind></iq>")
    assert bind.child_text(b"jid") == "u@localhost/r&1"
    assert bind.child_text(b"resource") is None
    [presence] = StanzaScanner().feed(SELF_PRESENCE)
    assert status_codes(presence) == {110, 201}


def test_empty_element_name_is_an_error():
    with pytest.raises(ScanError):
        StanzaScanner().feed(b"<>")


def test_reset_forgets_a_partial_stanza():
    scanner = StanzaScanner()
    scanner.feed(b"<message><body>half")
    scanner.reset()
    assert names(scanner.feed(HEADER)) == [STREAM_OPEN]


def test_marker_read_from_groupchat_only():
    [st] = StanzaScanner().feed(GROUPCHAT)
    assert read_marker(st.raw, st.head_end) == (7, 123456789)
    chat = GROUPCHAT.replace(b"type='groupchat'", b"type='chat'")
    [st] = StanzaScanner().feed(chat)
    assert read_marker(st.raw, st.head_end) is None


@pytest.mark.parametrize("body", [b"<body>hello</body>", b"<body>BM x 12</body>", b"<body>BM 5</body>", b""])
def test_marker_absent_or_malformed_is_none(body):
    raw = b"<message type=\"groupchat\" from='r@m/n'>" + body + b"</message>"
    [st] = StanzaScanner().feed(raw)
    assert read_marker(st.raw, st.head_end) is None


def test_body_text_round_trips_through_a_stanza():
    raw = f"<message type='groupchat'><body>{body_text(42, 987, 'pad')}</body></message>".encode()
    [st] = StanzaScanner().feed(raw)
    assert read_marker(st.raw, st.head_end) == (42, 987)


def test_percentiles_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([], 50) is None
    summary = summary_ms([1_000_000, 2_000_000, 3_000_000])
    assert summary["p50"] == 2.0 and summary["max"] == 3.0 and summary["n"] == 3


def test_recorder_counts_window_and_measured_messages():
    rec = FanoutRecorder()
    rec.record(0, 100, 150)                  # before the window: neither counted nor measured
    rec.counting, rec.send_from_ns = True, 200
    rec.record(1, 210, 260)
    rec.counting, rec.send_to_ns = False, 300
    rec.record(2, 250, 400)                  # sent inside, arrived after the window: measured
    rec.record(3, 310, 320)                  # sent after the window
    assert rec.total == 4
    assert rec.window_count == 1
    assert rec.latencies == [50, 150]


def test_profile_overrides_are_checked():
    assert QUICK.with_overrides(["duration=2.5", "big_room=7"]).big_room == 7
    with pytest.raises(ValueError, match="NAME=VALUE"):
        QUICK.with_overrides(["nonsense=1"])
    with pytest.raises(ValueError, match="not a valid"):
        QUICK.with_overrides(["big_room=many"])
