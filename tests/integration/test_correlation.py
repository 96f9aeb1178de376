"""Correlation (issue 12 item 7) over HTTP and the CLI: for a value, the indicators, events,
sightings and incidents that mention it, the networks that hold an address, the addresses
inside a network, the parent domains of a name; MISP's over-correlation threshold; the index
kept up with what is added after a lookup; and for every viewer (staff, two constituents, no
account) nothing shown that the object's own API would not show that viewer. Runs on SQLite and
on PostgreSQL."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main, wait_until  # noqa: E402

CORR = "/api/v1/correlations?value="
SSH = b"192.0.2.1\n192.0.2.2\n198.51.100.1\n"
API_OF = {"indicator": "/api/v1/indicators/%d", "event": "/api/v1/events/%d",
          "incident": "/api/v1/incidents/%d"}


def eve(src, dst):
    return json.dumps({"timestamp": "2026-05-02T10:00:00+0000", "event_type": "flow",
                       "src_ip": src, "src_port": 5353, "dest_ip": dst, "dest_port": 53,
                       "proto": "UDP", "host": "sensor-a"})


class Correlation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            for short, net in (("ACME", "192.0.2.0/28"), ("BETA", "198.51.100.0/28")):
                e.ok("POST", "/api/v1/organisations",
                     {"short_name": short, "name": short + " Ltd", "networks": [net]},
                     expect=201)
            _, cls.acme = e.user_token("conny", "constituent", org="ACME")
            _, cls.beta = e.user_token("bea", "constituent", org="BETA")
            r = e.ok("POST", "/api/v1/reports?feed=blocklistde&wait=true&file_name=ssh.txt",
                     SSH, content_type="text/plain", expect=201)
            assert r["state"] == "done", r
            cls.events = {x["event"]["source.ip"]: x["id"] for x in e.list_all("/api/v1/events")}
            cls.ind = {}
            for typ, value, tlp in (("cidr", "192.0.2.0/28", "GREEN"),
                                    ("ipv4", "192.0.2.1", "RED"),
                                    ("domain", "evil.example", "CLEAR"),
                                    ("ipv4", "203.0.113.66", "GREEN"),
                                    ("sha256", "ab" * 32, "AMBER")):
                cls.ind[value] = e.ok("POST", "/api/v1/indicators",
                                      {"type": typ, "value": value, "tlp": tlp},
                                      expect=201)["id"]
            r = e.ok("POST", "/api/v1/logs?format=eve&source=fw1",
                     (eve("192.0.2.5", "203.0.113.66") + "\n").encode(),
                     content_type="application/octet-stream")
            # Two sightings: of 203.0.113.66, and of 192.0.2.5 inside the GREEN network.
            assert r["sightings"] == 2, r
            cls.incident = e.ok("POST", "/api/v1/incidents",
                                {"title": "ssh brute force", "constituents": ["ACME"]},
                                expect=201)["id"]
            e.ok("POST", "/api/v1/incidents/%d/observables" % cls.incident,
                 {"type": "ipv4", "value": "192.0.2.1", "ioc": True}, expect=201)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def corr(self, value, token=None, **params):
        q = CORR + value + "".join("&%s=%s" % kv for kv in params.items())
        return self.e.ok("GET", q, token=token) if token else self.e.ok("GET", q)

    @staticmethod
    def found(res):
        return {(m["relation"], m["object"], m["id"]) for m in res["matches"]}

    def test_address_everything_that_mentions_it(self):
        res = self.corr("192.0.2.1")
        self.assertEqual((res["value"], res["type"], res["threshold"]), ("192.0.2.1", "ipv4", 20))
        self.assertEqual(self.found(res), {
            ("same", "indicator", self.ind["192.0.2.1"]),
            ("same", "event", self.events["192.0.2.1"]),
            ("same", "incident", self.incident),
            ("inside", "indicator", self.ind["192.0.2.0/28"]),
        })
        self.assertEqual(res["over_correlated"], [])

    def test_network_contains_addresses(self):
        res = self.corr("192.0.2.0/28")
        self.assertEqual(self.found(res), {
            ("same", "indicator", self.ind["192.0.2.0/28"]),
            ("contains", "indicator", self.ind["192.0.2.1"]),
            ("contains", "event", self.events["192.0.2.1"]),
            ("contains", "event", self.events["192.0.2.2"]),
            ("contains", "incident", self.incident),
            ("contains", "sighting", self.sighting_id("192.0.2.5")),
        })
        wide = self.corr("192.0.0.0/8", limit=2)
        self.assertLessEqual(len(wide["matches"]), 2)
        self.assertTrue(wide["truncated"])

    def sighting_id(self, value="203.0.113.66"):
        return self.e.ok("GET", "/api/v1/sightings?value=" + value)["data"][0]["id"]

    def test_sighting_and_hash_and_domain(self):
        res = self.corr("203.0.113.66")
        self.assertEqual(self.found(res), {("same", "indicator", self.ind["203.0.113.66"]),
                                           ("same", "sighting", self.sighting_id())})
        self.assertEqual(self.found(self.corr("AB" * 32)),
                         {("same", "indicator", self.ind["ab" * 32])})
        sub = self.corr("www.EVIL.example.")
        self.assertEqual(sub["value"], "www.evil.example")
        self.assertEqual(self.found(sub),
                         {("subdomain_of", "indicator", self.ind["evil.example"])})
        self.assertEqual(self.corr("unknown.example")["matches"], [])

    def test_over_correlation(self):
        res = self.corr("192.0.2.1", threshold=2)
        self.assertEqual(res["over_correlated"], [{"relation": "same", "value": "192.0.2.1"}])
        self.assertEqual(self.found(res), {("inside", "indicator", self.ind["192.0.2.0/28"])})

    def test_added_after_a_lookup_is_found(self):
        self.assertEqual(self.corr("bad.example")["matches"], [])
        iid = self.e.ok("POST", "/api/v1/indicators",
                        {"type": "domain", "value": "bad.example", "tlp": "GREEN"},
                        expect=201)["id"]
        self.assertEqual(self.found(self.corr("bad.example")),
                         {("same", "indicator", iid)})

    def test_no_viewer_sees_what_its_api_hides(self):
        queries = ["192.0.2.1", "192.0.2.2", "192.0.2.0/28", "203.0.113.66", "ab" * 32,
                   "198.51.100.1", "198.51.100.0/28"]
        everything = {q: self.corr(q)["matches"] for q in queries}
        for name, token in (("acme", self.acme), ("beta", self.beta)):
            for q in queries:
                shown = {(m["object"], m["id"]) for m in self.corr(q, token=token)["matches"]}
                for m in everything[q]:
                    if m["object"] not in API_OF:
                        continue
                    s, _, _ = self.e.request("GET", API_OF[m["object"]] % m["id"], token=token)
                    self.assertIn(s, (200, 404))
                    # Shown exactly when the object's own API shows it to this viewer.
                    self.assertEqual((m["object"], m["id"]) in shown, s == 200,
                                     (name, q, m, s))
        # The RED indicator, ACME's events and incident are not BETA's to see.
        beta = self.found(self.corr("192.0.2.1", token=self.beta))
        self.assertEqual(beta, {("inside", "indicator", self.ind["192.0.2.0/28"])})
        acme = self.found(self.corr("192.0.2.1", token=self.acme))
        self.assertNotIn(("same", "indicator", self.ind["192.0.2.1"]), acme)
        self.assertIn(("same", "event", self.events["192.0.2.1"]), acme)
        s, _, _ = self.e.request("GET", CORR + "192.0.2.1", token=None)
        self.assertEqual(s, 401)

    def test_bad_requests(self):
        for path, field in (("/api/v1/correlations", "value"),
                            (CORR + "x&threshold=0", "threshold"),
                            (CORR + "x&threshold=abc", "threshold"),
                            (CORR + "x&limit=100000", "limit"),
                            (CORR + "a" * 9000, "value")):
            s, _, b = self.e.request("GET", path)
            assert_error(self, s, b, 400, "bad_request", field=field)

    def test_cli(self):
        rc, out, err = self.e.cli("correlate", "192.0.2.1", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.found(json.loads(out)), self.found(self.corr("192.0.2.1")))
        rc, out, err = self.e.cli("correlate", "192.0.2.1")
        self.assertEqual(rc, 0, err)
        self.assertIn("same\tindicator\t%d\tRED\t192.0.2.1" % self.ind["192.0.2.1"], out)
        rc, out, err = self.e.cli("correlate", "nothing.example")
        self.assertEqual((rc, out), (1, ""))
        rc, out, err = self.e.cli("correlate", "192.0.2.1", "--threshold", "0")
        self.assertEqual(rc, 2)
        self.assertIn("--threshold", err)


class Backlog(unittest.TestCase):
    """A bulk import (more than the 5,000 rows a lookup indexes itself) is indexed by the
    daemon in the background: a lookup meanwhile answers at once and says how many rows wait;
    once the daemon caught up, the imported values are found."""

    def test_backlog_indexed_by_the_daemon(self):
        with Ermes(start=False) as e:
            path = os.path.join(e.dir, "bulk.txt")
            with open(path, "w") as f:
                for i in range(6000):
                    f.write("45.%d.%d.%d\n" % (i >> 16, (i >> 8) & 255, i & 255))
            rc, out, err = e.cli("indicators", "import", path, "--format", "plain", "--tlp",
                                 "GREEN")
            self.assertEqual(rc, 0, err)
            # The CLI looks up without a daemon: the backlog is not indexed by a lookup.
            rc, out, err = e.cli("correlate", "45.0.10.10", "--json")
            self.assertEqual(rc, 1, err)
            first = json.loads(out) if out.strip() else None
            if first is not None:
                self.assertGreater(first.get("pending", 0), 5000, first)
                self.assertEqual(first["matches"], [])
            e.start()
            body = wait_until(lambda: (lambda b: b if "pending" not in b and b["matches"]
                                       else None)(e.ok("GET", CORR + "45.0.10.10")),
                              timeout=120, what="the daemon indexing the backlog")
            self.assertEqual([m["object"] for m in body["matches"]], ["indicator"])


if __name__ == "__main__":
    main()
