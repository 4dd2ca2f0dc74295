#!/usr/bin/env bash
# Rollback benchmark: mkt rollback vs kubectl rollout undo + rollout status on one sandbox, in one run, with
# the peak RSS of each. RUNS (default 5), POD_START_DELAY_MS (default 500), KUBECTL (default kubectl),
# NODE (default node: the runtime mkt runs on). Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
"${NODE:-node}" bench/rollback.mjs
