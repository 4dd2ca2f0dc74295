#!/usr/bin/env bash
# Sandbox benchmark: start to ready, and all 16 Deployments rolling at once as a ratio of the pod start
# delay (POD_START_DELAY_MS, default 1000; RUNS, default 3). Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/sandbox.mjs
