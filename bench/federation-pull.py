#!/usr/bin/python3
"""federation-pull: an incremental TAXII 2.1 pull between two ermes daemons.

    bench/federation-pull.py [BUILD_DIR]      (ERMES_BIN overrides BUILD_DIR/ermes)

Starts two daemons, A and B, on throwaway data directories (SQLite; PostgreSQL when
ERMES_TEST_PG is set, as for the tests). A serves a sharing group (every object up to GREEN)
as a TAXII collection; B has A as a peer (`ermes peers add`, a bearer token of an analyst of
A, an interval of a day so the daemon's scheduler stays out of the way after its first,
empty, round). N (default 100,000) new STIX indicators, TLP:GREEN, are imported into A
(`ermes stix import`, not timed); then B's `POST /api/v1/peers/a/sync` is timed: one round
that pulls them all (pages of 1,000 following `next`, each imported into B's store and B's
indicators), then the same request again, with nothing new (one page asked from the last
X-TAXII-Date-Added-Last, once the 10 s the cursor trails the peer's clock have passed). Goals (issue 12): the 100,000 in under 10 s, nothing new in under
100 ms. Stdlib only (it reuses tests/integration/ermeslib.py).
"""

import json
import os
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
if len(sys.argv) > 1 and "ERMES_BIN" not in os.environ:
    os.environ["ERMES_BIN"] = os.path.join(os.path.abspath(sys.argv[1]), "ermes")
import ermeslib  # noqa: E402

N = int(os.environ.get("N", "100000"))
COLL = "cccccccc-3333-4333-8333-cccccccccccc"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def bundle(n):
    objs = []
    for k in range(n):
        ip = "10.%d.%d.%d" % (k >> 16 & 255, k >> 8 & 255, k & 255)
        objs.append({"type": "indicator", "spec_version": "2.1",
                     "id": "indicator--%s" % uuid.uuid5(uuid.NAMESPACE_URL, "bench-%d" % k),
                     "created": "2026-12-01T00:00:00.000Z", "modified": "2026-12-01T00:00:00.000Z",
                     "name": "bench %d" % k, "pattern": "[ipv4-addr:value = '%s']" % ip,
                     "pattern_type": "stix", "valid_from": "2026-12-01T00:00:00Z",
                     "object_marking_refs": [GREEN]})
    return {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": objs}


def cpu_seconds(e):
    """User + system CPU seconds the daemon e has used so far (/proc): on a shared machine the
    steadier figure than the wall time."""
    with open("/proc/%d/stat" % e.proc.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_sync(b):
    t0 = time.monotonic()
    r = b.ok("POST", "/api/v1/peers/a/sync", expect=200, timeout=3600)
    return time.monotonic() - t0, r


def walk(a, token):
    """A's collection read page by page as a TAXII client would, nothing stored: the
    serving side's share of a pull."""
    import urllib.request
    n, pages, nxt = 0, 0, None
    t0 = time.monotonic()
    while True:
        url = "http://127.0.0.1:%d/taxii2/ermes/collections/%s/objects/?limit=1000" % (a.port, COLL)
        if nxt:
            url += "&next=" + nxt
        req = urllib.request.Request(url, headers={
            "Accept": "application/taxii+json;version=2.1", "Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=3600) as r:
            env = json.loads(r.read())
        n += len(env.get("objects", []))
        pages += 1
        if not env.get("more"):
            return n, pages, time.monotonic() - t0
        nxt = env["next"]


def main():
    a = ermeslib.Ermes()
    b = ermeslib.Ermes()
    status = 0
    try:
        a.ok("POST", "/api/v1/sharing-groups",
             {"name": "bench", "collection_id": COLL, "max_tlp": "GREEN", "readers": ["staff"],
              "writers": ["staff"], "selection": {"all": True}}, expect=201)
        _, tok = a.user_token("peer", "analyst")
        rc, out, err = b.cli("peers", "add", "a", "http://127.0.0.1:%d/taxii2/ermes/" % a.port,
                             "--collection", COLL, "--credentials", tok, "--interval", "86400",
                             "--max-tlp", "GREEN")
        if rc != 0:
            raise SystemExit("peers add: " + err)
        # The scheduler's first round (nothing there yet) passes, then a day's wait.
        ermeslib.wait_until(lambda: b.ok("GET", "/api/v1/peers/a")["state"].get("next_at"),
                            timeout=60, what="B's first round")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(bundle(N), f)
            path = f.name
        t0 = time.monotonic()
        rc, out, err = a.cli("stix", "import", path, timeout=3600)
        os.unlink(path)
        if rc != 0:
            raise SystemExit("stix import on A: " + err)
        print("A: %d indicators imported in %.1f s (not timed below)" % (N, time.monotonic() - t0))
        n, pages, t = walk(a, tok)
        print("A: its collection read as a TAXII client (%d objects, %d pages): %.2f s"
              % (n, pages, t))
        cpu_a, cpu_b = cpu_seconds(a), cpu_seconds(b)
        full, r1 = timed_sync(b)
        cpu_a, cpu_b = cpu_seconds(a) - cpu_a, cpu_seconds(b) - cpu_b
        print("B: pull of %d new objects: %.2f s (%s)" % (N, full, json.dumps(r1)))
        print("   CPU during the pull: A (serving) %.2f s, B (pulling, storing) %.2f s; load %s"
              % (cpu_a, cpu_b, open("/proc/loadavg").read().split()[0]))
        # A's identity comes along with its indicators.
        if r1["received"] < N or r1["stored"] < N or r1.get("error"):
            print("WRONG ANSWER: B did not take every object")
            status = 1
        # The cursor trails the peer's clock by 10 s (what a slow writer commits late is asked
        # again): once that has passed, one round moves it past everything.
        time.sleep(11)
        timed_sync(b)
        times = []
        for _ in range(5):
            t, r2 = timed_sync(b)
            times.append(t)
            if r2["received"] != 0 or r2.get("error"):
                print("WRONG ANSWER: a pull with nothing new received %s" % json.dumps(r2))
                status = 1
        times.sort()
        print("B: pull with nothing new: median %.1f ms, max %.1f ms (5 runs)"
              % (times[2] * 1000, times[-1] * 1000))
        inds = b.ok("GET", "/api/v1/indicators?limit=1")
        print("%-28s %10s %10s %s" % ("", "measured", "goal", ""))
        print("%-28s %9.2fs %9.0fs %s" % ("pull %d new" % N, full, 10,
                                          "ok" if full < 10 else "GOAL MISSED"))
        print("%-28s %8.1fms %8.0fms %s" % ("pull, nothing new (median)", times[2] * 1000, 100,
                                            "ok" if times[2] < 0.1 else "GOAL MISSED"))
        del inds
    finally:
        a.close()
        b.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
