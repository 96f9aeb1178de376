"""Collectors made at run time (issue 15, item 15): stored in the database through
POST /api/v1/collectors (from a feed catalogue preset, its URL pointed at a loopback server of
this test serving real samples), fetched by the running daemons without a restart, their
events made; with two daemons on one database a stored collector is run once per round (the
leases) and both list it. PATCH disables it (it is not run any more), DELETE removes it; the
config file's collectors are read-only through the API; bad input is refused naming the
field; the credentials a collector holds are sent to the feed but never shown by any answer,
the CLI's listing or the audit; every change is audited. `ermes collectors add` stores in the
database, `enable`, `disable`, `remove` change it."""

import http.server
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, assert_error, main, wait_until  # noqa: E402

FEEDS = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds")
KEY = "n6-sekret-Key-4711"


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Feeds:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = {}
        self.auth = []
        self.files = {
            "/drop.txt": read(os.path.join(FEEDS, "intelmq", "spamhaus", "drop.txt")),
            "/conf.txt": read(os.path.join(FEEDS, "intelmq", "spamhaus", "drop.txt")),
            "/n6.json": read(os.path.join(SOURCE_DIR, "tests", "data", "presets",
                                          "certpl-n6.json")),
        }

    def count(self, path):
        """Requests of path, query included."""
        with self.lock:
            return self.hits.get(path, 0)


def make_handler(feeds):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            with feeds.lock:
                feeds.hits[self.path] = feeds.hits.get(self.path, 0) + 1
                if self.headers.get("Authorization"):
                    feeds.auth.append(self.headers.get("Authorization"))
            body = feeds.files.get(path)
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


class CollectorsLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.feeds = Feeds()
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(cls.feeds))
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.base = "http://127.0.0.1:%d" % cls.srv.server_address[1]
        # A preset's own URL (the CLI cannot change it) must not reach out: a proxy that
        # refuses, but for the loopback server.
        env = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
               "no_proxy": "127.0.0.1"}
        cls.a = Ermes(start=False, env=dict(env, ERMES_INSTANCE_HOST="machine-a"))
        with open(os.path.join(cls.a.dir, "ermes.conf"), "a") as f:
            f.write('collect_min_interval = 1\n[collector "fromconf"]\nurl = %s/conf.txt\n'
                    "feed = spamhaus-drop\ninterval = 3600\n" % cls.base)
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
        cls.srv.shutdown()
        cls.srv.server_close()

    def collectors(self, e):
        status, _, body = e.request("GET", "/api/v1/collectors")
        self.assertEqual(status, 200, body)
        return {c["name"]: c for c in body["data"]}

    def create(self, body, expect=201):
        status, _, out = self.a.request("POST", "/api/v1/collectors", body)
        self.assertEqual(status, expect, out)
        return out

    def audit(self, name):
        status, _, body = self.a.request("GET", "/api/v1/audit?object_type=collector")
        self.assertEqual(status, 200, body)
        return [r for r in body["data"] if r["object_id"] == name]

    def events_of(self, report_id):
        rc, out, err = self.a.cli("events", "--report", str(report_id), "--format", "ndjson")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_create_runs_without_restart_once_on_two_daemons(self):
        c = self.create({"preset": "spamhaus-drop", "name": "drop-db",
                         "url": self.base + "/drop.txt"})
        self.assertEqual((c["source"], c["preset"], c["tlp"], c["feed"], c["enabled"]),
                         ("database", "spamhaus-drop", "CLEAR", "spamhaus-drop", True))
        self.assertEqual(c["interval"], 12 * 3600)
        wait_until(lambda: self.collectors(self.a)["drop-db"]["status"] == "ok", timeout=60,
                   interval=0.2, what="the stored collector run by a daemon")
        got = self.collectors(self.a)["drop-db"]
        self.assertTrue(got["last_report_id"])
        wait_until(lambda: len(self.events_of(got["last_report_id"])) > 0, timeout=60,
                   interval=0.3, what="the events of the collected report")
        ev = self.events_of(got["last_report_id"])
        self.assertTrue(all(e.get("feed.name", "spamhaus-drop") for e in ev))
        # The other daemon lists it with the same state.
        self.assertEqual(self.collectors(self.b)["drop-db"]["last_report_id"],
                         got["last_report_id"])
        # Both daemons make rounds (the config file's collector too): after two more rounds
        # of each, the stored collector was still fetched once.
        self.assertEqual(self.feeds.count("/drop.txt"), 1)
        # Rounds are at most 5 s apart: a collector run every second shows them going by.
        c2 = self.create({"preset": "spamhaus-drop", "name": "drop-tick",
                          "url": self.base + "/conf.txt?tick", "interval": 1})
        self.assertEqual(c2["interval"], 1)
        start = self.feeds.count("/conf.txt?tick")
        wait_until(lambda: self.feeds.count("/conf.txt?tick") >= start + 4, timeout=60,
                   interval=0.2, what="rounds of both daemons")
        self.assertEqual(self.feeds.count("/drop.txt"), 1)
        self.a.ok("DELETE", "/api/v1/collectors/drop-tick")
        rows = self.audit("drop-db")
        self.assertTrue(any(r["action"] == "create" for r in rows), rows)

    def test_disable_then_delete(self):
        self.create({"preset": "spamhaus-drop", "name": "drop-off",
                     "url": self.base + "/drop.txt?off", "interval": 1})
        wait_until(lambda: self.collectors(self.b).get("drop-off", {}).get("runs", 0) >= 2,
                   timeout=60, interval=0.2, what="the collector run twice")
        status, _, body = self.a.request("PATCH", "/api/v1/collectors/drop-off",
                                         {"enabled": False})
        self.assertEqual(status, 200, body)
        self.assertFalse(body["enabled"])
        # A run under way when it was disabled may end; after that, none.
        tick = self.create({"preset": "spamhaus-drop", "name": "drop-tick2",
                            "url": self.base + "/conf.txt?tick2", "interval": 1})
        self.assertTrue(tick["enabled"])
        start = self.feeds.count("/conf.txt?tick2")
        wait_until(lambda: self.feeds.count("/conf.txt?tick2") >= start + 2, timeout=60,
                   interval=0.2, what="a round after the PATCH")
        runs = self.collectors(self.a)["drop-off"]["runs"]
        start = self.feeds.count("/conf.txt?tick2")
        wait_until(lambda: self.feeds.count("/conf.txt?tick2") >= start + 4, timeout=60,
                   interval=0.2, what="more rounds")
        self.assertEqual(self.collectors(self.a)["drop-off"]["runs"], runs)
        self.assertIn(self.collectors(self.b)["drop-off"]["status"], ("ok", "unchanged"))
        # Interval and url changed; enabled again; then deleted.
        status, _, body = self.a.request("PATCH", "/api/v1/collectors/drop-off",
                                         {"interval": 7200, "enabled": True})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["interval"], body["enabled"]), (7200, True))
        self.a.ok("DELETE", "/api/v1/collectors/drop-off")
        self.a.ok("DELETE", "/api/v1/collectors/drop-tick2")
        self.assertNotIn("drop-off", self.collectors(self.a))
        self.assertNotIn("drop-off", self.collectors(self.b))
        status, _, body = self.a.request("PATCH", "/api/v1/collectors/drop-off",
                                         {"enabled": False})
        assert_error(self, status, body, 404, "not_found")
        status, _, body = self.a.request("DELETE", "/api/v1/collectors/drop-off")
        assert_error(self, status, body, 404, "not_found")
        actions = [r["action"] for r in self.audit("drop-off")]
        for want in ("create", "update", "delete"):
            self.assertIn(want, actions)

    def test_credentials_never_shown(self):
        c = self.create({"preset": "certpl-n6", "name": "n6", "value": KEY,
                         "url": self.base + "/n6.json"})
        self.assertTrue(c["credentials"])
        answers = [json.dumps(c)]
        wait_until(lambda: self.collectors(self.a)["n6"]["status"] == "ok", timeout=60,
                   interval=0.2, what="the n6 collector run")
        with self.feeds.lock:
            self.assertIn("Bearer " + KEY, self.feeds.auth)
        got = self.collectors(self.a)["n6"]
        wait_until(lambda: len(self.events_of(got["last_report_id"])) > 0, timeout=60,
                   interval=0.3, what="the n6 events")
        for e in (self.a, self.b):
            status, _, body = e.request("GET", "/api/v1/collectors")
            answers.append(json.dumps(body))
        status, _, body = self.a.request("PATCH", "/api/v1/collectors/n6",
                                         {"value": KEY + "x", "tlp": "RED"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["tlp"], "RED")
        answers.append(json.dumps(body))
        status, _, body = self.a.request("GET", "/api/v1/audit?object_type=collector")
        answers.append(json.dumps(body))
        rc, out, err = self.a.cli("collectors", "--json")
        self.assertEqual(rc, 0, err)
        answers += [out, err]
        rc, out, err = self.a.cli("collectors")
        answers += [out, err]
        for text in answers:
            self.assertNotIn(KEY, text)
        self.assertNotIn(KEY, self.a.log() + self.b.log())
        self.a.ok("DELETE", "/api/v1/collectors/n6")
        # PhishTank's key is a segment of its URL's path: the URL shown has it replaced.
        c = self.create({"preset": "phishtank", "name": "pt", "value": KEY, "enabled": False})
        self.assertIn("(credential)", c["url"])
        self.assertNotIn(KEY, json.dumps(c) + json.dumps(self.collectors(self.b)))
        self.a.ok("DELETE", "/api/v1/collectors/pt")

    def test_config_collectors_read_only(self):
        got = self.collectors(self.a)["fromconf"]
        self.assertEqual(got["source"], "config")
        status, _, body = self.a.request("PATCH", "/api/v1/collectors/fromconf",
                                         {"enabled": False})
        err = assert_error(self, status, body, 409, "conflict", "name")
        self.assertIn("config file", err["message"])
        status, _, body = self.a.request("DELETE", "/api/v1/collectors/fromconf")
        assert_error(self, status, body, 409, "conflict", "name")
        status, _, body = self.a.request("POST", "/api/v1/collectors",
                                         {"preset": "spamhaus-drop", "name": "fromconf"})
        assert_error(self, status, body, 409, "conflict", "name")

    def test_bad_input(self):
        cases = [
            ({"preset": "no-such-preset", "name": "x1"}, 422, "preset"),
            ({"preset": "spamhaus-drop", "name": "x2", "url": "ftp://127.0.0.1/x"}, 422, "url"),
            ({"preset": "spamhaus-drop", "name": "x3", "interval": 0}, 422, "interval"),
            ({"preset": "spamhaus-drop", "name": "x4", "colour": "blue"}, 400, "colour"),
            ({"preset": "spamhaus-drop", "name": "x5", "url": "http://a/" + "a" * 5000}, 422,
             "url"),
            ({"preset": "spamhaus-drop", "name": "bad name"}, 422, "name"),
            ({"preset": "spamhaus-drop", "name": "x6", "tlp": "PURPLE"}, 422, "tlp"),
            ({"preset": "certpl-n6", "name": "x7"}, 422, "value"),
            ({"preset": "spamhaus-drop", "name": "x8", "value": "k"}, 422, "value"),
            ({"name": "x9", "url": "http://127.0.0.1/x", "feed": "no-such-parser"}, 422,
             "feed"),
            ({"name": "x10", "url": "http://127.0.0.1/x"}, 422, "feed"),
            ({"name": "x11", "url": "http://127.0.0.1/x", "feed": "spamhaus-drop",
              "headers": ["no colon"]}, 422, "headers"),
            ({"preset": "spamhaus-drop", "name": "x12", "enabled": "yes"}, 400, "enabled"),
            ({"preset": "spamhaus-drop", "name": "x13", "options": "kind=x"}, 400, "options"),
        ]
        for body, want, field in cases:
            status, _, out = self.a.request("POST", "/api/v1/collectors", body)
            assert_error(self, status, out, want, field=field)
        names = self.collectors(self.a)
        for body, _, _ in cases:
            self.assertNotIn(body["name"], names)
        # An explicit collector (no preset) is fine; PATCH checks the same way.
        self.create({"name": "explicit", "url": self.base + "/none.txt",
                     "feed": "spamhaus-drop", "interval": 3600, "enabled": False})
        status, _, out = self.a.request("PATCH", "/api/v1/collectors/explicit",
                                        {"url": "gopher://x"})
        assert_error(self, status, out, 422, field="url")
        status, _, out = self.a.request("PATCH", "/api/v1/collectors/explicit",
                                        {"name": "other"})
        assert_error(self, status, out, 400, field="name")
        # Not for staff: administrators only.
        _, tok = self.a.user_token("analyst-c15", "analyst")
        status, _, out = self.a.request("POST", "/api/v1/collectors",
                                        {"preset": "spamhaus-drop", "name": "bystaff"},
                                        token=tok)
        self.assertEqual(status, 403, out)
        self.a.ok("DELETE", "/api/v1/collectors/explicit")

    def test_cli(self):
        rc, out, err = self.a.cli("collectors", "add", "--preset", "spamhaus-drop", "--name",
                                  "cli-drop")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("database", out)
        with open(os.path.join(self.a.dir, "ermes.conf")) as f:
            self.assertNotIn("cli-drop", f.read())
        got = self.collectors(self.b)["cli-drop"]
        self.assertEqual((got["source"], got["enabled"]), ("database", True))
        rc, out, err = self.a.cli("collectors", "disable", "cli-drop")
        self.assertEqual(rc, 0, out + err)
        self.assertFalse(self.collectors(self.a)["cli-drop"]["enabled"])
        rc, out, err = self.a.cli("collectors", "enable", "cli-drop")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(self.collectors(self.a)["cli-drop"]["enabled"])
        rc, out, err = self.a.cli("collectors", "disable", "fromconf")
        self.assertNotEqual(rc, 0)
        self.assertIn("config file", err)
        rc, out, err = self.a.cli("collectors", "remove", "cli-drop")
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("cli-drop", self.collectors(self.a))
        rc, out, err = self.a.cli("collectors", "remove", "cli-drop")
        self.assertNotEqual(rc, 0)
        actions = [r["action"] for r in self.audit("cli-drop")]
        self.assertEqual(sorted(set(actions)), ["create", "delete", "update"])


if __name__ == "__main__":
    main()
