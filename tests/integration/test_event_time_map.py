"""The events' time map (migration 70, src/store/event_time_map.c) and the setting
event_partition_width, through the real binary on both backends: reports whose events' times
are out of order (a feed reporting old observations late) are stored by the daemon; the events
list with since/until, through the API page after page and through `ermes events`, gives
exactly the events whose time.source is in the range, in the list's order; the map has a row
per block with the least and greatest times of its events; a width set with `ermes settings
set` is what the daemon uses next: on PostgreSQL the next partition it makes has it, on SQLite
the time map's next blocks."""

import json
import os
import sys
import unittest
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main, postgresql, wait_until  # noqa: E402

HEADER = (b'"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          b'"naics","sic","name","model","device","features","device_vendor","device_type",'
          b'"device_model","device_version","device_sector"\n')

# Four reports in the order they arrive: the third reports observations older than the first.
DAYS = [("2026-03-%02d" % d) for d in (10, 11, 12)], [("2026-03-%02d" % d) for d in (13, 14)], \
    [("2026-02-%02d" % d) for d in (1, 20, 27)], [("2026-03-%02d" % d) for d in (15, 16)]


def report(n, days, first):
    rows = b"".join(b'"%s %02d:00:00","10.0.%d.%d","tcp",5555,"h","adb",64496,"BE",,,,,,,,,,,,,\n'
                    % (days[k % len(days)].encode(), k % 24, first, k) for k in range(n))
    return HEADER + rows


def ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp() * 1000)


class TimeMap(unittest.TestCase):
    def setUp(self):
        self.e = Ermes(start=False)
        rc, out, err = self.e.cli("settings", "set", "event_partition_width", "1000")
        self.assertEqual(rc, 0, err + out)
        self.e.start()
        if postgresql():
            # The daemon stores the width before it makes its first partition ahead; a report
            # stored before that would make one of the width the table had.
            wait_until(lambda: self.sql("SELECT width FROM event_partitioning")[0][0] == 1000,
                       timeout=60)

    def tearDown(self):
        self.e.close()

    def sql(self, q):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            return db.execute(q).fetchall()

    def upload(self, body, name):
        s, _, b = self.e.request("POST", "/api/v1/reports?feed=shadowserver&wait=true&file_name="
                                 + name, body=body, headers={"Content-Type": "text/csv"})
        self.assertIn(s, (200, 201), b)
        return b

    def test_lists_and_width(self):
        for k, days in enumerate(DAYS):
            self.upload(report(40, days, k), "2026-03-%02d-scan_adb-example-geo.csv" % (k + 1))
        every = self.e.list_all("/api/v1/events", limit=500)
        self.assertEqual(len(every), 160)
        times = {ev["id"]: ms(ev["event"]["time.source"]) for ev in every}
        ids = sorted(times)
        # The late report's events were stored after newer ones: times out of id order.
        self.assertTrue(any(times[a] > times[b] for a, b in zip(ids, ids[1:])))
        for since, until in (("2026-02-01T00:00:00Z", "2026-02-21T00:00:00Z"),
                             ("2026-03-11T00:00:00Z", "2026-03-14T05:00:00Z"),
                             ("2026-03-15T00:00:00Z", None), (None, "2026-03-01T00:00:00Z"),
                             ("2026-04-01T00:00:00Z", None)):
            lo = ms(since.replace("Z", "+0000")) if since else None
            hi = ms(until.replace("Z", "+0000")) if until else None
            want = [i for i in ids if (lo is None or times[i] >= lo)
                    and (hi is None or times[i] < hi)]
            q = "&".join(x for x in ("since=" + since if since else "",
                                     "until=" + until if until else "") if x)
            for order, expect in (("", want), ("&order=newest", want[::-1])):
                for limit in (1, 7, 100):
                    got = [ev["id"] for ev in self.e.list_all("/api/v1/events?" + q + order,
                                                              limit=limit)]
                    self.assertEqual(got, expect, (q, order, limit))
            s, _, b = self.e.request("GET", "/api/v1/events?" + q + "&limit=1")
            self.assertEqual(s, 200, b)
            args = ["events", "--format", "ndjson"]
            if since:
                args += ["--since", since]
            if until:
                args += ["--until", until]
            rc, out, err = self.e.cli(*args)
            self.assertEqual(rc, 0, err)
            self.assertEqual([json.loads(x)["id"] for x in out.splitlines() if x.strip()], want,
                             q)
        # The map: a row per block holding timed events, its least and greatest time theirs.
        rows = self.sql("SELECT lo, hi, min_time, max_time FROM event_time_map ORDER BY lo")
        self.assertTrue(rows)
        for lo, hi, mn, mx in rows:
            inside = [times[i] for i in ids if lo <= i < hi]
            self.assertEqual((mn, mx), (min(inside), max(inside)))
        if postgresql():
            self.assertEqual(self.sql("SELECT width FROM event_partitioning")[0][0], 1000)
            self.assertTrue(all(hi - lo == 1000 for lo, hi, _, _ in rows), rows)
        else:
            self.assertEqual([(lo, hi) for lo, hi, _, _ in rows], [(0, 1000)])

        # A new width: the partitions made next (the daemon makes one whole partition past the
        # next id, so the width's change makes one at once), the map's next blocks on SQLite.
        # Out of bounds (1,000 to 1,000,000,000): refused, nothing stored.
        for bad in ("999", "1000000001", "0", "-5", "12ab"):
            rc, out, err = self.e.cli("settings", "set", "event_partition_width", bad)
            self.assertNotEqual(rc, 0, bad)
            self.assertIn("event_partition_width", err + out)
        rc, out, err = self.e.cli("settings", "set", "event_partition_width", "2500")
        self.assertEqual(rc, 0, err + out)
        if postgresql():
            wait_until(lambda: self.sql("SELECT count(*) FROM event_partitions"
                                        " WHERE hi - lo = 2500")[0][0] == 1, timeout=90)
            widths = [hi - lo for lo, hi in
                      self.sql("SELECT lo, hi FROM event_partitions ORDER BY lo")]
            self.assertEqual(widths[-1], 2500)
            self.assertTrue(all(w == 1000 for w in widths[:-1]), widths)
            self.assertEqual(self.sql("SELECT width FROM event_partitioning")[0][0], 2500)
        else:
            # The daemon takes the stored setting within seconds; each report is a batch (of a
            # new address: the same event again would be a duplicate, not stored).
            sent = [0]

            def new_block():
                sent[0] += 1
                self.upload(report(1, ["2026-03-20"], 100 + sent[0]),
                            "2026-03-20-scan_adb-example-geo.csv")
                return self.sql("SELECT count(*) FROM event_time_map WHERE lo = 0"
                                " AND hi = 2500")[0][0] == 1
            wait_until(new_block, timeout=90)


if __name__ == "__main__":
    main()
