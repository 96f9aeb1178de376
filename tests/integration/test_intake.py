"""Intake over HTTP on the demo constituency (data/demo/constituency.json): Shadowserver reports
uploaded raw and as multipart/form-data, with and without ?wait=true; the report's accounting
(rows_in = events + duplicates + quarantined) and deduplication of a report sent twice; the
owner of each event; GET /api/v1/events filters, formats (JSON, NDJSON, CSV) and paging; what a
constituent may see; bad rows in the quarantine and their retry; refused uploads (unknown or
missing feed, bad options, over max_report); GET /api/v1/feeds; the audit of uploads.

The reports are Shadowserver's scan_adb and compromised_website samples
(shared/conformance/feeds/shadowserver/) rewritten to the demo constituency's addresses:
198.51.100.0/28 is UMA's, 192.0.2.0/27 DG-DIGIT's, 192.0.2.32/28 DG-HOME's, the rest of
192.0.2.0/25 UCOM's, 203.0.113.32/28 UBSB's inside UCB's 203.0.113.0/26, AS64510 UEAS's
(no networks); 100.64.0.0/10 and AS3462 belong to nobody (data/demo/README.md)."""

import base64
import csv
import hashlib
import io
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import (SOURCE_DIR, Ermes, assert_error, main, quote,  # noqa: E402
                      wait_until)
from test_http_limits import validate  # noqa: E402

REPORTS = "/api/v1/reports"
EVENTS = "/api/v1/events"
QUARANTINE = "/api/v1/quarantine"

# Shadowserver's scan_adb header and the two rows of the conformance sample, with the demo
# constituency's addresses instead of the originals.
ADB_HEADER = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
              '"naics","sic","name","model","device","features","device_vendor","device_type",'
              '"device_model","device_version","device_sector"\n')
ADB_FILE = "2026-01-01-scan_adb-example-geo.csv"
WEB_HEADER = ('"timestamp","ip","port","hostname","tag","application","asn","geo","region",'
              '"city","url","http_host","category","system","detected_since","server",'
              '"redirect_target","naics","sic","sector","cc_url","family"\n')
WEB_FILE = "2026-01-03-compromised_website-example-geo.csv"

CSV_COLUMNS = ["id", "time.source", "time.observation", "feed.name", "classification.taxonomy",
               "classification.type", "classification.identifier", "source.ip", "source.port",
               "source.asn", "source.fqdn", "source.reverse_dns", "source.url",
               "destination.ip", "destination.port", "protocol.transport",
               "protocol.application", "malware.name", "constituency", "tlp", "extra"]


def adb_row(ts, ip, asn=64500, host="", port=5555, geo="NL", name="hlteuc",
            model="SAMSUNG-SM-N900A", device="hlteatt", features=""):
    """One scan_adb row in Shadowserver's own quoting (strings quoted, numbers bare)."""
    feats = '"%s"' % features if features else ""
    return ('"%s","%s","tcp",%s,"%s","adb",%s,"%s","REGION","CITY",518210,737415,"%s","%s",'
            '"%s",%s,,,,,\n' % (ts, ip, port, host, asn, geo, name, model, device, feats))


def adb_report(rows):
    return (ADB_HEADER + "".join(rows)).encode()


# The main report: (row, expected owner, expected rule). Lines 2..10 of the file.
BASE = [
    (adb_row("2026-01-01 02:07:16", "198.51.100.7", host="host7.medicines.example"),
     "UMA", "network"),
    (adb_row("2026-01-01 02:07:16", "192.0.2.5", asn=64496, host="ws5.dg-digit.commission."
             "example", geo="BE", name="marlin", model="Pixel XL", device="marlin",
             features="cmd,shell_v2"), "DG-DIGIT", "network"),
    (adb_row("2026-01-01 09:30:00", "198.51.100.8"), "UMA", "network"),
    (adb_row("2026-01-01 14:00:00", "192.0.2.40", asn=64496), "DG-HOME", "network"),
    (adb_row("2026-01-01 18:45:00", "192.0.2.100", asn=64496), "UCOM", "network"),
    (adb_row("2026-01-02 03:15:00", "203.0.113.40", asn=64499), "UBSB", "network"),
    (adb_row("2026-01-02 08:00:00", "203.0.113.20", asn=64499), "UCB", "network"),
    (adb_row("2026-01-02 12:00:00", "100.64.7.7", asn=64510), "UEAS", "asn"),
    (adb_row("2026-01-02 23:59:59", "100.64.9.9", asn=3462), None, None),
]
BASE_REPORT = adb_report(r for r, _, _ in BASE)
BASE_IPS = [r.split(",")[1].strip('"') for r, _, _ in BASE]

# compromised_website: owners found from the domain (the IPs are nobody's).
WEB_REPORT = (WEB_HEADER +
              '"2026-01-03 10:00:00","100.64.1.1",80,"","hacked-webserver","http",3462,"NL",'
              '"","","/index.php","mail.dg-digit.commission.example","spam","","","","",0,0,'
              ',,\n'
              '"2026-01-03 11:00:00","100.64.1.2",443,"","phishing","https",3462,"NL","","",'
              '"/login","www.commission.example","phishing","","","","",0,0,,,\n'
              '"2026-01-03 12:00:00","100.64.1.3",80,"","phishing","http",3462,"NL","","","/",'
              '"evil.test","phishing","","","","",0,0,,,\n').encode()


def multipart(fields, files):
    """A multipart/form-data body: fields [(name, value)], files [(name, filename, bytes)]."""
    boundary = "ermes-test-" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields:
        value = value if isinstance(value, bytes) else value.encode()
        out.write(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                  % (boundary.encode(), name.encode(), value))
    for name, filename, data in files:
        out.write(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                  b"Content-Type: text/csv\r\n\r\n" % (boundary.encode(), name.encode(),
                                                       filename.encode()))
        out.write(data + b"\r\n")
    out.write(b"--%s--\r\n" % boundary.encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def accounting_holds(report):
    a = report["accounting"]
    return a["rows_in"] == a["events"] + a["duplicates"] + a["quarantined"]


class IntakeCase(unittest.TestCase):
    """Helpers shared by the test classes; cls.e is the daemon."""
    maxDiff = 4000

    def upload(self, body, query="feed=shadowserver&file_name=" + ADB_FILE, wait=True,
               content_type="text/csv", token=None, expect=None):
        path = REPORTS + "?" + query + ("&wait=true" if wait else "")
        kw = {} if token is None else {"token": token}
        status, headers, b = self.e.request("POST", path, body, content_type=content_type, **kw)
        if expect is not None:
            self.assertEqual(status, expect, b)
        return status, headers, b

    def report(self, rid):
        return self.e.ok("GET", "%s/%d" % (REPORTS, rid), expect=200)

    def wait_done(self, rid):
        return wait_until(lambda: (lambda r: r if r["state"] in ("done", "failed") else None)(
            self.report(rid)), timeout=30, what="report %d processed" % rid)

    def events(self, query="", token=None):
        """Every event matching query, through the JSON pages."""
        kw = {} if token is None else {"token": token}
        return self.e.list_all(EVENTS + ("?" + query if query else ""), limit=1000, **kw)

    def ndjson(self, query="", token=None):
        kw = {} if token is None else {"token": token}
        status, headers, body = self.e.request(
            "GET", EVENTS + "?format=ndjson" + ("&" + query if query else ""), raw=True, **kw)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "application/x-ndjson")
        lines = body.decode().splitlines()
        return [json.loads(line) for line in lines]

    def assert_report(self, r, state="done", events=None, duplicates=0, quarantined=0,
                      rows_in=None, file_name=ADB_FILE, body=None):
        self.assertEqual(r["state"], state, r)
        self.assertEqual(r["feed"], "shadowserver")
        self.assertEqual(r["file_name"], file_name)
        self.assertIsNone(r["error"], r)
        self.assertEqual(r["submitted_by"], "admin")
        # The report's TLP is the event_tlp setting's (AMBER) when the sender names none.
        self.assertEqual(r["tlp"], "AMBER")
        self.assertRegex(r["received_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        if body is not None:
            self.assertEqual(r["size"], len(body))
            self.assertEqual(r["sha256"], hashlib.sha256(body).hexdigest())
        a = r["accounting"]
        if state == "received":
            self.assertEqual(a, {"rows_in": 0, "events": 0, "duplicates": 0, "quarantined": 0,
                                 "dismissed": 0})
            self.assertIsNone(r["processed_at"])
            return
        self.assertIsNotNone(r["processed_at"])
        self.assertGreaterEqual(r["processed_at"], r["received_at"])
        if events is not None:
            self.assertEqual(a["events"], events, r)
        self.assertEqual(a["duplicates"], duplicates, r)
        self.assertEqual(a["quarantined"], quarantined, r)
        if rows_in is not None:
            self.assertEqual(a["rows_in"], rows_in, r)
        self.assertTrue(accounting_holds(r), r)


class IntakeTest(IntakeCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        try:
            cls.base_status, cls.base_headers, cls.base = cls.e.request(
                "POST", REPORTS + "?feed=shadowserver&wait=true&file_name=" + ADB_FILE,
                BASE_REPORT, content_type="text/csv")
            cls.web = cls.e.ok("POST", REPORTS + "?feed=shadowserver&wait=true&file_name="
                               + WEB_FILE, WEB_REPORT, content_type="text/csv", expect=201)
            cls.uma_user, cls.uma = cls.e.user_token("uma-analyst", "constituent", org="UMA")
            _, cls.ucom = cls.e.user_token("ucom-analyst", "constituent", org="UCOM")
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def base_events(self, query=""):
        return self.events("report=%d" % self.base["id"] + ("&" + query if query else ""))

    def ips(self, events):
        return sorted(ev["event"]["source.ip"] for ev in events)

    # ---- uploads ---------------------------------------------------------------------------

    def test_upload_raw_wait(self):
        self.assertEqual(self.base_status, 201, self.base)
        self.assertEqual(self.base_headers.get("location"), "%s/%d" % (REPORTS, self.base["id"]))
        self.assert_report(self.base, events=len(BASE), rows_in=len(BASE), body=BASE_REPORT)
        self.assertEqual(self.report(self.base["id"]), self.base)
        self.assertEqual(self.ips(self.base_events()), sorted(BASE_IPS))

    def test_upload_raw_background(self):
        body = adb_report([adb_row("2025-03-01 10:00:00", "198.51.100.9"),
                           adb_row("2025-03-01 11:00:00", "192.0.2.7", asn=64496)])
        status, headers, r = self.upload(body, wait=False, expect=202)
        self.assertEqual(headers.get("location"), "%s/%d" % (REPORTS, r["id"]))
        self.assert_report(r, state="received", body=body)
        done = self.wait_done(r["id"])
        self.assert_report(done, events=2, rows_in=2, body=body)
        self.assertEqual(done["received_at"], r["received_at"])
        self.assertEqual(self.ips(self.events("report=%d" % r["id"])),
                         ["192.0.2.7", "198.51.100.9"])

    def test_upload_multipart_wait(self):
        body = adb_report([adb_row("2025-03-02 10:00:00", "198.51.100.10")])
        # The file part's name is the report's file_name; the feed comes as a form field.
        form, ctype = multipart([("feed", "shadowserver")], [("file", ADB_FILE, body)])
        status, headers, r = self.upload(form, query="x=1", content_type=ctype, expect=201)
        self.assertEqual(headers.get("location"), "%s/%d" % (REPORTS, r["id"]))
        self.assert_report(r, events=1, rows_in=1, body=body)
        ev = self.events("report=%d" % r["id"])
        self.assertEqual([e["event"]["source.ip"] for e in ev], ["198.51.100.10"])
        self.assertEqual(ev[0]["event"]["constituency"], "UMA")
        # A file_name field names it instead; option fields reach the parser (report= tells
        # the type when the name does not).
        body = adb_report([adb_row("2025-03-02 11:00:00", "198.51.100.11")])
        form, ctype = multipart([("feed", "shadowserver"), ("file_name", "upload.csv"),
                                 ("option", "report=scan_adb")],
                                [("file", "ignored-name.csv", body)])
        status, _, r = self.upload(form, query="x=1", content_type=ctype, expect=201)
        self.assert_report(r, events=1, rows_in=1, file_name="upload.csv", body=body)
        self.assertEqual(self.events("report=%d" % r["id"])[0]["event"]["feed.name"],
                         "Accessible-ADB")
        # Without that option the type is not known: the report fails as a whole, with why.
        body = adb_report([adb_row("2025-03-02 12:00:00", "198.51.100.12")])
        form, ctype = multipart([("feed", "shadowserver")], [("file", "upload.txt", body)])
        status, _, r = self.upload(form, query="x=1", content_type=ctype, expect=201)
        self.assertEqual(r["state"], "failed", r)
        self.assertIn("report=TYPE", r["error"])
        self.assertEqual(r["accounting"]["rows_in"], 0)
        self.assertEqual(self.events("report=%d" % r["id"]), [])

    def test_upload_multipart_background(self):
        body = adb_report([adb_row("2025-03-03 10:00:00", "203.0.113.41", asn=64499),
                           adb_row("2025-03-03 10:05:00", "203.0.113.42", asn=64499)])
        # Feed in the query, the file in the form.
        form, ctype = multipart([], [("file", ADB_FILE, body)])
        status, headers, r = self.upload(form, query="feed=shadowserver", wait=False,
                                         content_type=ctype, expect=202)
        self.assert_report(r, state="received", body=body)
        done = self.wait_done(r["id"])
        self.assert_report(done, events=2, rows_in=2, body=body)
        self.assertEqual({e["event"]["constituency"] for e in self.events("report=%d" % r["id"])},
                         {"UBSB"})

    def test_events_get_their_reports_tlp(self):
        # Issue 15, item 6: an AMBER+STRICT report gives AMBER+STRICT events (no longer the
        # event_tlp setting's AMBER); a parser's own TLP wins; a bad tlp names the field.
        for tlp in ("AMBER+STRICT", "RED", "GREEN"):
            body = adb_report([adb_row("2026-01-05 03:00:00", "198.51.100.77",
                                       host=tlp.lower().replace("+", "-") + ".example")])
            _, _, r = self.upload(body, query="feed=shadowserver&tlp=%s&file_name=%s"
                                  % (quote(tlp), ADB_FILE), expect=201)
            self.assertEqual(r["tlp"], tlp)
            evs = self.events("report=%d" % r["id"])
            self.assertEqual([e["event"]["tlp"] for e in evs], [tlp])
        s, _, b = self.upload(BASE_REPORT, query="feed=shadowserver&tlp=YELLOW&file_name=" +
                              ADB_FILE)
        assert_error(self, s, b, 422, "invalid", field="tlp")
        # Microsoft CTIP rows carry their TLP: kept, whatever the report's.
        ctip = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds", "intelmq",
                            "microsoft", "ctip_azure.txt")
        with open(ctip, "rb") as f:
            _, _, r = self.upload(f.read(), query="feed=microsoft-ctip&tlp=RED&file_name=a.txt",
                                  expect=201)
        tlps = [e["event"].get("tlp") for e in self.events("report=%d" % r["id"])]
        self.assertIn("GREEN", tlps)
        self.assertIn("AMBER", tlps)  # YELLOW in the file
        self.assertIn("RED", tlps)    # "Unknown" in the file: the report's

    def test_same_file_again_is_already_received(self):
        # Issue 15, item 4: the same bytes for the same feed a second time answer 200 with the
        # report received first, and store nothing: no report, no events, no quarantine.
        before = len(self.ndjson())
        reports = len(self.e.list_all(REPORTS))
        quarantined = len(self.e.list_all(QUARANTINE))
        status, headers, again = self.upload(BASE_REPORT, expect=200)
        self.assertEqual(again["id"], self.base["id"])
        self.assertIs(again["already_received"], True)
        self.assertEqual(again["sha256"], self.base["sha256"])
        self.assertTrue(headers["location"].endswith("/reports/%d" % self.base["id"]))
        self.assertEqual(len(self.e.list_all(REPORTS)), reports)
        self.assertEqual(len(self.ndjson()), before)
        self.assertEqual(len(self.e.list_all(QUARANTINE)), quarantined)
        # force=true stores it again: a new report whose rows are all duplicates.
        assert_error(self, *self.upload(BASE_REPORT, query="feed=shadowserver&force=maybe&"
                                        "file_name=" + ADB_FILE)[::2], 400, "bad_request",
                     field="force")
        _, _, forced = self.upload(BASE_REPORT, query="feed=shadowserver&force=true&file_name=" +
                                   ADB_FILE, expect=201)
        self.assertNotEqual(forced["id"], self.base["id"])
        self.assertNotIn("already_received", forced)
        self.assert_report(forced, events=0, duplicates=len(BASE), rows_in=len(BASE),
                           body=BASE_REPORT)
        self.assertEqual(self.events("report=%d" % forced["id"]), [])
        self.assertEqual(len(self.ndjson()), before)
        self.assertEqual(self.e.ok("GET", QUARANTINE + "?report=%d" % forced["id"])["data"], [])
        # The same bytes with other options, or for another feed, are another report.
        _, _, opt = self.upload(BASE_REPORT, query="feed=shadowserver&option=report=scan_adb&"
                                "file_name=" + ADB_FILE, expect=201)
        self.assertNotEqual(opt["id"], self.base["id"])
        status, _, other = self.upload(BASE_REPORT, query="feed=generic-csv&option=columns="
                                       "__IGNORE__&option=skip_header=true&file_name=" + ADB_FILE)
        self.assertIn(status, (201, 202), other)
        self.assertNotEqual(other["id"], self.base["id"])

    def test_upload_audited(self):
        entries = self.e.list_all("/api/v1/audit?object_type=report&action=create")
        ids = {x["object_id"] for x in entries}
        self.assertIn(str(self.base["id"]), ids)
        self.assertIn(str(self.web["id"]), ids)
        self.assertEqual({x["actor"] for x in entries}, {"admin"})

    # ---- owners ----------------------------------------------------------------------------

    def test_events_have_their_owner(self):
        by_ip = {ev["event"]["source.ip"]: ev for ev in self.base_events()}
        self.assertEqual(sorted(by_ip), sorted(BASE_IPS))
        for line, ((row, owner, rule), ip) in enumerate(zip(BASE, BASE_IPS), start=2):
            with self.subTest(ip=ip):
                listed = by_ip[ip]
                self.assertEqual(listed["event"].get("constituency"), owner, listed)
                one = self.e.ok("GET", "%s/%d" % (EVENTS, listed["id"]))
                self.assertEqual(one["id"], listed["id"])
                # The detail adds the row as the feed sent it: text, and IntelMQ's base64 raw.
                self.assertEqual(one["raw"], row.rstrip("\r\n"))
                self.assertEqual(base64.b64decode(one["event"].pop("raw")).decode(),
                                 row.rstrip("\r\n"))
                self.assertEqual(one["event"], listed["event"])
                self.assertEqual(one["report_id"], self.base["id"])
                self.assertEqual(one["line"], line)
                self.assertEqual(one["owner_rule"], rule)
                self.assertRegex(one["stored_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                ev = one["event"]
                self.assertEqual(ev["feed.name"], "Accessible-ADB")
                self.assertEqual(ev["feed.provider"], "Shadowserver")
                self.assertEqual(ev["classification.taxonomy"], "vulnerable")
                self.assertEqual(ev["classification.type"], "vulnerable-system")
                self.assertEqual(ev["classification.identifier"], "accessible-adb")
                self.assertEqual(ev["source.port"], 5555)
                self.assertEqual(ev["protocol.transport"], "tcp")
                self.assertEqual(ev["tlp"], "AMBER")
                ts = row.split(",")[0].strip('"')
                self.assertEqual(ev["time.source"], ts.replace(" ", "T") + "+00:00")
                self.assertEqual(ev["extra.naics"], 518210)
        digit = by_ip["192.0.2.5"]["event"]
        self.assertEqual(digit["source.asn"], 64496)
        self.assertEqual(digit["source.reverse_dns"], "ws5.dg-digit.commission.example")
        self.assertEqual(digit["extra.features"], "cmd,shell_v2")
        self.assertEqual(digit["source.geolocation.cc"], "BE")
        # Owners found from the domain.
        web = {ev["event"]["source.fqdn"]: ev for ev in self.events("report=%d" % self.web["id"])}
        self.assertEqual(sorted(web), ["evil.test", "mail.dg-digit.commission.example",
                                       "www.commission.example"])
        for fqdn, owner, rule in (("mail.dg-digit.commission.example", "DG-DIGIT", "domain"),
                                  ("www.commission.example", "UCOM", "domain"),
                                  ("evil.test", None, None)):
            one = self.e.ok("GET", "%s/%d" % (EVENTS, web[fqdn]["id"]))
            self.assertEqual(one["event"].get("constituency"), owner, one)
            self.assertEqual(one["owner_rule"], rule, one)
            self.assertEqual(one["event"]["classification.taxonomy"], "intrusions")

    def test_event_not_found(self):
        for path in ("/999999", "/0", "/-1"):
            s, _, b = self.e.request("GET", EVENTS + path)
            assert_error(self, s, b, 404, "not_found")
        # Not a number at all: the client's mistake, named (issue 10, item 8).
        for path in ("/abc", "/1x", "/99999999999999999999"):
            s, _, b = self.e.request("GET", EVENTS + path)
            assert_error(self, s, b, 400, "bad_request", "id")

    # ---- filters ---------------------------------------------------------------------------

    def test_filter_time_range(self):
        day2 = self.base_events("since=2026-01-02T00:00:00Z")
        self.assertEqual(self.ips(day2), sorted(BASE_IPS[5:]))
        day1 = self.base_events("until=2026-01-02T00:00:00Z")
        self.assertEqual(self.ips(day1), sorted(BASE_IPS[:5]))
        # since is inclusive, until exclusive.
        window = self.base_events("since=2026-01-01T09:30:00Z&until=2026-01-01T18:45:00Z")
        self.assertEqual(self.ips(window), ["192.0.2.40", "198.51.100.8"])
        # Any offset is understood.
        self.assertEqual(self.ips(self.base_events("since=" + quote("2026-01-02T09:00:00+01:00")
                                                   + "&until=2026-01-02T12:00:01Z")),
                         ["100.64.7.7", "203.0.113.20"])
        for bad in ("since=yesterday", "until=2026-13-01T00:00:00Z"):
            s, _, b = self.e.request("GET", EVENTS + "?" + bad)
            assert_error(self, s, b, 400, "bad_request", field=bad.split("=")[0])

    def test_filter_org(self):
        self.assertEqual(self.ips(self.base_events("org=UMA")), ["198.51.100.7", "198.51.100.8"])
        uma_id = self.e.ok("GET", "/api/v1/organisations/UMA")["id"]
        self.assertEqual(self.ips(self.base_events("org=%d" % uma_id)),
                         ["198.51.100.7", "198.51.100.8"])
        # The organisation itself, not its children.
        self.assertEqual(self.ips(self.base_events("org=UCOM")), ["192.0.2.100"])
        self.assertEqual(self.ips(self.base_events("org=UCB")), ["203.0.113.20"])
        # Across reports: every UCOM event, whichever report it came from.
        every = self.ndjson()
        self.assertEqual(sorted(e["id"] for e in self.events("org=UCOM")),
                         sorted(e["id"] for e in every
                                if e["event"].get("constituency") == "UCOM"))
        s, _, b = self.e.request("GET", EVENTS + "?org=NO-SUCH-ORG")
        assert_error(self, s, b, 400, "bad_request", field="org")

    def test_filter_feed_taxonomy_type(self):
        self.assertEqual(len(self.base_events("feed=Accessible-ADB")), len(BASE))
        self.assertEqual(self.base_events("feed=Compromised-Website"), [])
        # feed is the event's feed.name, not the parser.
        self.assertEqual(self.events("feed=shadowserver"), [])
        web = self.events("feed=Compromised-Website")
        self.assertEqual(sorted(e["id"] for e in web),
                         sorted(e["id"] for e in self.events("report=%d" % self.web["id"])))
        self.assertEqual(len(web), 3)
        self.assertEqual(len(self.base_events("taxonomy=vulnerable")), len(BASE))
        self.assertEqual(self.base_events("taxonomy=intrusions"), [])
        self.assertEqual(sorted(e["id"] for e in self.events("taxonomy=intrusions")),
                         sorted(e["id"] for e in web))
        self.assertEqual(len(self.base_events("type=vulnerable-system")), len(BASE))
        self.assertEqual(self.base_events("type=system-compromise"), [])
        self.assertEqual(len(self.events("type=system-compromise&report=%d" % self.web["id"])),
                         3)
        self.assertEqual(self.ips(self.base_events("feed=Accessible-ADB&org=UMA")),
                         ["198.51.100.7", "198.51.100.8"])
        # A value no event has: an empty page at once (event_daily answers), the same as with
        # a value some event has but not of this organisation, or not in this report.
        self.assertEqual(self.events("feed=No-Such-Feed"), [])
        self.assertEqual(self.events("taxonomy=vulnerable&type=no-such-type"), [])
        self.assertEqual(self.events("feed=Accessible-ADB&org=CERT"), [])
        self.assertEqual(self.events("taxonomy=intrusions&report=%d" % self.base["id"]), [])

    def test_filter_ip_and_cidr(self):
        self.assertEqual(self.ips(self.base_events("ip=198.51.100.7")), ["198.51.100.7"])
        self.assertEqual(self.ips(self.base_events("ip=198.51.100.7/32")), ["198.51.100.7"])
        self.assertEqual(self.ips(self.base_events("ip=" + quote("192.0.2.0/26"))),
                         ["192.0.2.40", "192.0.2.5"])
        self.assertEqual(self.ips(self.base_events("ip=" + quote("203.0.113.32/28"))),
                         ["203.0.113.40"])
        self.assertEqual(self.ips(self.base_events("ip=" + quote("100.64.0.0/10"))),
                         ["100.64.7.7", "100.64.9.9"])
        self.assertEqual(self.base_events("ip=" + quote("10.0.0.0/8")), [])
        self.assertEqual(self.base_events("ip=" + quote("2001:db8::/32")), [])
        # Across every report: the server's answer is the client's own filtering.
        every = self.ndjson()
        want = sorted(e["id"] for e in every
                      if e["event"].get("source.ip", "").startswith("198.51.100."))
        self.assertEqual(sorted(e["id"] for e in self.events("ip=" + quote("198.51.100.0/24"))),
                         want)
        for bad in ("not-an-ip", "198.51.100.0/33", "300.1.1.1"):
            s, _, b = self.e.request("GET", EVENTS + "?ip=" + quote(bad))
            assert_error(self, s, b, 400, "bad_request", field="ip")

    def test_filter_domain(self):
        def fqdns(query):
            return sorted(e["event"]["source.fqdn"]
                          for e in self.events("report=%d&%s" % (self.web["id"], query)))

        self.assertEqual(fqdns("domain=commission.example"),
                         ["mail.dg-digit.commission.example", "www.commission.example"])
        self.assertEqual(fqdns("domain=dg-digit.commission.example"),
                         ["mail.dg-digit.commission.example"])
        self.assertEqual(fqdns("domain=www.commission.example"), ["www.commission.example"])
        self.assertEqual(fqdns("domain=evil.test"), ["evil.test"])
        # A suffix that is not a label boundary does not match.
        self.assertEqual(fqdns("domain=mission.example"), [])
        # scan_adb has no source.fqdn (the host name is source.reverse_dns).
        self.assertEqual(self.base_events("domain=medicines.example"), [])
        s, _, b = self.e.request("GET", EVENTS + "?domain=")
        assert_error(self, s, b, 400, "bad_request", field="domain")

    def test_filter_report(self):
        self.assertEqual(len(self.base_events()), len(BASE))
        for bad in ("abc", "0", "-3"):
            s, _, b = self.e.request("GET", EVENTS + "?report=" + bad)
            assert_error(self, s, b, 400, "bad_request", field="report")
        self.assertEqual(self.events("report=999999"), [])

    # ---- formats and paging ----------------------------------------------------------------

    def test_format_json(self):
        s, h, b = self.e.request("GET", EVENTS + "?report=%d" % self.base["id"])
        self.assertEqual(s, 200, b)
        self.assertEqual(h.get("content-type"), "application/json")
        self.assertEqual(set(b), {"data", "next_cursor"})
        self.assertIsNone(b["next_cursor"])
        self.assertEqual(len(b["data"]), len(BASE))
        for item in b["data"]:
            # Each carries the analysts' triage state, new until set.
            self.assertEqual(set(item), {"id", "event", "triage"})
            self.assertEqual(item["triage"], "new")
        ids = [item["id"] for item in b["data"]]
        self.assertEqual(ids, sorted(ids), "oldest first")
        s, _, b = self.e.request("GET", EVENTS + "?format=xml")
        assert_error(self, s, b, 400, "bad_request", field="format")

    def test_format_ndjson(self):
        q = "report=%d" % self.base["id"]
        lines = self.ndjson(q)
        self.assertEqual(lines, self.base_events())
        self.assertEqual(len(self.ndjson(q + "&limit=2")), 2)
        self.assertEqual(self.ndjson(q + "&limit=2"), lines[:2])

    def test_format_csv(self):
        s, h, body = self.e.request("GET", EVENTS + "?format=csv&report=%d" % self.base["id"],
                                    raw=True)
        self.assertEqual(s, 200, body)
        self.assertEqual(h.get("content-type"), "text/csv; charset=utf-8")
        self.assertEqual(h.get("content-disposition"), 'attachment; filename="events.csv"')
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
        self.assertEqual(rows[0], CSV_COLUMNS)
        self.assertEqual(len(rows), 1 + len(BASE))
        self.assertTrue(all(len(r) == len(CSV_COLUMNS) for r in rows), rows)
        events = {e["id"]: e["event"] for e in self.base_events()}
        for r in csv.DictReader(io.StringIO(body.decode("utf-8"))):
            ev = events[int(r["id"])]
            self.assertEqual(r["source.ip"], ev["source.ip"])
            self.assertEqual(r["constituency"], ev.get("constituency", ""))
            self.assertEqual(r["source.port"], "5555")
            self.assertEqual(r["feed.name"], "Accessible-ADB")
            self.assertEqual(r["time.source"], ev["time.source"])
            extra = json.loads(r["extra"])
            self.assertEqual(extra["feed.provider"], "Shadowserver")
            self.assertEqual(extra["extra.naics"], 518210)
            self.assertNotIn("source.ip", extra)
        # The comma inside extra.features survives the quoting.
        digit = [r for r in csv.DictReader(io.StringIO(body.decode()))
                 if r["source.ip"] == "192.0.2.5"][0]
        self.assertEqual(json.loads(digit["extra"])["extra.features"], "cmd,shell_v2")
        # An export may be larger than a page: limit is not capped by page_limit.
        s, _, body = self.e.request("GET", EVENTS + "?format=csv&limit=5000", raw=True)
        self.assertEqual(s, 200, body)
        self.assertEqual(len(body.decode().splitlines()) - 1, len(self.ndjson()))
        s, _, body = self.e.request("GET", EVENTS + "?format=csv&limit=3&report=%d"
                                    % self.base["id"], raw=True)
        self.assertEqual(len(body.decode().splitlines()), 4)
        for bad in ("limit=0", "limit=-1", "limit=x", "cursor=zz"):
            s, _, b = self.e.request("GET", EVENTS + "?format=csv&" + bad)
            assert_error(self, s, b, 400, "bad_request", field=bad.split("=")[0])

    def test_pagination(self):
        want = [e["id"] for e in self.base_events()]
        url = EVENTS + "?report=%d&limit=2" % self.base["id"]
        seen, pages = [], 0
        while True:
            b = self.e.ok("GET", url)
            pages += 1
            self.assertLessEqual(len(b["data"]), 2)
            seen += [e["id"] for e in b["data"]]
            if b["next_cursor"] is None:
                break
            self.assertIsInstance(b["next_cursor"], str)
            url = EVENTS + "?report=%d&limit=2&cursor=%s" % (self.base["id"],
                                                             quote(b["next_cursor"]))
            self.assertLess(pages, 20)
        self.assertEqual(seen, want)
        self.assertEqual(pages, (len(BASE) + 1) // 2)
        # The cursor means the same in the exports.
        first = self.e.ok("GET", EVENTS + "?report=%d&limit=3" % self.base["id"])
        rest = self.ndjson("report=%d&cursor=%s" % (self.base["id"],
                                                    quote(first["next_cursor"])))
        self.assertEqual([e["id"] for e in rest], want[3:])
        for bad in ("limit=0", "limit=1001", "limit=x", "cursor=zz", "cursor=c-1"):
            s, _, b = self.e.request("GET", EVENTS + "?" + bad)
            assert_error(self, s, b, 400, "bad_request", field=bad.split("=")[0])
        # Reports page newest first.
        b = self.e.ok("GET", REPORTS + "?limit=1")
        self.assertEqual(len(b["data"]), 1)
        self.assertIsNotNone(b["next_cursor"])
        reports = self.e.list_all(REPORTS, limit=2)
        ids = [r["id"] for r in reports]
        self.assertEqual(ids, sorted(ids, reverse=True))
        self.assertIn(self.base["id"], ids)
        self.assertTrue(all(accounting_holds(r) for r in reports if r["state"] == "done"))
        self.assertEqual({r["id"] for r in self.e.list_all(REPORTS + "?state=done")},
                         {r["id"] for r in reports if r["state"] == "done"})
        self.assertEqual(self.e.list_all(REPORTS + "?feed=spamhaus-drop"), [])
        s, _, b = self.e.request("GET", REPORTS + "?state=lost")
        assert_error(self, s, b, 400, "bad_request", field="state")
        s, _, b = self.e.request("GET", REPORTS + "/999999")
        assert_error(self, s, b, 404, "not_found")

    # ---- what a constituent sees -----------------------------------------------------------

    def test_constituent_sees_only_its_own_events(self):
        mine = self.events(token=self.uma)
        self.assertGreaterEqual(len(mine), 2)
        self.assertEqual({e["event"].get("constituency") for e in mine}, {"UMA"})
        self.assertEqual(sorted(e["id"] for e in mine),
                         sorted(e["id"] for e in self.events("org=UMA")))
        self.assertEqual(self.ips(self.events("report=%d" % self.base["id"], token=self.uma)),
                         ["198.51.100.7", "198.51.100.8"])
        self.assertEqual(self.ndjson(token=self.uma), mine)
        s, _, body = self.e.request("GET", EVENTS + "?format=csv", token=self.uma, raw=True)
        self.assertEqual(s, 200, body)
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        self.assertEqual(len(rows), len(mine))
        self.assertEqual({r["constituency"] for r in rows}, {"UMA"})
        # Its own event by id; another organisation's is 404, as if it did not exist.
        by_ip = {e["event"]["source.ip"]: e["id"] for e in self.base_events()}
        one = self.e.ok("GET", "%s/%d" % (EVENTS, by_ip["198.51.100.7"]), token=self.uma)
        self.assertEqual(one["event"]["constituency"], "UMA")
        for ip in ("192.0.2.5", "100.64.9.9", "203.0.113.40"):
            s, _, b = self.e.request("GET", "%s/%d" % (EVENTS, by_ip[ip]), token=self.uma)
            assert_error(self, s, b, 404, "not_found")
        # Filters cannot widen the view.
        self.assertEqual(self.events("ip=" + quote("192.0.2.0/24"), token=self.uma), [])
        self.assertEqual(self.ips(self.events("feed=Accessible-ADB&report=%d" % self.base["id"],
                                              token=self.uma)), ["198.51.100.7", "198.51.100.8"])
        self.assertEqual(self.events("taxonomy=intrusions", token=self.uma), [])
        s, _, b = self.e.request("GET", EVENTS + "?org=DG-DIGIT", token=self.uma)
        assert_error(self, s, b, 400, "bad_request", field="org")
        # A parent sees its own events, not its children's (DG-DIGIT, DG-HOME).
        ucom = self.events(token=self.ucom)
        self.assertEqual({e["event"].get("constituency") for e in ucom}, {"UCOM"})
        self.assertEqual(sorted(e["event"]["source.ip"] for e in ucom),
                         ["100.64.1.2", "192.0.2.100"])

    def test_constituent_has_no_reports_or_quarantine(self):
        n_reports = len(self.e.list_all(REPORTS))
        for method, path in (("GET", REPORTS), ("GET", "%s/%d" % (REPORTS, self.base["id"])),
                             ("GET", QUARANTINE), ("POST", QUARANTINE + "/1/retry")):
            with self.subTest(method=method, path=path):
                s, _, b = self.e.request(method, path, token=self.uma)
                assert_error(self, s, b, 403, "forbidden")
        s, _, b = self.upload(adb_report([adb_row("2025-05-01 00:00:00", "198.51.100.1")]),
                              token=self.uma)
        assert_error(self, s, b, 403, "forbidden")
        self.assertEqual(len(self.e.list_all(REPORTS)), n_reports)
        feeds = self.e.ok("GET", "/api/v1/feeds", token=self.uma)
        self.assertIn("shadowserver", [f["name"] for f in feeds["data"]])

    # ---- bad rows and the quarantine ---------------------------------------------------------

    def bad_report(self):
        rows = [
            adb_row("2025-04-01 01:00:00", "198.51.100.9"),                          # 2 good
            '"2025-04-01 01:05:00","198.51.100.10","tcp"\n',                         # 3 columns
            adb_row("2025-04-01 01:06:00", "999.1.2.3"),                             # 4 bad IP
            adb_row("2025-04-01 01:10:00", "198.51.100.11").replace(                 # 5 quoting
                '01:10:00",', '01:10:00"x,', 1),
            adb_row("2025-04-01 01:20:00", "192.0.2.6", asn=64496),                  # 6 good
        ]
        garbage = b"\x00\xff\xfe garbage\x01,,"                                      # 7 binary
        latin = adb_row("2025-04-01 01:30:00", "@IP@").encode().replace(            # 8 not UTF-8
            b"@IP@", b"\xff\xfe")
        tail = [
            adb_row("2025-04-01 01:35:00", "198.51.100.13", port="abc"),             # 9 port
            adb_row("2025-04-01 01:40:00", "203.0.113.41", asn=64499),               # 10 good
            '"2025-04-01 02:00:00,198.51.100.12,tcp,5555\n',                         # 11 open "
        ]
        body = (adb_report(rows) + garbage + b"\n" + latin + "".join(tail).encode())
        return body, garbage, latin

    def test_bad_rows_are_quarantined(self):
        body, garbage, latin = self.bad_report()
        _, _, r = self.upload(body, query="feed=shadowserver&file_name=2025-04-01-scan_adb-"
                                          "example-geo.csv", expect=201)
        self.assert_report(r, events=3, quarantined=7, rows_in=10,
                           file_name="2025-04-01-scan_adb-example-geo.csv", body=body)
        self.assertEqual(self.ips(self.events("report=%d" % r["id"])),
                         ["192.0.2.6", "198.51.100.9", "203.0.113.41"])
        lines = body.split(b"\n")
        q = self.e.ok("GET", QUARANTINE + "?report=%d" % r["id"])
        self.assertIsNone(q["next_cursor"])
        got = q["data"]
        self.assertEqual([x["line"] for x in got], [3, 4, 5, 7, 8, 9, 11])
        want_reasons = {3: "the row has 3 fields, the header 21",
                        4: 'source.ip: "999.1.2.3" (column ip) is not an IP address',
                        # Text after a closing quote continues the field, as Python's csv
                        # (and IntelMQ) read it: the time is then what is wrong.
                        5: 'time.source: "2025-04-01 01:10:00x" (column timestamp) is not a '
                           'date and time',
                        7: "NUL byte in record",
                        8: 'source.ip: "\ufffd\ufffd" (column ip) is not an IP address',
                        9: 'source.port: "abc" (column port) is not a whole number',
                        11: "unterminated quoted field (the row has 1 fields, the header "
                            "21)"}
        for x in got:
            with self.subTest(line=x["line"]):
                self.assertEqual(x["reason"], want_reasons[x["line"]])
                self.assertEqual(x["report_id"], r["id"])
                self.assertEqual(x["feed"], "shadowserver")
                self.assertEqual(x["state"], "open")
                self.assertIsNone(x["field"])
                raw = x["raw"]
                if isinstance(raw, dict):
                    raw = base64.b64decode(raw["base64"])
                else:
                    raw = raw.encode()
                if x["line"] == 11:
                    self.assertEqual(raw, lines[10] + b"\n")  # to the end of the file
                else:
                    self.assertEqual(raw, lines[x["line"] - 1])
        by_line = {x["line"]: x for x in got}
        self.assertEqual(by_line[7]["raw"], {"base64": base64.b64encode(garbage).decode()})
        self.assertEqual(by_line[8]["raw"], {"base64": base64.b64encode(latin[:-1]).decode()})
        self.assertIsInstance(by_line[4]["raw"], str)
        # Filters and paging of the quarantine.
        self.assertEqual(self.e.list_all(QUARANTINE + "?report=%d" % r["id"], limit=3), got)
        self.assertEqual(self.e.list_all(QUARANTINE + "?report=%d&state=open" % r["id"]), got)
        self.assertEqual(self.e.list_all(QUARANTINE + "?report=%d&state=retried" % r["id"]), [])
        every = self.e.list_all(QUARANTINE)
        self.assertTrue(all(x in every for x in got))
        for bad in ("report=abc", "report=0", "state=lost", "limit=0", "cursor=x"):
            s, _, b = self.e.request("GET", QUARANTINE + "?" + bad)
            assert_error(self, s, b, 400, "bad_request", field=bad.split("=")[0])

        # A retry parses the row again: still bad, it stays open and nothing is stored.
        n_events = len(self.ndjson())
        for line in (4, 8, 11):
            s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, by_line[line]["id"]))
            err = assert_error(self, s, b, 422, "invalid")
            self.assertEqual(err["message"], "the row still fails: " +
                             want_reasons[line].replace("\ufffd", "?"))
        self.assertEqual(len(self.ndjson()), n_events)
        self.assertEqual(self.e.list_all(QUARANTINE + "?report=%d&state=open" % r["id"]), got)
        self.assertEqual(self.report(r["id"])["accounting"], r["accounting"])
        for path in ("/999999/retry", "/0/retry"):
            s, _, b = self.e.request("POST", QUARANTINE + path)
            assert_error(self, s, b, 404, "not_found")
        s, _, b = self.e.request("POST", QUARANTINE + "/abc/retry")
        assert_error(self, s, b, 400, "bad_request", "id")
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, by_line[4]["id"]),
                                 b"retry please", content_type="text/plain")
        assert_error(self, s, b, 415, "unsupported_media_type")
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, by_line[4]["id"]), {})
        assert_error(self, s, b, 422, "invalid")

    # ---- refused uploads ---------------------------------------------------------------------

    def test_refused_uploads(self):
        n_reports = len(self.e.list_all(REPORTS))
        body = adb_report([adb_row("2025-06-01 00:00:00", "198.51.100.2")])
        cases = [
            ("feed=no-such-feed", 422, "invalid", "feed"),
            ("feed=%ff%fe", 422, "invalid", "feed"),
            ("feed=" + "f" * 64, 400, "bad_request", "feed"),
            ("file_name=" + ADB_FILE, 400, "bad_request", "feed"),
            ("feed=", 400, "bad_request", "feed"),
            ("feed=shadowserver&file_name=caf%e9.csv", 400, "bad_request", "file_name"),
            ("feed=shadowserver&file_name=" + "n" * 300, 400, "bad_request",
             "file_name"),
            ("feed=shadowserver&option=noequals", 422, "invalid", "option"),
            ("feed=shadowserver&option=" + quote("=x"), 422, "invalid", "option"),
            ("feed=shadowserver&option=" + quote("k=" + "v" * 511), 400, "bad_request",
             "option"),
            ("feed=shadowserver&option=" + quote(b"k=\xff"), 400, "bad_request",
             "option"),
            ("feed=shadowserver&" + "&".join("option=k%d=v" % i for i in range(33)), 422,
             "invalid", "option"),
        ]
        form_cases = [
            ([("feed", "shadowserver")], [], 400, "bad_request", "file"),
            ([("feed", "shadowserver"), ("colour", "blue")], [("file", ADB_FILE, body)], 400,
             "bad_request", "colour"),
            ([("feed", "nope")], [("file", ADB_FILE, body)], 422, "invalid", "feed"),
            ([("feed", "f" * 64)], [("file", ADB_FILE, body)], 400, "bad_request", "feed"),
            ([], [("file", ADB_FILE, body)], 400, "bad_request", "feed"),
            ([("feed", "shadowserver"), ("option", "k=" + "v" * 511)],
             [("file", ADB_FILE, body)], 400, "bad_request", "option"),
            ([("feed", "shadowserver")] + [("option", "k%d=v" % i) for i in range(33)],
             [("file", ADB_FILE, body)], 422, "invalid", "option"),
        ]
        for query, status, code, field in cases:
            with self.subTest(query=query[:60]):
                s, _, b = self.upload(body, query=query)
                err = assert_error(self, s, b, status, code, field=field)
                if "no-such-feed" in query:
                    self.assertIn('"no-such-feed"', err["message"])
        for fields, files, status, code, field in form_cases:
            with self.subTest(fields=[f[0] for f in fields], files=len(files)):
                form, ctype = multipart(fields, files)
                s, _, b = self.upload(form, query="x=1", content_type=ctype)
                assert_error(self, s, b, status, code, field=field)
        # Nothing was recorded, and the lists still answer.
        self.assertEqual(len(self.e.list_all(REPORTS)), n_reports)
        self.assertEqual(self.e.request("GET", QUARANTINE)[0], 200)
        self.assertFalse([f for f in os.listdir(os.path.join(self.e.dir, "reports"))
                          if f.startswith(".incoming")])
        # 32 options are fine, and an option of 512 bytes, in the query and in the form; the
        # report's record holds 1 KiB of options in all.
        for opts in (["k%02d=v" % i for i in range(32)], ["k=" + "v" * 510]):
            _, _, r = self.upload(body, query="feed=shadowserver&file_name=" + ADB_FILE + "&" +
                                  "&".join("option=" + quote(o) for o in opts), expect=201)
            self.assertEqual(r["state"], "done")
            form, ctype = multipart([("feed", "shadowserver")] + [("option", o) for o in opts],
                                    [("file", ADB_FILE, body)])
            # The same file with the same options again: force=true, else it is the report
            # received first (test_same_file_again_is_already_received).
            _, _, r = self.upload(form, query="force=true", content_type=ctype, expect=201)
            self.assertEqual(r["state"], "done")
        s, _, b = self.upload(body, query="feed=shadowserver&option=a=%s&option=b=%s"
                              % ("v" * 510, "v" * 510))
        assert_error(self, s, b, 422, "invalid", field="options")

    def test_feeds(self):
        b = self.e.ok("GET", "/api/v1/feeds")
        self.assertEqual(set(b), {"data", "next_cursor"})
        self.assertIsNone(b["next_cursor"])
        names = [f["name"] for f in b["data"]]
        self.assertEqual(len(names), len(set(names)))
        for name in ("shadowserver", "generic-csv", "generic-json", "spamhaus-drop"):
            self.assertIn(name, names)
        ss = b["data"][names.index("shadowserver")]
        self.assertEqual(set(ss), {"name", "description"})
        self.assertIn("Shadowserver", ss["description"])
        self.assertTrue(all(f["description"] for f in b["data"]))


class MaxReportTest(IntakeCase):
    """max_report (MiB) set to its least, 1: a larger upload is 413 and leaves nothing."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, env={"ERMES_MAX_REPORT": "1"})

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_oversize_report(self):
        limit = 1 << 20
        row = adb_row("2025-07-01 00:00:00", "198.51.100.3")
        big = adb_report([row] * (limit // len(row) + 1))
        self.assertGreater(len(big), limit)
        s, _, b = self.upload(big)
        assert_error(self, s, b, 413, "payload_too_large")
        self.assertIn(str(limit), b["error"]["message"])
        form, ctype = multipart([("feed", "shadowserver")], [("file", ADB_FILE, big)])
        s, _, b = self.upload(form, query="x=1", content_type=ctype)
        assert_error(self, s, b, 413, "payload_too_large")
        self.assertEqual(self.e.list_all(REPORTS), [])
        spool = os.path.join(self.e.dir, "reports")
        self.assertEqual(os.listdir(spool) if os.path.isdir(spool) else [], [])
        self.assertEqual(self.e.healthz()[0], 200)
        # Exactly the limit is accepted: rows that differ (no duplicates), padded to 1 MiB.
        rows = [adb_row("2025-07-01 00:00:00", "198.51.100.3", port=1000 + i)
                for i in range(limit // len(row) - 3)]
        body = adb_report(rows)
        pad = limit - len(body) - len(adb_row("2025-07-02 00:00:00", "198.51.100.4", name=""))
        self.assertGreater(pad, 0)
        rows.append(adb_row("2025-07-02 00:00:00", "198.51.100.4", name="x" * pad))
        body = adb_report(rows)
        self.assertEqual(len(body), limit)
        _, _, r = self.upload(body, expect=201)
        self.assert_report(r, events=len(rows), rows_in=len(rows), body=body)


class DedupKeysTest(IntakeCase):
    """dedup_keys: only the named fields make two events the same (here: the address and the
    kind of issue, so a device seen again on another port is a duplicate); a name that is no
    IntelMQ field is refused with the setting named."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, env={"ERMES_DEDUP_KEYS":
                                      "source.ip, classification.type, extra.tag"})

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_only_the_named_fields_compare(self):
        rows = [adb_row("2026-01-01 02:00:00", "198.51.100.7", port=5555),
                adb_row("2026-01-01 03:00:00", "198.51.100.7", port=5556, name="other"),
                adb_row("2026-01-01 04:00:00", "198.51.100.8", port=5555)]
        _, _, r = self.upload(adb_report(rows), expect=201)
        self.assert_report(r, events=2, duplicates=1, rows_in=3, body=adb_report(rows))

    def test_cli_ingest_audited(self):
        rc, out, err = self.e.cli("ingest", "--feed", "shadowserver", "--file-name", ADB_FILE,
                                  "--json", "-",
                                  input=adb_report([adb_row("2026-01-05 02:00:00", "192.0.2.9")]))
        self.assertEqual(rc, 0, err)
        rid = json.loads(out.strip().splitlines()[-1])["id"]
        entries = self.e.list_all("/api/v1/audit?object_type=report&action=create")
        self.assertIn(str(rid), {x["object_id"] for x in entries})

    def test_unknown_field_refused(self):
        rc, _, err = self.e.cli("ingest", "--feed", "shadowserver", "-",
                                input=adb_report([adb_row("2026-01-01 02:00:00", "192.0.2.5")]),
                                env={"ERMES_DEDUP_KEYS": "source.ip,source.nonsense"})
        self.assertEqual(rc, 1, err)
        self.assertIn("dedup_keys", err)
        self.assertIn("source.nonsense", err)


class RetryTest(IntakeCase):
    """A quarantined row that a newer Shadowserver schema can read: the retry stores it."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_retry_after_schema_change(self):
        body = adb_report([adb_row("2025-08-01 00:00:00", "198.51.100.5"),
                           adb_row("2025-08-01 00:01:00", "198.51.100.6", port="abc"),
                           adb_row("2025-08-01 00:02:00", "192.0.2.999")])
        _, _, r = self.upload(body, expect=201)
        self.assert_report(r, events=1, quarantined=2, rows_in=3, body=body)
        q = {x["line"]: x for x in self.e.list_all(QUARANTINE + "?report=%d" % r["id"])}
        self.assertEqual(sorted(q), [3, 4])
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, q[3]["id"]))
        assert_error(self, s, b, 422, "invalid")
        # Shadowserver makes the port optional: the row can now be read (the value that does
        # not convert is kept as extra.port). The schema in the data directory is used from
        # the next start on.
        with open(os.path.join(SOURCE_DIR, "data", "shadowserver", "intelmq.json")) as f:
            schema = json.load(f)
        adb = schema["scan_adb"]
        port = [x for x in adb["required_fields"] if x[0] == "source.port"]
        self.assertEqual(len(port), 1)
        adb["required_fields"].remove(port[0])
        adb["optional_fields"].append(port[0])
        with open(os.path.join(self.e.dir, "shadowserver-schema.json"), "w") as f:
            json.dump(schema, f)
        self.e.restart()
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, q[3]["id"]))
        self.assertEqual(s, 200, b)
        doc = self.e.ok("GET", "/api/v1/openapi.json", token=None)
        self.assertEqual(validate({"$ref": "#/components/schemas/RetryResult"}, b, doc), [])
        self.assertEqual(b["id"], q[3]["id"])
        self.assertEqual(b["state"], "retried")
        self.assertIsInstance(b["event_id"], int)
        b_event = b["event_id"]
        ev = self.e.ok("GET", "%s/%d" % (EVENTS, b["event_id"]))
        self.assertEqual(ev["report_id"], r["id"])
        self.assertEqual(ev["line"], 3)
        self.assertEqual(ev["event"]["source.ip"], "198.51.100.6")
        self.assertEqual(ev["event"]["extra.port"], "abc")
        self.assertNotIn("source.port", ev["event"])
        self.assertEqual(ev["event"]["constituency"], "UMA")
        self.assertEqual(ev["owner_rule"], "network")
        self.assertEqual(self.ips_of_report(r["id"]), ["198.51.100.5", "198.51.100.6"])
        # Once only; the other row still fails; the report's accounting moved the retried row
        # from quarantined to events.
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, q[3]["id"]))
        assert_error(self, s, b, 409, "conflict")
        s, _, b = self.e.request("POST", "%s/%d/retry" % (QUARANTINE, q[4]["id"]))
        assert_error(self, s, b, 422, "invalid")
        self.assertEqual([x["line"] for x in self.e.list_all(
            QUARANTINE + "?report=%d&state=retried" % r["id"])], [3])
        self.assertEqual([x["line"] for x in self.e.list_all(
            QUARANTINE + "?report=%d&state=open" % r["id"])], [4])
        moved = dict(r["accounting"], events=r["accounting"]["events"] + 1,
                     quarantined=r["accounting"]["quarantined"] - 1)
        self.assertEqual(self.report(r["id"])["accounting"], moved)
        self.assertTrue(accounting_holds(self.report(r["id"])))
        retried = self.e.list_all(QUARANTINE + "?report=%d&state=retried" % r["id"])
        self.assertEqual([x["retried_event_id"] for x in retried], [b_event])
        self.assertEqual([x["retried_event_id"] for x in self.e.list_all(
            QUARANTINE + "?report=%d&state=open" % r["id"])], [None])
        audit = self.e.list_all("/api/v1/audit?object_type=quarantine")
        self.assertEqual([(x["action"], x["object_id"]) for x in audit],
                         [("retry", str(q[3]["id"]))])

    def ips_of_report(self, rid):
        return sorted(e["event"]["source.ip"] for e in self.events("report=%d" % rid))


class ReadAheadTest(IntakeCase):
    """A report parsed ahead by a thread of its own on SQLite (src/intake/pipeline.c keeps at
    most 1,024 rows parsed and waiting; on PostgreSQL they are parsed in line, and the same
    must hold) and stored in batches of 1,000 rows: 10,000 rows, so the
    rows waiting wrap around nine times and the parser runs ahead over many commits. Every
    row must still land where it was in the file: its line, its position in the report, bad rows
    quarantined with their own bytes, repeats of earlier rows (across batches) duplicates."""

    ROWS = 10000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, env={"ERMES_BATCH_ROWS": "1000"})

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    @staticmethod
    def row(i):
        ip = "100.64.%d.%d" % (i // 250, i % 250 + 1)
        if i % 1000 == 999:
            return adb_row("2026-02-01 00:00:00", ip, port="p%d" % i)  # a bad port
        if 6000 <= i < 6100:
            return ReadAheadTest.row(i - 6000)  # the same row again, 6,000 rows later
        return adb_row("2026-02-01 00:00:00", ip, port=1000 + i % 50000)

    def test_rows_keep_their_place(self):
        rows = [self.row(i) for i in range(self.ROWS)]
        body = adb_report(rows)
        _, _, r = self.upload(body, query="feed=shadowserver&file_name=2026-02-01-scan_adb-"
                                          "example-geo.csv", expect=201)
        bad = [i for i in range(self.ROWS) if i % 1000 == 999]
        self.assert_report(r, events=self.ROWS - len(bad) - 100, duplicates=100,
                           quarantined=len(bad), rows_in=self.ROWS,
                           file_name="2026-02-01-scan_adb-example-geo.csv", body=body)
        q = self.e.list_all(QUARANTINE + "?report=%d" % r["id"], limit=100)
        self.assertEqual(sorted(x["line"] for x in q), [i + 2 for i in bad])
        for x in q:
            i = x["line"] - 2
            self.assertEqual(x["raw"], rows[i].rstrip("\n"))
            self.assertEqual(x["reason"], 'source.port: "p%d" (column port) is not a whole '
                                          'number' % i)
        events = self.events("report=%d" % r["id"])
        self.assertEqual(len(events), self.ROWS - len(bad) - 100)
        # Each stored event is its line's row: the address says which row it was.
        by_ip = {ev["event"]["source.ip"]: ev for ev in events}
        for i in range(self.ROWS):
            ip = "100.64.%d.%d" % (i // 250, i % 250 + 1)
            if i in bad or 6000 <= i < 6100:
                self.assertNotIn(ip, by_ip)
                continue
            ev = by_ip[ip]
            self.assertEqual(ev["event"]["source.port"], 1000 + i % 50000)
        # Their ids grow with their lines (stored in the file's order), and the detail gives
        # each its line and its bytes.
        self.assertEqual(sorted(events, key=lambda ev: ev["id"]),
                         sorted(events, key=lambda ev: tuple(
                             int(p) for p in ev["event"]["source.ip"].split(".")[2:])))
        for i in (0, 998, 1023, 1024, 1025, 2047, 2048, 5998, 6100, 9998):
            one = self.e.ok("GET", "%s/%d" % (EVENTS, by_ip["100.64.%d.%d" % (
                i // 250, i % 250 + 1)]["id"]))
            self.assertEqual(one["line"], i + 2)
            self.assertEqual(one["raw"], rows[i].rstrip("\n"))


if __name__ == "__main__":
    main()
