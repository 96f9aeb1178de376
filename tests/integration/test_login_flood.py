"""An unauthenticated login flood (issue 10, item 2): the password checks are bounded (the rest
answered 429 at once), failures are limited per client address as well as per user name, a
name's lock-out does not lock its real user out from another address, and a flood is audited
as counts, not as one row per attempt. Attackers come from other loopback addresses
(127.0.0.2...) than the real user (127.0.0.1)."""

import http.client
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, assert_error, main  # noqa: E402

PASSWORD = "correct horse battery"


def login_from(e, source, name, password, timeout=60):
    """POST /api/v1/sessions from the loopback address source: (status, headers, body, s)."""
    c = http.client.HTTPConnection(HOST, e.port, timeout=timeout, source_address=(source, 0))
    t0 = time.monotonic()
    try:
        c.request("POST", "/api/v1/sessions",
                  json.dumps({"username": name, "password": password}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        headers = {k.lower(): v for k, v in r.getheaders()}
        return r.status, headers, json.loads(data) if data else None, time.monotonic() - t0
    finally:
        c.close()


class LoginFloodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(serve_args=["--login-workers", "1", "--login-queue", "0",
                                  "--login-address-failures", "6",
                                  "--login-audit-interval", "2"])
        try:
            cls.e.create_user("victim", "analyst", password=PASSWORD)
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def audit(self, action):
        return self.e.list_all("/api/v1/audit?action=" + action)

    def test_name_lockout_spares_the_real_user(self):
        # Five wrong passwords for "victim" from the attacker's address lock the name there...
        for k in range(5):
            s, _, b, _ = login_from(self.e, "127.0.0.2", "victim", "wrong password %d" % k)
            assert_error(self, s, b, 401, "unauthorized")
        s, h, b, _ = login_from(self.e, "127.0.0.2", "victim", PASSWORD)
        assert_error(self, s, b, 429, "rate_limited")
        self.assertIn("retry-after", h)
        # ...but the real user, from an address that took no part, still signs in.
        s, h, b, _ = login_from(self.e, "127.0.0.1", "victim", PASSWORD)
        self.assertEqual(s, 201, b)
        # The attacker's address stays locked out of the name after that success.
        s, _, b, _ = login_from(self.e, "127.0.0.2", "victim", PASSWORD)
        assert_error(self, s, b, 429, "rate_limited")
        locks = [a for a in self.audit("lockout") if a["object_id"] == "victim"]
        self.assertEqual(len(locks), 1, locks)

    def test_failures_are_limited_per_address(self):
        # Six failures with six different names (no name locks) use up the address's allowance:
        # the next attempt is 429 at once, whatever the name, without a password check.
        for k in range(6):
            s, _, b, _ = login_from(self.e, "127.0.0.3", "nobody-%d" % k, "wrong password")
            assert_error(self, s, b, 401, "unauthorized")
        for name in ("nobody-x", "victim"):
            s, h, b, took = login_from(self.e, "127.0.0.3", name, PASSWORD)
            assert_error(self, s, b, 429, "rate_limited")
            self.assertGreater(int(h["retry-after"]), 0)
        # Another address is not affected.
        s, _, b, _ = login_from(self.e, "127.0.0.4", "nobody-y", "wrong password")
        assert_error(self, s, b, 401, "unauthorized")

    def test_concurrent_logins_beyond_the_pool_are_429_at_once(self):
        # One password check at a time and no queue: of 16 logins sent together, most are
        # answered 429 at once, and /healthz is served meanwhile.
        results = []
        lock = threading.Lock()

        def attempt(k):
            r = login_from(self.e, "127.0.1.%d" % (k + 1), "flood-%d" % k, "wrong password")
            with lock:
                results.append(r)

        threads = [threading.Thread(target=attempt, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        s, _, _ = self.e.healthz()
        health_took = time.monotonic() - t0
        for t in threads:
            t.join(120)
        self.assertEqual(s, 200)
        self.assertLess(health_took, 1.0)
        statuses = sorted(r[0] for r in results)
        self.assertEqual(len(statuses), 16)
        self.assertTrue(set(statuses) <= {401, 429}, statuses)
        busy = [r for r in results if r[0] == 429]
        self.assertGreater(len(busy), 0, statuses)
        self.assertGreater(len([r for r in results if r[0] == 401]), 0, statuses)
        for s, h, b, took in busy:
            assert_error(self, s, b, 429, "rate_limited")
            self.assertEqual(h.get("retry-after"), "1")

    def test_flood_is_audited_as_counts(self):
        # 12 attempts from one address: 6 failures, then 6 refused unchecked (past
        # login_address_failures). Per audit interval (2 s here) the first of each kind is a
        # row of its own (login_failed, login_refused), the rest are counts in one
        # login_failures row. The checked failures may span more than one interval on a slow
        # machine; the six refusals come at once.
        t0 = time.monotonic()
        for k in range(6):
            s, _, b, _ = login_from(self.e, "127.0.0.5", "ghost-%d" % k, "wrong password")
            self.assertEqual(s, 401, b)
        for k in range(6):
            s, _, b, _ = login_from(self.e, "127.0.0.5", "ghost-x%d" % k, "wrong password")
            assert_error(self, s, b, 429, "rate_limited")
        intervals = int((time.monotonic() - t0) / 2) + 2

        def accounted():
            failed = [a for a in self.audit("login_failed") if a["remote"] == "127.0.0.5"]
            refused = [a for a in self.audit("login_refused") if a["remote"] == "127.0.0.5"]
            counts = []
            for a in self.audit("login_failures"):
                if a["remote"] == "127.0.0.5":
                    d = a["detail"]
                    counts.append(json.loads(d) if isinstance(d, str) else d)
            return failed, refused, counts

        deadline = time.monotonic() + 15
        while True:
            failed, refused, counts = accounted()
            total = len(failed) + len(refused) + sum(
                c["failed"] + c["locked"] + c["rate_limited"] + c["busy"] for c in counts)
            if total >= 12 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        # Every attempt is in the log, once: a row of its own or a count.
        self.assertEqual(total, 12, (failed, refused, counts))
        self.assertTrue(counts, "no login_failures row")
        for c in counts:
            for key in ("failed", "locked", "rate_limited", "busy", "from", "until"):
                self.assertIn(key, c)
        self.assertLessEqual(len(failed), intervals, failed)
        self.assertLessEqual(len(refused), 2, refused)
        self.assertGreaterEqual(sum(c["rate_limited"] for c in counts), 4, counts)
        self.assertTrue(all(a["detail"] == {"reason": "address"} for a in refused), refused)

if __name__ == "__main__":
    main()
