#!/bin/bash
# HTTP benchmark: ermes's authenticated ownership lookup against nginx serving the same JSON
# body as a static file, on the same machine, in the same run.
#
#   bench/http-vs-nginx.sh [BUILD_DIR]    (BUILD_DIR holds ermes; default: build, relative to
#                                          the repository root; `make bench` runs it)
#
# It makes a throwaway demo data dir, starts `ermes serve` on a free loopback port, fetches
#   GET /api/v1/lookup?ip=198.51.100.7   (Authorization: Bearer <admin token>)
# once with curl, writes that exact body to a file that an unprivileged nginx (own temp config,
# access_log off) serves as application/json at the same URL, warms both up, then runs
#   wrk -t2 -c64 -d10s --latency   against nginx, then against ermes,
# with the same request (header included) and prints requests/s, p50 and p99 for each, the
# ratio ermes/nginx and whether the goals hold: ratio >= 0.5 and ermes p99 < 5 ms.
#
# Exit status: 0 when the benchmark ran, goals met or not (a miss prints "GOAL MISSED");
# non-zero when it could not run or a server answered anything but 2xx under load.
#
# Environment:
#   BENCH_OUT=FILE      also write the summary to FILE
#   DURATION=10s        wrk duration of each measured run    (the goal is stated for 10s)
#   WARMUP=2s           wrk duration of each warm-up run
#   THREADS=2 CONNECTIONS=64                                 (the goal is stated for -t2 -c64)
#   NGINX_WORKERS=2     nginx worker_processes (2 = one per core here, nginx's "auto")
#   ROUNDS=1            measured rounds; with more, the order alternates (nginx first in odd
#                       rounds, ermes first in even ones) and the goals are judged on medians
#   ERMES_THREADS       ermes HTTP worker threads (unset: ermes's default); every other
#                       ERMES_* variable is dropped, so ermes runs with its defaults
#   LOOKUP_IP=198.51.100.7
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

duration=${DURATION:-10s}
warmup=${WARMUP:-2s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
nginx_workers=${NGINX_WORKERS:-2}
rounds=${ROUNDS:-1}
case "$rounds" in
"" | *[!0-9]* | 0) echo "http-vs-nginx: ROUNDS must be a positive number" >&2; exit 2 ;;
esac
rounds_label=""
[ "$rounds" -eq 1 ] || rounds_label=yes
ip=${LOOKUP_IP:-198.51.100.7}
path="/api/v1/lookup?ip=$ip"
ermes_threads=${ERMES_THREADS:-}
# ermes reads ERMES_* settings from the environment: drop them, so that the run measures the
# defaults (plus --threads when ERMES_THREADS is set) whatever the caller's shell holds.
while read -r var; do
    unset "$var"
done < <(compgen -e | grep '^ERMES_' || true)

die() {
    echo "http-vs-nginx: $*" >&2
    exit 1
}

[ -x "$ermes" ] || die "$ermes not found: build it first (make bench, or make build)"
for tool in wrk curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: run scripts/install-deps bench"
done
nginx=$(command -v nginx 2>/dev/null || true)
[ -n "$nginx" ] || [ ! -x /usr/sbin/nginx ] || nginx=/usr/sbin/nginx
[ -n "$nginx" ] || die "nginx not found: run scripts/install-deps bench"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ermes-bench.XXXXXX")
ermes_pid=""
nginx_pid=""

# shellcheck disable=SC2317 # only reached from the EXIT trap
stop() { # pid: TERM, then wait up to 5 s, then KILL
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
    [ -z "$nginx_pid" ] || stop "$nginx_pid"
    [ -z "$ermes_pid" ] || stop "$ermes_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- ermes -------------------------------------------------------------------------------
mkdir "$tmp/data"
"$ermes" init --demo --data-dir "$tmp/data" --admin-token-file "$tmp/admin.token" \
    >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; die "ermes init failed"; }
token=$(cat "$tmp/admin.token")

serve_args=(serve --data-dir "$tmp/data" --listen 127.0.0.1:0 --port-file "$tmp/ermes.port")
[ -z "$ermes_threads" ] || serve_args+=(--threads "$ermes_threads")
"$ermes" "${serve_args[@]}" >"$tmp/ermes.log" 2>&1 &
ermes_pid=$!
for _ in $(seq 100); do
    [ -s "$tmp/ermes.port" ] && break
    kill -0 "$ermes_pid" 2>/dev/null || { cat "$tmp/ermes.log" >&2; die "ermes serve exited"; }
    sleep 0.1
done
[ -s "$tmp/ermes.port" ] || { cat "$tmp/ermes.log" >&2; die "ermes serve did not start"; }
ermes_port=$(cat "$tmp/ermes.port")
ermes_url="http://127.0.0.1:$ermes_port$path"

# The reference body, fetched once; nginx serves exactly these bytes.
status=$(curl -sS -o "$tmp/lookup.json" -w '%{http_code} %{content_type}' \
    -H "Authorization: Bearer $token" "$ermes_url") || die "curl $ermes_url failed"
case "$status" in
"200 application/json"*) ;;
*) die "ermes answered '$status' to GET $path (want 200 application/json)" ;;
esac
case "$(head -c 1 "$tmp/lookup.json")" in
"{" | "[") ;;
*) die "ermes's lookup response is not JSON: $(head -c 200 "$tmp/lookup.json")" ;;
esac
grep -q '"found":true' "$tmp/lookup.json" ||
    echo "http-vs-nginx: warning: $ip is not found in the demo constituency" >&2
body_bytes=$(wc -c <"$tmp/lookup.json")

# ---- nginx -------------------------------------------------------------------------------
mkdir -p "$tmp/nginx/html" "$tmp/nginx/temp"
cp "$tmp/lookup.json" "$tmp/nginx/html/lookup.json"
# As root nginx would run its workers as "nobody", which cannot enter the 0700 temp dir; run
# them as the invoking user, as they run when the script is not root.
user_line=""
[ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"

start_nginx() { # port: 0 when nginx answers on it, 1 when it could not listen
    local port=$1
    cat >"$tmp/nginx/nginx.conf" <<EOF
$user_line
worker_processes $nginx_workers;
daemon off;
pid $tmp/nginx/nginx.pid;
lock_file $tmp/nginx/nginx.lock;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    types { }
    default_type application/json;
    client_body_temp_path $tmp/nginx/temp/body;
    proxy_temp_path $tmp/nginx/temp/proxy;
    fastcgi_temp_path $tmp/nginx/temp/fastcgi;
    uwsgi_temp_path $tmp/nginx/temp/uwsgi;
    scgi_temp_path $tmp/nginx/temp/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        root $tmp/nginx/html;
        location = /api/v1/lookup { try_files /lookup.json =404; }
    }
}
EOF
    "$nginx" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" \
        >>"$tmp/nginx/stderr.log" 2>&1 &
    nginx_pid=$!
    for _ in $(seq 50); do
        if ! kill -0 "$nginx_pid" 2>/dev/null; then
            wait "$nginx_pid" 2>/dev/null || true
            nginx_pid=""
            return 1
        fi
        curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/lookup" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

nginx_port=""
for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null && continue # something listens there
    if start_nginx "$port"; then
        nginx_port=$port
        break
    fi
    [ -z "$nginx_pid" ] || die "nginx started but does not answer: $(cat "$tmp/nginx/error.log")"
done
[ -n "$nginx_port" ] || die "nginx did not start: $(cat "$tmp/nginx/error.log" "$tmp/nginx/stderr.log" 2>/dev/null)"
nginx_url="http://127.0.0.1:$nginx_port$path"

curl -sS -o "$tmp/nginx.json" -w '%{content_type}' -H "Authorization: Bearer $token" \
    "$nginx_url" >"$tmp/nginx.ctype" || die "curl $nginx_url failed"
cmp -s "$tmp/lookup.json" "$tmp/nginx.json" || die "nginx does not serve the same body as ermes"
[ "$(cat "$tmp/nginx.ctype")" = application/json ] || die "nginx serves $(cat "$tmp/nginx.ctype")"

# ---- measure -----------------------------------------------------------------------------
run_wrk() { # file url duration
    wrk -t"$threads" -c"$connections" -d"$3" --latency \
        -H "Authorization: Bearer $token" "$2" >"$tmp/$1" 2>&1 ||
        { cat "$tmp/$1" >&2; die "wrk against $2 failed"; }
}

# field file what: requests/s, p50 and p99 in ms, non-2xx count or socket errors from wrk.
field() {
    awk -v want="$2" '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /m$/) return v * 60000
            if (v ~ /s$/) return v * 1000
            return v + 0
        }
        want == "rps" && /^Requests\/sec:/ { print $2; found = 1 }
        want == "p50" && $1 == "50%" { printf "%.3f\n", ms($2); found = 1 }
        want == "p99" && $1 == "99%" { printf "%.3f\n", ms($2); found = 1 }
        want == "non2xx" && /Non-2xx or 3xx responses:/ { print $NF; found = 1 }
        want == "sockerr" && /Socket errors:/ { sub(/^ *Socket errors: */, ""); print; found = 1 }
        END { if (!found) print (want == "non2xx" ? 0 : (want == "sockerr" ? "none" : "?")) }
    ' "$tmp/$1"
}

cpus=$(nproc 2>/dev/null || echo "?")
# CPU already busy before we start (other work on the machine), over one second.
busy=$({
    head -n 1 /proc/stat
    sleep 1
    head -n 1 /proc/stat
} 2>/dev/null | awk '{ idle[NR] = $5 + $6; t = 0; for (i = 2; i <= NF; i++) t += $i; tot[NR] = t }
    END { if (NR == 2 && tot[2] > tot[1]) printf "%.0f", 100 - 100 * (idle[2] - idle[1]) / (tot[2] - tot[1]); else print "?" }')
echo "http-vs-nginx: $cpus CPUs (wrk and the server under test share them), ${busy}% busy before the run"
case "$busy" in
"?" | ? | 1? | 2?) ;;
*) echo "  warning: the machine is busy with other work; it skews these figures, p99 most" ;;
esac
echo "  $("$ermes" --version 2>/dev/null | head -n 1 || echo ermes) (${ermes_threads:-default} HTTP threads) on $ermes_url"
echo "  $("$nginx" -v 2>&1 | sed 's/^nginx version: //') ($nginx_workers workers) on $nginx_url"
echo "  body: $body_bytes bytes of application/json"
echo "warm-up: $warmup each"
run_wrk warmup.nginx "$nginx_url" "$warmup"
run_wrk warmup.ermes "$ermes_url" "$warmup"
: >"$tmp/rows"
for round in $(seq "$rounds"); do
    order="nginx ermes" # later rounds alternate, so neither always runs second
    [ $((round % 2)) -eq 1 ] || order="ermes nginx"
    for name in $order; do
        url=$nginx_url
        [ "$name" = nginx ] || url=$ermes_url
        echo
        echo "== $name${rounds_label:+, round $round}: wrk -t$threads -c$connections -d$duration --latency $url"
        run_wrk "wrk.$name.$round" "$url" "$duration"
        cat "$tmp/wrk.$name.$round"
        f=wrk.$name.$round
        row="$round $name $(field "$f" rps) $(field "$f" p50) $(field "$f" p99) $(field "$f" non2xx)"
        case "$row" in
        *"?"*) die "could not read wrk's output (see above)" ;;
        esac
        printf '%s %s\n' "$row" "$(field "$f" sockerr)" >>"$tmp/rows"
    done
    kill -0 "$ermes_pid" 2>/dev/null || die "ermes exited during the run: $(tail -n 20 "$tmp/ermes.log")"
done

summary=$(awk -v rounds="$rounds" \
    -v run="wrk -t$threads -c$connections -d$duration --latency, GET $path, $body_bytes-byte JSON body, $cpus CPUs shared with wrk, $busy% busy before" '
    function median(a, n,    i, j, t) { # sorts a[1..n]
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        s = $2; k = ++n[s]
        rps[s, k] = $3; p50[s, k] = $4; p99[s, k] = $5; bad[s] += $6
        err = $0; for (i = 1; i <= 6; i++) sub(/^[^ ]+ /, "", err)
        line[s, k] = line[NR] = sprintf("%-6s %-7s %12.0f %10.3f %10.3f %8d  %s", s, rounds > 1 ? "round " $1 : "", $3, $4, $5, $6, err)
    }
    END {
        printf "http-vs-nginx summary (%s%s)\n", run, (rounds > 1 ? ", " rounds " rounds, medians" : "")
        printf "%-6s %-7s %12s %10s %10s %8s  %s\n", "server", "", "requests/s", "p50 ms", "p99 ms", "non-2xx", "socket errors"
        if (rounds > 1) for (i = 1; i <= NR; i++) print line[i]
        for (si = 1; si <= 2; si++) {
            s = si == 1 ? "nginx" : "ermes"
            for (k = 1; k <= n[s]; k++) { a[k] = rps[s, k]; b[k] = p50[s, k]; c[k] = p99[s, k] }
            mr[s] = median(a, n[s]); m50[s] = median(b, n[s]); m99[s] = median(c, n[s])
            if (rounds > 1)
                printf "%-6s %-7s %12.0f %10.3f %10.3f %8d\n", s, "median", mr[s], m50[s], m99[s], bad[s]
            else
                print line[s, 1]
        }
        ratio = mr["nginx"] > 0 ? mr["ermes"] / mr["nginx"] : 0
        ok_ratio = ratio >= 0.5
        ok_p99 = m99["ermes"] < 5
        printf "ratio ermes/nginx: %.2f   goal >= 0.50  %s\n", ratio, ok_ratio ? "met" : "MISSED"
        printf "ermes p99: %.3f ms   goal < 5 ms   %s\n", m99["ermes"], ok_p99 ? "met" : "MISSED"
        if (bad["nginx"] + bad["ermes"] > 0) print "INVALID: a server answered non-2xx responses under load"
        else if (ok_ratio && ok_p99) print "GOALS MET"
        else print "GOAL MISSED"
    }' "$tmp/rows")
echo
echo "$summary"
[ -z "${BENCH_OUT:-}" ] || printf '%s\n' "$summary" >"$BENCH_OUT"
case "$summary" in
*INVALID*) exit 1 ;;
esac
exit 0
