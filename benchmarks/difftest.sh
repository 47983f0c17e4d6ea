#!/usr/bin/env bash
# Long randomized differential run of the PromQL engine against a real Prometheus 2.42 (issue 18).
#   benchmarks/difftest.sh [QUERIES [SEED]]      defaults: 50000 queries, a random seed
# Needs /usr/bin/prometheus (apt-get install prometheus). Every query runs as an instant and as a range query on
# both; disagreements are shrunk and classified against tsdb-server/src/test/resources/difftest/known-differences.yaml.
# The report (counts per excused class, every unexplained reproduction, the seed and data end to rerun it) is
# printed and written to tsdb-server/target/difftest-report.txt; the exit status is non-zero when anything is
# unexplained. Rerun one reported case with
#   mvn -pl tsdb-server -am test -Dtest='RandomizedDifferentialTest#reproduce' -Dsurefire.failIfNoSpecifiedTests=false \
#       -Ddifftest.end=<data end from the report> -Ddifftest.repro='<a reproduction line of the report>'
set -euo pipefail
cd "$(dirname "$0")/.."
queries=${1:-50000}
seed=${2:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "difftest: $queries queries, seed $seed"
mvn -B -q -pl tsdb-server -am test -Dtest='RandomizedDifferentialTest#generatedQueriesAgreeWithPrometheus' \
    -Dsurefire.failIfNoSpecifiedTests=false -Ddifftest.queries="$queries" -Ddifftest.seed="$seed"
