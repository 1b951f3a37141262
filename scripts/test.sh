#!/usr/bin/env bash
# Sets everything up (Prosody from Debian, venv, SecantusDB) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
