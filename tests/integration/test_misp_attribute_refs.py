"""MISP object references to attributes (issue 12 item 6), exported: an event written from the
MISP core format (an object whose ObjectReference names a GREEN event attribute, an AMBER one,
one that is no indicator and an attribute of another object) is imported; each reference keeps
the indicator its attribute became (misp_object_references.referenced_indicator_*). MISP export
lists those references in the object's ObjectReference with referenced_type 0 and, as
referenced_uuid, the uuid ermes gives the attribute on export; STIX export makes them
relationships from the object's report to the indicator (the bundle validates), with the
stricter TLP of both ends. A constituent who may not see the AMBER attribute's indicator gets
neither that reference nor that relationship. The export imported again keeps the references.
Runs on SQLite and on PostgreSQL."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main  # noqa: E402

EVENT = "7e2a9c41-5d3b-4f6e-8a10-b2c3d4e5f601"
FILE = "a7a7a7a7-1111-4111-8111-111111111111"
DIP = "b8b8b8b8-2222-4222-8222-222222222222"
A_GREEN = "0a0a0a0a-0000-4000-8000-00000000000a"  # ip-dst 192.0.2.10, the event's TLP (GREEN)
A_AMBER = "0b0b0b0b-0000-4000-8000-00000000000b"  # domain secret.example, tlp:amber
A_TEXT = "0c0c0c0c-0000-4000-8000-00000000000c"   # text: no indicator
A_OBJ = "0d0d0d0d-0000-4000-8000-00000000000d"    # the domain-ip object's ip 198.51.100.7


def ref(uid, target, rel):
    return {"uuid": uid, "object_uuid": FILE, "referenced_uuid": target,
            "relationship_type": rel, "comment": "", "timestamp": "1764460800",
            "deleted": False}


def event():
    return {"Event": {
        "uuid": EVENT, "info": "Object references to attributes", "date": "2026-12-01",
        "threat_level_id": "2", "analysis": "2", "distribution": "1", "published": True,
        "timestamp": "1764460800", "Orgc": {"name": "Sample CERT",
                                            "uuid": "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"},
        "Tag": [{"name": "tlp:green"}],
        "Attribute": [
            {"uuid": A_GREEN, "type": "ip-dst", "category": "Network activity",
             "value": "192.0.2.10", "to_ids": True, "distribution": "5",
             "timestamp": "1764460800"},
            {"uuid": A_AMBER.upper(), "type": "domain", "category": "Network activity",
             "value": "secret.example", "to_ids": True, "distribution": "5",
             "timestamp": "1764460800", "Tag": [{"name": "tlp:amber"}]},
            {"uuid": A_TEXT, "type": "text", "category": "Other", "value": "a note",
             "to_ids": False, "distribution": "5", "timestamp": "1764460800"},
        ],
        "Object": [
            {"uuid": FILE, "name": "file", "meta-category": "file",
             "template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215", "template_version": "24",
             "distribution": "5", "timestamp": "1764460800", "comment": "", "deleted": False,
             "Attribute": [
                 {"uuid": "f7000000-0000-4000-8000-000000000001", "type": "sha256",
                  "category": "Payload delivery", "object_relation": "sha256",
                  "value": "5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5",
                  "to_ids": True, "distribution": "5", "timestamp": "1764460800"}],
             "ObjectReference": [
                 ref("e7000000-0000-4000-8000-000000000001", A_GREEN, "connects-to"),
                 ref("e7000000-0000-4000-8000-000000000002", A_AMBER, "resolves"),
                 ref("e7000000-0000-4000-8000-000000000003", A_TEXT, "described-by"),
                 ref("e7000000-0000-4000-8000-000000000004", A_OBJ, "communicates-with")]},
            {"uuid": DIP, "name": "domain-ip", "meta-category": "network",
             "template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "template_version": "9",
             "distribution": "5", "timestamp": "1764460800", "comment": "", "deleted": False,
             "Attribute": [
                 {"uuid": "f8000000-0000-4000-8000-000000000001", "type": "domain",
                  "category": "Network activity", "object_relation": "domain",
                  "value": "c2b.example", "to_ids": True, "distribution": "5",
                  "timestamp": "1764460800"},
                 {"uuid": A_OBJ, "type": "ip-dst", "category": "Network activity",
                  "object_relation": "ip", "value": "198.51.100.7", "to_ids": True,
                  "distribution": "5", "timestamp": "1764460800"}]},
        ]}}


class MispAttributeReferences(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        cls.e.ok("POST", "/api/v1/organisations",
                 {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                 expect=201)
        _, cls.acme_tok = cls.e.user_token("acme-user", "constituent", org="acme")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def rows(self):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            return {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT relationship_type, referenced_indicator_type,"
                " referenced_indicator_value, referenced_indicator_exact"
                " FROM misp_object_references")}

    def export(self, token=None):
        kw = {} if token is None else {"token": token}
        s, _, out = self.e.request("GET", "/api/v1/misp/events", **kw)
        self.assertEqual(s, 200, out)
        ev = [x["Event"] for x in out if x["Event"]["uuid"] == EVENT]
        self.assertEqual(len(ev), 1, out)
        return ev[0]

    def refs_of_file(self, ev):
        """{relationship_type: (referenced_uuid, referenced_type)} of the file object, after
        checking that each names an attribute or object of the same exported event."""
        uuids = {a["uuid"]: a["value"] for a in ev["Attribute"]}
        for o in ev["Object"]:
            uuids[o["uuid"]] = o["name"]
            for a in o["Attribute"]:
                uuids[a["uuid"]] = a["value"]
        f = [o for o in ev["Object"] if o["uuid"] == FILE]
        self.assertEqual(len(f), 1, ev["Object"])
        out = {}
        for r in f[0].get("ObjectReference", []):
            self.assertIn(r["referenced_uuid"], uuids, r)
            self.assertEqual(r["object_uuid"], FILE)
            out[r["relationship_type"]] = (uuids[r["referenced_uuid"]], r["referenced_uuid"],
                                           r["referenced_type"])
        return out

    def stix(self, token=None):
        kw = {} if token is None else {"token": token}
        s, _, b = self.e.request("GET", "/api/v1/stix", **kw)
        self.assertEqual(s, 200, b)
        return b if isinstance(b, dict) else json.loads(b)

    def test_attribute_references_round_trip(self):
        body = self.e.ok("POST", "/api/v1/misp/events", event(), expect=200)
        self.assertEqual(body["events"], 1, body)
        self.assertEqual(self.rows(), {
            "connects-to": ("ipv4", "192.0.2.10", 0),
            "resolves": ("domain", "secret.example", 0),
            "described-by": (None, None, None),
            "communicates-with": ("ipv4", "198.51.100.7", 0)})

        # MISP export for staff: every reference to an indicator's attribute, under the uuid
        # ermes exports that attribute with (not MISP's), referenced_type 0 (Attribute).
        ev = self.export()
        refs = self.refs_of_file(ev)
        self.assertEqual({k: (v[0], v[2]) for k, v in refs.items()}, {
            "connects-to": ("192.0.2.10", 0), "resolves": ("secret.example", 0),
            "communicates-with": ("198.51.100.7", 0)})
        for _, u, _ in refs.values():
            self.assertNotIn(u, (A_GREEN, A_AMBER, A_OBJ))
        # The object's attribute is named by its uuid inside the domain-ip object.
        dip = [o for o in ev["Object"] if o["uuid"] == DIP][0]
        self.assertIn(refs["communicates-with"][1], [a["uuid"] for a in dip["Attribute"]])
        self.assertEqual(refs["connects-to"][1],
                         [a["uuid"] for a in ev["Attribute"] if a["value"] == "192.0.2.10"][0])

        # A constituent does not see the AMBER indicator: nor the reference naming it.
        mine = self.export(self.acme_tok)
        self.assertNotIn("secret.example", json.dumps(mine))
        self.assertNotIn(refs["resolves"][1], json.dumps(mine))
        self.assertEqual({k: v[:3] for k, v in self.refs_of_file(mine).items()},
                         {k: v for k, v in refs.items() if k != "resolves"})

        # STIX: relationships from the file's report to the indicators; the bundle validates;
        # the AMBER one is marked AMBER and is not the constituent's.
        from test_stix import validate
        b = self.stix()
        v = validate(self, b)
        self.assertTrue(v["valid"], json.dumps(v["errors"])[:3000])
        inds = {}
        for o in b["objects"]:
            if o["type"] == "indicator":
                for val in ("192.0.2.10", "secret.example", "198.51.100.7"):
                    if "'%s'" % val in o["pattern"]:
                        inds[val] = o["id"]
        self.assertEqual(len(inds), 3, inds)
        report = [o["id"] for o in b["objects"] if o["type"] == "report"
                  and o["name"].endswith(" " + FILE)]
        self.assertEqual(len(report), 1)
        marking = {o["id"]: o.get("object_marking_refs") for o in b["objects"]}
        rels = {o["relationship_type"]: o for o in b["objects"] if o["type"] == "relationship"
                and o["source_ref"] == report[0]}
        self.assertEqual({k: o["target_ref"] for k, o in rels.items()}, {
            "connects-to": inds["192.0.2.10"], "resolves": inds["secret.example"],
            "communicates-with": inds["198.51.100.7"]})
        # The stricter TLP of both ends: the AMBER indicator's, the GREEN report's.
        self.assertEqual(rels["resolves"]["object_marking_refs"], marking[inds["secret.example"]])
        self.assertEqual(rels["connects-to"]["object_marking_refs"], marking[report[0]])
        self.assertNotEqual(marking[inds["secret.example"]], marking[report[0]])
        theirs = self.stix(self.acme_tok)
        ids = {o["id"] for o in theirs["objects"]}
        self.assertNotIn(rels["resolves"]["id"], ids)
        self.assertNotIn(inds["secret.example"], ids)
        self.assertIn(rels["connects-to"]["id"], ids)

        # The staff export imported again: the references still find their indicators, and
        # exporting again gives the same references.
        s, _, out = self.e.request("GET", "/api/v1/misp/events")
        self.assertEqual(s, 200, out)
        self.e.ok("POST", "/api/v1/misp/events", {"response": out}, expect=200)
        rows = self.rows()
        self.assertEqual(rows["connects-to"], ("ipv4", "192.0.2.10", 0))
        self.assertEqual(rows["resolves"], ("domain", "secret.example", 0))
        self.assertEqual(rows["communicates-with"], ("ipv4", "198.51.100.7", 0))
        self.assertNotIn("described-by", rows)  # its attribute was never exported
        self.assertEqual(self.refs_of_file(self.export()), refs)


if __name__ == "__main__":
    main()
