"""A published CSAF advisory warns exactly the affected constituents (issue 13, item 6), over
real SMTP (aiosmtpd), matched by product_status (src/advisories/csaf_match.c).

Four constituents register assets: DG-DIGIT "Example Vendor Gateway 5.1" (vendor/product/
version, by staff over the API), UP the Gateway 5.2 by CPE (itself, over the API), UCM the
fixed Gateway 6.0 (CLI), DG-HOME an SBOM (CycloneDX: widget-core 3.1.0 by purl). The advisory
says Gateway 5.1 known_affected, 6.0 fixed, widget-core "vers:maven/>=3.0.0|<3.2.1"
known_affected (5.2 not named yet). Published: DG-DIGIT and DG-HOME get one warning each,
naming their assets, the tracking id, title, CVE and remediation; UP and UCM none. A revision
that changes only a note sends nothing. A revision adding Gateway 5.2 warns UP only. DG-DIGIT
marks its asset fixed through the API; a revision changing the remediation warns UP and
DG-HOME again, not DG-DIGIT. A TLP:AMBER advisory naming UCM's Gateway 6.0 warns UCM without
saying its title, CVE or remediation.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402
import csafdocs  # noqa: E402

API = "/api/v1/advisories"
NOTIFICATIONS = "/api/v1/notifications"
CVE = "CVE-2026-20001"

SBOM = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "metadata": {"component": {"type": "application", "name": "home-portal", "version": "1.0"}},
    "components": [
        {"type": "library", "group": "org.example", "name": "widget-core", "version": "3.1.0",
         "purl": "pkg:maven/org.example/widget-core@3.1.0"},
        {"type": "library", "group": "org.example", "name": "widget-ui", "version": "3.1.0",
         "purl": "pkg:maven/org.example/widget-ui@3.1.0"}]}


def document(with_52=False, remediation="Update the Gateway to 6.0 and widget-core to 3.2.1.",
             note="An attacker may run code.", affected=None, cve=CVE):
    """A valid security advisory (csafdocs' base, its product tree replaced)."""
    d = csafdocs.advisory(90)
    versions = [("GW-5.1", "5.1"), ("GW-6.0", "6.0")] + ([("GW-5.2", "5.2")] if with_52 else [])
    d["product_tree"] = {
        "branches": [{
            "category": "vendor", "name": "Example Vendor", "branches": [
                {"category": "product_name", "name": "Gateway", "branches": [
                    {"category": "product_version", "name": v,
                     "product": {"name": "Example Vendor Gateway " + v, "product_id": pid}}
                    for pid, v in versions]},
                {"category": "product_name", "name": "widget-core", "branches": [
                    {"category": "product_version_range", "name": "vers:maven/>=3.0.0|<3.2.1",
                     "product": {"name": "widget-core >=3.0.0 <3.2.1", "product_id": "WC-3",
                                 "product_identification_helper": {
                                     "purl": "pkg:maven/org.example/widget-core"}}}]}]}]}
    fixed = ["GW-6.0"] if affected is None else []
    if affected is None:
        affected = ["GW-5.1", "WC-3"] + (["GW-5.2"] if with_52 else [])
    v = d["vulnerabilities"][0]
    v["cve"] = cve
    v["title"] = "Remote code execution in the Gateway"
    v["notes"][0]["text"] = note
    v["product_status"] = {"known_affected": affected}
    if fixed:
        v["product_status"]["fixed"] = fixed
    v["remediations"] = [{"category": "vendor_fix", "details": remediation,
                          "product_ids": affected, "url": "https://example.com/fix"}]
    v["scores"][0]["products"] = affected
    v["threats"][0]["product_ids"] = affected
    del v["flags"]
    d["document"]["title"] = "Gateway and widget-core: remote code execution"
    return d


class AdvisoryWarningTest(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True
    users = (("alice", "analyst"), ("bob", "analyst"))
    tmp_prefix = "ermes-advwarn-"

    def publish(self, ref, summary):
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"summary": summary})
        self.assertEqual(a["status"], "published")
        rev = a["revision"]
        # The daemon makes the warnings of each publication within seconds.
        wait_until(lambda: self.req("GET", "%s/%s/warnings" % (API, ref))["warned_revision"]
                   == rev, timeout=60, interval=0.3, what="the warnings of revision %d" % rev)
        self.e.ok("POST", NOTIFICATIONS + "/run?now=true")
        return a

    def revise(self, ref, doc, summary):
        time.sleep(1.1)  # a later second for the revision's date: CSAF dates are compared
        self.req("PATCH", "%s/%s" % (API, ref), doc)
        return self.publish(ref, summary)

    def wait_mails(self, n, what):
        wait_until(lambda: self.mailbox.count() >= n, timeout=60, what=what)
        self.assertEqual(self.mailbox.count(), n)

    def test_advisory_warnings(self):
        e = self.e
        digit = e.ok("POST", "/api/v1/assets", {"org": "DG-DIGIT", "vendor": "Example Vendor",
                                                "product": "Gateway", "version": "5.1"},
                     expect=201)
        _, up_token = e.user_token("up-it", "constituent", org="UP")
        _, digit_token = e.user_token("digit-it", "constituent", org="DG-DIGIT")
        up = e.ok("POST", "/api/v1/assets",
                  {"cpe": "cpe:2.3:a:example_vendor:gateway:5.2:*:*:*:*:*:*:*"},
                  token=up_token, expect=201)
        rc, out, err = e.cli("assets", "add", "--org", "UCM", "--vendor", "Example Vendor",
                             "--product", "Gateway", "--version", "6.0", env=self.env)
        self.assertEqual(rc, 0, out + err)
        path = os.path.join(self.tmp, "bom.json")
        with open(path, "w") as f:
            json.dump(SBOM, f)
        rc, out, err = e.cli("assets", "import", "--org", "DG-HOME", path, env=self.env)
        self.assertEqual(rc, 0, out + err)
        home_assets = [a for a in e.list_all("/api/v1/assets") if a["org"] == "DG-HOME"]
        core = [a for a in home_assets if (a.get("purl") or "").startswith(
            "pkg:maven/org.example/widget-core")][0]

        # Published: DG-DIGIT and DG-HOME, one warning each.
        a = self.req("POST", API, document(), expect=201)
        ref = a["tracking_id"]
        self.publish(ref, "Initial release.")
        self.wait_mails(2, "two warnings")
        by_org = self.mails_by_org()
        self.assertEqual(sorted(by_org), ["DG-DIGIT", "DG-HOME"])
        text = body_text(by_org["DG-DIGIT"][0]["msg"])
        subject = str(by_org["DG-DIGIT"][0]["msg"]["Subject"])
        self.assertIn(ref, subject)
        self.assertIn("Gateway and widget-core: remote code execution", subject)
        self.assertIn("TLP:AMBER", subject)
        self.assertIn(CVE, text)
        self.assertIn("asset %d: Example Vendor Gateway 5.1 (new)" % digit["id"], text)
        self.assertIn("Remediation: Update the Gateway to 6.0", text)
        self.assertIn("https://example.com/fix", text)
        self.assertIn("version 1.0.0", text)
        home = body_text(by_org["DG-HOME"][0]["msg"])
        self.assertIn("pkg:maven/org.example/widget-core@3.1.0", home)
        # The advisory's own text (its rendering) names every product; the assets concerned
        # are DG-HOME's only.
        home = home.split("Your assets concerned:")[1]
        self.assertNotIn("widget-ui", home)
        self.assertNotIn("Gateway 5.1", home)
        w = self.req("GET", "%s/%s/warnings" % (API, ref))
        self.assertEqual(sorted((x["org"], x["asset_id"]) for x in w["data"]),
                         [("DG-DIGIT", digit["id"]), ("DG-HOME", core["id"])])
        # Constituents do not read the list of who was warned.
        self.req("GET", "%s/%s/warnings" % (API, ref), token=up_token, expect=403)
        # The warned vulnerability is on the asset, for the constituent to set its status.
        got = e.ok("GET", "/api/v1/assets/%d" % digit["id"], token=digit_token)
        self.assertEqual([(x["cve"], x["status"]) for x in got["vulnerabilities"]],
                         [(CVE, "affected")])

        # A revision that changes only a note: nothing (no notification made once its
        # warnings are done).
        made = len(e.list_all(NOTIFICATIONS))
        self.revise(ref, document(note="An attacker may run code remotely."), "A note.")
        self.assertEqual(len(e.list_all(NOTIFICATIONS)), made)
        self.assertEqual(self.mailbox.count(), 2)

        # A revision adding Gateway 5.2: UP only.
        self.revise(ref, document(with_52=True), "Gateway 5.2 is affected too.")
        self.wait_mails(3, "UP's warning")
        by_org = self.mails_by_org()
        self.assertEqual({k: len(v) for k, v in by_org.items()},
                         {"DG-DIGIT": 1, "DG-HOME": 1, "UP": 1})
        up_text = body_text(by_org["UP"][0]["msg"])
        self.assertIn("cpe:2.3:a:example_vendor:gateway:5.2", up_text)
        self.assertIn("version 3.0.0", up_text)

        # DG-DIGIT marks its asset fixed; a revision changing the remediation warns the other
        # two again, not DG-DIGIT.
        r = e.ok("PUT", "/api/v1/assets/%d/vulnerabilities/%s" % (digit["id"], CVE),
                 {"status": "fixed", "note": "updated to 6.0"}, token=digit_token)
        self.assertEqual(r["status"], "fixed")
        self.revise(ref, document(with_52=True, remediation="Update the Gateway to 6.0.1 and "
                                  "widget-core to 3.2.1."), "A better fix.")
        self.wait_mails(5, "the warnings of the new remediation")
        by_org = self.mails_by_org()
        self.assertEqual({k: len(v) for k, v in by_org.items()},
                         {"DG-DIGIT": 1, "DG-HOME": 2, "UP": 2})
        self.assertIn("Update the Gateway to 6.0.1", body_text(by_org["UP"][1]["msg"]))
        # Only the affected recipients: no constituent got another's assets.
        self.assertNotIn("gateway:5.2", body_text(by_org["DG-HOME"][1]["msg"]).split(
            "Your assets concerned:")[1])
        self.assertEqual(len(e.list_all(NOTIFICATIONS)), made + 3)

        # A TLP:AMBER advisory (the CERT's own, not shared with constituents) naming the
        # Gateway 6.0: UCM is warned of its asset, without the advisory's title, CVE or
        # remediation (the one TLP policy decides), in a TLP:AMBER message; its attachment (the
        # generic CSV, empty here) names none of them either.
        d2 = document(affected=["GW-6.0"], cve="CVE-2026-20002",
                      remediation="Secret remediation.")
        d2["document"]["distribution"]["tlp"]["label"] = "AMBER"
        d2["document"]["title"] = "Secret title"
        a2 = self.req("POST", API, d2, expect=201)
        self.publish(a2["tracking_id"], "Initial release.")
        self.wait_mails(6, "UCM's warning")
        msg = self.mails_by_org()["UCM"][0]["msg"]
        text = body_text(msg) + str(msg["Subject"]) + "".join(
            "%s %s" % (part.get_filename(), part.get_payload(decode=True).decode("utf-8", "replace"))
            for part in msg.iter_attachments())
        self.assertIn(a2["tracking_id"], str(msg["Subject"]))
        self.assertIn("Example Vendor Gateway 6.0", text)
        self.assertIn("This message is TLP:AMBER.", text)
        for secret in ("Secret title", "CVE-2026-20002", "Secret remediation"):
            self.assertNotIn(secret, text)


if __name__ == "__main__":
    main()
