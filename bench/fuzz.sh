#!/usr/bin/env bash
# Property-based fuzzing of the pure room core, long: 100,000 random command sequences
# (tests/core/test_fuzz.py under Hypothesis' "long" profile; CI runs 300). Tens of minutes
# on one core. Usage: bash bench/fuzz.sh [N]   (N sequences instead of 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
export RAYMUC_FUZZ_PROFILE=long RAYMUC_FUZZ_EXAMPLES="${1:-100000}"
exec .venv/bin/python -m pytest -q -p no:cacheprovider -o timeout=0 -m fuzz \
    tests/core/test_fuzz.py --hypothesis-show-statistics
