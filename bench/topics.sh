#!/usr/bin/env bash
# Topology benchmark: a generated 50x4x2 topology applied with mkt's concurrency vs one write at a time,
# and the write count of the no-op re-apply, with LATENCY (default 30ms) added to every Service Bus call. Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/topics.mjs
