"""MISP feeds consumed on a schedule (issue 12 item 6): a second ermes (B) holds a collector of
feed `misp-feed` (stored through POST /api/v1/collectors, its bearer token a header, sealed at
rest) whose url is the first ermes's (A) published feed /feeds/misp/<group>/, reached through a
loopback proxy of this test that records every path asked. B's daemon runs it on its interval
through the code of `ermes misp import-feed`: the events become B's indicators; a run over an
unchanged feed fetches manifest.json only; an event added later on A arrives at a following
run, and only that event's file is fetched; the collector's state counts its runs and the events
it imported; a wrong token is the collector's error (its HTTP status, its failures), not the
daemon's; a misp-feed collector with list mode is refused naming the field; `ermes collectors
add --misp-feed URL --header LINE` stores one, `ermes collect NAME` runs it. Runs on SQLite and
on PostgreSQL."""

import base64
import http.server
import json
import os
import sys
import threading
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, db_connect, main, wait_until  # noqa: E402

FEED = "/feeds/misp/community/"
FIRST = [
    ("domain", "first.example", "GREEN", "feed-x"),
    ("ipv4", "198.51.100.7", "CLEAR", "feed-x"),
    ("sha256", "ab" * 32, "GREEN", "feed-y"),
    ("domain", "kept-back.example", "AMBER", "feed-x"),
]
LATER = ("domain", "later.example", "GREEN", "feed-z")


class Proxy:
    """Forwards GETs to A, recording each path (and the Authorization it carried)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.paths = []

    def seen(self):
        with self.lock:
            return list(self.paths)


def make_handler(proxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with proxy.lock:
                proxy.paths.append(self.path)
            req = urllib.request.Request(proxy.upstream + self.path)
            auth = self.headers.get("Authorization")
            if auth and auth.startswith("Basic "):
                # A gateway in front of the feed: the URL's user:password, the password the
                # bearer token A knows.
                auth = "Bearer " + base64.b64decode(auth[6:]).decode().split(":", 1)[1]
            if auth:
                req.add_header("Authorization", auth)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                status, body, ctype = e.code, e.read(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class MispCollector(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Ermes()
        cls.b = None
        cls.srv = None
        try:
            a = cls.a
            a.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "ACME Ltd"},
                 expect=201)
            _, cls.token = a.user_token("feeder", "constituent", org="ACME")
            a.ok("POST", "/api/v1/sharing-groups",
                 {"name": "community", "max_tlp": "GREEN", "readers": ["staff", "constituents"],
                  "writers": ["staff"]}, expect=201)
            for typ, value, tlp, source in FIRST:
                a.ok("POST", "/api/v1/indicators?force=true",
                     {"type": typ, "value": value, "tlp": tlp, "source": source}, expect=201)
            cls.proxy = Proxy("http://127.0.0.1:%d" % a.port)
            cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(cls.proxy))
            threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
            cls.url = "http://127.0.0.1:%d%s" % (cls.srv.server_address[1], FEED)
            cls.b = Ermes(start=False)
            with open(os.path.join(cls.b.dir, "ermes.conf"), "a") as f:
                f.write("collect_min_interval = 1\n")
            cls.b.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.b:
            cls.b.close()
        cls.a.close()
        if cls.srv:
            cls.srv.shutdown()
            cls.srv.server_close()

    def collector(self, name):
        s, _, body = self.b.request("GET", "/api/v1/collectors")
        self.assertEqual(s, 200, body)
        return {c["name"]: c for c in body["data"]}.get(name)

    def indicators(self):
        return {(i["type"], i["value"], i["tlp"]) for i in self.b.list_all("/api/v1/indicators")}

    def test_feed_collected_incrementally(self):
        s, _, c = self.b.request("POST", "/api/v1/collectors", {
            "name": "misp-a", "feed": "misp-feed", "url": self.url, "interval": 1,
            "headers": ["Authorization: Bearer " + self.token]})
        self.assertEqual(s, 201, c)
        self.assertEqual(c["feed"], "misp-feed")
        self.assertNotIn(self.token, json.dumps(c))
        want = {(t, v, tlp) for t, v, tlp, _ in FIRST if tlp in ("CLEAR", "GREEN")}
        wait_until(lambda: self.indicators() == want, timeout=90, interval=0.3,
                   what="the feed's events imported by the collector")
        wait_until(lambda: self.collector("misp-a")["status"] in ("ok", "unchanged"),
                   timeout=60, interval=0.2, what="the collector's run recorded")
        c = self.collector("misp-a")
        self.assertEqual(c["reports"], 2, c)  # two sources on A's side: two events
        self.assertEqual(c["http_status"], 200, c)
        self.assertIsNone(c["last_error"], c)
        events = {p for p in self.proxy.seen() if p != FEED + "manifest.json"}
        self.assertEqual(len(events), 2, events)
        for i in self.b.list_all("/api/v1/indicators"):
            self.assertTrue(i["source"].startswith("misp:"), i)
        # The credential is sealed at rest.
        with db_connect(os.path.join(self.b.dir, "ermes.db")) as db:
            headers = db.execute("SELECT headers FROM collector_defs WHERE name = ?",
                                 ("misp-a",)).fetchone()[0]
        self.assertTrue(headers.startswith("sealed:1:"), headers[:20])

        # Unchanged feed: the following runs ask for the manifest only.
        mark = len(self.proxy.seen())
        runs = self.collector("misp-a")["runs"]
        wait_until(lambda: self.collector("misp-a")["runs"] >= runs + 2, timeout=60,
                   interval=0.2, what="two more runs")
        after = self.proxy.seen()[mark:]
        self.assertTrue(after)
        self.assertEqual(set(after), {FEED + "manifest.json"}, after)
        self.assertEqual(self.collector("misp-a")["status"], "unchanged")
        self.assertEqual(self.collector("misp-a")["reports"], 2)

        # An event added later on A arrives at a following run; only its file is fetched.
        typ, value, tlp, source = LATER
        self.a.ok("POST", "/api/v1/indicators?force=true",
                  {"type": typ, "value": value, "tlp": tlp, "source": source}, expect=201)
        mark = len(self.proxy.seen())
        wait_until(lambda: (typ, value, tlp) in self.indicators(), timeout=60, interval=0.3,
                   what="the later event collected")
        wait_until(lambda: self.collector("misp-a")["reports"] == 3, timeout=60,
                   interval=0.2, what="the later event counted")
        fetched = {p for p in self.proxy.seen()[mark:] if p != FEED + "manifest.json"}
        self.assertEqual(len(fetched), 1, fetched)
        self.assertEqual(self.indicators(), want | {(typ, value, tlp)})

    def test_cli_adds_a_misp_feed_collector(self):
        # Another key in the database (no trailing '/'): its events are all new to it.
        url = self.url.rstrip("/")
        rc, out, err = self.b.cli("collectors", "add", "--misp-feed", url, "--name", "misp-cli",
                                  "--header", "Authorization: Bearer " + self.token,
                                  "--interval", "3600")
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn(self.token, out + err)
        # The daemon runs it within seconds (its next run then an hour away).
        wait_until(lambda: (self.collector("misp-cli") or {}).get("status") == "ok",
                   timeout=60, interval=0.2, what="the CLI's collector run by the daemon")
        c = self.collector("misp-cli")
        self.assertEqual((c["feed"], c["interval"], c["runs"]), ("misp-feed", 3600, 1), c)
        self.assertGreaterEqual(c["reports"], 2, c)
        # `ermes collect NAME` runs it now: nothing new, the manifest only.
        rc, out, err = self.b.cli("collect", "misp-cli", "--json")
        self.assertEqual(rc, 0, out + err)
        c2 = self.collector("misp-cli")
        self.assertEqual((c2["status"], c2["runs"], c2["reports"]),
                         ("unchanged", 2, c["reports"]), c2)
        rc, out, err = self.b.cli("collectors", "add", "--misp-feed", url, "--name", "x",
                                  "--preset", "spamhaus-drop")
        self.assertEqual(rc, 2, out + err)
        rc, out, err = self.b.cli("collectors", "remove", "misp-cli")
        self.assertEqual(rc, 0, out + err)

    def test_url_credentials_are_not_kept(self):
        # (Named to run after test_feed_collected_incrementally, which counts the proxy's paths.)
        # The feed's URL holds the credential (user:password@, and a query): the import works,
        # and neither its report nor the bookkeeping that names the feed holds the secret.
        host = self.url.split("://", 1)[1]
        url = "http://feeder:%s@%s?key=QUERY-SECRET" % (self.token, host)
        for run in ("first", "second"):
            rc, out, err = self.b.cli("misp", "import-feed", url, "--json")
            self.assertEqual(rc, 0, out + err)
            self.assertNotIn(self.token, out + err)
            self.assertNotIn("QUERY-SECRET", out + err)
            rep = json.loads(out)
            self.assertEqual(rep["feed"], "http://" + host.split("?")[0], rep)
            if run == "first":
                self.assertEqual(rep["unchanged"], 0, rep)
                self.assertGreaterEqual(rep["imported"], 2, rep)
            else:  # the name is the same on every run: nothing taken again
                self.assertEqual((rep["imported"], rep["unchanged"]),
                                 (0, rep["manifest_events"]), rep)
        with db_connect(os.path.join(self.b.dir, "ermes.db")) as db:
            feeds = {r[0] for r in db.execute("SELECT feed FROM misp_feed_events")}
        self.assertTrue(feeds)
        for f in feeds:
            self.assertNotIn(self.token, f)
            self.assertNotIn("QUERY-SECRET", f)
            self.assertNotIn("feeder", f)

    def test_wrong_token_is_the_collectors_error(self):
        s, _, c = self.b.request("POST", "/api/v1/collectors", {
            "name": "misp-bad", "feed": "misp-feed", "url": self.url, "interval": 1,
            "headers": ["Authorization: Bearer not-a-token"]})
        self.assertEqual(s, 201, c)
        wait_until(lambda: self.collector("misp-bad")["failures"] >= 1, timeout=60,
                   interval=0.2, what="the failed run recorded")
        c = self.collector("misp-bad")
        self.assertEqual(c["status"], "error", c)
        self.assertEqual(c["http_status"], 401, c)
        self.assertIn("manifest.json", c["last_error"])
        self.assertEqual(c["reports"], 0)
        s, _, _ = self.b.request("DELETE", "/api/v1/collectors/misp-bad")
        self.assertEqual(s, 204)

    def test_misp_feed_takes_no_list_mode(self):
        s, _, body = self.b.request("POST", "/api/v1/collectors", {
            "name": "misp-gz", "feed": "misp-feed", "url": self.url, "content": "gzip"})
        assert_error(self, s, body, 422, field="feed")


if __name__ == "__main__":
    main()
