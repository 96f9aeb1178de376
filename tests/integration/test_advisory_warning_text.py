"""Issue 13 (advisories for people, one template system): the warning e-mail of a published
advisory carries the advisory's plain-text rendering (src/advisories/render.c, the text served at
/api/v1/advisories/{ref}/text), in the recipients' language where ermes has its words, so the
mail says what the published page says. Over real SMTP (aiosmtpd); both backends.

Two constituents own the affected product: one whose technical contact reads French gets the
French rendering (the same text as .../text?lang=fr), one whose contact reads Swedish (no
translation) gets the document's language, English. Each mail names its own assets, as before.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, normal, wait_until  # noqa: E402
from test_advisory_warnings import document  # noqa: E402

API = "/api/v1/advisories"
NOTIFICATIONS = "/api/v1/notifications"
CVE = "CVE-2026-20077"


class AdvisoryWarningText(DaemonTest):
    maxDiff = 8000
    mail = True
    users = (("alice", "analyst"), ("bob", "analyst"))

    def test_mail_carries_the_text_rendering(self):
        e = self.e
        assets = {}
        for short, lang in (("FRORG", "fr"), ("SVORG", "sv")):
            e.ok("POST", "/api/v1/organisations", {
                "short_name": short, "name": short + " Org",
                "contacts": [{"name": "IT", "email": "it@%s.example" % short.lower(),
                              "role": "technical", "language": lang}]}, expect=201)
            assets[short] = e.ok("POST", "/api/v1/assets", {
                "org": short, "vendor": "Example Vendor", "product": "Gateway",
                "version": "5.1"}, expect=201)["id"]
        a = self.req("POST", API, document(cve=CVE), expect=201)
        ref = a["tracking_id"]
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"summary": "Initial release."})
        wait_until(lambda: self.req("GET", "%s/%s/warnings" % (API, ref))["warned_revision"]
                   == a["revision"], timeout=60, interval=0.3, what="the warnings")
        self.e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.smtp.mailbox.count() >= 2, timeout=60, what="two warnings")
        self.assertEqual(self.smtp.mailbox.count(), 2)
        made = {n["reference"]: n for n in e.list_all(NOTIFICATIONS)}
        by_org = {made[str(m["msg"]["X-ERMES-Reference"])]["org"]: m["msg"]
                  for m in self.smtp.mailbox.all()}
        self.assertEqual(sorted(by_org), ["FRORG", "SVORG"])

        _, _, fr = e.request("GET", "%s/%s/text?lang=fr" % (API, ref), raw=True)
        _, _, en = e.request("GET", "%s/%s/text" % (API, ref), raw=True)
        fr, en = normal(fr.decode("utf-8")), normal(en.decode("utf-8"))
        self.assertNotEqual(fr, en)
        for org, want, other in (("FRORG", fr, en), ("SVORG", en, fr)):
            with self.subTest(org=org):
                text = normal(body_text(by_org[org]))
                # The whole rendering, as served, with its sections (title, TLP, tracking,
                # vulnerabilities with the CVE and the remediation, revision history).
                self.assertIn(want.strip("\n"), text)
                self.assertNotIn(other.strip("\n"), text)
                self.assertIn(CVE, want)
                self.assertIn("Update the Gateway to 6.0", want)
                self.assertIn("Initial release.", want)
                # ... and the constituent's own assets, named as before.
                self.assertIn("asset %d: Example Vendor Gateway 5.1 (new)" % assets[org], text)
                for o, aid in assets.items():
                    if o != org:
                        self.assertNotIn("asset %d:" % aid, text)
        notes = {n["org"]: n for n in made.values()}
        self.assertEqual((notes["FRORG"]["language"], notes["SVORG"]["language"]), ("fr", "en"))


if __name__ == "__main__":
    main()
