#!/usr/bin/env bash
# Where one mkt command spends its time: `bash bench/profile.sh health --json` runs `node bin/run.js health --json`
# under V8's CPU profiler and prints wall time, peak RSS and self time by module (npm package, mkt source file,
# Node's module loaders, GC, V8 compiling). Bundled code is mapped back to its package through the source maps
# the build writes beside the chunks. The command's own output goes to /dev/null; its exit code is printed.
# NODE (default node) picks the runtime; TOP (default 25) the number of rows. Needs npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: bash bench/profile.sh <mkt command and flags…>   e.g. bash bench/profile.sh health --json" >&2; exit 64; }
. bench/lib.sh
NODE="${NODE:-node}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
start=$(date +%s%N)
code=0
/usr/bin/time -f %M -o "$dir/rss" "$NODE" --cpu-prof --cpu-prof-dir="$dir" --cpu-prof-interval 250 bin/run.js "$@" >/dev/null || code=$?
wall=$(( ($(date +%s%N) - start) / 1000000 ))
echo "mkt $* on $("$NODE" --version): exit $code, ${wall} ms wall (profiler on), peak RSS $(( $(tail -1 "$dir/rss") / 1024 )) MB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$NODE" bench/profile.mjs "$dir" "${TOP:-25}"
