"""/api/v1/indicators and /api/v1/sightings through the real daemon: create, read, update and
delete; canonical values and upserts; bulk loads (plain list, CSV, STIX bundle, JSON array)
with every bad entry reported by line or index and reason; warninglists; TLP visibility for
constituents; 4xx errors as JSON; the audit log; the CLI on the same database."""

import json
import os
import unittest

from ermeslib import Ermes, assert_error, main

SRC = os.environ.get("ERMES_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
WARNINGLIST = os.path.join(SRC, "tests", "data", "detect", "warninglist-sample.json")

STIX = {
    "type": "bundle", "id": "bundle--11111111-1111-4111-8111-111111111111",
    "objects": [
        {"type": "indicator", "spec_version": "2.1",
         "id": "indicator--22222222-2222-4222-8222-222222222222",
         "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
         "pattern": "[domain-name:value = 'stix-evil.example']", "pattern_type": "stix",
         "valid_from": "2024-01-01T00:00:00Z"},
        {"type": "indicator", "spec_version": "2.1",
         "id": "indicator--33333333-3333-4333-8333-333333333333",
         "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
         "pattern": "[ipv4-addr:value = '198.51.100.200']", "pattern_type": "stix",
         "valid_from": "2024-01-01T00:00:00Z"},
    ],
}


class Indicators(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(env={"ERMES_WARNINGLISTS": WARNINGLIST})
        cls.acme = cls.e.ok("POST", "/api/v1/organisations",
                            {"short_name": "acme", "name": "ACME",
                             "networks": ["10.20.0.0/16"]}, expect=201)
        _, cls.acme_tok = cls.e.user_token("acme-user", "constituent", org="acme")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_crud(self):
        e = self.e
        s, h, ind = e.request("POST", "/api/v1/indicators",
                              {"type": "url", "value": "HXXP://Bad.Example/Path",
                               "tlp": "GREEN", "confidence": 80, "tags": ["phishing", "x"],
                               "valid_until": "2099-01-01T00:00:00Z", "source": "manual"})
        self.assertEqual(s, 201, ind)
        self.assertEqual(h["location"], "/api/v1/indicators/%d" % ind["id"])
        self.assertEqual(ind["value"], "http://bad.example/Path")
        self.assertEqual((ind["type"], ind["tlp"], ind["confidence"]), ("url", "GREEN", 80))
        self.assertEqual(ind["tags"], ["phishing", "x"])
        self.assertEqual(ind["valid_until"], "2099-01-01T00:00:00.000Z")
        self.assertEqual(e.ok("GET", "/api/v1/indicators/%d" % ind["id"]), ind)
        # the same indicator again is an update of the one stored
        again = e.ok("POST", "/api/v1/indicators",
                     {"value": "http://bad.example/Path", "confidence": 90}, expect=200)
        self.assertEqual((again["id"], again["confidence"]), (ind["id"], 90))
        upd = e.ok("PATCH", "/api/v1/indicators/%d" % ind["id"],
                   {"tlp": "RED", "tags": [], "confidence": None}, expect=200)
        self.assertEqual((upd["tlp"], upd["tags"], upd["confidence"]), ("RED", [], None))
        s, _, b = e.request("PATCH", "/api/v1/indicators/%d" % ind["id"], {"value": "x.example"})
        assert_error(self, s, b, 422, "invalid", "value")
        self.assertEqual(e.request("DELETE", "/api/v1/indicators/%d" % ind["id"])[0], 204)
        s, _, b = e.request("GET", "/api/v1/indicators/%d" % ind["id"])
        assert_error(self, s, b, 404, "not_found")
        actions = [(a["action"], a["object_id"]) for a in e.list_all(
            "/api/v1/audit?object_type=indicator")]
        for act in ("create", "update", "delete"):
            self.assertIn((act, str(ind["id"])), actions)

    def test_list_filters_and_pagination(self):
        e = self.e
        r = e.ok("POST", "/api/v1/indicators",
                 [{"value": "page%d.example" % i, "tags": ["pg"], "source": "pages"}
                  for i in range(7)], expect=200)
        self.assertEqual((r["added"], r["rejected"]), (7, 0), r)
        got = e.list_all("/api/v1/indicators?source=pages", limit=3)
        self.assertEqual(sorted(i["value"] for i in got),
                         sorted("page%d.example" % i for i in range(7)))
        self.assertEqual(len(e.list_all("/api/v1/indicators?tag=pg&type=domain")), 7)
        e.ok("POST", "/api/v1/indicators", {"value": "old.example", "source": "pages",
                                            "valid_until": "2001-01-01T00:00:00Z"}, expect=201)
        active = {i["value"] for i in e.list_all("/api/v1/indicators?source=pages&active=true")}
        self.assertNotIn("old.example", active)
        self.assertEqual(len(active), 7)

    def test_bulk_plain_list_reports_bad_line(self):
        body = "# comment\nlist-evil.example\n\x01bad\n203.0.113.9\n"
        r = self.e.ok("POST", "/api/v1/indicators?tlp=GREEN&source=feed-x", body.encode(),
                      content_type="text/plain", expect=200)
        self.assertEqual((r["added"], r["rejected"]), (2, 1), r)
        self.assertEqual(r["errors"][0]["line"], 3, r)
        self.assertIn("bad", r["errors"][0]["reason"])
        got = {i["value"]: i for i in self.e.list_all("/api/v1/indicators?source=feed-x")}
        self.assertEqual(set(got), {"list-evil.example", "203.0.113.9"})
        self.assertEqual(got["203.0.113.9"]["type"], "ipv4")
        self.assertEqual(got["203.0.113.9"]["tlp"], "GREEN")

    def test_bulk_csv_and_stix(self):
        csv = "value,type,tlp\ncsv-evil.example,domain,AMBER\n999.1.1.1,ipv4,GREEN\n"
        r = self.e.ok("POST", "/api/v1/indicators", csv.encode(), content_type="text/csv",
                      expect=200)
        self.assertEqual((r["added"], r["rejected"]), (1, 1), r)
        self.assertEqual(r["errors"][0]["line"], 3)
        self.assertIn("999", r["errors"][0]["reason"])
        r = self.e.ok("POST", "/api/v1/indicators", json.dumps(STIX).encode(),
                      content_type="application/stix+json", expect=200)
        self.assertEqual((r["added"], r["rejected"]), (2, 0), r)
        self.assertEqual(len(self.e.list_all("/api/v1/indicators?value=stix-evil.example")), 1)

    def test_json_array_reports_index(self):
        r = self.e.ok("POST", "/api/v1/indicators",
                      [{"value": "arr-ok.example"}, {"type": "md5", "value": "zz"},
                       {"value": "arr-ok2.example", "tlp": "PURPLE"}, "not an object"],
                      expect=200)
        self.assertEqual((r["added"], r["rejected"]), (1, 3), r)
        self.assertEqual([x["index"] for x in r["errors"]], [1, 2, 3])
        self.assertIn("md5", r["errors"][0]["reason"])

    def test_warninglist_suppresses(self):
        r = self.e.ok("POST", "/api/v1/indicators", b"x.bad-cdn.net\nwl-evil.example\n",
                      content_type="text/plain", expect=200)
        self.assertEqual((r["added"], r["suppressed"]), (1, 1), r)
        self.assertEqual(r["suppressed_values"][0]["value"], "x.bad-cdn.net")
        self.assertEqual(r["suppressed_values"][0]["warninglist"], "Sample benign CDNs")
        s, _, b = self.e.request("POST", "/api/v1/indicators", {"value": "a.bad-cdn.net"})
        assert_error(self, s, b, 422, "suppressed", "value")

    def test_errors_are_json(self):
        e = self.e
        s, _, b = e.request("POST", "/api/v1/indicators", b"x", content_type="image/png")
        assert_error(self, s, b, 415)
        s, _, b = e.request("POST", "/api/v1/indicators", "{bad json")
        assert_error(self, s, b, 400, "malformed_json")
        s, _, b = e.request("POST", "/api/v1/indicators", {"type": "sha256", "value": "abc"})
        assert_error(self, s, b, 422, "invalid")
        s, _, b = e.request("POST", "/api/v1/indicators", {"value": "x.example", "colour": 1})
        assert_error(self, s, b, 422, "invalid", "colour")
        s, _, b = e.request("POST", "/api/v1/indicators", {"type": "nope", "value": "x"})
        assert_error(self, s, b, 422, "invalid", "type")
        s, _, b = e.request("GET", "/api/v1/indicators/abc")
        assert_error(self, s, b, 400, "bad_request", "id")
        s, _, b = e.request("GET", "/api/v1/indicators?limit=0")
        assert_error(self, s, b, 400, "bad_request", "limit")
        s, _, b = e.request("GET", "/api/v1/sightings?since=yesterday")
        assert_error(self, s, b, 400, "bad_request", "since")
        s, _, b = e.request("GET", "/api/v1/sightings?group=week")
        assert_error(self, s, b, 400, "bad_request", "group")
        s, _, b = e.request("POST", "/api/v1/indicators", {"value": "c.example"},
                            token=self.acme_tok)
        assert_error(self, s, b, 403)

    def test_constituent_visibility(self):
        e = self.e
        green = e.ok("POST", "/api/v1/indicators", {"value": "vis-green.example", "tlp": "GREEN"},
                     expect=201)
        amber = e.ok("POST", "/api/v1/indicators", {"value": "198.51.100.77", "tlp": "AMBER"},
                     expect=201)
        red = e.ok("POST", "/api/v1/indicators", {"value": "198.51.100.78", "tlp": "RED"},
                   expect=201)
        tok = self.acme_tok
        seen = {i["id"] for i in e.list_all("/api/v1/indicators", token=tok)}
        self.assertIn(green["id"], seen)
        self.assertNotIn(amber["id"], seen)
        self.assertNotIn(red["id"], seen)
        s, _, b = e.request("GET", "/api/v1/indicators/%d" % amber["id"], token=tok)
        assert_error(self, s, b, 404)
        # once the AMBER indicator is sighted in ACME's traffic, ACME may see it
        log = "\n".join(json.dumps({"timestamp": "2024-07-01T00:00:00Z", "event_type": "flow",
                                    "src_ip": "10.20.3.3", "dest_ip": ip, "host": "s1"})
                        for ip in ("198.51.100.77", "198.51.100.78")) + "\n"
        r = e.ok("POST", "/api/v1/logs?format=eve&source=vis", log.encode(),
                 content_type="application/x-ndjson", expect=200)
        self.assertEqual(r["sightings"], 2, r)
        self.assertEqual(e.ok("GET", "/api/v1/indicators/%d" % amber["id"], token=tok)["id"],
                         amber["id"])
        mine = e.list_all("/api/v1/indicators/%d/sightings" % amber["id"], token=tok)
        self.assertEqual([s["value"] for s in mine], ["198.51.100.77"])
        # the RED one stays hidden, and so do its sightings
        s, _, b = e.request("GET", "/api/v1/indicators/%d/sightings" % red["id"], token=tok)
        assert_error(self, s, b, 404)
        self.assertNotIn(red["id"], {x["indicator_id"] for x in
                                     e.list_all("/api/v1/sightings", token=tok)})
        self.assertEqual(len(e.list_all("/api/v1/indicators/%d/sightings" % red["id"])), 1)

    def test_cli(self):
        e = self.e
        rc, out, err = e.cli("indicators", "add", "domain", "cli-evil.example", "--tlp", "GREEN",
                             "--exact", "--tag", "a", "--tag", "b", "--json")
        self.assertEqual(rc, 0, err)
        ind = json.loads(out)
        self.assertEqual((ind["exact"], ind["tags"]), (True, ["a", "b"]))
        rc, out, err = e.cli("indicators", "list", "--json", "--type", "domain")
        self.assertEqual(rc, 0, err)
        self.assertIn("cli-evil.example", [json.loads(l)["value"] for l in out.splitlines()])
        path = os.path.join(e.dir, "bulk.txt")
        with open(path, "w") as f:
            f.write("cli-bulk.example\n\x01oops\n")
        rc, out, err = e.cli("indicators", "import", path)
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("bulk.txt:2:", err)
        self.assertEqual(len(e.list_all("/api/v1/indicators?value=cli-bulk.example")), 1)
        rc, out, err = e.cli("indicators", "delete", str(ind["id"]))
        self.assertEqual(rc, 0, err)
        rc, out, err = e.cli("indicators", "show", str(ind["id"]))
        self.assertEqual(rc, 1)
        rc, out, err = e.cli("indicators", "add", "md5", "zz")
        self.assertEqual(rc, 1, (out, err))
        self.assertIn("md5", err)
        rc, out, err = e.cli("indicators", "add", "nosuchtype", "x")
        self.assertEqual(rc, 2, (out, err))


if __name__ == "__main__":
    main()
