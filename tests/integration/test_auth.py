"""Authentication and roles over HTTP: tokens (missing, malformed, bad, expired, revoked, shown
once), public routes, and what each role may not do."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import TOKEN_RE, Ermes, assert_error, main  # noqa: E402


class AuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            # A constituent organisation of our own, so that this file needs no demo data.
            e.ok("POST", "/api/v1/organisations",
                 {"short_name": "ACME", "name": "Acme Widgets", "type": "company",
                  "tlp": "AMBER", "networks": ["192.0.2.0/28"]}, expect=201)
            cls.analyst, cls.analyst_token = e.user_token("ana", "analyst")
            cls.const, cls.const_token = e.user_token("conny", "constituent", org="ACME")
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def assert_401(self, status, headers, body):
        assert_error(self, status, body, 401, "unauthorized")
        self.assertIn("www-authenticate", headers, "401 without WWW-Authenticate")
        self.assertTrue(headers["www-authenticate"].lower().startswith("bearer"),
                        headers["www-authenticate"])

    # ---- tokens ---------------------------------------------------------------------------

    def test_admin_token_works(self):
        s, _, b = self.e.request("GET", "/api/v1/me")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["user"]["name"], "admin")
        self.assertEqual(b["user"]["role"], "admin")
        self.assertEqual(b["organisation"], "CERT")

    def test_no_token(self):
        for path in ("/api/v1/me", "/api/v1/organisations", "/api/v1/lookup?ip=192.0.2.1",
                     "/api/v1/tokens", "/metrics"):
            with self.subTest(path=path):
                self.assert_401(*self.e.request("GET", path, token=None))
        s, h, b = self.e.request("POST", "/api/v1/organisations",
                                 {"short_name": "NOPE", "name": "x"}, token=None)
        self.assert_401(s, h, b)
        self.assertEqual(self.e.request("GET", "/api/v1/organisations/NOPE")[0], 404)

    def test_malformed_authorization(self):
        for value in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "bearer",
                      "Token " + self.e.token, self.e.token, "Bearer" + self.e.token,
                      "Bearer " + self.e.token + " extra", ""):
            with self.subTest(authorization=value):
                s, h, b = self.e.request("GET", "/api/v1/me", token=None,
                                         headers={"Authorization": value})
                self.assert_401(s, h, b)

    def test_bad_token(self):
        for tok in ("ermes_" + "A" * 43, "ermes_", "x", self.e.token[:-1],
                    self.e.token[:-1] + ("A" if self.e.token[-1] != "A" else "B"),
                    self.e.token + "A", "ermes_" + "\u00e9" * 10):
            with self.subTest(token=tok):
                s, h, b = self.e.request("GET", "/api/v1/me",
                                         headers={"Authorization": "Bearer " + tok}
                                         if tok.isascii() else
                                         {"Authorization": ("Bearer " + tok).encode("utf-8")},
                                         token=None)
                self.assert_401(s, h, b)

    def test_expired_token(self):
        u = self.e.create_user("shortlived", "analyst")
        # A long-lived token made the same way proves the CLI's tokens work at all.
        rc, out, err = self.e.cli("token", "create", "shortlived", "--expires-in-seconds", "3600")
        self.assertEqual(rc, 0, err)
        m = TOKEN_RE.search(out)
        self.assertTrue(m, "no token in the output of token create: %r" % out)
        s, _, b = self.e.request("GET", "/api/v1/me", token=m.group(0))
        self.assertEqual(s, 200, b)
        self.assertEqual(b["user"]["id"], u["id"])

        rc, out, err = self.e.cli("token", "create", "shortlived", "--expires-in-seconds", "1")
        self.assertEqual(rc, 0, err)
        m = TOKEN_RE.search(out)
        self.assertTrue(m, "no token in the output of token create: %r" % out)
        secret = m.group(0)
        time.sleep(2.0)
        self.assert_401(*self.e.request("GET", "/api/v1/me", token=secret))
        s, _, b = self.e.request("GET", "/api/v1/me", token=secret)
        self.assertIn("expire", json.dumps(b).lower(), "the reason should say it expired")

    def test_revoked_token_is_refused_at_once(self):
        t = self.e.create_token(description="to revoke")
        secret = t["token"]
        self.assertEqual(self.e.request("GET", "/api/v1/me", token=secret)[0], 200)
        # warm any cache twice
        self.assertEqual(self.e.request("GET", "/api/v1/organisations", token=secret)[0], 200)
        s, _, b = self.e.request("DELETE", "/api/v1/tokens/%d" % t["id"])
        self.assertEqual(s, 204, b)
        self.assert_401(*self.e.request("GET", "/api/v1/me", token=secret))
        self.assert_401(*self.e.request("GET", "/api/v1/organisations", token=secret))
        # the other tokens still work
        self.assertEqual(self.e.request("GET", "/api/v1/me")[0], 200)

    def test_revoke_own_token_as_non_admin(self):
        t = self.e.create_token(token=self.analyst_token, description="mine")
        s, _, b = self.e.request("DELETE", "/api/v1/tokens/%d" % t["id"],
                                 token=self.analyst_token)
        self.assertEqual(s, 204, b)
        self.assert_401(*self.e.request("GET", "/api/v1/me", token=t["token"]))

    def test_cannot_revoke_anothers_token(self):
        t = self.e.create_token(description="admin's")
        s, _, b = self.e.request("DELETE", "/api/v1/tokens/%d" % t["id"],
                                 token=self.const_token)
        self.assertIn(s, (403, 404), b)
        assert_error(self, s, b, s)
        self.assertEqual(self.e.request("GET", "/api/v1/me", token=t["token"])[0], 200)

    def test_token_shown_once(self):
        t = self.e.create_token(description="listed")
        secret = t["token"]
        self.assertRegex(secret, r"^ermes_[A-Za-z0-9_-]{43}$")
        self.assertIsInstance(t["id"], int)
        self.assertIn("expires_at", t)
        s, _, raw = self.e.request("GET", "/api/v1/tokens?limit=1000", raw=True)
        self.assertEqual(s, 200)
        self.assertNotIn(secret.encode(), raw, "a token list carries a secret")
        self.assertNotIn(secret[6:].encode(), raw, "a token list carries a secret")
        items = json.loads(raw)["data"]
        mine = [x for x in items if x["id"] == t["id"]]
        self.assertEqual(len(mine), 1, items)
        self.assertNotIn("token", mine[0])
        self.assertIn("prefix", mine[0])
        prefix = mine[0]["prefix"]
        self.assertTrue(secret.startswith(prefix), (prefix, secret))
        self.assertLess(len(prefix), 20, "the prefix gives away too much of the secret")
        for x in items:
            self.assertNotIn("token", x)
        # GET of the new token's owner's list as that user never shows the secret either
        s, _, raw = self.e.request("GET", "/api/v1/tokens", raw=True, token=self.analyst_token)
        self.assertEqual(s, 200)
        self.assertNotIn(self.analyst_token.encode(), raw)

    def test_token_list_is_scoped(self):
        s, _, b = self.e.request("GET", "/api/v1/tokens?limit=1000", token=self.const_token)
        self.assertEqual(s, 200, b)
        me = self.e.ok("GET", "/api/v1/me", token=self.const_token)["user"]["id"]
        for x in b["data"]:
            self.assertEqual(x.get("user", me), me, "a constituent sees another's token: %r" % x)

    def test_token_expiry_bounds(self):
        for days in (0, 3651, -1, "ten"):
            with self.subTest(expires_in_days=days):
                s, _, b = self.e.request("POST", "/api/v1/tokens", {"expires_in_days": days})
                self.assertIn(s, (400, 422), b)
                assert_error(self, s, b, s)
        t = self.e.create_token(expires_in_days=3650)
        self.assertTrue(t["token"].startswith("ermes_"))

    # ---- users, tokens and the audit log as the admin sees them ----------------------------

    def test_admin_lists(self):
        users = self.e.list_all("/api/v1/users?org=ACME", limit=1000)
        self.assertEqual([u["name"] for u in users], ["conny"])
        users = self.e.list_all("/api/v1/users", limit=1)
        names = [u["name"] for u in users]
        self.assertEqual(len(names), len(set(names)))
        self.assertTrue({"admin", "ana", "conny"} <= set(names), names)
        # admin: another user's tokens with user=ID, never the secrets
        s, _, raw = self.e.request("GET", "/api/v1/tokens?user=%d" % self.const["id"], raw=True)
        self.assertEqual(s, 200)
        self.assertNotIn(self.const_token.encode(), raw)
        toks = json.loads(raw)["data"]
        self.assertTrue(toks)
        self.assertTrue(any(self.const_token.startswith(t["prefix"]) for t in toks), toks)

    def test_audit(self):
        self.e.ok("POST", "/api/v1/organisations", {"short_name": "AUD1", "name": "Audited"},
                  expect=201)
        self.e.ok("PATCH", "/api/v1/organisations/AUD1", {"name": "Audited 2"}, expect=200)
        entries = self.e.list_all("/api/v1/audit", limit=3)
        ids = [a["id"] for a in entries]
        self.assertEqual(ids, sorted(ids, reverse=True), "the audit log is newest first")
        self.assertEqual(len(ids), len(set(ids)))
        times = [a["at"] for a in entries]
        self.assertEqual(times, sorted(times, reverse=True))
        for a in entries[:5]:
            self.assertRegex(a["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        newest = entries[0]
        self.assertEqual((newest["actor"], newest["action"], newest["object_type"]),
                         ("admin", "update", "organisation"), newest)
        got = self.e.list_all("/api/v1/audit?actor=admin&object_type=organisation&action=create",
                              limit=1000)
        self.assertTrue(got)
        for a in got:
            self.assertEqual((a["actor"], a["object_type"], a["action"]),
                             ("admin", "organisation", "create"), a)
        got = self.e.list_all("/api/v1/audit?since=" + newest["at"], limit=1000)
        self.assertIn(newest["id"], [a["id"] for a in got])
        for a in got:
            self.assertGreaterEqual(a["at"], newest["at"])
        got = self.e.list_all("/api/v1/audit?until=2000-01-01T00:00:00.000Z", limit=1000)
        self.assertEqual(got, [])
        s, _, b = self.e.request("GET", "/api/v1/audit?since=yesterday")
        assert_error(self, s, b, 400)

    # ---- public routes --------------------------------------------------------------------

    def test_healthz_needs_no_token(self):
        s, h, b = self.e.request("GET", "/healthz", token=None)
        self.assertEqual(s, 200, b)
        self.assertIn("application/json", h.get("content-type", ""))
        self.assertEqual(b["status"], "ok")
        self.assertIsInstance(b["version"], str)
        self.assertIsInstance(b["schema_version"], int)
        # a bad token on a public route does not hurt
        s, _, b = self.e.request("GET", "/healthz", token="ermes_bad")
        self.assertEqual(s, 200, b)

    def test_openapi_needs_no_token(self):
        s, _, b = self.e.request("GET", "/api/v1/openapi.json", token=None)
        self.assertEqual(s, 200)
        self.assertIsInstance(b, dict)
        self.assertTrue(str(b.get("openapi", "")).startswith("3.1"))

    # ---- roles ----------------------------------------------------------------------------

    def test_analyst_cannot_create_users(self):
        s, _, b = self.e.request("POST", "/api/v1/users", {"name": "mallory", "role": "admin"},
                                 token=self.analyst_token)
        assert_error(self, s, b, 403, "forbidden")
        s, _, b = self.e.request("GET", "/api/v1/users", token=self.analyst_token)
        assert_error(self, s, b, 403, "forbidden")
        s, _, b = self.e.request("GET", "/api/v1/audit", token=self.analyst_token)
        assert_error(self, s, b, 403, "forbidden")
        # and nothing was created
        names = [u["name"] for u in self.e.list_all("/api/v1/users", limit=1000)]
        self.assertNotIn("mallory", names)

    def test_user_org_read_whole(self):
        # The org reference was read to 31 characters: a 32-character short name (the most
        # the registry allows) could not be named, and a longer reference was cut and resolved
        # as another organisation.
        for short in ("L" * 31, "M" * 32):
            self.e.ok("POST", "/api/v1/organisations",
                      {"short_name": short, "name": short, "type": "company"}, expect=201)
        s, _, b = self.e.request("POST", "/api/v1/users",
                                 {"name": "cut1", "role": "constituent", "org": "L" * 31 + "Z"})
        assert_error(self, s, b, 422, "invalid", field="org")
        u = self.e.ok("POST", "/api/v1/users",
                      {"name": "whole1", "role": "constituent", "org": "M" * 32}, expect=201)
        self.assertEqual(u["org"], "M" * 32)
        names = [u["name"] for u in self.e.list_all("/api/v1/users", limit=1000)]
        self.assertNotIn("cut1", names)

    def test_constituent_cannot_write_the_registry(self):
        s, _, b = self.e.request("POST", "/api/v1/organisations",
                                 {"short_name": "EVIL", "name": "Evil Corp"},
                                 token=self.const_token)
        assert_error(self, s, b, 403, "forbidden")
        self.assertEqual(self.e.request("GET", "/api/v1/organisations/EVIL")[0], 404)
        s, _, b = self.e.request("PATCH", "/api/v1/organisations/ACME", {"name": "Mine now"},
                                 token=self.const_token)
        assert_error(self, s, b, 403, "forbidden")
        s, _, b = self.e.request("POST", "/api/v1/organisations/import",
                                 b"short_name,name\nEVIL2,Evil\n", content_type="text/csv",
                                 token=self.const_token)
        self.assertEqual(s, 403, b)
        s, _, b = self.e.request("DELETE", "/api/v1/organisations/ACME", token=self.const_token)
        self.assertIn(s, (403, 404), b)
        s, _, b = self.e.request("DELETE", "/api/v1/organisations/ACME",
                                 token=self.analyst_token)
        assert_error(self, s, b, 403, "forbidden")
        self.assertEqual(self.e.ok("GET", "/api/v1/organisations/ACME")["name"], "Acme Widgets")

    def test_constituent_cannot_administer(self):
        for method, path, body in (("POST", "/api/v1/users", {"name": "x1", "role": "admin"}),
                                   ("GET", "/api/v1/users", None),
                                   ("GET", "/api/v1/audit", None),
                                   ("GET", "/metrics", None)):
            with self.subTest(method=method, path=path):
                s, _, b = self.e.request(method, path, body, token=self.const_token)
                assert_error(self, s, b, 403, "forbidden")

    def test_metrics_roles(self):
        s, _, _ = self.e.request("GET", "/metrics", token=self.analyst_token)
        self.assertEqual(s, 200)
        s, _, _ = self.e.request("GET", "/metrics")
        self.assertEqual(s, 200)

    def test_me_for_each_role(self):
        b = self.e.ok("GET", "/api/v1/me", token=self.const_token)
        self.assertEqual(b["user"]["name"], "conny")
        self.assertEqual(b["user"]["role"], "constituent")
        self.assertEqual(b["organisation"], "ACME")
        b = self.e.ok("GET", "/api/v1/me", token=self.analyst_token)
        self.assertEqual(b["user"]["role"], "analyst")
        self.assertEqual(b["organisation"], "CERT")

    def test_non_admin_cannot_make_tokens_for_others(self):
        s, _, b = self.e.request("POST", "/api/v1/tokens", {"user": self.analyst["id"]},
                                 token=self.const_token)
        assert_error(self, s, b, 403, "forbidden")
        # for itself it may
        t = self.e.create_token(token=self.const_token, description="own")
        b = self.e.ok("GET", "/api/v1/me", token=t["token"])
        self.assertEqual(b["user"]["name"], "conny")

    def test_user_self_and_others(self):
        s, _, b = self.e.request("GET", "/api/v1/users/%d" % self.const["id"],
                                 token=self.const_token)
        self.assertEqual(s, 200, b)
        self.assertEqual(b["name"], "conny")
        s, _, b = self.e.request("GET", "/api/v1/users/%d" % self.analyst["id"],
                                 token=self.const_token)
        self.assertIn(s, (403, 404), b)
        assert_error(self, s, b, s)
        # a user may not raise its own role
        s, _, b = self.e.request("PATCH", "/api/v1/users/%d" % self.const["id"],
                                 {"role": "admin"}, token=self.const_token)
        assert_error(self, s, b, 403, "forbidden")
        self.assertEqual(self.e.ok("GET", "/api/v1/me", token=self.const_token)["user"]["role"],
                         "constituent")

    def test_disabled_user_is_refused(self):
        u, secret = self.e.user_token("gone", "analyst")
        self.assertEqual(self.e.request("GET", "/api/v1/me", token=secret)[0], 200)
        self.e.ok("PATCH", "/api/v1/users/%d" % u["id"], {"disabled": True}, expect=200)
        self.assert_401(*self.e.request("GET", "/api/v1/me", token=secret))


if __name__ == "__main__":
    main()
