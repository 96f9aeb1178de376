#!/bin/sh
# ermes match against GNU grep -F -f and ripgrep -F -f on the DNS query log, and the engine
# against a jansson-based matcher on EVE; one core (taskset -c 0), one run, same machine.
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
calc() { awk "BEGIN { print $1 }"; }
now() { date +%s.%N; }
mb=$(calc "$(stat -c %s dns.log) / 1000000")
cat dns.log eve.json > /dev/null # page cache

s=$(now); ne=$($pin "$build/ermes" match --indicators indicators.txt --count dns.log); te=$(calc "$(now) - $s")
s=$(now); ng=$($pin grep -F -c -f indicators.txt dns.log); tg=$(calc "$(now) - $s")
s=$(now); nr=$($pin rg -j1 -F -c -f indicators.txt dns.log); tr=$(calc "$(now) - $s")
printf 'dns.log (%.1f MB) vs indicators.txt\n' "$mb"
printf '  ermes match --count : %6.2f s %7.1f MB/s  %s matching lines\n' "$te" "$(calc "$mb/$te")" "$ne"
printf '  grep -F -c -f       : %6.2f s %7.1f MB/s  %s lines (substring semantics)\n' "$tg" "$(calc "$mb/$tg")" "$ng"
printf '  rg -j1 -F -c -f     : %6.2f s %7.1f MB/s  %s lines (substring semantics)\n' "$tr" "$(calc "$mb/$tr")" "$nr"
printf '  ratio vs grep: %.1fx   vs rg: %.1fx\n' "$(calc "$tg/$te")" "$(calc "$tr/$te")"

echo "eve.json vs indicators.txt ind_ip.txt ind_sha256.txt ind_ja3.txt"
$pin "$build/bench_match" eve eve.json indicators.txt ind_ip.txt ind_sha256.txt ind_ja3.txt
$pin "$build/bench_jansson_matcher" eve.json indicators.txt ind_ip.txt ind_sha256.txt ind_ja3.txt
