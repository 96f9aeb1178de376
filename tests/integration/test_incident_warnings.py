"""The daemon's deadline warnings by e-mail (issue 11 item 5), over a real SMTP server
(aiosmtpd, in this process) with two daemons on one database: a deadline coming near within
incident_warn_before gets one e-mail, to the assignee when the assignee's user name is an
address, else to incident_warn_mail; the warning on the timeline says where it went; the
daemons take turns holding the lease "incident-warnings" (one stopped, the other sends; started
again, nothing is sent twice). Runs on SQLite and on PostgreSQL."""

import email
import email.policy
import os
import sys
import threading
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, free_port, main, wait_until  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported by the test
    Controller = None

INC = "/api/v1/incidents"
DUTY = "duty@cert.example"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Mailbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((sorted(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def about(self, iid):
        """The (recipients, message) pairs of the warnings about incident iid."""
        with self.lock:
            return [(r, m) for r, m in self.messages if m["X-ERMES-Incident"] == str(iid)]


class IncidentWarnings(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if Controller is None:
            raise AssertionError("python3-aiosmtpd is not installed (scripts/install-deps test)")
        cls.mailbox = Mailbox()
        port = free_port()
        cls.smtp = Controller(cls.mailbox, hostname=HOST, port=port)
        cls.smtp.start()
        # A lead of 6 h (the default is 4 h) and a short lease, so the second daemon takes the
        # warnings over soon after the first stops.
        env = {"ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, port),
               "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>",
               "ERMES_INCIDENT_WARN_BEFORE": str(6 * 3600),
               "ERMES_INCIDENT_WARN_MAIL": "CERT duty <%s>" % DUTY,
               "ERMES_LEASE_TIME": "3"}
        cls.a = Ermes(start=False, env=dict(env, ERMES_INSTANCE_HOST="machine-a"))
        cls.b = Ermes(data_dir=cls.a.dir, init=False, start=False,
                      env=dict(env, ERMES_INSTANCE_HOST="machine-b"))
        cls.b.port_file = os.path.join(cls.a.dir, "port-b")
        cls.b._nlog = 1000
        cls.b.token = cls.a.token
        try:
            cls.a.start()
            cls.b.start()
            cls.a.create_user("ana@cert.example", "analyst")
            cls.a.create_user("bob", "analyst")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.b.close()
            cls.a.close()
        finally:
            cls.smtp.stop()

    def incident(self, e, title, assignee, aware_hours_ago):
        now = datetime.now(timezone.utc)
        return e.ok("POST", INC, {"title": title, "nis2": True, "assignee": assignee,
                                  "aware_at": iso(now - timedelta(hours=aware_hours_ago))},
                    expect=201)["id"]

    def early_warnings(self, iid):
        return [(r, m) for r, m in self.mailbox.about(iid)
                if "nis2_early_warning due soon" in m["Subject"]]

    def wait_mail(self, iid):
        wait_until(lambda: self.early_warnings(iid), timeout=60,
                   what="the early warning mail of incident %d" % iid)
        return self.early_warnings(iid)

    def test_warnings_mailed_once_by_either_daemon(self):
        # Due in 5 h: within the 6 h of incident_warn_before (not the default 4 h).
        ana = self.incident(self.a, "Ransomware at ACME", "ana@cert.example", 19)
        bob = self.incident(self.a, "DDoS on the portal", "bob", 23)
        rcpts, msg = self.wait_mail(ana)[0]
        self.assertEqual(rcpts, ["ana@cert.example"])
        self.assertIn("incident #%d" % ana, msg["Subject"])
        self.assertIn("Ransomware at ACME", msg["Subject"])
        self.assertEqual(msg["From"], "cert@ucert.example")
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        body = msg.get_content()
        self.assertIn("nis2_early_warning is due at", body)
        self.assertEqual(self.wait_mail(bob)[0][0], [DUTY])  # bob's name is no address
        warnings = [x["detail"] for x in self.a.list_all("%s/%d/timeline" % (INC, ana))
                    if x["kind"] == "warning" and x["detail"]["deadline"] == "nis2_early_warning"]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(warnings[0]["mail_to"], "ana@cert.example")

        # One daemon stops (its lease given back): the other warns alone.
        self.a.stop()
        later = self.incident(self.b, "Phishing wave", "ana@cert.example", 22)
        self.wait_mail(later)
        # Started again, the first takes its turn or not: nothing is sent twice, and the
        # incidents of either round got their one warning.
        self.a.start()
        last = self.incident(self.a, "Defacement", "ana@cert.example", 22)
        self.wait_mail(last)
        for iid in (ana, bob, later, last):
            self.assertEqual(len(self.early_warnings(iid)), 1, iid)
        # Every other warning too: one message per incident and subject.
        for iid in (ana, bob, later, last):
            subjects = [m["Subject"] for _, m in self.mailbox.about(iid)]
            self.assertEqual(len(subjects), len(set(subjects)), subjects)


if __name__ == "__main__":
    main()
