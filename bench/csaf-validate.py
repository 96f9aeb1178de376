#!/usr/bin/python3
"""CSAF 2.0 validation: ermes against csaf-validator-lib, like for like, on the same advisories.

    bench/csaf-validate.py [BUILD_DIR [BEFORE_BUILD_DIR]]   (COUNT=5000 documents by default)

Generates COUNT realistic advisories (tests/integration/csafdocs.py: security advisories and
VEX documents of 3 to 40 products and 1 to 12 vulnerabilities with CVSS 3.1 and 2.0 scores,
remediations, threats, flags, involvements; one in ten made invalid by one of the mandatory
tests' mutations) into a temporary directory, then validates all of them, each side reading
the files itself, in two pairs that run the same tests on both sides:

  basic: `ermes csaf validate --json --preset basic` against csaf-validator-lib's "basic"
         preset (tests/integration/csaf_oracle.mjs): the strict schema (with the CVSS schemas,
         which is test 6.1.8) and the mandatory tests 6.1.1 to 6.1.33;
  full:  `ermes csaf validate --json --preset full` against the oracle with `--extended
         --informative`: the same, plus the optional tests 6.2.1 to 6.2.12 and 6.2.14 to
         6.2.18 and the informative tests 6.3.1 to 6.3.5, 6.3.10 and 6.3.11 (the ones ermes
         implements: the oracle leaves out the library's 6.2.13, 6.2.19, 6.2.20 and 6.3.6
         to 6.3.9, which ermes does not run).

ermes runs twice in each pair: with the default --jobs (every online CPU) and with --jobs 1
(one core); the library runs on one core (node, one process). Each side is one process for
all the files, as a person would run it (ermes gets them as arguments, in as few runs as
the argument list allows: one for 5,000 files; the library reads their names on stdin), so
each pays its start-up once. Prints for every line wall
seconds, documents per wall second, CPU seconds (user + system of the processes, start-up
included) and documents per CPU second, and for each ermes line the two ratios against its
pair's library line: "wall" = ermes documents/s / library documents/s (what a person waits
for), "CPU" = ermes documents/CPU-s / library documents/CPU-s (the work done; on a machine
shared with other work the steadier figure). Goal: ermes at least 20 times the library's
documents/s; a GOAL MISSED line names each ratio below it. The verdicts are compared per
document (valid; in the full pair also which optional tests warned and which informative
tests informed), and the outputs of --jobs 1 and the default --jobs must be the same bytes.
With a second build directory (an older ermes, main's say), that binary (without --preset or
--jobs: every group, one core) is measured too, and its `--json` output is compared byte for
byte with this build's full preset on the COUNT documents and on every JSON file of
../shared/conformance/csaf: a speed-up must not change a single byte of what is reported.
Exit status non-zero when a side failed, the verdicts differ, or two outputs differ.
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


# The arguments of one run of ermes, in bytes: well under the kernel's limit (ARG_MAX, 2 MiB
# here, which the environment shares).
ARGV_BYTES = 1 << 20


def run_ermes(ermes, files, flags=()):
    """Validates files in as few runs as the argument list allows: (output bytes, wall s, CPU s)."""
    runs, run, size = [], [], 0
    for f in files:
        if run and size + len(f) + 1 > ARGV_BYTES:
            runs.append(run)
            run, size = [], 0
        run.append(f)
        size += len(f) + 1
    if run:
        runs.append(run)
    out = []
    c0 = cpu()
    t0 = time.monotonic()
    for run in runs:
        p = subprocess.run([ermes, "csaf", "validate", "--json"] + list(flags) + run,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out.append(p.stdout)
    return b"".join(out), time.monotonic() - t0, cpu() - c0


def run_library(files, flags=()):
    """The oracle over files: ({file: row}, wall s, CPU s, its own summary) or None."""
    c0 = cpu()
    t0 = time.monotonic()
    p = subprocess.run(["node", os.path.join(ROOT, "tests", "integration", "csaf_oracle.mjs")] +
                       list(flags), input="\n".join(files).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, CSAF_VALIDATOR_LIB=LIB))
    t, c = time.monotonic() - t0, cpu() - c0
    if p.returncode != 0:
        print("csaf-validator-lib failed: %s" % p.stderr.decode()[-2000:])
        return None
    rows = {r["file"]: r for r in map(json.loads, p.stdout.decode().splitlines())}
    return rows, t, c, p.stderr.decode().strip()


def compare(before, after, files, what, after_flags=()):
    """Byte-for-byte comparison of the two builds' --json output, one run per file set."""
    a, _, _ = run_ermes(before, files)
    b, _, _ = run_ermes(after, files, after_flags)
    return same(a, b, what, len(files))


def same(a, b, what, n):
    if a != b:
        la, lb = a.splitlines(), b.splitlines()
        first = next((i for i in range(min(len(la), len(lb))) if la[i] != lb[i]), None)
        print("OUTPUT DIFFERS on %s: %d lines against %d; first difference:\n  %s\n  %s"
              % (what, len(la), len(lb), la[first][:300] if first is not None else b"",
                 lb[first][:300] if first is not None else b""))
        return 1
    print("output identical byte for byte on %s (%d files, %d bytes)" % (what, n, len(a)))
    return 0


def tests_of(row, group):
    return {f["test"] for f in row["failed"] if f["group"] == group}


def lib_tests_of(names, prefix):
    return {n[len(prefix):].replace("_", ".") for n in names if n.startswith(prefix)}


def verdicts(out, lib, files, full):
    """Documents on which ermes's --json output and the library's rows disagree."""
    ours = {r["file"]: r for r in map(json.loads, out.decode().splitlines())}
    differ = []
    for f in files:
        o, t = ours.get(f), lib.get(f)
        if o is None or t is None or o["valid"] != t["valid"]:
            differ.append(f)
        elif full and (tests_of(o, "optional") != lib_tests_of(t.get("warned", []),
                                                                 "optionalTest_") or
                       tests_of(o, "informative") != lib_tests_of(t.get("informed", []),
                                                                   "informativeTest_")):
            differ.append(f)
    return differ


def line(name, n, t, c, lib=None):
    text = "%-44s %7.2f %11.0f %8.2f %15.0f" % (name, t, n / t, c, n / c)
    ratios = None
    if lib:
        ratios = (lib[0] / t, lib[1] / c)
        text += "   %5.1fx %5.1fx" % ratios
    print(text)
    return ratios


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    ermes = os.path.join(build, "ermes")
    before = os.path.join(sys.argv[2], "ermes") if len(sys.argv) > 2 else None
    tmp = tempfile.mkdtemp(prefix="ermes-bench-csaf-")
    try:
        files = generate(tmp)
        n = len(files)
        size = sum(os.path.getsize(f) for f in files)
        print("%d documents, %.1f MiB, %.1f KiB on average; %d online CPUs; load average "
              "%.2f %.2f %.2f" % (n, size / 2**20, size / n / 1024, os.cpu_count(),
                                  *os.getloadavg()))
        status = 0
        if before:
            conf = sorted(os.path.join(d, f) for d, _, fs in os.walk(CONFORMANCE) for f in fs
                          if f.endswith(".json"))
            status |= compare(before, ermes, conf, "the conformance files (before, after)",
                              ["--preset", "full"])
            out_before, t_before, c_before = run_ermes(before, files)
        runs = {}
        for preset in ("basic", "full"):
            for jobs in ("all", "1"):
                flags = ["--preset", preset] + (["--jobs", "1"] if jobs == "1" else [])
                runs[preset, jobs] = run_ermes(ermes, files, flags)
            status |= same(runs[preset, "1"][0], runs[preset, "all"][0],
                           "the %d documents, --preset %s, --jobs 1 and all" % (n, preset), n)
        if before:
            status |= same(out_before, runs["full", "1"][0],
                           "the %d documents (before, after --preset full)" % n, n)
        libs = {"basic": run_library(files), "full": run_library(files, ["--extended",
                                                                          "--informative"])}
        if None in libs.values():
            return 1
        print("%-44s %7s %11s %8s %15s   %6s %6s" % ("", "wall s", "documents/s", "CPU s",
                                                      "documents/CPU-s", "wall", "CPU"))
        missed, differ = [], {}
        for preset in ("basic", "full"):
            rows, t_lib, c_lib, summary = libs[preset]
            label = "basic preset" if preset == "basic" else "--extended --informative"
            line("csaf-validator-lib, %s" % label, n, t_lib, c_lib)
            for jobs in ("all", "1"):
                out, t, c = runs[preset, jobs]
                name = "ermes --preset %s --jobs %s" % (preset, os.cpu_count()
                                                          if jobs == "all" else 1)
                ratios = line(name, n, t, c, (t_lib, c_lib))
                for which, r in zip(("wall", "CPU"), ratios):
                    if r < 20:
                        missed.append("%s: %.1fx by %s documents/s" % (name, r, which))
            if before and preset == "full":
                line("ermes before (every group, 1 job)", n, t_before, c_before, (t_lib, c_lib))
            differ[preset] = verdicts(runs[preset, "1"][0], rows, files, preset == "full")
            invalid = sum(1 for f in files if not rows[f]["valid"])
            print("  %s pair: %d documents invalid for the library, %d verdicts differ (%s)" % (
                preset, invalid, len(differ[preset]), summary))
        print("ratios: ermes's documents/s over the library's, by wall time (\"wall\") and by "
              "CPU time (\"CPU\")")
        for m in missed:
            print("GOAL MISSED: %s, below 20x the library" % m)
        print("load average at the end: %.2f %.2f %.2f" % os.getloadavg())
        for preset, d in differ.items():
            if d:
                print("verdicts differ (%s) on: %s" % (preset, ", ".join(
                    os.path.basename(f) for f in d[:10])))
                status = 1
        return status
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
