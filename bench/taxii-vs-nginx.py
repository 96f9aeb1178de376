#!/usr/bin/python3
"""TAXII 2.1 benchmark: pages of a 1,000,000-object collection from ermes, against nginx serving
the same bytes as static files, on the same machine, in the same run (issue 12).

    bench/taxii-vs-nginx.py [BUILD_DIR]        (default: build; needs wrk, curl and nginx:
                                                scripts/install-deps bench)

It makes a throwaway data directory (`ermes init`), imports OBJECTS STIX indicators (TLP:GREEN,
in bundles of 50,000, with `ermes stix import`: the import's rate is reported too), adds a
sharing group `bench` (every stored object, up to GREEN, read by staff), starts `ermes serve`,
and walks the collection's objects with `limit=1000` from the first page to the last by `next`,
checking that every object comes exactly once (and printing the daemon's CPU time per page of
that walk, from /proc: steadier than any wall time on a busy machine, and of a second walk of
the same pages, which the rendered-page cache answers). Each page's body is written to a file that an
unprivileged nginx (own temporary configuration, access_log off, sendfile on) serves at its own
path. Then `wrk -t2 -c64 --latency` requests the pages in turn (a Lua script cycles through
them, each connection from another starting page), against nginx first, then against ermes
(with its bearer token and TAXII's Accept header). Printed: pages/s, p50 and p99 for each, the
server's CPU time per page answered under wrk (nginx: master and workers), the
ratio ermes/nginx, and whether the goals hold: ratio >= 1/3 and ermes p99 < 50 ms.

Environment: OBJECTS (default 1000000), PAGE (default 1000), DURATION (default 10s), WARMUP
(default 2s), THREADS=2, CONNECTIONS=64, NGINX_WORKERS=2, PAGE_CACHE (MiB of rendered pages the
daemon keeps, its `taxii_page_cache`; default the setting's), KEEP=1 keeps the temporary directory.
Exit status 0 when the benchmark ran (a missed goal prints GOAL MISSED), else non-zero.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
BUNDLE = 50000


def die(msg):
    sys.stderr.write("taxii-vs-nginx: %s\n" % msg)
    sys.exit(1)


def env_int(name, default):
    v = os.environ.get(name, str(default))
    if not v.isdigit() or int(v) <= 0:
        die("%s must be a positive number" % name)
    return int(v)


def cpu_seconds(pid):
    """The CPU time (user + system) process pid has used: what a page costs the daemon,
    which other work on the machine changes far less than it changes the wall time."""
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid):
    """cpu_seconds of pid and of its children (nginx's master and its workers)."""
    total = cpu_seconds(pid)
    for task in os.listdir("/proc/%d/task" % pid):
        try:
            kids = open("/proc/%d/task/%s/children" % (pid, task)).read().split()
        except OSError:
            kids = []
        for k in kids:
            total += tree_cpu_seconds(int(k))
    return total


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bundle(start, count):
    """count indicators from number start: the same objects in every run."""
    objs = []
    for n in range(start, start + count):
        ip = "10.%d.%d.%d" % (n >> 16 & 255, n >> 8 & 255, n & 255)
        t = "2026-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
            1 + n % 12, 1 + n % 28, n % 24, n % 60, (n // 60) % 60, n % 1000)
        objs.append({
            "type": "indicator", "spec_version": "2.1",
            "id": "indicator--%s" % uuid.uuid5(NS, "bench-%d" % n),
            "created": t, "modified": t, "valid_from": t,
            "name": "Bench C2 address %d" % n,
            "description": "A command and control server seen by the benchmark's sensor %d." % (n % 97),
            "indicator_types": ["malicious-activity"],
            "pattern": "[ipv4-addr:value = '%s']" % ip, "pattern_type": "stix",
            "labels": ["c2", "bench"], "confidence": 50 + n % 50,
            "object_marking_refs": [TLP_GREEN],
        })
    return {"type": "bundle", "id": "bundle--%s" % uuid.uuid5(NS, "bundle-%d" % start),
            "objects": objs}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        die("%s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, (r.stderr or r.stdout)[-2000:]))
    return r.stdout


def http(url, token=None, data=None, method=None, accept="application/json"):
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", accept)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.status, resp.headers, resp.read()


WRK_LUA = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local counter = 0
setup = function(thread) thread:set("first", counter); counter = counter + 7 end
init = function(args) pos = first end
request = function()
  pos = pos %% #paths + 1
  return wrk.format("GET", paths[pos])
end
"""


def wrk(tmp, name, base, paths_file, duration, threads, conns, headers):
    script = os.path.join(tmp, name + ".lua")
    with open(script, "w") as f:
        f.write(WRK_LUA % paths_file)
    cmd = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%s" % duration, "--latency",
           "-s", script]
    for h in headers:
        cmd += ["-H", h]
    out = run(cmd + [base])
    wrk.requests = int(re.search(r"(\d+) requests in", out).group(1))
    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
        if not m:
            return float("nan")
        x = float(m.group(1))
        return {"us": x / 1000, "ms": x, "s": x * 1000, "m": x * 60000}[m.group(2)]
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    err = re.search(r"Socket errors:.*", out)
    if bad:
        die("%s answered %s non-2xx responses under load:\n%s" % (name, bad.group(1), out))
    if not (rps and p50 and p99):
        die("cannot read wrk's output:\n" + out)
    return float(rps.group(1)), ms(p50.group(1)), ms(p99.group(1)), err.group(0) if err else ""


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ermes = os.path.join(build if os.path.isabs(build) else os.path.join(root, build), "ermes")
    if not os.access(ermes, os.X_OK):
        die("%s not found: build it first (make build)" % ermes)
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not nginx or not shutil.which("wrk"):
        die("nginx and wrk are needed: run scripts/install-deps bench")
    objects, page = env_int("OBJECTS", 1000000), env_int("PAGE", 1000)
    duration, warmup = os.environ.get("DURATION", "10s"), os.environ.get("WARMUP", "2s")
    threads, conns = env_int("THREADS", 2), env_int("CONNECTIONS", 64)
    workers = env_int("NGINX_WORKERS", 2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERMES_")}

    tmp = tempfile.mkdtemp(prefix="ermes-taxii-bench-")
    procs = []
    try:
        data = os.path.join(tmp, "data")
        run([ermes, "init", "--data-dir", data, "--admin-token-file",
             os.path.join(tmp, "admin.token")], env=env)
        token = open(os.path.join(tmp, "admin.token")).read().strip()

        # ---- the collection's objects ----
        t0 = time.monotonic()
        for start in range(0, objects, BUNDLE):
            path = os.path.join(tmp, "bundle.json")
            with open(path, "w") as f:
                json.dump(bundle(start, min(BUNDLE, objects - start)), f)
            run([ermes, "stix", "import", path, "--data-dir", data], env=env)
        imported = time.monotonic() - t0

        port = free_port()
        log = open(os.path.join(tmp, "ermes.log"), "w")
        serve_env = dict(env)
        if os.environ.get("PAGE_CACHE"):  # MiB of rendered pages kept (taxii_page_cache)
            serve_env["ERMES_TAXII_PAGE_CACHE"] = os.environ["PAGE_CACHE"]
        procs.append(subprocess.Popen([ermes, "serve", "--data-dir", data, "--listen",
                                       "127.0.0.1:%d" % port], env=serve_env, stdout=log,
                                      stderr=log))
        base = "http://127.0.0.1:%d" % port
        for _ in range(300):
            try:
                http(base + "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        else:
            die("ermes serve did not start: " + open(log.name).read()[-2000:])
        body = json.dumps({"name": "bench", "collection_id": str(uuid.uuid5(NS, "bench")),
                           "max_tlp": "GREEN", "readers": ["staff"],
                           "selection": {"all": True}}).encode()
        http(base + "/api/v1/sharing-groups", token, body, "POST")
        coll = "/taxii2/ermes/collections/%s/objects/" % uuid.uuid5(NS, "bench")

        # ---- every page, once, by next; written for nginx ----
        html = os.path.join(tmp, "nginx", "html", "pages")
        os.makedirs(html)
        accept = "application/taxii+json;version=2.1"
        ermes_paths, nginx_paths, seen, nbytes = [], [], set(), 0
        query = {"limit": str(page)}
        daemon = procs[-1].pid
        c0, t0 = cpu_seconds(daemon), time.monotonic()
        while True:
            p = coll + "?" + urllib.parse.urlencode(query)
            status, headers, raw = http(base + p, token, accept=accept)
            env_ = json.loads(raw)
            for o in env_.get("objects", []):
                if o["id"] in seen:
                    die("object %s came twice" % o["id"])
                seen.add(o["id"])
            name = "/pages/%d.json" % len(ermes_paths)
            with open(os.path.join(html, name[7:]), "wb") as f:
                f.write(raw)
            ermes_paths.append(p)
            nginx_paths.append(name)
            nbytes += len(raw)
            if not env_.get("more"):
                break
            query = {"limit": str(page), "next": env_["next"]}
        walked, walk_cpu = time.monotonic() - t0, cpu_seconds(daemon) - c0
        # The same pages once more, as a client reading them again would (with the rendered-page
        # cache, src/http/page_cache.c, each is now sent as kept): the daemon's CPU per page.
        c1, t1 = cpu_seconds(daemon), time.monotonic()
        for p in ermes_paths:
            http(base + p, token, accept=accept)
        rewalked, rewalk_cpu = time.monotonic() - t1, cpu_seconds(daemon) - c1
        ours = {"indicator--%s" % uuid.uuid5(NS, "bench-%d" % n) for n in range(objects)}
        if ours - seen:
            die("the walk missed %d of the %d objects" % (len(ours - seen), objects))
        extra = len(seen) - objects  # ermes's own objects in the collection (its identity)
        for name, paths in (("ermes", ermes_paths), ("nginx", nginx_paths)):
            with open(os.path.join(tmp, name + ".paths"), "w") as f:
                f.write("\n".join(paths) + "\n")

        # ---- nginx ----
        nport = free_port()
        ndir = os.path.join(tmp, "nginx")
        user = ""
        if os.getuid() == 0:
            import grp
            import pwd
            user = "user %s %s;" % (pwd.getpwuid(0).pw_name, grp.getgrgid(0).gr_name)
        with open(os.path.join(ndir, "nginx.conf"), "w") as f:
            f.write("""%s
worker_processes %d;
daemon off;
pid %s/nginx.pid;
error_log %s/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    types { }
    default_type "application/taxii+json;version=2.1";
    client_body_temp_path %s/tmp-body;
    proxy_temp_path %s/tmp-proxy;
    fastcgi_temp_path %s/tmp-fastcgi;
    uwsgi_temp_path %s/tmp-uwsgi;
    scgi_temp_path %s/tmp-scgi;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:%d; root %s/html; }
}
""" % (user, workers, ndir, ndir, ndir, ndir, ndir, ndir, ndir, nport, ndir))
        procs.append(subprocess.Popen([nginx, "-p", ndir, "-c", os.path.join(ndir, "nginx.conf"),
                                       "-e", os.path.join(ndir, "error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        nbase = "http://127.0.0.1:%d" % nport
        for _ in range(100):
            try:
                _, _, got = http(nbase + nginx_paths[0])
                break
            except OSError:
                time.sleep(0.1)
        else:
            die("nginx did not start")
        if got != open(os.path.join(html, "0.json"), "rb").read():
            die("nginx does not serve the page's bytes")

        # ---- measure ----
        auth = ["Authorization: Bearer " + token, "Accept: " + accept]
        print("taxii-vs-nginx: %d objects (%d of ermes's own) in %d pages of %d (%.1f MB of JSON,"
              " %.0f KB a page)" % (len(seen), extra, len(ermes_paths), page, nbytes / 1e6,
                                    nbytes / len(ermes_paths) / 1e3))
        print("  import: %.1f s, %.0f objects/s (ermes stix import, bundles of %d)"
              % (imported, objects / imported, BUNDLE))
        print("  one walk of every page by next: %.2f s, %.0f objects/s, ermes CPU %.2f ms a page"
              % (walked, objects / walked, walk_cpu * 1000 / len(ermes_paths)))
        print("  the same pages again (a second walk): %.2f s, ermes CPU %.2f ms a page"
              % (rewalked, rewalk_cpu * 1000 / len(ermes_paths)))
        print("  load before the run: %s" % open("/proc/loadavg").read().split()[0])
        wrk(tmp, "warm-nginx", nbase, os.path.join(tmp, "nginx.paths"), warmup, threads, conns, [])
        wrk(tmp, "warm-ermes", base, os.path.join(tmp, "ermes.paths"), warmup, threads, conns, auth)
        # The server's CPU time (nginx: master and workers) over each run, per page answered:
        # what a page costs the server, which the load changes less than the wall time.
        c0 = tree_cpu_seconds(procs[-1].pid)
        n = wrk(tmp, "nginx", nbase, os.path.join(tmp, "nginx.paths"), duration, threads, conns, [])
        n_cpu = (tree_cpu_seconds(procs[-1].pid) - c0) * 1000 / max(wrk.requests, 1)
        c0 = cpu_seconds(daemon)
        e = wrk(tmp, "ermes", base, os.path.join(tmp, "ermes.paths"), duration, threads, conns, auth)
        e_cpu = (cpu_seconds(daemon) - c0) * 1000 / max(wrk.requests, 1)
        print("  wrk -t%d -c%d -d%s, the pages in turn:" % (threads, conns, duration))
        for name, r, c in (("nginx", n, n_cpu), ("ermes", e, e_cpu)):
            print("    %-6s %9.1f pages/s  %8.1f objects/s  p50 %8.2f ms  p99 %8.2f ms  CPU %.3f ms"
                  " a page  %s" % (name, r[0], r[0] * page, r[1], r[2], c, r[3]))
        ratio = e[0] / n[0] if n[0] else float("nan")
        goal = ratio >= 1 / 3 and e[2] < 50
        print("  ratio ermes/nginx: %.2f (goal >= 0.33), ermes p99 %.1f ms (goal < 50 ms): %s"
              % (ratio, e[2], "goals met" if goal else "GOAL MISSED"))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("KEEP") == "1":
            print("kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
