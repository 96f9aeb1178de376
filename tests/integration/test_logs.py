"""POST /api/v1/logs through the real daemon: Suricata EVE and Zeek logs matched against the
stored indicators, sightings recorded with their field, offset and constituent, counted per
day; an indicator added between two posts takes effect; malformed lines counted by reason;
compressed bodies; the same log posted twice is counted once."""

import gzip
import json
import os
import unittest

from ermeslib import Ermes, assert_error, main

ZEEK_CONN = (
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
    "1714644000.000000\tC1\t10.20.0.5\t50000\t203.0.113.66\t443\ttcp\n"
    "1714644001.000000\tC2\t10.20.0.6\t50001\t198.51.100.1\t80\ttcp\n"
    "1714730400.000000\tC3\t10.20.0.7\t50002\t203.0.113.66\t443\ttcp\n"
    "this line has too few columns\n"
)


def eve(ts, src, dst, rrname=None, host="sensor-a"):
    rec = {"timestamp": ts, "event_type": "dns" if rrname else "flow", "src_ip": src,
           "src_port": 5353, "dest_ip": dst, "dest_port": 53, "proto": "UDP", "host": host}
    if rrname:
        rec["dns"] = {"type": "query", "rrname": rrname, "rrtype": "A"}
    return json.dumps(rec)


class Logs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        e = cls.e
        cls.acme = e.ok("POST", "/api/v1/organisations",
                        {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                        expect=201)
        cls.beta = e.ok("POST", "/api/v1/organisations",
                        {"short_name": "beta", "name": "Beta", "networks": ["10.30.0.0/16"]},
                        expect=201)
        e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "evil-example.eu",
                                            "tlp": "AMBER"}, expect=201)
        e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.66", "tlp": "GREEN"},
             expect=201)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def post_log(self, body, fmt, source, expect=200, **kw):
        if isinstance(body, str):
            body = body.encode()
        return self.e.ok("POST", "/api/v1/logs?format=%s&source=%s" % (fmt, source), body,
                         content_type="application/octet-stream", expect=expect, **kw)

    def sightings(self, query=""):
        return self.e.list_all("/api/v1/sightings" + query)

    def test_eve_log(self):
        lines = [
            eve("2024-05-02T10:00:00.000001+0000", "10.20.0.9", "10.0.0.53",
                "Mail.Dept.Evil-Example.EU."),
            eve("2024-05-02T10:00:01.000001+0000", "10.30.0.4", "10.0.0.53",
                "cdn.benign.example"),
            "{not json",
            eve("2024-05-02T11:00:00+0000", "10.30.0.4", "203.0.113.66"),
            "[1, 2]",
        ]
        body = "\n".join(lines) + "\n"
        r = self.post_log(body, "eve", "eve-1")
        self.assertEqual(r["records"], 3, r)
        self.assertEqual(r["matched"], 2, r)
        self.assertEqual(r["sightings"], 2, r)
        self.assertEqual(r["skipped"], {"malformed_json": 1, "not_an_object": 1}, r)
        got = self.sightings("?sensor=sensor-a")
        by_field = {s["field"]: s for s in got if s["log_source"] == "eve-1"}
        dns = by_field["dns.rrname"]
        self.assertEqual(dns["indicator_value"], "evil-example.eu")
        self.assertEqual(dns["value"], "Mail.Dept.Evil-Example.EU.")
        self.assertEqual(dns["org_id"], self.acme["id"])
        self.assertEqual(dns["internal_ip"], "10.20.0.9")
        self.assertEqual(dns["line"], 1)
        self.assertEqual(dns["offset"], 0)
        self.assertEqual(dns["time"], "2024-05-02T10:00:00.000Z")
        flow = by_field["dest_ip"]
        self.assertEqual(flow["org_id"], self.beta["id"])
        self.assertEqual(flow["line"], 4)
        self.assertEqual(flow["offset"], body.index(lines[3]))
        # posting the same log again records nothing new
        r = self.post_log(body, "eve", "eve-1")
        self.assertEqual((r["matched"], r["sightings"], r["duplicates"]), (2, 0, 2), r)

    def test_zeek_log_and_counts_per_day(self):
        r = self.post_log(ZEEK_CONN, "zeek", "conn-1")
        self.assertEqual(r["records"], 3, r)
        self.assertEqual(r["sightings"], 2, r)
        self.assertEqual(r["skipped"], {"wrong_column_count": 1}, r)
        got = [s for s in self.sightings("?value=203.0.113.66") if s["log_source"] == "conn-1"]
        self.assertEqual(len(got), 2)
        for s in got:
            self.assertEqual(s["field"], "id.resp_h")
            self.assertEqual(s["org_id"], self.acme["id"])
            at = ZEEK_CONN.index("\t" + s["internal_ip"] + "\t")
            self.assertEqual(s["offset"], ZEEK_CONN.rfind("\n", 0, at) + 1)
            self.assertEqual(s["line"], ZEEK_CONN.count("\n", 0, at) + 1)
        days = {c["day"]: c for c in self.e.list_all(
            "/api/v1/sightings?group=day&value=203.0.113.66&org=acme")}
        self.assertEqual(days["2024-05-02"]["count"], 1)
        self.assertEqual(days["2024-05-03"]["count"], 1)
        self.assertEqual(days["2024-05-03"]["first_seen"], "2024-05-03T10:00:00.000Z")

    def test_indicator_added_between_posts_takes_effect(self):
        log = eve("2024-06-01T00:00:00+0000", "10.20.1.1", "192.0.2.77") + "\n"
        r = self.post_log(log, "eve", "late-1")
        self.assertEqual(r["matched"], 0, r)
        self.e.ok("POST", "/api/v1/indicators", {"value": "192.0.2.77"}, expect=201)
        r = self.post_log(log, "eve", "late-2")
        self.assertEqual((r["matched"], r["sightings"]), (1, 1), r)
        # an indicator that expired is no longer matched
        ind = self.e.ok("GET", "/api/v1/indicators?value=192.0.2.77")["data"][0]
        self.e.ok("PATCH", "/api/v1/indicators/%d" % ind["id"],
                  {"valid_until": "2001-01-01T00:00:00Z"}, expect=200)
        r = self.post_log(log, "eve", "late-3")
        self.assertEqual(r["matched"], 0, r)

    def test_gzip_body_and_default_source(self):
        log = eve("2024-05-05T00:00:00+0000", "10.20.2.2", "203.0.113.66") + "\n"
        r = self.e.ok("POST", "/api/v1/logs?format=eve", gzip.compress(log.encode()),
                      content_type="application/octet-stream",
                      headers={"Content-Encoding": "gzip"}, expect=200)
        self.assertEqual(r["sightings"], 1, r)
        self.assertTrue(r["source"].startswith("upload-"), r)
        s, _, b = self.e.request("POST", "/api/v1/logs?format=eve", log.encode(),
                                 content_type="application/octet-stream",
                                 headers={"Content-Encoding": "gzip"})
        assert_error(self, s, b, 400, "bad_request")
        s, _, b = self.e.request("POST", "/api/v1/logs?format=eve", log.encode(),
                                 content_type="application/octet-stream",
                                 headers={"Content-Encoding": "br"})
        assert_error(self, s, b, 415)

    def test_errors_and_access(self):
        s, _, b = self.e.request("POST", "/api/v1/logs?format=pcap", b"x",
                                 content_type="application/octet-stream")
        assert_error(self, s, b, 400, "bad_request", "format")
        _, tok = self.e.user_token("acme-user", "constituent", org="acme")
        s, _, b = self.e.request("POST", "/api/v1/logs?format=eve", b"{}\n",
                                 content_type="application/octet-stream", token=tok)
        assert_error(self, s, b, 403)
        # a constituent sees only its own organisation's sightings
        self.post_log(eve("2024-05-09T00:00:00+0000", "10.20.9.9", "203.0.113.66") + "\n",
                      "eve", "acme-only")
        self.post_log(eve("2024-05-09T00:00:00+0000", "10.30.9.9", "203.0.113.66") + "\n",
                      "eve", "beta-only")
        mine = self.e.list_all("/api/v1/sightings", token=tok)
        self.assertTrue(mine)
        self.assertEqual({s["org_id"] for s in mine}, {self.acme["id"]})
        self.assertNotIn("beta-only", {s["log_source"] for s in mine})
        counts = self.e.list_all("/api/v1/sightings?group=day", token=tok)
        self.assertEqual({c["org_id"] for c in counts}, {self.acme["id"]})

    def test_lookup_cidr_and_address_sightings(self):
        """Issue 15, item 13: a CIDR names every organisation owning a network inside it or
        covering it; an address's sightings include those where it was the internal side."""
        e = self.e
        inner = e.ok("POST", "/api/v1/organisations",
                     {"short_name": "acme-lab", "name": "ACME Lab",
                      "networks": ["10.20.7.0/24", "2001:db8:20::/48"]}, expect=201)
        try:
            r = e.ok("GET", "/api/v1/lookup?cidr=10.0.0.0/8")
            self.assertEqual((r["type"], r["found"], r["truncated"]), ("cidr", True, False))
            got = {(m["network"], m["relation"], m["organisation"]["short_name"])
                   for m in r["matches"]}
            self.assertEqual(got, {("10.20.0.0/16", "inside", "acme"),
                                   ("10.20.7.0/24", "inside", "acme-lab"),
                                   ("10.30.0.0/16", "inside", "beta")})
            # The first address of 10.20.0.0/20 is acme's; the lab's /24 is inside it too.
            r = e.ok("GET", "/api/v1/lookup?ip=10.20.0.0/20")
            self.assertEqual({(m["network"], m["relation"]) for m in r["matches"]},
                             {("10.20.0.0/16", "covers"), ("10.20.7.0/24", "inside")})
            r = e.ok("GET", "/api/v1/lookup?cidr=10.20.7.0/24")
            self.assertEqual({(m["network"], m["relation"]) for m in r["matches"]},
                             {("10.20.0.0/16", "covers"), ("10.20.7.0/24", "equal")})
            r = e.ok("GET", "/api/v1/lookup?cidr=2001:db8::/32")
            self.assertEqual([m["organisation"]["short_name"] for m in r["matches"]],
                             ["acme-lab"])
            r = e.ok("GET", "/api/v1/lookup?cidr=192.0.2.0/24")
            self.assertEqual((r["found"], r["matches"]), (False, []))
            for bad in ("cidr=10.0.0.1/8", "cidr=10.0.0.0/33", "cidr=x"):
                s, _, b = e.request("GET", "/api/v1/lookup?" + bad)
                assert_error(self, s, b, 400, "bad_request", field="cidr")
            # A constituent sees only the organisations it may see.
            _, tok = e.user_token("beta-cidr", "constituent", org="beta")
            r = e.ok("GET", "/api/v1/lookup?cidr=10.0.0.0/8", token=tok)
            self.assertEqual({m["organisation"]["short_name"] for m in r["matches"]}, {"beta"})
            # The CLI lists the same.
            rc, out, err = e.cli("lookup", "10.0.0.0/8")
            self.assertEqual(rc, 0, err)
            self.assertEqual(sorted(line.split("\t")[1] for line in out.splitlines()),
                             ["acme", "acme-lab", "beta"])
            rc, out, err = e.cli("lookup", "--json", "192.0.2.0/24")
            self.assertEqual((rc, json.loads(out)["found"]), (1, False))
        finally:
            e.ok("DELETE", "/api/v1/organisations/%d" % inner["id"], expect=204)
        # Sightings of an address: as the value seen (203.0.113.66, the indicator) and as the
        # internal side (10.20.4.77, the host that talked to it).
        self.post_log(eve("2024-05-11T00:00:00+0000", "10.20.4.77", "203.0.113.66") + "\n",
                      "eve", "address-test")
        internal = self.sightings("?address=10.20.4.77")
        self.assertTrue(internal)
        self.assertEqual({x["internal_ip"] for x in internal}, {"10.20.4.77"})
        self.assertEqual(self.sightings("?value=10.20.4.77"), [])
        seen = self.sightings("?address=203.0.113.66")
        self.assertIn("address-test", {x["log_source"] for x in seen})
        s, _, b = e.request("GET", "/api/v1/sightings?address=nope")
        assert_error(self, s, b, 400, "bad_request", field="address")

    def test_cli_match_db_record(self):
        e = self.e
        path = os.path.join(e.dir, "cli-eve.json")
        with open(path, "w") as f:
            f.write(eve("2024-05-10T08:00:00+0000", "10.20.5.5", "10.0.0.53",
                        "www.evil-example.eu") + "\n")
            f.write(eve("2024-05-10T08:00:01+0000", "10.20.5.5", "10.0.0.53",
                        "fine.example") + "\n")
        rc, out, err = e.cli("match", "--db", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 1, out)
        self.assertEqual(json.loads(out)["matches"][0]["indicator"], "evil-example.eu")
        # Issue 15, item 14: the id printed is the stored indicator's (one less, before).
        stored = [i for i in e.list_all("/api/v1/indicators")
                  if i["value"] == "evil-example.eu"]
        self.assertEqual(len(stored), 1, stored)
        self.assertEqual(json.loads(out)["matches"][0]["id"], stored[0]["id"])
        self.assertEqual([s for s in self.sightings("?sensor=cli-sensor")], [])
        for _ in range(2):
            rc, out, err = e.cli("match", "--db", "--record", "--source", "cli-log",
                                 "--sensor", "cli-sensor", "--count", path)
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.strip(), "1")
        got = self.sightings("?sensor=cli-sensor")
        self.assertEqual(len(got), 1, got)
        self.assertEqual((got[0]["log_source"], got[0]["org_id"], got[0]["line"]),
                         ("cli-log", self.acme["id"], 1))
        rc, out, err = e.cli("sightings", "--json", "--sensor", "cli-sensor")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["id"], got[0]["id"])
        rc, out, err = e.cli("sightings", "--group", "day", "--org", "acme", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn("2024-05-10", [json.loads(l)["day"] for l in out.splitlines()])
        rc, out, err = e.cli("match", "--record", path)
        self.assertEqual(rc, 2, err)


if __name__ == "__main__":
    main()
