"""Issue 13 item 4 (one template system): every template, the notification message, the
advisories' HTML and text pages, their list items (notes, vulnerabilities, scores,
remediations, references, revision history) and the Atom feed's header and entry, is read,
replaced, previewed and reset through /api/v1/templates/{kind}/{name}/{lang} and `ermes
templates`. A stored list item changes the published HTML page, a stored feed header and entry
the Atom feed, in their language only; a French override of the text's vulnerability item is
what a French-speaking constituent's warning e-mail carries (real SMTP, aiosmtpd), while an
English one keeps the built-in text. A template naming a variable its part is not filled with
is refused with a JSON 422 naming it. Both backends.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, normal, wait_until  # noqa: E402
from test_advisory_warnings import document  # noqa: E402

API = "/api/v1/advisories"
TPL = "/api/v1/templates"
CVE = "CVE-2026-20133"

REFERENCE = "<li class=\"mine\">${summary} at ${link}</li>\n"
FEED = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"${lang}\">\n"
        "<id>${feed_url}</id>\n<title>MY CERT: ${title}</title>\n<updated>${updated}</updated>\n")
VULN_FR = "* VULN-FR ${cve}: ${title} [${l_affected}: ${affected}]\n${remediations}"


class Templates(DaemonTest):
    maxDiff = 8000
    mail = True
    users = (("alice", "analyst"), ("bob", "analyst"))

    def page(self, path):
        s, _, b = self.e.request("GET", path, token=None, raw=True)
        self.assertEqual(s, 200, path)
        return normal(b.decode("utf-8"))

    def test_catalogue_and_refusals(self):
        e = self.e
        listed = e.ok("GET", TPL)["data"]
        self.assertIn({"kind": "html", "name": "reference", "lang": "pl", "source": "builtin"},
                      listed)
        self.assertIn({"kind": "atom", "name": "feed", "lang": "en", "source": "builtin"}, listed)
        self.assertIn({"kind": "notification", "name": "message", "lang": "fr",
                       "source": "builtin"}, listed)
        # 7 parts of notification (the message and its lines), 8 of html and of text and 3 of
        # atom, in 7 languages.
        self.assertEqual(len(listed), 7 * (7 + 8 + 8 + 3))
        self.assertEqual(len(e.ok("GET", TPL + "?kind=atom")["data"]), 21)
        self.assertEqual(e.request("GET", TPL + "?kind=pdf")[0], 422)
        ref = e.ok("GET", TPL + "/html/reference/en")
        self.assertEqual((ref["source"], ref["text"]),
                         ("builtin", "<li>${link} ${summary}</li>\n"))
        # The old routes are views of the same templates.
        self.assertEqual(e.ok("GET", TPL + "/text/page/fr")["text"],
                         e.ok("GET", "/api/v1/advisory-templates/text/fr")["text"])
        self.assertEqual(e.ok("GET", TPL + "/notification/message/de")["text"],
                         e.ok("GET", "/api/v1/notification-templates/de")["text"])

        # Refused, naming what is wrong: a variable the part is not filled with (line and
        # column), an unclosed one, unknown kinds, names and languages, an analyst.
        s, _, b = e.request("PUT", TPL + "/html/reference/en",
                            {"text": "<li>${link}\n${tracking_id}</li>\n"})
        self.assertEqual(s, 422, b)
        self.assertEqual((b["error"]["code"], b["error"]["field"], b["error"]["line"],
                          b["error"]["column"]), ("invalid", "text", 2, 1), b)
        self.assertIn("${tracking_id}", b["error"]["message"])
        s, _, b = e.request("PUT", TPL + "/atom/feed/en", {"text": "<feed>${summary}"})
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)
        self.assertIn("${summary}", b["error"]["message"])
        s, _, b = e.request("PUT", TPL + "/notification/message/sv", {"text": "S ${nope}\n\nb"})
        self.assertEqual((s, b["error"]["line"], b["error"]["column"]), (422, 1, 3), b)
        self.assertIn("${nope}", b["error"]["message"])
        s, _, b = e.request("PUT", TPL + "/text/history/en", {"text": "${number"})
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)
        s, _, b = e.request("PUT", TPL + "/html/reference/en", {"text": "x", "lang": "en"})
        self.assertEqual((s, b["error"]["field"]), (422, "lang"), b)
        s, _, b = e.request("PUT", TPL + "/pdf/page/en", {"text": "x"})
        self.assertEqual((s, b["error"]["field"]), (404, "kind"), b)
        s, _, b = e.request("PUT", TPL + "/html/footer/en", {"text": "x"})
        self.assertEqual((s, b["error"]["field"]), (404, "name"), b)
        s, _, b = e.request("PUT", TPL + "/html/page/sv", {"text": "x"})
        self.assertEqual((s, b["error"]["field"]), (404, "lang"), b)
        self.assertEqual(e.request("PUT", TPL + "/html/reference/en", {"text": REFERENCE},
                                   token=self.alice_t)[0], 403)
        s, _, b = e.request("POST", TPL + "/preview", {"kind": "html", "name": "reference",
                                                       "text": "${cve}"}, token=self.alice_t)
        self.assertEqual((s, b["error"]["field"]), (422, "text"), b)
        self.assertIn("${cve}", b["error"]["message"])
        self.assertEqual(e.ok("GET", TPL + "/html/reference/en")["source"], "builtin")

        # Previews: the sample through the edited part; a notification's for a sample group.
        p = self.req("POST", TPL + "/preview", {"kind": "html", "name": "reference",
                                                "text": REFERENCE})
        self.assertIn("<li class=\"mine\">This advisory at <a href=", p["output"])
        self.assertEqual((p["kind"], p["name"]), ("html", "reference"))
        p = self.req("POST", TPL + "/preview", {"kind": "atom", "name": "feed", "text": FEED})
        self.assertIn("<title>MY CERT: Advisories</title>", p["output"])
        self.assertTrue(p["output"].endswith("</entry>\n</feed>\n"), p["output"])
        p = self.req("POST", TPL + "/preview", {"kind": "notification", "name": "message",
                                                "lang": "fr", "text": "S ${org}\n\nB\n"})
        self.assertEqual((p["subject"], p["body"]), ("S example", "B\n"))

    def test_overrides_pages_feed_and_french_constituent(self):
        e = self.e
        e.ok("PUT", TPL + "/html/reference/en", {"text": REFERENCE})
        e.ok("PUT", TPL + "/atom/feed/en", {"text": FEED})
        e.ok("PUT", TPL + "/text/vulnerability/fr", {"text": VULN_FR})
        got = e.ok("GET", TPL + "/text/vulnerability/fr")
        self.assertEqual((got["source"], got["text"]), ("stored", VULN_FR))
        self.assertIn({"kind": "text", "name": "vulnerability", "lang": "fr", "source": "stored",
                       "updated_at": got["updated_at"]}, e.ok("GET", TPL)["data"])

        # A published TLP:CLEAR advisory affecting a French-speaking constituent's asset.
        e.ok("POST", "/api/v1/organisations", {
            "short_name": "FRORG", "name": "Organisation française",
            "contacts": [{"name": "SI", "email": "si@frorg.example", "role": "technical",
                          "language": "fr"}]}, expect=201)
        e.ok("POST", "/api/v1/assets", {"org": "FRORG", "vendor": "Example Vendor",
                                        "product": "Gateway", "version": "5.1"}, expect=201)
        doc = document(cve=CVE)
        doc["document"]["distribution"]["tlp"]["label"] = "WHITE"
        doc["document"]["lang"] = "en"
        doc["document"]["references"] = [{"url": "https://cert.example/x?a=1&b=2",
                                          "summary": "Our notice", "category": "self"}]
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"summary": "Initial release."})

        # The English page has the stored reference item, the French one the built-in one.
        html = self.page("/public/advisories/%s.html" % ref)
        self.assertIn("<li class=\"mine\">Our notice at <a href=\"https://cert.example/x?a=1&amp;"
                      "b=2\">https://cert.example/x?a=1&amp;b=2</a></li>", html)
        self.assertNotIn("<li class=\"mine\">", self.page("/public/advisories/%s.html?lang=fr"
                                                          % ref))
        # The feed's header in English is the stored one; in German the built-in one.
        feed = self.page("/public/advisories/feed.atom")
        self.assertTrue(feed.startswith(FEED.split("${")[0]), feed)
        self.assertIn("<title>MY CERT: Advisories</title>", feed)
        self.assertIn("<entry>", feed)
        self.assertNotIn("<generator>", feed)
        de = self.page("/public/advisories/feed.atom?lang=de")
        self.assertIn("<generator>ermes</generator>", de)
        self.assertNotIn("MY CERT", de)
        # The text in French has the French vulnerability item, in English the built-in one.
        self.assertIn("* VULN-FR %s: Remote code execution in the Gateway" % CVE,
                      self.page("/public/advisories/%s.txt?lang=fr" % ref))
        self.assertNotIn("VULN-FR", self.page("/public/advisories/%s.txt" % ref))

        # The French constituent's warning e-mail carries the French item.
        wait_until(lambda: self.req("GET", "%s/%s/warnings" % (API, ref))["warned_revision"]
                   == a["revision"], timeout=60, interval=0.3, what="the warnings")
        e.ok("POST", "/api/v1/notifications/run?now=true")
        wait_until(lambda: self.smtp.mailbox.count() >= 1, timeout=60, what="the warning")
        mail = normal(body_text(self.smtp.mailbox.all()[0]["msg"]))
        self.assertIn("* VULN-FR %s: Remote code execution in the Gateway [Produits affectés: "
                      % CVE, mail)

        # Reset: the defaults at once; audited as one kind of object.
        for path in ("/html/reference/en", "/atom/feed/en", "/text/vulnerability/fr"):
            self.assertEqual(e.request("DELETE", TPL + path, token=self.alice_t)[0], 403)
            self.assertEqual(e.request("DELETE", TPL + path)[0], 204)
            self.assertEqual(e.request("DELETE", TPL + path)[0], 404)
        self.assertNotIn("<li class=\"mine\">", self.page("/public/advisories/%s.html" % ref))
        self.assertIn("<generator>ermes</generator>", self.page("/public/advisories/feed.atom"))
        audit = e.list_all("/api/v1/audit", limit=1000)
        got = sorted((x["action"], x["object_id"]) for x in audit
                     if x["object_type"] == "template" and x["object_id"] in (
                         "html/reference/en", "atom/feed/en", "text/vulnerability/fr"))
        self.assertEqual(got, sorted([(act, p) for p in ("html/reference/en", "atom/feed/en",
                                                         "text/vulnerability/fr")
                                      for act in ("update", "delete")]), got)

    def test_cli(self):
        e = self.e
        path = os.path.join(e.dir, "history.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("  ${number} (${date})\n")
        rc, out, err = e.cli("templates", "set", "text", "history", "it", path, env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(e.ok("GET", TPL + "/text/history/it")["source"], "stored")
        rc, out, err = e.cli("templates", "list", "text", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertIn("text\thistory\tit\tstored", out.splitlines())
        self.assertIn("text\thistory\tde\tbuiltin", out.splitlines())
        rc, out, err = e.cli("templates", "show", "text", "history", "it", env=self.env)
        self.assertEqual((rc, out), (0, "# text history it (stored)\n  ${number} (${date})\n"),
                         err)
        with open(path, "w", encoding="utf-8") as f:
            f.write("ok\n  ${number} ${cve}\n")
        rc, out, err = e.cli("templates", "set", "text", "history", "it", path, env=self.env)
        self.assertNotEqual(rc, 0)
        self.assertIn("line 2, column 13: unknown placeholder \"${cve}\"", err)
        rc, out, err = e.cli("templates", "reset", "text", "history", "it", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(e.ok("GET", TPL + "/text/history/it")["source"], "builtin")
        self.assertEqual(e.cli("templates", "show", "text", "footer", "it", env=self.env)[0], 2)
        self.assertEqual(e.cli("templates", "show", "pdf", "page", "it", env=self.env)[0], 2)
        rc, out, err = e.cli("templates", "--help", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertIn("atom feed|entry", out)


if __name__ == "__main__":
    main()
