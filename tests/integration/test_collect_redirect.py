"""Issue 10, item 7 (collectors): a collector's custom headers (API keys) never reach another
host, port or scheme through a redirect.

Real local HTTP servers: the feed's own on 127.0.0.1 redirects to a second port of 127.0.0.1
and to 127.0.0.2 (another host on loopback), absolutely and scheme-relatively. With custom
headers the redirect is refused (the collector's state says so and names where it pointed),
and the other server never sees a request, let alone the header. A redirect on the same origin
is still followed with the header; a collector without custom headers still follows any.
"""

import http.server
import json
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

BODY = b"192.0.2.1\n192.0.2.2\n"
KEY = "X-Api-Key"
SECRET = "s3cret-api-key"


class Server:
    """A server that records every request's path and headers; redirects[path] = Location."""

    def __init__(self, host, redirects=None):
        self.seen = []
        self.redirects = redirects or {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                server.seen.append((self.path, dict(self.headers)))
                target = server.redirects.get(self.path)
                if target:
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)

        self.srv = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.srv.server_address[1]
        self.host = host
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Redirects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.other_host = Server("127.0.0.2")
        cls.other_port = Server("127.0.0.1")
        cls.feed = Server("127.0.0.1")
        cls.feed.redirects.update({
            "/same": "/data",
            "/other-port": cls.other_port.url("/data"),
            "/other-host": cls.other_host.url("/data"),
            "/other-host-relative": "//127.0.0.2:%d/data" % cls.other_host.port,
            "/no-headers": cls.other_host.url("/public"),
        })
        cls.e = Ermes(start=False)
        sections = []
        for name in ("same", "other-port", "other-host", "other-host-relative"):
            sections.append('[collector "%s"]\nurl = %s\nfeed = blocklistde\n'
                            'header = %s: %s\n' % (name, cls.feed.url("/" + name), KEY, SECRET))
        sections.append('[collector "no-headers"]\nurl = %s\nfeed = blocklistde\n'
                        % cls.feed.url("/no-headers"))
        with open(os.path.join(cls.e.dir, "ermes.conf"), "w") as f:
            f.write("\n".join(sections))

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        for s in (cls.feed, cls.other_host, cls.other_port):
            s.close()

    def collect(self, name):
        rc, out, err = self.e.cli("collect", name, "--json")
        return rc, out, err

    def state(self, name):
        rc, out, err = self.e.cli("collectors", "--json")
        self.assertEqual(rc, 0, err)
        for line in out.splitlines():
            j = json.loads(line)
            if j["name"] == name:
                return j
        self.fail("no collector %s" % name)

    def test_cross_origin_redirect_refused(self):
        for name, server in (("other-port", self.other_port), ("other-host", self.other_host),
                             ("other-host-relative", self.other_host)):
            with self.subTest(name):
                before = len(server.seen)
                rc, out, err = self.collect(name)
                self.assertNotEqual(rc, 0, out + err)
                st = self.state(name)
                self.assertEqual(st["status"], "error", st)
                self.assertIn("refused", st["last_error"])
                self.assertIn("custom headers", st["last_error"])
                self.assertIn("http://%s:%d" % (server.host, server.port), st["last_error"])
                self.assertNotIn(SECRET, json.dumps(st))
                self.assertNotIn(SECRET, out + err)
                # Not followed at all: the other server saw nothing, so no key either.
                self.assertEqual(server.seen[before:], [])
        for _, headers in self.other_host.seen + self.other_port.seen:
            self.assertNotIn(SECRET, json.dumps(headers))

    def test_same_origin_redirect_followed(self):
        rc, out, err = self.collect("same")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.state("same")["status"], "ok")
        paths = [(p, h.get(KEY)) for p, h in self.feed.seen if p in ("/same", "/data")]
        self.assertIn(("/same", SECRET), paths)
        self.assertIn(("/data", SECRET), paths)

    def test_without_custom_headers_redirects_are_followed(self):
        rc, out, err = self.collect("no-headers")
        self.assertEqual(rc, 0, out + err)
        self.assertEqual(self.state("no-headers")["status"], "ok")
        self.assertIn("/public", [p for p, _ in self.other_host.seen])


if __name__ == "__main__":
    main()
