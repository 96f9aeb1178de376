#!/usr/bin/python3
"""CSAF 2.0 validation: ermes against csaf-validator-lib, on the same generated advisories.

    bench/csaf-validate.py [BUILD_DIR [BEFORE_BUILD_DIR]]   (COUNT=5000 documents by default)

Generates COUNT realistic advisories (tests/integration/csafdocs.py: security advisories and
VEX documents of 3 to 40 products and 1 to 12 vulnerabilities with CVSS 3.1 and 2.0 scores,
remediations, threats, flags, involvements; one in ten made invalid by one of the mandatory
tests' mutations) into a temporary directory, then validates all of them with
`ermes csaf validate --json` and with @secvisogram/csaf-validator-lib's "basic" preset (the
strict schema and every mandatory test, tests/integration/csaf_oracle.mjs under node), each
reading the files itself. Prints documents per second of each, by wall time and by CPU time
(user + system of the processes, start-up included: on a machine shared with other work the
CPU time is the steadier figure), the ratios, and checks that both reached the same verdicts.
Goal: ermes at least 20 times the library's rate. With a second build directory (an older
ermes, main's say), that binary is measured too in the same run, and the output of both
(`--json`, byte for byte) is compared on the COUNT documents and on every JSON file of
../shared/conformance/csaf: a speed-up must not change a single byte of what is reported.
Exit status non-zero when a side failed, the verdicts differ, or the two builds' outputs differ.
"""

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("ERMES_SOURCE_DIR", ROOT)
import csafdocs  # noqa: E402

COUNT = int(os.environ.get("COUNT", "5000"))
LIB = os.path.join(ROOT, "tests", "browser", "node_modules", "@secvisogram", "csaf-validator-lib")


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def generate(directory):
    r = random.Random(13)
    mutations = sorted(csafdocs.INVALID)
    files = []
    for n in range(COUNT):
        if r.random() < 0.1:
            doc = csafdocs.invalid(r.choice(mutations))
        else:
            doc = csafdocs.advisory(n + 1, products=r.randint(3, 40), vulns=r.randint(1, 12))
            if r.random() < 0.3:
                doc["document"]["category"] = "csaf_vex"
                for v in doc["vulnerabilities"]:
                    pids = doc["product_tree"]["product_groups"][0]["product_ids"]
                    v["product_status"] = {"known_affected": [pids[0]],
                                           "known_not_affected": [pids[1]]}
                    v["threats"] = [{"category": "impact", "details": "Not reachable.",
                                     "product_ids": [pids[1]]}]
                    v["flags"] = [{"label": "vulnerable_code_not_in_execute_path",
                                   "product_ids": [pids[1]]}]
        path = os.path.join(directory, "doc-%05d.json" % n)
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
        files.append(path)
    return files


CONFORMANCE = os.path.join(ROOT, "..", "shared", "conformance", "csaf")


def run_ermes(ermes, files):
    """Validates files 1,000 per run: (output bytes, wall s, CPU s)."""
    out = []
    c0 = cpu()
    t0 = time.monotonic()
    for k in range(0, len(files), 1000):
        p = subprocess.run([ermes, "csaf", "validate", "--json"] + files[k:k + 1000],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out.append(p.stdout)
    return b"".join(out), time.monotonic() - t0, cpu() - c0


def compare(before, after, files, what):
    """Byte-for-byte comparison of the two builds' --json output, one run per file set."""
    a, _, _ = run_ermes(before, files)
    b, _, _ = run_ermes(after, files)
    if a != b:
        la, lb = a.splitlines(), b.splitlines()
        first = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), None)
        print("OUTPUT DIFFERS on %s: before %d lines, after %d lines; first difference:\n  %s\n  %s"
              % (what, len(la), len(lb), la[first][:300] if first is not None else b"",
                 lb[first][:300] if first is not None else b""))
        return 1
    print("output identical byte for byte on %s (%d files, %d bytes)" % (what, len(files), len(a)))
    return 0


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    ermes = os.path.join(build, "ermes")
    before = os.path.join(sys.argv[2], "ermes") if len(sys.argv) > 2 else None
    tmp = tempfile.mkdtemp(prefix="ermes-bench-csaf-")
    try:
        files = generate(tmp)
        size = sum(os.path.getsize(f) for f in files)
        print("%d documents, %.1f MiB, %.1f KiB on average; load average %.2f %.2f %.2f" % (
            len(files), size / 2**20, size / len(files) / 1024, *os.getloadavg()))
        status = 0
        if before:
            conf = sorted(os.path.join(d, f) for d, _, fs in os.walk(CONFORMANCE) for f in fs
                          if f.endswith(".json"))
            status |= compare(before, ermes, conf, "the conformance files")
            out_before, t_before, c_before = run_ermes(before, files)
        out, t_ermes, c_ermes = run_ermes(ermes, files)
        if before:
            if out_before != out:
                print("OUTPUT DIFFERS on the %d documents between %s and %s" % (len(files), before,
                                                                                 ermes))
                status = 1
            else:
                print("output identical byte for byte on the %d documents (%d bytes)" % (
                    len(files), len(out)))
        ours = {}
        for line in out.decode().splitlines():
            row = json.loads(line)
            ours[row["file"]] = row["valid"]
        c0 = cpu()
        t0 = time.monotonic()
        p = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "csaf_oracle.mjs")],
                           input="\n".join(files).encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(os.environ, CSAF_VALIDATOR_LIB=LIB))
        t_lib = time.monotonic() - t0
        c_lib = cpu() - c0
        if p.returncode != 0:
            print("csaf-validator-lib failed: %s" % p.stderr.decode()[-2000:])
            return 1
        theirs = {r["file"]: r["valid"] for r in map(json.loads, p.stdout.decode().splitlines())}
        differ = [f for f in files if ours.get(f) != theirs.get(f)]
        invalid = sum(1 for f in files if not theirs.get(f))
        n = len(files)
        print("                      wall s  documents/s    CPU s  documents/CPU-s")
        if before:
            print("ermes before:        %7.2f %12.0f %8.2f %16.0f   (%.1fx / %.1fx the library)" % (
                t_before, n / t_before, c_before, n / c_before, t_lib / t_before,
                c_lib / c_before))
        print("ermes csaf validate: %7.2f %12.0f %8.2f %16.0f" % (t_ermes, n / t_ermes, c_ermes,
                                                               n / c_ermes))
        print("csaf-validator-lib:  %7.2f %12.0f %8.2f %16.0f   (%s)" % (
            t_lib, n / t_lib, c_lib, n / c_lib, p.stderr.decode().strip()))
        ratio_wall, ratio_cpu = t_lib / t_ermes, c_lib / c_ermes
        print("ratio ermes/library: %.1fx by wall time, %.1fx by CPU time; %d documents invalid "
              "for both, %d verdicts differ" % (ratio_wall, ratio_cpu, invalid, len(differ)))
        if min(ratio_wall, ratio_cpu) < 20:
            print("GOAL MISSED: ermes below 20x the library")
        print("load average at the end: %.2f %.2f %.2f" % os.getloadavg())
        if differ:
            print("verdicts differ on: %s" % ", ".join(os.path.basename(f) for f in differ[:10]))
            return 1
        return status
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
