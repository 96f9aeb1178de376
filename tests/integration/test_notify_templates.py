"""Notification templates edited in the API with a live preview (issue 15, item 11).

The list shows the built-in languages, a templates_dir file and the stored ones, each with its
source; a template is read, previewed (rendered for a sample group without being stored),
refused with the line and column of an unknown or unclosed placeholder, stored (it then wins
over the file and the built-in one, and serves contacts speaking its language: the demo's
UMA abuse desk speaks Swedish, which has no built-in), and deleted (back to the file or the
built-in). Staff read, administrators change, constituents see nothing; changes are audited.
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402
from test_notify import COLUMNS, MAIL_FROM, quote, report  # noqa: E402

BASE = "/api/v1/notification-templates"
SV = ("[${reference}] ${n_events} ${about} för ${org}\n"
      "\n"
      "Hej ${org_name},\n"
      "${explanations}\n"
      "${signature}\n")


class TemplatesTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.tmp.name, "nb.txt"), "w", encoding="utf-8") as f:
            f.write("[${reference}] Hendelser for ${org}\n\nHei ${org_name}\n")
        cls.env = {"ERMES_MAIL_FROM": MAIL_FROM, "ERMES_NOTIFY_WINDOW": "3600",
                   "ERMES_NOTIFY_TEMPLATES": cls.tmp.name,
                   "ERMES_NOTIFY_SIGNATURE": "CERT-EX duty desk\\n+32 2 000 00 00"}
        cls.e = Ermes(demo=True, env=cls.env)
        cls.analyst, cls.analyst_tok = cls.e.user_token("ana", "analyst")
        cls.member, cls.member_tok = cls.e.user_token("uma", "constituent", org="UMA")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            cls.tmp.cleanup()

    def test_templates(self):
        e = self.e
        listed = {t["lang"]: t["source"] for t in e.ok("GET", BASE)["data"]}
        for lang in ("en", "fr", "de", "nl", "it", "es", "pl"):
            self.assertEqual(listed[lang], "builtin", listed)
        self.assertEqual(listed["nb"], "file")
        self.assertNotIn("sv", listed)
        # Staff read; a constituent does not.
        fr = e.ok("GET", BASE + "/fr", token=self.analyst_tok)
        self.assertEqual((fr["lang"], fr["source"]), ("fr", "builtin"))
        self.assertIn("${reference}", fr["text"])
        self.assertEqual(e.ok("GET", BASE + "/NB")["source"], "file")
        s, _, b = e.request("GET", BASE + "/sv")
        assert_error(self, s, b, 404, "not_found", "lang")
        s, _, b = e.request("GET", BASE + "/x1")
        assert_error(self, s, b, 404, "not_found", "lang")
        s, _, b = e.request("GET", BASE, token=self.member_tok)
        self.assertEqual(s, 403, b)

        # Preview: rendered for the sample group, nothing stored.
        p = e.ok("POST", BASE + "/preview", {"lang": "sv", "text": SV},
                 token=self.analyst_tok)
        self.assertEqual(p["subject"],
                         "[ERMES-2026-000042] 12 events from shadowserver-scan-http för example")
        self.assertIn("Hej Example Networks,", p["body"])
        self.assertIn("Vulnerable", p["body"])
        self.assertIn("CERT-EX duty desk\n+32 2 000 00 00", p["body"])
        self.assertNotIn("sv", {t["lang"] for t in e.ok("GET", BASE)["data"]})
        # Refused: the line and column of the placeholder.
        for text, line, col, words in (
                ("Subject ${reference}\n\nHello ${nme}\n", 3, 7, "unknown placeholder"),
                ("Subject\n\nab ${org_name\nmore\n", 3, 4, "not closed"),
                ("", 1, 1, "subject"),
        ):
            s, _, b = e.request("POST", BASE + "/preview", {"lang": "en", "text": text})
            assert_error(self, s, b, 422, "invalid", "text")
            self.assertEqual((b["error"]["line"], b["error"]["column"]), (line, col), b)
            self.assertIn(words, b["error"]["message"])
            s, _, b = e.request("PUT", BASE + "/en", {"text": text})
            assert_error(self, s, b, 422, "invalid", "text")
        s, _, b = e.request("POST", BASE + "/preview", {"text": "x" * (65 * 1024)})
        self.assertIn(s, (413, 422), b)
        s, _, b = e.request("PUT", BASE + "/en", {"text": SV, "other": 1})
        assert_error(self, s, b, 422, "invalid", "other")
        s, _, b = e.request("PUT", BASE + "/en", {"text": 3})
        assert_error(self, s, b, 422, "invalid", "text")

        # Only an administrator changes them.
        s, _, b = e.request("PUT", BASE + "/sv", {"text": SV}, token=self.analyst_tok)
        self.assertEqual(s, 403, b)
        s, _, b = e.request("DELETE", BASE + "/nb", token=self.analyst_tok)
        self.assertEqual(s, 403, b)
        stored = e.ok("PUT", BASE + "/sv", {"text": SV})
        self.assertEqual((stored["lang"], stored["source"], stored["text"]), ("sv", "stored", SV))
        self.assertGreater(stored["updated_at"], 0)
        nb = e.ok("PUT", BASE + "/nb", {"text": "Stored ${org}\n\nstored body\n"})
        self.assertEqual(nb["source"], "stored")
        listed = {t["lang"]: t["source"] for t in e.ok("GET", BASE)["data"]}
        self.assertEqual((listed["sv"], listed["nb"], listed["en"]),
                         ("stored", "stored", "builtin"))

        # Used: UMA's abuse desk (Swedish) gets the stored Swedish template.
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=r.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=tmpl-feed"))
        e.ok("POST", path, report([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner",
                                    "AMBER")]), content_type="text/csv")
        e.ok("POST", "/api/v1/notifications/run?now=true")
        made = [n for n in e.list_all("/api/v1/notifications", limit=50)
                if n["org"] == "UMA"]
        by_lang = {n["language"]: n for n in made}
        self.assertIn("sv", by_lang, made)
        self.assertEqual(by_lang["sv"]["subject"],
                         "[%s] 1 event from tmpl-feed för UMA" % by_lang["sv"]["reference"])
        self.assertEqual(by_lang["sv"]["recipients"], ["abuse@medicines.example"])

        # Deleted: back to the file; a second time is 404.
        e.ok("DELETE", BASE + "/nb", expect=(204,))
        self.assertEqual(e.ok("GET", BASE + "/nb")["source"], "file")
        s, _, b = e.request("DELETE", BASE + "/nb")
        assert_error(self, s, b, 404, "not_found", "lang")
        e.ok("DELETE", BASE + "/sv", expect=(204,))
        self.assertNotIn("sv", {t["lang"] for t in e.ok("GET", BASE)["data"]})

        # The command line does the same.
        path = os.path.join(self.tmp.name, "sv-cli.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("S ${nme}\n\nbody\n")
        rc, out, err = e.cli("notify", "templates", "set", "sv", path, env=self.env)
        self.assertNotEqual(rc, 0)
        self.assertIn("line 1, column 3: unknown placeholder", err)
        with open(path, "w", encoding="utf-8") as f:
            f.write(SV)
        rc, out, err = e.cli("notify", "templates", "set", "SV", path, env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(e.ok("GET", BASE + "/sv")["text"], SV)
        rc, out, err = e.cli("notify", "templates", "list", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertIn("sv\tstored", out.splitlines())
        self.assertIn("pl\tbuiltin", out.splitlines())
        rc, out, err = e.cli("notify", "templates", "show", "sv", env=self.env)
        self.assertEqual((rc, out), (0, "# sv (stored)\n" + SV), err)
        rc, out, err = e.cli("notify", "templates", "reset", "sv", env=self.env)
        self.assertEqual(rc, 0, err)
        rc, out, err = e.cli("notify", "templates", "show", "sv", env=self.env)
        self.assertNotEqual(rc, 0)
        rc, out, err = e.cli("notify", "templates", "show", "nb", env=self.env)
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("# nb (file)\n"), out)

        audit = e.list_all("/api/v1/audit", limit=1000)
        # One audit trail for every template: "template", KIND/NAME/LANG.
        got = [(a["action"], a["object_id"].rsplit("/", 1)[1]) for a in audit
               if a["object_type"] == "template"
               and a["object_id"].startswith("notification/message/")]
        self.assertEqual(sorted(got), sorted([("update", "sv"), ("update", "nb"),
                                              ("delete", "nb"), ("delete", "sv"),
                                              ("update", "sv"), ("delete", "sv")]), got)


if __name__ == "__main__":
    main()
