#!/usr/bin/env bash
# Soak (issue 15): steady mixed load on RayMUC for N minutes (default 30); RSS slope of
# every process, p99 latency per window and its slope, sent/received/lost.
# Usage: bash bench/soak.sh [minutes] [--window S] [--every S]
# Results: bench/results/soak-<UTC>.json (the Markdown is printed). See bench/soak.py.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=30
if [[ $# -gt 0 && "$1" != -* ]]; then MINUTES=$1; shift; fi
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
exec "${PYTHON:-.venv/bin/python}" -m bench.soak "$MINUTES" "$@"
