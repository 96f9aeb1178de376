"""Bad input to the intake, through the real binary: a Shadowserver report with broken quoting,
wrong column counts, invalid IPs, binary garbage and a 4 GiB line. Good rows are stored, bad
rows quarantined with their line and reason, nothing crashes, and memory stays bounded.

ERMES_BIG_LINE_MB sets the size of the huge line (default 4097 MiB, i.e. over 4 GiB); the test
uses less when the disk has not room for it, and says so.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, SANITIZER_MARKERS, Ermes, main  # noqa: E402

HEADER = (b'"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          b'"naics","sic","name","model","device","features","device_vendor","device_type",'
          b'"device_model","device_version","device_sector"\n')
FILE_NAME = "2026-01-01-scan_adb-example-geo.csv"


def good(i):
    return (b'"2026-01-01 02:07:16","198.51.100.%d","tcp",5555,"h%d.example","adb",64496,"BE",'
            b',,,,,,,,,,,,\n' % (i, i))


def peak_memory(pid, stop, out):
    """Samples the process's anonymous and total resident memory (kB) until stop is set."""
    anon = rss = 0
    while not stop.is_set():
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        anon = max(anon, int(line.split()[1]))
                    elif line.startswith("VmRSS:"):
                        rss = max(rss, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.02)
    out["anon_kb"], out["rss_kb"] = anon, rss


class BadInput(unittest.TestCase):
    def setUp(self):
        self.e = Ermes(demo=True, start=False)

    def tearDown(self):
        self.e.close()

    def ingest(self, data, file_name=FILE_NAME):
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--file-name", file_name,
                                  "--json", "-", input=data)
        self.assertIn(rc, (0, 1), err)
        return json.loads(out.strip().splitlines()[-1])

    def quarantine(self):
        rc, out, err = self.e.cli("quarantine", "--json")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def events(self):
        rc, out, err = self.e.cli("events", "--format", "ndjson")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_mixed_bad_rows(self):
        rows = [
            good(1),
            b'"2026-01-01 02:07:16","198.51.100.2","tcp",5555,"h2","adb",64496,"BE"\n',
            b'"2026-01-01 02:07:16","198.51.100.300","tcp",5555,"h3","adb",,,,,,,,,,,,,,,\n',
            b'"2026-01-01 02:07:16","198.51.100.4","tcp",5555,"h4","adb",,,,,,,,,,,,,,,,,,,\n',
            b'"2026-01-01 02:07:16","198.51.100.5","tcp",5555,"h5" broken,"adb",,,,,,,,,,,,,,,\n',
            b'"2026-01-01 02:07:16","example.org","tcp",5555,"h6","adb",,,,,,,,,,,,,,,\n',
            b'\x00\x01\x02\xff\xfe binary garbage \x7f\x80\n',
            b'\xde\xad\xbe\xef' * 64 + b'\n',
            good(9),
            b'"2026-01-01 02:07:16","198.51.100.10","tcp","eighty","h10","adb",,,,,,,,,,,,,,,\n',
            b'"not a date","198.51.100.11","tcp",5555,"h11","adb",,,,,,,,,,,,,,,\n',
            good(12),
            b'"2026-01-01 02:07:16","198.51.100.13","tcp",5555,"unterminated\n',
        ]
        rep = self.ingest(HEADER + b"".join(rows))
        self.assertEqual(rep["state"], "done", rep)
        self.assertEqual(rep["rows_in"], rep["events"] + rep["duplicates"] + rep["quarantined"])
        # Line 6's text after a closing quote continues the field, as Python's csv (and so
        # IntelMQ) reads it: an event with the host name "h5 broken", not a quarantined row.
        self.assertEqual(rep["events"], 4, rep)
        q = self.quarantine()
        self.assertEqual(len(q), rep["quarantined"])
        self.assertGreaterEqual(rep["quarantined"], 9)
        by_line = {item["line"]: item for item in q}
        # each bad row is there with its own line and a reason that names the problem
        self.assertIn("fields", by_line[3]["reason"])          # too few columns
        self.assertIn("198.51.100.300", by_line[4]["reason"])  # invalid IP
        self.assertIn("fields", by_line[5]["reason"])          # too many columns
        self.assertNotIn(6, by_line)                           # read as Python reads it
        self.assertIn("example.org", by_line[7]["reason"])     # not an IP
        self.assertIn("eighty", by_line[11]["reason"])         # port not a number
        self.assertIn("not a date", by_line[12]["reason"])     # time
        self.assertIn("unterminated", by_line[14]["reason"])   # quote open at the end
        for item in q:
            self.assertTrue(item["reason"])
            # the raw line is kept: text, or base64 when it is not UTF-8
            raw = item["raw"]
            self.assertTrue(isinstance(raw, str) or set(raw) == {"base64"}, raw)
        self.assertIn("base64", by_line[8]["raw"])  # the binary garbage, kept as it was
        self.assertIn("NUL", by_line[8]["reason"])
        ips = sorted(ev["event"]["source.ip"] for ev in self.events())
        self.assertEqual(ips, ["198.51.100.1", "198.51.100.12", "198.51.100.5", "198.51.100.9"])

    def test_stale_partial_spool_removed(self):
        # what a kill -9 during a receive leaves: the daemon removes it when a day old only
        spool = os.path.join(self.e.dir, "reports")
        os.makedirs(spool, exist_ok=True)
        old, new = os.path.join(spool, ".incoming-old"), os.path.join(spool, ".incoming-new")
        for path in (old, new):
            with open(path, "w") as f:
                f.write("partial")
        os.utime(old, (time.time() - 2 * 86400,) * 2)
        self.e.start()
        self.e.healthz()
        self.assertFalse(os.path.exists(old))
        self.assertTrue(os.path.exists(new))

    def test_huge_line(self):
        want_mb = int(os.environ.get("ERMES_BIG_LINE_MB", "4097"))
        free_mb = shutil.disk_usage(self.e.dir).free // (1 << 20)
        size_mb = min(want_mb, max(64, (free_mb - 2048) // 2))
        if size_mb < want_mb:
            print("\nnote: only %d MiB free; the huge line is %d MiB, not %d" %
                  (free_mb, size_mb, want_mb), file=sys.stderr)
        argv = [ERMES_BIN, "ingest", "--data-dir", self.e.dir, "--feed", "shadowserver",
                "--file-name", FILE_NAME, "--json", "-"]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        stop, mem = threading.Event(), {}
        t = threading.Thread(target=peak_memory, args=(p.pid, stop, mem))
        t.start()
        try:
            p.stdin.write(HEADER + good(1))
            p.stdin.write(b'"2026-01-01 02:07:16","198.51.100.2","tcp",5555,"')
            chunk = b"A" * (1 << 20)
            for _ in range(size_mb):
                p.stdin.write(chunk)
            p.stdin.write(b'",,,,,,,,,,,,,,,\n' + good(3))
            p.stdin.flush()
            out, err = p.communicate(timeout=1200)
            err = err.decode("utf-8", "replace")
        finally:
            stop.set()
            t.join()
            if p.poll() is None:
                p.kill()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        self.assertIn(p.returncode, (0, 1), err)
        rep = json.loads(out.decode().strip().splitlines()[-1])
        self.assertEqual(rep["state"], "done", rep)
        self.assertEqual((rep["rows_in"], rep["events"], rep["quarantined"]), (3, 2, 1), rep)
        self.assertEqual(rep["size"], len(HEADER) + 2 * len(good(1)) + size_mb * (1 << 20) +
                         len(b'"2026-01-01 02:07:16","198.51.100.2","tcp",5555,"') +
                         len(b'",,,,,,,,,,,,,,,\n'))
        q = self.quarantine()
        self.assertEqual(len(q), 1)
        self.assertEqual(q[0]["line"], 3)
        self.assertIn("longer than", q[0]["reason"])
        # the process's own memory stays small; the report's bytes are page cache
        print("\nhuge line %d MiB: peak RssAnon %d kB, peak VmRSS %d kB" %
              (size_mb, mem.get("anon_kb", 0), mem.get("rss_kb", 0)), file=sys.stderr)
        self.assertLess(mem.get("anon_kb", 0), 256 * 1024, mem)


if __name__ == "__main__":
    main()
