"""The TAXII 2.1 server of the real daemon, driven by a TAXII client written here from the
specification (OASIS TAXII Version 2.1, sections 3 to 5), not by ermes's own code: the
requests of ../shared/conformance/taxii/example-collections.json answered with the same
content, every error status with the TAXII error resource, Basic and bearer authentication,
the TLP cap of a collection, and a walk of 10,000 objects page by page with each filter
finding every object exactly once, 1,000 of them added in the same millisecond."""
import base64
import json
import os
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

from ermeslib import Ermes, main

SRC = os.environ.get("ERMES_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE = os.path.join(SRC, "..", "shared", "conformance", "taxii", "example-collections.json")
TAXII = "application/taxii+json;version=2.1"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP2_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


class Client:
    """A TAXII 2.1 client: Accept on every request (section 1.6.8.1), HTTP Basic
    (section 1.6.8.5) or a bearer token, envelopes in and out."""

    def __init__(self, base, user=None, password=None, bearer=None):
        self.base = base
        self.auth = None
        if user is not None:
            self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        elif bearer is not None:
            self.auth = "Bearer " + bearer

    def request(self, method, url, params=None, body=None, accept=TAXII, content_type=TAXII):
        if not url.startswith("http"):
            url = self.base + url
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {}
        if accept is not None:
            headers["Accept"] = accept
        if self.auth:
            headers["Authorization"] = self.auth
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, h, payload = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, h, payload = e.code, e.headers, e.read()
        doc = json.loads(payload) if payload else None
        return status, h, doc

    def get(self, url, params=None, **kw):
        return self.request("GET", url, params, **kw)


def key(o):
    return (o["id"], o.get("modified", o.get("created", "")))


class Taxii(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        cls.base = "http://127.0.0.1:%d" % cls.e.port
        cls.admin = Client(cls.base, "admin", cls.e.token)
        cls.e.ok("POST", "/api/v1/organisations",
                 {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                 expect=201)
        _, cls.acme_tok = cls.e.user_token("acme-user", "constituent", org="acme")
        cls.acme = Client(cls.base, "acme-user", cls.acme_tok)
        with open(EXAMPLE) as f:
            cls.example = json.load(f)
        # The example's collections as sharing groups: can_read and can_write as listed, for
        # the CERT's staff.
        for c in cls.example["trustgroup1"]["collections"]:
            body = {"name": "tg1-" + c["id"][:8], "collection_id": c["id"], "title": c["title"],
                    "max_tlp": "RED",
                    "readers": ["staff"] if c["can_read"] else [],
                    "writers": ["staff"] if c["can_write"] else [],
                    "selection": {"media_types": c["media_types"]}}
            if "description" in c:
                body["description"] = c["description"]
            cls.e.ok("POST", "/api/v1/sharing-groups", body, expect=201)
        cls.e.ok("POST", "/api/v1/sharing-groups",
                 {"name": "community", "max_tlp": "GREEN", "readers": ["staff", "constituents"],
                  "writers": ["staff"], "collection_id": "11111111-2222-4333-8444-555555555555"},
                 expect=201)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def api_root(self):
        s, _, d = self.admin.get("/taxii2/")
        self.assertEqual(s, 200, d)
        return d["default"]

    def test_discovery_and_api_root(self):
        s, h, d = self.admin.get("/taxii2/")
        self.assertEqual(s, 200, d)
        self.assertEqual(h["Content-Type"], TAXII)
        for k in ("title", "api_roots", "default"):
            self.assertIn(k, d)
        self.assertIn(d["default"], d["api_roots"])
        s, h, root = self.admin.get(d["default"])
        self.assertEqual(s, 200, root)
        want = self.example["trustgroup1"]["information"]
        self.assertEqual(set(want), set(root))
        self.assertEqual(root["versions"], want["versions"])
        self.assertIsInstance(root["max_content_length"], int)
        # Bearer works as well as Basic.
        s, _, _ = Client(self.base, bearer=self.e.token).get("/taxii2/")
        self.assertEqual(s, 200)

    def test_example_collections(self):
        root = self.api_root()
        s, _, d = self.admin.get(root + "collections/")
        self.assertEqual(s, 200, d)
        got = {c["id"]: c for c in d["collections"]}
        for c in self.example["trustgroup1"]["collections"]:
            want = {k: v for k, v in c.items() if k not in ("objects", "manifest")}
            self.assertEqual(got[c["id"]], want)
            s, _, one = self.admin.get(root + "collections/%s/" % c["id"])
            self.assertEqual(one, want)
        hv = next(c for c in self.example["trustgroup1"]["collections"] if c["objects"])
        url = root + "collections/%s/" % hv["id"]
        s, h, status = self.admin.request("POST", url + "objects/", body={"objects": hv["objects"]})
        self.assertEqual(s, 202, status)
        self.assertEqual(status["status"], "complete")
        self.assertEqual(status["total_count"], len(hv["objects"]))
        self.assertEqual(status["success_count"], len(hv["objects"]), status)
        self.assertEqual(status["failure_count"], 0)
        s, _, again = self.admin.get(root + "status/%s/" % status["id"])
        self.assertEqual((s, again), (200, status))
        # TAXII 2.1 section 3.4.2: without match[spec_version], the newest spec version of
        # each object only (the malware's 2.1 versions, not its later 2.0 one).
        s, _, env = self.admin.get(url + "objects/", {"match[version]": "all"})
        self.assertEqual(len(env["objects"]), len(hv["objects"]) - 1)
        self.assertNotIn(None, [o.get("spec_version") for o in env["objects"]])
        # Every version of every object in both spec versions, the same content.
        s, _, env = self.admin.get(url + "objects/", {"match[version]": "all",
                                                      "match[spec_version]": "2.0,2.1"})
        self.assertEqual(s, 200, env)
        self.assertFalse(env["more"])
        self.assertEqual(sorted(map(key, env["objects"])), sorted(map(key, hv["objects"])))
        mine = {key(o): o for o in env["objects"]}
        for o in hv["objects"]:
            self.assertEqual(mine[key(o)], o)
        # The manifest: the same ids, versions and media types (date_added is the server's).
        s, _, man = self.admin.get(url + "manifest/", {"match[version]": "all",
                                                       "match[spec_version]": "2.0,2.1"})
        self.assertEqual(s, 200, man)
        strip = lambda m: (m["id"], m["version"], m["media_type"])
        self.assertEqual(sorted(map(strip, man["objects"])), sorted(map(strip, hv["manifest"])))
        # Versions of one object, first and last, a timestamp, a spec version.
        ind = "indicator--6770298f-0fd8-471a-ab8c-1c658a46574e"
        s, _, v = self.admin.get(url + "objects/%s/versions/" % ind)
        self.assertEqual(sorted(v["versions"]), ["2016-11-03T12:30:59.000Z",
                                                 "2016-12-25T12:30:59.444Z",
                                                 "2017-01-27T13:49:53.935Z"])
        s, _, last = self.admin.get(url + "objects/%s/" % ind)
        self.assertEqual([o["modified"] for o in last["objects"]], ["2017-01-27T13:49:53.935Z"])
        s, _, first = self.admin.get(url + "objects/%s/" % ind, {"match[version]": "first"})
        self.assertEqual([o["modified"] for o in first["objects"]], ["2016-11-03T12:30:59.000Z"])
        s, _, at = self.admin.get(url + "objects/%s/" % ind,
                                  {"match[version]": "2016-12-25T12:30:59.444Z"})
        self.assertEqual([o["modified"] for o in at["objects"]], ["2016-12-25T12:30:59.444Z"])
        mal = "malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec"
        s, _, m21 = self.admin.get(url + "objects/%s/" % mal)
        self.assertEqual([o.get("spec_version") for o in m21["objects"]], ["2.1"])
        s, _, m20 = self.admin.get(url + "objects/%s/" % mal, {"match[spec_version]": "2.0"})
        self.assertEqual([o["modified"] for o in m20["objects"]], ["2018-02-23T18:30:00.000Z"])
        s, _, types = self.admin.get(url + "objects/", {"match[type]": "indicator,relationship"})
        self.assertEqual(sorted(o["type"] for o in types["objects"]),
                         ["indicator", "indicator", "relationship"])
        s, _, ids = self.admin.get(url + "manifest/", {"match[id]": ind, "match[version]": "all"})
        self.assertEqual(len(ids["objects"]), 3)
        # DELETE: every version of the object, then it is gone.
        s, _, _ = self.admin.request("DELETE", url + "objects/%s/" % ind)
        self.assertEqual(s, 200)
        s, _, gone = self.admin.get(url + "objects/%s/" % ind)
        self.assertEqual(s, 404)
        self.assertEqual(gone["http_status"], "404")

    def assert_taxii_error(self, resp, status):
        s, h, d = resp
        self.assertEqual(s, status, d)
        self.assertEqual(h["Content-Type"], TAXII)
        self.assertIn("title", d)
        self.assertEqual(d["http_status"], str(status))

    def test_errors(self):
        root = self.api_root()
        hv = root + "collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
        self.assert_taxii_error(self.admin.get(hv + "objects/", accept="application/json"), 406)
        self.assert_taxii_error(
            self.admin.get(hv + "objects/", accept="application/taxii+json;version=2.0"), 406)
        s, _, _ = self.admin.get(hv + "objects/", accept="application/taxii+json")
        self.assertEqual(s, 200)
        self.assert_taxii_error(self.admin.request("POST", hv + "objects/", body={"objects": []},
                                                   content_type="application/json"), 415)
        self.assert_taxii_error(self.admin.request("POST", hv + "objects/",
                                                   body={"type": "bundle", "objects": []}), 422)
        self.assert_taxii_error(self.admin.request("POST", hv + "objects/", body=b"{nope"), 400)
        ro = root + "collections/52892447-4d7e-4f70-b94d-d7f22742ff63/"
        self.assert_taxii_error(self.admin.request("POST", ro + "objects/",
                                                   body={"objects": []}), 403)
        wo = root + "collections/472c94ae-3113-4e3e-a4dd-a9f4ac7471d4/"
        self.assert_taxii_error(self.admin.get(wo + "objects/"), 403)
        self.assert_taxii_error(self.admin.get(wo + "manifest/"), 403)
        self.assert_taxii_error(self.admin.get(root + "collections/%s/" % uuid.uuid4()), 404)
        self.assert_taxii_error(self.admin.get(self.base + "/taxii2/nosuchroot/"), 404)
        self.assert_taxii_error(self.admin.get(root + "status/%s/" % uuid.uuid4()), 404)
        self.assert_taxii_error(self.admin.get(hv + "objects/", {"limit": "0"}), 400)
        self.assert_taxii_error(self.admin.get(hv + "objects/", {"next": "garbage"}), 400)
        self.assert_taxii_error(self.admin.get(hv + "objects/", {"added_after": "yesterday"}),
                                400)
        self.assert_taxii_error(self.admin.get(hv + "objects/", {"match[version]": "newest"}),
                                400)
        s, h, d = Client(self.base).get(hv + "objects/")
        self.assert_taxii_error((s, h, d), 401)
        self.assertTrue(h["WWW-Authenticate"].startswith("Basic"))
        self.assert_taxii_error(Client(self.base, "admin", "ermes_wrong").get("/taxii2/"), 401)
        # Somebody else's token under the admin's name.
        self.assert_taxii_error(Client(self.base, "admin", self.acme_tok).get("/taxii2/"), 401)

    def test_tlp_cap_and_readers(self):
        root = self.api_root()
        url = root + "collections/11111111-2222-4333-8444-555555555555/"
        green = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--%s" % uuid.uuid4(), "created": "2024-01-01T00:00:00.000Z",
                 "modified": "2024-01-01T00:00:00.000Z", "pattern_type": "stix",
                 "pattern": "[ipv4-addr:value = '198.51.100.77']",
                 "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [TLP2_GREEN]}
        amber = dict(green, id="indicator--%s" % uuid.uuid4(), object_marking_refs=[TLP2_AMBER],
                     pattern="[ipv4-addr:value = '198.51.100.78']")
        unmarked = dict(green, id="indicator--%s" % uuid.uuid4(),
                        pattern="[ipv4-addr:value = '198.51.100.79']")
        del unmarked["object_marking_refs"]
        s, _, st = self.admin.request("POST", url + "objects/",
                                      body={"objects": [green, amber, unmarked]})
        self.assertEqual(s, 202)
        self.assertEqual((st["success_count"], st["failure_count"]), (2, 1))
        self.assertEqual(st["failures"][0]["id"], amber["id"])
        self.assertIn("TLP:AMBER", st["failures"][0]["message"])
        # A constituent reads the community's collection: GREEN, and the unmarked one shared
        # as the collection's TLP; it may not write.
        s, _, env = self.acme.get(url + "objects/", {"match[type]": "indicator"})
        self.assertEqual(s, 200, env)
        self.assertEqual({o["id"] for o in env["objects"]}, {green["id"], unmarked["id"]})
        self.assert_taxii_error(self.acme.request("POST", url + "objects/",
                                                  body={"objects": [green]}), 403)
        # Nor read the staff's collections.
        self.assert_taxii_error(
            self.acme.get(root + "collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/"),
            403)
        # The posted indicators went to detection.
        inds = self.e.ok("GET", "/api/v1/indicators?value=198.51.100.77")["data"]
        self.assertEqual(len(inds), 1)
        self.assertEqual(inds[0]["tlp"], "GREEN")

    def test_walk_10000(self):
        """10,000 objects: 1,000 posted in one request (one date_added), the others in nine
        more; 500 of them in a second version. Each filter's walk, page by page with next,
        finds each of its objects exactly once."""
        self.e.ok("POST", "/api/v1/sharing-groups",
                  {"name": "walk", "max_tlp": "RED", "readers": ["staff"], "writers": ["staff"],
                   "collection_id": "99999999-8888-4777-8666-555555555555"}, expect=201)
        root = self.api_root()
        url = root + "collections/99999999-8888-4777-8666-555555555555/"
        objs = []
        for i in range(10000):
            t = ("note", "opinion")[i % 2]
            o = {"type": t, "spec_version": "2.1", "id": "%s--%s" % (t, uuid.uuid4()),
                 "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                 "object_refs": ["identity--6b1e0a6f-0b0e-4e2c-9f5f-3e4b1a2c3d4e"]}
            if t == "note":
                o["content"] = "note %d" % i
            else:
                o["opinion"] = "agree"
            objs.append(o)
        for b in range(0, 10000, 1000):
            s, _, st = self.admin.request("POST", url + "objects/", body={"objects": objs[b:b + 1000]})
            self.assertEqual((s, st["success_count"]), (202, 1000), st)
        v2 = [dict(o, modified="2024-06-01T00:00:00.000Z") for o in objs[:500]]
        s, _, st = self.admin.request("POST", url + "objects/", body={"objects": v2})
        self.assertEqual(st["success_count"], 500)
        # The first thousand share one date_added.
        s, _, man = self.admin.get(url + "manifest/", {"limit": 1000, "match[version]": "all"})
        self.assertEqual(len({m["date_added"] for m in man["objects"]}), 1)

        def walk(params, limit, kind="objects"):
            seen, nxt, pages = [], None, 0
            while True:
                p = dict(params, limit=limit)
                if nxt:
                    p["next"] = nxt
                s, h, env = self.admin.get(url + kind + "/", p)
                self.assertEqual(s, 200, env)
                got = env.get("objects", [])
                if got:
                    self.assertIn("X-TAXII-Date-Added-First", h)
                    self.assertIn("X-TAXII-Date-Added-Last", h)
                    if kind == "manifest":
                        self.assertEqual(h["X-TAXII-Date-Added-First"], got[0]["date_added"])
                        self.assertEqual(h["X-TAXII-Date-Added-Last"], got[-1]["date_added"])
                seen += got
                pages += 1
                self.assertLessEqual(len(got), limit)
                if not env["more"]:
                    self.assertNotIn("next", env)
                    return seen, pages
                nxt = env["next"]

        every = {key(o) for o in objs} | {key(o) for o in v2}
        seen, pages = walk({"match[version]": "all"}, 100)
        self.assertEqual(len(seen), 10500)
        self.assertEqual({key(o) for o in seen}, every)
        self.assertEqual(pages, 105)
        seen, _ = walk({}, 333)  # the last version of each
        self.assertEqual(len(seen), 10000)
        self.assertEqual({o["id"] for o in seen}, {o["id"] for o in objs})
        self.assertEqual(sum(1 for o in seen if o["modified"].startswith("2024-06")), 500)
        seen, _ = walk({"match[type]": "note", "match[version]": "all"}, 250)
        self.assertEqual(len(seen), 5250)
        self.assertEqual({key(o) for o in seen}, {k for k in every if k[0].startswith("note--")})
        seen, _ = walk({"match[version]": "first", "match[spec_version]": "2.1"}, 1000)
        self.assertEqual(sorted(map(key, seen)), sorted(map(key, objs)))
        seen, _ = walk({"match[version]": "2024-06-01T00:00:00.000Z"}, 77)
        self.assertEqual(sorted(map(key, seen)), sorted(map(key, v2)))
        ids = [o["id"] for o in objs[4990:4998]]
        seen, _ = walk({"match[id]": ",".join(ids)}, 3)
        self.assertEqual(sorted(o["id"] for o in seen), sorted(ids))
        seen, _ = walk({"match[version]": "all"}, 1000, kind="manifest")
        self.assertEqual(len(seen), 10500)
        self.assertEqual(len({(m["id"], m["version"]) for m in seen}), 10500)
        # added_after: what the server added after the first thousand.
        first_added = man["objects"][0]["date_added"]
        seen, _ = walk({"added_after": first_added, "match[version]": "all"}, 500)
        self.assertEqual({key(o) for o in seen}, every - {key(o) for o in objs[:1000]})


if __name__ == "__main__":
    main()
