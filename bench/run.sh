#!/usr/bin/env bash
# The benchmark of issue 7: RayMUC vs Prosody's built-in MUC, ejabberd's mod_muc and a
# do-nothing component, on loopback. Usage: bash bench/run.sh [--quick] [--help for options]
# Results: bench/results/<UTC timestamp>.json and .md (the Markdown is also printed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    echo "bench: .venv missing; run: bash scripts/setup.sh" >&2
    exit 2
fi
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 PYTHONUNBUFFERED=1
exec .venv/bin/python -m bench.run "$@"
