"""Retention (setting retention_days, `ermes retention`, the daemon's hourly run), through the
real binary on both backends: events stored before the cut-off go with their address index,
correlation and triage rows, except those linked to an incident; a report left without events
is marked expired, its quarantined rows deleted and its raw file removed unless a report not
expired holds the same file; a dry run changes nothing; the run is audited; the daemon applies
a retention_days set through the settings API without a restart."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main, postgresql, wait_until  # noqa: E402

HEADER = (b'"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          b'"naics","sic","name","model","device","features","device_vendor","device_type",'
          b'"device_model","device_version","device_sector"\n')


def report(*ips, bad=True):
    rows = b"".join(b'"2026-01-01 02:07:16","%s","tcp",5555,"h","adb",64496,"BE",,,,,,,,,,,,,\n'
                    % ip.encode() for ip in ips)
    if bad:
        rows += b'"2026-01-01 02:07:16","999.1.1.1","tcp",5555,"h","adb",64496,"BE",,,,,,,,,,,,,\n'
    return HEADER + rows


DAY_MS = 86400 * 1000
FILE_NAME = "2026-01-01-scan_adb-example-geo.csv"


class Retention(unittest.TestCase):
    def setUp(self):
        self.e = Ermes()

    def tearDown(self):
        self.e.close()

    def upload(self, body, force=False):
        q = "feed=shadowserver&wait=true&file_name=" + FILE_NAME + ("&force=true" if force else "")
        s, _, b = self.e.request("POST", "/api/v1/reports?" + q, body=body,
                                 headers={"Content-Type": "text/csv"})
        self.assertIn(s, (200, 201), b)
        return b

    def events_of(self, report_id):
        return self.e.list_all("/api/v1/events?report=%d" % report_id)

    def backdate(self, report_ids, days):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            for rid in report_ids:
                db.execute("UPDATE events SET created_at = created_at - %d WHERE report_id = %d"
                           % (days * DAY_MS, rid))
                db.execute("UPDATE reports SET received_at = received_at - %d WHERE id = %d"
                           % (days * DAY_MS, rid))
            db.commit()

    def rows(self, sql):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            return db.execute(sql).fetchall()

    def retention(self, *args):
        rc, out, err = self.e.cli("retention", "--json", *args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_cli_run(self):
        a = self.upload(report("198.51.100.1", "198.51.100.2"))
        b = self.upload(report("198.51.100.3", "198.51.100.4", bad=False))
        c = self.upload(report("198.51.100.1", "198.51.100.2"), force=True)  # A's file again
        self.assertEqual((a["accounting"]["events"], a["accounting"]["quarantined"]), (2, 1))
        self.assertEqual(c["accounting"]["quarantined"], 1)
        b_events = [ev["id"] for ev in self.events_of(b["id"])]
        a_events = [ev["id"] for ev in self.events_of(a["id"])]
        self.assertEqual((len(a_events), len(b_events)), (2, 2))
        # One of B's events is an incident's evidence; one of A's has a triage state.
        s, _, body = self.e.request("POST", "/api/v1/triage", body={
            "events": [b_events[0]], "state": "confirmed",
            "open_incident": {"title": "adb exposed", "rsit_class": "vulnerable",
                              "rsit_type": "vulnerable-system", "severity": "medium"}})
        self.assertEqual(s, 200, body)
        s, _, body = self.e.request("PATCH", "/api/v1/events/%d" % a_events[0],
                                    body={"triage": "benign"})
        self.assertEqual(s, 200, body)
        self.assertEqual(self.e.cli("correlate", "198.51.100.2")[0], 0)
        self.backdate([a["id"], b["id"]], 40)
        path = os.path.join(self.e.dir, "reports", a["sha256"])
        self.assertTrue(os.path.exists(path))

        # Nothing is old enough for 60 days; a dry run for 30 counts and changes nothing.
        self.assertEqual(self.retention("--days", "60")["events"], 0)
        dry = self.retention("--days", "30", "--dry-run")
        self.assertEqual((dry["events"], dry["events_kept"], dry["reports"]), (3, 1, 1))
        self.assertEqual(len(self.events_of(a["id"])), 2)

        run = self.retention("--days=30")
        self.assertEqual((run["events"], run["events_kept"], run["reports"], run["quarantined"],
                          run["files"]), (3, 1, 1, 1, 0))
        self.assertEqual(self.events_of(a["id"]), [])
        self.assertEqual([ev["id"] for ev in self.events_of(b["id"])], [b_events[0]])
        # The address index and the triage rows of the events that went went with them.
        self.assertEqual(self.e.list_all("/api/v1/events?ip=198.51.100.1"), [])
        self.assertEqual(len(self.e.list_all("/api/v1/events?ip=198.51.100.3")), 1)
        self.assertEqual(self.rows("SELECT count(*) FROM event_ips WHERE id IN (%s)"
                                   % ",".join(map(str, a_events)))[0][0], 0)
        self.assertEqual(self.rows("SELECT count(*) FROM triage WHERE object_id = %d"
                                   % a_events[0])[0][0], 0)
        self.assertEqual(self.rows("SELECT count(*) FROM corr_postings WHERE kind = 2 AND id IN"
                                   " (%s)" % ",".join(map(str, a_events)))[0][0], 0)
        # A is expired: its row and accounting stay, its quarantined row goes; its file stays
        # while C (the same bytes, not expired) holds it.
        ra = self.e.ok("GET", "/api/v1/reports/%d" % a["id"])
        self.assertIn("expired_at", ra)
        self.assertEqual(ra["accounting"]["events"], 2)
        self.assertNotIn("expired_at", self.e.ok("GET", "/api/v1/reports/%d" % b["id"]))
        quarantined = {q["report_id"] for q in self.e.list_all("/api/v1/quarantine")}
        self.assertEqual(quarantined, {c["id"]})
        self.assertTrue(os.path.exists(path))
        # Audited once, with the counts.
        audit = [x for x in self.e.list_all("/api/v1/audit")
                 if x.get("action") == "expire" and x.get("object_type") == "retention"]
        self.assertEqual(len(audit), 1, audit)
        self.assertIn('"events":3', json.dumps(audit[0]["detail"], separators=(",", ":")))
        # Again: nothing more.
        again = self.retention("--days", "30")
        self.assertEqual((again["events"], again["reports"]), (0, 0))

        # C too: now nothing holds the file.
        self.backdate([c["id"]], 40)
        run = self.retention("--days", "30")
        self.assertEqual((run["reports"], run["files"], run["quarantined"]), (1, 1, 1))
        self.assertFalse(os.path.exists(path))
        # The same bytes once more are a new report, not "already received" as an expired one.
        d = self.upload(report("198.51.100.1", "198.51.100.2"))
        self.assertNotIn("already_received", d)
        self.assertNotIn(d["id"], (a["id"], c["id"]))
        self.assertTrue(os.path.exists(path))

    def test_bad_arguments(self):
        rc, out, err = self.e.cli("retention", "--days", "0")
        self.assertEqual(rc, 2)
        self.assertIn("--days", err)
        rc, out, err = self.e.cli("retention", "--days", "x")
        self.assertEqual(rc, 2)
        self.assertIn("--days", err)
        rc, out, err = self.e.cli("retention", "--days")
        self.assertEqual(rc, 2)
        rc, out, err = self.e.cli("retention")  # retention_days unset: 0
        self.assertEqual(rc, 2)
        self.assertIn("retention_days", err)
        rc, out, err = self.e.cli("retention", "--bogus")
        self.assertEqual(rc, 2)
        s, _, body = self.e.request("PUT", "/api/v1/settings/retention_days",
                                    body={"value": -1})
        self.assertEqual(s, 422, body)

    def test_daemon_applies_the_setting(self):
        a = self.upload(report("198.51.100.7", bad=False))
        b = self.upload(report("198.51.100.8", bad=False))
        self.backdate([a["id"]], 10)
        s, _, body = self.e.request("PUT", "/api/v1/settings/retention_days", body={"value": 7})
        self.assertEqual(s, 200, body)
        wait_until(lambda: self.events_of(a["id"]) == [], timeout=60,
                   what="the daemon's retention run")
        wait_until(lambda: "expired_at" in self.e.ok("GET", "/api/v1/reports/%d" % a["id"]),
                   timeout=60, what="report expired")
        self.assertEqual(len(self.events_of(b["id"])), 1)
        self.assertFalse(os.path.exists(os.path.join(self.e.dir, "reports", a["sha256"])))
        self.assertIn("retention (7 days)", self.e.log())


def addresses(first, n):
    return ["198.51.100.%d" % (first + k) for k in range(n)]


class Partitions(unittest.TestCase):
    """PostgreSQL partitions events and event_ips by range of id (migration 62): retention
    drops a partition whose events were all stored before the cut-off (DETACH and DROP, its
    triage and correlation rows deleted by range) and keeps an incident's events in a partition
    of the same range made again with them alone; the rows of a partition partly expired go by
    the batched delete. SQLite has one table: the same outcome through the batched delete."""

    WIDTH = 4

    def setUp(self):
        self.e = Ermes(start=False)
        if postgresql():
            # Narrow partitions before the daemon makes any (it makes one ahead at its start).
            self.sql("UPDATE event_partitioning SET width = %d" % self.WIDTH)
        self.e.start()

    def tearDown(self):
        self.e.close()

    def sql(self, q):
        with db_connect(os.path.join(self.e.dir, "ermes.db")) as db:
            rows = db.execute(q).fetchall()
            db.commit()
            return rows

    upload = Retention.upload
    events_of = Retention.events_of
    backdate = Retention.backdate
    retention = Retention.retention

    def partitions(self):
        """{partition name: [event ids]} of the events' partitions."""
        names = [r[0] for r in self.sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'events'::regclass")]
        out = {n: [] for n in names}
        for name, eid in self.sql("SELECT tableoid::regclass::text, id FROM events"):
            out[name].append(eid)
        return out

    def test_retention_drops_partitions(self):
        # Each report stores its events in one batch: ids in a row, from a reserved block.
        a = self.upload(report(*addresses(1, 4), bad=False))
        b = self.upload(report(*addresses(11, 4), bad=False))
        c = self.upload(report(*addresses(21, 3), bad=False))
        ids = {r["id"]: sorted(ev["id"] for ev in self.events_of(r["id"])) for r in (a, b, c)}
        self.assertEqual([len(ids[r["id"]]) for r in (a, b, c)], [4, 4, 3])
        kept = ids[b["id"]][1]
        s, _, body = self.e.request("POST", "/api/v1/triage", body={
            "events": [kept], "state": "confirmed",
            "open_incident": {"title": "adb exposed", "rsit_class": "vulnerable",
                              "rsit_type": "vulnerable-system", "severity": "medium"}})
        self.assertEqual(s, 200, body)
        s, _, body = self.e.request("PATCH", "/api/v1/events/%d" % ids[a["id"]][0],
                                    body={"triage": "benign"})
        self.assertEqual(s, 200, body)
        self.assertEqual(self.e.cli("correlate", "198.51.100.1")[0], 0)
        old = ids[a["id"]] + ids[b["id"]]
        self.backdate([a["id"], b["id"]], 40)
        if postgresql():
            before = self.partitions()
            # The partitions that hold only events of A and B, and none of C's: those go whole
            # (B's with the kept event made again with it alone).
            whole = {n for n, v in before.items() if v and set(v) <= set(old)}
            self.assertTrue(whole, before)
            self.assertTrue(any(kept in before[n] for n in whole), before)
            self.assertTrue(self.sql("SELECT count(*) FROM corr_postings WHERE kind = 2 AND id"
                                     " IN (%s)" % ",".join(map(str, old)))[0][0] > 0)

        run = self.retention("--days", "30")
        self.assertEqual((run["events"], run["events_kept"], run["reports"]), (7, 1, 1))
        self.assertEqual(self.events_of(a["id"]), [])
        self.assertEqual([ev["id"] for ev in self.events_of(b["id"])], [kept])
        self.assertEqual(len(self.events_of(c["id"])), 3)
        self.assertEqual(self.e.list_all("/api/v1/events?ip=198.51.100.1"), [])
        self.assertEqual(len(self.e.list_all("/api/v1/events?ip=198.51.100.12")), 1)
        self.assertEqual(len(self.e.list_all("/api/v1/events?ip=198.51.100.21")), 1)
        gone = ",".join(str(i) for i in old if i != kept)
        self.assertEqual(self.sql("SELECT count(*) FROM event_ips WHERE id IN (%s)"
                                  % gone)[0][0], 0)
        self.assertEqual(self.sql("SELECT count(*) FROM triage WHERE kind = 'event' AND"
                                  " object_id IN (%s)" % gone)[0][0], 0)
        self.assertEqual(self.sql("SELECT count(*) FROM corr_postings WHERE kind = 2 AND id IN"
                                  " (%s)" % gone)[0][0], 0)
        self.assertEqual(self.sql("SELECT count(*) FROM triage WHERE kind = 'event' AND"
                                  " object_id = %d" % kept)[0][0], 1)
        s, _, body = self.e.request("GET", "/api/v1/events/%d" % kept)
        self.assertEqual(s, 200, body)
        if postgresql():
            after = self.partitions()
            self.assertEqual(run["partitions"], len(whole))
            for n in whole:
                if kept in before[n]:
                    self.assertEqual(after[n], [kept])  # made again with the kept event alone
                else:
                    self.assertNotIn(n, after)
            self.assertEqual(len(after), len(before) - len(whole) + 1)
            for n, v in before.items():
                if n not in whole:
                    self.assertIn(n, after)
            self.assertEqual(sorted(r[0] for r in self.sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'event_ips'::regclass")),
                sorted(n.replace("events_part_", "event_ips_part_") for n in after))
        else:
            self.assertEqual(run["partitions"], 0)
        again = self.retention("--days", "30")
        self.assertEqual((again["events"], again["events_kept"], again["partitions"]), (0, 1, 0))
        # Storing goes on past the dropped ranges.
        d = self.upload(report(*addresses(31, 5), bad=False))
        self.assertEqual(len(self.events_of(d["id"])), 5)
        self.assertTrue(min(ev["id"] for ev in self.events_of(d["id"])) > max(ids[c["id"]]))
        self.assertIn("partition", json.dumps(self.audit_detail()))

    # The layout of events and event_ips before migration 62: one table each.
    UNPARTITION = (
        "ALTER TABLE notification_events DROP CONSTRAINT notification_events_event_id_fkey;"
        " CREATE TABLE ev_old (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);"
        " INSERT INTO ev_old SELECT * FROM events;"
        " CREATE TABLE ip_old (LIKE event_ips); INSERT INTO ip_old SELECT * FROM event_ips;"
        " DROP TABLE events; DROP TABLE event_ips;"
        " DROP TABLE event_partitions; DROP TABLE event_partitioning;"
        " ALTER TABLE ev_old RENAME TO events; ALTER TABLE ip_old RENAME TO event_ips;"
        " ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);"
        " ALTER TABLE events ADD CONSTRAINT events_report_id_row_key UNIQUE (report_id, row);"
        " ALTER TABLE events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;"
        " SELECT setval(pg_get_serial_sequence('events', 'id'), (SELECT max(id) FROM events));"
        " CREATE INDEX events_org ON events(org_id, id) WHERE org_id IS NOT NULL;"
        " ALTER TABLE event_ips ADD CONSTRAINT event_ips_pkey PRIMARY KEY (ip, id);"
        " ALTER TABLE notification_events ADD CONSTRAINT notification_events_event_id_fkey"
        " FOREIGN KEY (event_id) REFERENCES events(id) ON DELETE CASCADE DEFERRABLE;"
        " DELETE FROM schema_version WHERE version >= 62")

    def test_existing_table_converted(self):
        a = self.upload(report(*addresses(41, 3), bad=False))
        b = self.upload(report(*addresses(51, 2), bad=False))
        listed = self.e.list_all("/api/v1/events")
        self.assertEqual(len(listed), 5)
        self.e.stop()
        if postgresql():
            self.sql(self.UNPARTITION)
            self.assertEqual(self.sql("SELECT relkind FROM pg_class WHERE"
                                      " oid = 'events'::regclass")[0][0], "r")
        # Opening it applies migration 62: the table becomes the first partition, as it is.
        self.e.start()
        self.assertEqual(self.e.list_all("/api/v1/events"), listed)
        self.assertEqual(len(self.e.list_all("/api/v1/events?ip=198.51.100.52")), 1)
        if postgresql():
            self.assertEqual(self.sql("SELECT relkind FROM pg_class WHERE"
                                      " oid = 'events'::regclass")[0][0], "p")
            self.assertEqual(sorted(self.partitions()["events_part_0"]),
                             sorted(ev["id"] for ev in listed))
            self.assertEqual(self.sql("SELECT count(*) FROM event_ips_part_0")[0][0], 5)
            # notification_events' foreign key points at the partitioned table.
            self.assertEqual(self.sql(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
                " AND conrelid = 'notification_events'::regclass"
                " AND confrelid = 'events'::regclass")[0][0], 1)
            # Opening it again changes nothing (the migration runs again as a no-op).
            self.e.stop()
            self.sql("DELETE FROM schema_version WHERE version >= 62")
            self.e.start()
            self.assertIn("events_part_0", self.partitions())
        c = self.upload(report(*addresses(61, 2), bad=False))
        self.assertEqual(len(self.events_of(c["id"])), 2)
        self.backdate([a["id"], b["id"]], 40)
        run = self.retention("--days", "30")
        self.assertEqual((run["events"], run["events_kept"], run["reports"]), (5, 0, 2))
        self.assertEqual(run["partitions"], 1 if postgresql() else 0)
        if postgresql():
            self.assertNotIn("events_part_0", self.partitions())
        self.assertEqual([ev["id"] for ev in self.e.list_all("/api/v1/events")],
                         [ev["id"] for ev in self.events_of(c["id"])])

    def audit_detail(self):
        audit = [x for x in self.e.list_all("/api/v1/audit")
                 if x.get("action") == "expire" and x.get("object_type") == "retention"]
        self.assertTrue(audit)
        return audit[0]["detail"]


if __name__ == "__main__":
    main()
