#!/usr/bin/env bash
# Health benchmark, one sandbox, one run (needs npm run build; installs hyperfine from Debian if missing):
#  1. `mkt health --json` (16 components, 2 list calls and 42 probes) against `kubectl get deploy -n marketplace`;
#  2. the same with LATENCY (default 2s) injected on every proxy path, against the latency itself (the slowest
#     probe can't be faster). Goals: within 2x of kubectl, and within 1.3x of the slowest probe.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null; else sudo apt-get install -y hyperfine >/dev/null; fi; }
LATENCY="${LATENCY:-2s}"
export MKT_SANDBOX_DIR="$(mktemp -d)" MKT_SANDBOX_POD_START_DELAY_MS=200 MKT_CACHE_DIR="$(mktemp -d)"
trap 'node bin/run.js sandbox stop -q >/dev/null 2>&1 || true' EXIT
kubeconfig="$(node bin/run.js sandbox start --json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0)).result.kubeconfig)')"
kubectl="kubectl --kubeconfig $kubeconfig --cache-dir $MKT_SANDBOX_DIR/kc -n marketplace"
$kubectl wait --for=condition=Available deployment --all --timeout=60s >/dev/null
mkdir -p bench/results
hyperfine -N --warmup 2 --runs "${RUNS:-10}" --style none --export-json bench/results/health.json \
  -n 'kubectl get deploy' "$kubectl get deploy" \
  -n 'mkt health --json' 'node bin/run.js health --json' >/dev/null
node bin/run.js sandbox fault api --path '/api/v1/namespaces/*/services/*/proxy/**' --latency "$LATENCY" -q >/dev/null
node bin/run.js sandbox fault api --path '/api/v1/namespaces/*/pods/*/proxy/**' --latency "$LATENCY" -q >/dev/null
hyperfine -N --runs "${SLOW_RUNS:-3}" --style none --export-json bench/results/health-latency.json \
  -n "mkt health --json, $LATENCY proxy latency" 'node bin/run.js health --json' >/dev/null
node --input-type=module -e '
import { readFileSync } from "node:fs"
const [fast, slow, latency] = [JSON.parse(readFileSync("bench/results/health.json")).results, JSON.parse(readFileSync("bench/results/health-latency.json")).results[0], process.argv[1]]
const ms = (s) => `${(s * 1000).toFixed(0).padStart(6)} ms`
const latencyS = Number(latency.replace(/s$/, ""))
console.log(`kubectl get deploy              ${ms(fast[0].median)}`)
console.log(`mkt health --json               ${ms(fast[1].median)}  ${(fast[1].median / fast[0].median).toFixed(2)}x kubectl (goal 2x)`)
console.log(`mkt health, ${latency} on each probe   ${ms(slow.median)}  ${(slow.median / latencyS).toFixed(2)}x the slowest probe (goal 1.3x)`)
' "$LATENCY"
