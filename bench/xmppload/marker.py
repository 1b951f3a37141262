"""The latency marker carried in a benchmark groupchat body (pure).

Body text: "BM <seq> <send_ns> <padding>", where send_ns is time.monotonic_ns() at the
sender (CLOCK_MONOTONIC is system-wide on Linux, so any process on the machine can read
it). Receivers find it with two `bytes.find` calls, no XML parsing.
"""
from __future__ import annotations

_OPEN = b"<body>BM "
_CLOSE = b"</body>"
_GROUPCHAT = (b"type='groupchat'", b'type="groupchat"')


def body_text(seq: int, send_ns: int, padding: str = "") -> str:
    return f"BM {seq} {send_ns} {padding}" if padding else f"BM {seq} {send_ns}"


def read_marker(raw: bytes, head_end: int) -> tuple[int, int] | None:
    """(seq, send_ns) from a groupchat <message> carrying a marker, else None."""
    if raw.find(_GROUPCHAT[0], 0, head_end) < 0 and raw.find(_GROUPCHAT[1], 0, head_end) < 0:
        return None
    start = raw.find(_OPEN, head_end)
    if start < 0:
        return None
    start += len(_OPEN)
    end = raw.find(_CLOSE, start)
    if end < 0:
        return None
    parts = raw[start:end].split(None, 2)
    if len(parts) < 2:
        return None
    try:
        return int(parts[0]), int(parts[1])
    except ValueError:
        return None
