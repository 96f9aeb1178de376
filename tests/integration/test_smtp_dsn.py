"""Delivery status notifications asked for (smtp_dsn, RFC 3461): a notification goes out with
MAIL FROM ... RET=HDRS ENVID=<reference> and RCPT TO ... NOTIFY=SUCCESS,FAILURE
ORCPT=rfc822;<address>, exactly as a real aiosmtpd server that advertises DSN receives them
(through Debian's libcurl); the DSN that comes back names the notification only in its
Original-Envelope-Id and the recipient in Original-Recipient (Final-Recipient rewritten by a
forward), and moves that recipient to delivered. A server without DSN refuses the parameters
(555) and still gets the notification. Real binary, both backends.
"""

import email
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, free_port, main, quote, wait_until  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import SMTP  # noqa: E402


class Box:
    """Keeps the messages and, with dsn, says DSN in its EHLO answer."""

    def __init__(self, dsn):
        self.dsn = dsn
        self.messages = []
        self.mail = []
        self.rcpt = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.dsn:
            responses.insert(len(responses) - 1, "250-DSN")
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


class DsnSMTP(SMTP):
    """aiosmtpd knows no DSN parameter (it answers 555): this one records the MAIL and RCPT
    lines as they came and takes the RFC 3461 parameters off before aiosmtpd reads them."""

    DSN_PARAMS = ("RET=", "ENVID=", "NOTIFY=", "ORCPT=")

    def _strip(self, arg):
        return " ".join(w for w in arg.split(" ") if not w.upper().startswith(self.DSN_PARAMS))

    async def smtp_MAIL(self, arg):
        self.event_handler.mail.append(arg)
        await super().smtp_MAIL(self._strip(arg) if self.event_handler.dsn else arg)

    async def smtp_RCPT(self, arg):
        self.event_handler.rcpt.append(arg)
        await super().smtp_RCPT(self._strip(arg) if self.event_handler.dsn else arg)


class DsnController(Controller):
    def factory(self):
        return DsnSMTP(self.handler, **self.SMTP_kwargs)


def dsn(ref, actions):
    """A DSN as a forwarding mail system writes one: the notification named only by the
    envelope id; per recipient the address ermes gave (ORCPT) and the one it ended at."""
    blocks = "".join("Original-Recipient: rfc822;<%s>\r\nFinal-Recipient: rfc822; fwd-%s\r\n"
                     "Action: %s\r\nStatus: 2.0.0\r\n\r\n" % (addr, addr, action)
                     for addr, action in actions)
    return ("From: MAILER-DAEMON@mx.medicines.example (Mail Delivery System)\r\n"
            "To: cert@ucert.example\r\nSubject: Successful Mail Delivery Report\r\n"
            "Auto-Submitted: auto-replied\r\nMessage-ID: <dsn-1@mx.medicines.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
            " boundary=\"DSN\"\r\n\r\n--DSN\r\nContent-Type: text/plain\r\n\r\n"
            "Your message was delivered.\r\n"
            "--DSN\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.medicines.example\r\nOriginal-Envelope-Id: <%s>\r\n\r\n%s"
            "--DSN--\r\n" % (ref, blocks)).encode()


class SmtpDsnTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def notify(self, ip, box):
        """Events about ip (a UMA address), then one round of notifications to box's server
        with smtp_dsn on; returns the message box received."""
        e = self.e
        csv = "ip,time,type\n%s,2026-03-01T10:00:00Z,scanner\n" % ip
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=%s.csv&option=" % ip
                + quote("columns=source.ip|time.source|classification.type")
                + "&option=" + quote("skip_header=true"))
        s, _, b = e.request("POST", path, csv, content_type="text/csv")
        self.assertIn(s, (200, 201), b)
        port = free_port()
        ctl = DsnController(box, hostname=HOST, port=port)
        ctl.start()
        try:
            env = {"ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, port),
                   "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>", "ERMES_SMTP_DSN": "true"}
            rc, out, err = e.cli("notify", "run", "--now", "--json", env=env)
            self.assertEqual(rc, 0, err)
            wait_until(lambda: box.messages, timeout=60, what="the notification was sent")
        finally:
            ctl.stop()
        return email.message_from_bytes(box.messages[0])

    def test_1_dsn_asked_and_read(self):
        e = self.e
        box = Box(dsn=True)
        sent = self.notify("198.51.100.9", box)
        ref = sent["X-ERMES-Reference"]
        self.assertTrue(ref, sent)
        # The parameters arrive as RFC 3461 writes them, the envelope id closed by its '>'.
        self.assertEqual(len(box.mail), 1, box.mail)
        self.assertRegex(box.mail[0], r"^FROM:<cert@ucert\.example> RET=HDRS ENVID=<%s>( SIZE=\d+)?$"
                         % ref)
        rcpts = [a.split(">")[0][len("TO:<"):] for a in box.rcpt]
        self.assertTrue(rcpts, box.rcpt)
        for arg, addr in zip(box.rcpt, rcpts):
            self.assertEqual(arg, "TO:<%s> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;<%s>"
                             % (addr, addr))
        n = e.ok("GET", "/api/v1/notifications/" + ref)
        self.assertEqual(n["state"], "sent")
        # The DSN: no reference anywhere but the envelope id; the recipient by its ORCPT.
        rc, out, err = e.cli("mail", "receive", "--json", input=dsn(ref, [(rcpts[0], "delivered")]))
        self.assertEqual(rc, 0, err)
        c = e.ok("GET", "/api/v1/notifications/%s/correspondence" % ref)
        states = {r["recipient"]: r["state"] for r in c["recipients"]}
        self.assertEqual(states.get(rcpts[0]), "delivered", c)
        self.assertFalse(any(k.startswith("fwd-") for k in states), states)

    def test_2_server_without_dsn(self):
        # A stock aiosmtpd: no DSN in EHLO, 555 to the parameters; sent again without them.
        box = Box(dsn=False)
        sent = self.notify("198.51.100.7", box)
        ref = sent["X-ERMES-Reference"]
        self.assertEqual(len(box.messages), 1)
        self.assertEqual(len(box.mail), 2, box.mail)
        self.assertIn("ENVID=<%s>" % ref, box.mail[0])
        self.assertRegex(box.mail[1], r"^FROM:<cert@ucert\.example>( SIZE=\d+)?$")
        self.assertTrue(all("NOTIFY=" not in a for a in box.rcpt[-len(box.rcpt) // 2:]), box.rcpt)
        self.assertEqual(self.e.ok("GET", "/api/v1/notifications/" + ref)["state"], "sent")


if __name__ == "__main__":
    main()
