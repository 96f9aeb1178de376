#!/bin/bash
# Intake benchmark: a 1,000,000-row Shadowserver report ingested end to end by ermes (received
# durably, parsed, deduplicated, enriched with the owning organisation, stored) against
# sqlite3's own `.import --csv` of the same file into a plain table (the store's ceiling), on
# one core, in the same run.
#
#   bench/ingest-vs-sqlite.sh [BUILD_DIR]    (BUILD_DIR holds ermes; default: build, relative to
#                                             the repository root; nothing is built here)
#
# It makes the corpus with bench/make-shadowserver-corpus.py when it is missing (kept in
# CORPUS_DIR for the next run), reads it once into the page cache, then runs
#   taskset -c 0 /usr/bin/time -v ermes ingest --feed shadowserver --json FILE
#       into a fresh data dir holding the demo constituency (so enrichment finds owners);
#   taskset -c 0 /usr/bin/time -v sqlite3 fresh.db ".import --csv FILE t"
# and prints wall time, rows/s and peak RSS of each, the ratio, and whether the goals hold:
# ermes at least 100,000 rows/s, at least a third of .import's rows/s, and a peak RSS under
# twice the file's size. ermes's database runs as it always does (WAL, synchronous=FULL,
# batch_rows rows per transaction); sqlite3's shell has its defaults (rollback journal,
# synchronous=FULL, the whole import in one transaction).
#
# Exit status: 0 when the benchmark ran, goals met or not (a miss prints "GOAL MISSED");
# non-zero when it could not run or a side got a wrong answer (a row count that is not ROWS).
#
# Environment:
#   REPORT=scan_adb     the sample replicated: scan_adb (about 180 B a row, 182 MB) or
#                       scan_ssl (about 1 kB a row, 1 GB; slower, and sqlite3's own ceiling
#                       is then under the 100,000 rows/s goal)
#   ROWS=1000000        rows in the corpus
#   CORPUS_DIR=$TMPDIR/ermes-bench-corpus   where the corpus is made and kept
#   WORK_DIR=$TMPDIR    where the throwaway data dir and database go (same disk for both)
#   CPU=0               the core both sides are pinned to
#   BENCH_OUT=FILE      also write the summary to FILE
#   ERMES_BATCH_ROWS    passed to ermes as --batch-rows (unset: ermes's default); every other
#                       ERMES_* variable is dropped, so ermes runs with its defaults
set -eu

build=${1:-build}
case "${BENCH_OUT:-}" in
"" | /*) ;;
*) BENCH_OUT=$PWD/$BENCH_OUT ;;
esac
cd "$(dirname "$0")/.."
case "$build" in
/*) ermes=$build/ermes ;;
*) ermes=./$build/ermes ;;
esac

report=${REPORT:-scan_adb}
rows=${ROWS:-1000000}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus}
work_dir=${WORK_DIR:-${TMPDIR:-/tmp}}
cpu=${CPU:-0}
batch_rows=${ERMES_BATCH_ROWS:-}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)

die() {
    echo "ingest-vs-sqlite: $*" >&2
    exit 1
}

[ -x "$ermes" ] || die "$ermes not found: build it first (make bench, or make build)"
for tool in sqlite3 taskset python3; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) not found: apt-get install time"
case "$rows" in
"" | *[!0-9]* | 0) die "ROWS must be a positive number" ;;
esac

# ---- the corpus ----------------------------------------------------------------------------
corpus=$corpus_dir/2026-01-05-$report-bench-geo.csv
lines=""
[ ! -f "$corpus" ] || lines=$(($(wc -l <"$corpus") - 1))
if [ "$lines" != "$rows" ]; then
    echo "ingest-vs-sqlite: making $corpus ($rows rows)"
    python3 bench/make-shadowserver-corpus.py --rows "$rows" --type "$report" \
        --out "$corpus_dir" >/dev/null || die "could not make the corpus"
fi
bytes=$(stat -c %s "$corpus")

tmp=$(mktemp -d "$work_dir/ermes-bench-ingest.XXXXXX")
# shellcheck disable=SC2317 # the EXIT trap
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }
# field NAME FILE: a value from /usr/bin/time -v's report
field() { sed -n "s/^[[:space:]]*$1: //p" "$2" | head -1; }

cat "$corpus" >/dev/null # page cache, for both sides

# ---- ermes ---------------------------------------------------------------------------------
"$ermes" init --demo --data-dir "$tmp/data" --admin-token-file "$tmp/admin.token" \
    >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; die "ermes init failed"; }
ingest_args=(ingest --data-dir "$tmp/data" --feed shadowserver --json)
[ -z "$batch_rows" ] || ingest_args+=(--batch-rows "$batch_rows")
sync
s=$(now)
rc=0
taskset -c "$cpu" /usr/bin/time -v -o "$tmp/ermes.time" "$ermes" "${ingest_args[@]}" "$corpus" \
    >"$tmp/ermes.json" 2>"$tmp/ermes.err" || rc=$?
te=$(calc "$(now) - $s")
[ "$rc" -le 1 ] || { cat "$tmp/ermes.err" >&2; die "ermes ingest exited with $rc"; }
result=$(tail -1 "$tmp/ermes.json")
count() { # count KEY: an integer from ermes's JSON report
    printf '%s' "$result" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
state=$(count state)
rows_in=$(count rows_in)
events=$(count events)
duplicates=$(count duplicates)
quarantined=$(count quarantined)
if [ "$state" != "done" ] || [ "$rows_in" != "$rows" ]; then
    die "ermes: state $state, rows_in $rows_in (want done, $rows): $result"
fi
owned=$(sqlite3 "$tmp/data/ermes.db" "SELECT count(org_id) FROM events")
rss_e=$(field "Maximum resident set size (kbytes)" "$tmp/ermes.time")
cpu_e=$(calc "$(field "User time (seconds)" "$tmp/ermes.time") + $(field "System time (seconds)" "$tmp/ermes.time")")
db_e=$(du -sk "$tmp/data" | cut -f1)
rm -rf "$tmp/data"

# ---- sqlite3 .import -----------------------------------------------------------------------
sync
s=$(now)
rc=0
taskset -c "$cpu" /usr/bin/time -v -o "$tmp/sqlite.time" sqlite3 "$tmp/plain.db" \
    ".import --csv $corpus t" >"$tmp/sqlite.out" 2>&1 || rc=$?
ts=$(calc "$(now) - $s")
[ "$rc" -eq 0 ] || { cat "$tmp/sqlite.out" >&2; die "sqlite3 .import exited with $rc"; }
n_sqlite=$(sqlite3 "$tmp/plain.db" "SELECT count(*) FROM t")
[ "$n_sqlite" = "$rows" ] || die "sqlite3 imported $n_sqlite rows, want $rows"
rss_s=$(field "Maximum resident set size (kbytes)" "$tmp/sqlite.time")
cpu_s=$(calc "$(field "User time (seconds)" "$tmp/sqlite.time") + $(field "System time (seconds)" "$tmp/sqlite.time")")
db_s=$(du -sk "$tmp/plain.db" | cut -f1)

# ---- summary -------------------------------------------------------------------------------
rps_e=$(calc "$rows / $te")
rps_s=$(calc "$rows / $ts")
ratio=$(calc "$rps_e / $rps_s")
rss_ratio=$(calc "$rss_e * 1024 / $bytes")
verdict() { if [ "$(calc "($1) ? 1 : 0")" = 1 ]; then echo "met"; else echo "GOAL MISSED"; fi; }
summary=$(
    printf 'ingest-vs-sqlite: %d rows of %s, %.1f MB (%s), one core (taskset -c %s)\n' \
        "$rows" "$report" "$(calc "$bytes / 1e6")" "$(basename "$corpus")" "$cpu"
    printf '  %-28s %8s %10s %8s %8s %13s %12s\n' "" "wall s" "rows/s" "MB/s" "CPU s" \
        "peak RSS MiB" "on disk MiB"
    printf '  %-28s %8.2f %10.0f %8.1f %8.2f %13.1f %12.1f\n' "ermes ingest (end to end)" "$te" \
        "$rps_e" "$(calc "$bytes / 1e6 / $te")" "$cpu_e" "$(calc "$rss_e / 1024")" \
        "$(calc "$db_e / 1024")"
    printf '  %-28s %8.2f %10.0f %8.1f %8.2f %13.1f %12.1f\n' "sqlite3 .import --csv" "$ts" \
        "$rps_s" "$(calc "$bytes / 1e6 / $ts")" "$cpu_s" "$(calc "$rss_s / 1024")" \
        "$(calc "$db_s / 1024")"
    printf '  ermes: %d events (%d with an owner), %d duplicates, %d quarantined\n' "$events" \
        "$owned" "$duplicates" "$quarantined"
    printf '  goal: ermes >= 100000 rows/s                : %.0f rows/s        %s\n' "$rps_e" \
        "$(verdict "$rps_e >= 100000")"
    printf '  goal: ermes/sqlite3 >= 1/3                  : %.2f                %s\n' "$ratio" \
        "$(verdict "$ratio >= 1/3")"
    printf '  goal: peak RSS < 2 x file (%.0f MiB)       : %.2f x file         %s\n' \
        "$(calc "2 * $bytes / 1048576")" "$rss_ratio" "$(verdict "$rss_ratio < 2")"
)
echo "$summary"
[ -z "${BENCH_OUT:-}" ] || echo "$summary" >"$BENCH_OUT"
exit 0
