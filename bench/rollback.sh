#!/usr/bin/env bash
# Rollback benchmark: mkt rollback vs kubectl rollout undo + rollout status on one sandbox, in one run.
# RUNS (default 5), POD_START_DELAY_MS (default 500), KUBECTL (default kubectl). Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/rollback.mjs
