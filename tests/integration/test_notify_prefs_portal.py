"""A constituent sets its own notification preferences (issue 15, item 11), over real SMTP.

UMA's constituent user reads and sets UMA's preferences (classes wanted, attachment format),
never DG-DIGIT's (404 as for any object it may not see); each change is audited with the user
and each changed field's old and new value; staff keep their access. The next notification
round honours what the constituent chose: only the class it wants, in the format it wants, and
the text says how the events are attached in that format's words (issue 15 item 11's template
wording: "one per line" for a CSV only, in the recipient's language).
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402
from test_notify import UMA_ABUSE, ingest_report  # noqa: E402


def prefs_path(org):
    return "/api/v1/organisations/%s/notification-preferences" % org


class PortalPrefsTest(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True
    daemon_env = {"ERMES_NOTIFY_WINDOW": "1"}

    def ingest(self, rows, feed_name="portal-feed"):
        ingest_report(self, rows, feed_name)

    def test_constituent_sets_its_own(self):
        e = self.e
        _, tok = e.user_token("uma-portal", "constituent", org="UMA")
        _, other_tok = e.user_token("digit-portal", "constituent", org="DG-DIGIT")

        # Its own: read and set. Another's: 404 for reading and for setting, unchanged.
        got = e.ok("GET", prefs_path("UMA"), token=tok)
        self.assertEqual((got["attachment"], got["classifications"]), ("csv", []))
        for method, body in (("GET", None), ("PUT", {"attachment": "json"})):
            status, _, b = e.request(method, prefs_path("DG-DIGIT"), body, token=tok)
            self.assertEqual(status, 404, b)
        self.assertEqual(e.ok("GET", prefs_path("DG-DIGIT"))["attachment"], "csv")
        # A bad value is refused naming its field, as for the staff.
        status, _, b = e.request("PUT", prefs_path("UMA"), {"frequency": "hourly"}, token=tok)
        self.assertEqual((status, b["error"]["field"]), (422, "frequency"), b)
        mine = e.ok("PUT", prefs_path("UMA"), {"classifications": ["scanner"],
                                               "attachment": "xarf"}, token=tok)
        self.assertEqual((mine["classifications"], mine["attachment"]), (["scanner"], "xarf"))
        self.assertEqual(e.ok("GET", prefs_path("UMA"))["attachment"], "xarf")
        # DG-DIGIT's own user cannot touch UMA's either.
        status, _, b = e.request("PUT", prefs_path("UMA"), {"attachment": "csv"}, token=other_tok)
        self.assertEqual(status, 404, b)

        # Audited: who, and what changed from what.
        audit = [a for a in e.list_all("/api/v1/audit", limit=200)
                 if a["object_type"] == "notification_preferences"]
        self.assertEqual(len(audit), 1, audit)
        self.assertEqual(audit[0]["actor"], "uma-portal")
        self.assertEqual(audit[0]["detail"]["changed"],
                         {"classifications": [[], ["scanner"]], "attachment": ["csv", "xarf"]})
        self.assertEqual(audit[0]["detail"]["attachment"], "xarf")

        # The round honours it: of UMA's two events only the scanner one, as one X-ARF file,
        # and the text names the file and the format, never "one per line".
        self.ingest([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
                     ("198.51.100.9", "2026-03-01T10:01:00Z", "vulnerable-system", "AMBER"),
                     ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER")])
        wait_until(lambda: self.mails_to("medicines.example"), timeout=60, what="UMA's message")
        wait_until(lambda: self.mails_to("dg-digit"), timeout=60, what="DG-DIGIT's message")
        uma = self.mails_to("medicines.example")
        self.assertEqual(len(uma), 1)
        self.assertEqual(uma[0]["rcpts"], [UMA_ABUSE])
        msg = uma[0]["msg"]
        parts = list(msg.iter_attachments())
        self.assertEqual(len(parts), 1)
        self.assertTrue(parts[0].get_filename().endswith("-1.xarf.json"), parts[0].get_filename())
        doc = json.loads(parts[0].get_payload(decode=True).decode())
        self.assertEqual((doc["Report"]["SourceIp"], doc["Report"]["ReportType"]),
                         ("198.51.100.7", "PortScan"))
        text = body_text(msg)
        self.assertIn("They are attached as X-ARF reports, one file per event (%s)."
                      % parts[0].get_filename(), text)
        self.assertNotIn("one per line", text)
        # DG-DIGIT kept the defaults (CSV) and reads French: "un par ligne", its CSV named.
        digit = self.mails_to("dg-digit")[0]["msg"]
        dparts = list(digit.iter_attachments())
        self.assertEqual([p.get_content_type() for p in dparts], ["text/csv"])
        self.assertIn("Le fichier joint %s les énumère, un par ligne." % dparts[0].get_filename(),
                      body_text(digit))

        # The staff keep their access: they switch UMA to JSON; the next message follows.
        e.ok("PUT", prefs_path("UMA"), {"attachment": "json"})
        self.ingest([("198.51.100.8", "2026-03-02T10:00:00Z", "scanner", "AMBER")])
        wait_until(lambda: len(self.mails_to("medicines.example")) >= 2, timeout=60,
                   what="UMA's second message")
        msg = self.mails_to("medicines.example")[1]["msg"]
        parts = list(msg.iter_attachments())
        self.assertEqual([p.get_content_type() for p in parts], ["application/json"])
        self.assertEqual(len(json.loads(parts[0].get_payload(decode=True).decode())), 1)
        text = body_text(msg)
        self.assertIn("The attached file %s lists them as a JSON array, one object per event."
                      % parts[0].get_filename(), text)
        self.assertNotIn("one per line", text)
        audit = [a for a in e.list_all("/api/v1/audit", limit=200)
                 if a["object_type"] == "notification_preferences"]
        self.assertEqual(len(audit), 2, audit)
        self.assertEqual([a["detail"]["changed"] for a in audit if a["actor"] != "uma-portal"],
                         [{"attachment": ["xarf", "json"]}])


if __name__ == "__main__":
    main()
