"""Issue 10, item 7 (SMTP): credentials never go over a connection without TLS unless the
operator says so explicitly.

An aiosmtpd server that offers no STARTTLS but advertises AUTH (auth_require_tls=False, as a
misconfigured server or a man in the middle stripping STARTTLS would): with smtp_user and
smtp_password set and the default smtp_tls=try, ermes used to log in in clear and send. Now
nothing reaches the server (no AUTH, no message), the notification is retrying and its error
says why; smtp_plaintext_auth=true sends as before.
"""

import os
import socket
import sys
import threading
import unittest

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, main, quote  # noqa: E402

USER, PASSWORD = "ermes-notify", "pl41ntext-secret"


class Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.logins = []
        self.messages = []
        s = socket.socket()
        s.bind((HOST, 0))
        self.port = s.getsockname()[1]
        s.close()
        server = self

        class Handler:
            async def handle_DATA(self, srv, session, envelope):
                with server.lock:
                    server.messages.append(envelope.content)
                return "250 OK"

        def authenticator(srv, session, envelope, mechanism, auth_data):
            with server.lock:
                server.logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=True)

        self.controller = Controller(Handler(), hostname=HOST, port=self.port,
                                     authenticator=authenticator, auth_require_tls=False)
        self.controller.start()

    def url(self):
        return "smtp://%s:%d" % (HOST, self.port)

    def stop(self):
        self.controller.stop()


class PlaintextAuth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = Server()
        cls.e = Ermes(demo=True, start=False)
        cls.env = {"ERMES_SMTP_URL": cls.smtp.url(), "ERMES_SMTP_USER": USER,
                   "ERMES_SMTP_PASSWORD": PASSWORD, "ERMES_MAIL_FROM": "cert@ucert.example"}
        path = os.path.join(cls.e.dir, "scan.csv")
        with open(path, "w") as f:
            f.write("ip,time,type\n198.51.100.7,2026-03-01T10:00:00Z,scanner\n")
        rc, out, err = cls.e.cli("ingest", "--feed", "generic-csv", "--option",
                                 "columns=source.ip|time.source|classification.type",
                                 "--option", "skip_header=true", path)
        assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        cls.smtp.stop()

    def run_notify(self, **extra):
        env = dict(self.env)
        env.update(extra)
        return self.e.cli("notify", "run", "--now", "--json", env=env)

    def notifications(self):
        rc, out, err = self.e.cli("notify", "list", "--json")
        self.assertEqual(rc, 0, err)
        import json
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_1_no_credentials_in_clear(self):
        rc, out, err = self.run_notify()
        self.assertEqual(self.smtp.logins, [], "the password went over a plain connection")
        self.assertEqual(self.smtp.messages, [])
        ns = self.notifications()
        self.assertTrue(ns)
        for n in ns:
            self.assertEqual(n["state"], "retrying", n)
            self.assertIn("STARTTLS", n["last_error"])
            self.assertIn("smtp_plaintext_auth", n["last_error"])
            self.assertNotIn(PASSWORD, n["last_error"])
        self.assertNotIn(PASSWORD, out + err)
        # smtp_tls=try does not lift it either.
        rc, out, err = self.e.cli("notify", "send", ns[0]["reference"],
                                  env=dict(self.env, ERMES_SMTP_TLS="try"))
        self.assertNotEqual(rc, 0)
        self.assertEqual(self.smtp.logins, [])

    def test_2_explicit_plaintext_auth(self):
        ns = self.notifications()
        rc, out, err = self.e.cli("notify", "send", ns[0]["reference"],
                                  env=dict(self.env, ERMES_SMTP_PLAINTEXT_AUTH="true"))
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.smtp.logins, [(USER.encode(), PASSWORD.encode())])
        self.assertEqual(len(self.smtp.messages), 1)


if __name__ == "__main__":
    main()
