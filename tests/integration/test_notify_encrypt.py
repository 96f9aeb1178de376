"""OpenPGP encryption of notifications to the contacts' keys (issue 15, item 9), over real
SMTP (aiosmtpd) and checked with gpg itself.

Three throwaway GnuPG homes made here: the CERT's (a signing key, notify_pgp_key), a
contact's (UMA's abuse desk: its secret key decrypts), and keys that must be refused (an
expired one, one that can only sign). What it shows:
  - keys are checked when entered: unreadable, expired or sign-only keys are refused (422
    naming contacts[N].pgp_key); a good one is stored and appears in the CSV and JSON export;
  - a notification to a contact with a key arrives as PGP/MIME multipart/encrypted (RFC 3156)
    that gpg decrypts with the contact's private key; inside, the multipart/signed entity
    whose signature gpg verifies with the CERT's public key, and the events attached;
  - notify_encrypt_strict: a TLP:AMBER+STRICT notification to a constituent whose contacts
    have no key is not sent, and says why;
  - `ermes notify keys` lists the keys and whether they can be used.
"""

import csv
import email
import email.policy
import io
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, main, wait_until  # noqa: E402
from test_notify import (COLUMNS, HAVE_GPG, NEED_GPG, UMA_ABUSE, attachment,  # noqa: E402
                         quote, report)

NOTIFICATIONS = "/api/v1/notifications"
ORGS = "/api/v1/organisations"


def gpg(home, *args, data=None, check=True):
    p = subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet", "--pinentry-mode",
                        "loopback", "--passphrase", ""] + list(args),
                       input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if check and p.returncode != 0:
        raise AssertionError("gpg %s: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p


def new_home(root, name):
    home = os.path.join(root, name)
    os.mkdir(home, 0o700)
    return home


class EncryptTest(DaemonTest):
    maxDiff = 4000
    demo = True
    mail = True

    @classmethod
    def setUpClass(cls):
        assert HAVE_GPG, NEED_GPG
        cls.tmp = cls.temp_dir("ermes-encrypt-")
        cls.homes = []
        cls.addClassCleanup(cls.stop_gpg_agents)
        # The CERT signs with its key.
        cls.cert_home = new_home(cls.tmp, "cert")
        gpg(cls.cert_home, "--quick-gen-key", "UCERT <cert@ucert.example>", "ed25519", "sign",
            "never")
        # UMA's abuse desk: a key that can encrypt; its secret stays here for the test.
        cls.contact_home = new_home(cls.tmp, "contact")
        gpg(cls.contact_home, "--quick-gen-key", "UMA abuse <%s>" % UMA_ABUSE, "default",
            "default", "never")
        cls.contact_key = gpg(cls.contact_home, "--armor", "--export", UMA_ABUSE).stdout.decode()
        cls.contact_fpr = [line.split(":")[9] for line in gpg(
            cls.contact_home, "--with-colons", "--list-keys", UMA_ABUSE).stdout.decode().splitlines()
            if line.startswith("fpr:")][0]
        # The contact checks the CERT's signature with the CERT's public key.
        gpg(cls.contact_home, "--import",
            data=gpg(cls.cert_home, "--armor", "--export", "cert@ucert.example").stdout)
        # Keys to refuse: expired (made in 2020 for a day), and one that can only sign.
        bad = new_home(cls.tmp, "bad")
        gpg(bad, "--faked-system-time", "20200101T000000", "--quick-gen-key",
            "Old <old@medicines.example>", "default", "default", "1d")
        cls.expired_key = gpg(bad, "--armor", "--export", "old@medicines.example").stdout.decode()
        gpg(bad, "--quick-gen-key", "Signer <signer@medicines.example>", "ed25519", "sign",
            "never")
        cls.sign_only_key = gpg(bad, "--armor", "--export",
                                "signer@medicines.example").stdout.decode()
        cls.homes = [cls.cert_home, cls.contact_home, bad]

        cls.daemon_env = {"ERMES_NOTIFY_WINDOW": "3600",
                          "ERMES_NOTIFY_PGP_KEY": "cert@ucert.example",
                          "ERMES_NOTIFY_PGP_HOME": cls.cert_home}
        super().setUpClass()

    @classmethod
    def stop_gpg_agents(cls):
        """After the daemon and the SMTP server have stopped (class cleanups run in reverse)."""
        e = getattr(cls, "e", None)
        for home in cls.homes + ([os.path.join(e.dir, "pgp-contacts")] if e else []):
            if os.path.isdir(home):
                subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ingest(self, rows, feed_name):
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=r.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=" + feed_name))
        status, _, body = self.e.request("POST", path, report(rows), content_type="text/csv")
        self.assertIn(status, (200, 201), body)

    def uma_contacts(self, key_for_abuse):
        org = self.e.ok("GET", ORGS + "/UMA")
        contacts = []
        for c in org["contacts"]:
            c = {k: v for k, v in c.items() if k in ("email", "name", "role", "language")}
            if c["email"] == UMA_ABUSE and key_for_abuse is not None:
                c["pgp_key"] = key_for_abuse
            contacts.append(c)
        return contacts

    def test_1_keys_checked_on_entry(self):
        e = self.e
        abuse_index = [c["email"] for c in e.ok("GET", ORGS + "/UMA")["contacts"]].index(UMA_ABUSE)
        field = "contacts[%d].pgp_key" % abuse_index
        garbage = ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n"
                   "-----END PGP PUBLIC KEY BLOCK-----\n")
        for key, why in ((self.expired_key, "expired"), (self.sign_only_key, "cannot encrypt"),
                         (garbage, "")):
            status, _, b = e.request("PATCH", ORGS + "/UMA", {"contacts": self.uma_contacts(key)})
            self.assertEqual(status, 422, b)
            self.assertEqual(b["error"]["field"], field, b)
            self.assertIn(why, b["error"]["message"])
        self.assertNotIn("pgp_key", [c for c in e.ok("GET", ORGS + "/UMA")["contacts"]
                                     if c["email"] == UMA_ABUSE][0])
        e.ok("PATCH", ORGS + "/UMA", {"contacts": self.uma_contacts(self.contact_key)})
        stored = [c for c in e.ok("GET", ORGS + "/UMA")["contacts"] if c["email"] == UMA_ABUSE][0]
        self.assertEqual(stored["pgp_key"], self.contact_key)
        # In both exports; the CSV one reads back (the import's contacts column).
        exported = e.ok("GET", ORGS + "/export?format=json")
        uma = [o for o in exported["organisations"] if o["short_name"] == "UMA"][0]
        self.assertIn(self.contact_key, [c.get("pgp_key") for c in uma["contacts"]])
        status, _, raw = e.request("GET", ORGS + "/export?format=csv", raw=True)
        self.assertEqual(status, 200)
        rows = list(csv.DictReader(io.StringIO(raw.decode())))
        uma_row = [r for r in rows if r["short_name"] == "UMA"][0]
        self.assertIn(self.contact_key.strip(), uma_row["contacts"])
        # The CLI sees the key as usable, with its fingerprint.
        rc, out, err = e.cli("notify", "keys", "--json", env=self.env)
        self.assertEqual(rc, 0, err)
        keys = [json.loads(x) for x in out.splitlines()]
        self.assertEqual([(k["org"], k["email"], k["fingerprint"], k["usable"]) for k in keys],
                         [("UMA", UMA_ABUSE, self.contact_fpr, True)])
        # The API (the notifications screen's key list) says the same, with until when.
        api = e.ok("GET", "/api/v1/notification-keys")["data"]
        self.assertEqual([(k["org"], k["email"], k["fingerprint"], k["usable"], k["problem"])
                          for k in api], [("UMA", UMA_ABUSE, self.contact_fpr, True, None)])
        self.assertEqual(api[0]["expires_at"], keys[0].get("expires_at"))

    def test_2_encrypted_and_signed(self):
        e = self.e
        before = self.mailbox.count()
        self.ingest([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER")], "enc-feed")
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.mailbox.count() > before, timeout=20, what="the encrypted message")
        m = self.mailbox.since(before)[0]
        msg, raw = m["msg"], m["raw"]
        self.assertEqual(m["rcpts"], [UMA_ABUSE])
        # RFC 3156 section 4: multipart/encrypted, version part then the ciphertext.
        self.assertEqual(msg.get_content_type(), "multipart/encrypted")
        self.assertEqual(msg.get_param("protocol"), "application/pgp-encrypted")
        version, body = msg.get_payload()
        self.assertEqual(version.get_content_type(), "application/pgp-encrypted")
        self.assertIn("Version: 1", version.get_payload())
        self.assertEqual(body.get_content_type(), "application/octet-stream")
        cipher = body.get_payload(decode=True)
        self.assertIn(b"-----BEGIN PGP MESSAGE-----", cipher)
        self.assertNotIn(b"198.51.100.7", raw)  # nothing of the events in clear
        # The contact's private key decrypts it; the CERT's home cannot.
        self.assertNotEqual(gpg(self.cert_home, "--decrypt", data=cipher, check=False).returncode, 0)
        plain = gpg(self.contact_home, "--decrypt", data=cipher).stdout
        inner = email.message_from_bytes(plain, policy=email.policy.default)
        # Signed, then encrypted (section 6.1): the signature covers the mixed entity.
        self.assertEqual(inner.get_content_type(), "multipart/signed")
        signed, sig = inner.get_payload()
        self.assertEqual(sig.get_content_type(), "application/pgp-signature")
        boundary = ("--" + inner.get_boundary()).encode()
        start = plain.index(boundary + b"\r\n") + len(boundary) + 2
        end = plain.index(b"\r\n" + boundary, start)
        data_path = os.path.join(self.tmp, "inner.bin")
        sig_path = os.path.join(self.tmp, "inner.asc")
        with open(data_path, "wb") as f:
            f.write(plain[start:end])
        with open(sig_path, "wb") as f:
            f.write(sig.get_payload(decode=True))
        v = gpg(self.contact_home, "--verify", sig_path, data_path, check=False)
        self.assertEqual(v.returncode, 0, v.stderr.decode())
        self.assertIn(b"Good signature", v.stderr)
        name, header, rows = attachment(signed)
        self.assertEqual([r["source.ip"] for r in rows], ["198.51.100.7"])
        n = [x for x in e.list_all(NOTIFICATIONS) if x["group"] == "feed:enc-feed"][0]
        self.assertEqual(n["state"], "sent")
        self.assertEqual(msg["X-ERMES-Reference"], n["reference"])

    def test_3_strict_leaves_out_who_has_no_key(self):
        e = self.e
        e.restart(env=dict(self.env, ERMES_NOTIFY_ENCRYPT_STRICT="true"))
        before = self.mailbox.count()
        # DG-DIGIT's contacts have no key: its AMBER+STRICT notification is not sent.
        self.ingest([("192.0.2.7", "2026-03-01T11:10:00Z", "vulnerable-system", "AMBER+STRICT")],
                    "strict-feed")
        # UMA's abuse desk has one: its AMBER+STRICT notification goes, encrypted.
        self.ingest([("198.51.100.9", "2026-03-01T11:10:00Z", "scanner", "AMBER+STRICT")],
                    "strict-feed")
        e.ok("POST", NOTIFICATIONS + "/run?now=true")

        def by_org():
            return {n["org"]: n for n in e.list_all(NOTIFICATIONS)
                    if n["group"] == "feed:strict-feed"}
        wait_until(lambda: {n["state"] for n in by_org().values()} == {"failed", "sent"},
                   timeout=20, what="one sent, one refused")
        digit, uma = by_org()["DG-DIGIT"], by_org()["UMA"]
        self.assertEqual(digit["state"], "failed")
        self.assertEqual(digit["attempts"], 0)
        self.assertIn("TLP:AMBER+STRICT requires encryption", digit["last_error"])
        self.assertIn("no OpenPGP key", digit["last_error"])
        self.assertEqual(uma["state"], "sent")
        got = self.mailbox.since(before)
        self.assertEqual([g["rcpts"] for g in got], [[UMA_ABUSE]])
        self.assertEqual(got[0]["msg"].get_content_type(), "multipart/encrypted")


if __name__ == "__main__":
    main()
