"""GET /api/v1/settings (issue 15, item 15): the settings the daemon runs with, for
administrators only; secrets never shown back (only whether they are set); each says where its
value comes from and whether it applies live or at a restart (and why), and the answer names
the other things that change while ermes runs. Changing them: test_settings_live."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, Ermes, main  # noqa: E402

SECRET = "s3cret-Pa55word-never-shown"


class SettingsApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, env={"ERMES_SMTP_PASSWORD": SECRET,
                                      "ERMES_SMTP_URL": "smtp://user:%s@127.0.0.1:1" % SECRET,
                                      "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>",
                                      "ERMES_NOTIFY_WINDOW": "1234"})

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_settings(self):
        status, _, body = self.e.request("GET", "/api/v1/settings")
        self.assertEqual(status, 200, body)
        self.assertNotIn(SECRET, repr(body))
        by = {s["name"]: s for s in body["data"]}
        # The same settings as `ermes settings --list`, in its order.
        out = subprocess.run([ERMES_BIN, "settings", "--list"], stdout=subprocess.PIPE,
                             check=True).stdout.decode().split()
        self.assertEqual([s["name"] for s in body["data"]], out)
        self.assertEqual(by["notify_window"]["value"], "1234")
        self.assertEqual(by["notify_window"]["default"], "3600")
        self.assertEqual(by["log_json"]["value"], "false")
        for name in ("smtp_password", "smtp_url"):
            self.assertEqual((by[name]["value"], by[name]["secret"], by[name]["set"]),
                             (None, True, True), name)
        self.assertEqual((by["database_url"]["secret"], by["smtp_user"]["secret"]), (True, False))
        # Where each value comes from; what applies live (test_settings_live changes them).
        self.assertEqual((by["notify_window"]["source"], by["log_json"]["source"],
                          by["smtp_url"]["source"]), ("env", "default", "env"))
        self.assertEqual({s["applies"] for s in body["data"]}, {"restart", "live"})
        self.assertEqual((by["smtp_url"]["applies"], by["mail_from"]["applies"],
                          by["listen"]["applies"], by["database_url"]["applies"]),
                         ("live", "live", "restart", "restart"))
        self.assertTrue(all(s["restart_reason"] for s in body["data"]
                            if s["applies"] == "restart"))
        self.assertEqual([x["path"] for x in body["live"]],
                         ["/api/v1/notification-policies", "/api/v1/warninglists",
                          "/api/v1/templates"])

    def test_admin_only(self):
        for role, org in (("analyst", None), ("constituent", "UMA")):
            _, tok = self.e.user_token("settings-" + role, role, org=org)
            status, _, body = self.e.request("GET", "/api/v1/settings", token=tok)
            self.assertEqual(status, 403, (role, body))
        status, _, _ = self.e.request("PUT", "/api/v1/settings", {"notify_window": 5})
        self.assertEqual(status, 405)
        for role, org in (("analyst", None), ("constituent", "UMA")):
            _, tok = self.e.user_token("settings-put-" + role, role, org=org)
            status, _, body = self.e.request("PUT", "/api/v1/settings/mail_from",
                                             {"value": "x@ucert.example"}, token=tok)
            self.assertEqual(status, 403, (role, body))


if __name__ == "__main__":
    main()
