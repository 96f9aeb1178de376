"""The events list for triage (issue 15 item 12): newest first on request (order=newest, the
web UI's default), walked page by page with the same cursor as oldest first, and a total of
what matches (GET /api/v1/events/count, exact up to 100,000), for staff and for a constituent
who sees only its own."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402

REPORTS = "/api/v1/reports"


def blocklist(first, n, net):
    """n blocklist.de rows: addresses net.first .. net.first+n-1."""
    return "".join("%s.%d\n" % (net, first + k) for k in range(n)).encode()


class EventsOrder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            for short, net in (("ACME", "192.0.2.0/26"), ("BETA", "198.51.100.0/26")):
                e.ok("POST", "/api/v1/organisations",
                     {"short_name": short, "name": short + " Ltd", "type": "company",
                      "networks": [net]}, expect=201)
            _, cls.acme_token = e.user_token("conny", "constituent", org="ACME")
            for k, (net, n) in enumerate((("192.0.2", 23), ("198.51.100", 11), ("192.0.2", 9))):
                r = e.ok("POST", REPORTS + "?feed=blocklistde&wait=true&file_name=r%d.txt" % k,
                         blocklist(1 + 30 * (k // 2), n, net), content_type="text/plain",
                         expect=201)
                assert r["state"] == "done", r
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def walk(self, query, token=None, limit=5):
        kw = {} if token is None else {"token": token}
        ids, cursor = [], None
        while True:
            q = query + "&limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
            page = self.e.ok("GET", "/api/v1/events?" + q, **kw)
            ids += [x["id"] for x in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                return ids

    def test_newest_first_is_oldest_first_reversed(self):
        oldest = self.walk("order=oldest")
        self.assertEqual(len(oldest), 43)
        self.assertEqual(oldest, sorted(oldest))
        self.assertEqual(self.walk("order=newest"), oldest[::-1])
        self.assertEqual(self.walk("x=1"), oldest, "oldest first stays the default")
        # With filters, and for a constituent.
        acme = self.walk("order=newest&ip=192.0.2.0/24")
        self.assertEqual(len(acme), 32)
        self.assertEqual(acme, sorted(acme, reverse=True))
        self.assertEqual(self.walk("order=newest", token=self.acme_token), acme)
        # NDJSON exports follow the order too.
        s, _, body = self.e.request("GET", "/api/v1/events?format=ndjson&order=newest", raw=True)
        self.assertEqual(s, 200)
        ids = [json.loads(line)["id"] for line in body.decode().splitlines()]
        self.assertEqual(ids, oldest[::-1])

    def test_count(self):
        c = self.e.ok("GET", "/api/v1/events/count")
        self.assertEqual(c, {"count": 43, "exact": True})
        self.assertEqual(self.e.ok("GET", "/api/v1/events/count?ip=198.51.100.0/24")["count"], 11)
        self.assertEqual(self.e.ok("GET", "/api/v1/events/count?org=ACME&order=newest")["count"],
                         32)
        self.assertEqual(self.e.ok("GET", "/api/v1/events/count?feed=none-such")["count"], 0)
        # A constituent counts what it may see, not the others'.
        self.assertEqual(self.e.ok("GET", "/api/v1/events/count",
                                   token=self.acme_token)["count"], 32)
        s, _, b = self.e.request("GET", "/api/v1/events/count?since=yesterday")
        assert_error(self, s, b, 400, "bad_request", "since")

    def test_bad_order(self):
        s, _, b = self.e.request("GET", "/api/v1/events?order=random")
        assert_error(self, s, b, 400, "bad_request", "order")

    def test_cli_order(self):
        rc, out, err = self.e.cli("events", "--format", "ndjson", "--order", "newest")
        self.assertEqual(rc, 0, err)
        ids = [json.loads(line)["id"] for line in out.splitlines()]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertEqual(len(ids), 43)


if __name__ == "__main__":
    main()
