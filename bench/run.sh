#!/usr/bin/env bash
# The benchmark of issue 7: RayMUC vs Prosody's built-in MUC, ejabberd's mod_muc and a
# do-nothing component, on loopback. Usage: bash bench/run.sh [--quick] [--help for options]
# Results: bench/results/<UTC timestamp>.json and .md (the Markdown is also printed).
#
# The load generator uses uvloop when it can (about half the CPU per received stanza).
# It is installed into var/bench-deps, NOT into .venv: Ray workers pick uvloop up by
# themselves when it is importable, which would change RayMUC under test.
# BENCH_NO_UVLOOP=1 runs the generator on asyncio's own loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2      # Prosody, .venv, RayMUC (idempotent: quick when done)
# ejabberd's own mod_muc is one of the systems compared; its Debian service never starts
# (setup.sh's policy-rc.d), the bench runs a private one. BENCH_NO_EJABBERD=1 skips it.
if [ "${BENCH_NO_EJABBERD:-0}" != 1 ] && ! dpkg-query -W -f='${Status}' ejabberd 2>/dev/null \
        | grep -q '^install ok installed$'; then
    echo "bench: installing ejabberd from Debian (BENCH_NO_EJABBERD=1 to skip)" >&2
    SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends ejabberd >&2 \
        || echo "bench: ejabberd not installed; its column is left out" >&2
fi
DEPS=var/bench-deps
# uvloop for the load generator and py-spy for --profile, pinned with hashes in
# requirements/bench.lock (same lock discipline as .venv).
if { [ "${BENCH_NO_UVLOOP:-0}" != 1 ] && ! PYTHONPATH="$DEPS" .venv/bin/python -c "import uvloop" 2>/dev/null; } \
        || { [[ " $* " == *" --profile "* ]] && [ ! -x "$DEPS/bin/py-spy" ]; }; then
    echo "bench: installing requirements/bench.lock (uvloop, py-spy) into $DEPS" >&2
    .venv/bin/python -m pip install --quiet --require-hashes --no-deps --upgrade --target "$DEPS" \
        -r requirements/bench.lock >&2 \
        || echo "bench: not installed; the generator runs on asyncio's loop, --profile is skipped" >&2
fi
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 PYTHONUNBUFFERED=1
exec .venv/bin/python -m bench.run "$@"
