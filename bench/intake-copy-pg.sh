#!/bin/bash
# What each part of an intake's rows costs PostgreSQL, and what the cheaper shapes issue 14
# proposes would save: `ermes ingest` of ROWS Shadowserver rows (bench/make-shadowserver-corpus.py)
# into a server of its own, then the rows it stored (events in id order; event_ips as the
# intake sent them, each batch's sorted by address) are written out in COPY's binary format
# and loaded again with COPY into empty tables of each shape below, one shape at a time,
# ROUNDS times in turn, beside psql's `\copy` of the CSV into a plain table of text columns.
# For each: the server backend's CPU for the COPY (its /proc/self/stat, read through
# pg_read_file in the same session) and the WAL it wrote. No ermes code runs in the timed
# part: only the server's side of the rows is measured.
#
#   bench/intake-copy-pg.sh BUILD_DIR   (holds an ermes)
#
# Shapes (events as migration 62 makes each partition; event_ips its address index):
#   events: heap / +primary key / +UNIQUE (report_id, row) / +events_org (today)
#   event_ips (ip BYTEA, id) primary key: batches sorted (today) / in id order (unsorted) /
#     all rows sorted at once (what larger batches would approach)
#   event_ips with a fixed-width key: uuid (an IPv4 address mapped into ::ffff:0:0/96)
#   the fold: events with an index (source_ip, id) instead of event_ips
# Environment: ROWS=200000, ROUNDS=5, CORPUS_DIR, KEEP=1 (leave the server's directory).
set -eu

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
cd "$(dirname "$0")/.."
rows=${ROWS:-200000}
rounds=${ROUNDS:-5}
corpus_dir=${CORPUS_DIR:-${TMPDIR:-/tmp}/ermes-bench-corpus-$rows}
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)
die() {
    echo "intake-copy-pg: $*" >&2
    exit 1
}
bin=$1
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
bin=$bin/ermes
[ -x "$bin" ] || die "$bin not found: build it first"
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

pgdir=$(mktemp -d /tmp/ermes-bench-copy.XXXXXX)
cleanup() {
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    [ "${KEEP:-}" = 1 ] || rm -rf "$pgdir"
}
trap cleanup EXIT
pg=$(scripts/pg-test-server start "$pgdir") || die "could not start PostgreSQL"
echo "autovacuum = off" >>"$pgdir/data/postgresql.conf"
scripts/pg-test-server stop "$pgdir" >/dev/null
scripts/pg-test-server restart "$pgdir" >/dev/null || die "could not restart PostgreSQL"
files=$pgdir/files # written and read by the server, which runs as another user
mkdir "$files"
chmod 777 "$files"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$pg" "$@"; }

echo "intake-copy-pg: $rows rows, $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
data=$pgdir/ermes
url="$pg&options=-csearch_path%3Dsrc"
q -c "CREATE SCHEMA src"
ERMES_DATABASE_URL=$url "$bin" init --demo --data-dir "$data" --admin-token-file "$data.token" \
    >/dev/null || die "init failed"
ERMES_DATABASE_URL=$url "$bin" ingest --data-dir "$data" --feed shadowserver --json "$corpus" \
    >/dev/null || die "ingest failed"
q -c "SET search_path = src;
  COPY (SELECT * FROM events ORDER BY id) TO '$files/events.bin' (FORMAT binary);
  COPY (SELECT ip, id FROM event_ips ORDER BY tableoid, ctid) TO '$files/ips.bin' (FORMAT binary);
  COPY (SELECT ip, id FROM event_ips ORDER BY id, ip) TO '$files/ips-id.bin' (FORMAT binary);
  COPY (SELECT ip, id FROM event_ips ORDER BY ip, id) TO '$files/ips-all.bin' (FORMAT binary);
  COPY (SELECT (CASE WHEN length(ip) = 4 THEN '00000000000000000000ffff' ELSE '' END
    || encode(ip, 'hex'))::uuid, id FROM event_ips ORDER BY tableoid, ctid)
    TO '$files/ips-uuid.bin' (FORMAT binary);
  CREATE FUNCTION public.cpu_ticks() RETURNS bigint LANGUAGE sql AS \$\$ SELECT
    split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint FROM
    (SELECT pg_read_file('/proc/self/stat') s) x \$\$"
echo "  rows stored: events $(q -c "SELECT count(*) FROM src.events"), event_ips" \
    "$(q -c "SELECT count(*) FROM src.event_ips"); events $(q -c "SELECT
    pg_size_pretty(sum(pg_table_size(relid))) FROM pg_partition_tree('src.events')") heap, mean row $(q -c "SELECT
    round(avg(pg_column_size(e.*))) FROM src.events e") bytes, document $(q -c "SELECT
    round(avg(length(data))) FROM src.events") bytes"
header=$(head -1 "$corpus" | tr -d '"\r' | tr ',' '\n' |
    awk '{ printf "%sc%d text", (NR > 1 ? ", " : ""), NR }')
hz=$(getconf CLK_TCK)

events="CREATE TABLE events (LIKE src.events INCLUDING DEFAULTS);"
pkey="ALTER TABLE events ADD PRIMARY KEY (id);"
unique="ALTER TABLE events ADD UNIQUE (report_id, row);"
org="CREATE INDEX events_org ON events (org_id, id) WHERE org_id IS NOT NULL;"
ips="CREATE TABLE event_ips (ip BYTEA NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (ip, id));"
ips_uuid="CREATE TABLE event_ips (ip UUID NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (ip, id));"
fold="CREATE INDEX events_ip ON events (source_ip, id) WHERE source_ip IS NOT NULL;"
load_events="COPY events FROM '$files/events.bin' (FORMAT binary);"
names=(
    "events: heap alone"
    "events: + primary key (id)"
    "events: + UNIQUE (report_id, row)"
    "events: + events_org (today's events)"
    "event_ips bytea, each batch sorted (today)"
    "event_ips bytea, in id order (unsorted)"
    "event_ips bytea, all rows sorted as one batch"
    "event_ips uuid key, each batch sorted"
    "today: events + event_ips"
    "fold: events + (source_ip, id), no event_ips"
    "psql \\copy of the CSV, plain text table"
)
ddl=(
    "$events"
    "$events $pkey"
    "$events $pkey $unique"
    "$events $pkey $unique $org"
    "$ips"
    "$ips"
    "$ips"
    "$ips_uuid"
    "$events $pkey $unique $org $ips"
    "$events $pkey $unique $org $fold"
    "CREATE TABLE t ($header);"
)
load=(
    "$load_events"
    "$load_events"
    "$load_events"
    "$load_events"
    "COPY event_ips FROM '$files/ips.bin' (FORMAT binary);"
    "COPY event_ips FROM '$files/ips-id.bin' (FORMAT binary);"
    "COPY event_ips FROM '$files/ips-all.bin' (FORMAT binary);"
    "COPY event_ips FROM '$files/ips-uuid.bin' (FORMAT binary);"
    "$load_events COPY event_ips FROM '$files/ips.bin' (FORMAT binary);"
    "$load_events"
    "\\copy t FROM '$corpus' WITH (FORMAT csv, HEADER true)"
)
one() { # one SHAPE: "cpu_s wal_mib" of loading its rows into a fresh schema
    q -c "CREATE SCHEMA v; SET search_path = v; ${ddl[$1]}"
    q <<SQL
SET search_path = v;
CHECKPOINT;
SELECT public.cpu_ticks() AS c0, pg_current_wal_lsn() AS w0 \\gset
$(tr ';' '\n' <<<"${load[$1]}" | awk 'NF { print $0 ";" }' | sed 's/^\(\\copy.*\);$/\1/')
SELECT round((public.cpu_ticks() - :c0) / $hz.0, 2) || ' ' ||
    round((pg_current_wal_lsn() - :'w0'::pg_lsn) / 1048576.0, 1);
SQL
    q -c "SET client_min_messages = warning; DROP SCHEMA v CASCADE"
}
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
declare -a cpu wal
for _ in $(seq 1 "$rounds"); do
    for k in "${!names[@]}"; do
        read -r c w <<<"$(one "$k")"
        cpu[k]+="$c "
        wal[k]+="$w "
    done
done
printf '  %-46s %-16s %s\n' "" "server CPU (s)" "WAL (MiB), medians; rounds"
for k in "${!names[@]}"; do
    printf '  %-46s %-16s %-8s %s\n' "${names[$k]}" "$(echo "${cpu[$k]}" | median)" \
        "$(echo "${wal[$k]}" | median)" "${cpu[$k]}"
done
echo "intake-copy-pg: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
