#!/bin/bash
# Intake and HTTP benchmark on PostgreSQL: the intake benchmark's 1,000,000 Shadowserver rows
# (bench/make-shadowserver-corpus.py, as ingest-vs-sqlite.sh) sent as two reports of 500,000
# rows over HTTP (POST /api/v1/reports) to one `ermes serve`, then to two `ermes serve` on one
# PostgreSQL database (one report each), timed from the first byte sent until both reports are
# done; beside it, in the same run, psql's `\copy` of the same file into a plain table of text
# columns (PostgreSQL's own ceiling). Then, on the 1,000,000 events, `wrk` against the
# authenticated ownership lookup (GET /api/v1/lookup?ip=...) and the events list (GET
# /api/v1/events?limit=100) with one daemon and with two (one wrk each, requests summed); and
# the same two on SQLite (one daemon on a SQLite file holding the same events) for comparison.
#
#   bench/ingest-pg.sh [BUILD_DIR]      (BUILD_DIR holds ermes; default: build)
#
# It starts a throwaway PostgreSQL server (scripts/pg-test-server: initdb in a temporary
# directory, a Unix socket there, fsync on, shared_buffers 128MB). Both daemons share one data
# directory (the report files they read are there), as daemons on several machines would share
# it over the network. Goals (issue 14): one daemon at least a third of \copy's rows/s; two
# daemons at least 1.6 times one.
#
# Environment: ROWS=1000000, CORPUS_DIR, WORK_DIR=$TMPDIR, DURATION=10 (wrk seconds),
# CONNECTIONS=64, BENCH_OUT=FILE (also write the summary there), KEEP=1 (leave the daemons'
# logs and the server's directory behind).
# Exit status: 0 when it ran (a missed goal prints GOAL MISSED); non-zero when it could not.
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
rows=${ROWS:-1000000}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus}
work_dir=${WORK_DIR:-${TMPDIR:-/tmp}}
duration=${DURATION:-10}
conns=${CONNECTIONS:-64}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)

die() {
    echo "ingest-pg: $*" >&2
    exit 1
}
[ -x "$ermes" ] || die "$ermes not found: build it first"
for tool in psql curl wrk python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/install-deps build bench)"
done

corpus=$corpus_dir/2026-01-05-scan_adb-bench-geo.csv
lines=""
[ ! -f "$corpus" ] || lines=$(($(wc -l <"$corpus") - 1))
if [ "$lines" != "$rows" ]; then
    echo "ingest-pg: making $corpus ($rows rows)"
    python3 bench/make-shadowserver-corpus.py --rows "$rows" --out "$corpus_dir" >/dev/null ||
        die "could not make the corpus"
fi

tmp=$(mktemp -d "$work_dir/ermes-bench-pg.XXXXXX")
pgdir=$(mktemp -d /tmp/ermes-bench-pg-server.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    if [ "${KEEP:-}" = 1 ]; then
        echo "ingest-pg: kept $tmp (daemons' logs) and $pgdir" >&2
    else
        rm -rf "$tmp" "$pgdir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }

# The two halves, each a report of its own (a Shadowserver file name: the type comes from it).
half=$((rows / 2))
h1=$tmp/2026-01-05-scan_adb-bench1-geo.csv
h2=$tmp/2026-01-05-scan_adb-bench2-geo.csv
head -1 "$corpus" >"$h1"
head -1 "$corpus" >"$h2"
tail -n +2 "$corpus" | head -n "$half" >>"$h1"
tail -n +$((half + 2)) "$corpus" >>"$h2"
cat "$corpus" "$h1" "$h2" >/dev/null # page cache

pg=$(scripts/pg-test-server start "$pgdir") || die "could not start PostgreSQL"
url_of() { echo "$pg&options=-csearch_path%3D$1"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# ---- PostgreSQL's ceiling: \copy into a plain table ---------------------------------------
q "$pg" "CREATE SCHEMA plain"
cols=$(head -1 "$corpus" | tr -d '"\r' | tr ',' '\n' | awk '{ printf "%sc%d text", (NR > 1 ? ", " : ""), NR }')
q "$(url_of plain)" "CREATE TABLE t ($cols)"
s=$(now)
q "$(url_of plain)" "\\copy t FROM '$corpus' WITH (FORMAT csv, HEADER true)" >/dev/null
t_copy=$(calc "$(now) - $s")
n=$(q "$(url_of plain)" "SELECT count(*) FROM t")
[ "$n" = "$rows" ] || die "\\copy loaded $n rows, want $rows"

# ---- ermes: one daemon, then two -----------------------------------------------------------
serve() { # serve NAME URL DATA: a daemon; its port in $tmp/NAME.port
    ERMES_DATABASE_URL=$2 "$ermes" serve --data-dir "$3" --listen 127.0.0.1:0 \
        --port-file "$tmp/$1.port" >"$tmp/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do
        [ -s "$tmp/$1.port" ] && return 0
        sleep 0.1
    done
    cat "$tmp/$1.log" >&2
    die "daemon $1 did not start"
}
post() { # post NAME FILE: the report to daemon NAME
    curl -sf -H "Authorization: Bearer $token" --data-binary "@$2" \
        "http://127.0.0.1:$(cat "$tmp/$1.port")/api/v1/reports?feed=shadowserver&file_name=$(basename "$2")" \
        >/dev/null || die "POST to $1 failed"
}
wait_done() { # wait_done URL: until both reports are done
    local n
    for _ in $(seq 1 36000); do
        n=$(q "$1" "SELECT count(*) FROM reports WHERE state IN ('done', 'failed')")
        [ "$n" = 2 ] && return 0
        sleep 0.2
    done
    die "the reports were not done in two hours"
}
stop_daemons() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
}
run_intake() { # run_intake NAME DAEMONS: the seconds into $tmp/NAME.secs
    local url data s p1 p2
    url=$(url_of "$1")
    data=$tmp/$1
    q "$pg" "CREATE SCHEMA $1"
    ERMES_DATABASE_URL=$url "$ermes" init --demo --data-dir "$data" \
        --admin-token-file "$tmp/$1.token" >/dev/null || die "init failed"
    token=$(cat "$tmp/$1.token")
    serve "$1a" "$url" "$data"
    [ "$2" = 1 ] || serve "$1b" "$url" "$data"
    s=$(now)
    post "$1a" "$h1" &
    p1=$!
    if [ "$2" = 1 ]; then post "$1a" "$h2" & else post "$1b" "$h2" & fi
    p2=$!
    wait "$p1" "$p2" || die "a POST failed"
    wait_done "$url"
    calc "$(now) - $s" >"$tmp/$1.secs"
    n=$(q "$url" "SELECT count(*) FROM events")
    [ "$n" = "$rows" ] || die "$1: $n events, want $rows"
    q "$url" "SELECT count(*) FROM reports WHERE state = 'failed'" | grep -qx 0 ||
        die "$1: a report failed"
}
run_intake one 1
t_one=$(cat "$tmp/one.secs")
stop_daemons
run_intake two 2
t_two=$(cat "$tmp/two.secs")
q "$(url_of two)" "SELECT 'report ' || id || ' ' || state || ' rows ' || rows_in || ' in ' || (processed_at - received_at) || ' ms' FROM reports" >"$tmp/two.reports"

# ---- wrk: lookup and events list, one daemon and two, on the 1,000,000 events --------------
token=$(cat "$tmp/two.token")
wrk_rps() { # wrk_rps PORT PATH CONNS: requests/s
    wrk -t1 -c"$3" -d"${duration}s" -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$1$2" 2>/dev/null | sed -n 's/^Requests\/sec: *//p'
}
wrk_p99() { # wrk_p99 PORT PATH CONNS: requests/s and p99
    wrk -t2 -c"$3" -d"${duration}s" --latency -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$1$2" 2>/dev/null | awk '/^Requests\/sec/ { r = $2 } / 99% / { p = $2 } END { print r, p }'
}
lookup="/api/v1/lookup?ip=198.51.100.7"
list="/api/v1/events?limit=100"
pa=$(cat "$tmp/twoa.port")
pb=$(cat "$tmp/twob.port")
read -r lk1 lk1p <<<"$(wrk_p99 "$pa" "$lookup" "$conns")"
read -r ev1 ev1p <<<"$(wrk_p99 "$pa" "$list" "$conns")"
both() { # both PATH: the two daemons at once, half the connections each; summed
    wrk_rps "$pa" "$1" $((conns / 2)) >"$tmp/wa" &
    local w=$!
    wrk_rps "$pb" "$1" $((conns / 2)) >"$tmp/wb"
    wait "$w"
    calc "$(cat "$tmp/wa") + $(cat "$tmp/wb")"
}
lk2=$(both "$lookup")
ev2=$(both "$list")

# ---- SQLite, for comparison: the same events in a SQLite file, one daemon ------------------
stop_daemons
ERMES_DATABASE_URL=$(url_of two) "$ermes" migrate --data-dir "$tmp/two" --to "$tmp/lite.db" \
    >"$tmp/migrate.out" 2>&1 || { cat "$tmp/migrate.out" >&2; die "migrate to SQLite failed"; }
serve lite "$tmp/lite.db" "$tmp/two"
pl=$(cat "$tmp/lite.port")
read -r lks lksp <<<"$(wrk_p99 "$pl" "$lookup" "$conns")"
read -r evs evsp <<<"$(wrk_p99 "$pl" "$list" "$conns")"

# ---- summary -------------------------------------------------------------------------------
verdict() { if [ "$(calc "($1) ? 1 : 0")" = 1 ]; then echo "met"; else echo "GOAL MISSED"; fi; }
r_copy=$(calc "$rows / $t_copy")
r_one=$(calc "$rows / $t_one")
r_two=$(calc "$rows / $t_two")
summary=$(
    printf 'ingest-pg: %d rows of scan_adb (two reports of %d), PostgreSQL %s\n' "$rows" "$half" \
        "$(q "$pg" "SHOW server_version")"
    printf '  %-40s %8s %10s\n' "" "wall s" "rows/s"
    printf '  %-40s %8.2f %10.0f\n' "psql \\copy into a plain table" "$t_copy" "$r_copy"
    printf '  %-40s %8.2f %10.0f\n' "one ermes serve (HTTP, end to end)" "$t_one" "$r_one"
    printf '  %-40s %8.2f %10.0f\n' "two ermes serve, one database" "$t_two" "$r_two"
    sed 's/^/    two daemons: /' "$tmp/two.reports"
    printf '  goal: one daemon >= 1/3 of \\copy : %.2f   %s\n' "$(calc "$r_one / $r_copy")" \
        "$(verdict "$r_one * 3 >= $r_copy")"
    printf '  goal: two daemons >= 1.6 x one   : %.2f   %s\n' "$(calc "$r_two / $r_one")" \
        "$(verdict "$r_two >= 1.6 * $r_one")"
    printf '  wrk (%d connections, %d s)              req/s     p99\n' "$conns" "$duration"
    printf '  lookup, SQLite, one daemon          %8.0f %7s\n' "$lks" "$lksp"
    printf '  lookup, PostgreSQL, one daemon      %8.0f %7s\n' "$lk1" "$lk1p"
    printf '  lookup, PostgreSQL, two daemons     %8.0f\n' "$lk2"
    printf '  events list, SQLite, one daemon     %8.0f %7s\n' "$evs" "$evsp"
    printf '  events list, PostgreSQL, one daemon %8.0f %7s\n' "$ev1" "$ev1p"
    printf '  events list, PostgreSQL, two daemons%8.0f\n' "$ev2"
)
echo "$summary"
[ -z "${BENCH_OUT:-}" ] || echo "$summary" >"$BENCH_OUT"
exit 0
