#!/bin/sh
# ermes match against GNU grep -F -f and ripgrep -F -f on the DNS query log, and the engine
# against a jansson-based matcher on EVE; one core (taskset -c 0), same machine, one run or
# ROUNDS=N runs judged on medians; goals checked (GOAL MISSED), wrong answers exit 1.
#
# Usage: bench/match-vs-grep.sh BUILD_DIR [CORPUS_DIR]   (default /tmp/ermes-match-corpus, made
#   from ../shared/bench/ when missing)
#   CORPUS_DIR holds dns.log, indicators.txt (shared/bench/gen_dns_log.py 200) and eve.json,
#   ind_ip.txt, ind_sha256.txt, ind_ja3.txt (shared/bench/gen_eve.py).
# grep and rg count lines (-c: with output to /dev/null GNU grep stops at the first match).
set -eu
build=$(cd "${1:?build dir}" && pwd)
corpus=${2:-/tmp/ermes-match-corpus}
shared=$(cd "$(dirname "$0")/../../shared/bench" && pwd)
mkdir -p "$corpus"
cd "$corpus"
# The corpora of ../shared/bench/, made once and kept for the next run.
[ -s dns.log ] && [ -s indicators.txt ] || /usr/bin/python3 "$shared/gen_dns_log.py" 200 >/dev/null
[ -s eve.json ] && [ -s ind_ja3.txt ] || /usr/bin/python3 "$shared/gen_eve.py" >/dev/null
pin="taskset -c 0"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }
mb=$(calc "$(stat -c %s dns.log) / 1000000")
cat dns.log eve.json > /dev/null # page cache

# ROUNDS=N (below) also times ermes N times here and takes the median; grep and rg, at half a
# minute each, run once.
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rounds=${ROUNDS:-1}
: > dns-ermes.times
i=0
while [ "$i" -lt "$rounds" ]; do
    s=$(now); ne=$($pin "$build/ermes" match --indicators indicators.txt --count dns.log)
    calc "$(now) - $s" >> dns-ermes.times
    i=$((i + 1))
done
te=$(median < dns-ermes.times)
s=$(now); ng=$($pin grep -F -c -f indicators.txt dns.log); tg=$(calc "$(now) - $s")
s=$(now); nr=$($pin rg -j1 -F -c -f indicators.txt dns.log); tr=$(calc "$(now) - $s")
printf 'dns.log (%.1f MB) vs indicators.txt\n' "$mb"
printf '  ermes match --count : %6.2f s %7.1f MB/s  %s matching lines (median of %s)\n' "$te" "$(calc "$mb/$te")" "$ne" "$rounds"
printf '  grep -F -c -f       : %6.2f s %7.1f MB/s  %s lines (substring semantics)\n' "$tg" "$(calc "$mb/$tg")" "$ng"
printf '  rg -j1 -F -c -f     : %6.2f s %7.1f MB/s  %s lines (substring semantics)\n' "$tr" "$(calc "$mb/$tr")" "$nr"
printf '  ratio vs grep: %.1fx   vs rg: %.1fx\n' "$(calc "$tg/$te")" "$(calc "$tr/$te")"
awk -v n="$ne" -v g="$(calc "$tg/$te")" -v r="$(calc "$tr/$te")" 'BEGIN {
    if (n != 105124) print "GOAL MISSED: dns.log should give exactly 105,124 matching lines";
    if (g < 20) print "GOAL MISSED: under 20x grep -F -f";
    if (r < 15) print "GOAL MISSED: under 15x rg -F -f" }'

echo "eve.json vs indicators.txt ind_ip.txt ind_sha256.txt ind_ja3.txt"
# ROUNDS=N runs both N times, alternating, and judges on the medians (the machine is shared:
# single runs vary by tens of percent).
: > eve-ermes.out
: > eve-jansson.out
i=0
while [ "$i" -lt "$rounds" ]; do
    $pin "$build/bench_match" eve eve.json indicators.txt ind_ip.txt ind_sha256.txt ind_ja3.txt \
        2>/dev/null | tee -a eve-ermes.out
    $pin "$build/bench_jansson_matcher" eve.json indicators.txt ind_ip.txt ind_sha256.txt \
        ind_ja3.txt 2>/dev/null | tee -a eve-jansson.out
    echo
    i=$((i + 1))
done
ee=$(sed -n 's/.* s: \([0-9]*\) records\/s.*/\1/p' eve-ermes.out | median)
ec=$(sed -n 's/.*: \([0-9]*\) records per CPU second.*/\1/p' eve-ermes.out | median)
ej=$(sed -n 's/.* s: \([0-9]*\) events\/s.*/\1/p' eve-jansson.out | median)
printf 'eve.json medians of %s round(s): ermes %.0f events/s (%.0f per CPU second), jansson %.0f events/s; ratio %.1fx\n' \
    "$rounds" "$ee" "$ec" "$ej" "$(calc "$ee/$ej")"
awk -v e="$ee" -v r="$(calc "$ee/$ej")" 'BEGIN {
    if (e < 1000000) print "GOAL MISSED: eve.json under 1,000,000 events/s";
    if (r < 10) print "GOAL MISSED: eve.json under 10x the jansson matcher" }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# Both matchers must find the same events.
me=$(sed -n 's/.*; \([0-9]*\) matching records.*/\1/p' eve-ermes.out | sort -u)
mj=$(sed -n 's/.*; \([0-9]*\) matching events.*/\1/p' eve-jansson.out | sort -u)
if [ "$me" != "$mj" ]; then
    echo "WRONG ANSWER: ermes found $me matching events, the jansson matcher $mj" >&2
    exit 1
fi
