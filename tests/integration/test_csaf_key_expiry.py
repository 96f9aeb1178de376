"""Issue 13 (trusted provider): the expiry of the CSAF OpenPGP signing key, with real gpg keys.

- `ermes csaf check` reports a provider key's expiry under requirement 7.1.20: a key expiring
  within 30 days passes with a warning, an expired key fails (exit status 1);
- the daemon warns the admins before its own key (csaf_openpgp_key) expires: a warning in its
  log and in GET /healthz's "warnings";
- ermes refuses to sign with an expired key, saying so: nothing is published.
Expired keys are made with gpg's --faked-system-time (a key created in 2020 for one day).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, cli, main, wait_until  # noqa: E402
import csafdocs  # noqa: E402
from test_csaf_check import Provider, check, run  # noqa: E402

API = "/api/v1/advisories"
PAST = "20200101T000000"


def new_key(home, expiry, faked=None):
    """A signing key without passphrase in home, expiring after expiry; its fingerprint."""
    extra = ["--faked-system-time", faked] if faked else []
    run(["gpg", "--homedir", home, "--batch", "--no-tty", "--passphrase", "",
         "--pinentry-mode", "loopback"] + extra +
        ["--quick-gen-key", "ermes expiry test <csaf@cert.example>", "ed25519", "sign",
         expiry])
    out = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"])
    return [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]


class ProviderWith(Provider):
    """test_csaf_check's provider, its key expiring after EXPIRY (made at FAKED)."""
    EXPIRY, FAKED = "10d", None

    def _key(self):
        self.fpr = new_key(self.gnupg, self.EXPIRY, self.FAKED)

    def sign(self, path):
        extra = ["--faked-system-time", self.FAKED + "!"] if self.FAKED else []
        run(["gpg", "--batch", "--yes", "--armor", "--pinentry-mode", "loopback",
             "--passphrase", ""] + extra + ["--detach-sign", "-u", self.fpr, "-o",
                                            path + ".asc", path], env=self.gpg_env)


class ExpiredProvider(ProviderWith):
    EXPIRY, FAKED = "1d", PAST


class CheckReportsExpiry(unittest.TestCase):
    def test_key_expiring_soon_passes_with_a_warning(self):
        p = ProviderWith()
        try:
            rc, res, err = check(p.metadata_url, "--cacert", p.cert)
            self.assertEqual(res["7.1.20"]["status"], "pass", res["7.1.20"])
            reasons = " ".join(res["7.1.20"]["reasons"])
            self.assertRegex(reasons, r"warning: the key %s expires on \d{4}-\d\d-\d\dT.*in "
                             r"(9|10) day\(s\)" % p.fpr)
            self.assertEqual(rc, 0, json.dumps(res, indent=1))
        finally:
            p.close()

    def test_expired_key_fails(self):
        p = ExpiredProvider()
        try:
            rc, res, err = check(p.metadata_url, "--cacert", p.cert)
            self.assertEqual(res["7.1.20"]["status"], "fail", res["7.1.20"])
            self.assertIn("the key %s expired on 2020-01-02T00:00:00" % p.fpr,
                          " ".join(res["7.1.20"]["reasons"]))
            self.assertEqual(rc, 1)
            # in words for a person too
            rc, out, err = cli("csaf", "check", "--cacert", p.cert, p.metadata_url)
            self.assertEqual(rc, 1)
            self.assertIn("7.1.20", out)
            self.assertIn("expired on 2020-01-02", out)
        finally:
            p.close()


class DaemonKeyExpiry(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="g", dir="/tmp")  # a short socket path
        os.chmod(self.home, 0o700)
        self.e = None

    def tearDown(self):
        if self.e:
            self.e.close()
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "all"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.home, ignore_errors=True)

    def start(self, fpr):
        self.e = Ermes(env={"ERMES_CSAF_OPENPGP_KEY": fpr, "ERMES_CSAF_OPENPGP_HOME": self.home})
        _, self.alice = self.e.user_token("alice", "analyst")
        _, self.bob = self.e.user_token("bob", "analyst")

    def approved(self, n):
        a = self.e.ok("POST", API, csafdocs.advisory(n), token=self.alice, expect=201)
        ref = a["tracking_id"]
        self.e.ok("POST", "%s/%s/submit" % (API, ref), token=self.alice)
        self.e.ok("POST", "%s/%s/approve" % (API, ref), {}, token=self.bob)
        return ref

    def test_key_expiring_soon_is_warned_of(self):
        fpr = new_key(self.home, "10d")
        self.start(fpr)
        s, _, h = self.e.healthz()
        self.assertEqual((s, h["status"]), (200, "ok"), h)
        self.assertEqual(len(h["warnings"]), 1, h)
        self.assertRegex(h["warnings"][0], r"csaf_openpgp_key %s expires on .* \(in (9|10) "
                         r"day\(s\)\)" % fpr)
        # The daemon's log says it too (soon after the start, then hourly).
        wait_until(lambda: "csaf_openpgp_key %s expires on" % fpr in self.e.log(), timeout=60,
                   interval=0.3, what="the expiry warning in the log")
        # It still signs.
        ref = self.approved(81)
        a = self.e.ok("POST", "%s/%s/publish" % (API, ref), {}, token=self.alice)
        self.assertEqual(a["status"], "published")

    def test_expired_key_signs_nothing(self):
        fpr = new_key(self.home, "1d", PAST)
        self.start(fpr)
        s, _, h = self.e.healthz()
        self.assertEqual(s, 200)
        self.assertIn("csaf_openpgp_key %s expired on 2020-01-02T00:00:00" % fpr,
                      " ".join(h.get("warnings", [])))
        ref = self.approved(82)
        s, _, b = self.e.request("POST", "%s/%s/publish" % (API, ref), {}, token=self.alice)
        # A conflict with the provider's state, naming the key and its expiry.
        self.assertEqual(s, 409, b)
        self.assertEqual((b["error"]["code"], b["error"]["field"], b["error"]["fingerprint"]),
                         ("signing_key_expired", "csaf_openpgp_key", fpr), b)
        self.assertTrue(b["error"]["expires_at"].startswith("2020-01-02T00:00:00"), b)
        self.assertIn("expired on 2020-01-02T00:00:00", b["error"]["message"])
        self.assertIn("nothing was published", b["error"]["message"])
        # Scheduling is refused the same way.
        s, _, b = self.e.request("POST", "%s/%s/publish" % (API, ref),
                                 {"publish_at": "2099-01-01T00:00:00Z"}, token=self.alice)
        self.assertEqual((s, b["error"]["code"]), (409, "signing_key_expired"), b)
        a = self.e.ok("GET", "%s/%s" % (API, ref), token=self.alice)
        self.assertEqual((a["status"], a["revision"]), ("approved", 0))
        # The CLI says the same.
        rc, out, err = self.e.cli("advisories", "publish", ref,
                                  env={"ERMES_CSAF_OPENPGP_KEY": fpr,
                                       "ERMES_CSAF_OPENPGP_HOME": self.home})
        self.assertNotEqual(rc, 0, out)
        self.assertIn("expired on 2020-01-02", err + out)
        # Without a key configured there is nothing to warn of.
        self.e.close()
        self.e = Ermes()
        s, _, h = self.e.healthz()
        self.assertNotIn("warnings", h)

    def test_unusable_key_is_a_conflict(self):
        # A fingerprint gpg does not have: 409 naming it, no expiry known.
        missing = "0123456789ABCDEF0123456789ABCDEF01234567"
        self.start(missing)
        ref = self.approved(83)
        s, _, b = self.e.request("POST", "%s/%s/publish" % (API, ref), {}, token=self.alice)
        self.assertEqual(s, 409, b)
        self.assertEqual((b["error"]["code"], b["error"]["field"], b["error"]["fingerprint"],
                          b["error"]["expires_at"]),
                         ("signing_key_unusable", "csaf_openpgp_key", missing, None), b)
        a = self.e.ok("GET", "%s/%s" % (API, ref), token=self.alice)
        self.assertEqual((a["status"], a["revision"], a["publish_error"]), ("approved", 0, None))

    def test_scheduled_publication_with_expired_key_stays_scheduled(self):
        # Scheduled (by the CLI, with a good key of its own) for a daemon whose key expired:
        # when due, the advisory stays approved and scheduled, the reason recorded and logged.
        good_home = tempfile.mkdtemp(prefix="g", dir="/tmp")
        os.chmod(good_home, 0o700)
        try:
            good = new_key(good_home, "10d")
            fpr = new_key(self.home, "1d", PAST)
            self.start(fpr)
            ref = self.approved(84)
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
            rc, out, err = self.e.cli("advisories", "publish", ref, "--at", at,
                                      env={"ERMES_CSAF_OPENPGP_KEY": good,
                                           "ERMES_CSAF_OPENPGP_HOME": good_home})
            self.assertEqual(rc, 0, err + out)
            wait_until(lambda: self.e.ok("GET", "%s/%s" % (API, ref),
                                         token=self.alice)["publish_error"],
                       timeout=90, interval=0.5, what="the failed publication recorded")
            a = self.e.ok("GET", "%s/%s" % (API, ref), token=self.alice)
            self.assertEqual((a["status"], a["revision"]), ("approved", 0), a)
            self.assertTrue(a["publish_at"].startswith(at[:19]), a)
            self.assertIn("csaf_openpgp_key %s expired on 2020-01-02T00:00:00" % fpr,
                          a["publish_error"])
            wait_until(lambda: "advisory %s: scheduled publication failed: csaf_openpgp_key %s "
                       "expired on 2020-01-02" % (ref, fpr) in self.e.log(), timeout=60,
                       interval=0.3, what="the failure in the log")
            # The daemon given a good key publishes it at its next round: the reason goes.
            self.e.stop()
            self.e.start(env={"ERMES_CSAF_OPENPGP_KEY": good, "ERMES_CSAF_OPENPGP_HOME": good_home})
            wait_until(lambda: self.e.ok("GET", "%s/%s" % (API, ref),
                                         token=self.alice)["status"] == "published",
                       timeout=90, interval=0.5, what="the scheduled publication")
            a = self.e.ok("GET", "%s/%s" % (API, ref), token=self.alice)
            self.assertEqual((a["revision"], a["publish_error"]), (1, None), a)
            self.e.close()
            self.e = None
        finally:
            subprocess.run(["gpgconf", "--homedir", good_home, "--kill", "all"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(good_home, ignore_errors=True)


if __name__ == "__main__":
    main()
