"""Per-constituent notification preferences (issue 15, item 11), over real SMTP (aiosmtpd).

UMA wants only feed scan-feed and class scanner, as they come, with a JSON attachment;
DG-DIGIT wants everything in a daily digest with X-ARF attachments. Events of both arrive:
UMA gets exactly its one wanted event (the others are stored and visible, never e-mailed);
DG-DIGIT gets nothing until its digest is due, then ONE message with all its events, the
period in the text, one X-ARF v4 document per event. The digest's due time is made to pass by
moving the digest clock back a day in the database (the daemon's own clock is the real one),
and the daemon is killed (kill -9) right then and again after the digest: one digest, never
two. The X-ARF schema is not in the repository (../shared/conformance has none), so every
document is checked for the fields the X-ARF v4 schema requires (xarf_shared.schema.json:
XarfBase ReporterInfo {ReporterOrg, ReporterOrgDomain, ReporterOrgEmail} and Disclosure;
ReportBase ReportClass (Content, Activity or Vulnerability) and ReportType; Date (RFC 3339);
SourceIp or SourceUrl) and read back by ermes's own X-ARF parser.
"""

import datetime
import email
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, db_connect, main, wait_until  # noqa: E402
from test_notify import UMA_ABUSE, ingest_report  # noqa: E402

NOTIFICATIONS = "/api/v1/notifications"
DIGIT_ABUSE_RCPT = "dg-digit"  # part of every DG-DIGIT contact address
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def prefs_path(org):
    return "/api/v1/organisations/%s/notification-preferences" % org


def check_xarf(tc, doc):
    """The fields the X-ARF v4 schema requires, and their types."""
    tc.assertEqual(doc["Version"], "4")
    tc.assertIsInstance(doc["Disclosure"], bool)
    info = doc["ReporterInfo"]
    tc.assertGreaterEqual(len(info["ReporterOrg"]), 3)
    tc.assertRegex(info["ReporterOrgDomain"], r"^[A-Za-z0-9.-]+$")
    tc.assertRegex(info["ReporterOrgEmail"], r"^[^@\s]+@[^@\s]+$")
    rep = doc["Report"]
    tc.assertIn(rep["ReportClass"], ("Content", "Activity", "Vulnerability"))
    tc.assertGreaterEqual(len(rep["ReportType"]), 1)
    tc.assertRegex(rep["Date"], RFC3339)
    tc.assertTrue("SourceIp" in rep or "SourceUrl" in rep, rep)
    if "SourcePort" in rep:
        tc.assertTrue(0 <= rep["SourcePort"] <= 65535)


class PrefsTest(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True
    daemon_env = {"ERMES_NOTIFY_WINDOW": "1"}

    def ingest(self, rows, feed_name):
        ingest_report(self, rows, feed_name)

    def test_preferences(self):
        e = self.e
        hour = datetime.datetime.now(datetime.timezone.utc).hour

        # Defaults: everything, as it comes, CSV.
        got = e.ok("GET", prefs_path("UMA"))
        self.assertEqual((got["feeds"], got["classifications"], got["frequency"],
                          got["attachment"], got["next_digest_at"]),
                         ([], [], "immediate", "csv", None))
        # Checked field by field.
        for body, field in (({"frequency": "hourly"}, "frequency"),
                            ({"attachment": "pdf"}, "attachment"),
                            ({"classifications": ["bogus"]}, "classifications"),
                            ({"feeds": "scan-feed"}, "feeds"),
                            ({"digest_hour": 24}, "digest_hour"),
                            ({"digest_weekday": 7}, "digest_weekday")):
            status, _, b = e.request("PUT", prefs_path("UMA"), body)
            self.assertEqual((status, b["error"]["field"]), (422, field), b)
        status, _, b = e.request("PUT", prefs_path("UMA"), {"colour": "red"})
        self.assertEqual(status, 422, b)

        uma = e.ok("PUT", prefs_path("UMA"), {"feeds": ["scan-feed"],
                                              "classifications": ["scanner"],
                                              "attachment": "json"})
        self.assertEqual((uma["feeds"], uma["classifications"], uma["attachment"]),
                         (["scan-feed"], ["scanner"], "json"))
        digit = e.ok("PUT", prefs_path("DG-DIGIT"), {"frequency": "daily", "digest_hour": hour,
                                                     "attachment": "xarf"})
        self.assertEqual((digit["frequency"], digit["digest_hour"], digit["attachment"]),
                         ("daily", hour, "xarf"))
        self.assertIsNotNone(digit["next_digest_at"])
        # The CLI shows and sets the same; a bad value is refused naming it.
        rc, out, err = e.cli("org", "prefs", "DG-DIGIT", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertIn("daily digest at %02d:00 UTC" % hour, out)
        self.assertIn("xarf", out)
        rc, out, err = e.cli("org", "prefs", "DG-HOME", "--frequency", "hourly", env=self.env)
        self.assertEqual(rc, 2, out)
        self.assertIn("frequency", err)
        rc, out, err = e.cli("org", "prefs", "DG-HOME", "--classifications", "vulnerable,scanner",
                             "--attachment", "json", "--json", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["classifications"], ["vulnerable", "scanner"])
        self.assertEqual(e.ok("GET", prefs_path("DG-HOME"))["attachment"], "json")
        # Audited, API and CLI alike.
        audit = [a for a in e.list_all("/api/v1/audit", limit=200)
                 if a["object_type"] == "notification_preferences"]
        self.assertEqual(len(audit), 3, audit)

        # A constituent reads its own organisation's preferences, not another's, and sets no
        # other's (its own: test_notify_prefs_portal.py).
        _, ctok = e.user_token("prefs-constituent", "constituent", org="UMA")
        status, _, b = e.request("GET", prefs_path("UMA"), token=ctok)
        self.assertEqual((status, b.get("attachment")), (200, "json"), b)
        status, _, b = e.request("GET", prefs_path("DG-DIGIT"), token=ctok)
        self.assertEqual(status, 404, b)
        status, _, b = e.request("PUT", prefs_path("DG-DIGIT"), {"attachment": "csv"}, token=ctok)
        self.assertEqual(status, 404, b)
        self.assertEqual(e.ok("GET", prefs_path("DG-DIGIT"))["attachment"], "xarf")

        # Events for both: UMA wants only the first; DG-DIGIT wants all three, in a digest.
        self.ingest([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
                     ("198.51.100.9", "2026-03-01T10:01:00Z", "vulnerable-system", "AMBER"),
                     ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER"),
                     ("192.0.2.6", "2026-03-01T11:02:00Z", "brute-force", "GREEN")], "scan-feed")
        self.ingest([("198.51.100.8", "2026-03-01T10:05:00Z", "scanner", "AMBER"),
                     ("192.0.2.7", "2026-03-01T11:05:00Z", "scanner", "AMBER")], "other-feed")

        wait_until(lambda: self.mails_to("medicines.example"), timeout=60, what="UMA's message")
        uma_mails = self.mails_to("medicines.example")
        self.assertEqual(len(uma_mails), 1)
        msg = uma_mails[0]["msg"]
        self.assertEqual(uma_mails[0]["rcpts"], [UMA_ABUSE])
        parts = list(msg.iter_attachments())
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_content_type(), "application/json")
        self.assertTrue(parts[0].get_filename().endswith(".json"), parts[0].get_filename())
        self.assertIn(parts[0].get_filename(), body_text(msg))
        events = json.loads(parts[0].get_payload(decode=True).decode())
        self.assertEqual(len(events), 1, events)
        ev = events[0]
        stored = e.ok("GET", "/api/v1/events/%d" % ev["id"])
        # Field by field the stored event, with its IntelMQ names (raw is the report's).
        want = dict(stored["event"], id=stored["id"])
        want.pop("raw", None)
        self.assertEqual(ev, want)
        self.assertEqual((ev["source.ip"], ev["feed.name"], ev["classification.type"]),
                         ("198.51.100.7", "scan-feed", "scanner"))
        # The events UMA did not want are stored and visible, never e-mailed.
        listed = {x["event"]["source.ip"] for x in e.list_all("/api/v1/events?org=UMA")}
        self.assertTrue({"198.51.100.7", "198.51.100.8", "198.51.100.9"} <= listed, listed)
        made = e.list_all(NOTIFICATIONS)
        self.assertEqual([n["org"] for n in made], ["UMA"], made)

        # DG-DIGIT: nothing until the digest is due. A round has passed (UMA's message went),
        # and another one makes nothing for it.
        stats = e.ok("POST", NOTIFICATIONS + "/run")
        self.assertEqual(stats["notifications"], 0, stats)
        self.assertEqual(self.mails_to(DIGIT_ABUSE_RCPT), [])

        # A day passes for the digest clock; the daemon is killed right then.
        db = db_connect(os.path.join(e.dir, "ermes.db"))
        db.execute("UPDATE notify_prefs SET digest_through = digest_through - 86400000 WHERE"
                   " org_id = (SELECT id FROM organisations WHERE short_name = 'DG-DIGIT')")
        db.commit()
        db.close()
        e.kill9()
        e.start(env=self.env)
        wait_until(lambda: self.mails_to(DIGIT_ABUSE_RCPT), timeout=60, what="the digest")
        digests = [n for n in e.list_all(NOTIFICATIONS) if n["org"] == "DG-DIGIT"]
        self.assertEqual(len(digests), 1, digests)
        self.assertEqual((digests[0]["group"], digests[0]["events"]), ("digest:daily", 3))
        mail = self.mails_to(DIGIT_ABUSE_RCPT)[0]["msg"]
        text = body_text(mail)
        # DG-DIGIT's contact reads French: the digest sentence with its period, in French.
        self.assertRegex(text, r"Voici votre synthèse quotidienne de ce que nous avons appris"
                               r" du \d{4}-\d\d-\d\d \d\d:\d\d au \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\)")
        self.assertIn("3 événements", text)
        parts = list(mail.iter_attachments())
        self.assertEqual(len(parts), 3)
        seen = set()
        for part in parts:
            self.assertEqual(part.get_content_type(), "application/json")
            self.assertTrue(part.get_filename().endswith(".xarf.json"))
            doc = json.loads(part.get_payload(decode=True).decode())
            check_xarf(self, doc)
            self.assertEqual(doc["Report"]["ReporterCaseID"], digests[0]["reference"])
            self.assertEqual(doc["ReporterInfo"]["ReporterOrgEmail"], "cert@ucert.example")
            seen.add((doc["Report"]["SourceIp"], doc["Report"]["ReportType"],
                      doc["Report"]["Date"][:16]))
        self.assertEqual(seen, {("192.0.2.5", "PortScan", "2026-03-01T11:00"),
                                ("192.0.2.6", "LoginAttack", "2026-03-01T11:02"),
                                ("192.0.2.7", "PortScan", "2026-03-01T11:05")})
        # ermes's own X-ARF parser reads one back as the same event.
        doc = parts[1].get_payload(decode=True)
        status, _, body = e.request("POST", "/api/v1/reports?feed=xarf&wait=true&file_name=x.json",
                                    doc, content_type="application/json")
        self.assertIn(status, (200, 201), body)
        self.assertEqual(body["accounting"]["events"], 1, body)

        # Killed again after the digest, started again: rounds go on (a new UMA event is
        # e-mailed) and the digest is not made twice.
        e.kill9()
        e.start(env=self.env)
        self.ingest([("198.51.100.7", "2026-03-02T10:00:00Z", "scanner", "AMBER")], "scan-feed")
        wait_until(lambda: len(self.mails_to("medicines.example")) >= 2, timeout=60,
                   what="UMA's second message")
        e.ok("POST", NOTIFICATIONS + "/run")
        self.assertEqual(len(self.mails_to(DIGIT_ABUSE_RCPT)), 1)
        self.assertEqual(len([n for n in e.list_all(NOTIFICATIONS) if n["org"] == "DG-DIGIT"]),
                         1)
        got = e.ok("GET", prefs_path("DG-DIGIT"))
        self.assertIsNotNone(got["digest_through"])


if __name__ == "__main__":
    main()
