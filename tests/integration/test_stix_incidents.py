"""Incidents as STIX 2.1 (issue 12 item 2): an incident is exported as a report (report_types
incident, x_ermes_incident) whose object_refs are its observables as SCOs with their
deterministic ids, in the STIX export and in a TAXII collection whose sharing group selects
reports; the bundle validates against the OASIS STIX 2.1 schemas with ajv; a change of the
incident is a new version of the same report; the TLP policy decides who sees it (a RED
incident reaches no constituent by TAXII). Runs on SQLite and on PostgreSQL."""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402
from test_stix import validate  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "3c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
SCO_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def sco_id(typ, props):
    return "%s--%s" % (typ, uuid.uuid5(SCO_NS, json.dumps(props, sort_keys=True,
                                                           separators=(",", ":"))))


class StixIncidents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": "ACME", "name": "ACME Ltd", "networks": ["192.0.2.0/28"]},
                 expect=201)
            _, cls.acme = e.user_token("conny", "constituent", org="ACME")
            e.ok("POST", "/api/v1/sharing-groups",
                 {"name": "cases", "max_tlp": "RED", "readers": ["staff", "constituents"],
                  "writers": ["staff"], "collection_id": COLLECTION,
                  "selection": {"all": True, "types": ["report", "ipv4-addr", "domain-name",
                                                       "file"]}}, expect=201)
            cls.green = e.ok("POST", "/api/v1/incidents",
                             {"title": "phishing wave", "description": "credential phishing",
                              "tlp": "GREEN", "constituents": ["ACME"],
                              "rsit_class": "fraud", "rsit_type": "phishing"}, expect=201)
            for typ, value in (("ipv4", "192.0.2.9"), ("domain", "login-acme.example"),
                               ("sha256", "ef" * 32)):
                e.ok("POST", "/api/v1/incidents/%d/observables" % cls.green["id"],
                     {"type": typ, "value": value}, expect=201)
            cls.red = e.ok("POST", "/api/v1/incidents",
                           {"title": "red case", "tlp": "RED", "constituents": ["ACME"]},
                           expect=201)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def bundle(self, token=None):
        s, _, b = self.e.request("GET", "/api/v1/stix?version=all", token=token or self.e.token)
        self.assertEqual(s, 200, b)
        return b

    def reports(self, bundle):
        return [o for o in bundle["objects"] if o["type"] == "report"
                and "incident" in o.get("report_types", [])]

    def test_report_with_observables_validates(self):
        b = self.bundle()
        res = validate(self, b)
        self.assertTrue(res.get("valid"), res)
        reps = {r["x_ermes_incident"]["id"]: r for r in self.reports(b)}
        self.assertIn(self.green["id"], reps)
        r = reps[self.green["id"]]
        self.assertEqual(r["name"], "phishing wave")
        self.assertEqual(r["description"], "credential phishing")
        self.assertEqual((r["x_ermes_incident"]["rsit_class"], r["x_ermes_incident"]["rsit_type"]),
                         ("fraud", "phishing"))
        want = {sco_id("ipv4-addr", {"value": "192.0.2.9"}),
                sco_id("domain-name", {"value": "login-acme.example"}),
                sco_id("file", {"hashes": {"SHA-256": "ef" * 32}})}
        self.assertEqual(set(r["object_refs"]), want)
        ids = {o["id"] for o in b["objects"]}
        self.assertTrue(want <= ids, want - ids)
        # An incident without observables names the CERT's identity.
        self.assertEqual(len(reps[self.red["id"]]["object_refs"]), 1)
        self.assertTrue(reps[self.red["id"]]["object_refs"][0].startswith("identity--"))

    def test_a_change_is_a_new_version(self):
        before = [r for r in self.reports(self.bundle())
                  if r["x_ermes_incident"]["id"] == self.green["id"]]
        self.e.ok("PATCH", "/api/v1/incidents/%d" % self.green["id"], {"status": "triage"})
        after = [r for r in self.reports(self.bundle())
                 if r["x_ermes_incident"]["id"] == self.green["id"]]
        self.assertEqual(len(after), len(before) + 1)
        self.assertEqual({r["id"] for r in after}, {before[0]["id"]})
        newest = max(after, key=lambda r: r["modified"])
        self.assertEqual(newest["x_ermes_incident"]["status"], "triage")

    def test_taxii_and_tlp(self):
        url = "/taxii2/ermes/collections/%s/objects/?match[type]=report" % COLLECTION
        got = {}
        for name, token in (("staff", self.e.token), ("acme", self.acme)):
            s, _, env = self.e.request("GET", url, token=token, headers={"Accept": TAXII})
            self.assertEqual(s, 200, env)
            got[name] = {o["x_ermes_incident"]["id"] for o in env.get("objects", [])
                         if "x_ermes_incident" in o}
        self.assertEqual(got["staff"], {self.green["id"], self.red["id"]})
        # RED is the owner's (the CERT's) alone; GREEN goes to the community.
        self.assertEqual(got["acme"], {self.green["id"]})
        self.assertEqual({r["x_ermes_incident"]["id"] for r in self.reports(self.bundle(
            self.acme))}, {self.green["id"]})


if __name__ == "__main__":
    main()
