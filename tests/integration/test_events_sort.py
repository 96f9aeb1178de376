"""Events for triage (issue 15, item 12): the list sorted by a column of an allow-list.

GET /api/v1/events?sort=time|feed|taxonomy|type|stored ('-' in front: descending) sorts on the
server, the id breaking ties the same way, and its pages follow on from each other with the
usual cursor (the last event's id): every event once, in the order asked, on both backends,
also when more events arrive between two pages. The NDJSON export follows the same order.
Anything else is refused naming the field.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402
from test_notify import COLUMNS, quote, report  # noqa: E402

EVENTS = "/api/v1/events"

# (ip, time.source, type): times out of the stored order, some equal (ties broken by id).
BATCH_A = [("198.51.100.1", "2026-03-01T12:00:00Z", "scanner"),
           ("198.51.100.2", "2026-03-01T08:00:00Z", "vulnerable-system"),
           ("198.51.100.3", "2026-03-01T10:00:00Z", "scanner"),
           ("198.51.100.4", "2026-03-01T08:00:00Z", "infected-system")]
BATCH_B = [("192.0.2.140", "2026-03-01T09:00:00Z", "scanner"),
           ("192.0.2.141", "2026-03-01T13:00:00Z", "vulnerable-system"),
           ("192.0.2.142", "2026-03-01T10:00:00Z", "infected-system")]


class EventsSortTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        cls.ingest(BATCH_A, "sort-feed-b")
        cls.ingest(BATCH_B, "sort-feed-a")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    @classmethod
    def ingest(cls, rows, feed):
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=s.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=" + feed))
        status, _, body = cls.e.request("POST", path, report([r + ("GREEN",) for r in rows]),
                                        content_type="text/csv")
        assert status in (200, 201), body
        assert body["accounting"]["events"] == len(rows), body

    def pages(self, query, limit=2, token=None):
        """Every event of the list, page by page; (events, number of pages)."""
        out, cursor, n = [], None, 0
        while True:
            path = EVENTS + "?" + query + "&limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
            args = {"token": token} if token else {}
            status, _, page = self.e.request("GET", path, **args)
            self.assertEqual(status, 200, page)
            out += page["data"]
            n += 1
            cursor = page["next_cursor"]
            if not cursor:
                return out, n

    def all_events(self):
        return self.pages("order=oldest", 50)[0]

    @staticmethod
    def key(name):
        return {"time": lambda r: (r["event"]["time.source"], r["id"]),
                "feed": lambda r: (r["event"]["feed.name"], r["id"]),
                "type": lambda r: (r["event"]["classification.type"], r["id"]),
                "taxonomy": lambda r: (r["event"].get("classification.taxonomy", ""), r["id"]),
                "stored": lambda r: (r["id"],)}[name]

    def test_sorted_pages(self):
        every = self.all_events()
        self.assertGreaterEqual(len(every), 7)
        for name in ("time", "feed", "type", "taxonomy", "stored"):
            for desc in (False, True):
                with self.subTest(sort=name, desc=desc):
                    want = sorted(every, key=self.key(name), reverse=desc)
                    got, n = self.pages("sort=" + ("-" if desc else "") + name)
                    self.assertEqual([r["id"] for r in got], [r["id"] for r in want])
                    self.assertEqual(n, (len(every) + 1) // 2)  # pages of 2
        # With a filter, and the NDJSON export in the same order.
        want = sorted([r for r in every if r["event"]["classification.type"] == "scanner"],
                      key=self.key("time"), reverse=True)
        got, _ = self.pages("sort=-time&type=scanner", 1)
        self.assertEqual([r["id"] for r in got], [r["id"] for r in want])
        status, _, raw = self.e.request("GET", EVENTS + "?sort=-time&type=scanner&format=ndjson",
                                        raw=True)
        self.assertEqual(status, 200)
        self.assertEqual([json.loads(x)["id"] for x in raw.decode().splitlines()],
                         [r["id"] for r in want])

    def test_pages_follow_on_when_events_arrive(self):
        every = self.all_events()
        first = self.e.ok("GET", EVENTS + "?sort=time&limit=3")
        want = sorted(every, key=self.key("time"))
        self.assertEqual([r["id"] for r in first["data"]], [r["id"] for r in want[:3]])
        # A later event sorted before the cursor: not on the next pages; one after: it is.
        self.ingest([("198.51.100.5", "2026-02-01T00:00:00Z", "scanner"),
                     ("198.51.100.6", "2026-04-01T00:00:00Z", "scanner")], "sort-feed-c")
        rest, cursor = [], first["next_cursor"]
        while cursor:
            page = self.e.ok("GET", EVENTS + "?sort=time&limit=3&cursor=" + cursor)
            rest += page["data"]
            cursor = page["next_cursor"]
        times = [r["event"]["time.source"] for r in rest]
        self.assertNotIn("2026-02-01T00:00:00+00:00", times)
        self.assertEqual(times[-1], "2026-04-01T00:00:00+00:00")
        self.assertEqual([r["id"] for r in rest[:-1]], [r["id"] for r in want[3:]])

    def test_constituent_sorts_its_own(self):
        _, tok = self.e.user_token("sort-uma", "constituent", org="UMA")
        got, _ = self.pages("sort=-type", 2, token=tok)
        uma = [r for r in self.all_events() if r["event"].get("constituency") == "UMA"]
        self.assertTrue(uma)
        self.assertEqual([r["id"] for r in got],
                         [r["id"] for r in sorted(uma, key=self.key("type"), reverse=True)])

    def test_refused(self):
        for query, field in (("sort=source.ip", "sort"), ("sort=time;drop", "sort"),
                             ("sort=--time", "sort"), ("sort=time&order=newest", "sort")):
            status, _, b = self.e.request("GET", EVENTS + "?" + query)
            self.assertEqual((status, b["error"]["field"]), (400, field), (query, b))


if __name__ == "__main__":
    main()
