#!/usr/bin/env bash
# Migration benchmark (needs npm run build and a PostgreSQL server; installs hyperfine from Debian if missing):
# applies the sample migrations (templates/migrations, 7 files) to a fresh database, with
#  1. `psql -f` of the same files in one session (autocommit: no history, no lock, no checksums), and
#  2. `mkt migrate run --sql` (connection, advisory lock, history table, checksums, one transaction per file),
# on the same server in the same run, and prints the ratio. The database is dropped and created before every run.
# MKT_TEST_DATABASE_URL names the server (default postgresql://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { if [ "$(id -u)" = 0 ]; then apt-get install -y hyperfine >/dev/null; else sudo apt-get install -y hyperfine >/dev/null; fi; }
admin="${MKT_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
db="mkt_bench_$$"
target="${admin%/*}/$db"
export MKT_CACHE_DIR="$(mktemp -d)" MKT_SANDBOX_DIR="$(mktemp -d)"
trap 'psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
fresh="psql -X -q -d $admin -c 'DROP DATABASE IF EXISTS $db WITH (FORCE)' -c 'CREATE DATABASE $db'"
files="$(ls templates/migrations/V*.sql | sed 's/^/-f /' | tr '\n' ' ')"
mkdir -p bench/results
hyperfine -N --runs "${RUNS:-10}" --style none --export-json bench/results/migrate.json --prepare "$fresh" \
  -n 'psql -f (7 files)' "psql -X -q -v ON_ERROR_STOP=1 -d $target $files" \
  -n 'mkt migrate run --sql' "env MKT_DATABASE_URL=$target node bin/run.js migrate run --sql templates/migrations -q" >/dev/null
node --input-type=module -e '
import { readFileSync } from "node:fs"
const [psql, mkt] = JSON.parse(readFileSync("bench/results/migrate.json")).results
const ms = (s) => `${(s * 1000).toFixed(0).padStart(6)} ms`
console.log(`psql -f, 7 files          ${ms(psql.median)}`)
console.log(`mkt migrate run --sql     ${ms(mkt.median)}  ${(mkt.median / psql.median).toFixed(2)}x psql`)
'
