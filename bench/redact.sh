#!/usr/bin/env bash
# Redaction benchmark: mkt's redactor vs the combined RegExp it replaced, same text, same run. RUNS (default 10).
# Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
node bench/redact.mjs
