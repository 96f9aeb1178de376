"""Issue 13, item 6: new assets are warned at once, not at the next revision or import.

An advisory is published and a CVE record imported while ACME has no asset. Then ACME's assets
arrive: one through the API (the product the advisory names as affected) and one from a CSV
file through `ermes assets import` (the product the CVE affects): within seconds ACME gets one
advisory warning and one vulnerability warning over real SMTP (aiosmtpd), each naming the new
asset. Changing the assets and adding an asset nothing concerns send nothing more: never twice for the same (asset, advisory or vulnerability). A second asset of
the affected product is warned of on its own. Both backends.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402
from test_advisory_warnings import document  # noqa: E402
from test_vulns import CVE5  # noqa: E402

API = "/api/v1/advisories"
NOTIFICATIONS = "/api/v1/notifications"
CVE = "CVE-2026-20099"


class NewAssetsWarned(DaemonTest):
    maxDiff = 6000
    mail = True
    users = (("alice", "analyst"), ("bob", "analyst"))
    tmp_prefix = "ermes-newassets-"

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def mails(self):
        self.e.ok("POST", NOTIFICATIONS + "/run?now=true")
        return [body_text(m["msg"]) for m in self.smtp.mailbox.all()]

    def wait_mails(self, n, what):
        wait_until(lambda: len(self.mails()) >= n, timeout=60, interval=0.3, what=what)
        self.assertEqual(self.smtp.mailbox.count(), n)

    def notifications(self):
        return self.e.list_all(NOTIFICATIONS)

    def test_new_assets_warned_once(self):
        e = self.e
        e.ok("POST", "/api/v1/organisations", {
            "short_name": "ACME", "name": "Acme",
            "contacts": [{"name": "IT", "email": "it@acme.example", "role": "technical",
                          "language": "en"}]}, expect=201)
        a = self.req("POST", API, document(cve=CVE), expect=201)
        self.ref = a["tracking_id"]
        self.req("POST", "%s/%s/submit" % (API, self.ref))
        self.req("POST", "%s/%s/approve" % (API, self.ref), token=self.bob_t)
        self.req("POST", "%s/%s/publish" % (API, self.ref), {"summary": "Initial release."})
        self.cli_ok("vulns", "import", self.write("cve5.json", json.dumps(CVE5)))
        wait_until(lambda: self.req("GET", "%s/%s/warnings" % (API, self.ref))
                   ["warned_revision"] == 1, timeout=60, interval=0.3, what="the advisory")
        self.assertEqual(self.mails(), [])

        # An asset through the API: the advisory warns ACME of it at once.
        gw = e.ok("POST", "/api/v1/assets", {"org": "ACME", "vendor": "Example Vendor",
                                             "product": "Gateway", "version": "5.1"},
                  expect=201)
        self.wait_mails(1, "the advisory's warning of the new asset")
        text = self.mails()[0]
        self.assertIn(self.ref, text)
        self.assertIn(CVE, text)
        self.assertIn("asset %d: Example Vendor Gateway 5.1 (new)" % gw["id"], text)
        w = self.req("GET", "%s/%s/warnings" % (API, self.ref))
        self.assertEqual([(x["org"], x["asset_id"]) for x in w["data"]], [("ACME", gw["id"])])

        # Assets from a CSV file: the stored CVE record warns of the affected one.
        csv = self.write("assets.csv", "vendor,product,version\nExample,Widget,3.1.0\n"
                                       "Other,Thing,1.0\n")
        self.cli_ok("assets", "import", "--org", "ACME", csv)
        self.wait_mails(2, "the vulnerability's warning of the imported asset")
        text = self.mails()[1]
        self.assertIn("CVE-2026-10001", text)
        self.assertIn("Example Widget 3.1.0", text)
        self.assertNotIn("Thing", text)

        # Never twice: the assets changed (their names), an asset nothing concerns added. Then
        # one more asset of each affected product: each warned of on its own. The daemon matches the changes in order, so once the last two warnings exist
        # the first changes were matched too: exactly two notifications more.
        e.ok("PATCH", "/api/v1/assets/%d" % gw["id"], {"name": "edge gateway"})
        widget = [x for x in e.list_all("/api/v1/assets") if x.get("product") == "Widget"]
        self.assertEqual(len(widget), 1, widget)
        e.ok("PATCH", "/api/v1/assets/%d" % widget[0]["id"], {"name": "intranet widget"})
        e.ok("POST", "/api/v1/assets", {"org": "ACME", "vendor": "Nobody", "product": "Nothing",
                                        "version": "1"}, expect=201)
        gw2 = e.ok("POST", "/api/v1/assets", {"org": "ACME", "vendor": "Example Vendor",
                                              "product": "Gateway", "version": "5.1",
                                              "name": "backup gateway"}, expect=201)
        w2 = e.ok("POST", "/api/v1/assets", {"org": "ACME", "vendor": "Example",
                                             "product": "Widget", "version": "3.2.0"},
                  expect=201)
        wait_until(lambda: len(self.notifications()) >= 4, timeout=60, interval=0.3,
                   what="the warnings of the two new assets")
        self.assertEqual(len(self.notifications()), 4)
        self.wait_mails(4, "the mails of the two new assets")
        texts = self.mails()[2:]
        adv = [t for t in texts if self.ref in t]
        vul = [t for t in texts if self.ref not in t]
        self.assertEqual((len(adv), len(vul)), (1, 1), texts)
        concerned = adv[0].split("Your assets concerned:")[1]
        self.assertIn("asset %d: Example Vendor Gateway 5.1 (new)" % gw2["id"], concerned)
        self.assertIn("asset %d: Example Vendor Gateway 5.1\n" % gw["id"],
                      concerned.replace("\r\n", "\n"))
        self.assertIn("Example Widget 3.2.0", vul[0])
        self.assertNotIn("3.1.0", vul[0])
        self.assertEqual(w2["org"], "ACME")


if __name__ == "__main__":
    main()
