"""Settings at run time (issue 15, item 15): PUT/DELETE /api/v1/settings/NAME and
`ermes settings set/unset` change the live settings without a restart, on two daemons sharing
one database (SQLite file or PostgreSQL schema, as in test_two_daemons).

- bad values are refused with the field named (the table's parser and limits, the SMTP
  checks), restart-only settings say "needs a restart", a value from the daemon's environment
  wins over the database (409), non-administrators get 403;
- smtp_url changed at run time to a real SMTP server (aiosmtpd): the notifications prepared
  while it was unset are delivered there, without a restart;
- each change is audited (old -> new; a secret only "changed", never its value);
- the other daemon picks a change up within seconds; a restart keeps the stored value;
  DELETE and `settings unset` go back to the default."""

import json
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, assert_error, main, wait_until  # noqa: E402

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported by the test
    Controller = None

HEADER = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          '"naics","sic","name","model","device","features","device_vendor","device_type",'
          '"device_model","device_version","device_sector"\n')
ROW = ('"2026-01-02 10:00:%02d","%s","tcp",5555,"h%d.example","adb",,"NL","R","C",'
       '518210,737415,"n","m","d",,,,,,\n')
SMTP_SECRET = "pw-never-shown-9f3"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 accepted"

    def received(self):
        with self.lock:
            return list(self.messages)


class SettingsLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if Controller is None:
            raise AssertionError("python3-aiosmtpd is not installed (scripts/install-deps test)")
        cls.mailbox = Mailbox()
        cls.smtp_port = free_port()
        cls.smtp = Controller(cls.mailbox, hostname=HOST, port=cls.smtp_port)
        cls.smtp.start()
        env = {"ERMES_NOTIFY_WINDOW": "0"}
        cls.a = Ermes(demo=True, start=False, env=dict(env, ERMES_INSTANCE_HOST="machine-a"))
        cls.b = Ermes(data_dir=cls.a.dir, init=False, start=False,
                      env=dict(env, ERMES_INSTANCE_HOST="machine-b"))
        cls.b.port_file = os.path.join(cls.a.dir, "port-b")
        cls.b._nlog = 1000
        cls.b.token = cls.a.token
        cls.a.start()
        cls.b.start()

    @classmethod
    def tearDownClass(cls):
        cls.b.close()
        cls.a.close()
        cls.smtp.stop()

    def setting(self, e, name):
        status, _, body = e.request("GET", "/api/v1/settings")
        self.assertEqual(status, 200, body)
        return {s["name"]: s for s in body["data"]}[name]

    def put(self, e, name, value, expect=200):
        status, _, body = e.request("PUT", "/api/v1/settings/" + name, {"value": value})
        self.assertEqual(status, expect, body)
        return body

    def wait_value(self, e, name, value, source, what):
        wait_until(lambda: (self.setting(e, name)["value"], self.setting(e, name)["source"]) ==
                   (value, source), timeout=60, interval=0.2, what=what)

    def audit(self, name):
        status, _, body = self.a.request("GET", "/api/v1/audit?object_type=setting")
        self.assertEqual(status, 200, body)
        return [r for r in body["data"] if r["object_id"] == name]

    def test_1_bad_values_refused(self):
        cases = [("notify_window", "abc", 409, "overridden", "name"),  # from ERMES_NOTIFY_WINDOW
                 ("notify_rate_per_hour", "many", 422, "invalid", "notify_rate_per_hour"),
                 ("notify_rate_per_hour", 0, 422, "invalid", "notify_rate_per_hour"),
                 ("smtp_tls", "maybe", 422, "invalid", "smtp_tls"),
                 ("smtp_url", "http://%s:1" % HOST, 422, "invalid", "smtp_url"),
                 # smtp_url needs the CERT's own From: address first.
                 ("smtp_url", "smtp://%s:1" % HOST, 422, "invalid", "mail_from"),
                 ("notify_approval", "sometimes", 422, "invalid", "notify_approval"),
                 ("notify_encrypt", "perhaps", 422, "invalid", "notify_encrypt"),
                 ("mail_from", "a@ucert.example\r\nBcc: x@evil.example", 422, "invalid",
                  "mail_from"),
                 ("listen", "%s:1" % HOST, 409, "needs_restart", "name"),
                 ("database_url", "x", 409, "needs_restart", "name"),
                 ("no_such_setting", "1", 404, "not_found", "name")]
        for name, value, status, code, field in cases:
            st, _, body = self.a.request("PUT", "/api/v1/settings/" + name, {"value": value})
            err = assert_error(self, st, body, status, code, field)
            if code == "needs_restart":
                self.assertIn("needs a restart", err["message"])
        st, _, body = self.a.request("PUT", "/api/v1/settings/notify_window", {"val": 3})
        assert_error(self, st, body, 409, "overridden", "name")
        st, _, body = self.a.request("PUT", "/api/v1/settings/notify_max_attempts", [3])
        assert_error(self, st, body, 422, "invalid", "value")
        st, _, body = self.a.request("DELETE", "/api/v1/settings/notify_max_attempts")
        assert_error(self, st, body, 404, "not_found", "name")
        for role, org in (("analyst", None), ("constituent", "UMA")):
            _, tok = self.a.user_token("live-" + role, role, org=org)
            st, _, body = self.a.request("PUT", "/api/v1/settings/notify_max_attempts",
                                         {"value": 3}, token=tok)
            self.assertEqual(st, 403, (role, body))
        # Nothing refused was stored or audited.
        by = {s["name"]: s for s in self.a.get("/api/v1/settings")[2]["data"]}
        self.assertEqual({n for n, s in by.items() if s["source"] == "database"}, set())
        self.assertEqual(self.audit("smtp_url"), [])
        # What says where values come from and how they apply.
        self.assertEqual((by["notify_window"]["source"], by["notify_window"]["applies"]),
                         ("env", "live"))
        self.assertEqual((by["listen"]["source"], by["listen"]["applies"]), ("flag", "restart"))
        self.assertTrue(by["listen"]["restart_reason"])
        self.assertEqual((by["smtp_url"]["source"], by["smtp_url"]["applies"]),
                         ("default", "live"))

    def test_2_smtp_url_at_run_time(self):
        # Events of UMA (198.51.100.0/28): a notification, prepared but not sent (no SMTP).
        csv = HEADER + "".join(ROW % (k, "198.51.100.%d" % (1 + k), k) for k in range(4))
        st, _, body = self.b.request(
            "POST", "/api/v1/reports?feed=shadowserver&wait=true&file_name="
            "2026-01-02-scan_adb-live.csv", body=csv, content_type="text/csv")
        self.assertIn(st, (200, 201, 202), body)
        wait_until(lambda: self.a.get("/api/v1/notifications")[2]["data"], timeout=60,
                   interval=0.2, what="a notification prepared")
        self.assertEqual(self.mailbox.received(), [])
        self.put(self.a, "mail_from", "UCERT <cert@ucert.example>")
        url = "smtp://%s:%d" % (HOST, self.smtp_port)
        body = self.put(self.a, "smtp_url", url)
        self.assertEqual((body["value"], body["secret"], body["set"], body["source"]),
                         (None, True, True, "database"))
        wait_until(lambda: self.mailbox.received(), timeout=60, interval=0.2,
                   what="the notification delivered to the SMTP server set at run time")
        rcpts, content = self.mailbox.received()[0]
        self.assertIn(b"From: UCERT <cert@ucert.example>", content)
        # The other daemon has it too, and no answer shows the URL.
        self.wait_value(self.b, "smtp_url", None, "database", "smtp_url on the other daemon")
        self.assertNotIn(str(self.smtp_port), json.dumps(self.b.get("/api/v1/settings")[2]))
        # Audited: who, old -> new; the secret only as "changed".
        (row,) = self.audit("mail_from")
        self.assertEqual((row["action"], row["actor"], row["detail"]),
                         ("update", "admin", {"old": "ermes@localhost",
                                              "new": "UCERT <cert@ucert.example>"}))
        (row,) = self.audit("smtp_url")
        self.assertEqual(row["detail"], {"value": "changed"})
        # A password set the same way is never echoed back nor audited in clear.
        body = self.put(self.a, "smtp_password", SMTP_SECRET)
        self.assertNotIn(SMTP_SECRET, json.dumps(body))
        st, _, audit = self.a.request("GET", "/api/v1/audit?object_type=setting")
        self.assertNotIn(SMTP_SECRET, json.dumps(audit))
        st, _, _ = self.a.request("DELETE", "/api/v1/settings/smtp_password")
        self.assertEqual(st, 200)

    def test_3_other_daemon_and_cli(self):
        body = self.put(self.b, "notify_rate_per_hour", 77)
        self.assertEqual((body["value"], body["source"]), ("77", "database"))
        self.wait_value(self.a, "notify_rate_per_hour", "77", "database",
                        "a change made on b, seen by a")
        # The CLI writes the same table; both daemons pick it up.
        rc, out, err = self.a.cli("settings", "set", "notify_max_attempts", "9")
        self.assertEqual(rc, 0, err)
        for e in (self.a, self.b):
            self.wait_value(e, "notify_max_attempts", "9", "database", "the CLI's change")
        (row,) = self.audit("notify_max_attempts")
        self.assertTrue(row["actor"].startswith("cli:"), row)
        self.assertEqual(row["detail"], {"old": "10", "new": "9"})
        rc, out, err = self.a.cli("settings", "set", "notify_max_attempts", "lots")
        self.assertEqual(rc, 1)
        self.assertIn("must be a whole number", err)
        rc, out, err = self.a.cli("settings", "set", "listen", "%s:1" % HOST)
        self.assertEqual(rc, 1)
        self.assertIn("needs a restart", err)
        rc, out, err = self.a.cli("settings", "set", "smtp_password", "-",
                                  input=SMTP_SECRET + "\n")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.a.cli("settings", "stored")
        self.assertEqual(rc, 0, err)
        self.assertIn("smtp_password = (secret)", out)
        self.assertIn("notify_max_attempts = 9", out)
        self.assertNotIn(SMTP_SECRET, out)
        rc, out, err = self.a.cli("settings", "unset", "smtp_password")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.a.cli("settings", "unset", "notify_max_attempts")
        self.assertEqual(rc, 0, err)
        for e in (self.a, self.b):
            self.wait_value(e, "notify_max_attempts", "10", "default", "the CLI's unset")
        rows = self.audit("notify_max_attempts")
        self.assertEqual((rows[0]["action"], rows[0]["detail"]),
                         ("delete", {"old": "9", "new": "10", "stored": "removed"}))

    def test_4_restart_keeps_the_stored_value(self):
        self.put(self.a, "notify_review_age", 600)
        self.a.restart()
        s = self.setting(self.a, "notify_review_age")
        self.assertEqual((s["value"], s["source"], s["updated_by"]), ("600", "database", "admin"))
        st, _, body = self.a.request("DELETE", "/api/v1/settings/notify_review_age")
        self.assertEqual(st, 200, body)
        self.assertEqual((body["value"], body["source"]), ("86400", "default"))
        self.wait_value(self.b, "notify_review_age", "86400", "default", "the delete on b")


if __name__ == "__main__":
    main()
