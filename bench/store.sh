#!/usr/bin/env bash
# Sandbox store benchmark: durable writes per second against the in-memory store (WRITES, default 2000; RUNS,
# default 5). Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/store.mjs
