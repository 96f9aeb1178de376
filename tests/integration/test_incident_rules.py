"""Incident rules: the incident reports the mail intake makes are linked to the open incident
they belong to, open a new one or wait for triage, by ordered rules an analyst edits over
/api/v1/incident-rules. Each report says which rule decided and why; the incident's timeline
too. Real binary, real mail pipe (`ermes mail receive`), both backends.
"""

import email.utils
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

RULES = "/api/v1/incident-rules"


def message(subject, body, msgid=None, headers=()):
    lines = ["From: Bob Reporter <bob@reporter.example>", "To: cert@ucert.example",
             "Subject: " + subject, "Date: " + email.utils.formatdate(usegmt=True),
             "Message-ID: " + (msgid or email.utils.make_msgid(domain="reporter.example")),
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"] + list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


class IncidentRulesTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def receive(self, subject, body, msgid=None, headers=()):
        rc, out, err = self.e.cli("mail", "receive", "--json",
                                  input=message(subject, body, msgid, headers))
        self.assertEqual(rc, 0, "%s\n%s" % (out, err))
        row = json.loads(out)
        self.assertEqual(row["kind"], "report", row)
        rep = self.e.ok("GET", "/api/v1/incident-reports/%d" % row["incident_report_id"])
        self.assertIsNotNone(rep["decision"], rep)
        return rep

    def rule(self, **body):
        return self.e.ok("POST", RULES, body, expect=201)

    def test_rules(self):
        e = self.e
        # The default: shared observable within 14 days links; nothing else.
        rules = e.ok("GET", RULES)["data"]
        self.assertEqual([(r["condition"], r["days"], r["action"], r["enabled"]) for r in rules],
                         [("shared_observable", 14, "link", True)])
        default = rules[0]

        # A subject rule first: opens an incident with the class set.
        ransom = self.rule(name="ransomware opens", condition="subject_pattern",
                           pattern="*RANSOM*", action="open", open_class="malicious-code",
                           open_type="infected-system", severity="high", position=1)
        a = self.receive("Ransomware at our office", "The host 198.51.100.77 is encrypted.\n")
        self.assertEqual(a["decision"]["rule_id"], ransom["id"], a["decision"])
        self.assertEqual(a["decision"]["action"], "open")
        inc = a["decision"]["incident_id"]
        self.assertIn("opened incident %d" % inc, a["decision"]["reason"])
        got = e.ok("GET", "/api/v1/incidents/%d" % inc)
        self.assertEqual((got["rsit_class"], got["rsit_type"], got["severity"]),
                         ("malicious-code", "infected-system", "high"))

        # A second report sharing the IP: the default rule links it to the same incident.
        b = self.receive("scanning from a host", "We see scans from 198.51.100.77 too.\n")
        self.assertEqual((b["decision"]["rule_id"], b["decision"]["action"],
                          b["decision"]["incident_id"]), (default["id"], "link", inc), b)
        self.assertIn("198.51.100.77", b["decision"]["reason"])
        timeline = e.ok("GET", "/api/v1/incidents/%d/timeline" % inc)
        entries = timeline["data"] if isinstance(timeline, dict) else timeline
        notes = [t for t in entries if t["kind"] == "rule"]
        self.assertEqual(len(notes), 2, entries)
        links = json.dumps(got) + json.dumps(e.ok("GET", "/api/v1/incidents/%d" % inc))
        self.assertIn(str(b["id"]), links)

        # A disabled rule is skipped: a ransomware report with nothing shared waits for triage.
        e.ok("PUT", "%s/%d" % (RULES, ransom["id"]), {"enabled": False})
        c = self.receive("ransomware again", "Another host, 203.0.113.9.\n")
        self.assertEqual((c["decision"]["rule_id"], c["decision"]["action"],
                          c["decision"]["incident_id"]), (None, "queue", None), c)

        # Order matters: a queue rule before the default keeps an "urgent" report out of the
        # incident; moved after it, the next one is linked.
        urgent = self.rule(name="urgent to triage", condition="subject_pattern",
                           pattern="urgent", action="queue", position=1)
        self.assertEqual([r["id"] for r in e.ok("GET", RULES)["data"]][:2],
                         [urgent["id"], ransom["id"]])
        d = self.receive("URGENT: 198.51.100.77 again", "see subject\n")
        self.assertEqual((d["decision"]["rule_id"], d["decision"]["incident_id"]),
                         (urgent["id"], None), d)
        e.ok("PUT", "%s/%d" % (RULES, urgent["id"]), {"position": 100})
        f = self.receive("urgent: 198.51.100.77 once more", "see subject\n")
        self.assertEqual((f["decision"]["rule_id"], f["decision"]["incident_id"]),
                         (default["id"], inc), f)

        # Validated: 422 naming the member.
        for body, field in [({"name": "x", "condition": "nope", "action": "link"}, "condition"),
                            ({"name": "x", "condition": "subject_pattern", "action": "queue"},
                             "pattern"),
                            ({"name": "x", "condition": "subject_pattern", "pattern": "a",
                              "action": "link"}, "action"),
                            ({"name": "x", "condition": "shared_observable", "days": 0,
                              "action": "link"}, "days"),
                            ({"name": "x", "condition": "subject_pattern", "pattern": "a",
                              "action": "open", "open_class": "no-such"}, "open_class"),
                            ({"condition": "shared_observable", "days": 1, "action": "link"},
                             "name")]:
            s, _, b = e.request("POST", RULES, body)
            self.assertEqual(s, 422, (body, b))
            self.assertEqual(b["error"]["field"], field, b)
        s, _, b = e.request("PUT", RULES + "/999999", {"enabled": True})
        self.assertEqual(s, 404, b)

        # Deleted, audited; a constituent may not see or change the rules.
        e.ok("DELETE", "%s/%d" % (RULES, urgent["id"]), expect=204)
        self.assertNotIn(urgent["id"], [r["id"] for r in e.ok("GET", RULES)["data"]])
        audit = json.dumps(e.ok("GET", "/api/v1/audit?limit=200"))
        self.assertIn("incident_rule", audit)
        _, tok = e.user_token("uma-rules", "constituent", org="UMA")
        s, _, _ = e.request("GET", RULES, token=tok)
        self.assertEqual(s, 403)

    def test_same_thread_by_headers(self):
        # A thread is what In-Reply-To and References say, not what the subject says: a report
        # answering an earlier one joins its incident whatever its subject; a report with the
        # same subject but naming another thread does not; without those headers, the subject.
        e = self.e
        rule = self.rule(name="thread", condition="same_thread", days=3, action="link",
                         position=1)
        first = "<first-%d@reporter.example>" % os.getpid()
        a = self.receive("Strange logins on the VPN", "Nothing to share yet.\n", msgid=first)
        t = e.ok("POST", "/api/v1/triage", {"reports": [a["id"]], "open_incident": {
            "title": "VPN logins", "rsit_class": "intrusion-attempts", "severity": "medium"}})
        inc = t["incident"]
        b = self.receive("More details", "Attached the logs (none).\n",
                         headers=["In-Reply-To: " + first, "References: " + first])
        self.assertEqual((b["decision"]["rule_id"], b["decision"]["incident_id"]),
                         (rule["id"], inc), b)
        self.assertIn("in reply to incident report %d" % a["id"], b["decision"]["reason"])
        # References only (a client that drops In-Reply-To), the thread's start named last.
        c = self.receive("Fwd: for your records", "FYI\n",
                         headers=["References: <unknown-1@elsewhere.example> " + first])
        self.assertEqual(c["decision"]["incident_id"], inc, c)
        # The same subject in another thread: not this incident.
        d = self.receive("Re: Strange logins on the VPN", "A different VPN.\n",
                         headers=["In-Reply-To: <other-thread@elsewhere.example>"])
        self.assertIsNone(d["decision"]["incident_id"], d)
        # No threading headers at all: the subject still finds it.
        f = self.receive("RE: Strange logins on the VPN", "Same here.\n")
        self.assertEqual(f["decision"]["incident_id"], inc, f)
        e.ok("DELETE", "%s/%d" % (RULES, rule["id"]), expect=204)

    def test_cli(self):
        rc, out, err = self.e.cli("incidents", "rules", "add", "phishing opens", "--condition",
                                  "subject_pattern", "--pattern", "phish*", "--action", "open",
                                  "--open-class", "fraud", "--open-type", "phishing", "--json")
        self.assertEqual(rc, 0, err)
        rid = json.loads(out)["id"]
        rc, out, err = self.e.cli("incidents", "rules", "update", str(rid), "--disabled")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("incidents", "rules", "list", "--json")
        self.assertEqual(rc, 0, err)
        mine = [r for r in json.loads(out) if r["id"] == rid]
        self.assertEqual([(r["enabled"], r["open_class"]) for r in mine], [(False, "fraud")])
        rc, out, err = self.e.cli("incidents", "rules", "add", "x", "--condition",
                                  "subject_pattern", "--pattern", "a", "--action", "link")
        self.assertEqual(rc, 2, out)
        self.assertIn("action", err)
        rc, out, err = self.e.cli("incidents", "rules", "delete", str(rid))
        self.assertEqual(rc, 0, err)
        self.assertNotIn(rid, [r["id"] for r in self.e.ok("GET", RULES)["data"]])


if __name__ == "__main__":
    main()
