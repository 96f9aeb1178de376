"""Quarantine you can work (issue 15, item 5), through the real binary: a quarantined row is
corrected (the edited line takes the row's place, the retry makes an event) or dismissed with a
reason; both audited; the report's accounting moves (quarantined -> events, quarantined ->
dismissed), so rows_in = events + duplicates + quarantined + dismissed. API and CLI, and
`ermes quarantine --help` shows quarantine's own usage."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402

HEADER = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          '"naics","sic","name","model","device","features","device_vendor","device_type",'
          '"device_model","device_version","device_sector"\n')
FILE_NAME = "2026-01-01-scan_adb-example-geo.csv"


def row(ip, port="5555", host="h"):
    return ('"2026-01-01 02:07:16","%s","tcp",%s,"%s","adb",64496,"BE",,,,,,,,,,,,,\n'
            % (ip, port, host))


BODY = (HEADER + row("198.51.100.1") + row("198.51.100.300") + row("198.51.100.3", "eighty")
        + row("198.51.100.4", "x4")).encode()
QUARANTINE = "/api/v1/quarantine"


class QuarantineWork(unittest.TestCase):
    def setUp(self):
        self.e = Ermes(demo=True)

    def tearDown(self):
        self.e.close()

    def upload(self):
        r = self.e.ok("POST", "/api/v1/reports?feed=shadowserver&wait=true&file_name=" + FILE_NAME,
                      BODY, content_type="text/csv", expect=201)
        self.assertEqual(r["accounting"], {"rows_in": 4, "events": 1, "duplicates": 0,
                                           "quarantined": 3, "dismissed": 0})
        rows = {q["line"]: q for q in self.e.list_all(QUARANTINE + "?report=%d" % r["id"])}
        self.assertEqual(sorted(rows), [3, 4, 5])
        for q in rows.values():
            self.assertEqual((q["edited_raw"], q["resolution"], q["resolved_by"]),
                             (None, None, None))
        return r, rows

    def accounting(self, rid):
        return self.e.ok("GET", "/api/v1/reports/%d" % rid)["accounting"]

    def audit(self, action):
        return [a["object_id"] for a in
                self.e.list_all("/api/v1/audit?object_type=quarantine&action=" + action)]

    def test_api(self):
        e = self.e
        r, rows = self.upload()
        bad_ip, bad_port = rows[3], rows[4]
        # A correction that still fails: 422, the row stays open, the correction is kept.
        s, _, b = e.request("POST", "%s/%d/retry" % (QUARANTINE, bad_ip["id"]),
                            {"raw": bad_ip["raw"].replace("198.51.100.300", "198.51.100.301")})
        assert_error(self, s, b, 422, "invalid")
        self.assertIn("198.51.100.301", b["error"]["message"] if "error" in b else str(b))
        # Not one line, not a string: refused before anything is stored.
        for bad in ({"raw": "a\nb"}, {"raw": ""}, {"raw": 5}):
            s, _, b = e.request("POST", "%s/%d/retry" % (QUARANTINE, bad_ip["id"]), bad)
            assert_error(self, s, b, 422, "invalid", field="raw")
        # The right correction: an event with the corrected address, the accounting moves.
        fixed = bad_ip["raw"].replace("198.51.100.300", "198.51.100.30")
        got = e.ok("POST", "%s/%d/retry" % (QUARANTINE, bad_ip["id"]), {"raw": fixed})
        self.assertEqual(got["state"], "retried")
        ev = e.ok("GET", "/api/v1/events/%d" % got["event_id"])
        self.assertEqual(ev["event"]["source.ip"], "198.51.100.30")
        now = {q["id"]: q for q in e.list_all(QUARANTINE + "?report=%d" % r["id"])}
        self.assertEqual(now[bad_ip["id"]]["edited_raw"], fixed)
        self.assertEqual(now[bad_ip["id"]]["raw"], bad_ip["raw"])  # the original is kept
        self.assertEqual(now[bad_ip["id"]]["state"], "retried")
        self.assertEqual(self.accounting(r["id"]), {"rows_in": 4, "events": 2, "duplicates": 0,
                                                    "quarantined": 2, "dismissed": 0})
        self.assertIn(str(bad_ip["id"]), self.audit("edit"))
        self.assertIn(str(bad_ip["id"]), self.audit("retry"))
        # Dismissed with a reason: resolved, audited, counted as dismissed.
        s, _, b = e.request("POST", "%s/%d/dismiss" % (QUARANTINE, bad_port["id"]), {})
        assert_error(self, s, b, 422, "invalid", field="reason")
        got = e.ok("POST", "%s/%d/dismiss" % (QUARANTINE, bad_port["id"]),
                   {"reason": "the sensor wrote a service name; nothing to notify"})
        self.assertEqual(got, {"id": bad_port["id"], "state": "resolved"})
        q = [x for x in e.list_all(QUARANTINE + "?state=resolved") if x["id"] == bad_port["id"]]
        self.assertEqual((q[0]["resolution"], q[0]["resolved_by"]),
                         ("the sensor wrote a service name; nothing to notify", "admin"))
        self.assertEqual(self.accounting(r["id"]), {"rows_in": 4, "events": 2, "duplicates": 0,
                                                    "quarantined": 1, "dismissed": 1})
        self.assertIn(str(bad_port["id"]), self.audit("dismiss"))
        # Neither twice; a dismissed row cannot be retried, a retried one not dismissed.
        for path in ("%d/dismiss" % bad_port["id"], "%d/dismiss" % bad_ip["id"]):
            s, _, b = e.request("POST", "%s/%s" % (QUARANTINE, path), {"reason": "again"})
            assert_error(self, s, b, 409, "conflict")
        s, _, b = e.request("POST", "%s/%d/retry" % (QUARANTINE, bad_port["id"]))
        assert_error(self, s, b, 409)
        s, _, b = e.request("POST", "%s/999999/dismiss" % QUARANTINE, {"reason": "x"})
        assert_error(self, s, b, 404, "not_found")
        # A constituent may not.
        _, tok = e.user_token("q-uma", "constituent", org="UMA")
        s, _, b = e.request("POST", "%s/%d/dismiss" % (QUARANTINE, rows[5]["id"]),
                            {"reason": "x"}, token=tok)
        self.assertIn(s, (403, 404))

    def test_cli(self):
        e = self.e
        rc, out, err = e.cli("quarantine", "--help")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("usage: ermes quarantine"), out)
        self.assertIn("dismiss ID --reason TEXT", out)
        r, rows = self.upload()
        fixed = rows[4]["raw"].replace('"eighty"', "80").replace(",eighty,", ",80,")
        rc, out, err = e.cli("quarantine", "retry", str(rows[4]["id"]), "--raw", fixed)
        self.assertEqual(rc, 0, err)
        self.assertIn("is now event", out)
        rc, out, err = e.cli("quarantine", "dismiss", str(rows[5]["id"]))
        self.assertEqual(rc, 2, err)  # no reason
        rc, out, err = e.cli("quarantine", "dismiss", str(rows[5]["id"]), "--reason", "junk")
        self.assertEqual(rc, 0, err)
        rc, out, err = e.cli("quarantine", "dismiss", str(rows[5]["id"]), "--reason", "junk")
        self.assertEqual(rc, 1, err)  # not open any more
        self.assertEqual(self.accounting(r["id"]), {"rows_in": 4, "events": 2, "duplicates": 0,
                                                    "quarantined": 1, "dismissed": 1})
        self.assertIn(str(rows[4]["id"]), self.audit("edit"))
        self.assertIn(str(rows[5]["id"]), self.audit("dismiss"))
        rc, out, err = e.cli("quarantine", "--json", "--state", "resolved")
        self.assertEqual(rc, 0, err)
        self.assertIn('"resolution":"junk"', out)


if __name__ == "__main__":
    main()
