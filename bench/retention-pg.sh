#!/bin/bash
# Retention on PostgreSQL: dropping partitions against deleting rows (migration 62,
# src/store/retention.c). The intake benchmark's Shadowserver rows (ROWS, default 400,000;
# bench/make-shadowserver-corpus.py) are stored twice through `ermes serve`, in two schemas of
# one throwaway PostgreSQL server: "parts", whose events are partitioned ROWS/4 ids a
# partition, and "rows", whose one partition (the default width, 10 million ids) is still
# filling, so retention deletes its events by the batched delete as it always did. Every event
# is then backdated 40 days and `ermes retention --days 30` timed on each; then the dead rows
# each leaves to VACUUM (pg_stat_user_tables.n_dead_tup over events, event_ips, corr_postings).
#
#   bench/retention-pg.sh [BUILD_DIR]      (BUILD_DIR holds ermes; default: build)
#
# Environment: ROWS=400000, CORPUS_DIR, WORK_DIR=$TMPDIR, BENCH_OUT=FILE (also write the
# summary there), KEEP=1 (leave the logs and the server's directory behind).
# Exit status: 0 when it ran; non-zero when it could not.
set -eu

build=${1:-build}
case "${BENCH_OUT:-}" in
"" | /*) ;;
*) BENCH_OUT=$PWD/$BENCH_OUT ;;
esac
cd "$(dirname "$0")/.."
case "$build" in
/*) ermes=$build/ermes ;;
*) ermes=$PWD/$build/ermes ;;
esac
rows=${ROWS:-400000}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus-$rows}
work_dir=${WORK_DIR:-${TMPDIR:-/tmp}}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)

die() {
    echo "retention-pg: $*" >&2
    exit 1
}
[ -x "$ermes" ] || die "$ermes not found: build it first"
for tool in psql curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/install-deps build bench)"
done

corpus=$corpus_dir/2026-01-05-scan_adb-bench-geo.csv
lines=""
[ ! -f "$corpus" ] || lines=$(($(wc -l <"$corpus") - 1))
if [ "$lines" != "$rows" ]; then
    echo "retention-pg: making $corpus ($rows rows)"
    python3 bench/make-shadowserver-corpus.py --rows "$rows" --out "$corpus_dir" >/dev/null ||
        die "could not make the corpus"
fi

tmp=$(mktemp -d "$work_dir/ermes-bench-ret.XXXXXX")
pgdir=$(mktemp -d /tmp/ermes-bench-ret-server.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    if [ "${KEEP:-}" = 1 ]; then
        echo "retention-pg: kept $tmp and $pgdir" >&2
    else
        rm -rf "$tmp" "$pgdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }

pg=$(scripts/pg-test-server start "$pgdir") || die "could not start PostgreSQL"
url_of() { echo "$pg&options=-csearch_path%3D$1"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

load() { # load NAME WIDTH: the corpus stored in schema NAME, partitions of WIDTH ids
    local url=$(url_of "$1") data=$tmp/$1 n
    q "$pg" "CREATE SCHEMA $1"
    ERMES_DATABASE_URL=$url "$ermes" init --data-dir "$data" \
        --admin-token-file "$tmp/$1.token" >/dev/null || die "init failed"
    printf 'database_url = %s\n' "$url" >>"$data/ermes.conf"
    q "$url" "UPDATE event_partitioning SET width = $2"
    "$ermes" serve --data-dir "$data" --listen 127.0.0.1:0 --port-file "$tmp/$1.port" \
        >"$tmp/$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 300); do
        [ -s "$tmp/$1.port" ] && break
        sleep 0.1
    done
    [ -s "$tmp/$1.port" ] || die "daemon $1 did not start"
    curl -sf -H "Authorization: Bearer $(cat "$tmp/$1.token")" --data-binary "@$corpus" \
        "http://127.0.0.1:$(cat "$tmp/$1.port")/api/v1/reports?feed=shadowserver&wait=true&file_name=$(basename "$corpus")" \
        >/dev/null || die "POST to $1 failed"
    for _ in $(seq 1 36000); do
        n=$(q "$url" "SELECT count(*) FROM reports WHERE state IN ('done', 'failed')")
        [ "$n" = 1 ] && break
        sleep 0.2
    done
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    n=$(q "$url" "SELECT count(*) FROM events")
    [ "$n" = "$rows" ] || die "$1: $n events, want $rows"
    q "$url" "UPDATE events SET created_at = created_at - 3456000000;
              UPDATE reports SET received_at = received_at - 3456000000"
    q "$url" "VACUUM ANALYZE" # each on its own: VACUUM runs outside a transaction
    q "$url" "SELECT pg_stat_reset()" >/dev/null
}
dead() { # dead NAME: dead rows left in events, event_ips and corr_postings
    sleep 1 # the statistics collector's delay
    q "$(url_of "$1")" "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables
        WHERE schemaname = '$1' AND relname ~ '^(events|event_ips|corr_postings)'"
}
run() { # run NAME: seconds of `ermes retention --days 30`; its JSON in $tmp/NAME.json
    local s
    s=$(now)
    "$ermes" retention --data-dir "$tmp/$1" --days 30 --json >"$tmp/$1.json" ||
        die "retention on $1 failed"
    calc "$(now) - $s" >"$tmp/$1.secs"
    q "$(url_of "$1")" "SELECT count(*) FROM events" | grep -qx 0 || die "$1: events left"
}

load parts $((rows / 4))
load rows 10000000
partitions=$(q "$(url_of parts)" "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")
run parts
run rows
d_parts=$(dead parts)
d_rows=$(dead rows)
t_parts=$(cat "$tmp/parts.secs")
t_rows=$(cat "$tmp/rows.secs")

summary=$(
    echo "retention-pg: $rows events stored, backdated 40 days, \`ermes retention --days 30\`"
    printf '  %-44s %8.2f s  %9.0f events/s  dead rows left %s\n' \
        "partitions dropped ($partitions made, $((rows / 4)) ids each):" "$t_parts" \
        "$(calc "$rows / $t_parts")" "$d_parts"
    printf '  %-44s %8.2f s  %9.0f events/s  dead rows left %s\n' \
        "rows deleted (one partition still filling):" "$t_rows" "$(calc "$rows / $t_rows")" \
        "$d_rows"
    echo "  parts: $(cat "$tmp/parts.json")"
    echo "  rows:  $(cat "$tmp/rows.json")"
)
echo "$summary"
[ -z "${BENCH_OUT:-}" ] || echo "$summary" >>"$BENCH_OUT"
