"""Issue 13 (one template system): the lines of a notification are templates of their own, over
real SMTP (aiosmtpd), on both backends.

notification/explanation (one line per type of event, the message's ${explanations}),
notification/digest_daily and digest_weekly (${digest}), notification/attached_csv, _json and
_xarf (${attached}) are read, refused with the line and column of a variable they do not know,
previewed, stored and reset through /api/v1/templates like the message. Stored, they are what
the next e-mail carries in their language: UMA's desk (English) gets its JSON attachment's
sentence and its explanation lines from the stored English ones, DG-DIGIT's (French) its daily
digest's sentence, its X-ARF sentence and its lines from the French ones. Reset, the next
e-mail has the built-in text again. The Atom feed's entry summary (atom/summary, one item per
summary note) is the other such list: a stored one changes the public feed, reset restores it.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, db_connect, main, wait_until  # noqa: E402
from test_notify import COLUMNS, quote, report  # noqa: E402
from test_advisory_warnings import document  # noqa: E402

TPL = "/api/v1/templates"
NOTIFICATIONS = "/api/v1/notifications"
EXPLANATION_EN = "* EN ${class} | ${type_words} | ${type}: ${count} ${events}"
ATTACHED_EN = "JSON-EN ${file} for ${org}."
EXPLANATION_FR = "* FR ${what} = ${count} ${events}"
DIGEST_FR = "SYNTHESE-FR ${period_start} .. ${period_end} pour ${org}"
XARF_FR = "XARF-FR ${file}"


def prefs_path(org):
    return "/api/v1/organisations/%s/notification-preferences" % org


class NotifyLines(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True
    daemon_env = {"ERMES_NOTIFY_WINDOW": "1"}
    users = (("alice", "analyst"), ("bob", "analyst"))

    def ingest(self, rows, feed_name):
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=r.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=" + feed_name))
        status, _, body = self.e.request("POST", path, report(rows), content_type="text/csv")
        self.assertIn(status, (200, 201), body)

    def test_1_catalogue_checks_preview(self):
        e = self.e
        listed = e.ok("GET", TPL + "?kind=notification")["data"]
        names = sorted({t["name"] for t in listed})
        self.assertEqual(names, ["attached_csv", "attached_json", "attached_xarf", "digest_daily",
                                 "digest_weekly", "explanation", "message"])
        self.assertIn({"kind": "atom", "name": "summary", "lang": "pl", "source": "builtin"},
                      e.ok("GET", TPL + "?kind=atom")["data"])
        # The defaults, in the languages the C tables had.
        self.assertEqual(e.ok("GET", TPL + "/notification/explanation/de")["text"],
                         "- ${what} (${type_note}${count} ${events}): ${explanation}")
        self.assertEqual(e.ok("GET", TPL + "/notification/attached_csv/fr")["text"],
                         "Le fichier joint ${file} les énumère, un par ligne.")
        self.assertIn("${period_start}",
                      e.ok("GET", TPL + "/notification/digest_weekly/nl")["text"])
        self.assertEqual(e.ok("GET", TPL + "/atom/summary/en")["text"], "${text}")
        # The legacy view still has the message alone.
        self.assertEqual({t["lang"] for t in e.ok("GET", "/api/v1/notification-templates")
                          ["data"]}, {"en", "fr", "de", "nl", "it", "es", "pl"})

        # Refused, with the line and column of what the line does not know.
        for path, text, line, col, var in (
                ("/notification/explanation/en", "- ${what}\n  ${org_name}", 2, 3, "org_name"),
                ("/notification/digest_daily/fr", "Du ${period_start} ${file}", 1, 20, "file"),
                ("/notification/attached_json/en", "${file} ${explanations}", 1, 9,
                 "explanations"),
                ("/atom/summary/en", "${text} ${link}", 1, 9, "link")):
            s, _, b = e.request("PUT", TPL + path, {"text": text})
            self.assertEqual((s, b["error"]["field"], b["error"]["line"], b["error"]["column"]),
                             (422, "text", line, col), b)
            self.assertIn("${%s}" % var, b["error"]["message"])
        s, _, b = e.request("PUT", TPL + "/notification/explanation/en", {"text": ""})
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)

        # Previews: the sample group through the edited line.
        p = e.ok("POST", TPL + "/preview", {"kind": "notification", "name": "explanation",
                                            "lang": "en", "text": EXPLANATION_EN})
        self.assertIn("* EN Vulnerable | vulnerable system | vulnerable-system: 9 events\n"
                      "* EN Malicious code | infected system | infected-system: 3 events\n",
                      p["body"])
        p = e.ok("POST", TPL + "/preview", {"kind": "notification", "name": "digest_weekly",
                                            "lang": "fr", "text": "HEBDO ${period_end}"})
        self.assertIn("HEBDO 2026-12-07 00:00\n\n", p["body"])
        p = e.ok("POST", TPL + "/preview", {"kind": "notification", "name": "attached_xarf",
                                            "lang": "fr", "text": XARF_FR})
        self.assertIn("XARF-FR ERMES-2026-000042-1.xarf.json … ERMES-2026-000042-12.xarf.json",
                      p["body"])
        self.assertEqual(e.ok("GET", TPL + "/notification/explanation/en")["source"], "builtin")

    def test_2_stored_lines_in_mail_then_reset(self):
        e = self.e
        for path, text in (("/notification/explanation/en", EXPLANATION_EN),
                           ("/notification/attached_json/en", ATTACHED_EN),
                           ("/notification/explanation/fr", EXPLANATION_FR),
                           ("/notification/digest_daily/fr", DIGEST_FR),
                           ("/notification/attached_xarf/fr", XARF_FR)):
            self.assertEqual(e.request("PUT", TPL + path, {"text": text},
                                       token=self.alice_t)[0], 403)
            got = e.ok("PUT", TPL + path, {"text": text})
            self.assertEqual((got["source"], got["text"]), ("stored", text))
        e.ok("PUT", prefs_path("UMA"), {"feeds": ["lines-feed"], "attachment": "json"})
        e.ok("PUT", prefs_path("DG-DIGIT"), {"frequency": "daily", "attachment": "xarf"})

        self.ingest([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
                     ("198.51.100.9", "2026-03-01T10:01:00Z", "vulnerable-system", "AMBER"),
                     ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER"),
                     ("192.0.2.6", "2026-03-01T11:02:00Z", "brute-force", "GREEN")],
                    "lines-feed")

        # UMA (English): the stored JSON sentence and explanation lines, no built-in ones.
        wait_until(lambda: self.mails_to("medicines.example"), timeout=60, what="UMA's message")
        uma = self.mails_to("medicines.example")[0]["msg"]
        text = body_text(uma).replace("\r\n", "\n")
        attached = [p.get_filename() for p in uma.iter_attachments()]
        self.assertEqual(len(attached), 1, attached)
        self.assertIn("\nJSON-EN %s for UMA.\n" % attached[0], text)
        self.assertNotIn("The attached file", text)
        self.assertIn("* EN Information gathering | scanner | scanner: 1 event\n", text)
        self.assertIn("* EN Vulnerable | vulnerable system | vulnerable-system: 1 event\n", text)
        self.assertNotIn("\n- ", text)

        # DG-DIGIT (French): its daily digest once due, with the French lines.
        db = db_connect(os.path.join(e.dir, "ermes.db"))
        db.execute("UPDATE notify_prefs SET digest_through = digest_through - 86400000 WHERE"
                   " org_id = (SELECT id FROM organisations WHERE short_name = 'DG-DIGIT')")
        db.commit()
        db.close()
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.mails_to("dg-digit"), timeout=60, what="the digest")
        digest = body_text(self.mails_to("dg-digit")[0]["msg"]).replace("\r\n", "\n")
        self.assertRegex(digest, r"\nSYNTHESE-FR \d{4}-\d\d-\d\d \d\d:\d\d \.\. "
                                 r"\d{4}-\d\d-\d\d \d\d:\d\d pour DG-DIGIT\n\n")
        self.assertNotIn("Voici votre synthèse", digest)
        self.assertRegex(digest, r"\nXARF-FR ERMES-\S+-1\.xarf\.json … ERMES-\S+-\d+\.xarf\.json\n")
        self.assertIn("\n* FR Collecte d'informations: scanner = 1 événement\n"
                      "* FR Tentatives d'intrusion: brute force = 1 événement\n", digest)

        # Reset: the built-in lines at once, in the next e-mail.
        for path in ("/notification/explanation/en", "/notification/attached_json/en",
                     "/notification/explanation/fr", "/notification/digest_daily/fr",
                     "/notification/attached_xarf/fr"):
            self.assertEqual(e.request("DELETE", TPL + path)[0], 204)
            self.assertEqual(e.ok("GET", TPL + path)["source"], "builtin")
        before = len(self.mails_to("medicines.example"))
        self.ingest([("198.51.100.8", "2026-03-02T10:05:00Z", "scanner", "AMBER")], "lines-feed")
        wait_until(lambda: len(self.mails_to("medicines.example")) > before, timeout=60,
                   what="UMA's second message")
        again = self.mails_to("medicines.example")[-1]["msg"]
        text = body_text(again).replace("\r\n", "\n")
        name = [p.get_filename() for p in again.iter_attachments()][0]
        self.assertIn("The attached file %s lists them as a JSON array, one object per event."
                      % name, text)
        self.assertIn("\n- Information gathering: scanner (1 event): a system scans other"
                      " systems on the Internet.\n", text)
        self.assertNotIn("JSON-EN", text)

    def test_3_atom_summary(self):
        e = self.e
        doc = document(cve="CVE-2026-20134")
        doc["document"]["distribution"]["tlp"]["label"] = "WHITE"
        doc["document"]["lang"] = "en"
        doc["document"]["notes"] = [
            {"category": "summary", "title": "First", "text": "One & two."},
            {"category": "details", "text": "Not in the feed."},
            {"category": "summary", "text": "Three <b>."}]
        s, _, a = e.request("POST", "/api/v1/advisories", doc, token=self.alice_t)
        self.assertEqual(s, 201, a)
        ref = a["tracking_id"]
        for step, body, tok in (("submit", None, self.alice_t), ("approve", None, self.bob_t),
                                ("publish", {"summary": "Initial release."}, self.alice_t)):
            s, _, b = e.request("POST", "/api/v1/advisories/%s/%s" % (ref, step), body,
                                token=tok)
            self.assertEqual(s, 200, b)

        def feed():
            s, _, b = e.request("GET", "/public/advisories/feed.atom", token=None, raw=True)
            self.assertEqual(s, 200)
            return b.decode("utf-8")
        self.assertIn("<summary>One &amp; two.\nThree &lt;b&gt;.</summary>", feed())
        e.ok("PUT", TPL + "/atom/summary/en", {"text": "[${title}] ${text}"})
        self.assertIn("<summary>[First] One &amp; two.\n[summary] Three &lt;b&gt;.</summary>",
                      feed())
        self.assertEqual(e.request("DELETE", TPL + "/atom/summary/en")[0], 204)
        self.assertIn("<summary>One &amp; two.\nThree &lt;b&gt;.</summary>", feed())


if __name__ == "__main__":
    main()
