#!/bin/sh
# The retro-hunt over about 1 GB of zstd-compressed Suricata EVE with a handful of new
# indicators, against `zstd -dc` of the same archive to /dev/null; one core (taskset -c 0).
#
# Usage: bench/retro-vs-zstd.sh BUILD_DIR [CORPUS_DIR]   (default /tmp/ermes-match-corpus)
#   CORPUS_DIR holds eve.json (../shared/bench/gen_eve.py, made when missing, as
#   match-vs-grep.sh does); the archive is CORPUS_DIR/retro-archive: eve.json compressed with
#   `zstd -3` once, copied as hourly files up to ARCHIVE_MB (default 1000) MB.
#   ROUNDS (default 3) timings of each, alternating; the best of each is compared.
# Goal: the retro-hunt at least 0.8 of zstd -dc's speed. Exit 1 when the answers are wrong.
set -eu
build=$(cd "${1:?build dir}" && pwd)
corpus=${2:-/tmp/ermes-match-corpus}
rounds=${ROUNDS:-3}
archive_mb=${ARCHIVE_MB:-1000}
shared=$(cd "$(dirname "$0")/../../shared/bench" && pwd)
mkdir -p "$corpus"
cd "$corpus"
[ -s dns.log ] && [ -s indicators.txt ] || /usr/bin/python3 "$shared/gen_dns_log.py" 200 >/dev/null
[ -s eve.json ] && [ -s ind_ja3.txt ] || /usr/bin/python3 "$shared/gen_eve.py" >/dev/null
calc() { awk "BEGIN { print ($1) }"; }
min() { awk "BEGIN { print ($1 < $2) ? $1 : $2 }"; }
now() { date +%s.%N; }
pin="taskset -c 0"

# The archive, made once (parallel compression is fine for preparing it).
arch=retro-archive
if [ ! -s "$arch/.complete" ]; then
    rm -rf "$arch" && mkdir -p "$arch/2024-05"
    zstd -3 -q -f -T0 eve.json -o "$arch/.eve.json.zst"
    one=$(stat -c %s "$arch/.eve.json.zst")
    copies=$(( (archive_mb * 1000000 + one - 1) / one ))
    i=0
    while [ "$i" -lt "$copies" ]; do
        cp "$arch/.eve.json.zst" "$(printf '%s/2024-05/eve-2024-05-%02d-%02d.json.zst' "$arch" $((i / 24 + 1)) $((i % 24)))"
        i=$((i + 1))
    done
    echo "$copies" > "$arch/.complete"
fi
copies=$(cat "$arch/.complete")
bytes=$(cat "$arch"/2024-05/*.zst | wc -c)
cat "$arch"/2024-05/*.zst > /dev/null # page cache

# A handful of new indicators, taken from the corpus (so that they match), and one absent.
dom=$(grep -m 50 -o '"rrname":"x[0-9a-f]\{6\}\.[^"]*"' eve.json | tail -1 | sed 's/^"rrname":"x[0-9a-f]*\.//; s/"$//')
sha=$(grep -m 3 -o '"sha256":"[0-9a-f]*"' eve.json | tail -1 | sed 's/.*:"//; s/"$//')
ja3=$(grep -m 3 -o '"ja3":{"hash":"[0-9a-f]*"' eve.json | tail -1 | sed 's/.*:"//; s/"$//')
ip=$(grep -m 300 -o '"dest_ip":"[0-9.]*"' eve.json | grep -v '"10\.' | tail -1 | sed 's/.*:"//; s/"$//')
inds="$dom $sha $ja3 $ip retro-absent.example"
echo "archive: $copies files, $(calc "$bytes / 1e9") GB zstd-compressed; indicators: $inds"

# The right answer: one file parsed record by record, without the prefilter.
mkdir -p retro-one && cp "$arch/.eve.json.zst" retro-one/eve.json.zst
one_line=$($pin "$build/bench_retro" --quiet --no-prefilter retro-one $inds)
want=$(echo "$one_line" | sed 's/.* matches \([0-9]*\) .*/\1/')
want=$((want * copies))
s=$(now); $pin "$build/bench_retro" --quiet retro-one $inds > /dev/null; t1=$(calc "$(now) - $s")
printf 'one file, every record parsed: %s s; with the prefilter: %.3f s\n' \
    "$(echo "$one_line" | sed 's/.* seconds \([0-9.]*\) .*/\1/')" "$t1"

best_z=""; best_r=""; got=""; dec=""
r=0
while [ "$r" -lt "$rounds" ]; do
    s=$(now); $pin zstd -q -dc "$arch"/2024-05/*.zst > /dev/null; tz=$(calc "$(now) - $s")
    best_z=$(min "${best_z:-1e9}" "$tz")
    s=$(now); line=$($pin "$build/bench_retro" --quiet "$arch" $inds); t=$(calc "$(now) - $s")
    best_r=$(min "${best_r:-1e9}" "$t")
    got=$(echo "$line" | sed 's/.* matches \([0-9]*\) .*/\1/')
    dec=$(echo "$line" | sed 's/.* bytes_scanned \([0-9]*\) .*/\1/')
    printf '  round %d: zstd -dc %.2f s, retro-hunt %.2f s (%s)\n' $((r + 1)) "$tz" "$t" "$line"
    r=$((r + 1))
done
ratio=$(calc "$best_z / $best_r")
printf 'zstd -dc > /dev/null : %6.2f s  %5.2f GB/s compressed  %5.2f GB/s decompressed\n' \
    "$best_z" "$(calc "$bytes / 1e9 / $best_z")" "$(calc "$dec / 1e9 / $best_z")"
printf 'ermes retro-hunt     : %6.2f s  %5.2f GB/s compressed  %5.2f GB/s decompressed  %s sightings\n' \
    "$best_r" "$(calc "$bytes / 1e9 / $best_r")" "$(calc "$dec / 1e9 / $best_r")" "$got"
verdict="GOAL MISSED"
[ "$(calc "$ratio >= 0.8")" = 1 ] && verdict=met
printf 'speed ratio retro/zstd: %.2f (goal >= 0.8: %s)\n' "$ratio" "$verdict"
if [ "$got" != "$want" ]; then
    echo "retro-vs-zstd: $got sightings, expected $want (parsing every record)" >&2
    exit 1
fi
