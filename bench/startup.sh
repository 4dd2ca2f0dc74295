#!/usr/bin/env bash
# Startup benchmark: median wall time of mkt's fast paths against bare Node, measured in one run.
# Target: `mkt --version` and `mkt components list` within 2.5x of `node -e 0`.
# Needs a build (npm run build). Installs hyperfine from Debian when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null 2>&1; then
  echo "installing hyperfine from Debian" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null; else sudo apt-get install -y hyperfine >/dev/null; fi
fi

export MKT_CACHE_DIR="${MKT_CACHE_DIR:-$(mktemp -d)}"
mkdir -p bench/results
out=bench/results/startup.json
node bin/run.js components list >/dev/null # warm the validated-platform cache, as any second run has it

hyperfine --warmup 3 --runs "${RUNS:-20}" --style none --export-json "$out" \
  -n 'node -e 0' 'node -e 0' \
  -n 'mkt --version' 'node bin/run.js --version' \
  -n 'mkt --help' 'node bin/run.js --help' \
  -n 'mkt components list' 'node bin/run.js components list' >/dev/null

node --input-type=module -e '
import { readFileSync } from "node:fs"
const { results } = JSON.parse(readFileSync(process.argv[1], "utf8"))
const base = results[0].median
console.log("command                 median     ratio to node -e 0")
for (const r of results) console.log(`${r.command.padEnd(22)}  ${(r.median * 1000).toFixed(1).padStart(6)} ms  ${(r.median / base).toFixed(2)}x`)
const over = results.filter((r) => ["mkt --version", "mkt components list"].includes(r.command) && r.median / base > 2.5)
if (over.length) console.log(`over the 2.5x target: ${over.map((r) => r.command).join(", ")}`)
' "$out"
