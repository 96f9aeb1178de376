"""ermeslib.DaemonTest, the set-up the integration tests share: a class gets the daemon, SMTP
server, environment, organisations, users and temporary directory it declares; req() acts as
its first user; and everything started is stopped and removed when the class ends, also when
a step of its set-up fails half-way (daemon process, data directory, PostgreSQL schema, SMTP
server, temporary directory). Both backends.
"""

import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import (HOST, MAIL_FROM, PG_URL, DaemonTest, _PgConnection, main,  # noqa: E402
                      postgresql)


def run_class(cls):
    """Runs test class cls as unittest would; returns the result."""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    result = unittest.TestResult()
    suite.run(result)
    return result


def listening(port):
    try:
        socket.create_connection((HOST, port), timeout=5).close()
        return True
    except ConnectionRefusedError:
        return False


def schema_exists(name):
    rows = _PgConnection(PG_URL).execute(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", (name,))
    return rows.fetchone()[0] == 1


class Behaviour(unittest.TestCase):
    maxDiff = 4000

    def assert_all_gone(self, cls):
        """Nothing cls's set-up started is left."""
        e = cls.e
        self.assertFalse(e.running())
        self.assertFalse(listening(e.port), "the daemon still listens on %d" % e.port)
        self.assertFalse(os.path.exists(e.dir), e.dir)
        if postgresql():
            self.assertFalse(schema_exists(e._schema), e._schema)
        if cls.mail:
            self.assertIsNone(cls.smtp.controller)
            self.assertFalse(listening(cls.smtp.port), "the SMTP server still listens")
        if cls.tmp_prefix:
            self.assertFalse(os.path.exists(cls.tmp), cls.tmp)

    def test_declared_set_up(self):
        seen = {}

        class Declared(DaemonTest):
            mail = True
            daemon_env = {"ERMES_NOTIFY_WINDOW": "7"}
            orgs = {"ACME": "Acme"}
            users = (("alice", "analyst"), ("conny", "constituent", "ACME"))
            tmp_prefix = "ermes-daemontest-"

            def test_it(self):
                seen["env"] = dict(self.env)
                seen["tmp"] = os.path.isdir(self.tmp)
                seen["smtp"] = listening(self.smtp.port)
                seen["mailbox"] = self.mailbox is self.smtp.mailbox
                seen["me"] = self.req("GET", "/api/v1/me")["user"]["name"]
                seen["conny"] = (self.conny["name"], self.conny["role"], self.conny["org"],
                                 self.req("GET", "/api/v1/me", token=self.conny_t)["user"]["name"])
                seen["orgs"] = [o["short_name"] for o in self.e.list_all("/api/v1/organisations")]
                with self.assertRaises(self.failureException) as cm:
                    self.req("GET", "/api/v1/organisations/NOPE")
                seen["refused"] = str(cm.exception)
                seen["cli"] = self.cli_ok("org", "list")  # on the daemon's data directory
                with self.assertRaises(self.failureException):
                    self.cli_ok("org", "show", "NOPE")

        result = run_class(Declared)
        self.assertEqual((result.testsRun, result.errors, result.failures), (1, [], []))
        self.assertEqual(seen["env"], {"ERMES_MAIL_FROM": MAIL_FROM,
                                       "ERMES_NOTIFY_RETRY_BASE": "1",
                                       "ERMES_SMTP_URL": Declared.smtp.url(),
                                       "ERMES_NOTIFY_WINDOW": "7"})
        self.assertTrue(seen["tmp"] and seen["smtp"] and seen["mailbox"], seen)
        self.assertEqual(seen["me"], "alice")
        self.assertEqual(seen["conny"], ("conny", "constituent", "ACME", "conny"))
        self.assertEqual(sorted(seen["orgs"]), ["ACME", "CERT"])  # CERT: ermes init's
        self.assertIn("404 not found in (200, 201) : GET /api/v1/organisations/NOPE -> 404",
                      seen["refused"])
        self.assertIn("ACME", seen["cli"])
        self.assert_all_gone(Declared)

    def test_without_send_and_without_users(self):
        seen = {}

        class Quiet(DaemonTest):
            mail = True
            send = False

            def test_it(self):
                seen["env"] = dict(self.env)
                seen["me"] = self.req("GET", "/api/v1/me")["user"]["role"]

        result = run_class(Quiet)
        self.assertEqual((result.testsRun, result.errors, result.failures), (1, [], []))
        self.assertEqual(seen["env"], {"ERMES_MAIL_FROM": MAIL_FROM,
                                       "ERMES_NOTIFY_RETRY_BASE": "1"})
        self.assertEqual(seen["me"], "admin")  # req() without users: the admin token
        self.assert_all_gone(Quiet)

    def test_failed_set_up_leaves_nothing(self):
        ran = []

        class Broken(DaemonTest):
            mail = True
            tmp_prefix = "ermes-daemontest-"
            # The organisation does not exist: making the user fails after the SMTP server,
            # the temporary directory and the daemon have started.
            users = (("conny", "constituent", "NOSUCHORG"),)

            def test_it(self):
                ran.append(1)

        result = run_class(Broken)
        self.assertEqual(ran, [])
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("setUpClass", str(result.errors[0][0]))
        self.assertIn("/api/v1/users", result.errors[0][1])
        self.assertTrue(Broken.e.port)  # it had started
        self.assert_all_gone(Broken)

    def test_daemon_that_does_not_start(self):
        class NoDaemon(DaemonTest):
            mail = True
            tmp_prefix = "ermes-daemontest-"
            serve_args = ("--no-such-flag",)

            def test_it(self):
                pass

        result = run_class(NoDaemon)
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("ermes serve exited", result.errors[0][1])
        self.assertFalse(hasattr(NoDaemon, "e"))
        self.assertIsNone(NoDaemon.smtp.controller)
        self.assertFalse(listening(NoDaemon.smtp.port), "the SMTP server still listens")
        self.assertFalse(os.path.exists(NoDaemon.tmp), NoDaemon.tmp)


if __name__ == "__main__":
    main()
