#!/bin/bash
# Where an intake's CPU goes on PostgreSQL: `ermes ingest` of ROWS Shadowserver rows
# (bench/make-shadowserver-corpus.py) into a fresh schema, the CPU of ermes (/usr/bin/time)
# and of the server (the postmaster's children's CPU before and after: the backend, the WAL
# writer, the checkpointer), beside psql's `\copy` of the same file into a plain table of text
# columns; each binary given and `\copy` in turn, ROUNDS times, then the medians. CPU times,
# not wall times, are what to compare on a shared machine.
#
#   bench/ingest-pg-cpu.sh BUILD_DIR [BUILD_DIR...]   (each holds an ermes)
#
# It starts its own server (scripts/pg-test-server), with autovacuum off so that the rounds
# are alike, and with STATS=1 pg_stat_statements loaded, whose statements (execution time,
# calls) it prints after each binary's first round.
# Environment: ROWS=200000, ROUNDS=5, CORPUS_DIR, WORK_DIR=$TMPDIR, STATS=0.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
cd "$(dirname "$0")/.."
rows=${ROWS:-200000}
rounds=${ROUNDS:-5}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus-$rows}
work_dir=${WORK_DIR:-${TMPDIR:-/tmp}}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)
die() {
    echo "ingest-pg-cpu: $*" >&2
    exit 1
}
bins=()
for b in "$@"; do
    case "$b" in /*) ;; *) b=$PWD/$b ;; esac
    [ -x "$b/ermes" ] || die "$b/ermes not found: build it first"
    bins+=("$b/ermes")
done
for tool in psql python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (scripts/install-deps build bench)"
done
corpus=$corpus_dir/2026-01-05-scan_adb-bench-geo.csv
lines=""
[ ! -f "$corpus" ] || lines=$(($(wc -l <"$corpus") - 1))
if [ "$lines" != "$rows" ]; then
    python3 bench/make-shadowserver-corpus.py --rows "$rows" --out "$corpus_dir" >/dev/null ||
        die "could not make the corpus"
fi

tmp=$(mktemp -d "$work_dir/ermes-bench-cpu.XXXXXX")
pgdir=$(mktemp -d /tmp/ermes-bench-cpu-server.XXXXXX)
cleanup() {
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT
pg=$(scripts/pg-test-server start "$pgdir") || die "could not start PostgreSQL"
{
    echo "autovacuum = off"
    [ "${STATS:-0}" != 1 ] || echo "shared_preload_libraries = 'pg_stat_statements'"
} >>"$pgdir/data/postgresql.conf"
scripts/pg-test-server stop "$pgdir" >/dev/null
scripts/pg-test-server restart "$pgdir" >/dev/null || die "could not restart PostgreSQL"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
[ "${STATS:-0}" != 1 ] || q "$pg" "CREATE EXTENSION pg_stat_statements"
pm=$(head -1 "$pgdir/data/postmaster.pid")
hz=$(getconf CLK_TCK)
server_ticks() { # the postmaster's children: those gone and those alive
    local t c
    t=$(awk '{ print $16 + $17 }' "/proc/$pm/stat")
    for c in $(ps -o pid= --ppid "$pm"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo "$t"
}
settle() { # until the server's CPU stands still (the last backend has exited)
    local a b
    b=$(server_ticks)
    for _ in $(seq 1 50); do
        sleep 0.2
        a=$(server_ticks)
        [ "$a" = "$b" ] && return 0
        b=$a
    done
}
one_round() { # one_round WHAT ROUND (WHAT: a binary's index or copy): "server client wall" s
    local what=$1 schema url data b a s t
    schema=r$2w$what
    url="$pg&options=-csearch_path%3D$schema"
    q "$pg" "CREATE SCHEMA $schema"
    if [ "$what" = copy ]; then
        q "$url" "CREATE TABLE t ($(head -1 "$corpus" | tr -d '"\r' | tr ',' '\n' |
            awk '{ printf "%sc%d text", (NR > 1 ? ", " : ""), NR }'))"
        settle
        b=$(server_ticks)
        s=$(date +%s.%N)
        /usr/bin/time -f '%U %S' -o "$tmp/time" psql -X -q -At -v ON_ERROR_STOP=1 -d "$url" \
            -c "\\copy t FROM '$corpus' WITH (FORMAT csv, HEADER true)" >/dev/null
    else
        data=$tmp/$schema
        ERMES_DATABASE_URL=$url "${bins[$what]}" init --demo --data-dir "$data" \
            --admin-token-file "$data.token" >/dev/null || die "init failed"
        [ "${STATS:-0}" != 1 ] || q "$url" "SELECT public.pg_stat_statements_reset()" >/dev/null
        settle
        b=$(server_ticks)
        s=$(date +%s.%N)
        ERMES_DATABASE_URL=$url /usr/bin/time -f '%U %S' -o "$tmp/time" "${bins[$what]}" ingest \
            --data-dir "$data" --feed shadowserver --json "$corpus" >"$tmp/ingest.json" || true
    fi
    t=$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
    settle
    a=$(server_ticks)
    if [ "$what" = copy ]; then
        [ "$(q "$url" "SELECT count(*) FROM t")" = "$rows" ] || die "\\copy loaded too few rows"
    else
        [ "$(q "$url" "SELECT count(*) FROM events")" = "$rows" ] || die "${bins[$what]}: too few events"
        if [ "${STATS:-0}" = 1 ] && [ "$2" = 1 ]; then
            echo "  statements, ${bins[$what]} (ms, calls, query):" >&2
            psql -X -At -F ' | ' -d "$url" -c "SELECT round(total_exec_time::numeric, 1), calls,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 100) FROM public.pg_stat_statements
                ORDER BY total_exec_time DESC LIMIT 12" | sed 's/^/    /' >&2
        fi
    fi
    q "$pg" "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE" >/dev/null
    [ "$what" = copy ] || rm -rf "$data" "$data.token"
    echo "$(awk -v a="$a" -v b="$b" -v hz="$hz" 'BEGIN { printf "%.2f", (a - b) / hz }')" \
        "$(awk '{ printf "%.2f", $1 + $2 }' "$tmp/time")" "$t"
}
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -A server client wall
echo "ingest-pg-cpu: $rows rows, $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
    for w in $(seq 0 $((${#bins[@]} - 1))) copy; do
        read -r sv cl wl <<<"$(one_round "$w" "$r")"
        server[$w]+="$sv "
        client[$w]+="$cl "
        wall[$w]+="$wl "
    done
done
printf '  %-44s %-12s %-12s %s\n' "" "server CPU" "client CPU" "wall (medians, s)"
for w in $(seq 0 $((${#bins[@]} - 1))) copy; do
    if [ "$w" = copy ]; then name="psql \\copy into a plain table"; else name=${bins[$w]}; fi
    printf '  %-44s %-12s %-12s %.2f\n' "$name" "$(echo "${server[$w]}" | median)" \
        "$(echo "${client[$w]}" | median)" "$(echo "${wall[$w]}" | median)"
    printf '    rounds: server %s\n' "${server[$w]}"
done
echo "ingest-pg-cpu: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
