"""MISP event JSON in and out (issue 12, item 6): `ermes misp import`, POST and GET
/api/v1/misp/events, `ermes misp export`, `ermes misp import-feed`.

Every attribute of an imported event has a fate (indicator, skipped with the reason, invalid,
suppressed by a warninglist), reported with its uuid; tlp:* tags (attribute over event, TLP 1.0
words too) and the distribution give the TLP; the export is checked against MISP's event format
as documented (misp-rfc misp-core-format, PyMISP describeTypes' categories) and imports back to
the same indicators; a MISP feed served on loopback is taken once, then only what changed."""

import functools
import http.server
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main  # noqa: E402

SAMPLE = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds", "intelmq", "misp",
                      "misp_event.json")
SAMPLE_ATTRIBUTE = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds", "intelmq",
                                "misp", "misp_attribute.json")
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"  # on the eicar.com warninglist, in force
EV_UUID = "5f1d8c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# MISP's documented event format (misp-rfc misp-core-format; PyMISP describeTypes.json): the
# categories each type may have, for the types ermes exports.
CATEGORIES = {
    "ip-dst": {"Network activity", "External analysis", "Payload delivery"},
    "domain": {"Network activity", "External analysis", "Payload delivery"},
    "hostname": {"Network activity", "External analysis", "Payload delivery"},
    "url": {"Network activity", "External analysis", "Payload delivery"},
    "md5": {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
    "sha1": {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
    "sha256": {"Payload delivery", "Artifacts dropped", "Payload installation",
               "External analysis"},
    "sha512": {"Payload delivery", "Artifacts dropped", "Payload installation"},
    "email-src": {"Payload delivery", "Social network"},
    # Not in PyMISP's describeTypes snapshot; MISP core's MispAttribute type definitions give
    # it the default category Network activity.
    "ja3-fingerprint-md5": {"Network activity"},
    "text": {"Other", "Network activity", "Payload delivery"},
}
# The types of the objects' attributes that are no indicators (PyMISP describeTypes' categories).
OBJECT_ONLY_TYPES = {
    "filename": {"Payload delivery", "Artifacts dropped", "Payload installation",
                 "Persistence mechanism", "Network activity", "External analysis"},
    "size-in-bytes": {"Other"},
    "port": {"Network activity", "Other"},
    "email-subject": {"Payload delivery", "Social network"},
}
CATEGORIES.update(OBJECT_ONLY_TYPES)
CATEGORIES["ip-src"] = {"Network activity", "External analysis", "Payload delivery"}
CATEGORIES["email-dst"] = {"Payload delivery", "Network activity", "Social network"}
TLP_TAGS = {"tlp:clear", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"}


def attr(uuid_tail, type_, value, to_ids=True, **kw):
    a = {"uuid": "6a000000-0000-4000-8000-%012d" % uuid_tail, "type": type_,
         "category": "Network activity", "value": value, "to_ids": to_ids,
         "distribution": "5"}
    a.update(kw)
    return a


def rich_event():
    """One event with an attribute of every kind ermes handles, and some it does not."""
    return {"Event": {
        "uuid": EV_UUID, "info": "ermes MISP test", "date": "2026-11-30",
        "threat_level_id": "2", "analysis": "1", "distribution": "3", "published": True,
        "timestamp": "1764460800",
        "Tag": [{"name": "tlp:green"}, {"name": "misp-galaxy:threat-actor=\"Sofacy\""},
                {"name": "rsit:malicious-code=\"ransomware\""}],
        "Attribute": [
            attr(1, "ip-dst", "192.0.2.10"),
            attr(2, "ip-src|port", "198.51.100.7|4444", Tag=[{"name": "tlp:red"}]),
            attr(3, "domain", "evil.example", Tag=[{"name": "TLP:WHITE"}]),
            attr(4, "hostname", "c2.example", Tag=[{"name": "tlp:amber+strict"}]),
            attr(5, "domain|ip", "dual.example|203.0.113.9"),
            attr(6, "url", "http://evil.example/drop/x.exe",
                 first_seen="2026-11-01T00:00:00.000000+00:00",
                 last_seen="2027-01-01T00:00:00+00:00"),
            attr(7, "sha256", "a" * 64, category="Payload delivery",
                 Tag=[{"name": "tlp:amber"}, {"name": "kill-chain:delivery"}]),
            attr(8, "filename|sha1", "x.exe|" + "b" * 40, category="Payload delivery"),
            attr(9, "email-src", "phisher@evil.example", category="Payload delivery"),
            attr(10, "ja3-fingerprint-md5", "c" * 32),
            attr(11, "md5", EICAR_MD5, category="Payload delivery"),
            attr(12, "text", "Locky", category="Other"),
            attr(13, "url", "http://benign.example/", to_ids=False),
            attr(14, "ip-dst", "192.0.2.99", deleted=True),
            attr(15, "ip-dst", "not-an-address"),
            attr(16, "sha512", "d" * 128, category="Payload delivery", to_ids="1"),
            attr(17, "ip-dst", "2001:db8::1"),
            attr(18, "ip-dst", "192.0.2.0/24"),
            attr(19, "AS", "AS64496"),
        ],
        "Object": [{
            "name": "file", "uuid": "7b000000-0000-4000-8000-000000000001",
            "Attribute": [
                attr(20, "md5", "e" * 32, object_relation="md5", category="Payload delivery"),
                attr(21, "filename", "dropper.exe", object_relation="filename"),
            ]}, {
            "name": "ja4-plus", "uuid": "7b000000-0000-4000-8000-000000000002",
            "Attribute": [attr(22, "text", "t13d1516h2_8daaf6152771_b0da82dd1658",
                               object_relation="ja4-fingerprint")]}, {
            "name": "file", "uuid": "7b000000-0000-4000-8000-000000000003", "deleted": True,
            "Attribute": [attr(23, "md5", "f" * 32, object_relation="md5")]}],
    }}


# uuid tail -> (fate, ermes type(s), tlp) for rich_event()
EXPECTED = {
    1: ("indicator", ["ipv4"], "GREEN"),
    2: ("indicator", ["ipv4"], "RED"),
    3: ("indicator", ["domain"], "CLEAR"),
    4: ("indicator", ["domain"], "AMBER+STRICT"),
    5: ("indicator", ["domain", "ipv4"], "GREEN"),
    6: ("indicator", ["url"], "GREEN"),
    7: ("indicator", ["sha256"], "AMBER"),
    8: ("indicator", ["sha1"], "GREEN"),
    9: ("indicator", ["email"], "GREEN"),
    10: ("indicator", ["ja3"], "GREEN"),
    11: ("suppressed", [], None),
    12: ("skipped", [], None),
    13: ("skipped", [], None),
    14: ("skipped", [], None),
    15: ("invalid", [], None),
    16: ("indicator", ["sha512"], "GREEN"),
    17: ("indicator", ["ipv6"], "GREEN"),
    18: ("indicator", ["cidr"], "GREEN"),
    19: ("skipped", [], None),
    20: ("indicator", ["md5"], "GREEN"),
    21: ("skipped", [], None),
    22: ("indicator", ["ja4"], "GREEN"),
    23: ("skipped", [], None),
}


def tail(uuid):
    return int(uuid.rsplit("-", 1)[1])


def indicators(e, token=None):
    kw = {} if token is None else {"token": token}
    return {(i["type"], i["value"]): i for i in e.list_all("/api/v1/indicators", **kw)}


def check_misp_format(tc, events):
    """The checks of MISP's documented event format that MISP's own import makes."""
    tc.assertIsInstance(events, list)
    for wrapped in events:
        tc.assertEqual(list(wrapped), ["Event"])
        ev = wrapped["Event"]
        tc.assertRegex(ev["uuid"], UUID_RE)
        tc.assertIsInstance(ev["info"], str)
        tc.assertTrue(ev["info"])
        tc.assertRegex(ev["date"], r"^\d{4}-\d{2}-\d{2}$")
        tc.assertIn(ev["threat_level_id"], {"1", "2", "3", "4"})
        tc.assertIn(ev["analysis"], {"0", "1", "2"})
        tc.assertIn(ev["distribution"], {"0", "1", "2", "3"})  # no sharing group: not 4
        tc.assertRegex(ev["timestamp"], r"^\d+$")
        tc.assertRegex(ev["publish_timestamp"], r"^\d+$")
        tc.assertIsInstance(ev["published"], bool)
        tc.assertRegex(ev["Orgc"]["uuid"], UUID_RE)
        tc.assertTrue(ev["Attribute"] or ev["Object"])
        attrs = list(ev["Attribute"])
        in_objects = []
        for o in ev["Object"]:
            tc.assertRegex(o["uuid"], UUID_RE)
            tc.assertTrue(o["name"])
            tc.assertIn("meta-category", o)
            for a in o["Attribute"]:
                tc.assertTrue(a["object_relation"])
                if o["name"] == "ja4-plus":
                    tc.assertEqual(a["object_relation"], "ja4-fingerprint")
            in_objects += o["Attribute"]
        for a in attrs + in_objects:
            tc.assertRegex(a["uuid"], UUID_RE)
            tc.assertEqual(a["uuid"][14], "5")  # UUIDv5: deterministic
            tc.assertIn(a["type"], CATEGORIES)
            tc.assertIn(a["category"], CATEGORIES[a["type"]], a)
            # An object's attributes that are no indicators (a file's name, a port) are
            # exported as MISP has them: not for detection.
            tc.assertIs(a["to_ids"], a in attrs or a["type"] not in OBJECT_ONLY_TYPES, a)
            tc.assertIn(a["distribution"], {"0", "1", "2", "3", "5"})
            tc.assertRegex(a["timestamp"], r"^\d+$")
            tc.assertIsInstance(a["value"], str)
            tlps = [t["name"] for t in a["Tag"] if t["name"].startswith("tlp:")]
            tc.assertEqual(len(tlps), 1, a)
            tc.assertIn(tlps[0], TLP_TAGS)
            for k in ("first_seen", "last_seen"):
                if k in a:
                    tc.assertRegex(a[k], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")


class Import(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        cls.e.ok("POST", "/api/v1/organisations",
                 {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                 expect=201)
        _, cls.acme_tok = cls.e.user_token("acme-user", "constituent", org="acme")
        cls.report = cls.e.ok("POST", "/api/v1/misp/events", rich_event(), expect=200)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_every_attribute_has_its_fate(self):
        r = self.report
        self.assertEqual(r["events"], 1)
        self.assertEqual(r["event_uuids"], [EV_UUID])
        fates = {tail(a["uuid"]): a for a in r["attributes"]}
        self.assertEqual(set(fates), set(EXPECTED))
        for t, (fate, types, _) in EXPECTED.items():
            with self.subTest(attribute=t):
                a = fates[t]
                self.assertEqual(a["fate"], fate, a)
                self.assertEqual(a["event_uuid"], EV_UUID)
                if fate == "indicator":
                    self.assertEqual(len(a["indicator_ids"]), len(types))
                else:
                    self.assertTrue(a["reason"])
        self.assertIn("to_ids is false", fates[13]["reason"])
        self.assertIn("deleted", fates[14]["reason"])
        self.assertIn("type text", fates[12]["reason"])
        self.assertIn("type AS", fates[19]["reason"])
        self.assertIn("object is deleted", fates[23]["reason"])
        self.assertIn("EICAR", fates[11]["warninglist"])
        self.assertEqual(r["indicators"], 15)
        self.assertEqual(r["skipped"], 6)
        self.assertEqual(r["invalid"], 1)
        self.assertEqual(r["suppressed"], 1)
        self.assertEqual(r["added"], 16)  # domain|ip gives two

    def test_tlp_tags_source_validity(self):
        have = indicators(self.e)
        by_id = {i["id"]: i for i in have.values()}
        fates = {tail(a["uuid"]): a for a in self.report["attributes"]}
        for t, (fate, types, tlp) in EXPECTED.items():
            if fate != "indicator":
                continue
            with self.subTest(attribute=t):
                for ind_id, typ in zip(fates[t]["indicator_ids"], types):
                    ind = by_id[ind_id]
                    self.assertEqual(ind["type"], typ)
                    self.assertEqual(ind["tlp"], tlp)
                    self.assertEqual(ind["source"], "misp:" + EV_UUID)
                    self.assertIn("misp-galaxy:threat-actor=\"Sofacy\"", ind["tags"])
                    self.assertNotIn("tlp:green", [x.lower() for x in ind["tags"]])
        self.assertIn("kill-chain:delivery", have[("sha256", "a" * 64)]["tags"])
        self.assertTrue(have[("domain", "c2.example")]["exact"])
        self.assertFalse(have[("domain", "evil.example")]["exact"])
        url = have[("url", "http://evil.example/drop/x.exe")]
        self.assertEqual(url["valid_from"], "2026-11-01T00:00:00.000Z")
        self.assertEqual(url["valid_until"], "2027-01-01T00:00:00.000Z")
        self.assertNotIn(("md5", EICAR_MD5), have)
        self.assertNotIn(("ipv4", "192.0.2.99"), have)

    def test_reimport_updates(self):
        before = indicators(self.e)
        r = self.e.ok("POST", "/api/v1/misp/events", rich_event(), expect=200)
        self.assertEqual(r["added"], 0)
        self.assertEqual(r["updated"], 16)
        self.assertEqual(set(indicators(self.e)), set(before))

    def test_distribution_gives_the_default_tlp(self):
        for dist, tlp in (("0", "RED"), ("1", "AMBER"), ("2", "GREEN"), ("3", "CLEAR"),
                          ("4", "AMBER")):
            ev = {"Event": {"uuid": "5f1d8c2e-0000-4000-8000-00000000000%s" % dist,
                            "info": "dist", "distribution": dist,
                            "Attribute": [attr(100 + int(dist), "domain",
                                               "dist%s.example" % dist)]}}
            r = self.e.ok("POST", "/api/v1/misp/events", ev, expect=200)
            ind_id = r["attributes"][0]["indicator_ids"][0]
            self.assertEqual(self.e.ok("GET", "/api/v1/indicators/%d" % ind_id)["tlp"], tlp)
        # The attribute's own distribution wins over the event's; 5 inherits.
        ev = {"Event": {"uuid": "5f1d8c2e-0000-4000-8000-000000000010", "info": "d",
                        "distribution": "3",
                        "Attribute": [attr(110, "domain", "d10.example", distribution="0"),
                                      attr(111, "domain", "d11.example")]}}
        r = self.e.ok("POST", "/api/v1/misp/events", ev, expect=200)
        tlps = [self.e.ok("GET", "/api/v1/indicators/%d" % a["indicator_ids"][0])["tlp"]
                for a in r["attributes"]]
        self.assertEqual(tlps, ["RED", "CLEAR"])

    def test_shared_sample_event(self):
        # The intelmq MISP samples: a bare event and a bare attribute list; both attributes
        # are skipped, each with its reason (to_ids false; text is no indicator).
        rc, out, err = self.e.cli("misp", "import", SAMPLE, "--json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertEqual(r["events"], 1)
        self.assertEqual(r["event_uuids"], ["5758ebf5-c898-48e6-9fe9-5665c0a83866"])
        fates = {a["uuid"]: (a["fate"], a["reason"]) for a in r["attributes"]}
        self.assertEqual(fates["575c8598-f1f0-4c16-a94a-0612c0a83866"][0], "skipped")
        self.assertIn("to_ids is false", fates["575c8598-f1f0-4c16-a94a-0612c0a83866"][1])
        self.assertIn("type text", fates["575c8549-9010-4555-8b37-057ac0a83866"][1])
        # A lone attribute is not an event: refused, saying so.
        rc, out, err = self.e.cli("misp", "import", SAMPLE_ATTRIBUTE)
        self.assertEqual(rc, 1)
        self.assertIn("not a MISP event", err)
        # Human-readable: every attribute that is not an indicator named with its uuid.
        rc, out, err = self.e.cli("misp", "import", SAMPLE)
        self.assertEqual(rc, 0, err)
        self.assertIn("attribute 575c8598-f1f0-4c16-a94a-0612c0a83866 (url", out)
        self.assertIn("1 events, 0 indicators", out)

    def test_bad_input(self):
        st, _, b = self.e.request("POST", "/api/v1/misp/events", b"{not json")
        self.assertEqual(st, 400)
        self.assertIn("not JSON", b["error"]["message"])
        st, _, b = self.e.request("POST", "/api/v1/misp/events", {"hello": "world"})
        self.assertEqual(st, 400)
        self.assertIn("not a MISP event", b["error"]["message"])
        st, _, b = self.e.request("POST", "/api/v1/misp/events", b"[" * 100 + b"]" * 100)
        self.assertEqual(st, 400)
        # A list with one good event, one that is not an event, one bad attribute.
        good = {"Event": {"uuid": "5f1d8c2e-0000-4000-8000-0000000000b1", "info": "ok",
                          "Attribute": [attr(201, "domain", "ok.example"),
                                        attr(202, "md5", "xyz"),
                                        {"uuid": "6a000000-0000-4000-8000-000000000203",
                                         "type": "domain"}]}}
        r = self.e.ok("POST", "/api/v1/misp/events", [good, {"Event": {"info": "no uuid"}}, 7],
                      expect=200)
        self.assertEqual(r["events"], 1)
        self.assertEqual([x["index"] for x in r["event_errors"]], [1, 2])
        fates = {tail(a["uuid"]): a for a in r["attributes"]}
        self.assertEqual(fates[201]["fate"], "indicator")
        self.assertEqual(fates[202]["fate"], "invalid")
        self.assertIn("hexadecimal", fates[202]["reason"])
        self.assertEqual(fates[203]["fate"], "invalid")
        self.assertIn(("domain", "ok.example"), indicators(self.e))
        # Only staff may import.
        st, _, _ = self.e.request("POST", "/api/v1/misp/events", good, token=self.acme_tok)
        self.assertEqual(st, 403)
        st, _, b = self.e.request("POST", "/api/v1/misp/events?force=maybe", good)
        self.assertEqual(st, 400)
        self.assertEqual(b["error"]["field"], "force")

    def test_force_stores_what_a_warninglist_covers(self):
        ev = {"Event": {"uuid": "5f1d8c2e-0000-4000-8000-0000000000f1", "info": "force",
                        "Attribute": [attr(301, "md5", EICAR_MD5)]}}
        r = self.e.ok("POST", "/api/v1/misp/events?force=true", ev, expect=200)
        self.assertEqual(r["attributes"][0]["fate"], "indicator")
        self.assertIn(("md5", EICAR_MD5), indicators(self.e))
        self.e.ok("DELETE", "/api/v1/indicators/%d" % r["attributes"][0]["indicator_ids"][0],
                  expect=204)

    def test_export_format_visibility_and_determinism(self):
        evs = self.e.ok("GET", "/api/v1/misp/events?source=misp:" + EV_UUID, expect=200)
        check_misp_format(self, evs)
        self.assertEqual(len(evs), 1)
        ev = evs[0]["Event"]
        self.assertEqual(ev["uuid"], EV_UUID)  # an event from MISP keeps its uuid
        values = {(a["type"], a["value"]) for a in ev["Attribute"]}
        self.assertIn(("hostname", "c2.example"), values)
        self.assertIn(("domain", "evil.example"), values)
        self.assertIn(("ip-dst", "192.0.2.0/24"), values)
        self.assertIn(("email-src", "phisher@evil.example"), values)
        objs = {o["name"]: o for o in ev["Object"]}
        self.assertEqual(objs["ja4-plus"]["Attribute"][0]["value"],
                         "t13d1516h2_8daaf6152771_b0da82dd1658")
        # The file object comes back whole: its md5 (an indicator) and its filename (not).
        self.assertEqual(objs["file"]["uuid"], "7b000000-0000-4000-8000-000000000001")
        self.assertEqual({(a["object_relation"], a["value"]) for a in objs["file"]["Attribute"]},
                         {("md5", "e" * 32), ("filename", "dropper.exe")})
        tags = {a["value"]: {t["name"] for t in a["Tag"]} for a in ev["Attribute"]}
        self.assertIn("tlp:red", tags["198.51.100.7"])
        self.assertIn("tlp:clear", tags["evil.example"])
        self.assertIn("tlp:amber+strict", tags["c2.example"])
        self.assertIn("misp-galaxy:threat-actor=\"Sofacy\"", tags["192.0.2.10"])
        # The same export twice is the same document.
        self.assertEqual(evs, self.e.ok("GET", "/api/v1/misp/events?source=misp:" + EV_UUID))
        # The CLI writes the same.
        rc, out, err = self.e.cli("misp", "export", "--source", "misp:" + EV_UUID)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), evs)
        # A constituent sees what the indicators API shows it: no AMBER, no RED.
        mine = self.e.ok("GET", "/api/v1/misp/events?source=misp:" + EV_UUID,
                         token=self.acme_tok)
        check_misp_format(self, mine)
        seen = {t["name"] for a in mine[0]["Event"]["Attribute"] for t in a["Tag"]
                if t["name"].startswith("tlp:")}
        self.assertEqual(seen, {"tlp:clear", "tlp:green"})
        visible = {(i["type"], i["value"]) for i in indicators(self.e, token=self.acme_tok).values()
                   if i["source"] == "misp:" + EV_UUID}
        self.assertEqual(len(visible), len(mine[0]["Event"]["Attribute"]) +
                         len(mine[0]["Event"]["Object"]))
        st, _, b = self.e.request("GET", "/api/v1/misp/events?type=nonsense")
        self.assertEqual(st, 400)
        self.assertEqual(b["error"]["field"], "type")

    def test_round_trip(self):
        exported = self.e.ok("GET", "/api/v1/misp/events", expect=200)
        check_misp_format(self, exported)
        mine = {k: v for k, v in indicators(self.e).items()}
        with Ermes() as other:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump(exported, f)
            try:
                rc, out, err = other.cli("misp", "import", f.name, "--force", "--json")
            finally:
                os.unlink(f.name)
            self.assertEqual(rc, 0, err)
            r = json.loads(out)
            # Skipped: only the objects' attributes that are no indicators (kept with them).
            self.assertEqual(r["invalid"] + r["suppressed"], 0)
            self.assertEqual(r["skipped"], sum(
                1 for e in exported for o in e["Event"]["Object"] for a in o["Attribute"]
                if a["type"] in OBJECT_ONLY_TYPES))
            theirs = indicators(other)
            self.assertEqual(set(theirs), set(mine))
            for k, a in mine.items():
                b = theirs[k]
                for field in ("exact", "tlp", "valid_from", "valid_until"):
                    self.assertEqual(a[field], b[field], (k, field))
                self.assertEqual(sorted(a["tags"]), sorted(b["tags"]), k)
                if a["source"].startswith("misp:"):
                    self.assertEqual(a["source"], b["source"])
            # And out again: the same events, uuid for uuid.
            again = other.ok("GET", "/api/v1/misp/events", expect=200)
            self.assertEqual([e["Event"]["uuid"] for e in again],
                             [e["Event"]["uuid"] for e in exported])
            for x, y in zip(again, exported):
                self.assertEqual(sorted(a["uuid"] for a in x["Event"]["Attribute"]),
                                 sorted(a["uuid"] for a in y["Event"]["Attribute"]))


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Quiet.requests.append(self.path)
        return super().do_GET()


class Feed(unittest.TestCase):
    """A MISP feed (CIRCL OSINT layout) served by python's http.server on loopback."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(start=False)
        cls.root = tempfile.mkdtemp(prefix="ermes-misp-feed-")
        cls.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(_Quiet, directory=cls.root))
        cls.thread = threading.Thread(target=cls.httpd.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = "http://127.0.0.1:%d/feed/" % cls.httpd.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()
        shutil.rmtree(cls.root, ignore_errors=True)
        cls.e.close()

    def write_feed(self, events, extra_manifest=None):
        d = os.path.join(self.root, "feed")
        os.makedirs(d, exist_ok=True)
        manifest = {}
        for ev in events:
            e = ev["Event"]
            with open(os.path.join(d, e["uuid"] + ".json"), "w") as f:
                json.dump(ev, f)
            manifest[e["uuid"]] = {"info": e["info"], "timestamp": e["timestamp"],
                                   "date": "2026-11-30", "analysis": 2, "threat_level_id": 3,
                                   "Orgc": {"name": "CIRCL",
                                            "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
                                   "Tag": [{"name": "tlp:white", "colour": "#ffffff"}]}
        manifest.update(extra_manifest or {})
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        return d

    def feed_events(self, n=3, ts="1764460800", name="feed"):
        out = []
        for k in range(n):
            out.append({"Event": {
                "uuid": "5f1d8c2e-feed-4000-8000-%012d" % k, "info": "feed event %d" % k,
                "timestamp": ts, "distribution": "3", "Tag": [{"name": "tlp:white"}],
                "Attribute": [attr(400 + 10 * k, "domain", "%s%d.example" % (name, k)),
                              attr(401 + 10 * k, "text", "note %d" % k)]}})
        return out

    def test_feed_over_http_twice_then_changed(self):
        events = self.feed_events()
        self.write_feed(events, {"5f1d8c2e-feed-4000-8000-00000000dead": {"timestamp": "1"}})
        rc, out, err = self.e.cli("misp", "import-feed", self.url, "--json")
        r = json.loads(out)
        self.assertEqual(rc, 1, err)  # the missing event file fails, and says so
        self.assertEqual(r["manifest_events"], 4)
        self.assertEqual(r["imported"], 3)
        self.assertEqual(r["added"], 3)
        self.assertEqual(r["skipped"], 3)
        self.assertEqual([f["uuid"] for f in r["failed"]],
                         ["5f1d8c2e-feed-4000-8000-00000000dead"])
        self.assertIn("404", r["failed"][0]["reason"])
        # Again: nothing new is fetched but the manifest (and the missing file, again).
        _Quiet.requests.clear()
        rc, out, err = self.e.cli("misp", "import-feed", self.url, "--json")
        r = json.loads(out)
        self.assertEqual((r["imported"], r["unchanged"], r["added"], r["updated"]), (0, 3, 0, 0))
        self.assertEqual(sorted(_Quiet.requests),
                         ["/feed/5f1d8c2e-feed-4000-8000-00000000dead.json",
                          "/feed/manifest.json"])
        # One event changes: only it is taken again.
        events[1]["Event"]["timestamp"] = "1764547200"
        events[1]["Event"]["Attribute"].append(attr(499, "url", "http://feed1.example/x"))
        self.write_feed(events)
        rc, out, err = self.e.cli("misp", "import-feed", self.url)
        self.assertEqual(rc, 0, err)
        self.assertIn("3 events in the manifest, 1 imported, 2 unchanged", out)
        self.assertIn("1 indicators added, 1 updated", out)
        self.e.start()
        try:
            have = indicators(self.e)
        finally:
            self.e.stop()
        for k in range(3):
            ind = have[("domain", "feed%d.example" % k)]
            self.assertEqual(ind["tlp"], "CLEAR")
            self.assertEqual(ind["source"], "misp:5f1d8c2e-feed-4000-8000-%012d" % k)

    def test_feed_from_a_directory(self):
        d = tempfile.mkdtemp(prefix="ermes-misp-dir-")
        try:
            events = self.feed_events(2, ts="1700000000", name="dir")
            for ev in events:
                ev["Event"]["uuid"] = ev["Event"]["uuid"].replace("feed", "d1d1")
            src = self.write_feed(events)
            shutil.copytree(src, os.path.join(d, "f"))
            rc, out, err = self.e.cli("misp", "import-feed", os.path.join(d, "f"), "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["imported"], 2)
            rc, out, err = self.e.cli("misp", "import-feed", os.path.join(d, "f"), "--json")
            self.assertEqual(json.loads(out)["imported"], 0)
            rc, out, err = self.e.cli("misp", "import-feed", os.path.join(d, "nothing"))
            self.assertEqual(rc, 1)
            self.assertIn("manifest.json", err)
        finally:
            shutil.rmtree(d, ignore_errors=True)


OBJ_EV = "5f1d8c2e-0b1e-4c75-8000-00000000ab01"


def objects_event():
    """An event of several MISP objects, written for this test from the fields the MISP object
    templates (MISP/misp-objects objects/*/definition.json: file, domain-ip, ip-port, url,
    email) document for them: each relation with its MISP type. The template uuids are those
    templates' as we know them; nothing here depends on their being exact."""
    def oattr(tail, rel, type_, value, to_ids=True):
        return attr(tail, type_, value, to_ids=to_ids, object_relation=rel,
                    category="Other" if type_ == "size-in-bytes" else "Payload delivery")
    return {"Event": {
        "uuid": OBJ_EV, "info": "objects", "date": "2026-12-01", "threat_level_id": "2",
        "analysis": "2", "distribution": "3", "published": True, "timestamp": "1764547200",
        "Tag": [{"name": "tlp:green"}],
        "Attribute": [attr(600, "domain", "plain-attr.example")],
        "Object": [
            {"name": "file", "meta-category": "file", "uuid": "7b100000-0000-4000-8000-000000000001",
             "template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215", "template_version": "25",
             "comment": "dropped by the loader, seen twice", "Attribute": [
                 oattr(601, "md5", "md5", "1" * 32), oattr(602, "sha1", "sha1", "2" * 40),
                 oattr(603, "sha256", "sha256", "3" * 64),
                 oattr(604, "sha512", "sha512", "4" * 128),
                 oattr(605, "filename", "filename", "loader.dll", to_ids=False),
                 oattr(606, "size-in-bytes", "size-in-bytes", "73802", to_ids=False)]},
            {"name": "domain-ip", "meta-category": "network",
             "uuid": "7b100000-0000-4000-8000-000000000002",
             "template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "template_version": "11",
             "Attribute": [oattr(611, "domain", "domain", "c2-objects.example"),
                           oattr(612, "ip", "ip-dst", "198.51.100.44")]},
            {"name": "ip-port", "meta-category": "network",
             "uuid": "7b100000-0000-4000-8000-000000000003",
             "template_uuid": "9f8cea74-16fe-4968-a2b4-026676949ac6", "template_version": "9",
             "Attribute": [oattr(621, "ip", "ip-src", "203.0.113.77"),
                           oattr(622, "dst-port", "port", "8443", to_ids=False),
                           oattr(623, "src-port", "port", "51000", to_ids=False)]},
            {"name": "url", "meta-category": "network",
             "uuid": "7b100000-0000-4000-8000-000000000004",
             "template_uuid": "60efb77b-40b5-4c46-871b-ed1ed999fce5", "template_version": "9",
             "Attribute": [oattr(631, "url", "url", "https://drop-objects.example/a/b.php"),
                           oattr(632, "host", "hostname", "drop-objects.example")]},
            {"name": "email", "meta-category": "network",
             "uuid": "7b100000-0000-4000-8000-000000000005",
             "template_uuid": "a0c666e0-fc65-4be8-b48f-3423d788b552", "template_version": "18",
             "Attribute": [oattr(641, "from", "email-src", "boss@phish-objects.example"),
                           oattr(642, "to", "email-dst", "victim@victim-objects.example"),
                           oattr(643, "subject", "email-subject", "Invoice 2026/12",
                                 to_ids=False)]},
        ]}}


def untimed(j):
    """j without its timestamps (an update moves them)."""
    if isinstance(j, dict):
        return {k: untimed(v) for k, v in j.items() if k not in ("timestamp", "publish_timestamp")}
    if isinstance(j, list):
        return [untimed(v) for v in j]
    return j


def object_shape(o):
    """What must survive a round trip: the object's identity and its relations."""
    return (o["uuid"], o["name"], o.get("meta-category"), o.get("comment", ""),
            o.get("template_uuid"),
            sorted((a["object_relation"], a["type"], a["value"]) for a in o["Attribute"]))


class Objects(unittest.TestCase):
    """MISP objects (file, domain-ip, ip-port, url, email) in, out, and through a feed into a
    second ermes, each the same object: uuid, name, meta-category, comment, relations."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        cls.b = None
        try:
            cls.report = cls.e.ok("POST", "/api/v1/misp/events", objects_event(), expect=200)
            cls.e.ok("POST", "/api/v1/sharing-groups",
                     {"name": "objects", "max_tlp": "GREEN", "readers": ["staff"],
                      "writers": ["staff"]}, expect=201)
            cls.user, cls.tok = cls.e.user_token("objfeed", "analyst")
            cls.b = Ermes()
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        if cls.b:
            cls.b.close()

    def want(self):
        return sorted(object_shape(o) for o in objects_event()["Event"]["Object"])

    def exported(self, e):
        evs = e.ok("GET", "/api/v1/misp/events?source=misp:" + OBJ_EV, expect=200)
        check_misp_format(self, evs)
        self.assertEqual(len(evs), 1)
        return evs[0]["Event"]

    def test_import_keeps_objects_and_export_gives_them_back(self):
        r = self.report
        self.assertEqual(r["invalid"] + r["suppressed"], 0, r)
        self.assertEqual(r["indicators"], 12)  # 1 attribute + 4 + 2 + 1 + 2 + 2 of objects
        # The objects are kept in tables of their own: no indicator shows object bookkeeping
        # among its tags (test_misp_objects.py looks at the tables).
        for i in indicators(self.e).values():
            self.assertFalse([t for t in i["tags"] if t.startswith("misp-object")], i)
        ev = self.exported(self.e)
        self.assertEqual([a["value"] for a in ev["Attribute"]], ["plain-attr.example"])
        self.assertEqual(sorted(object_shape(o) for o in ev["Object"]), self.want())
        # No misp-object bookkeeping among the attributes' tags.
        for o in ev["Object"]:
            for a in o["Attribute"]:
                self.assertFalse([t for t in a["Tag"] if t["name"].startswith("misp-object")])
        # Exporting again gives the same document; importing it again changes nothing.
        self.assertEqual(self.exported(self.e), ev)
        self.e.ok("POST", "/api/v1/misp/events", [{"Event": ev}], expect=200)
        self.assertEqual(untimed(self.exported(self.e)), untimed(ev))  # updated: newer times

    def test_stix_export_reports_each_object(self):
        """Each of an object's indicators stays a STIX indicator of its own; a report per
        object names them. The bundle validates (ajv, the OASIS STIX 2.1 schemas)."""
        from test_stix import validate
        b = self.e.ok("GET", "/api/v1/stix", expect=200)
        b = b if isinstance(b, dict) else json.loads(b)
        v = validate(self, b)
        self.assertTrue(v["valid"], json.dumps(v["errors"])[:3000])
        by_id = {o["id"]: o for o in b["objects"]}
        groups = {}
        for o in b["objects"]:
            if o["type"] == "report" and o["name"].startswith("MISP object "):
                groups[o["name"].rsplit(" ", 1)[1]] = o
        self.assertEqual(sorted(groups), sorted(
            o["uuid"] for o in objects_event()["Event"]["Object"]))
        f = groups["7b100000-0000-4000-8000-000000000001"]
        self.assertEqual(f["name"], "MISP object file 7b100000-0000-4000-8000-000000000001")
        self.assertEqual(f["report_types"], ["indicator"])
        self.assertEqual(f["labels"], ["misp-object-meta:7b100000-0000-4000-8000-000000000001:"
                                       "file:file:688c46fb-5edb-40a3-8273-1af7923e2215:25"])
        patterns = sorted(by_id[r]["pattern"] for r in f["object_refs"])
        self.assertEqual(patterns, sorted([
            "[file:hashes.MD5 = '%s']" % ("1" * 32),
            "[file:hashes.'SHA-1' = '%s']" % ("2" * 40),
            "[file:hashes.'SHA-256' = '%s']" % ("3" * 64),
            "[file:hashes.'SHA-512' = '%s']" % ("4" * 128)]))
        self.assertEqual(len(groups["7b100000-0000-4000-8000-000000000002"]["object_refs"]), 2)
        # The same reports again (nothing changed: the same versions).
        again = self.e.ok("GET", "/api/v1/stix", expect=200)
        again = again if isinstance(again, dict) else json.loads(again)
        self.assertEqual(sorted(json.dumps(o, sort_keys=True) for o in again["objects"]
                                if o["type"] == "report"),
                         sorted(json.dumps(o, sort_keys=True) for o in b["objects"]
                                if o["type"] == "report"))

    def test_second_ermes_through_the_feed(self):
        url = "http://%s:%s@127.0.0.1:%d/feeds/misp/objects/" % (self.user["name"], self.tok,
                                                                 self.e.port)
        rc, out, err = self.b.cli("misp", "import-feed", url)
        self.assertEqual(rc, 0, out + err)
        mine = {k: (i["tlp"], i["exact"]) for k, i in indicators(self.e).items()}
        theirs = {k: (i["tlp"], i["exact"]) for k, i in indicators(self.b).items()}
        self.assertEqual(theirs, mine)
        self.assertEqual(sorted(object_shape(o) for o in self.exported(self.b)["Object"]),
                         self.want())


if __name__ == "__main__":
    main()
