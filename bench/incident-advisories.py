#!/usr/bin/python3
"""The advisories of an incident: GET /api/v1/incidents/{id} with COUNT advisories stored.

    bench/incident-advisories.py NEW_BUILD_DIR [OLD_BUILD_DIR]   (COUNT=5000 by default)

An incident's "advisories" are those whose CVE ids (vulnerabilities[].cve) its cve observables
name (src/advisories/links.c). The advisories naming a CVE were found by reading every
advisory's document with LIKE; they are now found through the advisory_cves index (migration
57). With OLD_BUILD_DIR (a build of the code before it), the data directory is filled and
measured with the old binary first, then the new one opens the same directory (migration 57
fills the index from the rows there, the upgrade a deployment makes) and is measured too, and
the lists each gives are compared: they must be equal. Without it, only the new binary.

COUNT advisories of 1 to 5 vulnerabilities each, created through the API, CVE ids from a pool
so that some are named by several advisories; 20 incidents with 1 to 3 cve observables.
Prints per binary the median and p99 of ROUNDS rounds of GET each incident (wall time of the
request on loopback, keep-alive off as the test client does). Exit status non-zero when the
lists differ.
"""

import os
import random
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
COUNT = int(os.environ.get("COUNT", "5000"))
ROUNDS = int(os.environ.get("ROUNDS", "10"))
if len(sys.argv) < 2:
    sys.exit(__doc__)
BUILDS = [os.path.abspath(b) for b in sys.argv[1:3]]
os.environ.setdefault("ERMES_SOURCE_DIR", ROOT)
# The binary measured first: the old one when given (it fills the data directory).
os.environ["ERMES_BIN"] = os.path.join(BUILDS[-1], "ermes")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import ermeslib  # noqa: E402
import csafdocs  # noqa: E402

INC = "/api/v1/incidents"


def fill(e):
    r = random.Random(13)
    pool = ["CVE-2025-%05d" % k for k in range(COUNT)]
    t0 = time.monotonic()
    for n in range(COUNT):
        doc = csafdocs.advisory(n + 1, products=3, vulns=r.randint(1, 5))
        for v in doc["vulnerabilities"]:
            v["cve"] = r.choice(pool)
        e.ok("POST", "/api/v1/advisories", doc, expect=201)
    print("filled %d advisories in %.1f s" % (COUNT, time.monotonic() - t0))
    e.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "ACME"}, expect=201)
    incidents = []
    for k in range(20):
        inc = e.ok("POST", INC, {"title": "incident %d" % k, "constituents": ["ACME"]},
                   expect=201)
        for _ in range(r.randint(1, 3)):
            e.ok("POST", "%s/%d/observables" % (INC, inc["id"]),
                 {"type": "cve", "value": r.choice(pool)}, expect=201)
        incidents.append(inc["id"])
    return incidents


def measure(e, incidents, label):
    times, found = [], {}
    for _ in range(ROUNDS):
        for i in incidents:
            t0 = time.perf_counter()
            body = e.ok("GET", "%s/%d" % (INC, i))
            times.append((time.perf_counter() - t0) * 1000)
            found[i] = sorted((a["id"], tuple(a["cves"])) for a in body["advisories"])
    times.sort()
    linked = sum(len(v) for v in found.values())
    print("%s: GET /api/v1/incidents/{id} median %.2f ms, p99 %.2f ms (%d requests, %d"
          " advisories linked over %d incidents)"
          % (label, statistics.median(times), times[int(len(times) * 0.99) - 1], len(times),
             linked, len(incidents)))
    return found


def main():
    e = ermeslib.Ermes()
    try:
        incidents = fill(e)
        first = measure(e, incidents, BUILDS[-1])
        if len(BUILDS) == 1:
            return 0
        e.stop()
        ermeslib.ERMES_BIN = os.path.join(BUILDS[0], "ermes")
        e.start()
        second = measure(e, incidents, BUILDS[0])
        if first != second:
            print("the advisories found differ:\n old %r\n new %r" % (first, second))
            return 1
        print("same advisories found by both")
        return 0
    finally:
        e.close()


if __name__ == "__main__":
    sys.exit(main())
