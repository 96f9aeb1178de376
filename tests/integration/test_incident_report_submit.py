"""POST /api/v1/incident-reports: a report typed in (by the CERT's staff on behalf of a
reporter, or by a constituent's user for its organisation) takes the mail's road: stored as a
message first, observables extracted from the subject, body, text attachments and the values
given, each looked up, the incident rules link it to an open incident or open one. A
constituent sees its own reports only. Real binary over HTTP, both backends.
"""

import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import db_connect, Ermes, assert_error, main  # noqa: E402

PATH = "/api/v1/incident-reports"


def b64(text):
    return base64.b64encode(text.encode()).decode()


class IncidentReportSubmitTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        _, cls.uma = cls.e.user_token("uma-reporter", "constituent", org="UMA")
        _, cls.ucb = cls.e.user_token("ucb-reporter", "constituent", org="UCB")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_staff_report_opens_then_joins(self):
        e = self.e
        # An analyst types in what a reporter said on the phone: observables from the subject,
        # the body (de-fanged), an attachment and a value given; the demo's UMA owns the
        # address and the mail domain.
        s, h, rep = e.request("POST", PATH, {
            "subject": "Phishing from 198.51.100.7",
            "body": "Victims clicked hxxp://login-medicines[.]example/reset\n",
            "reporter": "caller@reporter.example", "tlp": "GREEN",
            "observables": ["payroll@medicines.example"],
            "attachments": [{"name": "headers.txt",
                             "content": b64("Received: from 2001:db8:300::25\n")}]})
        self.assertEqual(s, 201, rep)
        self.assertEqual(h["location"], "%s/%d" % (PATH, rep["id"]))
        self.assertEqual((rep["reporter"], rep["tlp"], rep["tlp_marked"], rep["org"]),
                         ("caller@reporter.example", "GREEN", True, "UMA"), rep)
        obs = {(o["type"], o["value"]): o for o in rep["observables"]}
        self.assertEqual(obs[("ipv4", "198.51.100.7")]["found_in"], "subject")
        self.assertEqual(obs[("ipv4", "198.51.100.7")]["org"], "UMA")
        self.assertEqual(obs[("ipv6", "2001:db8:300::25")]["found_in"], "attachment headers.txt")
        self.assertEqual(obs[("email", "payroll@medicines.example")]["found_in"], "submitted")
        self.assertIn(("url", "http://login-medicines.example/reset"), obs)
        # GET answers the same report; the raw message it was written as is kept.
        got = e.ok("GET", "%s/%d" % (PATH, rep["id"]))
        self.assertEqual(got, rep)
        raw = e.request("GET", "/api/v1/mail/%d/raw" % rep["mail_id"], raw=True)
        self.assertEqual(raw[0], 200)
        self.assertIn(b"Subject: Phishing from 198.51.100.7", raw[2])
        self.assertIn(b"X-Ermes-Submitted-By: admin", raw[2])
        mail = e.ok("GET", "/api/v1/mail/%d" % rep["mail_id"])
        self.assertEqual((mail["state"], mail["kind"]), ("processed", "report"), mail)

        # An opening rule turns such a report into an incident ...
        rule = e.ok("POST", "/api/v1/incident-rules", {
            "name": "phishing opens", "condition": "subject_pattern", "pattern": "*phishing*",
            "action": "open", "open_class": "fraud", "open_type": "phishing", "position": 1},
            expect=201)
        a = e.ok("POST", PATH, {"subject": "More phishing, 198.51.100.99",
                                "body": "from the same kit", "reporter": "x@reporter.example"},
                 expect=201)
        self.assertEqual((a["decision"]["rule_id"], a["decision"]["action"]),
                         (rule["id"], "open"), a)
        inc = a["decision"]["incident_id"]
        self.assertEqual(a["incident_id"], inc)
        self.assertEqual(a["tlp"], "AMBER")
        # ... and a later one sharing an observable joins it (the default rule).
        e.ok("PUT", "/api/v1/incident-rules/%d" % rule["id"], {"enabled": False})
        b = e.ok("POST", PATH, {"subject": "scan", "body": "198.51.100.99 scans us",
                                "reporter": "y@reporter.example"}, expect=201)
        self.assertEqual((b["decision"]["action"], b["incident_id"]), ("link", inc), b)
        audit = e.ok("GET", "/api/v1/audit?limit=500")["data"]
        self.assertTrue(any(x.get("action") == "create" and x.get("object_type") ==
                            "incident_report" and str(x.get("object_id")) == str(b["id"])
                            for x in audit), audit[:5])

    def test_constituent_reports_its_own(self):
        e = self.e
        rep = e.ok("POST", PATH, {
            "subject": "Odd logins on our VPN", "tlp": "AMBER+STRICT",
            "body": "Logins from 203.0.113.45 and evil-host.example at night.",
            "attachments": [{"name": "vpn.log", "content": b64("deny 192.0.2.200\n")}]},
            token=self.uma, expect=201)
        # The reporter is the user, the organisation its own, whatever the look-ups say.
        self.assertEqual((rep["reporter"], rep["org"], rep["tlp"]),
                         ("uma-reporter", "UMA", "AMBER+STRICT"), rep)
        values = {o["value"] for o in rep["observables"]}
        self.assertTrue({"203.0.113.45", "evil-host.example", "192.0.2.200"} <= values, values)
        # The CERT's look-ups (known bad, seen before) and the rule's reasons are not shown.
        for o in rep["observables"]:
            self.assertNotIn("known_bad", o)
            self.assertNotIn("sightings", o)
        self.assertNotIn("decision", rep)
        # Staff see it, with everything.
        staff = e.ok("GET", "%s/%d" % (PATH, rep["id"]))
        self.assertIn("decision", staff)
        self.assertTrue(all("known_bad" in o for o in staff["observables"]))
        # Its own list holds it; another constituent neither lists nor reads it.
        mine = [r["id"] for r in e.list_all(PATH, token=self.uma)]
        self.assertIn(rep["id"], mine)
        theirs = e.ok("POST", PATH, {"subject": "UCB here", "body": "nothing"},
                      token=self.ucb, expect=201)
        self.assertNotIn(theirs["id"], [r["id"] for r in e.list_all(PATH, token=self.uma)])
        self.assertEqual([r["id"] for r in e.list_all(PATH, token=self.ucb)], [theirs["id"]])
        s, _, b = e.request("GET", "%s/%d" % (PATH, rep["id"]), token=self.ucb)
        assert_error(self, s, b, 404, "not_found")
        # Mail reports (the CERT's) are not a constituent's either.
        staff_ids = [r["id"] for r in e.list_all(PATH) if r["reporter"].endswith("example")]
        for i in staff_ids[:3]:
            self.assertEqual(e.request("GET", "%s/%d" % (PATH, i), token=self.uma)[0], 404)
        # A constituent names no other organisation.
        s, _, b = e.request("POST", PATH, {"subject": "x", "body": "y", "org": "UCB"},
                            token=self.uma)
        assert_error(self, s, b, 422, "invalid", "org")

    def test_bad_input(self):
        e = self.e
        ok = {"subject": "s", "body": "b", "reporter": "r@reporter.example"}
        cases = [
            ({"body": "b", "reporter": "r@x.example"}, 422, "subject"),
            (dict(ok, subject=""), 422, "subject"),
            (dict(ok, subject="a\r\nBcc: victim@x.example"), 422, "subject"),
            (dict(ok, subject="x" * 999), 422, "subject"),
            (dict(ok, body=None), 422, "body"),
            (dict(ok, body="x" * (256 * 1024 + 1)), 422, "body"),
            ({"subject": "s", "body": "b"}, 422, "reporter"),
            (dict(ok, reporter="not an address"), 422, "reporter"),
            (dict(ok, tlp="PURPLE"), 422, "tlp"),
            (dict(ok, org="NO-SUCH-ORG"), 422, "org"),
            (dict(ok, colour="red"), 422, "colour"),
            (dict(ok, observables="1.2.3.4"), 422, "observables"),
            (dict(ok, observables=["x"] * 101), 422, "observables"),
            (dict(ok, observables=[""]), 422, "observables"),
            (dict(ok, attachments={}), 422, "attachments"),
            (dict(ok, attachments=[{"name": "a.txt"}]), 422, "attachments"),
            (dict(ok, attachments=[{"name": "a.txt", "content": "!!!"}]), 422, "attachments"),
            (dict(ok, attachments=[{"name": "a\".txt", "content": b64("x")}]), 422,
             "attachments"),
            (dict(ok, attachments=[{"name": "../a.txt", "content": b64("x")}]), 422,
             "attachments"),
            (dict(ok, attachments=[{"name": "bin", "content": base64.b64encode(
                b"\x00\x01\xff").decode()}]), 422, "attachments"),
            (dict(ok, attachments=[{"name": "a%d" % i, "content": b64("x")}
                                   for i in range(11)]), 422, "attachments"),
            (dict(ok, attachments=[{"name": "big.txt", "content": b64("x" * (1024 * 1024 + 1))}]),
             413, "attachments"),
            (dict(ok, attachments=[{"name": "m%d.txt" % i, "content": b64("y" * (900 * 1024))}
                                   for i in range(5)]), 413, "attachments"),
        ]
        before = len(e.list_all(PATH))
        for body, status, field in cases:
            s, _, b = e.request("POST", PATH, body)
            assert_error(self, s, b, status, field=field)
        s, _, b = e.request("POST", PATH, "{not json")
        self.assertEqual(s, 400, b)
        s, _, b = e.request("POST", PATH, ok, token=None)
        self.assertEqual(s, 401, b)
        # Nothing refused was stored.
        self.assertEqual(len(e.list_all(PATH)), before)

    def test_interrupted_submission_is_not_read_as_mail(self):
        """A report typed in that the daemon stored and did not get to process (stopped in
        between) is never read as ordinary mail, which would give it the default TLP instead
        of the one the reporter chose: it is kept, failed, with the reason."""
        e = self.e
        s, _, rep = e.request("POST", PATH, {"subject": "Seen 198.51.100.9", "body": "see subject",
                                             "reporter": "r@reporter.example", "tlp": "RED"})
        self.assertEqual(s, 201, rep)
        mail_id = rep["mail_id"]
        with db_connect(os.path.join(e.dir, "ermes.db")) as db:
            db.execute("UPDATE mail_messages SET state = 'received', kind = NULL WHERE id = %d"
                       % mail_id)
            db.commit()
        rc, out, err = e.cli("mail", "process", str(mail_id))
        mail = e.ok("GET", "/api/v1/mail/%d" % mail_id)
        self.assertEqual((mail["state"], mail["kind"]), ("failed", "report"), mail)
        self.assertIn("interrupted", mail["reason"])
        # The report made when it was submitted keeps the reporter's label.
        self.assertEqual(e.ok("GET", "%s/%d" % (PATH, rep["id"]))["tlp"], "RED")

    def test_cli_add(self):
        e = self.e
        path = os.path.join(e.dir, "headers.txt")
        with open(path, "w") as f:
            f.write("Received: from 198.51.100.7\n")
        rc, out, err = e.cli("mail", "reports", "add", "--subject", "Phone report",
                             "--reporter", "caller@reporter.example", "--tlp", "GREEN",
                             "--file", path, "--observable", "203.0.113.5", "--json",
                             input=b"The caller saw hxxp://evil-cli[.]example/x\n")
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        got = e.ok("GET", "%s/%d" % (PATH, rep["id"]))
        self.assertEqual((got["reporter"], got["tlp"], got["subject"]),
                         ("caller@reporter.example", "GREEN", "Phone report"))
        found = {(o["value"], o["found_in"]) for o in got["observables"]}
        self.assertTrue({("198.51.100.7", "attachment headers.txt"), ("203.0.113.5", "submitted"),
                         ("http://evil-cli.example/x", "body")} <= found, found)
        # The same checks as the API: the member named.
        rc, out, err = e.cli("mail", "reports", "add", "--subject", "x", input=b"y")
        self.assertEqual(rc, 2, out)
        self.assertIn("reporter", err)
        rc, out, err = e.cli("mail", "reports", "add", "--subject", "x", "--reporter",
                             "a@b.example", "--tlp", "PURPLE", input=b"y")
        self.assertEqual(rc, 2, out)
        self.assertIn("tlp", err)


if __name__ == "__main__":
    main()
