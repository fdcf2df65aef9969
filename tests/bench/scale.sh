#!/usr/bin/env bash
# List-endpoint requests a second for the scaled-out topology (README,
# "Scaling out"; figures in BENCHMARKS.md): one instance on the primary (in
# pgx's exec and cache_statement modes), one reading from a streaming
# replica, the same through PgBouncer, and two instances sharing primary
# and replica. It builds its own throwaway clusters and PgBouncers on free
# loopback ports, so it needs the PostgreSQL server binaries and pgbouncer.
#
#   tests/bench/scale.sh                      # 20,000 events, 8 clients, 10 s each
#   SCALE_BENCH_ROWS=100000 SCALE_BENCH_CLIENTS=16 tests/bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SCALE_BENCH=1 go test ./tests -run '^TestScaleBenchmark$' -count=1 -v -timeout 30m \
  | grep -E '^\s+scale_bench_test.go:[0-9]+: ' | sed -E 's/^\s+scale_bench_test.go:[0-9]+: //'
