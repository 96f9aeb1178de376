#!/bin/bash
# inet and GiST against today's address index on PostgreSQL (issue 14, item 2). event_ips as
# ermes keeps it (ip BYTEA, id; PRIMARY KEY (ip, id): a network is the range BETWEEN its first
# and last address, src/store/events.c's EVENT_NET) beside the same rows as an inet column with
# a GiST index (inet_ops; a network is ip <<= 'net'). ROWS addresses (default 2,000,000) spread
# over 10.0.0.0/8, each with an id; then, for networks of each size (a /32, /24, /16,
# /8), the ids of the events in it (count) and the first 100 in id order, as the events list
# asks, each query REPEAT times (default 200) on a warm cache, and each index's size.
#
#   bench/inet-gist-pg.sh
#
# Environment: ROWS=2000000, REPEAT=200, BENCH_OUT=FILE (also write the summary there),
# KEEP=1 (leave the server's directory behind).
set -eu

cd "$(dirname "$0")/.."
rows=${ROWS:-2000000}
repeat=${REPEAT:-200}
command -v psql >/dev/null 2>&1 || { echo "inet-gist-pg: psql not found" >&2; exit 1; }
pgdir=$(mktemp -d /tmp/ermes-bench-inet.XXXXXX)
cleanup() {
    scripts/pg-test-server stop "$pgdir" >/dev/null 2>&1 || true
    [ "${KEEP:-}" = 1 ] || rm -rf "$pgdir"
}
trap cleanup EXIT
pg=$(scripts/pg-test-server start "$pgdir") || { echo "inet-gist-pg: no server" >&2; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$pg" -c "$1"; }

q "CREATE TABLE bt (ip BYTEA NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (ip, id));
   CREATE TABLE gi (ip INET NOT NULL, id BIGINT NOT NULL);
   INSERT INTO gi SELECT ('10.' || (n % 4096) / 16 || '.' || (n % 16) * 16 + (n / 4096) % 16 || '.'
       || (n * 7919) % 256)::inet, n FROM generate_series(1, $rows::bigint) n;
   INSERT INTO bt SELECT decode(lpad(to_hex((ip - '0.0.0.0'::inet)::bigint), 8, '0'), 'hex'), id
       FROM gi;
   CREATE INDEX gi_ip ON gi USING gist (ip inet_ops);
   CREATE INDEX gi_id ON gi (id)" >/dev/null
q "VACUUM ANALYZE bt" # outside a transaction, each
q "VACUUM ANALYZE gi"

# A network as the B-tree's range (first and last address as bytes) and as inet.
range() { # range CIDR: "'\\x..'::bytea AND '\\x..'::bytea"
    q "SELECT format('%L::bytea AND %L::bytea',
        '\\x' || lpad(to_hex((network('$1'::inet) - '0.0.0.0'::inet)::bigint), 8, '0'),
        '\\x' || lpad(to_hex((broadcast('$1'::inet) - '0.0.0.0'::inet)::bigint), 8, '0'))"
}
timed() { # timed SQL: ms per run, REPEAT runs in one session
    local f
    f=$(mktemp)
    for _ in $(seq 1 "$repeat"); do echo "$1;"; done >"$f"
    local s e
    q "$1" >/dev/null # warm
    s=$(date +%s%N)
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$pg" -f "$f" >/dev/null
    e=$(date +%s%N)
    rm -f "$f"
    awk "BEGIN { printf \"%.3f\", ($e - $s) / 1e6 / $repeat }"
}

summary=$(
    echo "inet-gist-pg: $rows addresses; ms per query (mean of $repeat, one session, warm)"
    printf '  %-16s %10s %12s %12s %12s %12s\n' network events "B-tree count" "GiST count" \
        "B-tree 100" "GiST 100"
    for net in 10.3.5.77/32 10.3.5.0/24 10.3.0.0/16 10.0.0.0/8; do
        r=$(range "$net")
        n=$(q "SELECT count(*) FROM gi WHERE ip <<= '$net'")
        nb=$(q "SELECT count(*) FROM bt WHERE ip BETWEEN $r AND length(ip) = 4")
        [ "$n" = "$nb" ] || { echo "inet-gist-pg: $net: $n against $nb" >&2; exit 1; }
        printf '  %-16s %10s %12s %12s %12s %12s\n' "$net" "$n" \
            "$(timed "SELECT count(*) FROM bt WHERE ip BETWEEN $r AND length(ip) = 4")" \
            "$(timed "SELECT count(*) FROM gi WHERE ip <<= '$net'")" \
            "$(timed "SELECT id FROM bt WHERE ip BETWEEN $r AND length(ip) = 4 ORDER BY id LIMIT 100")" \
            "$(timed "SELECT id FROM gi WHERE ip <<= '$net' ORDER BY id LIMIT 100")"
    done
    echo "  index size: B-tree (ip, id) $(q "SELECT pg_size_pretty(pg_relation_size('bt_pkey'))"),"\
        "GiST (ip) $(q "SELECT pg_size_pretty(pg_relation_size('gi_ip'))")"
)
echo "$summary"
[ -z "${BENCH_OUT:-}" ] || echo "$summary" >>"$BENCH_OUT"
