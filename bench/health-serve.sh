#!/usr/bin/env bash
# `mkt health serve` under 200 concurrent clients on /health for 10 s, against a bare node:http server with
# the same body (local load only; needs npm run build). Results in bench/results/health-serve.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export MKT_SANDBOX_DIR="$(mktemp -d)" MKT_SANDBOX_POD_START_DELAY_MS=200 MKT_CACHE_DIR="$(mktemp -d)"
trap 'node bin/run.js sandbox stop -q >/dev/null 2>&1 || true' EXIT
node bin/run.js sandbox start -q >/dev/null
node bench/health-serve.mjs
