#!/usr/bin/env bash
# List-endpoint requests a second for the scaled-out topology (README,
# "Scaling out"; figures in BENCHMARKS.md): one instance on the primary,
# one reading from a streaming replica (each in DB_QUERY_EXEC_MODE exec and
# cache_statement), one reading the replica through PgBouncer (exec, the
# mode PgBouncer's transaction pooling needs), and two instances sharing
# primary and replica. It builds its own throwaway clusters and PgBouncers on free
# loopback ports, so it needs the PostgreSQL server binaries and pgbouncer.
#
#   tests/bench/scale.sh                      # 20,000 events, 8 clients, 10 s each
#   SCALE_BENCH_ROWS=100000 SCALE_BENCH_CLIENTS=16 tests/bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# The test's whole output is kept, and shown if the run fails: the figures
# alone hide why a setup step did.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! SCALE_BENCH=1 go test ./tests -run '^TestScaleBenchmark$' -count=1 -v -timeout 30m >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
grep -E '^\s+scale_bench_test.go:[0-9]+: ' "$log" | sed -E 's/^\s+scale_bench_test.go:[0-9]+: //'
