"""The named recipients (TLP 2.0) of a STIX object already stored: GET and PATCH
/api/v1/stix/{name}/recipients and `ermes stix recipients`, against the real daemon.
  read         the CERT's staff and the owner organisation read them (with names); a recipient
               that sees the object does not (403), one that does not see it gets 404;
  change       an administrator or the owner organisation's user changes them, nobody else;
               CLEAR and GREEN objects name nobody (422); unknown organisations are named in
               the error; ermes's own indicators are changed on the indicator (409); audited;
  policy       after the change the STIX export shows a RED object to its recipient only, an
               AMBER one to its recipient and its clients, an AMBER+STRICT one to the recipient
               and not its clients;
  taxii cache  a TAXII page kept for a recipient stops showing the object once it is removed
               (the page was served from the cache before, as GET /metrics counts);
  cli          ermes stix recipients ID --set / --clear / --json."""
import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
MARKINGS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def malware(tlp, name):
    now = "2026-12-07T10:00:00.000Z"
    return {"type": "malware", "spec_version": "2.1", "id": "malware--%s" % uuid.uuid4(),
            "created": now, "modified": now, "name": name, "is_family": False,
            "object_marking_refs": [MARKINGS[tlp]]}


def path(obj):
    return "/api/v1/stix/%s/recipients" % obj["id"]


class StixRecipients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = e = Ermes()
        for short, parent in (("ACME", None), ("ACSUB", "ACME"), ("BETA", None)):
            body = {"short_name": short, "name": short + " Ltd"}
            if parent:
                body["parent"] = parent
            e.ok("POST", "/api/v1/organisations", body, expect=201)
        _, cls.ana = e.user_token("ana", "analyst")
        _, cls.acme = e.user_token("acme-user", "constituent", org="ACME")
        _, cls.sub = e.user_token("sub-user", "constituent", org="ACSUB")
        _, cls.beta = e.user_token("beta-user", "constituent", org="BETA")
        cls.objs = {t: malware(t, "recipients-%s" % t) for t in MARKINGS}
        got = e.ok("POST", "/api/v1/stix", {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(),
                                            "objects": list(cls.objs.values())}, token=cls.ana)
        assert got["stored"] == 5, got

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def sees(self, obj, token):
        s, _, body = self.e.request("GET", "/api/v1/stix?id=" + obj["id"], token=token, raw=True)
        self.assertEqual(s, 200, body)
        return obj["id"].encode() in body

    def test_read_and_change(self):
        e, red = self.e, self.objs["RED"]
        got = e.ok("GET", path(red), token=self.ana)
        self.assertEqual(got, {"id": red["id"], "type": "malware", "tlp": "RED",
                               "owner": got["owner"], "recipients": []})
        self.assertIsNotNone(got["owner"])
        # RED: nobody but the owner and staff sees it, nor its recipients.
        for tok in (self.acme, self.beta):
            s, _, b = e.request("GET", path(red), token=tok)
            assert_error(self, s, b, 404, "not_found")
            self.assertFalse(self.sees(red, tok))
        # A constituent may not change what it does not own (it does not even see it).
        s, _, b = e.request("PATCH", path(red), {"recipients": ["ACME"]}, token=self.acme)
        assert_error(self, s, b, 404, "not_found")
        # The owner organisation's analyst names ACME.
        got = e.ok("PATCH", path(red), {"recipients": ["ACME"]}, token=self.ana)
        self.assertEqual(got["recipients"], [{"short_name": "ACME", "name": "ACME Ltd"}])
        self.assertEqual(e.ok("GET", path(red))["recipients"], got["recipients"])
        self.assertTrue(self.sees(red, self.acme))
        self.assertFalse(self.sees(red, self.sub))  # RED never reaches a client
        self.assertFalse(self.sees(red, self.beta))
        # The recipient sees the object, not whom else it is given to; nor may it change that.
        s, _, b = e.request("GET", path(red), token=self.acme)
        assert_error(self, s, b, 403, "forbidden")
        s, _, b = e.request("PATCH", path(red), {"recipients": ["ACME", "BETA"]},
                            token=self.acme)
        assert_error(self, s, b, 403, "forbidden")
        # Errors name the field.
        s, _, b = e.request("PATCH", path(red), {"recipients": ["NO-SUCH"]})
        assert_error(self, s, b, 422, "invalid", "recipients")
        s, _, b = e.request("PATCH", path(red), {"recipients": "ACME"})
        assert_error(self, s, b, 422, "invalid", "recipients")
        s, _, b = e.request("PATCH", path(red), {"recipients": ["ACME"], "tlp": "GREEN"})
        assert_error(self, s, b, 422, "invalid", "tlp")
        s, _, b = e.request("PATCH", path(red), {})
        assert_error(self, s, b, 422, "invalid", "recipients")
        s, _, b = e.request("GET", "/api/v1/stix/malware--%s/recipients" % uuid.uuid4())
        assert_error(self, s, b, 404, "not_found")
        s, _, b = e.request("GET", "/api/v1/stix/not-a-stix-id/recipients")
        assert_error(self, s, b, 404, "not_found")
        # Nothing changed by the refused requests.
        self.assertEqual(e.ok("GET", path(red))["recipients"],
                         [{"short_name": "ACME", "name": "ACME Ltd"}])
        # CLEAR and GREEN name nobody; an empty list is always fine.
        for tlp in ("CLEAR", "GREEN"):
            s, _, b = e.request("PATCH", path(self.objs[tlp]), {"recipients": ["ACME"]})
            assert_error(self, s, b, 422, "invalid", "recipients")
            self.assertEqual(e.ok("PATCH", path(self.objs[tlp]), {"recipients": []})
                             ["recipients"], [])
        # Audited, naming the recipients.
        audit = e.ok("GET", "/api/v1/audit?limit=1000")["data"]
        rows = [r for r in audit if r.get("object_type") == "stix" and
                r.get("object_id") == red["id"] and r.get("action") == "recipients"]
        self.assertEqual(len(rows), 1, audit[:5])
        self.assertEqual(json.loads(rows[0]["detail"]) if isinstance(rows[0]["detail"], str)
                         else rows[0]["detail"], ["ACME"])
        # Removed: gone from the recipient at once.
        self.assertEqual(e.ok("PATCH", path(red), {"recipients": []})["recipients"], [])
        self.assertFalse(self.sees(red, self.acme))

    def test_amber_and_strict(self):
        e = self.e
        amber, strict = self.objs["AMBER"], self.objs["AMBER+STRICT"]
        for obj in (amber, strict):
            self.assertFalse(self.sees(obj, self.acme))
            e.ok("PATCH", path(obj), {"recipients": ["ACME"]})
            self.assertTrue(self.sees(obj, self.acme))
            self.assertFalse(self.sees(obj, self.beta))
        # AMBER reaches the recipient's clients, AMBER+STRICT the recipient only.
        self.assertTrue(self.sees(amber, self.sub))
        self.assertFalse(self.sees(strict, self.sub))

    def test_owner_organisation(self):
        # An object ACME posted into a collection it writes is ACME's: ACME's user reads and
        # changes its recipients, BETA's may not, and staff read them.
        e, cid = self.e, str(uuid.uuid4())
        e.ok("POST", "/api/v1/sharing-groups",
             {"name": "recipients-owner", "max_tlp": "RED", "readers": ["staff", "ACME"],
              "writers": ["staff", "ACME"], "collection_id": cid}, expect=201)
        obj = malware("AMBER", "acme-owned")
        s, _, st = e.request("POST", "/taxii2/ermes/collections/%s/objects/" % cid,
                             {"objects": [obj]}, token=self.acme, content_type=TAXII,
                             headers={"Accept": TAXII})
        self.assertEqual(s, 202, st)
        self.assertEqual(st["success_count"], 1, st)
        self.assertEqual(e.ok("GET", path(obj), token=self.acme)["owner"], "ACME")
        # It names only what the registry shows it (as on every recipients path), so not
        # BETA; an administrator names any organisation.
        s, _, b = e.request("PATCH", path(obj), {"recipients": ["BETA"]}, token=self.acme)
        assert_error(self, s, b, 422, "invalid", "recipients")
        self.assertFalse(self.sees(obj, self.beta))
        e.ok("PATCH", path(obj), {"recipients": ["ACSUB", "BETA"]})
        got = e.ok("GET", path(obj), token=self.acme)
        self.assertEqual([r["short_name"] for r in got["recipients"]], ["ACSUB", "BETA"])
        self.assertTrue(self.sees(obj, self.beta))
        self.assertTrue(self.sees(obj, self.sub))
        s, _, b = e.request("PATCH", path(obj), {"recipients": []}, token=self.beta)
        assert_error(self, s, b, 403, "forbidden")
        s, _, b = e.request("PATCH", path(obj), {"recipients": []}, token=self.ana)
        assert_error(self, s, b, 403, "forbidden")  # an analyst of another organisation
        self.assertEqual(e.ok("GET", path(obj), token=self.ana)["recipients"],
                         got["recipients"])
        # The owner takes them back.
        self.assertEqual(e.ok("PATCH", path(obj), {"recipients": []}, token=self.acme)
                         ["recipients"], [])
        self.assertFalse(self.sees(obj, self.beta))

    def test_ermes_own_indicator(self):
        e = self.e
        ind = e.ok("POST", "/api/v1/indicators?force=true",
                   {"type": "domain", "value": "own-recipients.example", "tlp": "AMBER"},
                   expect=201)
        s, _, body = e.request("GET", "/api/v1/stix?type=indicator", raw=True)
        self.assertEqual(s, 200, body)
        mine = [o for o in json.loads(body)["objects"]
                if "own-recipients.example" in o.get("pattern", "")]
        self.assertEqual(len(mine), 1, body[:2000])
        own = "/api/v1/stix/%s/recipients" % mine[0]["id"]
        s, _, b = e.request("PATCH", own, {"recipients": ["ACME"]})
        assert_error(self, s, b, 409, "conflict", "id")
        self.assertIn("/api/v1/indicators/", b["error"]["message"])
        # Named on the indicator, they are read here too.
        e.ok("PATCH", "/api/v1/indicators/%d" % ind["id"], {"recipients": ["ACME"]})
        self.assertEqual([r["short_name"] for r in e.ok("GET", own)["recipients"]], ["ACME"])

    def hits(self):
        _, _, body = self.e.request("GET", "/metrics", raw=True)
        m = re.search(rb"(?m)^ermes_taxii_page_cache_hits_total (\d+)$", body)
        self.assertIsNotNone(m, body[:2000])
        return int(m.group(1))

    def test_taxii_cache(self):
        e, cid = self.e, str(uuid.uuid4())
        e.ok("POST", "/api/v1/sharing-groups",
             {"name": "recipients-cache", "max_tlp": "RED", "readers": ["staff", "constituents"],
              "writers": ["staff"], "collection_id": cid, "selection": {"all": True}},
             expect=201)
        obj = malware("AMBER", "cache-recipients")
        e.ok("POST", "/api/v1/stix", obj)
        url = "/taxii2/ermes/collections/%s/objects/?match[type]=malware&limit=1000" % cid

        def page():
            s, h, body = e.request("GET", url, token=self.beta, raw=True,
                                   headers={"Accept": TAXII})
            self.assertEqual(s, 200, body)
            return obj["id"].encode() in body

        self.assertFalse(page())
        e.ok("PATCH", path(obj), {"recipients": ["BETA"]})
        self.assertTrue(page())
        before = self.hits()
        self.assertTrue(page())  # the kept page
        self.assertEqual(self.hits(), before + 1)
        e.ok("PATCH", path(obj), {"recipients": []})
        self.assertFalse(page())

    def test_cli(self):
        e, strict = self.e, malware("AMBER+STRICT", "cli-recipients")
        e.ok("POST", "/api/v1/stix", strict)
        rc, out, err = e.cli("stix", "recipients", strict["id"], "--set", "BETA,ACME", "--json")
        self.assertEqual(rc, 0, err)
        got = json.loads(out)
        self.assertEqual([r["short_name"] for r in got["recipients"]], ["ACME", "BETA"])
        self.assertEqual(got["tlp"], "AMBER+STRICT")
        self.assertTrue(self.sees(strict, self.beta))
        rc, out, err = e.cli("stix", "recipients", strict["id"])
        self.assertEqual(rc, 0, err)
        self.assertIn("ACME\tACME Ltd", out)
        self.assertIn("BETA\tBETA Ltd", out)
        rc, out, err = e.cli("stix", "recipients", strict["id"], "--set", "NOPE")
        self.assertEqual(rc, 2, (out, err))
        self.assertIn("NOPE", err)
        rc, out, err = e.cli("stix", "recipients", strict["id"], "--clear", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["recipients"], [])
        self.assertFalse(self.sees(strict, self.beta))
        rc, out, err = e.cli("stix", "recipients", "malware--%s" % uuid.uuid4())
        self.assertEqual(rc, 1, (out, err))
        audit = e.ok("GET", "/api/v1/audit?limit=1000")["data"]
        self.assertEqual(len([r for r in audit if r.get("object_id") == strict["id"] and
                              r.get("action") == "recipients"]), 2)


if __name__ == "__main__":
    main()
