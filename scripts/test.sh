#!/usr/bin/env bash
# Sets everything up (Prosody from Debian, .venv from requirements/dev.lock, SecantusDB) and
# runs the whole suite (scripts/suite.sh says in which placements).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash scripts/suite.sh .venv/bin/python "$@"
