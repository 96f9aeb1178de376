"""Notifications end to end, with a real SMTP server (aiosmtpd) in this process.

Two constituents of the demo constituency, a mixed report: exactly the expected e-mails arrive,
one per constituent, each to that constituent's contacts with exactly its events attached as
CSV; the TLP:RED event and the event owned by nobody are not sent. A second run sends nothing
new. With the SMTP server down, the notification stays pending with its attempts counted and
the error recorded, and the daemon delivers it once the server is back: retried, not lost."""

import csv
import email
import email.header
import email.policy
import io
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, main, quote, wait_until  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported by the test
    Controller = None

NOTIFICATIONS = "/api/v1/notifications"
MAIL_FROM = "UCERT <cert@ucert.example>"
# 198.51.100.0/28 is UMA's, 192.0.2.0/27 DG-DIGIT's (data/demo/README.md); 10.0.0.1 nobody's.
UMA_ABUSE = "abuse@medicines.example"          # role abuse (language nl: English template)
DIGIT_SECURITY = "security@dg-digit.commission.example"  # no abuse contact: security (fr)
COLUMNS = "source.ip|time.source|classification.type|tlp"


class Mailbox:
    """What the SMTP server received: (envelope sender, recipients, message)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, sorted(envelope.rcpt_tos), msg,
                                  envelope.content))
        return "250 Message accepted for delivery"

    def count(self):
        with self.lock:
            return len(self.messages)

    def all(self):
        with self.lock:
            return list(self.messages)


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def report(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["ip", "time", "type", "tlp"])
    for r in rows:
        w.writerow(r)
    return out.getvalue().encode()


def attachment_rows(msg):
    """The CSV attachment of a message: (file name, list of dict rows)."""
    parts = [p for p in msg.iter_attachments()]
    assert len(parts) == 1, "expected one attachment, got %d" % len(parts)
    part = parts[0]
    assert part.get_content_type() == "text/csv", part.get_content_type()
    data = part.get_payload(decode=True).decode("utf-8")
    return part.get_filename(), list(csv.DictReader(io.StringIO(data)))


@unittest.skipIf(Controller is None, "python3-aiosmtpd is not installed")
class NotifyTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.smtp_port = free_port()
        cls.mailbox = Mailbox()
        cls.smtp = None
        cls.start_smtp()
        cls.env = {
            "ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, cls.smtp_port),
            "ERMES_MAIL_FROM": MAIL_FROM,
            "ERMES_NOTIFY_RETRY_BASE": "1",
            # The window stays long: these tests decide when groups are made (run --now);
            # the daemon's worker still sends and retries what is due.
            "ERMES_NOTIFY_WINDOW": "3600",
        }
        cls.e = Ermes(demo=True, env=cls.env)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            cls.stop_smtp()

    @classmethod
    def start_smtp(cls):
        cls.smtp = Controller(cls.mailbox, hostname=HOST, port=cls.smtp_port)
        cls.smtp.start()

    @classmethod
    def stop_smtp(cls):
        if cls.smtp is not None:
            cls.smtp.stop()
            cls.smtp = None

    # ---- helpers --------------------------------------------------------------------------

    def ingest(self, rows):
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=mixed.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=test-scan"))
        status, _, body = self.e.request("POST", path, report(rows), content_type="text/csv")
        self.assertIn(status, (200, 201), body)
        self.assertEqual(body["state"], "done", body)
        self.assertEqual(body["accounting"]["events"], len(rows), body)
        return body

    def cli(self, *args):
        return self.e.cli(*args, env=self.env)

    def notifications(self, state=None):
        path = NOTIFICATIONS + ("?state=" + state if state else "")
        return self.e.list_all(path, limit=10)

    def by_recipient(self):
        out = {}
        for _, rcpts, msg, raw in self.mailbox.all():
            for r in rcpts:
                out.setdefault(r, []).append((msg, raw))
        return out

    # ---- the scenario, in order -------------------------------------------------------------

    def test_notifications_end_to_end(self):
        e = self.e
        self.ingest([
            ("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
            ("198.51.100.8", "2026-03-01T10:05:00Z", "vulnerable-system", "GREEN"),
            ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER"),
            ("192.0.2.6", "2026-03-01T11:30:00Z", "scanner", "RED"),
            ("10.0.0.1", "2026-03-01T12:00:00Z", "scanner", "AMBER"),
        ])
        # Inside the window nothing is made or sent.
        self.assertEqual(e.ok("POST", NOTIFICATIONS + "/run")["notifications"], 0)
        self.assertEqual(self.notifications(), [])
        self.assertEqual(self.mailbox.count(), 0)

        # --now: one e-mail per constituent, sent at once.
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual(stats["notifications"], 2, stats)
        self.assertEqual(stats["events"], 3, stats)
        # Sent by this call or, if it was quicker, by the daemon's worker: either way once.
        wait_until(lambda: self.mailbox.count() >= 2, timeout=30, what="two e-mails")
        got = self.by_recipient()
        self.assertEqual(sorted(got), sorted([UMA_ABUSE, DIGIT_SECURITY]), got.keys())
        self.assertEqual(self.mailbox.count(), 2)
        for sender, _, _, _ in self.mailbox.all():
            self.assertEqual(sender, "cert@ucert.example")

        sent = {n["org"]: n for n in self.notifications("sent")}
        self.assertEqual(sorted(sent), ["DG-DIGIT", "UMA"])

        # UMA: its two events, in English (its abuse contact reads Dutch: no template).
        msg, raw = got[UMA_ABUSE][0]
        ref = sent["UMA"]["reference"]
        self.assertRegex(ref, r"^ERMES-\d{4}-\d{6}$")
        self.assertEqual(msg["X-ERMES-Reference"], ref)
        self.assertEqual(str(msg["Subject"]),
                         "[%s] [TLP:AMBER] 2 events from test-scan for UMA" % ref)
        self.assertEqual(msg["To"], UMA_ABUSE)
        self.assertEqual(msg["From"], MAIL_FROM)
        self.assertIsNotNone(msg["Date"])
        self.assertIn(ref, msg["Message-ID"])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        body = msg.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("Dear Union Medicines Agency team", body)
        self.assertIn("keep the reference %s" % ref, body)
        self.assertIn("- scanner (1): ", body)
        self.assertIn("- vulnerable-system (1): ", body)
        name, rows = attachment_rows(msg)
        self.assertEqual(name, ref + ".csv")
        self.assertEqual(sorted(r["source.ip"] for r in rows), ["198.51.100.7", "198.51.100.8"])
        self.assertEqual({r["constituency"] for r in rows}, {"UMA"})
        self.assertNotIn(b"192.0.2.", raw)

        # DG-DIGIT: its one AMBER event, in French; never the RED one.
        msg, raw = got[DIGIT_SECURITY][0]
        ref2 = sent["DG-DIGIT"]["reference"]
        self.assertNotEqual(ref, ref2)
        self.assertEqual(str(msg["Subject"]),
                         "[%s] [TLP:AMBER] 1 événement de la source test-scan pour DG-DIGIT"
                         % ref2)
        self.assertIn("nos sources ont signalé", msg.get_body(("plain",)).get_content())
        name, rows = attachment_rows(msg)
        self.assertEqual(name, ref2 + ".csv")
        self.assertEqual([r["source.ip"] for r in rows], ["192.0.2.5"])
        self.assertNotIn(b"192.0.2.6", raw)
        self.assertNotIn(b"10.0.0.1", raw)
        for _, _, _, any_raw in self.mailbox.all():
            self.assertNotIn(b"192.0.2.6", any_raw)

        # The API shows the message as sent, events and all.
        one = e.ok("GET", NOTIFICATIONS + "/%d" % sent["UMA"]["id"])
        self.assertEqual(one["state"], "sent")
        self.assertEqual(one["recipients"], [UMA_ABUSE])
        self.assertEqual(one["attempts"], 1)
        self.assertEqual(len(one["event_ids"]), 2)
        self.assertIn("X-ERMES-Reference: %s\r\n" % ref, one["preview"])
        self.assertEqual(e.ok("GET", NOTIFICATIONS + "/" + ref)["id"], one["id"])
        rc, out, err = self.cli("notify", "preview", ref)
        self.assertEqual(rc, 0, err)
        self.assertIn("X-ERMES-Reference: %s" % ref, out)
        self.assertIn('filename="%s.csv"' % ref, out)

        # Never twice: a second run sends nothing new, a manual send of a sent one is refused.
        rc, out, err = self.cli("notify", "run", "--now", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn('"notifications":0', out)
        self.assertIn('"sent":0', out)
        status, _, b = e.request("POST", NOTIFICATIONS + "/%d/send" % one["id"])
        self.assertEqual(status, 409, b)
        self.assertEqual(self.mailbox.count(), 2)

        # The SMTP server goes down; new events come in and their notification is made.
        self.stop_smtp()
        self.ingest([("198.51.100.9", "2026-03-02T08:00:00Z", "scanner", "AMBER")])
        rc, out, err = self.cli("notify", "run", "--now", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn('"notifications":1', out)
        pending = self.notifications("pending")
        self.assertEqual(len(pending), 1, pending)
        nid, ref3 = pending[0]["id"], pending[0]["reference"]
        # The first attempt (by the CLI's run, or by the daemon if it came first) failed.
        n = wait_until(lambda: (lambda x: x if x["attempts"] >= 1 else None)(
            e.ok("GET", NOTIFICATIONS + "/%d" % nid)), timeout=30, what="a first attempt")
        self.assertEqual(n["state"], "pending")
        self.assertTrue(n["last_error"], n)
        # The daemon retries with backoff (1 s, 2 s, ...): attempts keep counting, nothing
        # is lost, nothing arrives.
        wait_until(lambda: e.ok("GET", NOTIFICATIONS + "/%d" % nid)["attempts"] >= 2,
                   timeout=30, what="a retry by the daemon")
        n = e.ok("GET", NOTIFICATIONS + "/%d" % nid)
        self.assertEqual(n["state"], "pending")
        self.assertIsNotNone(n["next_attempt_at"])
        self.assertEqual(self.mailbox.count(), 2)

        # Back up: the next retry delivers it, once.
        self.start_smtp()
        wait_until(lambda: e.ok("GET", NOTIFICATIONS + "/%d" % nid)["state"] == "sent",
                   timeout=60, what="delivery after the SMTP server came back")
        wait_until(lambda: self.mailbox.count() >= 3, timeout=10, what="the third e-mail")
        n = e.ok("GET", NOTIFICATIONS + "/%d" % nid)
        self.assertGreaterEqual(n["attempts"], 2)
        self.assertIsNone(n["last_error"])
        self.assertIsNotNone(n["sent_at"])
        _, rcpts, msg, _ = self.mailbox.all()[-1]
        self.assertEqual(rcpts, [UMA_ABUSE])
        self.assertEqual(msg["X-ERMES-Reference"], ref3)
        _, rows = attachment_rows(msg)
        self.assertEqual([r["source.ip"] for r in rows], ["198.51.100.9"])
        # Nothing more arrives afterwards.
        rc, out, err = self.cli("notify", "run", "--now", "--json")
        self.assertEqual(rc, 0, err)
        self.assertIn('"sent":0', out)
        self.assertEqual(self.mailbox.count(), 3)
        self.assertEqual(len(self.notifications("sent")), 3)

        rc, out, err = self.cli("notify", "list", "--state", "sent")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.strip().splitlines()), 3, out)

    def test_staff_only(self):
        _, tok = self.e.user_token("notify-constituent", "constituent", org="UMA")
        for method, path in (("GET", NOTIFICATIONS), ("GET", NOTIFICATIONS + "/1"),
                             ("POST", NOTIFICATIONS + "/run"), ("POST", NOTIFICATIONS + "/1/send")):
            status, _, b = self.e.request(method, path, token=tok)
            self.assertEqual(status, 403, "%s %s: %r" % (method, path, b))
        status, _, b = self.e.request("GET", NOTIFICATIONS + "?state=lost")
        self.assertEqual(status, 400, b)
        status, _, b = self.e.request("GET", NOTIFICATIONS + "/999999")
        self.assertEqual(status, 404, b)


if __name__ == "__main__":
    main()
