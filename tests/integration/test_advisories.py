"""Issue 13, item 1: CSAF advisories and their workflow (/api/v1/advisories, `ermes advisories`).

An analyst uploads a CSAF document (a draft: ermes sets document.tracking), submits it, the
author cannot approve it, a second analyst does, and it is published: the published document
passes ermes's validator and @secvisogram/csaf-validator-lib (npm, basic and extended presets,
through tests/integration/csaf_oracle.mjs). A revision bumps the version and adds to
revision_history; a document that does not validate is not published; a scheduled publication
is made by the daemon; a TLP:AMBER advisory is invisible to a constituent of another
organisation; the steps are audited.
"""

import hashlib
import json
import subprocess
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, DaemonTest, main, wait_until  # noqa: E402
import csafdocs  # noqa: E402
from test_csaf import NODE, assert_valid  # noqa: E402

API = "/api/v1/advisories"
SCHEMAS = os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared", "conformance", "csaf",
                                       "csaf_2.0", "json_schema"))
if not os.path.isdir(SCHEMAS):
    SCHEMAS = "/work/shared/conformance/csaf/csaf_2.0/json_schema"


class Advisories(DaemonTest):
    daemon_env = {"ERMES_SECURITY_CONTACT": "mailto:cert@example.org",
                  "ERMES_CSAF_BASE_URL": "https://cert.example"}
    orgs = {"ACME": "Acme"}
    users = (("alice", "analyst"), ("bob", "analyst"), ("conny", "constituent", "ACME"))
    tmp_prefix = "ermes-adv-"

    def approve_and_publish(self, ref, body=None):
        self.req("POST", "%s/%s/submit" % (API, ref))
        b = self.req("POST", "%s/%s/approve" % (API, ref), token=self.alice_t, expect=403)
        self.assertEqual(b["error"]["field"], "reviewer")
        b = self.req("POST", "%s/%s/approve" % (API, ref), {"comment": "looks right"},
                     token=self.bob_t)
        self.assertEqual((b["status"], b["reviewer"]), ("approved", "bob"))
        return self.req("POST", "%s/%s/publish" % (API, ref), body or {})

    def check_valid(self, docs):
        """ermes's validator and csaf-validator-lib's basic and extended presets (one run of
        node each: starting the library is most of its time)."""
        paths = []
        for name, doc in docs.items():
            paths.append(os.path.join(self.tmp, name + ".json"))
            with open(paths[-1], "w") as f:
                json.dump(doc, f)
        assert_valid(self, self.e, paths)

    def test_workflow_publication_and_revision(self):
        doc = csafdocs.advisory(41)
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.assertRegex(ref, r"^ERMES-\d{4}-\d{4}$")
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((a["status"], tr["status"], tr["version"], tr["id"]),
                         ("draft", "draft", "0.1.0", ref))
        self.assertEqual([h["number"] for h in tr["revision_history"]], ["0.1.0"])
        # Not yet published: a constituent does not see it, even at TLP:CLEAR.
        self.req("GET", "%s/%s" % (API, ref), token=self.conny_t, expect=404)
        # Only approved advisories are published; only drafts are submitted.
        self.req("POST", "%s/%s/publish" % (API, ref), expect=409)
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t, expect=409)
        # A draft may be edited; the upload's own tracking is replaced by ermes's.
        doc["document"]["title"] = "Example advisory 41, edited"
        a = self.req("PATCH", "%s/%s" % (API, ref), doc)
        self.assertEqual(a["title"], "Example advisory 41, edited")
        self.assertEqual(a["document"]["document"]["tracking"]["id"], ref)
        a = self.approve_and_publish(ref)
        self.assertEqual((a["status"], a["revision"], a["reviewer"]), ("published", 1, "bob"))
        pub = a["document"]
        tr = pub["document"]["tracking"]
        self.assertEqual((tr["status"], tr["version"], tr["id"]), ("final", "1.0.0", ref))
        self.assertEqual([h["number"] for h in tr["revision_history"]], ["1.0.0"])
        self.assertEqual(tr["initial_release_date"], tr["current_release_date"])
        # The constituent reads it now (TLP:CLEAR), as published.
        c = self.req("GET", "%s/%s" % (API, ref), token=self.conny_t)
        self.assertEqual(c["document"], pub)
        # A revision: a draft again (the published text is what readers keep getting), then
        # version 2.0.0 with one more history entry.
        time.sleep(1.1)  # a later second for the revision's date: CSAF dates are compared
        doc["vulnerabilities"][0]["notes"][0]["text"] = "An attacker may run code remotely."
        a = self.req("PATCH", "%s/%s" % (API, ref), doc)
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((a["status"], tr["status"], tr["version"]),
                         ("draft", "draft", "2.0.0-draft"))
        c = self.req("GET", "%s/%s" % (API, ref), token=self.conny_t)
        self.assertEqual(c["document"], pub)
        a = self.approve_and_publish(ref, {"summary": "Clarified the description."})
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((a["revision"], tr["version"], tr["status"]), (2, "2.0.0", "final"))
        self.assertEqual([(h["number"], h["summary"]) for h in tr["revision_history"]],
                         [("1.0.0", "Initial release."), ("2.0.0", "Clarified the description.")])
        self.assertEqual(tr["initial_release_date"],
                         pub["document"]["tracking"]["initial_release_date"])
        self.assertGreater(tr["current_release_date"], tr["initial_release_date"])
        self.check_valid({"first": pub, "revision": a["document"]})
        # Audited, with who did what.
        audit = self.e.ok("GET", "/api/v1/audit?limit=1000")["data"]
        steps = [(r["action"], r.get("actor")) for r in audit
                 if r.get("object_type") == "advisory"]
        self.assertIn("approve", [s[0] for s in steps], audit[:3])
        self.assertIn("publish", [s[0] for s in steps])
        # The CLI lists and shows it.
        rc, out, err = self.e.cli("advisories", "list", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn(ref, [x["tracking_id"] for x in json.loads(out)])
        rc, out, err = self.e.cli("advisories", "show", ref, "--document")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["document"]["tracking"]["version"], "2.0.0")

    def test_invalid_document_is_not_published(self):
        doc = csafdocs.invalid("6.1.6")
        a = self.req("POST", API, doc, expect=201)
        ref = str(a["id"])
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        b = self.req("POST", "%s/%s/publish" % (API, ref), expect=422)
        self.assertEqual(b["error"]["field"], "document")
        self.assertIn("6.1.6", [f["test"] for f in b["error"]["validation"]["failed"]])
        a = self.req("GET", "%s/%s" % (API, ref))
        self.assertEqual((a["status"], a["revision"]), ("approved", 0))

    def test_bad_uploads(self):
        s, _, b = self.e.request("POST", API, '{"document": ', token=self.alice_t)
        self.assertEqual(s, 400, b)
        b = self.req("POST", API, {"document": {"category": "csaf_base"}}, expect=422)
        self.assertEqual(b["error"]["field"], "document.title")
        b = self.req("POST", API, csafdocs.advisory(43), token=self.conny_t, expect=403)
        self.req("GET", API + "/NO-SUCH-1", expect=404)
        s, _, b = self.e.request("GET", API, token=None)
        self.assertEqual(s, 401)

    def test_amber_is_invisible_to_other_constituents(self):
        doc = csafdocs.advisory(42)
        doc["document"]["distribution"]["tlp"]["label"] = "AMBER"
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.assertEqual(a["tlp"], "AMBER")
        a = self.approve_and_publish(ref)
        self.assertEqual(a["status"], "published")
        self.req("GET", "%s/%s" % (API, ref), token=self.conny_t, expect=404)
        listed = self.req("GET", API, token=self.conny_t)["data"]
        self.assertNotIn(ref, [x["tracking_id"] for x in listed])
        self.assertIn(ref, [x["tracking_id"] for x in self.req("GET", API)["data"]])

    def test_scheduled_publication(self):
        a = self.req("POST", API, csafdocs.advisory(44), expect=201)
        ref = a["tracking_id"]
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"publish_at": at})
        self.assertEqual(a["status"], "approved")
        self.assertIsNotNone(a["publish_at"])
        wait_until(lambda: self.req("GET", "%s/%s" % (API, ref))["status"] == "published",
                   timeout=60, interval=0.5, what="the daemon publishes the scheduled advisory")
        a = self.req("GET", "%s/%s" % (API, ref))
        self.assertEqual(a["document"]["document"]["tracking"]["version"], "1.0.0")
        self.assertIsNone(a["publish_at"])

    def test_provider_directory(self):
        """/.well-known/csaf/: the TLP:CLEAR advisories as published, their hashes, index.txt,
        changes.csv and the provider metadata (valid against the OASIS provider schema), all
        without a token; a TLP:AMBER one is not there."""
        a = self.req("POST", API, csafdocs.advisory(45), expect=201)
        clear = self.approve_and_publish(a["tracking_id"])
        doc = csafdocs.advisory(46)
        doc["document"]["distribution"]["tlp"]["label"] = "AMBER"
        a = self.req("POST", API, doc, expect=201)
        amber = self.approve_and_publish(a["tracking_id"])
        year = clear["published_at"][:4]
        name = clear["tracking_id"].lower() + ".json"
        s, _, index = self.e.request("GET", "/.well-known/csaf/index.txt", token=None, raw=True)
        self.assertEqual(s, 200)
        index = index.decode().splitlines()
        self.assertIn("%s/%s" % (year, name), index)
        self.assertNotIn(amber["tracking_id"].lower() + ".json", "\n".join(index))
        s, _, changes = self.e.request("GET", "/.well-known/csaf/changes.csv", token=None,
                                       raw=True)
        self.assertEqual(s, 200)
        self.assertIn('"%s/%s"' % (year, name), changes.decode())
        s, h, body = self.e.request("GET", "/.well-known/csaf/%s/%s" % (year, name), token=None,
                                    raw=True)
        self.assertEqual(s, 200)
        self.assertEqual(json.loads(body), clear["document"])
        for algo in ("sha256", "sha512"):
            s, _, line = self.e.request("GET", "/.well-known/csaf/%s/%s.%s" % (year, name, algo),
                                        token=None, raw=True)
            self.assertEqual(s, 200)
            self.assertEqual(line.decode(), "%s  %s\n" % (hashlib.new(algo, body).hexdigest(),
                                                           name))
        s, _, _ = self.e.request("GET", "/.well-known/csaf/%s/%s" % (
            year, amber["tracking_id"].lower() + ".json"), token=None, raw=True)
        self.assertEqual(s, 404)
        s, _, meta = self.e.request("GET", "/.well-known/csaf/provider-metadata.json", token=None)
        self.assertEqual(s, 200, meta)
        self.assertEqual(meta["canonical_url"],
                         "https://cert.example/.well-known/csaf/provider-metadata.json")
        path = os.path.join(self.tmp, "provider-metadata.json")
        with open(path, "w") as f:
            json.dump(meta, f)
        env = dict(os.environ, NODE_MODULES=os.path.join(SOURCE_DIR, "tests", "browser",
                                                          "node_modules"),
                   CSAF_SCHEMAS=SCHEMAS, CVSS_SCHEMAS=os.path.join(SOURCE_DIR, "data", "csaf"))
        p = subprocess.run([NODE, os.path.join(SOURCE_DIR, "tests", "integration",
                                               "csaf_provider_schema.mjs"), path],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout.decode()[-3000:])

    def test_security_txt(self):
        s, _, body = self.e.request("GET", "/.well-known/security.txt", token=None, raw=True)
        self.assertEqual(s, 200)
        fields = dict(line.split(": ", 1) for line in body.decode().splitlines())
        self.assertEqual(fields["Contact"], "mailto:cert@example.org")
        self.assertEqual(fields["CSAF"],
                         "https://cert.example/.well-known/csaf/provider-metadata.json")
        expires = time.mktime(time.strptime(fields["Expires"][:19], "%Y-%m-%dT%H:%M:%S"))
        self.assertGreater(expires, time.time() + 30 * 86400)
        self.assertLess(expires, time.time() + 365 * 86400)


if __name__ == "__main__":
    main()
