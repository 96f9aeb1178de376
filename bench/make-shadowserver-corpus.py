#!/usr/bin/env python3
# A large Shadowserver report for the intake benchmark (bench/ingest-vs-sqlite.sh): the rows of
# one of Shadowserver's sample reports (shared/conformance/feeds/shadowserver/), replicated to
# N rows with the timestamp, the IP and the hostname varied so that no two rows are the same
# event (deduplication keeps them all). Python 3 standard library only; deterministic (no
# randomness: the same arguments give the same bytes).
#
#   bench/make-shadowserver-corpus.py [--rows N] [--type scan_adb|scan_ssl] [--sample FILE]
#                                     [--out DIR]
#
# Writes DIR/2026-01-05-<type>-bench-geo.csv (Shadowserver's file naming, which tells ermes the
# report type; DIR defaults to the current directory) and prints its path, rows and bytes.
# Defaults: 1,000,000 rows of scan_adb (about 180 bytes a row; scan_ssl rows are about 1 kB).
# The sample is looked for in $SHARED_DIR/conformance/feeds/shadowserver/, else in the
# ../shared/ beside the repository.
#
# Addresses: three rows in four are in the demo constituency's ranges (192.0.2.1-254,
# 198.51.100.1-254, 203.0.113.1-254: every one owned by some demo organisation or its parent,
# so enrichment finds an owner), the fourth in 100.64.0.0/10 (nobody's). Timestamps cover one
# day, a second apart, wrapping after 86,400 rows; the (timestamp, ip) pair never repeats.
import argparse
import csv
import io
import os
import re
import sys

DAY = "2026-01-05"
OWNED = (["192.0.2.%d" % i for i in range(1, 255)] + ["198.51.100.%d" % i for i in range(1, 255)]
         + ["203.0.113.%d" % i for i in range(1, 255)])
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def sample_path(report_type, given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("SHARED_DIR") or os.path.join(here, "..", "..", "shared")
    return os.path.join(shared, "conformance", "feeds", "shadowserver", report_type + ".csv")


def field(v):
    """Shadowserver's quoting: strings quoted, numbers and empty fields bare."""
    if v == "" or NUMBER.match(v):
        return v
    return '"' + v.replace('"', '""') + '"'


def templates(path):
    """The header line, and each sample row as a %-template with the timestamp, ip and (when
    the row has one) hostname left open."""
    with open(path, newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    header, data = rows[0], [r for r in rows[1:] if r]
    for need in ("timestamp", "ip"):
        if need not in header:
            sys.exit("%s: no %s column (this generator wants a scan_* report)" % (path, need))
    ts, ip = header.index("timestamp"), header.index("ip")
    host = header.index("hostname") if "hostname" in header else -1
    out = []
    for r in data:
        if len(r) != len(header):
            sys.exit("%s: a row has %d fields, the header %d" % (path, len(r), len(header)))
        parts = []
        for k, v in enumerate(r):
            if k == ts:
                parts.append('"%(ts)s"')
            elif k == ip:
                parts.append('"%(ip)s"')
            elif k == host and v:
                parts.append('"%(host)s"')
            else:
                parts.append(field(v).replace("%", "%%"))
        out.append(",".join(parts) + "\n")
    return text.splitlines()[0] + "\n", out


def address(i):
    if i % 4 == 3:
        # 100.64.0.0/10: i * an odd constant, modulo 2**22, never repeats for i < 2**22
        n = (i * 2654435761) % (1 << 22)
        return "100.%d.%d.%d" % (64 + (n >> 16), (n >> 8) & 255, n & 255)
    # the rows that share a timestamp (i, i + 86400, ...) get different addresses
    return OWNED[(i + i // 86400) % len(OWNED)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--type", default="scan_adb", help="scan_adb (default) or scan_ssl")
    ap.add_argument("--sample", help="the sample report (default: from shared/)")
    ap.add_argument("--out", default=".")
    a = ap.parse_args()
    header, rows = templates(sample_path(a.type, a.sample))
    times = ["%s %02d:%02d:%02d" % (DAY, s // 3600, s % 3600 // 60, s % 60)
             for s in range(86400)]
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "%s-%s-bench-geo.csv" % (DAY, a.type))
    tmp = path + ".part"
    size = 0
    with open(tmp, "w", newline="", buffering=1 << 22) as f:
        f.write(header)
        size += len(header)
        chunk = []
        for i in range(a.rows):
            ip = address(i)
            line = rows[i % len(rows)] % {"ts": times[i % 86400], "ip": ip,
                                          "host": ip.replace(".", "-") + ".bench.example"}
            chunk.append(line)
            if len(chunk) == 10000:
                s = "".join(chunk)
                f.write(s)
                size += len(s)
                chunk = []
        s = "".join(chunk)
        f.write(s)
        size += len(s)
    os.replace(tmp, path)
    print(path, a.rows, size)


if __name__ == "__main__":
    main()
