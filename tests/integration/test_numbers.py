"""Issue 10, item 8: every number from a user, a file or the network is checked.

Before, unchecked strtol/strtoll turned `--limit x` into "unlimited", a bad report id into 0,
`?user=abc` into "all tokens", `cursor=c9999...` into an empty page, and a Zeek `ts` of 1e300
into an undefined float-to-integer conversion. Each entry point now refuses the value and names
the field: the CLI with exit code 2, the API with a JSON 400.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

HUGE = "99999999999999999999"


class CliNumbers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, start=False)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def refused(self, field, *args):
        rc, out, err = self.e.cli(*args)
        self.assertEqual(rc, 2, "%s: rc %d, out %r err %r" % (args, rc, out, err))
        self.assertIn(field, err, args)
        self.assertEqual(out, "", args)

    def test_limits(self):
        for value in ("x", "0", "-1", "10x", " 5", HUGE):
            self.refused("--limit", "events", "--limit", value)
            self.refused("--limit", "reports", "--limit", value)
            self.refused("--limit", "notify", "list", "--limit", value)
            self.refused("--limit", "indicators", "list", "--limit", value)
            self.refused("--limit", "sightings", "--limit", value)
            self.refused("--limit", "retrohunt", "list", "--limit", value)

    def test_ids(self):
        for value in ("x", "0", "1x", HUGE):
            self.refused("report id", "reports", "show", value)
            self.refused("--report", "quarantine", "--report", value)
            self.refused("quarantine row id", "quarantine", "retry", value)
            self.refused("token id", "token", "revoke", value)

    def test_other_numbers(self):
        self.refused("--confidence", "indicators", "add", "ip", "192.0.2.1", "--confidence",
                     "5x")
        self.refused("--expires-in-days", "token", "create", "admin", "--expires-in-days",
                     HUGE)

    def test_good_values_still_work(self):
        rc, out, err = self.e.cli("reports", "--limit", "5")
        self.assertEqual(rc, 0, err)


class ApiNumbers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def bad(self, path, field, status=400):
        s, h, b = self.e.request("GET", path)
        self.assertEqual(s, status, (path, b))
        self.assertIn("json", h.get("content-type", ""), path)
        self.assertEqual(b["error"]["code"], "bad_request", (path, b))
        self.assertEqual(b["error"]["field"], field, (path, b))

    def test_limit_and_cursor(self):
        for path in ("/api/v1/events", "/api/v1/reports", "/api/v1/quarantine",
                     "/api/v1/organisations", "/api/v1/tokens", "/api/v1/indicators",
                     "/api/v1/sightings"):
            for value in ("x", "0", "-5", "1x", HUGE):
                self.bad(path + "?limit=" + value, "limit")
            for value in ("c" + HUGE, "cx", "c-1", "x5", "c"):
                self.bad(path + "?cursor=" + value, "cursor")
        for fmt in ("ndjson", "csv"):
            self.bad("/api/v1/events?format=%s&limit=x" % fmt, "limit")
            self.bad("/api/v1/events?format=%s&limit=%s" % (fmt, HUGE), "limit")
            self.bad("/api/v1/events?format=%s&cursor=c%s" % (fmt, HUGE), "cursor")

    def test_query_ids(self):
        self.bad("/api/v1/tokens?user=abc", "user")
        self.bad("/api/v1/tokens?user=" + HUGE, "user")
        self.bad("/api/v1/quarantine?report=x", "report")
        self.bad("/api/v1/events?report=1x", "report")
        self.bad("/api/v1/events?report=" + HUGE, "report")
        self.bad("/api/v1/stats?days=x", "days")
        self.bad("/api/v1/sightings?indicator=" + HUGE, "indicator")

    def test_path_ids(self):
        for value in ("abc", "1x", "1.0", "%201", HUGE):
            for path in ("/api/v1/reports/%s", "/api/v1/events/%s", "/api/v1/users/%s",
                         "/api/v1/indicators/%s", "/api/v1/retrohunts/%s"):
                self.bad(path % value, "id")
        # A well-formed number that names nothing is still 404.
        s, h, b = self.e.request("GET", "/api/v1/reports/0")
        self.assertEqual(s, 404, b)

    def test_user_filter_is_not_all_tokens(self):
        # A valid user id still filters; a bad one is refused, not "everyone's tokens".
        u = self.e.create_user("numbers-u", "analyst")
        self.e.create_token(u["id"])
        mine = self.e.list_all("/api/v1/tokens?user=%d" % u["id"])
        self.assertEqual({t["user"] if "user" in t else t.get("user_id") for t in mine},
                         {u["id"]})


class ZeekTimestamps(unittest.TestCase):
    def test_huge_ts_is_no_time(self):
        with Ermes() as e:
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                 expect=201)
            e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.66"}, expect=201)
            log = ("#separator \\x09\n#path\tconn\n"
                   "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
                   "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
                   "1" + "0" * 300 + "\tC1\t10.20.0.5\t5\t203.0.113.66\t443\ttcp\n"
                   "9223372036854775.9\tC2\t10.20.0.6\t5\t203.0.113.66\t443\ttcp\n")
            before = time.time()
            r = e.ok("POST", "/api/v1/logs?format=zeek&source=huge-ts", log.encode(),
                     content_type="application/octet-stream")
            self.assertEqual(r["sightings"], 2, r)
            got = e.list_all("/api/v1/sightings?value=203.0.113.66")
            self.assertEqual(len(got), 2)
            for s in got:
                # No date can be that far: the record counts as seen now.
                year = int(s["time"][:4])
                self.assertEqual(year, time.gmtime(before).tm_year, s)
            self.assertTrue(e.running())


if __name__ == "__main__":
    main()
