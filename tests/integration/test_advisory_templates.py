"""Issue 13 item 4 (advisories for people, one template system, editable): the templates of an
advisory's HTML page, its plain-text page (also the body of the warning e-mails) and its Atom
feed entry are edited per language through /api/v1/advisory-templates, like the notification
templates. A stored template is used at once by /public/advisories/X.txt|.html, the feeds and
the next warning e-mail (real SMTP, aiosmtpd); a template naming an unknown variable or with an
unclosed placeholder is refused (422, field, line, column); DELETE brings back the shipped one;
every change is audited. Analysts read and preview, only administrators change. Both backends.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, normal, wait_until  # noqa: E402
from test_advisory_warnings import document  # noqa: E402

API = "/api/v1/advisories"
TPL = "/api/v1/advisory-templates"
NOTIFICATIONS = "/api/v1/notifications"
CVE = "CVE-2026-20131"

TEXT = ("CUSTOM ${tracking_id} v${version} TLP:${tlp}\n"
        "== ${title} ==\n"
        "${l_vulnerabilities}:\n"
        "${vulnerabilities}"
        "-- end of custom text --\n")
ATOM = ("<entry><id>${entry_id}</id><title>CUSTOM-ATOM ${tracking_id}</title>"
        "<updated>${current_release_date}</updated><link href=\"${link}\"/></entry>\n")


class AdvisoryTemplates(DaemonTest):
    maxDiff = 8000
    mail = True
    users = (("alice", "analyst"), ("bob", "analyst"))

    def test_edit_preview_use_restore(self):
        e = self.e
        builtin = e.ok("GET", TPL + "/text/en")
        self.assertEqual(builtin["source"], "builtin")
        self.assertIn("${vulnerabilities}", builtin["text"])
        listed = e.ok("GET", TPL)["data"]
        self.assertIn({"format": "atom", "lang": "pl", "source": "builtin"}, listed)
        self.assertEqual(len(listed), 21)

        # Refused: unknown placeholder (line 2), unclosed one, control character, unknown
        # format or language, an analyst changing it.
        s, _, b = e.request("PUT", TPL + "/text/en", {"text": "ok ${title}\nbad ${nope}\n"})
        self.assertEqual(s, 422, b)
        self.assertEqual((b["error"]["field"], b["error"]["line"], b["error"]["column"]),
                         ("text", 2, 5), b)
        self.assertIn("${nope}", b["error"]["message"])
        s, _, b = e.request("PUT", TPL + "/html/fr", {"text": "<p>${title</p>\n"})
        self.assertEqual((s, b["error"]["field"], b["error"]["line"]), (422, "text", 1), b)
        s, _, b = e.request("PUT", TPL + "/atom/en", {"text": "${summary}\n${l_id}\n"})
        self.assertEqual((s, b["error"]["line"]), (422, 2), b)  # no headings in the feed
        s, _, b = e.request("PUT", TPL + "/text/en", {"text": "a\x01b"})
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)
        s, _, b = e.request("PUT", TPL + "/text/en", {"text": "x", "lang": "en"})
        self.assertEqual((s, b["error"]["field"]), (422, "lang"), b)
        self.assertEqual(e.request("PUT", TPL + "/pdf/en", {"text": "x"})[0], 404)
        self.assertEqual(e.request("PUT", TPL + "/text/sv", {"text": "x"})[0], 404)
        self.assertEqual(e.request("PUT", TPL + "/text/en", {"text": "x"},
                                   token=self.alice_t)[0], 403)
        self.assertEqual(e.ok("GET", TPL + "/text/en")["source"], "builtin")

        # A live preview of the sample, nothing stored.
        p = self.req("POST", TPL + "/preview", {"format": "text", "text": TEXT})
        self.assertTrue(p["output"].startswith("CUSTOM EX-2026-0001 v2 TLP:CLEAR\n"), p)
        self.assertIn("CVE-2026-0001", p["output"])
        s, _, b = e.request("POST", TPL + "/preview", {"format": "text", "text": "${x}"},
                            token=self.alice_t)
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)
        s, _, b = e.request("POST", TPL + "/preview", {"format": "text", "text": TEXT,
                                                       "advisory": "NO-SUCH"})
        self.assertEqual((s, b["error"]["field"]), (422, "advisory"), b)
        self.assertEqual(e.ok("GET", TPL + "/text/en")["source"], "builtin")

        # Stored: the text and the feed entry in English.
        put = e.ok("PUT", TPL + "/text/en", {"text": TEXT})
        self.assertEqual((put["source"], put["text"]), ("stored", TEXT))
        e.ok("PUT", TPL + "/atom/en", {"text": ATOM})

        # A published TLP:CLEAR advisory affecting a constituent's asset.
        e.ok("POST", "/api/v1/organisations", {
            "short_name": "TPLORG", "name": "Template Org",
            "contacts": [{"name": "IT", "email": "it@tplorg.example", "role": "technical",
                          "language": "en"}]}, expect=201)
        e.ok("POST", "/api/v1/assets", {"org": "TPLORG", "vendor": "Example Vendor",
                                        "product": "Gateway", "version": "5.1"}, expect=201)
        doc = document(cve=CVE)
        doc["document"]["distribution"]["tlp"]["label"] = "WHITE"  # CSAF 2.0: CLEAR
        doc["document"]["lang"] = "en"
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"summary": "Initial release."})

        # The public page, the API's text and the feed use the stored templates.
        s, _, page = e.request("GET", "/public/advisories/%s.txt" % ref, token=None, raw=True)
        self.assertEqual(s, 200)
        page = normal(page.decode("utf-8"))
        self.assertTrue(page.startswith("CUSTOM %s v" % ref), page)
        self.assertIn(CVE, page)
        self.assertTrue(page.endswith("-- end of custom text --\n"), page)
        _, _, api_text = e.request("GET", "%s/%s/text" % (API, ref), raw=True)
        self.assertEqual(normal(api_text.decode("utf-8")), page)
        # French still has the built-in one (the templates are per language).
        _, _, fr = e.request("GET", "/public/advisories/%s.txt?lang=fr" % ref, token=None,
                             raw=True)
        self.assertNotIn("CUSTOM", fr.decode("utf-8"))
        _, _, feed = e.request("GET", "/public/advisories/feed.atom", token=None, raw=True)
        self.assertIn("<title>CUSTOM-ATOM %s</title>" % ref, feed.decode("utf-8"))
        # The preview of the real advisory says what the page says.
        p = self.req("POST", TPL + "/preview", {"format": "text", "text": TEXT, "advisory": ref})
        self.assertEqual(normal(p["output"]), page)

        # The warning e-mail carries the edited text rendering.
        wait_until(lambda: self.req("GET", "%s/%s/warnings" % (API, ref))["warned_revision"]
                   == a["revision"], timeout=60, interval=0.3, what="the warnings")
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.smtp.mailbox.count() >= 1, timeout=60, what="the warning")
        mail = normal(body_text(self.smtp.mailbox.all()[0]["msg"]))
        self.assertIn(page.strip("\n"), mail)

        # DELETE: the shipped template again, at once; a second DELETE finds nothing.
        self.assertEqual(e.request("DELETE", TPL + "/text/en", token=self.alice_t)[0], 403)
        self.assertEqual(e.request("DELETE", TPL + "/text/en")[0], 204)
        self.assertEqual(e.request("DELETE", TPL + "/text/en")[0], 404)
        self.assertEqual(e.ok("GET", TPL + "/text/en"), builtin)
        _, _, page2 = e.request("GET", "/public/advisories/%s.txt" % ref, token=None, raw=True)
        page2 = normal(page2.decode("utf-8"))
        self.assertNotIn("CUSTOM", page2)
        self.assertIn("%s 1.0.0 (final) TLP:CLEAR" % ref, page2)
        self.assertEqual(e.request("DELETE", TPL + "/atom/en")[0], 204)
        _, _, feed = e.request("GET", "/public/advisories/feed.atom", token=None, raw=True)
        self.assertNotIn("CUSTOM-ATOM", feed.decode("utf-8"))

        audit = e.list_all("/api/v1/audit", limit=1000)
        got = [(x["action"], x["object_id"]) for x in audit
               if x["object_type"] == "template" and x["object_id"] != "html/page/de"
               and not x["object_id"].startswith("html/reference/")]
        self.assertEqual(sorted(got), sorted([("update", "text/page/en"),
                                              ("update", "atom/entry/en"),
                                              ("delete", "text/page/en"),
                                              ("delete", "atom/entry/en")]), got)

    def test_cli(self):
        e = self.e
        path = os.path.join(e.dir, "de.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write("<h1>${title}</h1>\n<p>${l_id}: ${tracking_id}</p>\n${vulnerabilities}")
        rc, out, err = e.cli("advisories", "templates", "set", "html", "de", path, env=self.env)
        self.assertEqual(rc, 0, err)
        got = e.ok("GET", TPL + "/html/de")
        self.assertEqual(got["source"], "stored")
        rc, out, err = e.cli("advisories", "templates", "list", env=self.env)
        self.assertIn("html\tde\tstored\n", out)
        rc, out, err = e.cli("advisories", "templates", "show", "html", "de", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("# html de (stored)\n<h1>${title}</h1>\n"), out)
        with open(path, "w", encoding="utf-8") as f:
            f.write("<h1>${title}</h1>\n<p>${l_nope}</p>\n")
        rc, out, err = e.cli("advisories", "templates", "set", "html", "de", path, env=self.env)
        self.assertNotEqual(rc, 0)
        self.assertIn("line 2, column 4", err)
        rc, out, err = e.cli("advisories", "templates", "reset", "html", "de", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(e.ok("GET", TPL + "/html/de")["source"], "builtin")
        rc, out, err = e.cli("advisories", "templates", "reset", "html", "de", env=self.env)
        self.assertNotEqual(rc, 0)
        self.assertEqual(e.cli("advisories", "templates", "show", "pdf", "de",
                               env=self.env)[0], 2)
        audit = e.list_all("/api/v1/audit", limit=1000)
        self.assertEqual(sorted(x["action"] for x in audit
                                if x["object_type"] == "template"
                                and x["object_id"] == "html/page/de"), ["delete", "update"])


if __name__ == "__main__":
    main()
