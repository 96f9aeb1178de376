"""The events list reads each event's triage in its own statement (one query per page, not one
more per event: bench/README.md, the events list on PostgreSQL). Every form of the list the
filters make (oldest and newest first, sorted by a column, an organisation, an address or
network, a time range read through the time map, a report, a constituent's view, JSON pages
walked by their cursor, NDJSON and CSV exports) gives the same events in the same order with
the triage each event's own page (GET /api/v1/events/{id}) gives, on both backends.
"""

import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, main  # noqa: E402
from test_notify import COLUMNS, quote, report  # noqa: E402

EVENTS = "/api/v1/events"
STATES = ["confirmed", "false_positive", "benign", "duplicate"]

# (ip, time.source): two organisations' networks and one nobody owns, over three days.
ROWS = [("192.0.2.%d" % (10 + k), "2026-03-0%dT%02d:00:00Z" % (1 + k % 3, k)) for k in range(12)]
ROWS += [("198.51.100.%d" % (10 + k), "2026-03-0%dT%02d:00:00Z" % (1 + k % 3, k))
         for k in range(9)]
ROWS += [("203.0.113.%d" % (10 + k), "2026-03-02T%02d:30:00Z" % k) for k in range(5)]


class EventsListTriage(DaemonTest):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        e = cls.e
        for short, net in (("ACME", "192.0.2.0/24"), ("BETA", "198.51.100.0/24")):
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": short, "name": short + " Ltd", "type": "company",
                  "networks": [net]}, expect=201)
        _, cls.acme_token = e.user_token("conny", "constituent", org="ACME")
        # Two reports, the second's events after the first's.
        cls.reports = []
        for k, part in enumerate((ROWS[:14], ROWS[14:])):
            path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=t%d.csv" % k
                    + "&option=" + quote("columns=" + COLUMNS)
                    + "&option=" + quote("skip_header=true")
                    + "&option=" + quote("feed_name=triage-feed"))
            status, _, body = e.request("POST", path,
                                        report([r + ("scanner", "GREEN") for r in part]),
                                        content_type="text/csv")
            assert status in (200, 201), body
            assert body["accounting"]["events"] == len(part), body
            cls.reports.append(body["id"])
        cls.ids = [x["id"] for x in e.ok("GET", EVENTS + "?limit=1000")["data"]]
        assert len(cls.ids) == len(ROWS), cls.ids
        # Every third event triaged, the states in turn; the rest stay new.
        cls.want = {}
        for n, i in enumerate(cls.ids):
            if n % 3 == 0:
                state = STATES[(n // 3) % len(STATES)]
                e.ok("PATCH", "%s/%d" % (EVENTS, i), {"triage": state, "note": "t"})
                cls.want[i] = state
            else:
                cls.want[i] = "new"

    def walk(self, query, token=None, limit=4):
        """Every page of the query; the (id, triage) of each record in order."""
        kw = {} if token is None else {"token": token}
        got, cursor = [], None
        while True:
            q = query + "&limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
            page = self.e.ok("GET", EVENTS + "?" + q, **kw)
            got += [(x["id"], x["triage"]) for x in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                return got

    def check(self, got, token=None):
        """The triage of each record is its event's own page's."""
        kw = {} if token is None else {"token": token}
        for i, state in got:
            self.assertEqual(state, self.want[i], "event %d" % i)
            self.assertEqual(self.e.ok("GET", "%s/%d" % (EVENTS, i), **kw)["triage"], state)

    def test_every_form_of_the_list(self):
        ids = self.ids
        self.assertEqual(sorted(set(self.want.values())), sorted(STATES + ["new"]))
        cases = {
            "x=1": ids,
            "order=newest": ids[::-1],
            "org=ACME": ids[:12],
            "order=newest&org=BETA": ids[12:21][::-1],
            "ip=198.51.100.0/24": ids[12:21],
            "ip=203.0.113.12": [ids[23]],
            "report=%d" % self.reports[1]: ids[14:],
        }
        for query, want in cases.items():
            for limit in (1, 4, 100):
                got = self.walk(query, limit=limit)
                self.assertEqual([i for i, _ in got], want, "%s limit %d" % (query, limit))
                self.check(got)
        # A time range (through the time map): the events of 2 March, in id order.
        times = {i: t for i, (_, t) in zip(ids, ROWS)}
        day2 = [i for i in ids if times[i].startswith("2026-03-02")]
        for query in ("since=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z",
                      "since=2026-03-02T00:00:00Z&until=2026-03-03T00:00:00Z&order=newest"):
            got = self.walk(query, limit=3)
            want = day2[::-1] if "newest" in query else day2
            self.assertEqual([i for i, _ in got], want, query)
            self.check(got)
        # Sorted by a column: the time, the id breaking ties.
        got = self.walk("sort=-time", limit=5)
        self.assertEqual([i for i, _ in got], sorted(ids, key=lambda i: (times[i], i),
                                                     reverse=True))
        self.check(got)

    def test_constituent(self):
        got = self.walk("order=newest", token=self.acme_token, limit=5)
        self.assertEqual([i for i, _ in got], self.ids[:12][::-1])
        self.check(got, token=self.acme_token)

    def test_exports(self):
        s, _, body = self.e.request("GET", EVENTS + "?format=ndjson&order=newest", raw=True)
        self.assertEqual(s, 200)
        got = [(r["id"], r["triage"]) for r in map(json.loads, body.decode().splitlines())]
        self.assertEqual([i for i, _ in got], self.ids[::-1])
        self.check(got)
        # The CSV has no triage column: the same events, in order.
        s, _, body = self.e.request("GET", EVENTS + "?format=csv", raw=True)
        self.assertEqual(s, 200)
        rows = list(csv.reader(io.StringIO(body.decode())))
        self.assertEqual([int(r[0]) for r in rows[1:]], self.ids)


if __name__ == "__main__":
    main()
