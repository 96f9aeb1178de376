"""MISP object references kept (issue 12 item 6): an event written from the MISP core format
(tests/data/misp/event_references.json: a file object referring to a domain-ip object and to an
event attribute, a deleted reference, a url object referring back to the file; the domain
c2.example in two objects) is imported through POST /api/v1/misp/events. Each live
ObjectReference is kept (table misp_object_references: its uuid, the source object, the
referenced uuid in lower case, relationship type, comment); the indicator two objects share keeps
both objects' tags; the export gives the references back in Object[].ObjectReference between the
objects it shows (the one to the attribute under the attribute's exported uuid), and in STIX as
relationships between the objects' reports and to the attribute's indicator (the bundle
validates); importing the event again without a reference drops it. Runs on SQLite and on
PostgreSQL."""

import copy
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, db_connect, main  # noqa: E402

SAMPLE = os.path.join(SOURCE_DIR, "tests", "data", "misp", "event_references.json")
EVENT = "5c1f2e3a-7b4d-4e8f-9a01-23456789abcd"
FILE, DOMAIN_IP, URL = ("a1a1a1a1-1111-4111-8111-111111111111",
                        "b2b2b2b2-2222-4222-8222-222222222222",
                        "c3c3c3c3-3333-4333-8333-333333333333")
ATTR = "6d2e3f4a-8c5e-4f90-ab12-3456789abcde"  # the event's ip-dst 203.0.113.99
KEPT = {
    ("e1e1e1e1-aaaa-4aaa-8aaa-aaaaaaaaaaaa", FILE, DOMAIN_IP, "communicates-with",
     "beacons every 60 s"),
    ("e2e2e2e2-bbbb-4bbb-8bbb-bbbbbbbbbbbb", FILE, "6d2e3f4a-8c5e-4f90-ab12-3456789abcde",
     "connects-to", ""),
    ("e4e4e4e4-dddd-4ddd-8ddd-dddddddddddd", URL, FILE, "delivers", ""),
}


class MispReferences(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        with open(SAMPLE) as f:
            cls.sample = json.load(f)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def rows(self):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            return {tuple(r[:5]) + (r[5],) for r in db.execute(
                "SELECT uuid, object_uuid, referenced_uuid, relationship_type, comment,"
                " event_uuid, tlp, created_at, updated_at FROM misp_object_references")}, \
                [tuple(r) for r in db.execute(
                    "SELECT tlp, created_at, updated_at FROM misp_object_references")]

    def imp(self, event):
        s, _, body = self.e.request("POST", "/api/v1/misp/events", event)
        self.assertEqual(s, 200, body)
        return body

    def test_references_kept_exported_and_replaced(self):
        body = self.imp(self.sample)
        self.assertEqual(body["events"], 1)
        rows, meta = self.rows()
        self.assertEqual(rows, {r + (EVENT,) for r in KEPT})
        for tlp, created, updated in meta:
            self.assertEqual(tlp, "GREEN")
            self.assertTrue(created > 0 and updated >= created)

        # The domain both objects hold: one indicator, a member of both objects (table
        # misp_object_attributes), with no object bookkeeping among its tags.
        inds = [i for i in self.e.list_all("/api/v1/indicators") if i["value"] == "c2.example"]
        self.assertEqual(len(inds), 1, inds)
        self.assertFalse([t for t in inds[0]["tags"] if t.startswith("misp-object")], inds)
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            members = {tuple(r) for r in db.execute(
                "SELECT o.uuid, o.name, o.meta_category, a.object_relation, a.type"
                " FROM misp_object_attributes a JOIN misp_objects o ON o.uuid = a.object_uuid"
                " WHERE a.indicator_id = %d" % inds[0]["id"])}
        self.assertEqual(members, {(DOMAIN_IP, "domain-ip", "network", "domain", "domain"),
                                   (URL, "url", "network", "domain", "domain")})

        # Export: the references between exported objects, in each object's ObjectReference.
        s, _, out = self.e.request("GET", "/api/v1/misp/events")
        self.assertEqual(s, 200, out)
        ev = [x["Event"] for x in out if x["Event"]["uuid"] == EVENT]
        self.assertEqual(len(ev), 1, out)
        objs = {o["uuid"]: o for o in ev[0]["Object"]}
        self.assertEqual(set(objs), {FILE, DOMAIN_IP, URL})
        refs = {(r["uuid"], r["object_uuid"], r["referenced_uuid"], r["relationship_type"],
                 r["comment"]) for o in objs.values() for r in o.get("ObjectReference", [])}
        # The one to an event attribute names it by the uuid ermes exports it with
        # (referenced_type 0, an attribute); the others name objects (1).
        ip = [a["uuid"] for a in ev[0]["Attribute"] if a["value"] == "203.0.113.99"]
        self.assertEqual(len(ip), 1, ev[0]["Attribute"])
        self.assertEqual(refs, {r if r[2] != ATTR else r[:2] + (ip[0],) + r[3:] for r in KEPT})
        for o in objs.values():
            for r in o.get("ObjectReference", []):
                self.assertEqual(r["object_uuid"], o["uuid"])
                self.assertEqual(r["referenced_type"], 0 if r["referenced_uuid"] == ip[0] else 1)
        self.assertNotIn("ObjectReference", objs[DOMAIN_IP])
        # The shared domain is in both objects.
        for obj in (DOMAIN_IP, URL):
            self.assertIn("c2.example", [a["value"] for a in objs[obj]["Attribute"]])

        # STIX: each reference between two objects with reports is a relationship between
        # those reports; the bundle validates (ajv, the OASIS STIX 2.1 schemas).
        from test_stix import validate
        b = self.e.ok("GET", "/api/v1/stix", expect=200)
        b = b if isinstance(b, dict) else json.loads(b)
        v = validate(self, b)
        self.assertTrue(v["valid"], json.dumps(v["errors"])[:3000])
        reports = {o["name"].rsplit(" ", 1)[1]: o["id"] for o in b["objects"]
                   if o["type"] == "report" and o["name"].startswith("MISP object ")}
        self.assertEqual(set(reports), {FILE, DOMAIN_IP, URL})
        rels = {(o["source_ref"], o["relationship_type"], o["target_ref"], o.get("description"))
                for o in b["objects"] if o["type"] == "relationship"}
        # The reference to the event attribute: to the indicator it became.
        ind = [o["id"] for o in b["objects"]
               if o["type"] == "indicator" and "'203.0.113.99'" in o["pattern"]]
        self.assertEqual(len(ind), 1)
        self.assertEqual(rels, {
            (reports[FILE], "communicates-with", reports[DOMAIN_IP], "beacons every 60 s"),
            (reports[FILE], "connects-to", ind[0], None),
            (reports[URL], "delivers", reports[FILE], None)})

        # The export read back: the same references, the attribute's by its exported uuid.
        self.imp({"response": out})
        self.assertEqual(self.rows()[0], {(r if r[2] != ATTR else r[:2] + (ip[0],) + r[3:])
                                          + (EVENT,) for r in KEPT})

        # The event again without the file's references: only the url's is left.
        again = copy.deepcopy(self.sample)
        for o in again["Event"]["Object"]:
            if o["uuid"] == FILE:
                o["ObjectReference"] = []
        self.imp(again)
        self.assertEqual(self.rows()[0],
                         {r + (EVENT,) for r in KEPT if r[1] == URL})


if __name__ == "__main__":
    main()
