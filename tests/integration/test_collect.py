"""Collectors ([collector "NAME"] in the config file) against a local HTTP server (a thread of
this test) that serves IntelMQ's blocklist.de sample with ETag and Last-Modified and counts
requests and conditional hits: the daemon's first run ingests; a second run gets 304 and makes
no report; changed content makes a new report; a new ETag over the same bytes makes none (same
SHA-256); a server that is down records the error and a later run succeeds; an oversized body
is refused with the reason recorded; `ermes collect NAME`, `ermes collectors --json`,
GET /api/v1/collectors and POST /api/v1/collectors/{name}/run."""

import http.server
import json
import os
import socket
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, assert_error, main, wait_until  # noqa: E402

SAMPLE = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds", "intelmq",
                      "blocklistde", "imap.txt")
LAST_MODIFIED = "Tue, 15 Dec 2015 15:33:38 GMT"


class Feed:
    def __init__(self):
        with open(SAMPLE, "rb") as f:
            self.body = f.read()
        self.etag = '"v1"'
        self.requests = 0
        self.conditional = 0
        self.lock = threading.Lock()


def make_handler(feed):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with feed.lock:
                feed.requests += 1
                if self.path.startswith("/big"):
                    body = b"192.0.2.1\n" * 100
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if self.headers.get("If-None-Match") == feed.etag:
                    feed.conditional += 1
                    self.send_response(304)
                    self.send_header("ETag", feed.etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(feed.body)))
                self.send_header("ETag", feed.etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.end_headers()
                self.wfile.write(feed.body)
    return Handler


def serve(feed, port=0):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(feed))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Collect(unittest.TestCase):
    def setUp(self):
        self.feed = Feed()
        self.srv = serve(self.feed)
        self.down_port = free_port()
        self.down_srv = None
        port = self.srv.server_address[1]
        self.e = Ermes(start=False)
        with open(os.path.join(self.e.dir, "ermes.conf"), "w") as f:
            f.write('[collector "bl"]\n'
                    'url = http://127.0.0.1:%d/lists/imap.txt?key=secret\n'
                    'feed = blocklistde\n'
                    'interval = 3600\n'
                    'header = X-Api-Key: not-shown\n'
                    '\n'
                    '[collector.big]\n'
                    'url = http://127.0.0.1:%d/big.txt\n'
                    'feed = blocklistde\n'
                    'max_size = 100\n'
                    'enabled = false\n'
                    '\n'
                    '[collector "flaky"]\n'
                    'url = http://127.0.0.1:%d/imap.txt\n'
                    'feed = blocklistde\n'
                    'connect_timeout = 5\n'
                    'enabled = false\n' % (port, port, self.down_port))
        self.e.start()

    def tearDown(self):
        self.e.close()
        self.srv.shutdown()
        self.srv.server_close()
        if self.down_srv:
            self.down_srv.shutdown()
            self.down_srv.server_close()

    def state(self, name):
        rc, out, err = self.e.cli("collectors", "--json")
        self.assertEqual(rc, 0, err)
        for line in out.splitlines():
            j = json.loads(line)
            if j["name"] == name:
                return j
        self.fail("no collector %s in %r" % (name, out))

    def reports(self):
        rc, out, err = self.e.cli("reports", "list", "--feed", "blocklistde", "--json")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def collect(self, name, expect_rc=0):
        rc, out, err = self.e.cli("collect", name, "--json")
        self.assertEqual(rc, expect_rc, out + err)
        return json.loads(out.strip().splitlines()[-1]) if out.strip() else None

    def test_conditional_get_and_changes(self):
        # The daemon runs a due collector at start: the first run ingests.
        s = wait_until(lambda: (lambda j: j if j["status"] == "ok" else None)(self.state("bl")),
                       timeout=30, what="the first run")
        self.assertEqual(s["http_status"], 200)
        self.assertEqual(s["etag"], '"v1"')
        self.assertEqual(s["last_modified"], LAST_MODIFIED)
        self.assertEqual(s["reports"], 1)
        self.assertEqual(s["url"], "http://127.0.0.1:%d/lists/imap.txt"
                         % self.srv.server_address[1], "no query string (credentials) shown")
        self.assertNotIn("not-shown", json.dumps(s))
        first = s["last_report_id"]
        done = wait_until(lambda: [r for r in self.reports() if r["state"] == "done"],
                          timeout=30, what="the report processed")
        self.assertEqual(done[0]["id"], first)
        self.assertEqual(done[0]["file_name"], "imap.txt")
        self.assertEqual(done[0]["rows_in"], 6)
        self.assertEqual(self.feed.requests, 1)

        # Second run: 304, nothing new.
        s = self.collect("bl")
        self.assertEqual(s["status"], "not_modified")
        self.assertEqual(s["http_status"], 304)
        self.assertEqual(self.feed.conditional, 1)
        self.assertEqual(s["last_report_id"], first)
        self.assertEqual(len(self.reports()), 1)

        # Changed content: a new report (through the API this time).
        with self.feed.lock:
            self.feed.body += b"198.51.100.99\n"
            self.feed.etag = '"v2"'
        status, _, s = self.e.request("POST", "/api/v1/collectors/bl/run")
        self.assertEqual(status, 200, s)
        self.assertEqual(s["status"], "ok")
        self.assertNotEqual(s["last_report_id"], first)
        self.assertEqual(s["reports"], 2)
        self.assertEqual(len(self.reports()), 2)

        # A new ETag over the same bytes: fetched, but not ingested twice.
        with self.feed.lock:
            self.feed.etag = '"v3"'
        s = self.collect("bl")
        self.assertEqual(s["status"], "unchanged")
        self.assertEqual(s["reports"], 2)
        self.assertEqual(len(self.reports()), 2)
        self.assertEqual(self.feed.conditional, 1)

        status, _, body = self.e.request("GET", "/api/v1/collectors")
        self.assertEqual(status, 200)
        self.assertEqual([c["name"] for c in body["data"]], ["bl", "big", "flaky"])
        self.assertEqual(body["data"][0]["runs"], 4)

    def test_down_then_up(self):
        s = self.collect("flaky", expect_rc=1)
        self.assertEqual(s["status"], "error")
        self.assertEqual(s["failures"], 1)
        self.assertTrue(s["last_error"])
        self.assertIsNone(s["http_status"])
        s = self.collect("flaky", expect_rc=1)
        self.assertEqual(s["failures"], 2)
        self.down_srv = serve(self.feed, self.down_port)
        s = self.collect("flaky")
        self.assertEqual(s["status"], "ok")
        self.assertEqual(s["failures"], 0)
        self.assertIsNone(s["last_error"])
        self.assertEqual(s["reports"], 1)
        done = [r for r in self.reports() if r["id"] == s["last_report_id"]]
        self.assertEqual(done[0]["state"], "done", "ermes collect processes what it got")

    def test_oversized_body_refused(self):
        s = self.collect("big", expect_rc=1)
        self.assertEqual(s["status"], "error")
        self.assertIn("exceeds 100 bytes", s["last_error"])
        self.assertEqual(s["reports"], 0)
        self.assertEqual([r for r in self.reports() if r["file_name"] == "big.txt"], [])

    def test_errors(self):
        rc, out, err = self.e.cli("collect", "nosuch")
        self.assertEqual(rc, 2)
        self.assertIn("nosuch", err)
        status, _, body = self.e.request("POST", "/api/v1/collectors/nosuch/run")
        assert_error(self, status, body, 404)
        status, _, body = self.e.request("GET", "/api/v1/collectors", token=None)
        assert_error(self, status, body, 401)
        rc, out, err = self.e.cli("collectors", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("collector", out)

    def test_bad_config(self):
        with open(os.path.join(self.e.dir, "ermes.conf"), "a") as f:
            f.write('\n[collector "broken"]\nurl = ftp://example.org/x\nfeed = blocklistde\n')
        rc, out, err = self.e.cli("collectors")
        self.assertEqual(rc, 1)
        self.assertIn("http://", err)
        self.assertIn("ermes.conf", err)


if __name__ == "__main__":
    main()
