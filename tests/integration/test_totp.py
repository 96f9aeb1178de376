"""Two-step sign-in (TOTP, RFC 6238) over HTTP: enrolment (secret, otpauth:// URI, QR code,
first code, recovery codes shown once), sign-in with and without the code, replayed codes,
single-use recovery codes, the lock-out counting wrong codes, turning it off (by the user, by an
administrator, `ermes user totp reset`), and totp_required: a staff session without TOTP can
only set it up, while API tokens are not affected.

The codes are computed here with Python's hmac, independently of ermes's C code."""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import unittest
from urllib.parse import parse_qs, unquote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402
from test_sessions import PASSWORD, Browser, cookie_of  # noqa: E402


def totp(secret_b32, step):
    """RFC 6238 with HMAC-SHA1 and 6 digits, for time step `step`."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


def now_step():
    return int(time.time()) // 30


class TotpClient(Browser):
    def login2(self, name, password=PASSWORD, **factor):
        body = {"username": name, "password": password}
        body.update(factor)
        s, h, b = self.e.request("POST", "/api/v1/sessions", body, token=None)
        if s == 201:
            self.cookie, _ = cookie_of(h)
            self.csrf = b["csrf_token"]
        return s, h, b

    def enrol(self, uid):
        """Starts and confirms enrolment; returns (secret, step used, recovery codes)."""
        s, _, b = self.request("POST", "/api/v1/users/%d/totp" % uid)
        assert s == 201, (s, b)
        step = now_step()
        s, _, c = self.request("POST", "/api/v1/users/%d/totp/confirm" % uid,
                               {"code": totp(b["secret"], step)})
        assert s == 200, (s, c)
        return b["secret"], step, c["recovery_codes"]


class TotpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            for name in ("tina", "lucky", "dora"):
                setattr(cls, name, cls.e.create_user(name, "analyst", password=PASSWORD))
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def audit(self, action):
        return self.e.list_all("/api/v1/audit?action=" + action)

    def test_enrol_and_sign_in(self):
        uid = self.tina["id"]
        b = TotpClient(self.e)
        s, _, body = b.login2("tina")
        self.assertEqual(s, 201)
        self.assertFalse(body["totp_enrolment_required"])
        self.assertFalse(body["user"]["totp_enabled"])
        # An API token cannot set up a second factor: tokens are the machine path.
        _, tok = self.e.user_token("tina-bot", "analyst")
        s, _, err = self.e.request("POST", "/api/v1/users/%d/totp" % uid, token=tok)
        assert_error(self, s, err, 404, "not_found")
        s, _, err = self.e.request("POST", "/api/v1/users/%d/totp" % uid)  # admin's token
        assert_error(self, s, err, 404, "not_found")
        # Nor can one enrol another user.
        s, _, err = b.request("POST", "/api/v1/users/%d/totp" % self.dora["id"])
        assert_error(self, s, err, 404, "not_found")

        s, _, en = b.request("POST", "/api/v1/users/%d/totp" % uid)
        self.assertEqual(s, 201, en)
        secret = en["secret"]
        self.assertRegex(secret, r"^[A-Z2-7]{32}$")  # 160 bits
        self.assertEqual((en["algorithm"], en["digits"], en["period"]), ("SHA1", 6, 30))
        u = urlparse(en["otpauth_uri"])
        self.assertEqual((u.scheme, u.netloc, unquote(u.path)), ("otpauth", "totp", "/ermes:tina"))
        q = parse_qs(u.query)
        self.assertEqual(q["secret"], [secret])
        self.assertEqual(q["issuer"], ["ermes"])
        self.assertTrue(en["qr_svg"].startswith("<svg "), en["qr_svg"][:40])
        self.assertIn("<path", en["qr_svg"])
        # Starting again gives a new secret; the first one is gone.
        s, _, en2 = b.request("POST", "/api/v1/users/%d/totp" % uid)
        self.assertEqual(s, 201)
        self.assertNotEqual(en2["secret"], secret)
        secret = en2["secret"]

        s, _, err = b.request("POST", "/api/v1/users/%d/totp/confirm" % uid,
                              {"code": totp(en["secret"], now_step())})
        assert_error(self, s, err, 422, "invalid", "code")
        # Another session of the same user, opened with the password alone.
        other = TotpClient(self.e)
        self.assertEqual(other.login2("tina")[0], 201)
        step = now_step()
        first = totp(secret, step)
        s, _, c = b.request("POST", "/api/v1/users/%d/totp/confirm" % uid, {"code": first})
        self.assertEqual(s, 200, c)
        codes = c["recovery_codes"]
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        for rc in codes:
            self.assertRegex(rc, r"^[a-z2-7]{4}(-[a-z2-7]{4}){3}$")
        s, _, err = b.request("POST", "/api/v1/users/%d/totp" % uid)
        assert_error(self, s, err, 409, "conflict")
        # Turning it on ended the password-only session, not this one.
        self.assertEqual(other.request("GET", "/api/v1/sessions/current")[0], 401)
        self.assertEqual(b.request("GET", "/api/v1/sessions/current")[0], 200)
        enabled = [a for a in self.audit("totp_enable") if a["object_id"] == str(uid)]
        self.assertEqual(enabled[0]["detail"], {"sessions_ended": 1})
        # The secret is never shown again: not in the user, not in the session.
        user = self.e.ok("GET", "/api/v1/users/%d" % uid)
        self.assertTrue(user["totp_enabled"])
        s, _, cur = b.request("GET", "/api/v1/sessions/current")
        self.assertNotIn(secret, repr(user) + repr(cur))

        # Sign-in: the password alone is not enough, and says so without counting a failure.
        c2 = TotpClient(self.e)
        s, _, err = c2.login2("tina")
        assert_error(self, s, err, 401, "totp_required", "totp")
        s, _, err = c2.login2("tina", totp="000000" if first != "000000" else "111111")
        assert_error(self, s, err, 401, "unauthorized", "totp")
        # The code that confirmed the enrolment was used: it does not open a session.
        s, _, err = c2.login2("tina", totp=first)
        assert_error(self, s, err, 401, "unauthorized", "totp")
        # A wrong password with a right code is a wrong password.
        s, _, err = c2.login2("tina", password="not the password", totp=totp(secret, step + 1))
        assert_error(self, s, err, 401, "unauthorized")
        nxt = totp(secret, step + 1)
        s, _, ok = c2.login2("tina", totp=nxt)
        self.assertEqual(s, 201, ok)
        self.assertTrue(ok["user"]["totp_enabled"])
        s, _, _ = c2.request("GET", "/api/v1/events")
        self.assertEqual(s, 200)
        # A code opens one session only.
        s, _, err = TotpClient(self.e).login2("tina", totp=nxt)
        assert_error(self, s, err, 401, "unauthorized", "totp")
        logins = [a for a in self.audit("login") if a["actor"] == "tina"]
        self.assertEqual(logins[0]["detail"], {"factor": "totp"})

        # Recovery codes: each works once, however it is typed.
        r = TotpClient(self.e)
        s, _, ok = r.login2("tina", recovery_code=codes[0])
        self.assertEqual(s, 201, ok)
        used = [a for a in self.audit("recovery_code_used") if a["object_id"] == str(uid)]
        self.assertEqual(used[0]["detail"], {"recovery_codes_left": 9})
        s, _, err = TotpClient(self.e).login2("tina", recovery_code=codes[0])
        assert_error(self, s, err, 401, "unauthorized", "totp")
        s, _, ok = TotpClient(self.e).login2("tina",
                                             recovery_code=codes[1].upper().replace("-", " "))
        self.assertEqual(s, 201, ok)
        s, _, err = TotpClient(self.e).login2("tina", recovery_code="aaaa-bbbb-cccc-dddd")
        assert_error(self, s, err, 401, "unauthorized", "totp")

        # Turning it off takes the password, in a session.
        s, _, err = r.request("DELETE", "/api/v1/users/%d/totp" % uid, {"password": "wrong one!"})
        assert_error(self, s, err, 403, "forbidden", "password")
        s, _, _ = r.request("DELETE", "/api/v1/users/%d/totp" % uid, {"password": PASSWORD})
        self.assertEqual(s, 204)
        self.assertFalse(self.e.ok("GET", "/api/v1/users/%d" % uid)["totp_enabled"])
        s, _, _ = TotpClient(self.e).login2("tina")
        self.assertEqual(s, 201)
        self.assertTrue(self.audit("totp_disable"))

    def test_wrong_codes_lock_the_name(self):
        b = TotpClient(self.e)
        self.assertEqual(b.login2("lucky")[0], 201)
        secret, step, _ = b.enrol(self.lucky["id"])
        right = totp(secret, step + 1)
        wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555")
                 if c != right and c != totp(secret, step) and c != totp(secret, step - 1)
                 and c != totp(secret, step + 2)][:5]
        for c in wrong:
            s, _, err = TotpClient(self.e).login2("lucky", totp=c)
            assert_error(self, s, err, 401, "unauthorized", "totp")
        # Five wrong codes lock the name like five wrong passwords: the right code waits too.
        s, h, err = TotpClient(self.e).login2("lucky", totp=right)
        assert_error(self, s, err, 429, "rate_limited")
        self.assertTrue([a for a in self.audit("lockout") if a["object_id"] == "lucky"])

    def test_reset_by_cli_and_admin(self):
        uid = self.dora["id"]
        b = TotpClient(self.e)
        self.assertEqual(b.login2("dora")[0], 201)
        secret, step, _ = b.enrol(uid)
        self.assertEqual(b.request("GET", "/api/v1/sessions/current")[0], 200)
        rc, out, err = self.e.cli("user", "list", "--json")
        listed = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([u["totp_enabled"] for u in listed if u["name"] == "dora"], [True])
        # The administrator's way for a lost device: the secret and the sessions go.
        rc, out, err = self.e.cli("user", "totp", "reset", "dora")
        self.assertEqual(rc, 0, err)
        self.assertIn("two-step sign-in reset", out)
        self.assertEqual(b.request("GET", "/api/v1/sessions/current")[0], 401)
        resets = [a for a in self.audit("totp_reset") if a["object_id"] == str(uid)]
        self.assertEqual(resets[0]["detail"], {"sessions_ended": 1})
        rc, out, err = self.e.cli("user", "totp", "reset", "dora")
        self.assertNotEqual(rc, 0)
        self.assertIn("no two-step sign-in", err)
        rc, out, err = self.e.cli("user", "totp", "reset")
        self.assertEqual(rc, 2, err)
        # Signing in takes the password only now; enrolment starts again.
        self.assertEqual(b.login2("dora")[0], 201)
        b.enrol(uid)
        # Over the API, an administrator resets another user; a non-admin cannot.
        _, tok = self.e.user_token("ana-other", "analyst")
        s, _, err = self.e.request("DELETE", "/api/v1/users/%d/totp" % uid, token=tok)
        assert_error(self, s, err, 404, "not_found")
        s, _, _ = self.e.request("DELETE", "/api/v1/users/%d/totp" % uid)
        self.assertEqual(s, 204)
        self.assertFalse(self.e.ok("GET", "/api/v1/users/%d" % uid)["totp_enabled"])
        s, _, err = self.e.request("DELETE", "/api/v1/users/%d/totp" % uid)
        assert_error(self, s, err, 404, "not_found")


class TotpRequiredTest(unittest.TestCase):
    """totp_required: admin and analyst sessions without TOTP may only set it up."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(env={"ERMES_TOTP_REQUIRED": "true"})
        try:
            cls.e.ok("POST", "/api/v1/organisations",
                     {"short_name": "ACME", "name": "Acme Widgets", "type": "company"},
                     expect=201)
            cls.newbie = cls.e.create_user("newbie", "analyst", password=PASSWORD)
            cls.conny = cls.e.create_user("conny", "constituent", org="ACME", password=PASSWORD)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_required(self):
        uid = self.newbie["id"]
        b = TotpClient(self.e)
        s, _, body = b.login2("newbie")
        self.assertEqual(s, 201, body)
        self.assertTrue(body["totp_enrolment_required"])
        s, _, err = b.request("GET", "/api/v1/events")
        assert_error(self, s, err, 403, "totp_enrolment_required")
        s, _, err = b.request("GET", "/api/v1/organisations")
        assert_error(self, s, err, 403, "totp_enrolment_required")
        s, _, err = b.request("POST", "/api/v1/users/%d/password" % uid,
                              {"current_password": PASSWORD, "new_password": "x" * 20})
        assert_error(self, s, err, 403, "totp_enrolment_required")
        self.assertEqual(b.request("GET", "/api/v1/me")[0], 200)
        s, _, cur = b.request("GET", "/api/v1/sessions/current")
        self.assertEqual(s, 200)
        self.assertTrue(cur["totp_enrolment_required"])
        # A token of the same user is the machine path: not affected.
        tok = self.e.create_token(uid)["token"]
        s, _, _ = self.e.request("GET", "/api/v1/events", token=tok)
        self.assertEqual(s, 200)
        # A constituent is not concerned.
        c = TotpClient(self.e)
        s, _, cb = c.login2("conny")
        self.assertEqual(s, 201)
        self.assertFalse(cb["totp_enrolment_required"])
        self.assertEqual(c.request("GET", "/api/v1/events")[0], 200)

        # Once set up, the same session may do everything.
        b.enrol(uid)
        self.assertEqual(b.request("GET", "/api/v1/events")[0], 200)
        s, _, cur = b.request("GET", "/api/v1/sessions/current")
        self.assertFalse(cur["totp_enrolment_required"])
        # It cannot be turned off by its user while required.
        s, _, err = b.request("DELETE", "/api/v1/users/%d/totp" % uid, {"password": PASSWORD})
        assert_error(self, s, err, 403, "forbidden")
        self.assertTrue(self.e.ok("GET", "/api/v1/users/%d" % uid)["totp_enabled"])


if __name__ == "__main__":
    main()
