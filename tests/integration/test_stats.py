"""GET /api/v1/stats: the figures of a small ingested report match the events, a constituent
sees its own organisation's only, days is checked, and the migration's backfill of
event_daily recounts the events already stored. Events are counted by the day they happened
(time.source), not the day they arrived; those without one by time.observation, and the
answer says how many (issue 15, item 12)."""

import os
import sys
import time
import unittest
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, db_connect, main, postgresql  # noqa: E402

REPORTS = "/api/v1/reports"
SSH = b"192.0.2.1\n192.0.2.2\n198.51.100.1\n203.0.113.9\n"
BOTS = b"192.0.2.3\n"


class StatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            for short, net in (("ACME", "192.0.2.0/28"), ("BETA", "198.51.100.0/28")):
                e.ok("POST", "/api/v1/organisations",
                     {"short_name": short, "name": short + " Ltd", "type": "company",
                      "networks": [net]}, expect=201)
            _, cls.acme_token = e.user_token("conny", "constituent", org="ACME")
            _, cls.beta_token = e.user_token("bea", "constituent", org="BETA")
            for name, body in (("ssh.txt", SSH), ("bots.txt", BOTS)):
                r = e.ok("POST", REPORTS + "?feed=blocklistde&wait=true&file_name=" + name,
                         body, content_type="text/plain", expect=201)
                assert r["state"] == "done", r
            cls.events = [x["event"] for x in e.list_all("/api/v1/events")]
            assert len(cls.events) == 5, cls.events
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def stats(self, token=None, query=""):
        kw = {} if token is None else {"token": token}
        return self.e.ok("GET", "/api/v1/stats" + query, **kw)

    def check_days(self, days, n):
        self.assertEqual(len(days), n)
        for a, b in zip(days, days[1:]):
            ta = time.mktime(time.strptime(a["day"], "%Y-%m-%d"))
            tb = time.mktime(time.strptime(b["day"], "%Y-%m-%d"))
            self.assertAlmostEqual(tb - ta, 86400, delta=3600, msg=(a, b))
        self.assertEqual(days[-1]["day"], time.strftime("%Y-%m-%d", time.gmtime()))

    def test_staff_figures_match_the_events(self):
        st = self.stats()
        self.check_days(st["events_per_day"], 14)
        self.assertEqual(sum(d["count"] for d in st["events_per_day"]), 5)
        self.assertEqual(st["events_per_day"][-1]["count"], 5, "stored today")
        self.assertEqual(st["from"][:10], st["events_per_day"][0]["day"])
        want = Counter((ev.get("classification.taxonomy"), ev.get("classification.type"))
                       for ev in self.events)
        got = Counter({(c["taxonomy"], c["type"]): c["count"]
                       for c in st["events_per_classification"]})
        self.assertEqual(got, want)
        self.assertEqual([(c["org"], c["count"]) for c in st["events_per_constituent"]],
                         [("ACME", 3), ("BETA", 1)])
        self.check_days(st["sightings_per_day"], 14)
        self.assertEqual(sum(d["count"] for d in st["sightings_per_day"]), 0)
        self.assertEqual(st["notifications"], {"pending": 0, "failed": 0, "sent": 0})
        self.assertEqual(st["quarantine"], {"open": 0})
        self.assertEqual(st["stale_feeds"], [], "two reports do not make a rhythm")

    def test_constituent_sees_its_own(self):
        st = self.stats(self.acme_token)
        self.assertEqual(sum(d["count"] for d in st["events_per_day"]), 3)
        self.assertEqual([(c["org"], c["count"]) for c in st["events_per_constituent"]],
                         [("ACME", 3)])
        self.assertEqual(sum(c["count"] for c in st["events_per_classification"]), 3)
        self.assertEqual(st["notifications"], {"pending": 0, "failed": 0, "sent": 0})
        self.assertEqual(st["stale_feeds"], [])
        st = self.stats(self.beta_token, "?days=1")
        self.assertEqual(st["events_per_day"][0]["count"], 1)
        self.assertEqual([c["org"] for c in st["events_per_constituent"]], ["BETA"])

    def test_days(self):
        st = self.stats(query="?days=1")
        self.check_days(st["events_per_day"], 1)
        self.assertEqual(st["events_per_day"][0]["count"], 5)
        self.check_days(self.stats(query="?days=90")["events_per_day"], 90)
        for bad in ("0", "91", "x", "", "-1", "1.5"):
            s, _, b = self.e.request("GET", "/api/v1/stats?days=" + bad)
            assert_error(self, s, b, 400, "bad_request", field="days")
        s, _, b = self.e.request("GET", "/api/v1/stats", token=None)
        assert_error(self, s, b, 401)


class BackfillTest(unittest.TestCase):
    def test_migration_recounts_stored_events(self):
        with Ermes() as e:
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": "ACME", "name": "Acme", "type": "company",
                  "networks": ["192.0.2.0/28"]}, expect=201)
            e.ok("POST", REPORTS + "?feed=blocklistde&wait=true&file_name=ssh.txt", SSH,
                 content_type="text/plain", expect=201)
            before = e.ok("GET", "/api/v1/stats")
            e.stop()
            # As a database from before the summary: its rows gone, the migration pending.
            if postgresql():
                # PostgreSQL databases start at the current schema (schema.c): there is no
                # database from before the summary to backfill, and every version is there.
                db = db_connect(os.path.join(e.dir, "ermes.db"))
                versions = [r[0] for r in db.execute("SELECT version FROM schema_version")]
                self.assertEqual(sorted(versions), list(range(1, max(versions) + 1)))
                e.start()
                after = e.ok("GET", "/api/v1/stats")
                for k in ("events_per_day", "events_per_classification",
                          "events_per_constituent"):
                    self.assertEqual(after[k], before[k], k)
                return
            db = db_connect(os.path.join(e.dir, "ermes.db"))
            # Migration 16 renames and adds columns, which cannot run twice: undone first.
            db.executescript(
                "ALTER TABLE reports RENAME COLUMN lease_owner TO lease_pid;"
                "ALTER TABLE notifications RENAME COLUMN lease_owner TO lease_pid;"
                "ALTER TABLE collectors RENAME COLUMN lease_owner TO lease_pid;"
                "ALTER TABLE retrohunts DROP COLUMN lease_owner;"
                "ALTER TABLE retrohunts DROP COLUMN lease_until;"
                "DROP TABLE instances; DROP TABLE leases;")
            with db:
                # Migration 8 made event_daily and backfills it; it and the later ones but 16
                # are written to run again over their own tables (IF NOT EXISTS).
                db.execute("DELETE FROM event_daily")
                db.execute("DELETE FROM schema_version WHERE version >= 8")
            db.close()
            e.start()
            after = e.ok("GET", "/api/v1/stats")
            for k in ("events_per_day", "events_per_classification", "events_per_constituent"):
                self.assertEqual(after[k], before[k], k)
            self.assertEqual(sum(d["count"] for d in after["events_per_day"]), 4)


SHADOW_HEADER = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region",'
                 '"city","naics","sic","name","model","device","features","device_vendor",'
                 '"device_type","device_model","device_version","device_sector"\n')
SHADOW_ROW = ('"%s","%s","tcp",5555,"h%d.example","adb",,"NL","R","C",518210,737415,"n","m",'
              '"d",,,,,,\n')


class TimeSourceTest(unittest.TestCase):
    def test_events_counted_by_the_day_they_happened(self):
        now = time.time()
        day = lambda ago: time.strftime("%Y-%m-%d", time.gmtime(now - ago * 86400))  # noqa: E731
        # time.source 3 days ago (x2), 10 days ago (x3), 200 days ago (x1: out of any range);
        # and two events without one (blocklistde: counted by time.observation, today).
        happened = [3, 3, 10, 10, 10, 200]
        rows = "".join(SHADOW_ROW % (time.strftime("%Y-%m-%d 12:00:00",
                                                   time.gmtime(now - ago * 86400)),
                                     "192.0.2.%d" % (1 + k), k)
                       for k, ago in enumerate(happened))
        with Ermes(demo=True) as e:
            e.ok("POST", REPORTS + "?feed=shadowserver&wait=true&file_name="
                 "2026-01-02-scan_adb-timesource.csv", SHADOW_HEADER + rows,
                 content_type="text/csv", expect=201)
            e.ok("POST", REPORTS + "?feed=blocklistde&wait=true&file_name=ts.txt",
                 b"198.51.100.7\n198.51.100.8\n", content_type="text/plain", expect=201)
            st = e.ok("GET", "/api/v1/stats?days=14")
            self.assertEqual(st["events_time"], "time.source")
            by_day = {d["day"]: d["count"] for d in st["events_per_day"]}
            self.assertEqual(by_day[day(3)], 2, st["events_per_day"])
            self.assertEqual(by_day[day(10)], 3, st["events_per_day"])
            self.assertEqual(by_day[day(0)], 2, "the two without time.source: today")
            self.assertEqual(sum(by_day.values()), 7, "the one of 200 days ago is out")
            self.assertEqual(st["events_by_observation"], 2)
            self.assertEqual(e.ok("GET", "/api/v1/stats?days=7")["events_by_observation"], 2)
            # The classifications of the range, by the same days.
            self.assertEqual(sum(c["count"] for c in st["events_per_classification"]), 7)


class StaleFeedTest(unittest.TestCase):
    def test_a_feed_that_stopped_is_stale(self):
        with Ermes() as e:
            for _ in range(3):
                # The same file three times: force=true, else it is "already received".
                e.ok("POST", REPORTS + "?feed=blocklistde&wait=true&force=true&file_name=ssh.txt",
                     SSH, content_type="text/plain", expect=201)
            self.assertEqual(e.ok("GET", "/api/v1/stats")["stale_feeds"], [])
            e.stop()
            # The three reports came an hour apart, the last one three days ago.
            now = int(time.time() * 1000)
            db = db_connect(os.path.join(e.dir, "ermes.db"))
            with db:
                ids = [r[0] for r in db.execute("SELECT id FROM reports ORDER BY id")]
                for k, rid in enumerate(ids):
                    db.execute("UPDATE reports SET received_at = ? WHERE id = ?",
                               (now - 3 * 86400000 - (len(ids) - 1 - k) * 3600000, rid))
            db.close()
            e.start()
            stale = e.ok("GET", "/api/v1/stats")["stale_feeds"]
            self.assertEqual(len(stale), 1, stale)
            self.assertEqual(stale[0]["feed"], "blocklistde")
            self.assertEqual(stale[0]["usual_interval_s"], 3600)
            # A factor large enough makes three days usual.
            e.restart(extra_args=["--stale-feed-factor", "100"])
            self.assertEqual(e.ok("GET", "/api/v1/stats")["stale_feeds"], [])


if __name__ == "__main__":
    main()
