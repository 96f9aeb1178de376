"""Mail in, end to end, with real servers started by the test on loopback.

ImapTest: a real IMAP server (Debian's dovecot-imapd, a throwaway configuration in a temp
  directory, run as nobody when the test runs as root) holds a message; the daemon, with a
  [mailbox "NAME"] section, fetches it, stores it, makes it an incident report whose
  observables are extracted and looked up (owner, known bad, seen before), and moves it to the
  folder the section names. A second mailbox with processed = seen only flags it.

PipeTest (the CLI, as a mail server's pipe delivers; and POST /api/v1/mail):
  - an incident report with de-fanged observables, its TLP read from the subject;
  - a reply to a real notification (sent over aiosmtpd, as in test_notify.py) is threaded
    onto it and moves its sender to replied; an automatic answer to acknowledged;
  - X-ARF v4 and ARF (RFC 5965) reports become events of feeds xarf and arf;
  - bad input: broken MIME, a 50 MB attachment, wrong and missing charsets, an encrypted message
    without the key (and with it: decrypted), a message bomb (deeply nested multiparts): each is
    stored raw (the bytes come back identical) with its state and reason, memory bounded;
  - exit statuses for the MTA: 0 stored, 65 over mail_max_size (nothing stored), 75 the store
    unavailable.
"""

import base64
import email.utils
import imaplib
import json
import os
import pwd
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, HOST, Ermes, free_port, main, quote, wait_until  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported by the test
    Controller = None

DOVECOT = "/usr/sbin/dovecot"
NEED_DOVECOT = "dovecot-imapd is not installed (scripts/install-deps test)"
NEED_AIOSMTPD = "python3-aiosmtpd is not installed (scripts/install-deps test)"
NEED_GPG = "gpg is not installed (scripts/install-deps test)"


def message(subject, body, sender="Alice Reporter <alice@reporter.example>", headers=(),
            content_type="text/plain; charset=utf-8", extra_body=None):
    """A simple RFC 5322 message (CRLF line ends) as bytes."""
    lines = ["From: " + sender, "To: cert@ucert.example", "Subject: " + subject,
             "Date: " + email.utils.formatdate(usegmt=True),
             "Message-ID: " + email.utils.make_msgid(domain="reporter.example"),
             "MIME-Version: 1.0", "Content-Type: " + content_type]
    lines += list(headers)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if isinstance(body, str):
        body = body.replace("\r\n", "\n").replace("\n", "\r\n").encode()
    return head + body + (extra_body or b"")


REPORT_BODY = """Hello CERT,

a phishing kit at hxxps://login-medicines[.]example[.]org/verify.php sends its loot to
198.51.100[.]7 (and to 2001:db8:300::25), mail from payroll[@]medicines.example.
The dropper is 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f, see CVE-2024-3094.
Version 2.4.1 of the kit, in invoice.pdf, at 12:30:45 - none of these are observables.
"""


class Dovecot:
    """dovecot on a free loopback port, its configuration, users and mail in a temp dir."""

    def __init__(self):
        if not os.path.exists(DOVECOT):
            raise AssertionError(NEED_DOVECOT)
        self.dir = tempfile.mkdtemp(prefix="ermes-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.user, self.password = "cert", "imap-secret"
        # dovecot refuses to run its services as root: as root, everything runs as nobody.
        if os.getuid() == 0:
            pw = pwd.getpwnam("nobody")
            self.run_as, uid, gid = "nobody", pw.pw_uid, pw.pw_gid
        else:
            pw = pwd.getpwuid(os.getuid())
            self.run_as, uid, gid = pw.pw_name, os.getuid(), os.getgid()
        group = __import__("grp").getgrgid(gid).gr_name
        for d in ("run", "state", "mail", "home"):
            os.mkdir(os.path.join(self.dir, d))
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (self.user, self.password))
        with open(conf, "w") as f:
            f.write("""base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = {u}
default_internal_group = {g}
default_login_user = {u}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {u}
}}
service auth-worker {{
  user = {u}
}}
service stats {{
  chroot =
}}
""".format(d=self.dir, u=self.run_as, g=group, uid=uid, gid=gid, port=self.port))
        if os.getuid() == 0:
            subprocess.run(["chown", "-R", "%d:%d" % (uid, gid), self.dir], check=True)
            cmd = ["su", "-s", "/bin/sh", self.run_as, "-c", "%s -c %s" % (DOVECOT, conf)]
        else:
            cmd = [DOVECOT, "-c", conf]
        self.conf = conf
        subprocess.run(cmd, check=True)
        wait_until(self._listening, timeout=15, what="dovecot listening")

    def _listening(self):
        try:
            socket.create_connection((HOST, self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def imap(self):
        m = imaplib.IMAP4(HOST, self.port)
        m.login(self.user, self.password)
        return m

    def url(self):
        return "imap://%s:%d" % (HOST, self.port)

    def stop(self):
        pidfile = os.path.join(self.dir, "run", "master.pid")
        try:
            with open(pidfile) as f:
                os.kill(int(f.read().strip()), 15)
            wait_until(lambda: not self._listening(), timeout=10, what="dovecot stopped")
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class MailBase(unittest.TestCase):
    maxDiff = 4000
    e = None

    def receive(self, raw, *args, env=None, expect=0):
        rc, out, err = self.e.cli("mail", "receive", "--json", *args, input=raw, env=env)
        self.assertEqual(rc, expect, "rc %d\n%s\n%s" % (rc, out, err))
        return json.loads(out) if rc == 0 else None

    def report(self, rid):
        return self.e.ok("GET", "/api/v1/incident-reports/%d" % rid)

    def raw(self, mid):
        s, _, b = self.e.request("GET", "/api/v1/mail/%d/raw" % mid, raw=True)
        self.assertEqual(s, 200)
        return b


class ImapTest(MailBase):
    @classmethod
    def setUpClass(cls):
        cls.dovecot = Dovecot()
        m = cls.dovecot.imap()
        for folder in ("Processed", "Other", "Gone"):
            m.create(folder)
        m.logout()
        cls.e = Ermes(demo=True, start=False)
        cls.maildir = os.path.join(cls.e.dir, "maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(cls.maildir, sub))
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

[mailbox "other"]
url = {url}
user = {user}
password = {pw}
folder = Other
interval = 1

[mailbox "md"]
maildir = {md}
interval = 1

[mailbox "gone"]
url = {url}
user = {user}
password = {pw}
folder = Gone
processed = delete
interval = 1
""".format(url=cls.dovecot.url(), user=cls.dovecot.user, pw=cls.dovecot.password,
           md=cls.maildir))
        cls.e.start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            cls.dovecot.stop()

    def test_fetched_stored_extracted_moved(self):
        e = self.e
        # A known bad domain (an indicator) that was sighted, to be found by the look-up.
        # (example.org is on a warninglist: a test's indicator is forced in.)
        e.ok("POST", "/api/v1/indicators?force=true",
             {"type": "domain", "value": "login-medicines.example.org", "tlp": "AMBER"})
        raw = message("TLP:AMBER phishing kit against UMA", REPORT_BODY)
        m = self.dovecot.imap()
        m.append("INBOX", None, None, raw)
        m.logout()
        got = wait_until(lambda: [x for x in e.ok("GET", "/api/v1/mail")["data"]
                                  if x["source"] == "imap:cert" and x["state"] != "received"],
                         timeout=30, what="the daemon fetched the message")
        mail = got[0]
        self.assertEqual(mail["state"], "processed", mail)
        self.assertEqual(mail["kind"], "report")
        self.assertEqual(mail["from"], "alice@reporter.example")
        self.assertEqual(self.raw(mail["id"]), raw, "the raw message is kept byte for byte")
        rep = self.report(mail["incident_report_id"])
        self.assertEqual(rep["tlp"], "AMBER")
        self.assertTrue(rep["tlp_marked"])
        self.assertEqual(rep["org"], "UMA", rep)
        obs = {(o["type"], o["value"]): o for o in rep["observables"]}
        self.assertEqual(sorted(obs), sorted([
            ("url", "https://login-medicines.example.org/verify.php"),
            ("domain", "login-medicines.example.org"),
            ("ipv4", "198.51.100.7"),
            ("ipv6", "2001:db8:300::25"),
            ("email", "payroll@medicines.example"),
            ("sha256", "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"),
            ("cve", "CVE-2024-3094"),
        ]), rep["observables"])
        self.assertEqual(obs[("ipv4", "198.51.100.7")]["org"], "UMA")
        self.assertEqual(obs[("ipv6", "2001:db8:300::25")]["org"], "UMA")
        self.assertEqual(obs[("email", "payroll@medicines.example")]["org"], "UMA")
        self.assertTrue(obs[("domain", "login-medicines.example.org")]["known_bad"])
        self.assertFalse(obs[("ipv4", "198.51.100.7")]["known_bad"])
        # Moved to Processed on the server, and seen there.
        m = self.dovecot.imap()
        m.select("INBOX")
        self.assertEqual(m.search(None, "ALL")[1], [b""])
        m.select("Processed")
        ids = m.search(None, "ALL")[1][0].split()
        self.assertEqual(len(ids), 1)
        self.assertIn(b"\\Seen", m.fetch(ids[0], "(FLAGS)")[1][0])
        m.logout()

    def test_seen_flag_and_not_twice(self):
        e = self.e
        raw = message("Scan from 203.0.113.9", "Port scans from 203.0.113.9 all night.\n")
        m = self.dovecot.imap()
        m.append("Other", None, None, raw)
        m.logout()
        got = wait_until(lambda: [x for x in e.ok("GET", "/api/v1/mail")["data"]
                                  if x["source"] == "imap:other"],
                         timeout=30, what="the daemon fetched the message")
        wait_until(lambda: e.ok("GET", "/api/v1/mail/%d" % got[0]["id"])["state"] == "processed",
                   what="processed")
        m = self.dovecot.imap()
        m.select("Other")
        self.assertIn(b"\\Seen", m.fetch(b"1", "(FLAGS)")[1][0])
        m.logout()
        rep = self.report(e.ok("GET", "/api/v1/mail/%d" % got[0]["id"])["incident_report_id"])
        self.assertEqual(rep["org"], "UCB")
        self.assertEqual(rep["tlp"], "AMBER")
        self.assertFalse(rep["tlp_marked"])
        # Polled again and again: still one message.
        time.sleep(2.5)
        self.assertEqual(len([x for x in e.ok("GET", "/api/v1/mail")["data"]
                              if x["source"] == "imap:other"]), 1)


    def test_delete_when_processed(self):
        e = self.e
        raw = message("Open resolver 198.51.100.2", "Resolver open at 198.51.100.2.\n")
        m = self.dovecot.imap()
        m.append("Gone", None, None, raw)
        m.logout()
        got = wait_until(lambda: [x for x in e.ok("GET", "/api/v1/mail")["data"]
                                  if x["source"] == "imap:gone" and x["state"] != "received"],
                         timeout=30, what="the daemon fetched the message")
        self.assertEqual(self.raw(got[0]["id"]), raw)
        m = self.dovecot.imap()
        wait_until(lambda: m.select("Gone")[1] == [b"0"], timeout=10, what="expunged")
        m.logout()

    def test_maildir(self):
        e = self.e
        raw = message("Defacement of www.medicines.example", "Defaced: hxxp://www.medicines.example/\n")
        # Written in tmp/, then renamed into new/: the maildir way (a reader never sees half).
        tmp = os.path.join(self.maildir, "tmp", "1700000000.M1P1.host")
        with open(tmp, "wb") as f:
            f.write(raw)
        os.rename(tmp, os.path.join(self.maildir, "new", "1700000000.M1P1.host"))
        got = wait_until(lambda: [x for x in e.ok("GET", "/api/v1/mail")["data"]
                                  if x["source"] == "maildir:md" and x["state"] != "received"],
                         timeout=30, what="the daemon took the maildir message")
        self.assertEqual((got[0]["state"], got[0]["kind"]), ("processed", "report"), got[0])
        self.assertEqual(self.raw(got[0]["id"]), raw)
        self.assertEqual(os.listdir(os.path.join(self.maildir, "new")), [])
        self.assertEqual(os.listdir(os.path.join(self.maildir, "cur")),
                         ["1700000000.M1P1.host:2,S"])
        rep = self.report(got[0]["incident_report_id"])
        self.assertEqual(rep["org"], "UMA")


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


class PipeTest(MailBase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-mail-")
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            for home in ("gnupg", "empty-gnupg"):
                h = os.path.join(cls.tmp, home)
                if os.path.isdir(h):
                    subprocess.run(["gpgconf", "--homedir", h, "--kill", "gpg-agent"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_1_incident_report_piped(self):
        row = self.receive(message("[TLP:GREEN] phishing at UMA", REPORT_BODY))
        self.assertEqual((row["state"], row["kind"], row["source"]), ("processed", "report", "pipe"))
        rep = self.report(row["incident_report_id"])
        self.assertEqual(rep["tlp"], "GREEN")
        self.assertEqual(rep["reporter"], "alice@reporter.example")
        values = {o["value"] for o in rep["observables"]}
        self.assertIn("198.51.100.7", values)
        self.assertNotIn("2.4.1", values)
        self.assertFalse(any(v.endswith("invoice.pdf") for v in values), values)
        # The same bytes again: the same message, not a second one.
        again = self.receive(message("x", "y"))
        self.assertNotEqual(again["id"], row["id"])
        raw = self.raw(row["id"])
        before = self.e.ok("GET", "/api/v1/incident-reports?limit=1000")["data"]
        twice = self.receive(raw)
        self.assertEqual((twice["id"], twice["incident_report_id"]),
                         (row["id"], row["incident_report_id"]))
        lst = self.e.ok("GET", "/api/v1/incident-reports?limit=1000")["data"]
        self.assertEqual(len(lst), len(before), "received twice, reported once")
        self.assertIn(row["incident_report_id"], [r["id"] for r in lst])

    def test_2_upload_api(self):
        raw = message("TLP:RED compromised host 198.51.100.3", "See subject.\n")
        s, h, b = self.e.request("POST", "/api/v1/mail", raw, content_type="message/rfc822")
        self.assertEqual(s, 201, b)
        self.assertEqual(b["kind"], "report")
        self.assertEqual(b["tlp"], "RED")
        s, _, b = self.e.request("POST", "/api/v1/mail", b"{}", content_type="application/json")
        self.assertEqual(s, 415, b)
        self.assertEqual(b["error"]["field"], "Content-Type")
        _, tok = self.e.user_token("uma-user", "constituent", org="UMA")
        s, _, b = self.e.request("POST", "/api/v1/mail", raw, content_type="message/rfc822",
                                 token=tok)
        self.assertEqual(s, 403, b)

    def test_3_reply_threaded(self):
        if Controller is None:
            self.fail(NEED_AIOSMTPD)
        e = self.e
        box = Mailbox()
        port = free_port()
        ctl = Controller(box, hostname=HOST, port=port)
        ctl.start()
        try:
            csv = "ip,time,type\n198.51.100.9,2026-03-01T10:00:00Z,scanner\n"
            path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=r.csv&option="
                    + quote("columns=source.ip|time.source|classification.type")
                    + "&option=" + quote("skip_header=true"))
            s, _, b = e.request("POST", path, csv, content_type="text/csv")
            self.assertIn(s, (200, 201), b)
            env = {"ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, port),
                   "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>"}
            rc, out, err = e.cli("notify", "run", "--now", "--json", env=env)
            self.assertEqual(rc, 0, err)
            wait_until(lambda: box.messages, timeout=20, what="the notification was sent")
        finally:
            ctl.stop()
        sent = email.message_from_bytes(box.messages[0])
        ref = sent["X-ERMES-Reference"]
        n = e.ok("GET", "/api/v1/notifications/" + ref)
        self.assertEqual(n["state"], "sent")
        # The constituent answers, quoting nothing but the Message-ID in In-Reply-To.
        reply = message("Re: your message", "Thanks, we cleaned 198.51.100.9.\n",
                        sender="UMA Security <security@medicines.example>",
                        headers=["In-Reply-To: " + sent["Message-ID"],
                                 "References: " + sent["Message-ID"]])
        row = self.receive(reply)
        self.assertEqual((row["kind"], row["notification_id"]), ("reply", n["id"]), row)
        # An out-of-office answer of another recipient (the reference in the subject only).
        auto = message("Automatic reply: [%s] events" % ref, "I am away.\n",
                       sender="abuse@medicines.example", headers=["Auto-Submitted: auto-replied"])
        self.assertEqual(self.receive(auto)["kind"], "reply")
        c = e.ok("GET", "/api/v1/notifications/%s/correspondence" % ref)
        states = {r["recipient"]: r["state"] for r in c["recipients"]}
        self.assertEqual(states, {"security@medicines.example": "replied",
                                  "abuse@medicines.example": "acknowledged"})
        self.assertEqual(len(c["messages"]), 2)
        self.assertIn("we cleaned", c["messages"][0]["body"])
        # An automatic answer after a reply does not move the sender back.
        auto2 = message("Re: [%s]" % ref, "Ticket #1 opened.\n",
                        sender="security@medicines.example",
                        headers=["Auto-Submitted: auto-generated"])
        self.receive(auto2)
        c = e.ok("GET", "/api/v1/notifications/%s/correspondence" % ref)
        states = {r["recipient"]: r["state"] for r in c["recipients"]}
        self.assertEqual(states["security@medicines.example"], "replied")

    def test_4_xarf_and_arf(self):
        e = self.e
        xarf = json.dumps({
            "Version": "4", "ReporterInfo": {"ReporterOrg": "Example Abuse Desk",
                                             "ReporterOrgEmail": "abuse@desk.example"},
            "Disclosure": True,
            "Report": {"ReportClass": "Activity", "ReportType": "LoginAttack",
                       "Date": "2026-03-02T08:00:00Z", "SourceType": "ip-address",
                       "Source": "198.51.100.11", "SourcePort": 22, "Ongoing": False}})
        boundary = "xarf-b"
        body = ("--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSSH brute force.\r\n"
                "--{b}\r\nContent-Type: application/json; charset=utf-8\r\n"
                "Content-Disposition: attachment; filename=\"xarf.json\"\r\n\r\n{x}\r\n"
                "--{b}--\r\n").format(b=boundary, x=xarf)
        raw = message("abuse report about 198.51.100.11", body, headers=["X-XARF: PLAIN"],
                      content_type='multipart/mixed; boundary="%s"' % boundary)
        row = self.receive(raw)
        self.assertEqual((row["state"], row["kind"]), ("processed", "xarf"), row)
        ev = [x["event"] for x in
              e.ok("GET", "/api/v1/events?report=%d" % row["report_id"])["data"]]
        self.assertEqual(len(ev), 1, ev)
        self.assertEqual(ev[0]["source.ip"], "198.51.100.11")
        self.assertEqual(ev[0]["classification.type"], "brute-force")
        self.assertEqual(ev[0]["feed.name"], "X-ARF")
        self.assertEqual(ev[0]["constituency"], "UMA")
        # ARF (RFC 5965 appendix B.1's shape).
        arf = ("--arf\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nAn abuse report.\r\n"
               "--arf\r\nContent-Type: message/feedback-report\r\n\r\n"
               "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n"
               "Original-Mail-From: <somespammer@example.net>\r\n"
               "Arrival-Date: Thu, 8 Mar 2026 14:00:00 EDT\r\n"
               "Source-IP: 203.0.113.20\r\nReported-Domain: example.net\r\n\r\n"
               "--arf\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: <somespammer@example.net>\r\n"
               "Subject: Earn money\r\n\r\n--arf--\r\n")
        raw = message("FW: Earn money", arf,
                      content_type='multipart/report; report-type=feedback-report; boundary="arf"')
        row = self.receive(raw)
        self.assertEqual((row["state"], row["kind"]), ("processed", "arf"), row)
        rep = e.ok("GET", "/api/v1/reports/%d" % row["report_id"])
        ev = [x["event"] for x in
              e.ok("GET", "/api/v1/events?report=%d" % row["report_id"])["data"]]
        self.assertEqual(len(ev), 1, (rep, e.ok("GET", "/api/v1/quarantine")))
        self.assertEqual(ev[0]["feed.name"], "ARF")
        self.assertEqual(ev[0]["constituency"], "UCB")
        self.assertEqual(ev[0]["source.ip"], "203.0.113.20")
        self.assertEqual(ev[0]["classification.type"], "spam")

    def test_5_broken_and_charsets(self):
        # A multipart whose boundary never comes, and a header line that is not one.
        broken = (b"From: x@reporter.example\r\nSubject: broken 198.51.100.5\r\n"
                  b"Content-Type: multipart/mixed; boundary=\"nope\"\r\n"
                  b"\x01bad header\r\n\r\nno boundary ever, 198.51.100.6\r\n")
        row = self.receive(broken)
        self.assertIn(row["state"], ("processed", "failed"))
        self.assertTrue(row["reason"], row)
        self.assertEqual(self.raw(row["id"]), broken)
        # Latin-1 bytes declared UTF-8; an unknown charset; 8-bit text with no charset at all.
        cases = [("text/plain; charset=utf-8", "declared utf-8"),
                 ("text/plain; charset=x-no-such-charset", "x-no-such-charset"),
                 ("text/plain", "without a charset")]
        for ctype, why in cases:
            raw = message("Caf\u00e9 " + why, b"Caf\xe9 at 198.51.100.12, " + why.encode() + b"\r\n",
                          content_type=ctype)
            row = self.receive(raw)
            self.assertEqual((row["state"], row["kind"]), ("processed", "report"), row)
            self.assertIn("Windows-1252", row["reason"] or "", row)
            rep = self.report(row["incident_report_id"])
            self.assertIn("Caf\u00e9", rep["body"])
            self.assertIn("198.51.100.12", {o["value"] for o in rep["observables"]})
            self.assertEqual(self.raw(row["id"]), raw)
        # ISO-8859-2 declared and right: converted.
        raw = message("Zg\u0142oszenie", "Zg\u0142oszenie 198.51.100.13\n".encode("iso-8859-2"),
                      content_type="text/plain; charset=iso-8859-2")
        rep = self.report(self.receive(raw)["incident_report_id"])
        self.assertIn("Zg\u0142oszenie", rep["body"])

    def peak_rss_kb(self, raw):
        """Runs `ermes mail receive` in a child of its own; its peak RSS in KiB and its row."""
        path = os.path.join(self.tmp, "big.eml")
        with open(path, "wb") as f:
            f.write(raw)
        env = dict(os.environ)
        if self.e.database_url:
            env["ERMES_DATABASE_URL"] = self.e.database_url
        probe = ("import resource, subprocess, sys\n"
                 "p = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], 'rb'),"
                 " stdout=subprocess.PIPE)\n"
                 "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
                 "print(p.stdout.decode())\n")
        p = subprocess.run([sys.executable, "-c", probe, path, ERMES_BIN, "mail", "receive",
                            "--json", "--data-dir", self.e.dir], stdout=subprocess.PIPE,
                           env=env, timeout=300)
        first, rest = p.stdout.decode().split("\n", 1)
        rc, kb = first.split()
        self.assertEqual(int(rc), 0, rest)
        return int(kb), json.loads(rest.strip())

    def test_6_big_attachment_and_bomb(self):
        # 50 MB of binary attachment: stored whole, read, memory bounded (the attachment is
        # never held in memory: it is streamed to disk and GMime reads ranges of the file).
        blob = base64.encodebytes(os.urandom(50 << 20))
        body = (b"--big\r\nContent-Type: text/plain\r\n\r\nA dump of 198.51.100.14 attached.\r\n"
                b"--big\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Disposition: attachment; filename=\"dump.bin\"\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"\r\n--big--\r\n")
        raw = message("memory dump", body, content_type='multipart/mixed; boundary="big"')
        kb, row = self.peak_rss_kb(raw)
        self.assertEqual((row["state"], row["kind"]), ("processed", "report"), row)
        self.assertEqual(row["size"], len(raw))
        limit = 200 * 1024 if "asan" in ERMES_BIN else 48 * 1024
        self.assertLess(kb, limit, "peak RSS %d KiB for a %d MB message" % (kb, len(raw) >> 20))
        self.assertEqual(self.raw(row["id"]), raw)
        # A message bomb: 20000 nested multiparts. Kept raw, failed, with the reason.
        depth = 20000
        parts = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"
                         % (k, k + 1) for k in range(depth))
        raw = message("bomb", parts + b"--b%d\r\nContent-Type: text/plain\r\n\r\nboom\r\n" % depth,
                      content_type='multipart/mixed; boundary="b0"')
        kb, row = self.peak_rss_kb(raw)
        self.assertEqual((row["state"], row["kind"]), ("failed", "unparsed"), row)
        self.assertRegex(row["reason"], "nesting|parts")
        self.assertLess(kb, 200 * 1024, "peak RSS %d KiB for a message bomb" % kb)
        self.assertEqual(self.raw(row["id"]), raw)
        failed = self.e.ok("GET", "/api/v1/mail?state=failed")["data"]
        self.assertIn(row["id"], [m["id"] for m in failed])

    def test_7_encrypted(self):
        self.assertTrue(shutil.which("gpg"), NEED_GPG)
        home = os.path.join(self.tmp, "gnupg")
        empty = os.path.join(self.tmp, "empty-gnupg")
        os.mkdir(home, 0o700)
        os.mkdir(empty, 0o700)
        gpg = ["gpg", "--homedir", home, "--batch", "--quiet"]
        subprocess.run(gpg + ["--passphrase", "", "--quick-gen-key", "UCERT <cert@ucert.example>",
                              "default", "default", "never"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        inner = (b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                 b"Secret: the C2 is 198.51.100.15.\r\n")
        enc = subprocess.run(gpg + ["--armor", "--trust-model", "always", "--encrypt", "-r",
                                    "cert@ucert.example"], input=inner, stdout=subprocess.PIPE,
                             check=True).stdout
        body = (b"--enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
                b"--enc\r\nContent-Type: application/octet-stream\r\n\r\n" + enc +
                b"\r\n--enc--\r\n")
        raw = message("encrypted report", body,
                      content_type='multipart/encrypted; protocol="application/pgp-encrypted"; '
                                   'boundary="enc"')
        # Without the key: kept raw, failed, with the reason.
        row = self.receive(raw, env={"ERMES_NOTIFY_PGP_HOME": empty})
        self.assertEqual((row["state"], row["kind"], row["encryption"]),
                         ("failed", "unparsed", "no-key"), row)
        self.assertIn("encrypted", row["reason"])
        self.assertEqual(self.raw(row["id"]), raw)
        # With the CERT's key: `ermes mail process ID` reads it again, decrypted.
        rc, out, err = self.e.cli("mail", "process", row["id"],
                                  env={"ERMES_NOTIFY_PGP_HOME": home})
        self.assertEqual(rc, 0, err)
        row = self.e.ok("GET", "/api/v1/mail/%d" % row["id"])
        self.assertEqual((row["state"], row["kind"], row["encryption"]),
                         ("processed", "report", "decrypted"), row)
        rep = self.report(row["incident_report_id"])
        self.assertIn("198.51.100.15", {o["value"] for o in rep["observables"]})
        # Signed (PGP/MIME, RFC 3156): the signature checked with the keys of notify_pgp_home.
        signed = (b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                  b"Signed report about 198.51.100.16.\r\n")
        sig = subprocess.run(gpg + ["--armor", "--detach-sign", "-u", "cert@ucert.example"],
                             input=signed, stdout=subprocess.PIPE, check=True).stdout
        body = (b"--sig\r\n" + signed + b"\r\n--sig\r\n"
                b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n\r\n" +
                sig + b"\r\n--sig--\r\n")
        raw = message("signed report", body,
                      content_type='multipart/signed; micalg=pgp-sha256; '
                                   'protocol="application/pgp-signature"; boundary="sig"')
        row = self.receive(raw, env={"ERMES_NOTIFY_PGP_HOME": home})
        self.assertEqual((row["state"], row["signature"]), ("processed", "good"), row)
        rep = self.report(row["incident_report_id"])
        self.assertIn("198.51.100.16", {o["value"] for o in rep["observables"]})
        # The same message with its text changed: bad.
        row = self.receive(raw.replace(b"198.51.100.16", b"198.51.100.17"),
                           env={"ERMES_NOTIFY_PGP_HOME": home})
        self.assertEqual((row["state"], row["signature"]), ("processed", "bad"), row)
        # Without the signer's key: unknown-key, and read all the same.
        row = self.receive(raw.replace(b"signed report", b"signed report again"),
                           env={"ERMES_NOTIFY_PGP_HOME": empty})
        self.assertEqual((row["state"], row["signature"]), ("processed", "unknown-key"), row)

    def test_8_exit_statuses(self):
        # Over mail_max_size: refused (65), nothing stored.
        before = len(self.e.ok("GET", "/api/v1/mail?limit=1000")["data"])
        raw = message("big", b"x" * (2 << 20))
        self.receive(raw, env={"ERMES_MAIL_MAX_SIZE": "1"}, expect=65)
        self.assertEqual(len(self.e.ok("GET", "/api/v1/mail?limit=1000")["data"]), before)
        # The store unavailable: 75, the MTA tries again later.
        missing = os.path.join(self.tmp, "no-such-dir")
        rc, out, err = self.e.cli("mail", "receive", "--data-dir", missing, data_dir=False,
                                  input=message("x", "y"))
        self.assertEqual(rc, 75, err)


if __name__ == "__main__":
    main()
