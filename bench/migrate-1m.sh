#!/bin/bash
# Migration benchmark: a SQLite database of 1,000,000 events (the intake benchmark's
# Shadowserver corpus ingested into the demo constituency) moved with `ermes migrate` to
# PostgreSQL and back to a SQLite file, each step timed, every table's count compared by
# ermes itself, and the events API's answers compared between the three databases.
#
#   bench/migrate-1m.sh [BUILD_DIR]     (BUILD_DIR holds ermes; default: build)
#
# It starts a throwaway PostgreSQL server (scripts/pg-test-server: initdb in a temporary
# directory, a Unix socket there, fsync on). Too slow for the test suite: a program, run by hand
# or by bench/run-all.sh.
#
# Environment: ROWS=1000000, CORPUS_DIR (as ingest-vs-sqlite.sh), WORK_DIR=$TMPDIR.
# Exit status: 0 when it ran and every count and answer was the same; non-zero otherwise.
set -eu

build=${1:-build}
cd "$(dirname "$0")/.."
case "$build" in
/*) ermes=$build/ermes ;;
*) ermes=$PWD/$build/ermes ;;
esac
rows=${ROWS:-1000000}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus}
work_dir=${WORK_DIR:-${TMPDIR:-/tmp}}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)

die() {
    echo "migrate-1m: $*" >&2
    exit 1
}
[ -x "$ermes" ] || die "$ermes not found: build it first"
for tool in psql curl python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

corpus=$corpus_dir/2026-01-05-scan_adb-bench-geo.csv
lines=""
[ ! -f "$corpus" ] || lines=$(($(wc -l <"$corpus") - 1))
if [ "$lines" != "$rows" ]; then
    echo "migrate-1m: making $corpus ($rows rows)"
    python3 bench/make-shadowserver-corpus.py --rows "$rows" --out "$corpus_dir" >/dev/null ||
        die "could not make the corpus"
fi

tmp=$(mktemp -d "$work_dir/ermes-bench-migrate.XXXXXX")
pgdir=$(mktemp -d /tmp/ermes-bench-migrate-pg.XXXXXX)
cleanup() {
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }

pg=$(scripts/pg-test-server start "$pgdir") || die "could not start PostgreSQL"
psql -X -q -d "$pg" -c "CREATE SCHEMA bench" || die "psql failed"
pg_url="$pg&options=-csearch_path%3Dbench"
data=$tmp/data
lite=$data/ermes.db
back=$tmp/back.db

"$ermes" init --demo --data-dir "$data" --admin-token-file "$tmp/admin.token" >/dev/null ||
    die "ermes init failed"
s=$(now)
"$ermes" ingest --data-dir "$data" --feed shadowserver --json "$corpus" >"$tmp/ingest.json" ||
    die "ermes ingest failed"
t_ingest=$(calc "$(now) - $s")
events=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])['events'])" "$tmp/ingest.json")
[ "$events" = "$rows" ] || die "ingested $events events, want $rows"

step() { # step NAME FROM TO: one migration, timed
    local s t
    s=$(now)
    ERMES_DATABASE_URL=$2 "$ermes" migrate --data-dir "$data" --to "$3" >"$tmp/$1.out" 2>&1 ||
        { cat "$tmp/$1.out" >&2; die "$1 failed"; }
    t=$(calc "$(now) - $s")
    grep -q "every table's count is the same" "$tmp/$1.out" || die "$1: counts differ"
    echo "$t"
}
t_to_pg=$(step to_pg "$lite" "$pg_url")
t_back=$(step back "$pg_url" "$back")

# The same queries on the three databases, answered by the daemon over HTTP.
answers() { # answers URL OUT
    local port
    rm -f "$tmp/port"
    ERMES_DATABASE_URL=$1 "$ermes" serve --data-dir "$data" --listen 127.0.0.1:0 \
        --port-file "$tmp/port" >"$tmp/serve.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 300); do
        [ -s "$tmp/port" ] && break
        sleep 0.1
    done
    port=$(cat "$tmp/port")
    : >"$2"
    for q in "events?limit=1000" "events?limit=1000&ip=198.51.100.0/24" \
        "events?limit=1000&org=UMA" "events?limit=100&cursor=500000" \
        "events?limit=1000&since=2026-01-05T06:00:00Z" "events/999999" "reports" "stats"; do
        curl -s -H "Authorization: Bearer $(cat "$tmp/admin.token")" \
            "http://127.0.0.1:$port/api/v1/$q" | sed -e 's/"from":"[^"]*","to":"[^"]*",//' >>"$2"
        echo >>"$2"
    done
    kill "$pid"
    wait "$pid" || true
}
answers "$lite" "$tmp/a.lite"
answers "$pg_url" "$tmp/a.pg"
answers "$back" "$tmp/a.back"
cmp -s "$tmp/a.lite" "$tmp/a.pg" || die "the API answers differently on PostgreSQL"
cmp -s "$tmp/a.lite" "$tmp/a.back" || die "the API answers differently on the SQLite copy"

size_lite=$(du -sk "$lite" | cut -f1)
size_back=$(du -sk "$back" | cut -f1)
size_pg=$(psql -X -At -d "$pg_url" -c "SELECT sum(pg_total_relation_size(c.oid)) / 1024 FROM pg_class c WHERE c.relnamespace = 'bench'::regnamespace AND c.relkind = 'r'")
printf 'migrate-1m: %d events (ingested in %.1f s), %s tables\n' "$events" "$t_ingest" \
    "$(grep -c '^  [a-z_]* *[0-9]' "$tmp/to_pg.out")"
printf '  %-34s %8s %10s %12s\n' "" "wall s" "events/s" "target MiB"
printf '  %-34s %8.1f %10.0f %12.0f\n' "SQLite -> PostgreSQL (COPY)" "$t_to_pg" \
    "$(calc "$events / $t_to_pg")" "$(calc "$size_pg / 1024")"
printf '  %-34s %8.1f %10.0f %12.0f\n' "PostgreSQL -> SQLite" "$t_back" \
    "$(calc "$events / $t_back")" "$(calc "$size_back / 1024")"
printf '  source SQLite file %.0f MiB; every count equal both ways; the API answers the same on all three\n' \
    "$(calc "$size_lite / 1024")"
