"""STIX 2.1 in and out of the real daemon: every bundle of ../shared/conformance/stix imports
and re-exports without losing a property (compared property by property, custom ones too),
every export validates against the OASIS STIX 2.1 JSON schemas with ajv (and the TLP 2.0
extension's schema), malformed objects are refused one by one with their id and reason while
the rest of their bundle is kept, versions are kept as STIX wants, ermes's own objects keep
their ids from one export to the next, and the TLP policy decides who sees what."""
import copy
import glob
import json
import os
import subprocess
import tempfile
import unittest
import uuid

from ermeslib import Ermes, main

SRC = os.environ.get("ERMES_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.join(SRC, "..", "shared", "conformance", "stix")
SCHEMAS = os.path.join(SHARED, "schemas")
TLP2_SCHEMA = os.path.join(SRC, "tests", "data", "stix", "tlp2-extension.schema.json")
VALIDATOR = os.path.join(SRC, "tests", "integration", "stix_validate.mjs")

BUNDLES = sorted(glob.glob(os.path.join(SHARED, "examples", "*.json")) +
                 glob.glob(os.path.join(SHARED, "examples", "threat-reports", "*.json")))

TLP2 = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"


def objects_of(path):
    with open(path) as f:
        doc = json.load(f)
    return doc["objects"] if isinstance(doc, dict) and "objects" in doc else [doc]


def validate(tc, bundle):
    """Runs the ajv validator on bundle; fails tc with its errors unless valid."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(bundle, f)
        path = f.name
    try:
        p = subprocess.run(["node", VALIDATOR, SCHEMAS, TLP2_SCHEMA, path],
                           capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(path)
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    tc.assertEqual(len(lines), 1, p.stderr[-2000:])
    return lines[0]


def indicator(uid, pattern, modified="2024-01-01T00:00:00.000Z", tlp=None, **extra):
    o = {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + uid,
         "created": "2024-01-01T00:00:00.000Z", "modified": modified,
         "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
    if tlp:
        o["object_marking_refs"] = [tlp]
    o.update(extra)
    return o


def bundle(*objs):
    return {"type": "bundle", "id": "bundle--6b1e0a6f-0b0e-4e2c-9f5f-3e4b1a2c3d4e",
            "objects": list(objs)}


class Stix(unittest.TestCase):
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

    def post(self, body, token=None, expect=200):
        kw = {} if token is None else {"token": token}
        return self.e.ok("POST", "/api/v1/stix", body, expect=expect, **kw)

    def export(self, query="", token=None):
        kw = {} if token is None else {"token": token}
        status, h, b = self.e.request("GET", "/api/v1/stix" + query, **kw)
        self.assertEqual(status, 200, b)
        self.assertTrue(h["content-type"].startswith("application/stix+json"))
        return b if isinstance(b, dict) else json.loads(b)

    def test_validator_is_not_vacuous(self):
        """The validator refuses what the schemas refuse, so its yes means something."""
        bad = bundle(indicator("0a0a0a0a-0000-4000-8000-000000000001", "[x:y = 'z']",
                               pattern_type=None))
        self.assertFalse(validate(self, bad)["valid"])
        md = {"type": "marking-definition", "spec_version": "2.1", "id": TLP2["RED"],
              "created": "2022-10-01T00:00:00.000Z", "name": "TLP:RED",
              "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d":
                             {"extension_type": "property-extension", "tlp_2_0": "green"}}}
        self.assertFalse(validate(self, bundle(md))["valid"])  # the id of RED saying green

    def test_conformance_bundles_round_trip(self):
        self.assertGreaterEqual(len(BUNDLES), 8)
        imported = {}
        for path in BUNDLES:
            body = open(path, "rb").read()
            r = self.post(body)
            n = len(objects_of(path))
            self.assertEqual(r["failed"], 0, (path, r["failures"]))
            self.assertEqual(r["total"], n)
            self.assertEqual(r["stored"] + r["duplicates"], n)
            for o in objects_of(path):
                imported[(o["id"], o.get("modified", o.get("created")))] = o
        self.assertGreater(len(imported), 250)
        out = self.export("?version=all")
        v = validate(self, out)
        self.assertTrue(v["valid"], json.dumps(v["errors"])[:3000])
        exported = {}
        for o in out["objects"]:
            exported[(o["id"], o.get("modified", o.get("created")))] = o
        # Every object comes back with every property it had, custom ones included.
        for key, o in imported.items():
            self.assertIn(key, exported, "lost: %s" % (key,))
            got = exported[key]
            for prop, value in o.items():
                self.assertIn(prop, got, "%s lost %s" % (key[0], prop))
                self.assertEqual(got[prop], value, "%s changed %s" % (key[0], prop))
            self.assertEqual(set(got) - set(o), set(), "%s gained properties" % key[0])
        # Importing the same bundles again changes nothing.
        r = self.post(open(BUNDLES[-1], "rb").read())
        self.assertEqual(r["stored"], 0)
        again = self.export("?version=all")
        self.assertEqual(sorted(o["id"] for o in again["objects"]),
                         sorted(o["id"] for o in out["objects"]))
        # Indicators ermes can match went to detection with their names and descriptions.
        # (10.0.0.0 is in three of the bundles: the ermes indicator speaks for the last one.)
        inds = self.e.ok("GET", "/api/v1/indicators?value=10.0.0.0")["data"]
        self.assertEqual(len(inds), 1)
        said = {o["id"]: o for o in imported.values()
                if o["type"] == "indicator" and "'10.0.0.0'" in o["pattern"]}
        self.assertEqual(len(said), 3)
        self.assertIn(inds[0]["stix_id"], said)
        self.assertEqual(inds[0]["name"], said[inds[0]["stix_id"]]["name"])
        self.assertEqual(inds[0].get("description"),
                         said[inds[0]["stix_id"]].get("description"))

    def test_bad_objects_refused_one_by_one(self):
        good = indicator("1b1b1b1b-0000-4000-8000-000000000001",
                         "[domain-name:value = 'good-one.example']",
                         name="good", x_custom_field={"kept": [1, 2]})
        kept_whole = indicator("1b1b1b1b-0000-4000-8000-000000000002",
                               "[file:name = 'a.exe'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.9']")
        bad_pattern = indicator("1b1b1b1b-0000-4000-8000-000000000003",
                                "[domain-name:value = 'x'")
        bad_hash = indicator("1b1b1b1b-0000-4000-8000-000000000004",
                             "[file:hashes.'SHA-256' = 'f00']")
        bad_id = indicator("1b1b1b1b-0000-4000-8000-000000000005", "[url:value = 'http://x/']")
        bad_id["id"] = "malware--1b1b1b1b-0000-4000-8000-000000000005"
        bad_time = indicator("1b1b1b1b-0000-4000-8000-000000000006",
                             "[url:value = 'http://x/']", modified="yesterday")
        r = self.post(bundle(good, kept_whole, bad_pattern, bad_hash, bad_id, bad_time, 42))
        self.assertEqual(r["total"], 7)
        self.assertEqual(r["stored"], 2)
        self.assertEqual(r["failed"], 5)
        by_index = {f["index"]: f for f in r["failures"]}
        self.assertEqual(sorted(by_index), [2, 3, 4, 5, 6])
        self.assertEqual(by_index[2]["id"], bad_pattern["id"])
        self.assertIn("pattern", by_index[2]["reason"])
        self.assertIn("not a valid SHA-256 hash", by_index[3]["reason"])
        self.assertIn("id", by_index[4]["reason"])
        self.assertIn("modified", by_index[5]["reason"])
        self.assertIn("not a JSON object", by_index[6]["reason"])
        self.assertEqual([u["id"] for u in r["unsupported_patterns"]], [kept_whole["id"]])
        self.assertIn("FOLLOWEDBY", r["unsupported_patterns"][0]["reason"])
        out = self.export("?id=%s,%s" % (good["id"], kept_whole["id"]))
        got = {o["id"]: o for o in out["objects"] if o["type"] == "indicator"}
        self.assertEqual(got[good["id"]], good)
        self.assertEqual(got[kept_whole["id"]]["pattern"], kept_whole["pattern"])
        # Not JSON at all: 400 naming the reason.
        status, _, b = self.e.request("POST", "/api/v1/stix", b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("not JSON", b["error"]["message"])

    def test_versions(self):
        uid = "2c2c2c2c-0000-4000-8000-000000000001"
        v1 = indicator(uid, "[ipv4-addr:value = '192.0.2.77']", name="first")
        v2 = indicator(uid, "[ipv4-addr:value = '192.0.2.78']", name="second",
                       modified="2024-02-01T00:00:00.123456Z")
        self.post(bundle(v2))
        self.post(bundle(v1))  # an older version arriving later
        iid = "indicator--" + uid
        last = [o for o in self.export("?id=" + iid)["objects"] if o["id"] == iid]
        self.assertEqual([o["name"] for o in last], ["second"])
        first = [o for o in self.export("?id=%s&version=first" % iid)["objects"]
                 if o["id"] == iid]
        self.assertEqual([o["name"] for o in first], ["first"])
        every = [o for o in self.export("?id=%s&version=all" % iid)["objects"] if o["id"] == iid]
        self.assertEqual(sorted(o["name"] for o in every), ["first", "second"])
        one = [o for o in self.export("?id=%s&version=2024-02-01T00:00:00.123456Z" % iid)
               ["objects"] if o["id"] == iid]
        self.assertEqual([o["name"] for o in one], ["second"])
        # Only the newest version speaks for detection: the older one arriving later did not
        # bring 192.0.2.77 back.
        self.assertEqual(self.e.ok("GET", "/api/v1/indicators?value=192.0.2.77")["data"], [])
        self.assertEqual(len(self.e.ok("GET", "/api/v1/indicators?value=192.0.2.78")["data"]), 1)

    def test_one_page_many_indicators(self):
        """The indicators of one bundle are made together (one set per page): each keeps its
        own name, description, TLP and STIX id; a pattern with one value the engine refuses
        adds none of its values; of two versions in the same bundle the newer names it."""
        base = "7a7a7a7a-0000-4000-8000-0000000000%02d"
        objs = [indicator(base % k, "[ipv4-addr:value = '198.51.100.%d']" % k,
                          name="page %d" % k, description="said %d" % k,
                          tlp=TLP2["GREEN"] if k % 2 else TLP2["AMBER"])
                for k in range(1, 21)]
        mixed = indicator(base % 30, "[domain-name:value = 'mixed-ok.example'] OR "
                          "[ipv4-addr:value = '198.51.100.300']", name="mixed")
        v1 = indicator(base % 31, "[domain-name:value = 'two-versions.example']", name="older")
        v2 = indicator(base % 31, "[domain-name:value = 'two-versions.example']", name="newer",
                       modified="2024-03-01T00:00:00.000Z")
        r = self.post(bundle(*(objs[:10] + [mixed, v1] + objs[10:] + [v2])))
        self.assertEqual(r["failed"], 0, r["failures"])
        self.assertEqual(r["stored"], 23)
        self.assertEqual([u["id"] for u in r["unsupported_patterns"]], [mixed["id"]])
        for k in range(1, 21):
            got = self.e.ok("GET", "/api/v1/indicators?value=198.51.100.%d" % k)["data"]
            self.assertEqual(len(got), 1, k)
            self.assertEqual(got[0]["name"], "page %d" % k)
            self.assertEqual(got[0]["description"], "said %d" % k)
            self.assertEqual(got[0]["stix_id"], "indicator--" + base % k)
            self.assertEqual(got[0]["tlp"], "GREEN" if k % 2 else "AMBER")
        self.assertEqual(self.e.ok("GET", "/api/v1/indicators?value=mixed-ok.example")["data"],
                         [])
        two = self.e.ok("GET", "/api/v1/indicators?value=two-versions.example")["data"]
        self.assertEqual([i["name"] for i in two], ["newer"])

    def test_own_objects_keep_their_ids(self):
        ind = self.e.ok("POST", "/api/v1/indicators",
                        {"type": "domain", "value": "own-one.example", "tlp": "GREEN"},
                        expect=201)
        def mine(q=""):
            out = self.export("?type=indicator" + q)
            validate(self, out)
            return [o for o in out["objects"] if "own-one.example" in o.get("pattern", "")]
        a, b = mine(), mine()
        self.assertEqual(len(a), 1)
        self.assertEqual(a, b)
        self.assertEqual(a[0]["object_marking_refs"], [TLP2["GREEN"]])
        self.assertIn("LIKE '%.own-one.example'", a[0]["pattern"])
        self.e.ok("PATCH", "/api/v1/indicators/%d" % ind["id"], {"confidence": 90})
        c = mine("&version=all")
        self.assertEqual(len(c), 2)
        self.assertEqual({o["id"] for o in c}, {a[0]["id"]})
        self.assertEqual(sorted(o.get("confidence") for o in c if "confidence" in o), [90])
        # The CERT's identity is the same object each time too.
        ids = [o["id"] for o in self.export("?type=identity")["objects"]
               if o.get("x_ermes_short_name") == "acme"]
        self.assertEqual(len(ids), 1)
        self.assertEqual(ids, [o["id"] for o in self.export("?type=identity")["objects"]
                               if o.get("x_ermes_short_name") == "acme"])

    def test_tlp_policy(self):
        objs = {}
        for tlp, uid in [("CLEAR", "01"), ("GREEN", "02"), ("AMBER", "03"),
                         ("AMBER+STRICT", "04"), ("RED", "05")]:
            objs[tlp] = indicator("3d3d3d3d-0000-4000-8000-0000000000" + uid,
                                  "[ipv4-addr:value = '192.0.2.1%s']" % uid, tlp=TLP2[tlp])
        white = indicator("3d3d3d3d-0000-4000-8000-000000000006",
                          "[ipv4-addr:value = '192.0.2.106']", tlp=TLP1_WHITE)
        unmarked = indicator("3d3d3d3d-0000-4000-8000-000000000007",
                             "[ipv4-addr:value = '192.0.2.107']")
        self.post(bundle(white, unmarked, *objs.values()))
        ids = ",".join(o["id"] for o in list(objs.values()) + [white, unmarked])

        def seen(token):
            return {o["id"] for o in self.export("?id=" + ids, token=token)["objects"]
                    if o["type"] == "indicator"}

        staff = seen(None)
        self.assertEqual(staff, {o["id"] for o in list(objs.values()) + [white, unmarked]})
        acme = seen(self.acme_tok)
        # A constituent: CLEAR (TLP 1.0 WHITE read as CLEAR) and GREEN; nothing AMBER or RED,
        # and not the unmarked one either, which an import makes AMBER.
        self.assertEqual(acme, {objs["CLEAR"]["id"], objs["GREEN"]["id"], white["id"]})
        status, _, _ = self.e.request("GET", "/api/v1/stix", token=None)
        self.assertEqual(status, 401)
        # Importing is for the CERT's staff.
        mine = indicator("3d3d3d3d-0000-4000-8000-000000000008",
                         "[ipv4-addr:value = '192.0.2.108']", tlp=TLP2["RED"])
        status, _, _ = self.e.request("POST", "/api/v1/stix", bundle(mine), token=self.acme_tok)
        self.assertIn(status, (403, 404))
        # The TLP 2.0 marking definitions the export refers to come with it.
        out = self.export("?id=" + objs["RED"]["id"])
        self.assertIn(TLP2["RED"], [o["id"] for o in out["objects"]])
        self.assertTrue(validate(self, out)["valid"])

    def test_sightings_and_events(self):
        green = self.e.ok("POST", "/api/v1/indicators", {"value": "198.51.100.91", "tlp": "GREEN"},
                          expect=201)
        amber = self.e.ok("POST", "/api/v1/indicators", {"value": "198.51.100.92", "tlp": "AMBER"},
                          expect=201)
        log = "\n".join(json.dumps({"timestamp": "2024-07-01T00:00:00Z", "event_type": "flow",
                                    "src_ip": "10.20.3.3", "dest_ip": ip, "host": "s1"})
                        for ip in ("198.51.100.91", "198.51.100.92")) + "\n"
        r = self.e.ok("POST", "/api/v1/logs?format=eve&source=stix", log.encode(),
                      content_type="application/x-ndjson", expect=200)
        self.assertEqual(r["sightings"], 2, r)
        out = self.export("?type=sighting,indicator,identity")
        self.assertTrue(validate(self, out)["valid"])
        by_id = {o["id"]: o for o in out["objects"]}
        ind = {o["pattern"]: o["id"] for o in out["objects"] if o["type"] == "indicator"}
        sightings = {o["sighting_of_ref"]: o for o in out["objects"] if o["type"] == "sighting"}
        gs = sightings[ind["[ipv4-addr:value = '198.51.100.91']"]]
        as_ = sightings[ind["[ipv4-addr:value = '198.51.100.92']"]]
        self.assertEqual(gs["first_seen"], "2024-07-01T00:00:00.000Z")
        # Who was hit is named only in the AMBER sighting, which is acme's own.
        self.assertNotIn("where_sighted_refs", gs)
        self.assertEqual(by_id[as_["where_sighted_refs"][0]]["x_ermes_short_name"], "acme")
        self.assertEqual(as_["object_marking_refs"], [TLP2["AMBER"]])
        mine = self.export("?type=sighting", token=self.acme_tok)
        got = {o["id"] for o in mine["objects"] if o["type"] == "sighting"}
        self.assertIn(as_["id"], got)
        self.assertIn(gs["id"], got)
        # The same ids on the next export.
        again = self.export("?type=sighting")
        self.assertEqual({o["id"] for o in again["objects"] if o["type"] == "sighting"},
                         {o["id"] for o in sightings.values()})
        # Events: observed-data with SCOs whose ids are STIX's deterministic ones.
        csv = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo"\n'
               '"2026-01-01 02:07:16","10.20.5.5","tcp",5555,"h.acme.example","adb",64500,"NL"\n')
        s, _, rep = self.e.request("POST", "/api/v1/reports?feed=shadowserver&wait=true"
                                   "&file_name=2026-01-01-scan_adb-example-geo.csv", csv,
                                   content_type="text/csv")
        self.assertEqual(s, 201, rep)
        out = self.export("?type=none&events=10")
        self.assertTrue(validate(self, out)["valid"], out)
        od = [o for o in out["objects"] if o["type"] == "observed-data"]
        self.assertEqual(len(od), 1)
        sco = "ipv4-addr--" + str(uuid.uuid5(uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"),
                                            '{"value":"10.20.5.5"}'))
        self.assertIn(sco, od[0]["object_refs"])
        self.assertIn(sco, [o["id"] for o in out["objects"]])
        self.assertEqual(od[0]["first_observed"], "2026-01-01T02:07:16.000Z")
        self.assertEqual(od[0]["id"], [o for o in self.export("?type=none&events=10")["objects"]
                                       if o["type"] == "observed-data"][0]["id"])
        status, _, _ = self.e.request("GET", "/api/v1/stix?events=-1")
        self.assertEqual(status, 400)

    def test_cli(self):
        path = os.path.join(SHARED, "examples", "indicators-for-C2-with-COA.json")
        rc, stdout, stderr = self.e.cli("stix", "import", path, "--json")
        self.assertEqual(rc, 0, stderr)
        r = json.loads(stdout)
        self.assertEqual(r["failed"], 0)
        rc, stdout, stderr = self.e.cli("stix", "export", "--type", "course-of-action",
                                        "--max-tlp", "RED")
        self.assertEqual(rc, 0, stderr)
        doc = json.loads(stdout)
        want = [o for o in objects_of(path) if o["type"] == "course-of-action"]
        got = [o for o in doc["objects"] if o["type"] == "course-of-action"]
        for o in want:
            self.assertIn(o, got)
        self.assertTrue(validate(self, doc)["valid"])
        rc, _, stderr = self.e.cli("stix", "export", "--version", "sometimes")
        self.assertEqual(rc, 2)
        self.assertIn("match[version]", stderr)
        # --max-tlp caps what leaves, for staff too.
        rc, stdout, _ = self.e.cli("stix", "export", "--type", "course-of-action",
                                   "--max-tlp", "GREEN")
        self.assertEqual(rc, 0)
        self.assertEqual([o for o in json.loads(stdout)["objects"]
                          if o["type"] == "course-of-action"], [])


if __name__ == "__main__":
    main()
