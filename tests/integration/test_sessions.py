"""Browser sessions over HTTP: login (right, wrong, unknown user), the cookie's flags, CSRF
with the cookie and not with a token, logout, the lock-out after 5 failures, the password
change (ends the other sessions, refuses short passwords), idle expiry, HTTPS (Secure, HSTS)."""

import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import http.client
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402

PASSWORD = "correct horse battery"


def cookie_of(headers):
    """The ermes__session cookie's value and attributes from a Set-Cookie header."""
    sc = headers.get("set-cookie")
    if sc is None:
        return None, {}
    parts = [p.strip() for p in sc.split(";")]
    name, _, value = parts[0].partition("=")
    assert name == "ermes__session", sc
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.lower()] = v
    return value, attrs


class Browser:
    """A client that holds the session cookie and the CSRF token, as the web UI does."""

    def __init__(self, e):
        self.e = e
        self.cookie = None
        self.csrf = None

    def login(self, name, password=PASSWORD, expect=201):
        s, h, b = self.e.request("POST", "/api/v1/sessions",
                                 {"username": name, "password": password}, token=None)
        if s == 201:
            self.cookie, _ = cookie_of(h)
            self.csrf = b["csrf_token"]
        return s, h, b

    def request(self, method, path, body=None, csrf=True, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if self.cookie:
            headers["Cookie"] = "ermes__session=" + self.cookie
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.e.request(method, path, body, token=None, headers=headers, **kw)


class SessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(serve_args=["--login-audit-interval", "1"])
        try:
            e = cls.e
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": "ACME", "name": "Acme Widgets", "type": "company",
                  "networks": ["192.0.2.0/28"]}, expect=201)
            cls.ana = e.create_user("ana", "analyst", password=PASSWORD)
            cls.conny = e.create_user("conny", "constituent", org="ACME", password=PASSWORD)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def audit(self, action):
        return self.e.list_all("/api/v1/audit?action=" + action)

    # ---- login ----------------------------------------------------------------------------

    def test_login_sets_a_strict_httponly_cookie(self):
        b = Browser(self.e)
        s, h, body = b.login("conny")
        self.assertEqual(s, 201, body)
        value, attrs = cookie_of(h)
        self.assertRegex(value, r"^[A-Za-z0-9_-]{43}$")
        self.assertIn("httponly", attrs)
        self.assertEqual(attrs.get("samesite"), "Strict")
        self.assertEqual(attrs.get("path"), "/")
        self.assertNotIn("secure", attrs, "Secure over plain HTTP would lose the cookie")
        self.assertEqual(body["user"]["name"], "conny")
        self.assertEqual(body["user"]["role"], "constituent")
        self.assertRegex(body["csrf_token"], r"^[A-Za-z0-9_-]{43}$")
        self.assertNotEqual(body["csrf_token"], value)
        # 12 hours by default.
        self.assertRegex(body["expires_at"], r"^\d{4}-\d\d-\d\dT")
        # The cookie authenticates; the session gives its CSRF token back after a reload.
        s, _, me = b.request("GET", "/api/v1/me")
        self.assertEqual(s, 200, me)
        self.assertEqual(me["user"]["name"], "conny")
        s, _, cur = b.request("GET", "/api/v1/sessions/current", csrf=False)
        self.assertEqual(s, 200, cur)
        self.assertEqual(cur["csrf_token"], body["csrf_token"])
        self.assertEqual(cur["expires_at"], body["expires_at"])
        # The login is in the audit log with the client's address.
        logins = [a for a in self.audit("login") if a["actor"] == "conny"]
        self.assertTrue(logins)
        self.assertEqual(logins[0]["remote"], "127.0.0.1")

    def test_wrong_password_and_unknown_user_look_the_same(self):
        b = Browser(self.e)
        s1, h1, b1 = b.login("ana", "not the password")
        s2, h2, b2 = b.login("nobody-here", "not the password")
        assert_error(self, s1, b1, 401, "unauthorized")
        assert_error(self, s2, b2, 401, "unauthorized")
        self.assertEqual(b1["error"]["message"], b2["error"]["message"])
        self.assertNotIn("set-cookie", h1)
        self.assertNotIn("set-cookie", h2)
        # Both failures are audited: the first from an address in an interval as a row of its
        # own, later ones as counts in that address's login_failures row (test_login_flood.py).
        def audited():
            rows = [a for a in self.audit("login_failed")
                    if a["actor"] in ("ana", "nobody-here") and a["remote"] == "127.0.0.1"]
            counts = [json.loads(a["detail"]) if isinstance(a["detail"], str) else a["detail"]
                      for a in self.audit("login_failures") if a["remote"] == "127.0.0.1"]
            return len(rows) + sum(c["failed"] for c in counts) >= 2
        deadline = time.monotonic() + 10
        while not audited() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(audited(), self.audit("login_failed"))

    def test_bad_login_bodies(self):
        for body in ({}, {"username": "ana"}, {"username": 1, "password": "x"}, []):
            s, _, b = self.e.request("POST", "/api/v1/sessions", body, token=None)
            assert_error(self, s, b, 422, "invalid")
        s, _, b = self.e.request("POST", "/api/v1/sessions", "{", token=None)
        self.assertEqual(s, 400, b)

    def test_current_without_session(self):
        s, _, b = self.e.request("GET", "/api/v1/sessions/current", token=None)
        assert_error(self, s, b, 401, "unauthorized")
        # A token is no session.
        s, _, b = self.e.request("GET", "/api/v1/sessions/current")
        assert_error(self, s, b, 401, "unauthorized")
        s, h, b = self.e.request("GET", "/api/v1/me", token=None,
                                 headers={"Cookie": "ermes__session=" + "A" * 43})
        assert_error(self, s, b, 401, "unauthorized")
        _, attrs = cookie_of(h)
        self.assertEqual(attrs.get("max-age"), "0", "a dead cookie is cleared")

    # ---- CSRF -----------------------------------------------------------------------------

    def test_csrf_needed_with_cookie_not_with_token(self):
        b = Browser(self.e)
        self.assertEqual(b.login("ana")[0], 201)
        s, _, body = b.request("POST", "/api/v1/tokens", {"description": "x"}, csrf=False)
        assert_error(self, s, body, 403, "csrf")
        s, _, body = self.e.request("POST", "/api/v1/tokens", {"description": "x"}, token=None,
                                    headers={"Cookie": "ermes__session=" + b.cookie,
                                             "X-CSRF-Token": "w" * 43})
        assert_error(self, s, body, 403, "csrf")
        s, _, body = b.request("POST", "/api/v1/tokens", {"description": "from the browser"})
        self.assertEqual(s, 201, body)
        # Reads need no token.
        s, _, body = b.request("GET", "/api/v1/tokens", csrf=False)
        self.assertEqual(s, 200, body)
        # A bearer token needs no CSRF header.
        s, _, body = self.e.request("POST", "/api/v1/tokens", {"description": "script"})
        self.assertEqual(s, 201, body)

    # ---- logout ---------------------------------------------------------------------------

    def test_logout_ends_the_session(self):
        b = Browser(self.e)
        self.assertEqual(b.login("ana")[0], 201)
        s, _, body = b.request("DELETE", "/api/v1/sessions/current", csrf=False)
        assert_error(self, s, body, 403, "csrf")
        s, h, body = b.request("DELETE", "/api/v1/sessions/current")
        self.assertEqual(s, 204, body)
        value, attrs = cookie_of(h)
        self.assertEqual(value, "")
        self.assertEqual(attrs.get("max-age"), "0")
        # The old cookie is dead server-side, whatever the browser does with it.
        s, _, body = b.request("GET", "/api/v1/me")
        assert_error(self, s, body, 401, "unauthorized")
        self.assertTrue(any(a["actor"] == "ana" for a in self.audit("logout")))

    # ---- lock-out -------------------------------------------------------------------------

    def test_lockout_after_five_failures(self):
        self.e.create_user("locky", "analyst", password=PASSWORD)
        b = Browser(self.e)
        for k in range(5):
            s, _, body = b.login("LOCKY" if k % 2 else "locky", "wrong password %d" % k)
            assert_error(self, s, body, 401, "unauthorized")
        # Locked now, even for the right password.
        s, h, body = b.login("locky", PASSWORD)
        assert_error(self, s, body, 429)
        retry = int(h["retry-after"])
        self.assertTrue(800 <= retry <= 900, retry)
        self.assertNotIn("set-cookie", h)
        locks = [a for a in self.audit("lockout") if a["object_id"] == "locky"]
        self.assertEqual(len(locks), 1, locks)
        self.assertEqual(locks[0]["remote"], "127.0.0.1")
        self.assertTrue(any(a["actor"] == "locky" for a in self.audit("login_refused")))
        # Another user is not affected.
        self.assertEqual(Browser(self.e).login("ana")[0], 201)

    def test_success_forgets_failures(self):
        self.e.create_user("forgetful", "analyst", password=PASSWORD)
        b = Browser(self.e)
        for _ in range(4):
            self.assertEqual(b.login("forgetful", "nope nope nope")[0], 401)
        self.assertEqual(b.login("forgetful")[0], 201)
        for _ in range(4):
            self.assertEqual(b.login("forgetful", "nope nope nope")[0], 401)
        self.assertEqual(b.login("forgetful")[0], 201)

    # ---- password change ------------------------------------------------------------------

    def test_password_change_ends_other_sessions(self):
        u = self.e.create_user("pat", "constituent", org="ACME", password=PASSWORD)
        here, there = Browser(self.e), Browser(self.e)
        self.assertEqual(here.login("pat")[0], 201)
        self.assertEqual(there.login("pat")[0], 201)
        path = "/api/v1/users/%d/password" % u["id"]
        s, _, b = here.request("POST", path, {"current_password": PASSWORD,
                                              "new_password": "short"})
        assert_error(self, s, b, 422, "invalid", field="new_password")
        s, _, b = here.request("POST", path, {"current_password": "not it at all",
                                              "new_password": "a much longer one 1"})
        assert_error(self, s, b, 403, field="current_password")
        s, _, b = here.request("POST", path, {"new_password": "a much longer one 1"})
        assert_error(self, s, b, 403, field="current_password")
        s, _, b = here.request("POST", path, {"current_password": PASSWORD,
                                              "new_password": "a much longer one 1"},
                               csrf=False)
        assert_error(self, s, b, 403, "csrf")
        s, _, b = here.request("POST", path, {"current_password": PASSWORD,
                                              "new_password": "a much longer one 1"})
        self.assertEqual(s, 204, b)
        self.assertEqual(here.request("GET", "/api/v1/me")[0], 200)
        s, _, b = there.request("GET", "/api/v1/me")
        assert_error(self, s, b, 401, "unauthorized")
        self.assertEqual(Browser(self.e).login("pat")[0], 401)
        self.assertEqual(Browser(self.e).login("pat", "a much longer one 1")[0], 201)
        # Someone else's password: 404 for a constituent; an admin needs no current one.
        s, _, b = here.request("POST", "/api/v1/users/%d/password" % self.ana["id"],
                               {"current_password": PASSWORD, "new_password": "x" * 20})
        assert_error(self, s, b, 404)
        s, _, b = self.e.request("POST", path, {"new_password": "set by the admin 1"})
        self.assertEqual(s, 204, b)
        s, _, b = here.request("GET", "/api/v1/me")
        assert_error(self, s, b, 401, "unauthorized")
        self.assertEqual(Browser(self.e).login("pat", "set by the admin 1")[0], 201)
        changes = [a for a in self.audit("password") if a["object_id"] == str(u["id"])]
        self.assertEqual(len(changes), 2, changes)


class IdleTest(unittest.TestCase):
    def test_idle_session_expires(self):
        with Ermes(serve_args=["--session-idle", "2"]) as e:
            e.create_user("ana", "analyst", password=PASSWORD)
            b = Browser(e)
            self.assertEqual(b.login("ana")[0], 201)
            self.assertEqual(b.request("GET", "/api/v1/me")[0], 200)
            # Past the idle time with no request, whatever the machine's speed.
            time.sleep(3)
            s, _, body = b.request("GET", "/api/v1/me")
            assert_error(self, s, body, 401, "unauthorized")
            self.assertIn("expired", body["error"]["message"])

    def test_disabled_user_loses_the_session(self):
        with Ermes() as e:
            u = e.create_user("ana", "analyst", password=PASSWORD)
            b = Browser(e)
            self.assertEqual(b.login("ana")[0], 201)
            e.ok("PATCH", "/api/v1/users/%d" % u["id"], {"disabled": True})
            s, _, body = b.request("GET", "/api/v1/me")
            assert_error(self, s, body, 401, "unauthorized")
            self.assertEqual(b.login("ana")[0], 401)


class HttpsTest(unittest.TestCase):
    def test_secure_cookie_and_hsts(self):
        self.assertTrue(shutil.which("openssl"),
                        "openssl is not installed (scripts/install-deps test)")
        tmp = tempfile.mkdtemp(prefix="ermes-tls-")
        try:
            cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2", "-subj",
                            "/CN=127.0.0.1"], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            with Ermes(serve_args=["--tls-cert", cert, "--tls-key", key]) as e:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=60)
                try:
                    conn.request("POST", "/api/v1/users",
                                 body=json.dumps({"name": "ana", "role": "analyst",
                                                  "password": PASSWORD}),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + e.token})
                    r = conn.getresponse()
                    r.read()
                    self.assertEqual(r.status, 201)
                    conn.request("POST", "/api/v1/sessions",
                                 body=json.dumps({"username": "ana", "password": PASSWORD}),
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    h = {k.lower(): v for k, v in r.getheaders()}
                    self.assertEqual(r.status, 201)
                    _, attrs = cookie_of(h)
                    self.assertIn("secure", attrs)
                    self.assertIn("max-age=", h.get("strict-transport-security", ""))
                    conn.request("GET", "/")
                    r = conn.getresponse()
                    r.read()
                    self.assertEqual(r.status, 200)
                    self.assertIn("strict-transport-security",
                                  {k.lower() for k, _ in r.getheaders()})
                finally:
                    conn.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
