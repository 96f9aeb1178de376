"""Issue 13, item 1: every published revision of an advisory kept, diffs between revisions, and
interim and final versions (/api/v1/advisories/{ref}/revisions, .../diff, `ermes advisories
revisions|diff`, `publish --status interim --change ...`).

One advisory goes through interim and final publications; each version is the one CSAF 2.0
section 3.1.11.5 asks for (minor for information added, patch for a correction, major for a
change to the products' status, or the analyst's choice), every published document passes
ermes's validator and @secvisogram/csaf-validator-lib (basic and extended presets: tests
6.1.14, 6.1.16 to 6.1.22 among them), every revision reads back as published, and the diff of
two revisions is checked path by path. A constituent sees the revisions its TLP allows, and no
more.
"""

import copy
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, main  # noqa: E402
import csafdocs  # noqa: E402
from test_csaf import assert_valid  # noqa: E402

API = "/api/v1/advisories"


def later_second():
    """CSAF compares release dates to the second: the next publication's date must be later."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


class AdvisoryRevisions(DaemonTest):
    orgs = {"ACME": "Acme", "OTHER": "Other"}
    users = (("alice", "analyst"), ("bob", "analyst"), ("conny", "constituent", "ACME"))
    tmp_prefix = "ermes-advrev-"

    def publish(self, ref, doc, body=None):
        """Edits ref to doc (a draft again), has it reviewed and publishes it."""
        later_second()
        self.req("PATCH", "%s/%s" % (API, ref), doc)
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        return self.req("POST", "%s/%s/publish" % (API, ref), body or {})

    def check_valid(self, docs):
        paths = []
        for i, doc in enumerate(docs):
            paths.append(os.path.join(self.tmp, "rev-%d.json" % i))
            with open(paths[-1], "w") as f:
                json.dump(doc, f)
        assert_valid(self, self.e, paths)

    def test_interim_then_final_versions_revisions_and_diff(self):
        doc = csafdocs.advisory(71)
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        # Not published: no revisions yet, and the diff says so.
        self.assertEqual(self.req("GET", "%s/%s/revisions" % (API, ref))["data"], [])
        b = self.req("GET", "%s/%s/diff" % (API, ref), expect=404)
        self.assertEqual(b["error"]["field"], "to")

        # 1: an interim publication (more is expected): 1.0.0, status interim.
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        a = self.req("POST", "%s/%s/publish" % (API, ref), {"status": "interim"})
        published = [a["document"]]
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((tr["status"], tr["version"]), ("interim", "1.0.0"))

        # 2: a reference added, still interim: ermes finds a minor change, 1.1.0.
        doc["document"]["references"].append({"category": "external", "summary": "Exploit",
                                              "url": "https://example.com/exploit"})
        a = self.publish(ref, doc, {"status": "interim"})
        published.append(a["document"])
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((tr["status"], tr["version"]), ("interim", "1.1.0"))

        # 3: a spelling correction, and final: a patch, 1.1.1.
        doc["document"]["notes"][0]["text"] = "A short summary."
        a = self.publish(ref, doc, {"summary": "Final: summary corrected."})
        published.append(a["document"])
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((tr["status"], tr["version"]), ("final", "1.1.1"))

        # 4: a product's status changes (the substance): major, 2.0.0.
        vuln = doc["vulnerabilities"][0]
        ps = vuln["product_status"]
        moved = ps["fixed"].pop()
        ps["known_affected"].append(moved)
        vuln["remediations"][0]["product_ids"] = list(ps["known_affected"])
        vuln["scores"][0]["products"] = list(ps["known_affected"])
        a = self.publish(ref, doc)
        published.append(a["document"])
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((tr["status"], tr["version"]), ("final", "2.0.0"))

        # 5: the analyst's choice wins: nothing changed, published as a minor revision.
        a = self.publish(ref, doc, {"change": "minor", "summary": "Republished."})
        published.append(a["document"])
        tr = a["document"]["document"]["tracking"]
        self.assertEqual((a["revision"], tr["status"], tr["version"]), (5, "final", "2.1.0"))
        self.assertEqual([(h["number"], h["summary"]) for h in tr["revision_history"]],
                         [("1.0.0", "Initial release (interim)."),
                          ("1.1.0", "Revision 2 (minor change, interim)."),
                          ("1.1.1", "Final: summary corrected."),
                          ("2.0.0", "Revision 4 (major change)."),
                          ("2.1.0", "Republished.")])
        self.check_valid(published)

        # Every revision kept, as published.
        revs = self.req("GET", "%s/%s/revisions" % (API, ref))
        self.assertEqual(revs["tracking_id"], ref)
        self.assertEqual([(r["number"], r["version"], r["status"], r["published_by"])
                          for r in revs["data"]],
                         [(1, "1.0.0", "interim", "alice"), (2, "1.1.0", "interim", "alice"),
                          (3, "1.1.1", "final", "alice"), (4, "2.0.0", "final", "alice"),
                          (5, "2.1.0", "final", "alice")])
        for n, doc_n in enumerate(published, 1):
            r = self.req("GET", "%s/%s/revisions/%d" % (API, ref, n))
            self.assertEqual((r["number"], r["document"]), (n, doc_n))
        self.req("GET", "%s/%s/revisions/6" % (API, ref), expect=404)
        b = self.req("GET", "%s/%s/revisions/0" % (API, ref), expect=404)
        self.assertEqual(b["error"]["field"], "revision")
        b = self.req("GET", "%s/%s/revisions/x" % (API, ref), expect=400)
        self.assertEqual(b["error"]["field"], "id")

        # The diff of revisions 1 and 2, path by path.
        d = self.req("GET", "%s/%s/diff?from=1&to=2" % (API, ref))
        self.assertEqual((d["from"], d["to"], d["truncated"]),
                         ({"number": 1, "version": "1.0.0"},
                          {"number": 2, "version": "1.1.0"}, False))
        t1 = published[0]["document"]["tracking"]
        t2 = published[1]["document"]["tracking"]
        by_path = {c["path"]: c for c in d["changes"]}
        self.assertEqual(by_path, {
            "/document/references/2": {
                "op": "added", "path": "/document/references/2",
                "new": {"category": "external", "summary": "Exploit",
                        "url": "https://example.com/exploit"}},
            "/document/tracking/current_release_date": {
                "op": "changed", "path": "/document/tracking/current_release_date",
                "old": t1["current_release_date"], "new": t2["current_release_date"]},
            "/document/tracking/revision_history/1": {
                "op": "added", "path": "/document/tracking/revision_history/1",
                "new": t2["revision_history"][1]},
            "/document/tracking/version": {
                "op": "changed", "path": "/document/tracking/version",
                "old": "1.0.0", "new": "1.1.0"},
        })
        # The default: the latest revision against the one before; 3 -> 4 names the product
        # moved between the lists.
        d = self.req("GET", "%s/%s/diff?from=3&to=4" % (API, ref))
        paths = {c["path"]: c for c in d["changes"]}
        self.assertEqual(paths["/document/tracking/version"]["new"], "2.0.0")
        gone = "/vulnerabilities/0/product_status/fixed/%d" % len(ps["fixed"])
        self.assertEqual(paths[gone], {"op": "removed", "path": gone, "old": moved})
        new = "/vulnerabilities/0/product_status/known_affected/1"
        self.assertEqual(paths[new], {"op": "added", "path": new, "new": moved})
        self.assertEqual(paths["/vulnerabilities/0/scores/0/products/1"]["new"], moved)
        latest = self.req("GET", "%s/%s/diff" % (API, ref))
        self.assertEqual((latest["from"]["number"], latest["to"]["number"]), (4, 5))
        # The text form, one line a path.
        s, h, text = self.e.request("GET", "%s/%s/diff?from=1&to=2&format=text" % (API, ref),
                                    token=self.alice_t, raw=True)
        self.assertEqual(s, 200)
        self.assertTrue({k.lower(): v for k, v in dict(h).items()}["content-type"]
                        .startswith("text/plain"), h)
        lines = text.decode().splitlines()
        self.assertIn('~ /document/tracking/version: "1.0.0" -> "1.1.0"', lines)
        self.assertIn('+ /document/references/2: {"category":"external","summary":"Exploit",'
                      '"url":"https://example.com/exploit"}', lines)
        self.assertEqual(len(lines), 4, lines)
        # Bad parameters name the field.
        for q, field in (("from=abc", "from"), ("to=-1", "to"), ("format=html", "format")):
            b = self.req("GET", "%s/%s/diff?%s" % (API, ref, q), expect=400)
            self.assertEqual(b["error"]["field"], field)
        b = self.req("GET", "%s/%s/diff?from=1&to=9" % (API, ref), expect=404)
        self.assertEqual(b["error"]["field"], "revision")

        # The CLI: the same revisions and the same diff.
        rc, out, err = self.e.cli("advisories", "revisions", ref, "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), revs["data"])
        rc, out, err = self.e.cli("advisories", "diff", ref, "1", "2", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["changes"], d_changes(self, ref, 1, 2))
        rc, out, err = self.e.cli("advisories", "diff", ref, "1", "2")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines()[2:], lines)
        self.assertTrue(out.startswith("--- %s revision 1 (1.0.0)\n+++ %s revision 2 (1.1.0)\n"
                                       % (ref, ref)), out)
        rc, out, err = self.e.cli("advisories", "diff", ref, "nine")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("FROM", err)

        # The analyst's choices are checked. The next draft is the next major as a pre-release.
        a = self.req("PATCH", "%s/%s" % (API, ref), doc)
        self.assertEqual(a["document"]["document"]["tracking"]["version"], "3.0.0-draft")
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        for body, field in (({"status": "draft"}, "status"), ({"change": "huge"}, "change"),
                            ({"status": "interim", "publish_at": "2999-01-01T00:00:00Z"},
                             "publish_at")):
            b = self.req("POST", "%s/%s/publish" % (API, ref), body, expect=422)
            self.assertEqual(b["error"]["field"], field)

    def test_control_characters_in_text_diff(self):
        doc = csafdocs.advisory(72)
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.publish(ref, doc)
        doc2 = copy.deepcopy(doc)
        doc2["document"]["notes"][0]["text"] = "clear \x1b]0;owned\x07 \u009b2J"
        self.publish(ref, doc2)
        rc, out, err = self.e.cli("advisories", "diff", ref)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("\x1b", out)
        self.assertNotIn("\x07", out)
        self.assertNotIn("\u009b", out)
        self.assertIn("~ /document/notes/0/text:", out)
        s, _, text = self.e.request("GET", "%s/%s/diff?format=text" % (API, ref),
                                    token=self.alice_t, raw=True)
        self.assertEqual(s, 200)
        self.assertNotIn(b"\x1b", text)
        self.assertNotIn("\u009b".encode(), text)

    def test_revisions_follow_tlp(self):
        """A constituent reads the revisions of a TLP:CLEAR advisory; of one AMBER (another
        organisation's) nothing; of one first AMBER then CLEAR only the CLEAR revision."""
        doc = csafdocs.advisory(73)
        a = self.req("POST", API, doc, expect=201)
        clear_ref = a["tracking_id"]
        self.publish(clear_ref, doc)
        revs = self.req("GET", "%s/%s/revisions" % (API, clear_ref), token=self.conny_t)
        self.assertEqual([r["number"] for r in revs["data"]], [1])
        self.req("GET", "%s/%s/revisions/1" % (API, clear_ref), token=self.conny_t)

        doc = csafdocs.advisory(74)
        doc["document"]["distribution"]["tlp"]["label"] = "AMBER"
        a = self.req("POST", API, doc, expect=201)
        ref = a["tracking_id"]
        self.publish(ref, doc)
        for path in ("revisions", "revisions/1", "diff", "diff?from=1&to=1"):
            b = self.req("GET", "%s/%s/%s" % (API, ref, path), token=self.conny_t, expect=404)
            self.assertNotIn(ref, json.dumps(b))
        # Now CLEAR: revision 2 is public, revision 1 (AMBER) stays hidden.
        doc["document"]["distribution"]["tlp"]["label"] = "WHITE"
        self.publish(ref, doc)
        revs = self.req("GET", "%s/%s/revisions" % (API, ref), token=self.conny_t)
        self.assertEqual([(r["number"], r["tlp"]) for r in revs["data"]], [(2, "CLEAR")])
        self.req("GET", "%s/%s/revisions/1" % (API, ref), token=self.conny_t, expect=404)
        self.req("GET", "%s/%s/diff" % (API, ref), token=self.conny_t, expect=404)
        self.req("GET", "%s/%s/diff?from=2&to=2" % (API, ref), token=self.conny_t)
        # Staff see both; the change of distribution is a major one.
        revs = self.req("GET", "%s/%s/revisions" % (API, ref))
        self.assertEqual([(r["number"], r["version"], r["tlp"]) for r in revs["data"]],
                         [(1, "1.0.0", "AMBER"), (2, "2.0.0", "CLEAR")])
        d = self.req("GET", "%s/%s/diff" % (API, ref))
        self.assertIn({"op": "changed", "path": "/document/distribution/tlp/label",
                       "old": "AMBER", "new": "WHITE"}, d["changes"])
        # Without a token: nothing.
        s, _, _ = self.e.request("GET", "%s/%s/revisions" % (API, clear_ref), token=None)
        self.assertEqual(s, 401)


def d_changes(t, ref, a, b):
    return t.req("GET", "%s/%s/diff?from=%d&to=%d" % (API, ref, a, b))["changes"]


if __name__ == "__main__":
    main()
