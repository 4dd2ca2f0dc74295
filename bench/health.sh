#!/usr/bin/env bash
# Health benchmark, one sandbox, one run (needs npm run build; installs hyperfine from Debian if missing):
#  1. `mkt health --json` (16 components, 2 list calls and 42 probes) against `kubectl get deploy -n marketplace`,
#     and the peak RSS of both;
#  2. the same with LATENCY (default 2s) injected on every proxy path, against the latency itself (the slowest
#     probe can't be faster). Goals: within 2x of kubectl, peak RSS within 100 MB, within 1.3x of the slowest probe.
# NODE (default node) picks the runtime mkt runs on.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
NODE="${NODE:-node}"
LATENCY="${LATENCY:-2s}"
export MKT_SANDBOX_DIR="$(mktemp -d)" MKT_SANDBOX_POD_START_DELAY_MS=200 MKT_CACHE_DIR="$(mktemp -d)"
trap '"$NODE" bin/run.js sandbox stop -q >/dev/null 2>&1 || true' EXIT
kubeconfig="$("$NODE" bin/run.js sandbox start --json | "$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(0)).result.kubeconfig)')"
kubectl="kubectl --kubeconfig $kubeconfig --cache-dir $MKT_SANDBOX_DIR/kc -n marketplace"
$kubectl wait --for=condition=Available deployment --all --timeout=60s >/dev/null
mkdir -p bench/results
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --style none --export-json bench/results/health.json \
  -n 'kubectl get deploy' "$kubectl get deploy" \
  -n 'mkt health --json' "$NODE bin/run.js health --json" >/dev/null
rss_kubectl="$(peak_rss_mb 5 $kubectl get deploy)"
rss_mkt="$(peak_rss_mb 5 "$NODE" bin/run.js health --json)"
"$NODE" bin/run.js sandbox fault api --path '/api/v1/namespaces/*/services/*/proxy/**' --latency "$LATENCY" -q >/dev/null
"$NODE" bin/run.js sandbox fault api --path '/api/v1/namespaces/*/pods/*/proxy/**' --latency "$LATENCY" -q >/dev/null
hyperfine -N --runs "${SLOW_RUNS:-3}" --style none --export-json bench/results/health-latency.json \
  -n "mkt health --json, $LATENCY proxy latency" "$NODE bin/run.js health --json" >/dev/null
"$NODE" --input-type=module -e '
import { readFileSync } from "node:fs"
const [latency, version, rssKubectl, rssMkt] = process.argv.slice(1)
const [fast, slow] = [JSON.parse(readFileSync("bench/results/health.json")).results, JSON.parse(readFileSync("bench/results/health-latency.json")).results[0]]
const ms = (s) => `${(s * 1000).toFixed(0).padStart(6)} ms`
const latencyS = Number(latency.replace(/s$/, ""))
console.log(`${version}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`)
console.log(`kubectl get deploy              ${ms(fast[0].median)}  peak RSS ${rssKubectl} MB`)
console.log(`mkt health --json               ${ms(fast[1].median)}  ${(fast[1].median / fast[0].median).toFixed(2)}x kubectl (goal 2x)  peak RSS ${rssMkt} MB (goal 100 MB)`)
console.log(`mkt health, ${latency} on each probe   ${ms(slow.median)}  ${(slow.median / latencyS).toFixed(2)}x the slowest probe (goal 1.3x)`)
' "$LATENCY" "$("$NODE" --version)" "$rss_kubectl" "$rss_mkt"
