#!/bin/bash
# Runs every benchmark in bench/, one after the other (see bench/README.md).
#
#   bench/run-all.sh [BUILD_DIR [NAME...]]
#
# BUILD_DIR (default: build, relative to the repository root) holds ermes and the bench_*
# executables, built with -DERMES_BENCH=ON (the default); `make bench` builds them and runs
# this. NAMEs pick benchmarks from the list below (default: all).
#
# A benchmark that misses its goal still counts as run; the exit status is non-zero only when
# one could not run (missing executable, crash, bad answers).
set -eu

build=${1:-build}
[ $# -eq 0 ] || shift
case "${BENCH_OUT:-}" in # http-vs-nginx.sh's summary file, relative to where we were called
"" | /*) ;;
*) export BENCH_OUT="$PWD/$BENCH_OUT" ;;
esac
cd "$(dirname "$0")/.."
case "$build" in
/*) ;;
*) build=./$build ;;
esac

failed=""
ran=0

# run NAME COMMAND [ARG...]: one benchmark.
run() {
    local name=$1 want rc=0 selected=0
    shift
    if [ ${#only[@]} -eq 0 ]; then
        selected=1
    else
        for want in "${only[@]}"; do
            [ "$want" != "$name" ] || selected=1
        done
    fi
    [ "$selected" -eq 1 ] || return 0
    ran=$((ran + 1))
    echo "==== $name: $*"
    if [ ! -x "$1" ]; then
        echo "run-all: $1 not found (configure with -DERMES_BENCH=ON and build, or: make bench)" >&2
        rc=127
    else
        "$@" || rc=$?
    fi
    [ "$rc" -eq 0 ] || failed="$failed $name(exit $rc)"
    echo
}

only=("$@")

# The benchmarks: one line each, NAME then the command. Append new ones here.
run lookup "$build/bench_lookup"
run http-vs-nginx bench/http-vs-nginx.sh "$build"
run ingest-vs-sqlite bench/ingest-vs-sqlite.sh "$build"
run match-vs-grep bench/match-vs-grep.sh "$build"
run retro-vs-zstd bench/retro-vs-zstd.sh "$build"
run match-big /bin/sh -c "exec taskset -c 0 '$build/bench_match' big"
run browser-1m bench/browser-1m.sh "$build"
run login-flood bench/login-flood.py "$build"
run csaf-validate bench/csaf-validate.py "$build"
run federation-pull bench/federation-pull.py "$build"
run taxii-vs-nginx bench/taxii-vs-nginx.py "$build"
run incident-advisories bench/incident-advisories.py "$build"
# 1,000,000 incidents and 10,000,000 links: the database is made on the first run (long) and
# kept in INCIDENTS_DIR for the next ones.
run incidents /bin/sh -c "exec '$build/bench_incidents' '${INCIDENTS_DIR:-${TMPDIR:-/tmp}/ermes-bench-incidents}'"
run ingest-pg bench/ingest-pg.sh "$build"
run ingest-pg-cpu bench/ingest-pg-cpu.sh "$build"
run intake-copy-pg bench/intake-copy-pg.sh "$build"
run migrate-1m bench/migrate-1m.sh "$build"
run notify "$build/bench_notify"
run events-time "$build/bench_events_time"
# PostgreSQL: retention dropping partitions against deleting rows; inet/GiST against event_ips.
run retention-pg bench/retention-pg.sh "$build"
run inet-gist-pg bench/inet-gist-pg.sh
# The parser alone, on ingest-vs-sqlite's corpus (made here when that one did not run).
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus}
run parse /bin/sh -c "[ -f '$corpus_dir/2026-01-05-scan_adb-bench-geo.csv' ] ||
    python3 bench/make-shadowserver-corpus.py --rows 1000000 --type scan_adb \
        --out '$corpus_dir' >/dev/null &&
    exec taskset -c 0 '$build/bench_parse' '$corpus_dir/2026-01-05-scan_adb-bench-geo.csv'"
run observables /bin/sh -c "exec taskset -c 0 '$build/bench_observables'"
# 10,000,000 values into the correlation index of a fresh database (removed afterwards).
run correlation /bin/sh -c "d=\$(mktemp -d) && '$build/bench_correlation' \"\$d\"; rc=\$?; rm -rf \"\$d\"; exit \$rc"

if [ "$ran" -eq 0 ]; then
    echo "run-all: no benchmark named: ${only[*]}" >&2
    exit 2
fi
if [ -n "$failed" ]; then
    echo "run-all: could not run:$failed" >&2
    exit 1
fi
echo "run-all: $ran benchmark(s) ran"
run vulns "$build/bench_vulns"
