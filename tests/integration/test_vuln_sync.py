"""Issue 13, item 5 in part: the daemon's scheduled sync of vulnerability intelligence.

A KEV catalogue is served by /usr/bin/python3's http.server on loopback, which counts the
requests; two daemons on one database have vuln_sources = kev=URL and vuln_sync_interval = 3600.
Without any command the catalogue's CVEs arrive, the source's run is recorded (last run, ok,
records, no error) and the catalogue is fetched exactly once across both daemons in the
interval. A second source whose server answers 404 is recorded with its error and does not
stop the first.
"""

import http.server
import json
import os
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main, wait_until  # noqa: E402
from test_vulns import KEV  # noqa: E402


class Counting(http.server.SimpleHTTPRequestHandler):
    hits = {}
    lock = threading.Lock()

    def do_GET(self):
        with Counting.lock:
            Counting.hits[self.path] = Counting.hits.get(self.path, 0) + 1
        return super().do_GET()

    def log_message(self, *a):
        pass


class VulnSync(unittest.TestCase):
    def test_scheduled_sync(self):
        root = tempfile.mkdtemp(prefix="ermes-kev-")
        with open(os.path.join(root, "kev.json"), "w") as f:
            json.dump(KEV, f)
        srv = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), lambda *a, **k: Counting(*a, directory=root, **k))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % srv.server_address[1]
        sources = "kev=%s/kev.json, kev=%s/missing.json" % (base, base)
        env = {"ERMES_VULN_SOURCES": sources, "ERMES_VULN_SYNC_INTERVAL": "3600"}
        try:
            with Ermes(env=env) as e:
                with Ermes(env=env, data_dir=e.dir, init=False, start=False) as e2:
                    e2._nlog = 100  # its own log file in the shared data directory
                    e2.start()
                    def arrived():
                        s, _, b = e.request("GET", "/api/v1/vulnerabilities?kev=true")
                        return s == 200 and sorted(v["cve"] for v in b["data"]) == [
                            "CVE-2021-44228", "CVE-2023-4966"]
                    wait_until(arrived, timeout=60, what="the KEV entries")

                    def rows():
                        db = db_connect(os.path.join(e.dir, "ermes.db"))
                        try:
                            return sorted(db.execute(
                                "SELECT source, ok, records, error, last_run_at FROM "
                                "vuln_sync_sources").fetchall())
                        finally:
                            db.close()
                    wait_until(lambda: len(rows()) == 2, timeout=60, what="both sources recorded")
                    r = rows()
                    self.assertEqual(r[0][0], "kev=%s/kev.json" % base)
                    self.assertEqual((int(r[0][1]), int(r[0][2]), r[0][3]), (1, 2, ""))
                    self.assertEqual(r[1][0], "kev=%s/missing.json" % base)
                    self.assertEqual(int(r[1][1]), 0)
                    self.assertIn("404", r[1][3])
                    # several seconds of both daemons' rounds: still one fetch each
                    first = r
                    def logged():
                        text = ""
                        for path in e._logs + e2._logs:
                            with open(path, "rb") as f:
                                text += f.read().decode("utf-8", "replace")
                        return ("vuln sync: kev=%s/kev.json: 2 records" % base in text
                                and "vuln sync: kev=%s/missing.json: " % base in text)
                    try:
                        wait_until(logged, timeout=60, what="both runs logged")
                    except AssertionError:
                        for path in e._logs + e2._logs:
                            with open(path, "rb") as f:
                                sys.stderr.write(path + ":\n" + f.read().decode()[-3000:])
                        raise
                    import time
                    deadline = time.monotonic() + 3
                    while time.monotonic() < deadline:
                        time.sleep(0.5)
                    self.assertEqual(Counting.hits.get("/kev.json"), 1, Counting.hits)
                    self.assertEqual(Counting.hits.get("/missing.json"), 1, Counting.hits)
                    self.assertEqual(rows(), first)
                    # the same for a person
                    rc, out, err = e.cli("vulns", "sources")
                    self.assertEqual(rc, 0, err)
                    lines = out.splitlines()
                    self.assertEqual(len(lines), 2, out)
                    self.assertIn("kev=%s/kev.json  " % base, lines[0])
                    self.assertIn("  ok  2 records, 2 changed", lines[0])
                    self.assertIn("failed", lines[1])
                    self.assertIn("404", lines[1])
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    main()
