#!/usr/bin/env bash
# Startup benchmark: median wall time of mkt's fast paths against bare Node, measured in one run, and peak RSS.
# Goals: `mkt --version` within 1.5x of `node -e 0`; `mkt components list` within 2.5x.
# Needs a build (npm run build). NODE (default node) picks the runtime, e.g. NODE=.ci/node24/node_modules/.bin/node.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
NODE="${NODE:-node}"

export MKT_CACHE_DIR="${MKT_CACHE_DIR:-$(mktemp -d)}"
mkdir -p bench/results
out=bench/results/startup.json
"$NODE" bin/run.js components list >/dev/null # warm the validated-platform cache (and Node's compile cache), as any second run has them

hyperfine -N --warmup 3 --runs "${RUNS:-20}" --style none --export-json "$out" \
  -n 'node -e 0' "$NODE -e 0" \
  -n 'mkt --version' "$NODE bin/run.js --version" \
  -n 'mkt --help' "$NODE bin/run.js --help" \
  -n 'mkt components list' "$NODE bin/run.js components list" >/dev/null
rss_node="$(peak_rss_mb 5 "$NODE" -e 0)"
rss_version="$(peak_rss_mb 5 "$NODE" bin/run.js --version)"

"$NODE" --input-type=module -e '
import { readFileSync } from "node:fs"
const [file, version, rssNode, rssVersion] = process.argv.slice(1)
const { results } = JSON.parse(readFileSync(file, "utf8"))
const base = results[0].median
const goals = { "mkt --version": 1.5, "mkt components list": 2.5 }
console.log(`${version}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`)
console.log("command                 median     ratio to node -e 0")
for (const r of results) console.log(`${r.command.padEnd(22)}  ${(r.median * 1000).toFixed(1).padStart(6)} ms  ${(r.median / base).toFixed(2)}x${goals[r.command] ? ` (goal ${goals[r.command]}x)` : ""}`)
console.log(`peak RSS: node -e 0 ${rssNode} MB, mkt --version ${rssVersion} MB`)
const over = results.filter((r) => goals[r.command] && r.median / base > goals[r.command])
if (over.length) console.log(`over the goal: ${over.map((r) => r.command).join(", ")}`)
' "$out" "$("$NODE" --version)" "$rss_node" "$rss_version"
