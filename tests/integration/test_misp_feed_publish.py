"""The MISP feed ermes publishes per sharing group (issue 12 item 6): /feeds/misp/<group>/
manifest.json, hashes.csv and <uuid>.json for the group's readers only, nothing above the
group's highest TLP nor what the TLP policy keeps from the reader, the same files from one
request to the next; and a second ermes consumes the feed (`ermes misp import-feed` over HTTP,
with Basic NAME:TOKEN credentials in the URL, as a MISP instance would send them) into the same
indicators. Runs on SQLite and on PostgreSQL."""

import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

FEED = "/feeds/misp/community/"
INDICATORS = [
    ("domain", "green-one.example", "GREEN", "feed-x"),
    ("ipv4", "203.0.113.10", "CLEAR", "feed-x"),
    ("sha256", "cd" * 32, "GREEN", ""),
    ("domain", "amber-one.example", "AMBER", "feed-x"),
    ("ipv4", "203.0.113.66", "RED", ""),
    ("domain", "strict.example", "AMBER+STRICT", "feed-y"),
]
SHARED = [i for i in INDICATORS if i[2] in ("CLEAR", "GREEN")]


class MispFeedPublish(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Ermes()
        cls.b = None
        try:
            a = cls.a
            a.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "ACME Ltd"},
                 expect=201)
            cls.user, cls.token = a.user_token("feeder", "constituent", org="ACME")
            a.ok("POST", "/api/v1/sharing-groups",
                 {"name": "community", "max_tlp": "GREEN", "readers": ["staff", "constituents"],
                  "writers": ["staff"]}, expect=201)
            a.ok("POST", "/api/v1/sharing-groups",
                 {"name": "staff-only", "max_tlp": "RED", "readers": ["staff"],
                  "writers": ["staff"]}, expect=201)
            for typ, value, tlp, source in INDICATORS:
                a.ok("POST", "/api/v1/indicators?force=true",
                     {"type": typ, "value": value, "tlp": tlp, "source": source}, expect=201)
            cls.b = Ermes()
        except BaseException:
            cls.a.close()
            if cls.b:
                cls.b.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()

    def get(self, path, token=None):
        s, h, body = self.a.request("GET", path, token=token or self.token, raw=True)
        return s, h, body

    def events(self):
        s, _, body = self.get(FEED + "manifest.json")
        self.assertEqual(s, 200, body)
        manifest = json.loads(body)
        events = {}
        for uuid, entry in manifest.items():
            for key in ("info", "date", "timestamp", "Orgc"):
                self.assertIn(key, entry)
            s, h, ev = self.get(FEED + uuid + ".json")
            self.assertEqual(s, 200, ev)
            self.assertIn("application/json", h["content-type"])
            events[uuid] = json.loads(ev)["Event"]
            self.assertEqual(events[uuid]["uuid"], uuid)
        return events

    def test_feed_files_carry_what_the_group_allows(self):
        events = self.events()
        values = [a["value"] for e in events.values() for a in e["Attribute"]]
        self.assertEqual(sorted(values), sorted(v for _, v, _, _ in SHARED))
        # hashes.csv: one line an attribute, the MD5 of its value and its event.
        s, h, body = self.get(FEED + "hashes.csv")
        self.assertEqual(s, 200)
        self.assertIn("text/csv", h["content-type"])
        want = sorted("%s,%s" % (hashlib.md5(a["value"].encode()).hexdigest(), uuid)
                      for uuid, e in events.items() for a in e["Attribute"])
        self.assertEqual(sorted(body.decode().splitlines()), want)
        # The same files again.
        self.assertEqual(self.events(), events)

    def test_readers_only(self):
        s, _, _ = self.a.request("GET", FEED + "manifest.json", token=None)
        self.assertEqual(s, 401)
        s, _, _ = self.get("/feeds/misp/staff-only/manifest.json")
        self.assertEqual(s, 404)
        s, _, body = self.get("/feeds/misp/staff-only/manifest.json", token=self.a.token)
        self.assertEqual(s, 200)
        # The staff's view of a group up to RED: everything, AMBER+STRICT and RED included.
        self.assertEqual(len(json.loads(body)), 3)
        for path in (FEED + "nothing.txt", FEED + "00000000-0000-4000-8000-000000000000.json",
                     "/feeds/misp/no-such-group/manifest.json"):
            s, _, _ = self.get(path)
            self.assertEqual(s, 404, path)

    def test_second_ermes_consumes_the_feed(self):
        url = "http://%s:%s@127.0.0.1:%d%s" % (self.user["name"], self.token, self.a.port, FEED)
        rc, out, err = self.b.cli("misp", "import-feed", url)
        self.assertEqual(rc, 0, out + err)
        got = {(i["type"], i["value"], i["tlp"]) for i in self.b.list_all("/api/v1/indicators")}
        self.assertEqual(got, {(t, v, tlp) for t, v, tlp, _ in SHARED})
        # Nothing changed: nothing imported again.
        rc, out, err = self.b.cli("misp", "import-feed", url, "--json")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(json.loads(out)["imported"], 0)


if __name__ == "__main__":
    main()
