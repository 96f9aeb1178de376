"""Notifications end to end, with real SMTP servers (aiosmtpd) in this process.

DeliveryTest (a daemon with an SMTP server):
  - two constituents of the demo constituency, a mixed report (their events, an event of no
    constituent, TLP:RED events): exactly the expected e-mails arrive, each to the contacts
    for the kinds of issue it carries, in each contact's language, with exactly its events
    attached as CSV, the reference in the subject; nothing of the RED events or of the event
    of nobody; a second run sends nothing new;
  - the SMTP server down: the notification is retrying with its attempts counted, and the
    daemon delivers it once the server is back: retried, not lost, not duplicated;
  - a permanent refusal (5xx) fails it at once; a manual send through the API delivers it;
  - the process dies during the SMTP exchange: the notification is left "sending" and the
    next daemon sends it again with the same Message-ID (at least once, notify.h);
  - SIGTERM while an SMTP server hangs: the daemon stops within 2 s, the attempt is recorded.

ManualTest (a daemon without SMTP: notifications are made, sent by hand with the CLI):
  - preview through the CLI and the API is the message as sent, byte for byte;
  - STARTTLS: with the test CA the session is encrypted; without it the certificate is
    refused; smtp_tls=require refuses a server without STARTTLS;
  - the per-recipient rate limit holds a second message back;
  - OpenPGP: PGP/MIME signed messages that gpg verifies; a missing key sends nothing.
"""

import csv
import io
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import (ERMES_BIN, HOST, MAIL_FROM, DaemonTest, body_text, db_env,  # noqa: E402
                      main, quote, wait_until)
# Other tests import these from here.
from ermeslib import NEED_AIOSMTPD, SmtpServer  # noqa: E402,F401

# make check installs gpg, openssl and aiosmtpd (scripts/install-deps test): a missing one
# fails the tests that need it, saying which, never skips them.
NEED_GPG = "gpg is not installed (scripts/install-deps test)"
NEED_OPENSSL = "openssl is not installed (scripts/install-deps test)"

NOTIFICATIONS = "/api/v1/notifications"
COLUMNS = "source.ip|time.source|classification.type|tlp"
# The CSV attachment's columns (src/intake/export.c).
CSV_HEADER = ["id", "time.source", "time.observation", "feed.name", "classification.taxonomy",
              "classification.type", "classification.identifier", "source.ip", "source.port",
              "source.asn", "source.fqdn", "source.reverse_dns", "source.url", "destination.ip",
              "destination.port", "protocol.transport", "protocol.application", "malware.name",
              "constituency", "tlp", "extra"]

# data/demo/constituency.json: 198.51.100.0/28 is UMA's: abuse (sv, no built-in: English), security (en),
# management (es). 192.0.2.0/27 is DG-DIGIT's: technical (fi), security (fr); no abuse desk.
# 192.0.2.32/28 is DG-HOME's: security (cs). 10.0.0.1 is nobody's.
UMA_ABUSE = "abuse@medicines.example"
UMA_SECURITY = "security@medicines.example"
UMA_MANAGEMENT = "ciso@medicines.example"
DIGIT_SECURITY = "security@dg-digit.commission.example"
DIGIT_NOC = "noc@dg-digit.commission.example"
HOME_SECURITY = "security@dg-home.commission.example"

# aiosmtpd logs a traceback for a client that refuses its certificate (test_2_starttls).
logging.getLogger("mail.log").setLevel(logging.CRITICAL)

HAVE_GPG = shutil.which("gpg") is not None and shutil.which("gpgconf") is not None
HAVE_OPENSSL = shutil.which("openssl") is not None


class BlackHole:
    """Accepts SMTP connections and never says a word: a server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def report(rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["ip", "time", "type", "tlp"])
    for r in rows:
        w.writerow(r)
    return out.getvalue().encode()


def ingest_report(tc, rows, feed_name):
    """Test case tc sends rows (ip, time, type, tlp) to its daemon tc.e as a CSV report of
    feed_name and waits for it; every row must become an event."""
    path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=r.csv"
            "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
            + "&option=" + quote("feed_name=" + feed_name))
    status, _, body = tc.e.request("POST", path, report(rows), content_type="text/csv")
    tc.assertIn(status, (200, 201), body)
    tc.assertEqual(body["accounting"]["events"], len(rows), body)


def attachment(msg):
    """The CSV attachment of a message: (file name, header, list of dict rows)."""
    parts = list(msg.iter_attachments())
    assert len(parts) == 1, "expected one attachment, got %d" % len(parts)
    part = parts[0]
    assert part.get_content_type() == "text/csv", part.get_content_type()
    data = part.get_payload(decode=True).decode("utf-8")
    rows = list(csv.reader(io.StringIO(data)))
    return part.get_filename(), rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


class NotifyBase(DaemonTest):
    maxDiff = 6000

    def ingest(self, rows, feed_name="test-scan"):
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=mixed.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=" + feed_name))
        status, _, body = self.e.request("POST", path, report(rows), content_type="text/csv")
        self.assertIn(status, (200, 201), body)
        self.assertEqual(body["state"], "done", body)
        self.assertEqual(body["accounting"]["events"], len(rows), body)
        return body

    def get(self, ref):
        return self.e.ok("GET", NOTIFICATIONS + "/" + str(ref))

    def notifications(self, state=None):
        path = NOTIFICATIONS + ("?state=" + state if state else "")
        return self.e.list_all(path, limit=10)

    def by_org(self, state=None):
        out = {}
        for n in self.notifications(state):
            out.setdefault(n["org"], []).append(n)
        return out

    def cli_json_lines(self, *args, env=None):
        rc, out, err = self.e.cli(*args, env=env)
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]


class DeliveryTest(NotifyBase):
    """A daemon that sends through an SMTP server of its own."""

    demo = True
    mail = True
    # The window stays long: these tests decide when groups are made (run --now); the daemon's
    # worker still sends and retries what is due.
    daemon_env = {"ERMES_NOTIFY_WINDOW": "3600"}

    def assert_message(self, m, n, recipients, language):
        """m (what the server got) is notification n, for recipients, in language."""
        msg = m["msg"]
        ref = n["reference"]
        self.assertEqual(m["from"], "cert@ucert.example")
        self.assertEqual(m["rcpts"], sorted(recipients))
        self.assertEqual(sorted(a.strip() for a in msg["To"].split(",")), sorted(recipients))
        self.assertEqual(msg["From"], MAIL_FROM)
        self.assertEqual(msg["X-ERMES-Reference"], ref)
        self.assertEqual(msg["Message-ID"], n["message_id"])
        self.assertRegex(n["message_id"], r"^<%s\.\d+@ucert\.example>$" % ref)
        self.assertIsNotNone(msg["Date"])
        self.assertTrue(str(msg["Subject"]).startswith("[%s] [TLP:" % ref), msg["Subject"])
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        self.assertEqual(n["language"], language)
        body = body_text(msg)
        self.assertIn(ref, body)
        name, header, rows = attachment(msg)
        self.assertEqual(name, ref + ".csv")
        self.assertEqual(header, CSV_HEADER)
        # Exactly the events of the notification, one row each.
        self.assertEqual(sorted(int(r["id"]) for r in rows), sorted(self.get(n["id"])["event_ids"]))
        for r in rows:
            self.assertEqual(r["constituency"], n["org"])
            self.assertNotEqual(r["tlp"], "RED")
        return body, rows

    def test_1_mixed_report(self):
        e = self.e
        self.ingest([
            ("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
            ("198.51.100.8", "2026-03-01T10:05:00Z", "vulnerable-system", "GREEN"),
            ("198.51.100.9", "2026-03-01T10:06:00Z", "scanner", "RED"),
            ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER"),
            ("192.0.2.7", "2026-03-01T11:10:00Z", "vulnerable-system", "AMBER+STRICT"),
            ("192.0.2.6", "2026-03-01T11:30:00Z", "scanner", "RED"),
            ("10.0.0.1", "2026-03-01T12:00:00Z", "scanner", "AMBER"),
        ])
        # Inside the window nothing is made or sent.
        self.assertEqual(e.ok("POST", NOTIFICATIONS + "/run")["notifications"], 0)
        self.assertEqual(self.notifications(), [])
        self.assertEqual(self.mailbox.count(), 0)

        # --now: UMA's group (a scanner for its abuse desk, a vulnerable system for its
        # security team; both read English) is one e-mail; DG-DIGIT's (the scanner for its
        # security team, French; the vulnerable system for its NOC, Finnish: English) two.
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual(stats["groups"], 2, stats)
        self.assertEqual(stats["notifications"], 3, stats)
        self.assertEqual(stats["events"], 4, stats)
        # Sent by this call or, if it was quicker, by the daemon's worker: either way once.
        wait_until(lambda: self.mailbox.count() >= 3, timeout=30, what="three e-mails")
        time.sleep(0.3)
        self.assertEqual(self.mailbox.count(), 3)
        sent = self.by_org("sent")
        self.assertEqual(sorted(sent), ["DG-DIGIT", "UMA"])
        self.assertEqual(len(sent["UMA"]), 1)
        self.assertEqual(len(sent["DG-DIGIT"]), 2)
        got = {tuple(m["rcpts"]): m for m in self.mailbox.all()}
        self.assertEqual(sorted(got), sorted([(UMA_ABUSE, UMA_SECURITY), (DIGIT_SECURITY,),
                                              (DIGIT_NOC,)]))
        refs = set()

        # UMA: its two events, in English; never its manager.
        n = sent["UMA"][0]
        refs.add(n["reference"])
        self.assertEqual(sorted(n["recipients"]), [UMA_ABUSE, UMA_SECURITY])
        body, rows = self.assert_message(got[(UMA_ABUSE, UMA_SECURITY)], n,
                                         [UMA_ABUSE, UMA_SECURITY], "en")
        self.assertEqual(str(got[(UMA_ABUSE, UMA_SECURITY)]["msg"]["Subject"]),
                         "[%s] [TLP:AMBER] 2 events from test-scan for UMA" % n["reference"])
        self.assertIn("Dear Union Medicines Agency team", body)
        # The RSIT class and the type in words, never a bare type and count.
        self.assertIn("- Information gathering: scanner (1 event): ", body)
        self.assertIn("- Vulnerable: vulnerable system (vulnerable-system, 1 event): ", body)
        self.assertEqual(sorted(r["source.ip"] for r in rows), ["198.51.100.7", "198.51.100.8"])
        self.assertEqual(sorted(r["tlp"] for r in rows), ["AMBER", "GREEN"])

        # DG-DIGIT: the same two events in French for the security team, in English for the
        # NOC; the label is the most restrictive of the events.
        digit = {x["language"]: x for x in sent["DG-DIGIT"]}
        self.assertEqual(sorted(digit), ["en", "fr"])
        self.assertEqual(digit["fr"]["recipients"], [DIGIT_SECURITY])
        self.assertEqual(digit["en"]["recipients"], [DIGIT_NOC])
        body, rows = self.assert_message(got[(DIGIT_SECURITY,)], digit["fr"], [DIGIT_SECURITY],
                                         "fr")
        self.assertEqual(str(got[(DIGIT_SECURITY,)]["msg"]["Subject"]),
                         "[%s] [TLP:AMBER+STRICT] 2 événements de la source test-scan pour "
                         "DG-DIGIT" % digit["fr"]["reference"])
        self.assertIn("nos sources ont signalé", body)
        self.assertEqual(sorted(r["source.ip"] for r in rows), ["192.0.2.5", "192.0.2.7"])
        body, rows = self.assert_message(got[(DIGIT_NOC,)], digit["en"], [DIGIT_NOC], "en")
        self.assertIn("Dear ", body)
        self.assertEqual(sorted(r["source.ip"] for r in rows), ["192.0.2.5", "192.0.2.7"])
        refs.update(x["reference"] for x in sent["DG-DIGIT"])
        self.assertEqual(len(refs), 3)  # one reference per e-mail

        # Never the RED events, never the event of nobody, never to anyone else.
        for m in self.mailbox.all():
            for ip in (b"198.51.100.9", b"192.0.2.6", b"10.0.0.1"):
                self.assertNotIn(ip, m["raw"])
            self.assertNotIn(UMA_MANAGEMENT, m["rcpts"])

        # The API shows the message exactly as it was sent.
        one = self.get(sent["UMA"][0]["id"])
        self.assertEqual(one["state"], "sent")
        self.assertEqual(one["attempts"], 1)
        self.assertIsNone(one["last_error"])
        self.assertIsNotNone(one["sent_at"])
        self.assertEqual(len(one["event_ids"]), 2)
        self.assertEqual(one["preview"].encode(), got[(UMA_ABUSE, UMA_SECURITY)]["raw"])
        self.assertEqual(self.get(one["reference"])["id"], one["id"])
        rc, out, err = self.cli("notify", "preview", one["reference"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.encode(), got[(UMA_ABUSE, UMA_SECURITY)]["raw"])

        # A second run sends nothing new; a manual send of a sent one is refused.
        rc, out, err = self.cli("notify", "run", "--now", "--json")
        self.assertEqual(rc, 0, err)
        second = json.loads(out)
        self.assertEqual((second["notifications"], second["sent"]), (0, 0), second)
        status, _, b = e.request("POST", NOTIFICATIONS + "/%d/send" % one["id"])
        self.assertEqual(status, 409, b)
        rc, out, err = self.cli("notify", "send", one["reference"])
        self.assertNotEqual(rc, 0)
        self.assertIn("sent already", err)
        time.sleep(0.5)
        self.assertEqual(self.mailbox.count(), 3)

    def test_2_smtp_down(self):
        e = self.e
        before = self.mailbox.count()
        self.smtp.stop()
        try:
            self.ingest([("198.51.100.10", "2026-03-02T08:00:00Z", "scanner", "AMBER")])
            stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
            self.assertEqual(stats["notifications"], 1, stats)
            nid = [n for n in self.notifications() if n["state"] not in ("sent",)][0]["id"]
            # The first attempt (by the run, or by the daemon if it came first) failed; the
            # daemon retries with backoff (1 s, 2 s, ...): attempts keep counting, nothing
            # is lost, nothing arrives.
            n = wait_until(lambda: (lambda x: x if x["attempts"] >= 2 and
                                    x["state"] == "retrying" else None)(self.get(nid)),
                           timeout=30, what="a retry by the daemon")
            self.assertTrue(n["last_error"], n)
            self.assertIsNotNone(n["next_attempt_at"])
            self.assertEqual([x["id"] for x in self.notifications("retrying")], [nid])
            self.assertEqual(self.mailbox.count(), before)
        finally:
            self.smtp.start()
        # Back up: the next retry delivers it, once.
        n = wait_until(lambda: (lambda x: x if x["state"] == "sent" else None)(self.get(nid)),
                       timeout=30, what="delivery after the SMTP server came back")
        self.assertGreaterEqual(n["attempts"], 3)
        self.assertIsNone(n["last_error"])
        wait_until(lambda: self.mailbox.count() >= before + 1, timeout=10, what="the e-mail")
        time.sleep(0.5)
        new = self.mailbox.since(before)
        self.assertEqual(len(new), 1)
        self.assertEqual(new[0]["rcpts"], [UMA_ABUSE])
        self.assertEqual(new[0]["msg"]["X-ERMES-Reference"], n["reference"])
        self.assertEqual(new[0]["msg"]["Message-ID"], n["message_id"])
        _, _, rows = attachment(new[0]["msg"])
        self.assertEqual([r["source.ip"] for r in rows], ["198.51.100.10"])

    def test_3_permanent_refusal_then_manual_send(self):
        e = self.e
        before = self.mailbox.count()
        self.mailbox.refuse = "554 5.7.1 Message refused by policy"
        try:
            self.ingest([("198.51.100.11", "2026-03-02T09:00:00Z", "scanner", "AMBER")])
            e.ok("POST", NOTIFICATIONS + "/run?now=true")
            # Refused for good: failed at once, not retried.
            n = wait_until(lambda: self.notifications("failed"), timeout=30, what="failed")[0]
            self.assertEqual(n["attempts"], 1, n)
            self.assertIn("554", n["last_error"])
            self.assertIn("refused for good", n["last_error"])
            self.assertIsNone(n["next_attempt_at"])
            time.sleep(2.5)
            self.assertEqual(self.get(n["id"])["attempts"], 1)
        finally:
            self.mailbox.refuse = None
        # Someone fixed it at the recipient's side: a manual send through the API delivers.
        sent = e.ok("POST", NOTIFICATIONS + "/%s/send" % n["reference"])
        self.assertEqual(sent["state"], "sent")
        self.assertEqual(sent["attempts"], 2)
        self.assertEqual(self.mailbox.count(), before + 1)
        self.assertEqual(self.mailbox.all()[-1]["msg"]["X-ERMES-Reference"], n["reference"])
        # Nothing is left failed.
        rc, out, err = self.e.cli("notify", "list", "--state", "failed", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "")

    def test_4_crash_during_delivery(self):
        """The sender dies after the server took the message, before it recorded "sent"."""
        e = self.e
        before = self.mailbox.count()
        e.stop()
        victim = {}
        killed = threading.Event()

        def kill_sender(raw):
            # Called by the SMTP server with the message in hand, before it answers 250.
            deadline = time.monotonic() + 10
            while "proc" not in victim and time.monotonic() < deadline:
                time.sleep(0.01)
            victim["proc"].kill()
            victim["proc"].wait(10)
            killed.set()

        self.mailbox.on_data = kill_sender
        try:
            # The daemon is down: the CLI makes and sends it, and is the one to die.
            env = dict(os.environ)
            env.update(self.env)
            env.update(db_env(e.dir))
            # Made without SMTP first, so that the send below is the only exchange.
            self.ingest_offline([("198.51.100.12", "2026-03-02T10:00:00Z", "scanner", "AMBER")])
            rc, out, err = self.cli("notify", "run", "--now", "--json",
                                    env={"ERMES_SMTP_URL": ""})
            self.assertEqual(rc, 0, err)
            pending = self.cli_json_lines("notify", "list", "--state", "pending", "--json")
            self.assertEqual(len(pending), 1, pending)
            ref = pending[0]["reference"]
            victim["proc"] = subprocess.Popen(
                [ERMES_BIN, "notify", "send", ref, "--data-dir", e.dir], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.assertTrue(killed.wait(30), "the SMTP server never got the message")
        finally:
            self.mailbox.on_data = None
        self.assertEqual(self.mailbox.count(), before + 1)
        first = self.mailbox.all()[-1]
        # The attempt was recorded before the exchange: the notification says "sending".
        n = self.cli_json_lines("notify", "list", "--state", "sending", "--json")
        self.assertEqual([x["reference"] for x in n], [ref])
        self.assertEqual(n[0]["attempts"], 1)
        # The next daemon finds the sender gone and sends it again: the same message, which
        # the recipient's system can recognise by its Message-ID.
        e.start()
        n = wait_until(lambda: (lambda x: x if x["state"] == "sent" else None)(self.get(ref)),
                       timeout=30, what="the notification sent again")
        self.assertEqual(n["attempts"], 2)
        time.sleep(0.5)
        self.assertEqual(self.mailbox.count(), before + 2)
        second = self.mailbox.all()[-1]
        self.assertEqual(second["msg"]["Message-ID"], first["msg"]["Message-ID"])
        self.assertEqual(second["msg"]["Message-ID"], n["message_id"])
        self.assertEqual(second["raw"], first["raw"])
        self.assertIn("sent again with the same Message-ID", e.log())

    def ingest_offline(self, rows, feed_name="test-scan"):
        """Ingests with the CLI (the daemon is down)."""
        path = os.path.join(self.e.dir, "offline.csv")
        with open(path, "wb") as f:
            f.write(report(rows))
        rc, out, err = self.e.cli("ingest", "--feed", "generic-csv", "--option",
                                  "columns=" + COLUMNS, "--option", "skip_header=true",
                                  "--option", "feed_name=" + feed_name, path)
        self.assertEqual(rc, 0, err + out)

    def test_5_sigterm_during_smtp(self):
        """A server that never answers cannot hold the daemon: it stops within 2 s."""
        e = self.e
        e.stop()
        # Two notifications, made without SMTP.
        for feed in ("hang-a", "hang-b"):
            self.ingest_offline([("198.51.100.13", "2026-03-02T11:00:00Z", "scanner", "AMBER")],
                                feed_name=feed)
        rc, out, err = self.cli("notify", "run", "--now", env={"ERMES_SMTP_URL": ""})
        self.assertEqual(rc, 0, err)
        waiting = self.cli_json_lines("notify", "list", "--state", "pending", "--json")
        self.assertEqual(len(waiting), 2)
        hole = BlackHole()
        try:
            e.start(env={"ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, hole.port)})
            # The daemon's worker hangs on the first (the oldest); an API request on the
            # second. (Polled with the CLI: the API thread that hangs serves no one else.)
            first = min(waiting, key=lambda x: x["id"])
            second = max(waiting, key=lambda x: x["id"])
            wait_until(lambda: self.cli_json_lines("notify", "list", "--state", "sending",
                                                   "--json"), timeout=30, what="the worker")
            result = {}

            def send():
                try:
                    result["r"] = e.request("POST", NOTIFICATIONS + "/%d/send" % second["id"])
                except Exception as x:  # the daemon went away under the request
                    result["r"] = x

            t = threading.Thread(target=send, daemon=True)
            t.start()
            wait_until(lambda: len(self.cli_json_lines("notify", "list", "--state", "sending",
                                                       "--json")) == 2,
                       timeout=30, what="two exchanges")
            rc, took = e.stop()
            self.assertEqual(rc, 0)
            self.assertLess(took, 2.0)
            t.join(10)
        finally:
            hole.close()
        # Both attempts are recorded, not lost: retried after the restart.
        for n in (first, second):
            n = [x for x in self.cli_json_lines("notify", "list", "--json")
                 if x["id"] == n["id"]][0]
            self.assertEqual(n["state"], "retrying", n)
            self.assertEqual(n["attempts"], 1, n)
            self.assertIn("stopping", n["last_error"])
        before = self.mailbox.count()
        e.start()
        for n in (first, second):
            wait_until(lambda: self.get(n["id"])["state"] == "sent", timeout=30,
                       what="delivery")
        self.assertEqual(self.mailbox.count(), before + 2)


class ManualTest(NotifyBase):
    """A daemon without SMTP: notifications wait, and are sent by hand."""

    @classmethod
    def setUpClass(cls):
        # Not DaemonTest's: two SMTP servers, and a daemon that sends through neither.
        cls.tmp = cls.temp_dir("ermes-notify-")
        cls.addClassCleanup(cls.stop_gpg_agent)
        cls.plain = cls.smtp_server()
        cls.tls = None
        if HAVE_OPENSSL:
            cls.cert = os.path.join(cls.tmp, "cert.pem")
            key = os.path.join(cls.tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cls.cert, "-days", "2", "-subj",
                            "/CN=ermes test SMTP", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cls.cert, key)
            cls.tls = cls.smtp_server(tls_context=ctx)
        cls.env = {"ERMES_MAIL_FROM": MAIL_FROM, "ERMES_NOTIFY_WINDOW": "3600"}
        cls.e = cls.daemon(demo=True, env=cls.env)

    @classmethod
    def stop_gpg_agent(cls):
        gnupg = os.path.join(cls.tmp, "gnupg")
        if os.path.isdir(gnupg):
            subprocess.run(["gpgconf", "--homedir", gnupg, "--kill", "gpg-agent"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def make(self, ip, feed_name):
        """One new notification about a scanner at ip: the notification."""
        self.ingest([(ip, "2026-03-03T10:00:00Z", "scanner", "AMBER")], feed_name=feed_name)
        stats = self.e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual((stats["notifications"], stats["sent"], stats["smtp"]), (1, 0, False))
        n = [x for x in self.notifications("pending") if x["group"] == "feed:" + feed_name]
        self.assertEqual(len(n), 1)
        return n[0]

    def test_1_preview_and_manual_send(self):
        n = self.make("198.51.100.2", "manual")
        one = self.get(n["reference"])
        self.assertEqual(one["state"], "pending")
        self.assertEqual(one["attempts"], 0)
        self.assertIn("X-ERMES-Reference: %s\r\n" % n["reference"], one["preview"])
        rc, out, err = self.cli("notify", "preview", n["reference"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, one["preview"])
        # The daemon has no SMTP server: the API cannot send.
        status, _, b = self.e.request("POST", NOTIFICATIONS + "/%d/send" % n["id"])
        self.assertEqual(status, 503, b)
        # The CLI with one can; what arrives is what the preview showed.
        before = self.plain.mailbox.count()
        rc, out, err = self.cli("notify", "send", n["reference"],
                                env={"ERMES_SMTP_URL": self.plain.url()})
        self.assertEqual(rc, 0, err)
        self.assertIn("sent", out)
        got = self.plain.mailbox.since(before)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["rcpts"], [UMA_ABUSE])
        self.assertEqual(got[0]["raw"], one["preview"].encode())
        self.assertFalse(got[0]["tls"])
        self.assertEqual(self.get(n["id"])["state"], "sent")

    def test_2_starttls(self):
        self.assertTrue(HAVE_OPENSSL, NEED_OPENSSL)
        n = self.make("198.51.100.3", "tls")
        url = self.tls.url()
        # The server offers STARTTLS with a certificate of an unknown CA: refused, not sent in
        # the clear.
        rc, out, err = self.cli("notify", "send", n["reference"], env={"ERMES_SMTP_URL": url})
        self.assertNotEqual(rc, 0)
        one = self.get(n["id"])
        self.assertEqual(one["state"], "retrying")
        self.assertEqual(one["attempts"], 1)
        self.assertRegex(one["last_error"].lower(), "certificate|ssl")
        self.assertEqual(self.tls.mailbox.count(), 0)
        # With the test CA: sent, and the session was encrypted.
        rc, out, err = self.cli("notify", "send", n["reference"],
                                env={"ERMES_SMTP_URL": url, "ERMES_SMTP_CA_FILE": self.cert})
        self.assertEqual(rc, 0, err)
        got = self.tls.mailbox.all()
        self.assertEqual(len(got), 1)
        self.assertTrue(got[0]["tls"], "the session was not encrypted")
        self.assertEqual(got[0]["msg"]["X-ERMES-Reference"], n["reference"])
        # smtp_tls=require: a server without STARTTLS gets nothing.
        n = self.make("198.51.100.4", "tls-required")
        before = self.plain.mailbox.count()
        rc, out, err = self.cli("notify", "send", n["reference"],
                                env={"ERMES_SMTP_URL": self.plain.url(),
                                     "ERMES_SMTP_TLS": "require"})
        self.assertNotEqual(rc, 0)
        self.assertEqual(self.plain.mailbox.count(), before)
        self.assertEqual(self.get(n["id"])["state"], "retrying")

    def test_3_rate_limit(self):
        # Two notifications for DG-HOME's security team (two feeds); one message an hour.
        for feed in ("rate-a", "rate-b"):
            self.ingest([("192.0.2.40", "2026-03-03T10:00:00Z", "scanner", "AMBER")],
                        feed_name=feed)
        env = {"ERMES_SMTP_URL": self.plain.url(), "ERMES_NOTIFY_RATE_PER_HOUR": "1"}
        before = self.plain.mailbox.count()
        rc, out, err = self.cli("notify", "run", "--now", "--json", env=env)
        self.assertEqual(rc, 0, err)
        stats = json.loads(out)
        self.assertEqual((stats["notifications"], stats["sent"], stats["deferred"]), (2, 1, 1),
                         stats)
        got = self.plain.mailbox.since(before)
        self.assertEqual([m["rcpts"] for m in got], [[HOME_SECURITY]])
        held = [x for x in self.notifications("pending") if x["org"] == "DG-HOME"]
        self.assertEqual(len(held), 1)
        self.assertEqual(held[0]["attempts"], 0)
        self.assertIn("rate limit", held[0]["last_error"])
        # Its turn comes an hour after the first message; a manual send waits as well.
        self.assertGreater(held[0]["next_attempt_at"], held[0]["created_at"])
        rc, out, err = self.cli("notify", "send", held[0]["reference"], env=env)
        self.assertNotEqual(rc, 0)
        self.assertIn("rate limit", out + err)
        self.assertEqual(self.plain.mailbox.count(), before + 1)
        # Another recipient is not held back by it (UCJ's abuse desk).
        n = self.make("192.0.2.225", "rate-other")
        before = self.plain.mailbox.count()
        rc, out, err = self.cli("notify", "send", n["reference"], env=env)
        self.assertEqual(rc, 0, err)
        # ... and it reads German.
        got = self.plain.mailbox.since(before)
        self.assertEqual([m["rcpts"] for m in got], [["abuse@court.example"]])
        self.assertEqual(n["language"], "de")
        self.assertEqual(str(got[0]["msg"]["Subject"]),
                         "[%s] [TLP:AMBER] 1 Ereignis aus rate-other für UCJ" % n["reference"])
        self.assertIn("Sehr geehrtes Team", body_text(got[0]["msg"]))

    def test_4_openpgp(self):
        self.assertTrue(HAVE_GPG, NEED_GPG)
        home = os.path.join(self.tmp, "gnupg")
        os.mkdir(home, 0o700)
        gpg = ["gpg", "--homedir", home, "--batch", "--quiet"]
        subprocess.run(gpg + ["--passphrase", "", "--quick-gen-key", "UCERT <cert@ucert.example>",
                              "ed25519", "sign", "never"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        n = self.make("198.51.100.6", "signed")
        env = {"ERMES_SMTP_URL": self.plain.url(), "ERMES_NOTIFY_PGP_HOME": home,
               "ERMES_NOTIFY_PGP_KEY": "nobody@nowhere.example"}
        # A key that is not there: nothing is sent, and the reason says so.
        before = self.plain.mailbox.count()
        rc, out, err = self.cli("notify", "send", n["reference"], env=env)
        self.assertNotEqual(rc, 0)
        self.assertIn("nobody@nowhere.example", self.get(n["id"])["last_error"])
        self.assertEqual(self.plain.mailbox.count(), before)
        env["ERMES_NOTIFY_PGP_KEY"] = "cert@ucert.example"
        rc, out, err = self.cli("notify", "send", n["reference"], env=env)
        self.assertEqual(rc, 0, err)
        got = self.plain.mailbox.since(before)
        self.assertEqual(len(got), 1)
        msg, raw = got[0]["msg"], got[0]["raw"]
        # RFC 3156: multipart/signed around the multipart/mixed entity.
        self.assertEqual(msg.get_content_type(), "multipart/signed")
        self.assertEqual(msg.get_param("protocol"), "application/pgp-signature")
        self.assertRegex(msg.get_param("micalg"), r"^pgp-sha(256|384|512)$")
        signed, sig = msg.get_payload()
        self.assertEqual(signed.get_content_type(), "multipart/mixed")
        self.assertEqual(sig.get_content_type(), "application/pgp-signature")
        name, header, rows = attachment(signed)
        self.assertEqual(name, n["reference"] + ".csv")
        self.assertEqual([r["source.ip"] for r in rows], ["198.51.100.6"])
        # The signature covers the exact bytes between the first boundary line and the CRLF
        # before the next one; gpg verifies it with the CERT's public key.
        boundary = ("--" + msg.get_boundary()).encode()
        start = raw.index(boundary + b"\r\n") + len(boundary) + 2
        end = raw.index(b"\r\n" + boundary, start)
        data_path = os.path.join(self.tmp, "signed.bin")
        sig_path = os.path.join(self.tmp, "signed.asc")
        with open(data_path, "wb") as f:
            f.write(raw[start:end])
        with open(sig_path, "wb") as f:
            f.write(sig.get_payload(decode=True))
        v = subprocess.run(gpg + ["--verify", sig_path, data_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self.assertEqual(v.returncode, 0, v.stderr.decode())
        self.assertIn(b"Good signature", v.stderr)
        # A byte changed: the signature no longer holds.
        self.assertIn(b"Dear Union", raw[start:end])
        with open(data_path, "wb") as f:
            f.write(raw[start:end].replace(b"Dear Union", b"Deer Union"))
        v = subprocess.run(gpg + ["--verify", sig_path, data_path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self.assertNotEqual(v.returncode, 0)

    def test_5_staff_only(self):
        _, tok = self.e.user_token("notify-constituent", "constituent", org="UMA")
        for method, path in (("GET", NOTIFICATIONS), ("GET", NOTIFICATIONS + "/1"),
                             ("POST", NOTIFICATIONS + "/run"), ("POST", NOTIFICATIONS + "/1/send")):
            status, _, b = self.e.request(method, path, token=tok)
            self.assertEqual(status, 403, "%s %s: %r" % (method, path, b))
        status, _, b = self.e.request("GET", NOTIFICATIONS + "?state=lost")
        self.assertEqual(status, 400, b)
        # Each state filter answers exactly the notifications in that state: by id, against
        # the unfiltered list, and the states together give back every notification once.
        everything = self.notifications()
        want = {}
        for n in everything:
            want.setdefault(n["state"], set()).add(n["id"])
        self.assertGreaterEqual(len(want), 2, want)  # something for the filter to tell apart
        seen = []
        for state in ("pending", "sending", "retrying", "sent", "failed"):
            got = self.notifications(state)
            self.assertEqual([n["state"] for n in got], [state] * len(got), state)
            self.assertEqual({n["id"] for n in got}, want.get(state, set()), state)
            seen += [n["id"] for n in got]
        self.assertEqual(sorted(seen), sorted(n["id"] for n in everything))
        status, _, b = self.e.request("GET", NOTIFICATIONS + "/999999")
        self.assertEqual(status, 404, b)


if __name__ == "__main__":
    main()
