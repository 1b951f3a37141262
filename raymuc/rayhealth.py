"""How fast the GCS gives up on a lost node, set on every head we start (and in
k8s/raycluster.yaml's head container).

A raylet that is gone is declared dead after `failure_threshold` failed health checks
`period_ms` apart; only then does Ray restart the node's actors elsewhere (room hosts
reload their rooms from MongoDB) and the supervisor tell their occupants. Ray's defaults
(5 checks 3 s apart, 10 s timeout) took ~12 s to mark a SIGKILLed node dead and 16 s for
a room to answer again (measured, docs/sre.md). Here: a dead raylet (its port refuses)
in ~2 s; a machine that vanished (checks time out) in ~6 s; a raylet frozen that long
is taken for dead too, and its actors restart elsewhere."""
from __future__ import annotations

NODE_LOSS_ENV = {
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "4",
}
