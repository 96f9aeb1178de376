"""Peers' credentials at rest (issue 12 item 5): sealed with libsodium's secretbox under the data
directory's secrets.key (made 0600 at first use), never in the database in plain text (the
bytes of the SQLite files, and the row on PostgreSQL, do not hold the secret), never shown by
the API or the CLI, still used by the pull (a real second ermes answers it only with the right
token); a row an older ermes stored in plain text is sealed when the store is next opened; a
database without its key file reveals nothing and authenticates nowhere. Runs on SQLite and on
PostgreSQL."""

import glob
import json
import os
import shutil
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main  # noqa: E402

COLL = "2f6a7b8c-9d0e-4f1a-8b2c-3d4e5f6a7b8c"


class PeerCredentials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Ermes()
        cls.b = Ermes()
        try:
            cls.a.ok("POST", "/api/v1/sharing-groups",
                     {"name": "creds", "collection_id": COLL, "max_tlp": "GREEN",
                      "readers": ["staff"], "writers": ["staff"], "selection": {"all": True}},
                     expect=201)
            _, cls.secret = cls.a.user_token("puller", "analyst")
            _, cls.secret2 = cls.a.user_token("puller2", "analyst")
        except BaseException:
            cls.a.close()
            cls.b.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()

    def url(self):
        return "http://127.0.0.1:%d/taxii2/ermes/" % self.a.port

    def stored(self, name):
        db = db_connect(os.path.join(self.b.dir, "ermes.db"))
        try:
            row = db.execute("SELECT credentials FROM peers WHERE name = ?", (name,)).fetchone()
        finally:
            db.close()
        return row[0]

    def assert_not_in_files(self, secret):
        # On SQLite the database is files of the data directory: none holds the secret's
        # bytes (the WAL included). On PostgreSQL the row is all there is here.
        for path in glob.glob(os.path.join(self.b.dir, "ermes.db*")):
            with open(path, "rb") as f:
                self.assertFalse(secret.encode() in f.read(), "the secret is in %s" % path)

    def test_1_sealed_at_rest_and_used(self):
        self.b.ok("POST", "/api/v1/peers",
                  {"name": "a", "url": self.url(), "collection": COLL,
                   "credentials": self.secret, "interval": 86400}, expect=201)
        key = os.path.join(self.b.dir, "secrets.key")
        self.assertTrue(os.path.exists(key))
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        with open(key) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{64}\n$")
        stored = self.stored("a")
        self.assertTrue(stored.startswith("sealed:1:"), stored[:20])
        self.assertNotIn(self.secret, stored)
        self.assert_not_in_files(self.secret)
        # Never shown back, by the API or the CLI.
        got = self.b.ok("GET", "/api/v1/peers/a")
        self.assertTrue(got["credentials_set"])
        self.assertNotIn(self.secret, json.dumps(got))
        rc, out, err = self.b.cli("peers", "show", "a", "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(self.secret, out + err)
        # The pull opens them: A answers only the right token.
        r = self.b.ok("POST", "/api/v1/peers/a/sync", expect=200)
        self.assertIsNone(r["error"], r)
        # A change of the peer seals them again (a fresh nonce), still usable.
        self.b.ok("PATCH", "/api/v1/peers/a", {"interval": 3600})
        again = self.stored("a")
        self.assertTrue(again.startswith("sealed:1:"))
        self.assertNotEqual(again, stored)
        r = self.b.ok("POST", "/api/v1/peers/a/sync", expect=200)
        self.assertIsNone(r["error"], r)

    def test_2_plain_row_sealed_on_open(self):
        # A row as an older ermes stored it: the credentials in plain text.
        self.b.ok("POST", "/api/v1/peers",
                  {"name": "legacy", "url": self.url(), "collection": COLL,
                   "credentials": "placeholder-token", "interval": 86400}, expect=201)
        db = db_connect(os.path.join(self.b.dir, "ermes.db"))
        try:
            db.execute("UPDATE peers SET credentials = ? WHERE name = 'legacy'", (self.secret2,))
            db.commit()
        finally:
            db.close()
        self.assertEqual(self.stored("legacy"), self.secret2)
        # Any command that opens the store seals it.
        rc, out, err = self.b.cli("peers", "list")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(self.secret2, out + err)
        stored = self.stored("legacy")
        self.assertTrue(stored.startswith("sealed:1:"), stored[:20])
        self.assert_not_in_files(self.secret2)
        rc, out, err = self.b.cli("peers", "sync", "legacy")
        self.assertEqual(rc, 0, out + err)

    def test_3_no_key_no_credentials(self):
        # The database without its key file: the credentials open to nothing, and the pull
        # is refused by A (401), whatever else the database holds.
        key = os.path.join(self.b.dir, "secrets.key")
        aside = key + ".aside"
        shutil.move(key, aside)
        try:
            rc, out, err = self.b.cli("peers", "sync", "a")
            self.assertNotEqual(rc, 0, out)
            self.assertIn("401", out + err)
            self.assertNotIn(self.secret, out + err)
        finally:
            shutil.move(aside, key)
        rc, out, err = self.b.cli("peers", "sync", "a")
        self.assertEqual(rc, 0, out + err)


if __name__ == "__main__":
    main()
