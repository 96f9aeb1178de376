"""Incidents over HTTP and the CLI (issue 11 items 3, 4, 5, 7, 8): triage of events and
sightings one by one and in bulk, the allow-list detection honours, an incident opened from a
selection, RSIT validation, the status lifecycle with its refusals, mandatory tasks blocking
the close, the append-only timeline, merging, parent and child, the queue's filters and
pagination, the clocks (SLA, NIS2) and the daemon's warning, what a constituent sees and may
do, the dashboard figure, and the metrics as JSON and CSV from the API and `ermes stats
incidents`. Runs on SQLite and on PostgreSQL."""

import csv
import io
import json
import os
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, db_connect, main, wait_until  # noqa: E402

INC = "/api/v1/incidents"
SSH = b"192.0.2.1\n192.0.2.2\n198.51.100.1\n"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def eve(src, dst):
    return json.dumps({"timestamp": "2026-05-02T10:00:00+0000", "event_type": "flow",
                       "src_ip": src, "src_port": 5353, "dest_ip": dst, "dest_port": 53,
                       "proto": "UDP", "host": "sensor-a"})


class Incidents(unittest.TestCase):
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
            cls.analyst, cls.analyst_token = e.user_token("ana", "analyst")
            r = e.ok("POST", "/api/v1/reports?feed=blocklistde&wait=true&file_name=ssh.txt",
                     SSH, content_type="text/plain", expect=201)
            assert r["state"] == "done", r
            cls.events = {x["event"]["source.ip"]: x["id"] for x in e.list_all("/api/v1/events")}
            assert len(cls.events) == 3, cls.events
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def create(self, body, token=None, expect=201):
        kw = {} if token is None else {"token": token}
        return self.e.ok("POST", INC, body, expect=expect, **kw)

    def patch(self, iid, body, expect=200):
        return self.e.ok("PATCH", "%s/%d" % (INC, iid), body, expect=expect)

    def timeline(self, iid, token=None):
        kw = {} if token is None else {"token": token}
        return self.e.list_all("%s/%d/timeline" % (INC, iid), **kw)

    # ---- incidents and their lifecycle ---------------------------------------------------

    def test_lifecycle(self):
        inc = self.create({"template": "phishing", "title": "Credential phishing at ACME",
                           "constituents": ["ACME"], "severity": "high", "pap": "RED"})
        iid = inc["id"]
        self.assertEqual((inc["status"], inc["rsit_class"], inc["rsit_type"]),
                         ("new", "fraud", "phishing"))
        self.assertEqual(inc["organisation"], "ACME")
        self.assertFalse(inc["outside_lookups_allowed"])  # PAP:RED
        self.assertEqual({c["name"] for c in inc["clocks"]},
                         {"first_response", "containment", "resolution"})
        tasks = self.e.ok("GET", "%s/%d/tasks" % (INC, iid))["data"]
        self.assertEqual(len(tasks), 3)
        # A transition the lifecycle does not have is refused, naming the field.
        s, _, b = self.e.request("PATCH", "%s/%d" % (INC, iid), {"status": "resolved"})
        assert_error(self, s, b, 409, "conflict", field="status")
        s, _, b = self.e.request("PATCH", "%s/%d" % (INC, iid), {"status": "finished"})
        assert_error(self, s, b, 422, "invalid", field="status")
        inc = self.patch(iid, {"status": "in_progress", "assignee": "ana"})
        self.assertEqual(inc["assignee"], "ana")
        self.assertIsNotNone(inc["milestones"]["acknowledged_at"])
        self.assertIsNotNone(inc["milestones"]["triaged_at"])
        inc = self.patch(iid, {"status": "contained"})
        self.assertIsNotNone(inc["milestones"]["contained_at"])
        # Mandatory tasks block closing; done, they no longer do.
        s, _, b = self.e.request("PATCH", "%s/%d" % (INC, iid), {"status": "closed"})
        assert_error(self, s, b, 409, "conflict", field="status")
        self.assertIn("mandatory", b["error"]["message"])
        for t in tasks:
            if t["mandatory"]:
                self.e.ok("PATCH", "/api/v1/incident-tasks/%d" % t["id"], {"done": True})
        inc = self.patch(iid, {"status": "closed"})
        self.assertEqual(inc["status"], "closed")
        self.assertIsNotNone(inc["milestones"]["resolved_at"])
        self.assertIsNone(inc["next_due_at"])
        # Reopening: back to in_progress; the resolution is to come again.
        inc = self.patch(iid, {"status": "in_progress"})
        self.assertIsNone(inc["milestones"]["resolved_at"])
        kinds = [x["kind"] for x in self.timeline(iid)]
        self.assertEqual(kinds[0], "created")
        self.assertEqual(kinds.count("status"), 4)
        self.assertIn("assign", kinds)
        self.assertIn("task", kinds)
        for x in self.timeline(iid):
            self.assertTrue(x["actor"] and x["at"])
        # The audit log has every change.
        audit = self.e.list_all("/api/v1/audit?object_type=incident")
        self.assertGreaterEqual(len([a for a in audit if a["object_id"] == str(iid)]), 5)

    def test_timeline_is_append_only(self):
        iid = self.create({"title": "append only"})["id"]
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            for sql in ("UPDATE incident_timeline SET actor = 'x' WHERE incident_id = %d" % iid,
                        "DELETE FROM incident_timeline WHERE incident_id = %d" % iid):
                with self.assertRaises(Exception, msg=sql):
                    db.execute(sql)
                    db.commit()
        finally:
            db.close()
        self.assertEqual(len(self.timeline(iid)), 1)

    def test_rsit_and_bodies_validated(self):
        for body, field in (({"title": "x", "rsit_class": "nonsense"}, "rsit_class"),
                            ({"title": "x", "rsit_class": "fraud", "rsit_type": "spam"},
                             "rsit_type"),
                            ({"title": "x", "rsit_type": "phishing"}, "rsit_class"),
                            ({"title": "x", "severity": "huge"}, "severity"),
                            ({"title": "x", "tlp": "PURPLE"}, "tlp"),
                            ({"title": "x", "pap": "WHITE"}, "pap"),
                            ({"title": "x", "template": "nope"}, "template"),
                            ({"title": "x", "bogus": 1}, "bogus"),
                            ({"title": "x", "aware_at": "yesterday"}, "aware_at"),
                            ({"title": "x", "assignee": "conny"}, "assignee"),
                            ({"title": "x" * 300}, "title"),
                            ({}, "title")):
            with self.subTest(body=body):
                s, _, b = self.e.request("POST", INC, body)
                assert_error(self, s, b, 422, "invalid", field=field)
        ok = self.create({"title": "classified", "rsit_class": "availability",
                          "rsit_type": "ddos"})
        self.assertEqual(ok["rsit_type"], "ddos")

    def test_merge_and_parent(self):
        a = self.create({"title": "campaign part A", "constituents": ["ACME"]})
        b = self.create({"title": "campaign part B", "constituents": ["BETA"]})
        camp = self.create({"title": "the campaign"})
        self.e.ok("POST", "%s/%d/links" % (INC, a["id"]),
                  {"kind": "event", "id": self.events["192.0.2.1"]}, expect=201)
        self.e.ok("POST", "%s/%d/observables" % (INC, a["id"]),
                  {"type": "ipv4", "value": "192.0.2.1", "ioc": True}, expect=201)
        for x in (a, b):
            self.assertEqual(self.patch(x["id"], {"parent": camp["id"]})["parent"], camp["id"])
        kids = self.e.ok("GET", INC + "?parent=%d" % camp["id"])["data"]
        self.assertEqual({k["id"] for k in kids}, {a["id"], b["id"]})
        s, _, body = self.e.request("PATCH", "%s/%d" % (INC, camp["id"]), {"parent": a["id"]})
        assert_error(self, s, body, 422, "invalid", field="parent")
        merged = self.e.ok("POST", "%s/%d/merge" % (INC, a["id"]), {"into": b["id"]})
        self.assertEqual((merged["status"], merged["merged_into"]), ("closed", b["id"]))
        links = self.e.ok("GET", "%s/%d/links" % (INC, b["id"]))["data"]
        self.assertIn(("event", self.events["192.0.2.1"]),
                      [(l["kind"], l["object_id"]) for l in links])
        self.assertIn(("incident", a["id"]), [(l["kind"], l["object_id"]) for l in links])
        obs = self.e.ok("GET", "%s/%d/observables" % (INC, b["id"]))["data"]
        self.assertEqual([(o["value"], o["ioc"]) for o in obs], [("192.0.2.1", True)])
        self.assertEqual(self.e.ok("GET", "%s/%d/links" % (INC, a["id"]))["data"], [])
        self.assertEqual(set(self.e.ok("GET", "%s/%d" % (INC, b["id"]))["constituents"]),
                         {"ACME", "BETA"})
        s, _, body = self.e.request("PATCH", "%s/%d" % (INC, a["id"]), {"status": "in_progress"})
        assert_error(self, s, body, 409, "conflict")
        s, _, body = self.e.request("POST", "%s/%d/merge" % (INC, b["id"]), {"into": b["id"]})
        assert_error(self, s, body, 409, "conflict", field="into")
        self.assertIn("merge", [x["kind"] for x in self.timeline(b["id"])])

    def test_link_an_incident_report(self):
        """An incident report of the mail intake (kind report): checked, its constituent
        affected."""
        raw = ("From: reporter@example.net\r\nTo: cert@example.org\r\n"
               "Subject: compromised host 192.0.2.9\r\nMessage-ID: <inc-link@example.net>\r\n"
               "Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n\r\nSee 192.0.2.9 beaconing.\r\n")
        s, _, mail = self.e.request("POST", "/api/v1/mail", raw.encode(),
                                    content_type="message/rfc822")
        self.assertEqual(s, 201, mail)
        rid = mail["incident_report_id"]
        self.assertIsNotNone(rid, mail)
        inc = self.create({"title": "from a report"})
        self.e.ok("POST", "%s/%d/links" % (INC, inc["id"]), {"kind": "report", "id": rid},
                  expect=201)
        got = self.e.ok("GET", "%s/%d" % (INC, inc["id"]))
        self.assertIn("ACME", got["constituents"])
        s, _, b = self.e.request("POST", "%s/%d/links" % (INC, inc["id"]),
                                 {"kind": "report", "id": 999999})
        assert_error(self, s, b, 422, "invalid", field="id")
        # A selection of reports opens an incident.
        r = self.e.ok("POST", "/api/v1/triage", {"reports": [rid],
                                                 "open_incident": {"title": "opened by a report"}})
        self.assertEqual(r["reports"], 1)
        links = self.e.ok("GET", "%s/%d/links" % (INC, r["incident"]))["data"]
        self.assertEqual([(l["kind"], l["object_id"]) for l in links], [("report", rid)])
        s, _, b = self.e.request("POST", "/api/v1/triage", {"reports": [rid], "state": "benign"})
        assert_error(self, s, b, 422, "invalid", field="reports")

    # ---- triage --------------------------------------------------------------------------

    def test_triage_opens_an_incident(self):
        ev1, ev2 = self.events["192.0.2.1"], self.events["192.0.2.2"]
        r = self.e.ok("POST", "/api/v1/triage", {
            "events": [ev1, ev2], "state": "confirmed",
            "open_incident": {"title": "SSH brute force from ACME",
                              "rsit_class": "intrusion-attempts", "rsit_type": "brute-force"}})
        self.assertEqual((r["events"], r["sightings"]), (2, 0))
        iid = r["incident"]
        inc = self.e.ok("GET", "%s/%d" % (INC, iid))
        self.assertEqual(inc["constituents"], ["ACME"])
        links = self.e.ok("GET", "%s/%d/links" % (INC, iid))["data"]
        self.assertEqual(sorted(l["object_id"] for l in links if l["kind"] == "event"),
                         sorted([ev1, ev2]))
        self.assertEqual(self.e.ok("GET", "/api/v1/events/%d" % ev1)["triage"], "confirmed")
        # One by one: the triage member of PATCH /api/v1/events/{id}.
        ev3 = self.events["198.51.100.1"]
        self.assertEqual(self.e.ok("GET", "/api/v1/events/%d" % ev3)["triage"], "new")
        r = self.e.ok("PATCH", "/api/v1/events/%d" % ev3, {"triage": "benign", "note": "scanner"})
        self.assertEqual(r["triage"], "benign")
        # Joining an incident that exists.
        r = self.e.ok("POST", "/api/v1/triage", {"events": [ev3], "incident": iid})
        self.assertEqual(r["incident"], iid)
        self.assertIn("BETA", self.e.ok("GET", "%s/%d" % (INC, iid))["constituents"])
        s, _, b = self.e.request("POST", "/api/v1/triage", {"events": [999999],
                                                            "state": "benign"})
        assert_error(self, s, b, 422, "invalid", field="events")
        s, _, b = self.e.request("POST", "/api/v1/triage", {"events": [ev1], "state": "meh"})
        assert_error(self, s, b, 422, "invalid", field="state")
        s, _, b = self.e.request("PATCH", "/api/v1/events/999999", {"triage": "benign"})
        assert_error(self, s, b, 404, "not_found")

    def test_false_positive_sighting_allowlisted(self):
        e = self.e
        e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.66"}, expect=201)
        log = eve("192.0.2.5", "203.0.113.66") + "\n"
        r = e.ok("POST", "/api/v1/logs?format=eve&source=fw1", log.encode(),
                 content_type="application/octet-stream")
        self.assertEqual(r["sightings"], 1, r)
        sg = e.ok("GET", "/api/v1/sightings?value=203.0.113.66")["data"][0]
        self.assertEqual(sg["triage"], "new")
        r = e.ok("PATCH", "/api/v1/sightings/%d" % sg["id"],
                 {"triage": "false_positive", "allowlist": True})
        self.assertEqual((r["triage"], r["allowlisted"]), ("false_positive", 1))
        # The same value seen again elsewhere is no longer recorded.
        log2 = eve("192.0.2.6", "203.0.113.66") + "\n"
        r = e.ok("POST", "/api/v1/logs?format=eve&source=fw2", log2.encode(),
                 content_type="application/octet-stream")
        self.assertEqual(r["sightings"], 0, r)
        listed = e.ok("GET", "/api/v1/sightings?value=203.0.113.66")["data"]
        self.assertEqual([(x["id"], x["triage"]) for x in listed], [(sg["id"], "false_positive")])

    # ---- the queue -----------------------------------------------------------------------

    def test_queue_filters_and_pages(self):
        now = datetime.now(timezone.utc)
        late = self.create({"title": "late NIS2 one", "constituents": ["BETA"], "nis2": True,
                            "aware_at": iso(now - timedelta(days=4)), "severity": "critical"})
        mine = self.create({"title": "mine", "assignee": "ana", "constituents": ["BETA"]},
                           token=self.analyst_token)
        ids = lambda q, **kw: {x["id"] for x in self.e.list_all(INC + q, **kw)}  # noqa: E731
        self.assertIn(late["id"], ids("?late=true"))
        self.assertNotIn(mine["id"], ids("?late=true"))
        self.assertTrue(self.e.ok("GET", "%s/%d" % (INC, late["id"]))["late"])
        self.assertIn("nis2_early_warning",
                      self.e.ok("GET", "%s/%d" % (INC, late["id"]))["warnings"])
        self.assertEqual(ids("?mine=true", token=self.analyst_token) & {late["id"], mine["id"]},
                         {mine["id"]})
        self.assertIn(late["id"], ids("?unassigned=true"))
        self.assertNotIn(mine["id"], ids("?unassigned=true"))
        self.assertIn(mine["id"], ids("?org=BETA&status=new"))
        self.assertNotIn(mine["id"], ids("?org=ACME"))
        soon = self.create({"title": "due soon", "severity": "critical"})  # 1 h to respond
        self.assertIn(soon["id"], ids("?due_soon=true"))
        self.assertNotIn(soon["id"], ids("?due_soon=true&within=30"))
        # Keyset pages, newest first, cover every incident once.
        all_ids = [x["id"] for x in self.e.list_all(INC, limit=2)]
        self.assertEqual(all_ids, sorted(all_ids, reverse=True))
        self.assertEqual(len(all_ids), len(set(all_ids)))
        for q, field in (("?status=bogus", "status"), ("?severity=x", "severity"),
                         ("?org=NOPE", "org"), ("?within=0", "within"), ("?cursor=zz", None)):
            s, _, b = self.e.request("GET", INC + q)
            self.assertEqual(s, 400, (q, b))
            if field:
                self.assertEqual(b["error"]["field"], field)
        stats = self.e.ok("GET", "/api/v1/stats")
        self.assertGreaterEqual(stats["incidents"]["late"], 1)
        self.assertGreaterEqual(stats["incidents"]["open"], 3)

    def test_queue_answers_each_incident_as_its_own_get(self):
        # The queue reads its page's constituents, SLA policies and calendars at once (not per
        # incident): each incident it lists must be what GET /incidents/{id} answers, also for
        # a constituent, with constituents of their own policies and business-hour calendars
        # (holidays) and more incidents than one batch of 50 in a page.
        self.e.ok("POST", "/api/v1/organisations",
                  {"short_name": "GAMMA", "name": "Gamma Ltd", "networks": ["203.0.113.0/28"]},
                  expect=201)
        for sev, hours in (("medium", ["--business-hours"]), ("high", [])):
            rc, out, err = self.e.cli("incidents", "policy", sev, "--org", "GAMMA", "--response",
                                      "45", "--containment", "600", "--resolution", "6000",
                                      *hours)
            self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("incidents", "calendar", "--org", "GAMMA", "--days", "31",
                                  "--hours", "07:30-16:00", "--holidays",
                                  "2026-12-24,2026-12-25,2027-01-01")
        self.assertEqual(rc, 0, err)
        made = []
        for i in range(56):
            orgs = (["GAMMA"], ["GAMMA", "ACME"], ["ACME"], [], ["BETA", "GAMMA"])[i % 5]
            sev = ("low", "medium", "high", "critical")[i % 4]
            made.append(self.create({"title": "page %d" % i, "severity": sev,
                                     "constituents": orgs})["id"])
        for token in (None, self.acme):
            kw = {} if token is None else {"token": token}
            listed = self.e.list_all(INC, limit=100, **kw)
            if token is None:
                self.assertGreater(len(listed), 50)
            ids = {x["id"] for x in listed}
            self.assertTrue({m for i, m in enumerate(made) if i % 5 in (1, 2)} <= ids)
            for x in listed:
                one = self.e.ok("GET", "%s/%d" % (INC, x["id"]), **kw)
                one.pop("advisories")  # the one incident's answer only
                # The daemon's own work (a warning before a deadline, on its timeline) may touch
                # an incident between the two reads: a later updated_at, nothing else, is fine.
                if one.get("updated_at") != x.get("updated_at"):
                    self.assertGreater(one["updated_at"], x["updated_at"])
                    one = dict(one, updated_at=x["updated_at"])
                self.assertEqual(json.dumps(x, sort_keys=True), json.dumps(one, sort_keys=True))
            gamma = [x for x in listed if x["id"] in made and "GAMMA" in x["constituents"]]
            if token is None:
                self.assertTrue(any(c["business_hours"] for x in gamma for c in x["clocks"]))
                self.assertIn(["ACME", "GAMMA"], [x["constituents"] for x in gamma])

    def test_daemon_warns_before_a_deadline(self):
        now = datetime.now(timezone.utc)
        inc = self.create({"title": "warn me", "nis2": True, "assignee": "ana",
                           "aware_at": iso(now - timedelta(hours=23))})

        def warned():
            return [x for x in self.timeline(inc["id"]) if x["kind"] == "warning"]
        wait_until(lambda: warned(), timeout=20, what="a deadline warning")
        w = warned()[0]["detail"]
        self.assertEqual((w["deadline"], w["state"], w["assignee"]),
                         ("nis2_early_warning", "due_soon", "ana"))
        time.sleep(6)  # the next round does not warn twice
        self.assertEqual(len([x for x in warned()
                              if x["detail"]["deadline"] == "nis2_early_warning"]), 1)

    # ---- what a constituent sees and does ------------------------------------------------

    def test_constituent_view(self):
        both = self.create({"title": "shared", "constituents": ["ACME", "BETA"],
                            "assignee": "ana", "team": "blue"})
        beta_only = self.create({"title": "beta's", "constituents": ["BETA"]})
        red = self.create({"title": "red one", "constituents": ["ACME"], "tlp": "RED"})
        seen = {x["id"] for x in self.e.list_all(INC, token=self.acme)}
        self.assertIn(both["id"], seen)
        self.assertNotIn(beta_only["id"], seen)
        self.assertNotIn(red["id"], seen)
        s, _, b = self.e.request("GET", "%s/%d" % (INC, beta_only["id"]), token=self.acme)
        self.assertEqual(s, 404, b)
        mine = self.e.ok("GET", "%s/%d" % (INC, both["id"]), token=self.acme)
        self.assertEqual(mine["constituents"], ["ACME"])  # not BETA's name
        self.assertNotIn("BETA", json.dumps(mine))
        self.assertNotIn("assignee", mine)
        s, _, b = self.e.request("PATCH", "%s/%d" % (INC, both["id"]), {"status": "closed"},
                                 token=self.acme)
        self.assertEqual(s, 403, b)
        for sub in ("tasks", "links", "observables"):
            s, _, b = self.e.request("GET", "%s/%d/%s" % (INC, both["id"], sub), token=self.acme)
            self.assertEqual(s, 403, (sub, b))
        # The constituent answers while the CERT waits on it: back to in_progress.
        self.patch(both["id"], {"status": "in_progress"})
        self.patch(both["id"], {"status": "waiting_on_constituent"})
        self.e.ok("POST", "%s/%d/timeline" % (INC, both["id"]),
                  {"text": "internal note about BETA"})
        self.e.ok("POST", "%s/%d/timeline" % (INC, both["id"]),
                  {"text": "We patched the server."}, token=self.acme, expect=201)
        inc = self.e.ok("GET", "%s/%d" % (INC, both["id"]))
        self.assertEqual(inc["status"], "in_progress")
        kinds = [(x["kind"], x["public"]) for x in self.timeline(both["id"], token=self.acme)]
        self.assertTrue(all(p for _, p in kinds), kinds)
        self.assertNotIn("assign", [k for k, _ in kinds])
        texts = json.dumps(self.timeline(both["id"], token=self.acme))
        self.assertIn("We patched the server.", texts)
        self.assertNotIn("internal note", texts)
        self.assertNotIn("BETA", texts)
        s, _, b = self.e.request("POST", "%s/%d/timeline" % (INC, beta_only["id"]),
                                 {"text": "sneaky"}, token=self.acme)
        self.assertEqual(s, 404, b)
        # The metrics a constituent's people get are their own organisation's incidents only:
        # not BETA's, nor the incident of BETA's that affects ACME too (its figures are BETA's).
        beta_acme = self.create({"title": "beta's, acme's too", "constituents": ["BETA", "ACME"]})
        self.assertIn(beta_acme["id"], {x["id"] for x in self.e.list_all(INC, token=self.acme)})
        m = self.e.ok("GET", INC + "/metrics?period=all&by=constituent", token=self.acme)
        self.assertEqual([g["constituent"] for g in m["groups"]], ["ACME"])
        staff = self.e.ok("GET", INC + "/metrics?period=all&by=constituent")
        self.assertIn("BETA", [g["constituent"] for g in staff["groups"]])
        own = [g for g in staff["groups"] if g["constituent"] == "ACME"][0]
        # Not the TLP:RED one it may not see either.
        self.assertGreaterEqual(m["groups"][0]["incidents"], 1)
        self.assertLess(m["groups"][0]["incidents"], own["incidents"])
        s, h, body = self.e.request("GET", INC + "/metrics?format=csv&by=both", token=self.acme)
        self.assertEqual(s, 200)
        self.assertNotIn(b"BETA", body)

    def test_policy_and_calendar_from_the_cli(self):
        rc, out, err = self.e.cli("incidents", "policy", "low", "--org", "BETA", "--response",
                                  "30", "--containment", "60", "--resolution", "120",
                                  "--business-hours")
        self.assertEqual(rc, 0, err)
        self.assertIn("business hours", out)
        rc, out, err = self.e.cli("incidents", "calendar", "--org", "BETA", "--days", "127",
                                  "--hours", "00:00-24:00")
        self.assertEqual(rc, 0, err)
        inc = self.create({"title": "low at BETA", "severity": "low", "constituents": ["BETA"]})
        first = [c for c in inc["clocks"] if c["name"] == "first_response"][0]
        self.assertTrue(first["business_hours"])
        created = datetime.fromisoformat(inc["created_at"].replace("Z", "+00:00"))
        due = datetime.fromisoformat(first["due"].replace("Z", "+00:00"))
        self.assertEqual(due - created, timedelta(minutes=30))  # every hour is a working one
        rc, out, err = self.e.cli("incidents", "calendar", "--hours", "18:00-08:00")
        self.assertEqual(rc, 2, out)
        rc, out, err = self.e.cli("incidents", "policy", "urgent")
        self.assertEqual(rc, 2, out)

    # ---- metrics and the CLI -------------------------------------------------------------

    def test_metrics_and_cli(self):
        rc, out, err = self.e.cli("incidents", "create", "--title", "from the CLI",
                                  "--template", "ddos", "--org", "ACME", "--json")
        self.assertEqual(rc, 0, err)
        iid = json.loads(out)["id"]
        self.assertEqual(json.loads(out)["rsit_type"], "ddos")
        rc, out, err = self.e.cli("incidents", "update", str(iid), "--status", "in_progress",
                                  "--assignee", "ana")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("incidents", "update", str(iid), "--status", "new")
        self.assertEqual(rc, 1, out)
        self.assertIn("cannot go from in_progress to new", err)
        rc, out, err = self.e.cli("incidents", "close", str(iid))
        self.assertEqual(rc, 1, out)
        self.assertIn("mandatory", err)
        for t in self.e.ok("GET", "%s/%d/tasks" % (INC, iid))["data"]:
            self.e.ok("PATCH", "/api/v1/incident-tasks/%d" % t["id"], {"done": True})
        rc, out, err = self.e.cli("incidents", "close", str(iid), "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["status"], "closed")
        other = self.create({"title": "to merge"})["id"]
        rc, out, err = self.e.cli("incidents", "merge", str(other), "--into", str(iid))
        self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("incidents", "list", "--org", "ACME")
        self.assertEqual(rc, 0, err)
        self.assertIn("from the CLI", out)
        rc, out, err = self.e.cli("incidents", "show", str(iid))
        self.assertEqual(rc, 0, err)
        self.assertIn("timeline:", out)
        rc, out, err = self.e.cli("incidents", "comment", str(iid), "checked by phone")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("incidents", "triage", "--event",
                                  str(self.events["192.0.2.2"]), "--state", "duplicate")
        self.assertEqual(rc, 0, err)
        self.assertIn("triaged 1 event", out)
        rc, out, err = self.e.cli("incidents", "triage", "--event", str(self.events["192.0.2.1"]),
                                  "--state", "confirmed", "--title", "opened from the CLI",
                                  "--severity", "low", "--json")
        self.assertEqual(rc, 0, err)
        opened = json.loads(out)["incident"]
        self.assertEqual(self.e.ok("GET", "%s/%d" % (INC, opened))["title"], "opened from the CLI")
        # Metrics: the CLI's and the API's are the same figures.
        m = self.e.ok("GET", INC + "/metrics?period=all&by=constituent")
        acme = [g for g in m["groups"] if g["constituent"] == "ACME"]
        self.assertEqual(len(acme), 1)
        self.assertGreaterEqual(acme[0]["time_to_resolve"]["count"], 1)
        self.assertIsInstance(acme[0]["time_to_resolve"]["median_seconds"], int)
        self.assertIn("compliance_rate", acme[0]["sla"])
        rc, out, err = self.e.cli("stats", "incidents", "--period", "all", "--by", "constituent")
        self.assertEqual(rc, 0, err)
        cli_m = json.loads(out)
        self.assertEqual([g for g in cli_m["groups"] if g["constituent"] == "ACME"][0]
                         ["time_to_resolve"]["count"], acme[0]["time_to_resolve"]["count"])
        s, h, body = self.e.request("GET", INC + "/metrics?format=csv&by=both&period=month")
        self.assertEqual(s, 200)
        self.assertIn("text/csv", h["content-type"])
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        self.assertTrue(rows)
        self.assertIn("time_to_acknowledge_p90_seconds", rows[0])
        rc, out, err = self.e.cli("stats", "incidents", "--format", "csv")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("period,constituent,rsit_class,incidents"))
        for q, field in (("?period=week", "period"), ("?by=team", "by"),
                         ("?format=xml", "format"), ("?since=never", "since")):
            s, _, b = self.e.request("GET", INC + "/metrics" + q)
            self.assertEqual((s, b["error"]["field"]), (400, field), q)
        rc, out, err = self.e.cli("stats", "incidents", "--period", "week")
        self.assertEqual(rc, 2, err)

    def test_business_hours_metrics_and_json_list(self):
        # A constituent whose calendar is every hour of every day: its business-hour durations
        # are its wall-clock ones (no pause), on both bases and from the API and the CLI.
        self.e.ok("POST", "/api/v1/organisations",
                  {"short_name": "DELTA", "name": "Delta Ltd", "networks": ["203.0.113.64/28"]},
                  expect=201)
        rc, out, err = self.e.cli("incidents", "calendar", "--org", "DELTA", "--days", "127",
                                  "--hours", "00:00-24:00")
        self.assertEqual(rc, 0, err)
        iid = self.create({"title": "round the clock", "constituents": ["DELTA"]})["id"]
        time.sleep(1.2)  # a time to acknowledge of at least a second
        self.patch(iid, {"status": "in_progress"})
        figures = {}
        for basis in ("wall", "business"):
            m = self.e.ok("GET", INC + "/metrics?period=all&by=constituent&basis=" + basis)
            self.assertEqual(m["basis"], basis)
            delta = [g for g in m["groups"] if g["constituent"] == "DELTA"][0]
            figures[basis] = delta["time_to_acknowledge"]
            self.assertEqual(figures[basis]["count"], 1)
        self.assertEqual(figures["wall"], figures["business"])
        self.assertGreaterEqual(figures["wall"]["median_seconds"], 1)
        rc, out, err = self.e.cli("stats", "incidents", "--period", "all", "--by",
                                  "constituent", "--business-hours")
        self.assertEqual(rc, 0, err)
        cli_m = json.loads(out)
        self.assertEqual(cli_m["basis"], "business")
        self.assertEqual([g for g in cli_m["groups"] if g["constituent"] == "DELTA"][0]
                         ["time_to_acknowledge"], figures["business"])
        # The default calendar (Monday to Friday 09:00-17:00 UTC) counts no more than the wall
        # clock for anyone.
        wall = self.e.ok("GET", INC + "/metrics?period=all&by=constituent")
        business = self.e.ok("GET", INC + "/metrics?period=all&by=constituent&basis=business")
        self.assertEqual(wall["basis"], "wall")
        for w, b in zip(wall["groups"], business["groups"]):
            self.assertEqual(w["constituent"], b["constituent"])
            for k in ("time_to_acknowledge", "time_to_resolve"):
                self.assertEqual(w[k]["count"], b[k]["count"])
                if w[k]["count"]:
                    self.assertLessEqual(b[k]["median_seconds"], w[k]["median_seconds"])
        s, _, b = self.e.request("GET", INC + "/metrics?basis=cpu")
        self.assertEqual((s, b["error"]["field"]), (400, "basis"))
        # `incidents list --json`: one object per line, a page of 50 at a time, each what the
        # API answers for it, in the queue's order, also past a page and cut at --limit.
        for i in range(52):
            self.create({"title": "line %d" % i, "constituents": ["DELTA"]})
        rc, out, err = self.e.cli("incidents", "list", "--org", "DELTA", "--json")
        self.assertEqual(rc, 0, err)
        lines = [json.loads(x) for x in out.splitlines()]
        listed = self.e.list_all(INC + "?org=DELTA", limit=100)
        self.assertEqual(len(lines), 53)
        self.assertEqual([x["id"] for x in lines], [x["id"] for x in listed])
        for x, y in zip(lines, listed):
            self.assertEqual(json.dumps(x, sort_keys=True), json.dumps(y, sort_keys=True))
        rc, out, err = self.e.cli("incidents", "list", "--org", "DELTA", "--json", "--limit", "51")
        self.assertEqual(rc, 0, err)
        self.assertEqual([json.loads(x)["id"] for x in out.splitlines()],
                         [x["id"] for x in listed[:51]])
        rc, out, err = self.e.cli("incidents", "list", "--org", "DELTA", "--limit", "2")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), 2)


if __name__ == "__main__":
    main()
