"""Collectors' credentials never in clear (issue 15, item 10). A config file's collector made
from the PhishTank preset (`ermes collectors add --preset phishtank --to-config --api-key K`:
the key is a segment of its URL's path) shows its key in no API answer, CLI output or log line
(the URL shows `(credential)`). A stored collector's credentials (`value`, `headers`) are
sealed in the database under the data directory's secrets.key: the database's bytes (the
SQLite files; the row on PostgreSQL) do not hold them, the collector still sends them (a
loopback server checks the header), a changed value is sealed again and sent, and a row an
older ermes stored in plain text is sealed when the store is next opened. Runs on SQLite and
on PostgreSQL."""

import glob
import http.server
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, assert_error, db_connect, main, wait_until  # noqa: E402

FEEDS = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds")
PT_KEY = "pt-Key-0a1b2c3d4e5f"
N6_KEY = "n6-Key-9f8e7d6c5b4a"
N6_KEY2 = "n6-Key2-77665544"
HDR_KEY = "hdr-Key-13579bdf"
OLD_KEY = "old-Key-24680ace"


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Feeds:
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []  # (path, header lines)
        self.files = {
            "/drop.txt": read(os.path.join(FEEDS, "intelmq", "spamhaus", "drop.txt")),
            "/n6.json": read(os.path.join(SOURCE_DIR, "tests", "data", "presets",
                                          "certpl-n6.json")),
        }

    def sent(self, text):
        with self.lock:
            return any(text in h for _, h in self.seen)


def make_handler(feeds):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with feeds.lock:
                feeds.seen.append((self.path, str(self.headers)))
            body = feeds.files.get(self.path.split("?")[0])
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    return Handler


class CollectorCredentials(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.feeds = Feeds()
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(cls.feeds))
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.server_address[1]
        # PhishTank's own URL must not reach out: a proxy that refuses, but for loopback.
        cls.env = env = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                         "no_proxy": "127.0.0.1"}
        cls.e = Ermes(start=False, env=env)
        try:
            with open(os.path.join(cls.e.dir, "ermes.conf"), "a") as f:
                f.write("collect_min_interval = 1\n")
            rc, out, err = cls.e.cli("collectors", "add", "--preset", "phishtank", "--name",
                                     "pt-conf", "--api-key", PT_KEY, "--to-config")
            assert rc == 0, out + err
            cls.outputs = [out, err]
            cls.e.start()
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        cls.srv.shutdown()
        cls.srv.server_close()

    def collectors(self):
        status, _, body = self.e.request("GET", "/api/v1/collectors")
        self.assertEqual(status, 200, body)
        return {c["name"]: c for c in body["data"]}

    def stored(self, name):
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            row = db.execute("SELECT value, headers FROM collector_defs WHERE name = ?",
                             (name,)).fetchone()
        finally:
            db.close()
        return row

    def assert_not_in_database(self, *secrets):
        # On SQLite the database is files of the data directory (the WAL included): none holds
        # the secrets' bytes. On PostgreSQL the whole table is read back as text.
        for path in glob.glob(os.path.join(self.e.dir, "ermes.db*")):
            with open(path, "rb") as f:
                data = f.read()
            for s in secrets:
                self.assertNotIn(s.encode(), data, "%s is in %s" % (s, path))
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            rows = db.execute("SELECT name, value, headers FROM collector_defs").fetchall()
        finally:
            db.close()
        for s in secrets:
            self.assertNotIn(s, repr(rows))

    def test_1_config_phishtank_key_never_shown(self):
        with open(os.path.join(self.e.dir, "ermes.conf")) as f:
            self.assertIn(PT_KEY, f.read())  # the file holds it, as given
        got = self.collectors()["pt-conf"]
        self.assertEqual(got["source"], "config")
        self.assertEqual(got["url"],
                         "https://data.phishtank.com/data/(credential)/online-valid.csv")
        # It runs (refused by the proxy): its error and the log do not name the key either.
        rc, out, err = self.e.cli("collect", "pt-conf", "--no-process", env=self.env)
        self.assertNotEqual(rc, 0)
        answers = self.outputs + [out, err, json.dumps(self.collectors())]
        status, _, body = self.e.request("POST", "/api/v1/collectors/pt-conf/run")
        answers.append(json.dumps(body))
        for args in (("collectors",), ("collectors", "--json")):
            rc, out, err = self.e.cli(*args)
            self.assertEqual(rc, 0, err)
            answers += [out, err]
        self.assertIn("(credential)", "".join(answers))
        for text in answers:
            self.assertNotIn(PT_KEY, text)
        self.assertNotIn(PT_KEY, self.e.log())

    def test_2_stored_sealed_and_sent(self):
        status, _, body = self.e.request("POST", "/api/v1/collectors",
                                         {"preset": "certpl-n6", "name": "n6", "value": N6_KEY,
                                          "url": self.base + "/n6.json", "interval": 3600})
        self.assertEqual(status, 201, body)
        status, _, body = self.e.request("POST", "/api/v1/collectors",
                                         {"name": "hdr", "url": self.base + "/drop.txt",
                                          "feed": "spamhaus-drop", "interval": 3600,
                                          "headers": ["X-Api-Key: " + HDR_KEY]})
        self.assertEqual(status, 201, body)
        value, _ = self.stored("n6")
        self.assertTrue(value.startswith("sealed:1:"), value[:20])
        _, headers = self.stored("hdr")
        self.assertTrue(headers.startswith("sealed:1:"), headers[:20])
        self.assertTrue(os.path.exists(os.path.join(self.e.dir, "secrets.key")))
        # The daemon opens them to make its requests.
        wait_until(lambda: self.feeds.sent("Authorization: Bearer " + N6_KEY), timeout=60,
                   interval=0.2, what="the n6 collector's request with its key")
        wait_until(lambda: self.feeds.sent("X-Api-Key: " + HDR_KEY), timeout=60,
                   interval=0.2, what="the collector's request with its header")
        self.assert_not_in_database(N6_KEY, HDR_KEY)
        # A new value is sealed again, and sent.
        status, _, body = self.e.request("PATCH", "/api/v1/collectors/n6", {"value": N6_KEY2})
        self.assertEqual(status, 200, body)
        self.assertNotIn(N6_KEY2, json.dumps(body))
        self.assertNotEqual(self.stored("n6")[0], value)
        # The change wakes the daemon, which may be running the collector when the CLI asks:
        # the CLI then says so and is asked again.
        def collect():
            got = self.e.cli("collect", "n6", "--no-process", env=self.env)
            return None if got[0] != 0 and "running elsewhere" in got[1] + got[2] else got
        rc, out, err = wait_until(collect, timeout=60, interval=0.2,
                                  what="ermes collect n6 while the daemon runs it")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(self.feeds.sent("Authorization: Bearer " + N6_KEY2))
        self.assert_not_in_database(N6_KEY, N6_KEY2, HDR_KEY)
        for text in (out, err, json.dumps(self.collectors()), self.e.log()):
            for s in (N6_KEY, N6_KEY2, HDR_KEY):
                self.assertNotIn(s, text)
        # Too many header bytes to seal as one secret: refused, naming the field.
        status, _, body = self.e.request("PATCH", "/api/v1/collectors/hdr",
                                         {"headers": ["X-A: " + "a" * 4000,
                                                      "X-B: " + "b" * 4000]})
        assert_error(self, status, body, 422, field="headers")

    def test_3_plain_row_sealed_on_open(self):
        status, _, body = self.e.request("POST", "/api/v1/collectors",
                                         {"preset": "certpl-n6", "name": "legacy",
                                          "value": "placeholder-key", "enabled": False,
                                          "url": self.base + "/n6.json?legacy"})
        self.assertEqual(status, 201, body)
        # As an older ermes stored it: the credential in plain text.
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            db.execute("UPDATE collector_defs SET value = ? WHERE name = 'legacy'", (OLD_KEY,))
            db.commit()
        finally:
            db.close()
        self.assertEqual(self.stored("legacy")[0], OLD_KEY)
        # Any command that opens the store seals it.
        rc, out, err = self.e.cli("collectors")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(OLD_KEY, out + err)
        value, _ = self.stored("legacy")
        self.assertTrue(value.startswith("sealed:1:"), value[:20])
        self.assert_not_in_database(OLD_KEY)
        # And it is still the collector's key.
        rc, out, err = self.e.cli("collect", "legacy", "--no-process", env=self.env)
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(self.feeds.sent("Authorization: Bearer " + OLD_KEY))


if __name__ == "__main__":
    main()
