"""MISP objects in tables of their own (migration 72, src/store/misp_objects.c), on the backend
of the run: importing events with objects (test_misp.py's file, domain-ip, ip-port, url and
email objects; tests/data/misp/event_references.json, whose objects share an indicator and
refer to each other) fills misp_objects and misp_object_attributes; no indicator shows a
misp-object tag through GET /api/v1/indicators, nor a STIX indicator as a label; MISP and STIX
export give the objects back; a tag misp-object:... a user puts on an indicator is an ordinary
tag that makes no object; a member the reader may not see is left out of its export of the
object. A database of before migration 72 (the objects as misp-object* tags
on the indicators, as earlier versions wrote them) is migrated when opened: the tags move into
the tables and leave the indicators, and MISP export and the STIX reports are the same as
before, byte for byte."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, db_connect, main  # noqa: E402
from test_misp import OBJ_EV, check_misp_format, object_shape, objects_event  # noqa: E402

REFS_SAMPLE = os.path.join(SOURCE_DIR, "tests", "data", "misp", "event_references.json")
REFS_EV = "5c1f2e3a-7b4d-4e8f-9a01-23456789abcd"
FILE_OBJ = "7b100000-0000-4000-8000-000000000001"


def tag_text(s):
    """Free text in the tags earlier versions wrote: '%' and ',' as %25 and %2C."""
    return s.replace("%", "%25").replace(",", "%2C")


def old_tags(members, objects, others, tags):
    """The tags an indicator had before migration 72 (src/sharing/misp.c of that time): a
    misp-object tag per membership, then each of its objects' misp-object-meta,
    misp-object-comment and misp-object-attr tags, then its own."""
    out, seen = [], []
    for obj, rel, typ in members:
        out.append("misp-object:%s:%s:%s" % (obj, rel, typ))
        if obj not in seen:
            seen.append(obj)
    for obj in seen:
        name, meta, tuuid, ver, comment = objects[obj]
        out.append("misp-object-meta:%s:%s:%s:%s:%d" % (obj, name, meta, tuuid, ver))
        if comment:
            out.append("misp-object-comment:%s:%s" % (obj, tag_text(comment)))
        for rel, typ, value in others.get(obj, []):
            out.append("misp-object-attr:%s:%s:%s:%s" % (obj, rel, typ, tag_text(value)))
    return out + tags


class MispObjects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            with open(REFS_SAMPLE) as f:
                cls.refs_event = json.load(f)
            cls.e.ok("POST", "/api/v1/misp/events", objects_event(), expect=200)
            cls.e.ok("POST", "/api/v1/misp/events", cls.refs_event, expect=200)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def db(self):
        return db_connect(os.path.join(self.e.dir, "ermes.db"))

    def misp_export(self):
        evs = self.e.ok("GET", "/api/v1/misp/events", expect=200)
        check_misp_format(self, evs)
        return evs

    def stix_bundle(self):
        b = self.e.ok("GET", "/api/v1/stix", expect=200)
        return b if isinstance(b, dict) else json.loads(b)

    def assert_no_object_tags(self):
        for i in self.e.list_all("/api/v1/indicators"):
            self.assertFalse([t for t in i["tags"] if t.startswith("misp-object")], i)

    def tables(self):
        """The objects and their attributes, as export reads them: objects by uuid, each
        indicator's memberships in order, each object's other attributes in order."""
        with self.db() as db:
            objects = {r[0]: tuple(r[1:]) for r in db.execute(
                "SELECT uuid, event_uuid, name, meta_category, template_uuid, template_version,"
                " comment FROM misp_objects")}
            members = {}
            for ind, obj, rel, typ in db.execute(
                    "SELECT indicator_id, object_uuid, object_relation, type"
                    " FROM misp_object_attributes WHERE indicator_id IS NOT NULL"
                    " ORDER BY position, id"):
                members.setdefault(ind, []).append((obj, rel, typ))
            others = {}
            for obj, rel, typ, value in db.execute(
                    "SELECT object_uuid, object_relation, type, value FROM misp_object_attributes"
                    " WHERE indicator_id IS NULL ORDER BY position, id"):
                # str: the PostgreSQL runs read a value of digits back as a number.
                others.setdefault(obj, []).append((rel, typ, str(value)))
        return objects, members, others

    def test_1_import_fills_the_tables(self):
        objects, members, others = self.tables()
        want = {o["uuid"]: o for o in objects_event()["Event"]["Object"]}
        for uuid, o in want.items():
            self.assertEqual(objects[uuid][:5], (OBJ_EV, o["name"], o["meta-category"],
                                                 o["template_uuid"], int(o["template_version"])))
            self.assertEqual(objects[uuid][5], o.get("comment", ""))
        self.assertEqual(others[FILE_OBJ], [("filename", "filename", "loader.dll"),
                                            ("size-in-bytes", "size-in-bytes", "73802")])
        self.assertEqual(others["7b100000-0000-4000-8000-000000000003"],
                         [("dst-port", "port", "8443"), ("src-port", "port", "51000")])
        inds = {(i["type"], i["value"]): i["id"] for i in self.e.list_all("/api/v1/indicators")}
        self.assertEqual(members[inds[("sha256", "3" * 64)]], [(FILE_OBJ, "sha256", "sha256")])
        self.assertEqual(members[inds[("ipv4", "203.0.113.77")]],
                         [("7b100000-0000-4000-8000-000000000003", "ip", "ip-src")])
        self.assertNotIn(inds[("domain", "plain-attr.example")], members)
        # The indicators show no bookkeeping, and STIX labels none either.
        self.assert_no_object_tags()
        for o in self.stix_bundle()["objects"]:
            if o["type"] == "indicator":
                self.assertFalse([t for t in o.get("labels", []) if t.startswith("misp-object")],
                                 o)

    def test_2_export_gives_the_objects_back(self):
        ev = [x["Event"] for x in self.misp_export() if x["Event"]["uuid"] == OBJ_EV]
        self.assertEqual(len(ev), 1)
        self.assertEqual(sorted(object_shape(o) for o in ev[0]["Object"]),
                         sorted(object_shape(o) for o in objects_event()["Event"]["Object"]))
        reports = [o for o in self.stix_bundle()["objects"]
                   if o["type"] == "report" and o["name"].startswith("MISP object ")]
        self.assertEqual(len(reports), 5 + len(self.refs_event["Event"]["Object"]))

    def test_3_a_user_tag_is_an_ordinary_tag(self):
        """misp-object:UUID:RELATION:TYPE put on an indicator by hand: kept and shown as the
        tag it is, exported as a tag, and no object for it."""
        plain = [i for i in self.e.list_all("/api/v1/indicators")
                 if i["value"] == "plain-attr.example"][0]
        forged = "misp-object:%s:md5:md5" % FILE_OBJ
        before = [x["Event"] for x in self.misp_export() if x["Event"]["uuid"] == OBJ_EV][0]
        upd = self.e.ok("PATCH", "/api/v1/indicators/%d" % plain["id"],
                        {"tags": plain["tags"] + [forged]}, expect=200)
        self.assertIn(forged, upd["tags"])
        ev = [x["Event"] for x in self.misp_export() if x["Event"]["uuid"] == OBJ_EV][0]
        attr = [a for a in ev["Attribute"] if a["value"] == "plain-attr.example"]
        self.assertEqual(len(attr), 1, ev["Attribute"])
        self.assertIn(forged, [t["name"] for t in attr[0]["Tag"]])
        self.assertEqual([object_shape(o) for o in ev["Object"]],
                         [object_shape(o) for o in before["Object"]])
        self.e.ok("PATCH", "/api/v1/indicators/%d" % plain["id"], {"tags": plain["tags"]},
                  expect=200)

    def test_3_tlp_leaves_out_the_members_a_reader_may_not_see(self):
        """One TLP policy: a member the reader may not see (RED, not its organisation's) is
        not in its export of the object; the object's other members and its attributes that
        are no indicators are; staff see the whole object."""
        self.e.ok("POST", "/api/v1/organisations",
                  {"short_name": "objorg", "name": "Obj Org", "networks": ["10.31.0.0/16"]},
                  expect=201)
        _, tok = self.e.user_token("objorg-user", "constituent", org="objorg")
        md5 = [i for i in self.e.list_all("/api/v1/indicators") if i["value"] == "1" * 32][0]
        self.e.ok("PATCH", "/api/v1/indicators/%d" % md5["id"], {"tlp": "RED"}, expect=200)
        try:
            def file_object(token=None):
                kw = {} if token is None else {"token": token}
                evs = self.e.ok("GET", "/api/v1/misp/events?source=misp:" + OBJ_EV, expect=200,
                                **kw)
                return [o for o in evs[0]["Event"]["Object"] if o["uuid"] == FILE_OBJ][0]
            theirs = file_object(tok)
            self.assertEqual(sorted(a["object_relation"] for a in theirs["Attribute"]),
                             ["filename", "sha1", "sha256", "sha512", "size-in-bytes"])
            self.assertNotIn("1" * 32, json.dumps(theirs))
            self.assertEqual(sorted(a["object_relation"] for a in file_object()["Attribute"]),
                             ["filename", "md5", "sha1", "sha256", "sha512", "size-in-bytes"])
        finally:
            self.e.ok("PATCH", "/api/v1/indicators/%d" % md5["id"], {"tlp": "GREEN"},
                      expect=200)

    def test_4_migrated_database_exports_the_same(self):
        misp_before = self.misp_export()
        stix_before = self.stix_bundle()
        inds_before = {i["id"]: i for i in self.e.list_all("/api/v1/indicators")}
        objects, members, others = self.tables()
        self.e.stop()
        # The database as earlier versions left it: the objects as tags, no tables' rows, the
        # STIX reports of the objects not yet published (made again from the tables).
        with self.db() as db:
            meta = {u: (o[1], o[2], o[3], o[4], o[5]) for u, o in objects.items()}
            for ind, mem in members.items():
                tags = json.loads(db.execute("SELECT tags FROM indicators WHERE id = ?",
                                             (ind,)).fetchone()[0])
                db.execute("UPDATE indicators SET tags = ? WHERE id = ?",
                           (json.dumps(old_tags(mem, meta, others, tags),
                                       separators=(",", ":")), ind))
            self.assertIn("misp-object:%s:sha256:sha256" % FILE_OBJ, json.dumps(
                [r[0] for r in db.execute("SELECT tags FROM indicators")]))
            db.execute("DELETE FROM misp_object_attributes")
            db.execute("DELETE FROM misp_objects")
            db.execute("DELETE FROM stix_objects WHERE type IN ('report', 'relationship')")
            db.execute("UPDATE counters SET value = 0"
                       " WHERE name = 'stix_published_indicators_at'")
            db.execute("UPDATE counters SET value = -1 WHERE name = 'stix_published_indicators'")
            db.execute("DELETE FROM schema_version WHERE version >= 72")
            db.commit()
        self.e.start()
        self.assertEqual(self.tables(), (objects, members, others))
        self.assert_no_object_tags()
        self.assertEqual({i["id"]: i for i in self.e.list_all("/api/v1/indicators")},
                         inds_before)
        self.assertEqual(self.misp_export(), misp_before)

        def made_from_objects(b):
            return sorted(json.dumps(o, sort_keys=True) for o in b["objects"]
                          if o["type"] in ("report", "relationship"))
        self.assertEqual(made_from_objects(self.stix_bundle()), made_from_objects(stix_before))
        # Run again (its version row gone), it finds nothing more to move.
        self.e.stop()
        with self.db() as db:
            db.execute("DELETE FROM schema_version WHERE version >= 72")
            db.commit()
        self.e.start()
        self.assertEqual(self.tables(), (objects, members, others))
        self.assertEqual(self.misp_export(), misp_before)


if __name__ == "__main__":
    main()
