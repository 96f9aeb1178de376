"""Issue 13, item 4: advisories for people: the HTML page and plain text of a published
advisory and the Atom feeds, from the one template engine, in the document's language.

TLP:CLEAR advisories are public (/public/advisories/<tracking id>.html, .txt, /public/advisories/feed.atom,
no token); GREEN and above only through the API to whom the TLP policy lets read them
(/api/v1/advisories/{ref}/html, /text, /api/v1/advisory-feed). The pages parse as XML, the
feeds as Atom with the right entries per reader, and a title holding <script> is escaped.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, main  # noqa: E402
import csafdocs  # noqa: E402

API = "/api/v1/advisories"
ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = 'Crash <script>alert(1)</script> & "quotes"'


class AdvisoryPages(DaemonTest):
    daemon_env = {"ERMES_CSAF_BASE_URL": "https://cert.example"}
    orgs = {"ACME": "Acme"}
    users = (("alice", "analyst"), ("bob", "analyst"), ("conny", "constituent", "ACME"))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ids = {}
        for n, label in ((81, "WHITE"), (82, "GREEN"), (83, "AMBER")):
            doc = csafdocs.advisory(n)
            doc["document"]["distribution"]["tlp"]["label"] = label
            if label == "WHITE":
                doc["document"]["title"] = EVIL
                doc["document"]["lang"] = "de"
                doc["document"]["notes"][0]["text"] = "Zusammenfassung \x1b]0;owned\x07 hier."
            a = cls.req("POST", API, doc, expect=201)
            ref = a["tracking_id"]
            cls.req("POST", "%s/%s/submit" % (API, ref))
            cls.req("POST", "%s/%s/approve" % (API, ref), token=cls.bob_t)
            cls.req("POST", "%s/%s/publish" % (API, ref), {})
            cls.ids[label] = ref
        cls.draft = cls.req("POST", API, csafdocs.advisory(84), expect=201)["tracking_id"]

    def get(self, path, token=None, expect=200):
        s, h, body = self.e.request("GET", path, token=token, raw=True)
        self.assertEqual(s, expect, "%s -> %d %r" % (path, s, body[:300]))
        return {k.lower(): v for k, v in dict(h).items()}, body

    def test_public_page_escaped_and_in_the_documents_language(self):
        ref = self.ids["WHITE"]
        h, body = self.get("/public/advisories/%s.html" % ref)
        self.assertTrue(h["content-type"].startswith("text/html"), h)
        self.assertIn("default-src", h["content-security-policy"])
        self.assertEqual(h["x-content-type-options"], "nosniff")
        text = body.decode()
        self.assertNotIn("<script>", text)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;", text)
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x07", text)
        root = ET.fromstring(body)  # well-formed: every value escaped
        self.assertEqual(root.get("lang"), "de")
        self.assertEqual(root.find("head/title").text, "%s: %s" % (ref, EVIL))
        self.assertEqual(root.find("body/main/h1").text, EVIL)
        heads = [x.text for x in root.iter("h2")]
        self.assertIn("Schwachstellen", heads)
        self.assertIn("Versionshistorie", heads)
        dds = [x.text for x in root.iter("dd")]
        self.assertIn(ref, dds)
        self.assertIn("1.0.0 (final)", dds)
        # The vulnerability with its CVE, score and products named.
        vuln = [s for s in root.iter("section") if s.get("class") == "vulnerability"][0]
        self.assertEqual(vuln.find("h3").text, "CVE-2024-00810 A flaw in product 0")
        paras = [p.text for p in vuln.iter("p")]
        self.assertIn("CVSS CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H (9.8 CRITICAL)", paras)
        self.assertIn("Betroffene Produkte: Example Vendor 81 Product 0 1.4.0", paras)
        links = [a.get("href") for a in root.iter("a")]
        self.assertIn("https://example.com/notice", links)
        # Another language on request.
        _, body = self.get("/public/advisories/%s.html?lang=fr" % ref)
        root = ET.fromstring(body)
        self.assertIn("Vulnérabilités", [x.text for x in root.iter("h2")])
        self.assertEqual(root.get("lang"), "fr")

    def test_public_text(self):
        ref = self.ids["WHITE"]
        h, body = self.get("/public/advisories/%s.txt" % ref)
        self.assertTrue(h["content-type"].startswith("text/plain"), h)
        text = body.decode()
        lines = text.splitlines()
        self.assertEqual(lines[0], EVIL)  # plain text: nothing to escape but controls
        self.assertEqual(lines[1], "%s 1.0.0 (final) TLP:CLEAR" % ref)
        self.assertIn("Zusammenfassung \\x1b]0;owned\\x07 hier.", text)
        self.assertNotIn("\x1b", text)
        self.assertIn("- CVE-2024-00810 A flaw in product 0", lines)
        self.assertIn("Schwachstellen:", lines)
        self.assertIn("- https://example.com/notice Vendor notice", lines)

    def test_tlp_for_pages(self):
        for label in ("GREEN", "AMBER"):
            for suffix in (".html", ".txt"):
                self.get("/public/advisories/%s%s" % (self.ids[label], suffix), expect=404)
        self.get("/public/advisories/%s.html" % self.draft, expect=404)
        self.get("/public/advisories/nothing.pdf", expect=404)
        # Signed in: GREEN for the constituency, AMBER not for another organisation.
        h, body = self.get("%s/%s/html" % (API, self.ids["GREEN"]), token=self.conny_t)
        ET.fromstring(body)
        self.get("%s/%s/text" % (API, self.ids["GREEN"]), token=self.conny_t)
        self.get("%s/%s/html" % (API, self.ids["AMBER"]), token=self.conny_t, expect=404)
        self.get("%s/%s/html" % (API, self.ids["AMBER"]), token=self.alice_t)
        self.get("%s/%s/html" % (API, self.draft), token=self.alice_t, expect=404)
        s, _, _ = self.e.request("GET", "%s/%s/html" % (API, self.ids["GREEN"]), token=None)
        self.assertEqual(s, 401)

    def feed(self, path, token=None):
        h, body = self.get(path, token=token)
        self.assertTrue(h["content-type"].startswith("application/atom+xml"), h)
        root = ET.fromstring(body)
        self.assertEqual(root.tag, ATOM + "feed")
        for tag in ("id", "title", "updated"):
            self.assertIsNotNone(root.find(ATOM + tag), tag)
        entries = {}
        for e in root.findall(ATOM + "entry"):
            for tag in ("id", "title", "updated", "published", "summary"):
                self.assertIsNotNone(e.find(ATOM + tag), tag)
            self.assertIsNotNone(e.find(ATOM + "author/" + ATOM + "name"))
            entries[e.find(ATOM + "id").text] = e
        return root, entries

    def test_feeds_per_reader(self):
        def urn(label):
            return "urn:ermes:advisory:" + self.ids[label]
        root, entries = self.feed("/public/advisories/feed.atom")
        self.assertEqual(root.find(ATOM + "id").text, "https://cert.example/public/advisories/feed.atom")
        self.assertEqual(set(entries), {urn("WHITE")})
        e = entries[urn("WHITE")]
        self.assertEqual(e.find(ATOM + "title").text, "%s: %s" % (self.ids["WHITE"], EVIL))
        self.assertEqual(e.find(ATOM + "link").get("href"),
                         "https://cert.example/public/advisories/%s.html" % self.ids["WHITE"])
        self.assertEqual(e.find(ATOM + "summary").text, "Zusammenfassung \ufffd]0;owned\ufffd hier.")
        # The constituent's own feed: CLEAR and GREEN; the staff's: all three; none without
        # a token.
        _, entries = self.feed("/api/v1/advisory-feed", token=self.conny_t)
        self.assertEqual(set(entries), {urn("WHITE"), urn("GREEN")})
        self.assertEqual(entries[urn("GREEN")].find(ATOM + "link").get("href"),
                         "https://cert.example/api/v1/advisories/%s/html" % self.ids["GREEN"])
        _, entries = self.feed("/api/v1/advisory-feed", token=self.alice_t)
        self.assertEqual(set(entries), {urn("WHITE"), urn("GREEN"), urn("AMBER")})
        s, _, _ = self.e.request("GET", "/api/v1/advisory-feed", token=None)
        self.assertEqual(s, 401)


if __name__ == "__main__":
    main()
