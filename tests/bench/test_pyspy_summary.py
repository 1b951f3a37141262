"""py-spy collapsed stacks to the report's top functions (pure)."""
from __future__ import annotations

from bench.pyspy import summarize

COLLAPSED = """\
main (app.py:1);call (gateway/router.py:70);_actor_method_call (/x/site-packages/ray/actor.py:900) 6
main (app.py:1);call (gateway/router.py:71);deliver (gateway/render.py:40) 3
main (app.py:1);call (gateway/router.py:70) 1
not a sample line
"""


def test_self_and_inclusive_shares_merge_line_numbers():
    out = summarize(COLLAPSED)
    assert out["samples"] == 10
    assert out["top_self_pct"][0] == ("_actor_method_call (ray/actor.py)", 60.0)
    assert ("deliver (gateway/render.py)", 30.0) in out["top_self_pct"]
    inclusive = dict(out["top_inclusive_pct"])
    assert inclusive["call (gateway/router.py)"] == 100.0     # lines 70 and 71 are one function
    assert inclusive["main (app.py)"] == 100.0


def test_empty_profile():
    assert summarize("") == {"samples": 0, "top_self_pct": [], "top_inclusive_pct": []}
