"""The same file twice (issue 15, item 4), through the real binary: `ermes ingest` of a file
already received for the same feed says "already received as report N", exits 0 and stores no
report, no event and no quarantined row; --force stores it again (its rows then duplicates); a
file dropped into the spool directory a second time is taken and removed without a new report.
The API's side is in test_intake.py (test_same_file_again_is_already_received)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main, wait_until  # noqa: E402

HEADER = (b'"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          b'"naics","sic","name","model","device","features","device_vendor","device_type",'
          b'"device_model","device_version","device_sector"\n')
FILE_NAME = "2026-01-01-scan_adb-example-geo.csv"
REPORT = (HEADER +
          b'"2026-01-01 02:07:16","198.51.100.1","tcp",5555,"h1","adb",64496,"BE",,,,,,,,,,,,,\n'
          b'"2026-01-01 02:07:16","198.51.100.2","tcp",5555,"h2","adb",64496,"BE",,,,,,,,,,,,,\n'
          b'"2026-01-01 02:07:16","999.51.100.3","tcp",5555,"h3","adb",64496,"BE",,,,,,,,,,,,,\n')


class SameFile(unittest.TestCase):
    def setUp(self):
        self.e = Ermes(demo=True, start=False)

    def tearDown(self):
        self.e.close()

    def lines(self, *args):
        rc, out, err = self.e.cli(*args)
        self.assertEqual(rc, 0, err)
        return [json.loads(x) for x in out.splitlines() if x.strip()]

    def counts(self):
        return (len(self.lines("reports", "--json")), len(self.lines("events", "--format",
                                                                      "ndjson")),
                len(self.lines("quarantine", "--json")))

    def test_cli_twice(self):
        path = os.path.join(self.e.dir, FILE_NAME)
        with open(path, "wb") as f:
            f.write(REPORT)
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--json", path)
        self.assertEqual(rc, 1, err)  # one row quarantined
        first = json.loads(out.strip().splitlines()[-1])
        self.assertEqual((first["events"], first["quarantined"]), (2, 1))
        self.assertEqual(self.counts(), (1, 2, 1))

        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", path)
        self.assertEqual(rc, 0, err)
        self.assertIn("already received as report %d" % first["id"], out)
        self.assertEqual(self.counts(), (1, 2, 1))
        # The same through standard input and with --json: the first report's record.
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--file-name", FILE_NAME,
                                  "--json", "-", input=REPORT)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out.strip().splitlines()[-1])["id"], first["id"])
        self.assertEqual(self.counts(), (1, 2, 1))

        # --force: a second report, its rows duplicates or quarantined again.
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--force", "--json", path)
        forced = json.loads(out.strip().splitlines()[-1])
        self.assertNotEqual(forced["id"], first["id"])
        self.assertEqual((forced["events"], forced["duplicates"]), (0, 2))
        self.assertEqual(self.counts()[:2], (2, 2))

        # A single changed byte is another file.
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--file-name", FILE_NAME,
                                  "--json", "-", input=REPORT.replace(b"h1", b"h9"))
        self.assertNotEqual(json.loads(out.strip().splitlines()[-1])["id"], first["id"])

    def test_spool_twice(self):
        self.e.start()
        spool = os.path.join(self.e.dir, "spool", "shadowserver")
        os.makedirs(spool, exist_ok=True)

        def drop(name):
            tmp = os.path.join(spool, "." + name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(REPORT)
            os.rename(tmp, os.path.join(spool, name))
            wait_until(lambda: not os.path.exists(os.path.join(spool, name)), timeout=30,
                       what="%s taken from the spool" % name)

        drop(FILE_NAME)
        first = wait_until(lambda: [r for r in self.e.list_all("/api/v1/reports")
                                    if r["state"] == "done"], timeout=30, what="report done")
        drop("2026-01-02-scan_adb-example-geo.csv")
        reports = self.e.list_all("/api/v1/reports")
        self.assertEqual([r["id"] for r in reports], [first[0]["id"]])
        failed = os.path.join(spool, ".failed")
        self.assertFalse(os.path.isdir(failed) and os.listdir(failed))


if __name__ == "__main__":
    main()
