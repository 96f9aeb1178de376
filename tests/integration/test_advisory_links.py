"""Issue 13, item 1: advisories link to incidents and indicators where they share content.

An advisory's CVE ids (vulnerabilities[].cve) are matched at read against incidents'
observables of type cve and indicators whose value or tags name the CVE; an analyst adds and
removes explicit links (POST /api/v1/advisories/{ref}/links and .../unlink), audited and
recorded on the incident's timeline. GET /api/v1/advisories/{ref} shows "incidents" and
"indicators", GET /api/v1/incidents/{id} shows "advisories", each only what the viewer may see.
The computed links follow changes of either side. Runs on both backends (integration_pg.*).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, main  # noqa: E402
import csafdocs  # noqa: E402

API = "/api/v1/advisories"
INC = "/api/v1/incidents"


def later_second():
    """CSAF compares release dates to the second."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.05)


class AdvisoryLinks(DaemonTest):
    orgs = {"ACME": "ACME", "BETA": "BETA"}
    users = (("alice", "analyst"), ("bob", "analyst"), ("conny", "constituent", "ACME"))

    def incident(self, title, org, cves):
        inc = self.req("POST", INC, {"title": title, "constituents": [org]}, expect=201)
        for c in cves:
            self.req("POST", "%s/%d/observables" % (INC, inc["id"]),
                     {"type": "cve", "value": c}, expect=201)
        return inc["id"]

    def ids(self, objs):
        return {o["id"]: (sorted(o["cves"]), o["linked"]) for o in objs}

    def test_links_both_ways(self):
        doc = csafdocs.advisory(91, vulns=2)
        cve0, cve1 = [v["cve"] for v in doc["vulnerabilities"]]
        adv = self.req("POST", API, doc, expect=201)
        ref = adv["tracking_id"]
        # Incidents: ACME's names the first CVE (in lower case), BETA's both, and one names
        # a CVE that is a prefix of the advisory's (CVE-2024-0091 in CVE-2024-00910): no link.
        a = self.incident("exploited at ACME", "ACME", [cve0.lower()])
        b = self.incident("exploited at BETA", "BETA", [cve0, cve1])
        prefix = self.incident("a shorter id", "ACME", [cve0[:-1]])
        plain = self.incident("unrelated", "ACME", [])
        # Indicators: one tagged with the CVE (GREEN), one RED tagged too, one not tagged.
        tagged = self.req("POST", "/api/v1/indicators",
                          {"value": "exploit-kit.example", "tlp": "GREEN",
                           "tags": [cve1.lower(), "exploit"]}, expect=201)["id"]
        red = self.req("POST", "/api/v1/indicators",
                       {"value": "red-c2.example", "tlp": "RED", "tags": [cve0]},
                       expect=201)["id"]
        other = self.req("POST", "/api/v1/indicators",
                         {"value": "other.example", "tlp": "GREEN"}, expect=201)["id"]

        # Staff see every computed link, with the CVE ids shared.
        got = self.req("GET", "%s/%s" % (API, ref))
        self.assertEqual(self.ids(got["incidents"]),
                         {a: ([cve0], False), b: (sorted([cve0, cve1]), False)})
        self.assertEqual(self.ids(got["indicators"]),
                         {tagged: ([cve1], False), red: ([cve0], False)})
        self.assertEqual(self.req("GET", "%s/%d" % (INC, a))["advisories"],
                         [{"id": adv["id"], "tracking_id": ref, "title": adv["title"],
                           "status": "draft", "cves": [cve0], "linked": False}])
        self.assertEqual(self.req("GET", "%s/%d" % (INC, prefix))["advisories"], [])
        self.assertEqual(self.req("GET", "%s/%d" % (INC, plain))["advisories"], [])

        # A constituent sees nothing of a draft; once published, only its own incident and
        # the indicators its TLP allows.
        self.assertEqual(self.req("GET", "%s/%d" % (INC, a), token=self.conny_t)["advisories"],
                         [])
        later_second()
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        self.req("POST", "%s/%s/publish" % (API, ref), {})
        got = self.req("GET", "%s/%s" % (API, ref), token=self.conny_t)
        self.assertEqual(self.ids(got["incidents"]), {a: ([cve0], False)})
        self.assertEqual(self.ids(got["indicators"]), {tagged: ([cve1], False)})
        seen = self.req("GET", "%s/%d" % (INC, a), token=self.conny_t)["advisories"]
        self.assertEqual([(x["tracking_id"], x["status"]) for x in seen], [(ref, "published")])
        self.req("GET", "%s/%d" % (INC, b), token=self.conny_t, expect=404)

        # Explicit links: an incident and an indicator with no CVE in common.
        self.req("POST", "%s/%s/links" % (API, ref), {"kind": "incident", "id": plain},
                 expect=201)
        self.req("POST", "%s/%s/links" % (API, ref), {"kind": "incident", "id": plain},
                 expect=200)
        got = self.req("POST", "%s/%s/links" % (API, ref), {"kind": "indicator", "id": other},
                       expect=201)
        self.assertEqual(self.ids(got["incidents"])[plain], ([], True))
        self.assertEqual(self.ids(got["indicators"])[other], ([], True))
        self.assertEqual(self.ids(self.req("GET", "%s/%d" % (INC, plain))["advisories"]),
                         {adv["id"]: ([], True)})
        # ... visible to the constituent whose incident it is
        self.assertEqual(
            self.ids(self.req("GET", "%s/%d" % (INC, plain), token=self.conny_t)["advisories"]),
            {adv["id"]: ([], True)})
        # ... recorded on the incident's timeline (staff only) and in the audit log
        kinds = [t["kind"] for t in self.e.list_all("%s/%d/timeline" % (INC, plain))]
        self.assertIn("advisory_link", kinds)
        self.assertNotIn("advisory_link", [t["kind"] for t in self.e.list_all(
            "%s/%d/timeline" % (INC, plain), token=self.conny_t)])
        audit = self.e.ok("GET", "/api/v1/audit?limit=1000")["data"]
        self.assertIn(("alice", "link", "advisory", ref, "incident", plain),
                      [(r["actor"], r["action"], r["object_type"], r["object_id"],
                        (r["detail"] or {}).get("kind"), (r["detail"] or {}).get("id"))
                       for r in audit])

        # Removing: the explicit link goes, a second removal is a 404 naming the id.
        got = self.req("POST", "%s/%s/unlink" % (API, ref), {"kind": "incident", "id": plain})
        self.assertNotIn(plain, self.ids(got["incidents"]))
        s, _, body = self.e.request("POST", "%s/%s/unlink" % (API, ref),
                                    {"kind": "incident", "id": plain}, token=self.alice_t)
        self.assertEqual((s, body["error"]["field"]), (404, "id"), body)
        self.assertEqual(self.req("GET", "%s/%d" % (INC, plain))["advisories"], [])
        self.assertIn("advisory_unlink",
                      [t["kind"] for t in self.e.list_all("%s/%d/timeline" % (INC, plain))])
        # A computed link cannot be removed (it is not stored) but stays.
        s, _, body = self.e.request("POST", "%s/%s/unlink" % (API, ref),
                                    {"kind": "incident", "id": a}, token=self.alice_t)
        self.assertEqual(s, 404, body)

        # The computed links follow changes: an observable added to an incident links it;
        # a new draft naming other CVEs unlinks the incidents (for staff, who read the draft).
        self.req("POST", "%s/%d/observables" % (INC, prefix), {"type": "cve", "value": cve1},
                 expect=201)
        got = self.req("GET", "%s/%s" % (API, ref))
        self.assertEqual(self.ids(got["incidents"])[prefix], ([cve1], False))
        doc2 = self.req("GET", "%s/%s" % (API, ref))["document"]
        for v in doc2["vulnerabilities"]:
            v["cve"] = v["cve"].replace("CVE-2024-", "CVE-2023-")
        later_second()
        got = self.req("PATCH", "%s/%s" % (API, ref), doc2)
        self.assertEqual(got["incidents"], [])
        self.assertEqual(self.ids(got["indicators"]), {other: ([], True)})
        # ... while the constituent still reads the published text and its links.
        got = self.req("GET", "%s/%s" % (API, ref), token=self.conny_t)
        self.assertEqual(set(self.ids(got["incidents"])), {a, prefix})

    def test_cve_index_follows_revisions(self):
        """Advisories are found by the index of their CVE ids (advisory_cves, kept by every
        write): a CVE only mentioned in a note links nothing, and an advisory whose CVE changes
        in a revision is found by the new CVE only (staff at once, reading the draft; the
        others once the revision is published)."""
        doc = csafdocs.advisory(93)
        old = doc["vulnerabilities"][0]["cve"]
        new = old.replace("CVE-2024-", "CVE-2022-")
        noted = "CVE-2021-99301"
        doc["vulnerabilities"][0]["notes"][0]["text"] += " See also %s." % noted
        adv = self.req("POST", API, doc, expect=201)
        ref = adv["tracking_id"]
        inc_old = self.incident("names the first CVE", "ACME", [old])
        inc_new = self.incident("names the revised CVE", "ACME", [new])
        inc_noted = self.incident("names the noted CVE", "ACME", [noted])

        def found(inc, token=None):
            return [(x["id"], x["cves"]) for x in
                    self.req("GET", "%s/%d" % (INC, inc), token=token)["advisories"]]

        self.assertEqual(found(inc_old), [(adv["id"], [old])])
        self.assertEqual(found(inc_new), [])
        self.assertEqual(found(inc_noted), [])
        later_second()
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        self.req("POST", "%s/%s/publish" % (API, ref), {})
        self.assertEqual(found(inc_old, self.conny_t), [(adv["id"], [old])])

        # The revision names the new CVE: staff read the draft, the constituent the published.
        doc2 = self.req("GET", "%s/%s" % (API, ref))["document"]
        doc2["vulnerabilities"][0]["cve"] = new
        later_second()
        self.req("PATCH", "%s/%s" % (API, ref), doc2)
        self.assertEqual(found(inc_old), [])
        self.assertEqual(found(inc_new), [(adv["id"], [new])])
        self.assertEqual(found(inc_old, self.conny_t), [(adv["id"], [old])])
        self.assertEqual(found(inc_new, self.conny_t), [])

        # Published: found by the new CVE only, for everyone.
        later_second()
        self.req("POST", "%s/%s/submit" % (API, ref))
        self.req("POST", "%s/%s/approve" % (API, ref), token=self.bob_t)
        self.req("POST", "%s/%s/publish" % (API, ref), {})
        for token in (None, self.conny_t):
            self.assertEqual(found(inc_old, token), [])
            self.assertEqual(found(inc_new, token), [(adv["id"], [new])])
            self.assertEqual(found(inc_noted, token), [])

    def test_refusals(self):
        adv = self.req("POST", API, csafdocs.advisory(92), expect=201)
        ref = adv["tracking_id"]
        inc = self.incident("for refusals", "ACME", [])
        url = "%s/%s/links" % (API, ref)
        cases = [({"kind": "event", "id": inc}, 422, "kind"),
                 ({"kind": "incident"}, 422, "id"),
                 ({"kind": "incident", "id": 0}, 422, "id"),
                 ({"kind": "incident", "id": inc, "x": 1}, 422, "id"),
                 ({"kind": "incident", "id": 999999}, 422, "id"),
                 ({"kind": "indicator", "id": 999999}, 422, "id")]
        for body, status, field in cases:
            with self.subTest(body=body):
                s, _, b = self.e.request("POST", url, body, token=self.alice_t)
                self.assertEqual((s, b["error"]["field"]), (status, field), b)
        s, _, b = self.e.request("POST", url, {"kind": "incident", "id": inc},
                                 token=self.conny_t)
        self.assertEqual(s, 403, b)
        s, _, b = self.e.request("POST", "%s/NO-SUCH/links" % API,
                                 {"kind": "incident", "id": inc}, token=self.alice_t)
        self.assertEqual(s, 404, b)
        s, _, b = self.e.request("POST", url, b"{", token=self.alice_t)
        self.assertEqual(s, 400, b)


if __name__ == "__main__":
    main()
