"""Coordination with constituents from an incident, end to end over real servers.

A real IMAP server (Debian's dovecot-imapd, test_mail.py's throwaway configuration) and a real
SMTP server (aiosmtpd) on loopback, the daemon polling the one and sending through the other:

  - a report is delivered to the IMAP mailbox and another piped to `ermes mail receive`; their
    observables are extracted and looked up (UMA and DG-HOME own them); triage opens an incident
    with both reports, which makes both constituents affected;
  - the analyst writes to "all" the incident concerns: one message per constituent, each with
    its own reference and only its own contacts, delivered over SMTP; the timeline says queued
    then sent for each;
  - DG-HOME's mail system reports delivery and a failure (RFC 3464 delivery status
    notifications piped to `ermes mail receive`, quoting the message's headers): each named
    recipient's state becomes delivered or failed, and the timeline says so;
  - the incident waits on the constituents; UMA's reply arrives by IMAP (In-Reply-To only) and
    is threaded onto its message: its recipient state is replied, the timeline says so, and
    the incident is in progress again (the status entry names the sender);
  - "reply to all" of that writing reaches both constituents again with new references;
  - the incident is contained, resolved and closed; each milestone's timestamp lands in the
    metrics (the figures are the durations the incident's own timestamps give);
  - bad bodies are 422 naming the member, a constituent cannot write or read the
    correspondence, `ermes incidents write|correspondence` do the same from the CLI.
"""

import email
import email.utils
import itertools
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, main, wait_until  # noqa: E402
from test_mail import NEED_AIOSMTPD, Controller, Dovecot, Mailbox, free_port, message  # noqa: E402


_dsn_ids = itertools.count(1)


def dsn(sent, actions):
    """A delivery status notification (RFC 3464, in a multipart/report of RFC 6522) about the
    message sent, as a mail system writes one: per recipient its action; the message's headers
    quoted, not In-Reply-To."""
    blocks = "".join("Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\n\r\n"
                     % (addr, action, "2.0.0" if action == "delivered" else "5.1.1")
                     for addr, action in actions)
    return ("From: MAILER-DAEMON@mx.dg-home.commission.example (Mail Delivery System)\r\n"
            "To: cert@ucert.example\r\nSubject: Delivery Status Notification\r\n"
            "Auto-Submitted: auto-replied\r\nMessage-ID: <dsn-%d@mx.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
            " boundary=\"DSN\"\r\n\r\n--DSN\r\nContent-Type: text/plain\r\n\r\n"
            "This is the mail system at host mx.dg-home.commission.example.\r\n"
            "--DSN\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.dg-home.commission.example\r\n\r\n%s"
            "--DSN\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: %s\r\n"
            "Subject: %s\r\n\r\n--DSN--\r\n"
            % (next(_dsn_ids), blocks, sent["Message-ID"], sent["Subject"])).encode()


def ms(t):
    """RFC 3339 with milliseconds to epoch milliseconds."""
    import datetime
    return int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)


class CoordinationTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        if Controller is None:
            raise AssertionError(NEED_AIOSMTPD)
        cls.dovecot = Dovecot()
        m = cls.dovecot.imap()
        m.create("Processed")
        m.logout()
        cls.box = Mailbox()
        cls.smtp_port = free_port()
        cls.ctl = Controller(cls.box, hostname=HOST, port=cls.smtp_port)
        cls.ctl.start()
        cls.e = Ermes(demo=True, start=False)
        with open(os.path.join(cls.e.dir, "ermes.conf"), "a") as f:
            f.write("""
[mailbox "cert"]
url = {url}
user = {user}
password = {pw}
folder = INBOX
processed = move
move_to = Processed
interval = 1
""".format(url=cls.dovecot.url(), user=cls.dovecot.user, pw=cls.dovecot.password))
        cls.env = {"ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, cls.smtp_port),
                   "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>"}
        cls.e.start(env=cls.env)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            try:
                cls.ctl.stop()
            finally:
                cls.dovecot.stop()

    def deliver(self, raw):
        m = self.dovecot.imap()
        m.append("INBOX", None, None, raw)
        m.logout()

    def mail_row(self, subject):
        for r in self.e.ok("GET", "/api/v1/mail?limit=1000")["data"]:
            if r.get("subject") == subject and r.get("state") == "processed":
                return r
        return None

    def sent_to(self, ref):
        for raw in list(self.box.messages):
            msg = email.message_from_bytes(raw)
            if msg["X-ERMES-Reference"] == ref:
                return msg
        return None

    def timeline(self, iid):
        return self.e.ok("GET", "/api/v1/incidents/%d/timeline?limit=1000" % iid)["data"]

    def message_states(self, iid, ref):
        return [x["detail"]["state"] for x in self.timeline(iid)
                if x["kind"] == "message" and x["detail"].get("reference") == ref]

    def corr(self, iid):
        return {m["reference"]: m for m in
                self.e.ok("GET", "/api/v1/incidents/%d/correspondence" % iid)["data"]}

    def test_end_to_end(self):
        e = self.e
        # 1. A report by IMAP, another piped to `ermes mail receive`.
        s1 = "TLP:AMBER phishing kit hosted at UMA"
        self.deliver(message(s1, "The kit is at hxxp://198.51.100[.]7/login.php\n"))
        s2 = "TLP:AMBER same kit, a copy at DG-HOME"
        rc, out, err = e.cli("mail", "receive", "--json",
                             input=message(s2, "A copy runs on 192.0.2[.]40, see "
                                               "hxxp://192.0.2.40/login.php\n"))
        self.assertEqual(rc, 0, err)
        piped = json.loads(out)
        self.assertEqual((piped["kind"], piped["source"]), ("report", "pipe"))
        row = wait_until(lambda: self.mail_row(s1), timeout=60, what="the IMAP message processed")
        self.assertEqual(row["kind"], "report")
        owners = {}
        for rid in (row["incident_report_id"], piped["incident_report_id"]):
            rep = e.ok("GET", "/api/v1/incident-reports/%d" % rid)
            for o in rep["observables"]:
                owners[o["value"]] = o.get("org")
        self.assertEqual(owners.get("198.51.100.7"), "UMA", owners)
        self.assertEqual(owners.get("192.0.2.40"), "DG-HOME", owners)
        # 2. Triage opens an incident with both reports: both constituents are affected.
        t = e.ok("POST", "/api/v1/triage", {
            "reports": [row["incident_report_id"], piped["incident_report_id"]],
            "open_incident": {"title": "Phishing kit on two constituents", "rsit_class": "fraud",
                              "rsit_type": "phishing", "severity": "high", "tlp": "AMBER"}})
        iid = t["incident"]
        inc = e.ok("GET", "/api/v1/incidents/%d" % iid)
        self.assertEqual(sorted(inc["constituents"]), ["DG-HOME", "UMA"])
        e.ok("PATCH", "/api/v1/incidents/%d" % iid, {"status": "in_progress"})
        # 3. Write to all: one message per constituent, its own reference and contacts.
        w = e.ok("POST", "/api/v1/incidents/%d/messages" % iid, {
            "all": True, "subject": "Phishing kit on your server",
            "body": "Please take the kit down and tell us when it is gone."})
        msgs = {m["org"]: m for m in w["messages"]}
        self.assertEqual(sorted(msgs), ["DG-HOME", "UMA"])
        self.assertEqual(w["skipped"], [])
        refs = {org: m["reference"] for org, m in msgs.items()}
        self.assertNotEqual(refs["UMA"], refs["DG-HOME"])
        for org, ref in refs.items():
            sent = wait_until(lambda r=ref: self.sent_to(r), timeout=60, what="message " + ref)
            to = sent["To"]
            domain = "medicines.example" if org == "UMA" else "dg-home.commission.example"
            self.assertIn(domain, to)
            other = "dg-home" if org == "UMA" else "medicines"
            self.assertNotIn(other, to, "a constituent sees only its own message")
            self.assertIn(ref, sent["Subject"])
            self.assertIsNone(sent.get_filename(), "no events, no CSV")
            wait_until(lambda r=ref: "sent" in self.message_states(iid, r), timeout=60,
                       what="the timeline says sent")
            self.assertEqual(self.message_states(iid, ref)[0], "queued")
        # 4. DG-HOME's mail system says what became of its message, recipient by recipient.
        dg_sent = self.sent_to(refs["DG-HOME"])
        dg_to = sorted(a.lower() for _, a in email.utils.getaddresses([dg_sent["To"]]))
        rc, out, err = e.cli("mail", "receive", "--json",
                             input=dsn(dg_sent, [(dg_to[0], "delivered"),
                                                 ("gone@dg-home.commission.example", "failed")]))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["kind"], "reply")
        states = {r["address"]: r["state"] for r in self.corr(iid)[refs["DG-HOME"]]["recipient_states"]}
        self.assertEqual(states[dg_to[0]], "delivered", states)
        self.assertEqual(states["gone@dg-home.commission.example"], "failed", states)
        for other in dg_to[1:]:
            self.assertEqual(states[other], "sent", states)
        self.assertIn("delivered", self.message_states(iid, refs["DG-HOME"]))
        self.assertIn("failed", self.message_states(iid, refs["DG-HOME"]))
        # A report that the message waits in a queue changes nothing.
        rc, out, err = e.cli("mail", "receive", "--json",
                             input=dsn(dg_sent, [(dg_to[0], "delayed")]))
        self.assertEqual(rc, 0, err)
        states = {r["address"]: r["state"] for r in self.corr(iid)[refs["DG-HOME"]]["recipient_states"]}
        self.assertEqual(states[dg_to[0]], "delivered", states)
        # 5. The incident waits on the constituents; UMA replies by IMAP with only
        # In-Reply-To: threaded onto UMA's message, and the incident is in progress again.
        e.ok("PATCH", "/api/v1/incidents/%d" % iid, {"status": "waiting_on_constituent"})
        uma_sent = self.sent_to(refs["UMA"])
        reply_subject = "Re: kit removed"
        self.deliver(message(reply_subject, "Removed, thanks.\n",
                             sender="UMA Abuse <abuse@medicines.example>",
                             headers=["In-Reply-To: " + uma_sent["Message-ID"]]))
        wait_until(lambda: "replied" in self.message_states(iid, refs["UMA"]), timeout=60,
                   what="the reply on the timeline")
        c = self.corr(iid)
        uma = c[refs["UMA"]]
        self.assertEqual({r["address"]: r["state"] for r in uma["recipient_states"]},
                         {"abuse@medicines.example": "replied"})
        self.assertEqual(len(uma["messages"]), 1)
        self.assertIn("Removed", uma["messages"][0]["body"])
        self.assertEqual(e.ok("GET", "/api/v1/incidents/%d" % iid)["status"], "in_progress")
        back = [x for x in self.timeline(iid) if x["kind"] == "status"
                and x["detail"] == {"from": "waiting_on_constituent", "to": "in_progress"}]
        self.assertEqual(len(back), 1, self.timeline(iid))
        self.assertIn("abuse@medicines.example", back[0]["actor"])
        # 6. Reply to all of that writing: both constituents again, new references.
        n_before = len(self.box.messages)
        r2 = e.ok("POST", "/api/v1/incidents/%d/messages" % iid, {
            "reply_to": refs["UMA"], "subject": "Update", "body": "UMA's copy is gone."})
        self.assertEqual(sorted(m["org"] for m in r2["messages"]), ["DG-HOME", "UMA"])
        self.assertTrue(set(m["reference"] for m in r2["messages"]).isdisjoint(refs.values()))
        wait_until(lambda: len(self.box.messages) >= n_before + 2, timeout=60,
                   what="reply to all sent")
        # 7. Contained, resolved, closed: every milestone lands in the metrics.
        for status in ("contained", "resolved", "closed"):
            e.ok("PATCH", "/api/v1/incidents/%d" % iid, {"status": status})
        inc = e.ok("GET", "/api/v1/incidents/%d" % iid)
        mil = inc["milestones"]
        created = ms(inc["created_at"])
        want = {"time_to_acknowledge": mil["acknowledged_at"], "time_to_triage": mil["triaged_at"],
                "time_to_notify": mil["notified_at"], "time_to_contain": mil["contained_at"],
                "time_to_resolve": mil["resolved_at"]}
        for k, v in want.items():
            self.assertIsNotNone(v, k)
        # (test_bad_input_and_access opens UMA incidents without a class: by both.)
        met = e.ok("GET", "/api/v1/incidents/metrics?period=all&by=both")
        groups = {(g["constituent"], g["rsit_class"]): g for g in met["groups"]}
        self.assertIn(("UMA", "fraud"), groups, met)
        g = groups[("UMA", "fraud")]
        self.assertEqual(g["incidents"], 1)
        for k, v in want.items():
            self.assertEqual(g[k]["count"], 1, k)
            self.assertAlmostEqual(g[k]["median_seconds"], (ms(v) - created) / 1000.0, delta=1.0,
                                   msg=k)
        # The CLI's figures are the same.
        rc, out, err = e.cli("stats", "incidents", "--period", "all", "--by", "both",
                             "--format", "json")
        self.assertEqual(rc, 0, err)
        cli_groups = {(x["constituent"], x["rsit_class"]): x for x in json.loads(out)["groups"]}
        self.assertEqual(cli_groups[("UMA", "fraud")]["time_to_notify"], g["time_to_notify"])

    def test_bad_input_and_access(self):
        e = self.e
        iid = e.ok("POST", "/api/v1/incidents", {"title": "coordination checks",
                                                 "constituents": ["UMA"], "tlp": "AMBER"})["id"]
        path = "/api/v1/incidents/%d/messages" % iid
        cases = [({"subject": "s", "body": "b"}, "to"),
                 ({"all": True, "to": ["UMA"], "subject": "s", "body": "b"}, "to"),
                 ({"to": ["UMA"], "body": "b"}, "subject"),
                 ({"to": ["UMA"], "subject": "a\nb", "body": "b"}, "subject"),
                 ({"to": ["UMA"], "subject": "s"}, "body"),
                 ({"to": ["UMA"], "subject": "s", "body": "x" * 70000}, "body"),
                 ({"to": ["NOPE"], "subject": "s", "body": "b"}, "to"),
                 ({"to": [], "subject": "s", "body": "b"}, "to"),
                 ({"reply_to": "ERMES-2026-999999", "subject": "s", "body": "b"}, "reply_to"),
                 ({"to": ["UMA"], "subject": "s", "body": "b", "cc": 1}, "cc")]
        for body, field in cases:
            s, _, b = e.request("POST", path, body)
            self.assertEqual(s, 422, (body, b))
            self.assertEqual(b["error"]["field"], field, b)
        s, _, b = e.request("POST", "/api/v1/incidents/999999/messages",
                            {"to": ["UMA"], "subject": "s", "body": "b"})
        self.assertEqual(s, 404, b)
        red = e.ok("POST", "/api/v1/incidents", {"title": "red", "constituents": ["UMA"],
                                                 "tlp": "RED"})["id"]
        s, _, b = e.request("POST", "/api/v1/incidents/%d/messages" % red,
                            {"all": True, "subject": "s", "body": "b"})
        self.assertEqual(s, 409, b)
        # A constituent may neither write nor read the correspondence.
        _, tok = e.user_token("uma-coord", "constituent", org="UMA")
        s, _, b = e.request("POST", path, {"all": True, "subject": "s", "body": "b"}, token=tok)
        self.assertEqual(s, 403, b)
        s, _, b = e.request("GET", "/api/v1/incidents/%d/correspondence" % iid, token=tok)
        self.assertEqual(s, 403, b)
        # The CLI writes the same way (queued: the daemon sends it).
        rc, out, err = e.cli("incidents", "write", str(iid), "--to", "UMA", "--subject",
                             "From the CLI", "--body", "Hello.", "--json", env=self.env)
        self.assertEqual(rc, 0, err)
        ref = json.loads(out)["messages"][0]["reference"]
        rc, out, err = e.cli("incidents", "correspondence", str(iid), "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn(ref, [m["reference"] for m in json.loads(out)["data"]])
        rc, out, err = e.cli("incidents", "write", str(iid), "--subject", "x", "--body", "y")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("to", err)
        wait_until(lambda: self.sent_to(ref), timeout=60, what="the CLI's message sent")


if __name__ == "__main__":
    main()
