"""Collectors for the feeds that need more than a plain GET of one fixed URL, against a local
HTTP server (a thread of this test): the cznic-haas preset (added with `ermes collectors add
--preset --to-config`, its host pointed at the test's server) fetches the file named by yesterday's UTC date
and decodes its gzip (the server checks the path; served once as application/gzip, once also
labelled Content-Encoding: gzip, which must not be decoded twice); a truncated gzip file is an
error with the reason; a gzip bomb stops at max_size; the openphish-commercial preset's
user:password in the URL reaches the server as HTTP Basic authentication, and a wrong one is
the server's 401."""

import base64
import datetime
import gzip
import http.server
import json
import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main, wait_until  # noqa: E402

HAAS = os.path.join(SOURCE_DIR, "tests", "data", "presets", "cznic-haas.json")
OPENPHISH = os.path.join(SOURCE_DIR, "tests", "data", "feeds", "openphish-commercial",
                         "feed_commercial.txt")
USER, PASSWORD = "cert.team", "s3cret-pass~1"


def yesterdays():
    """The paths HaaS names yesterday (two around a UTC midnight)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {(now - datetime.timedelta(days=1, seconds=s)).strftime("/stats/export/%Y/%m/%Y-%m-%d")
            for s in (0, 120)}


class Server:
    def __init__(self):
        with open(HAAS, "rb") as f:
            self.haas = f.read()
        with open(OPENPHISH, "rb") as f:
            self.openphish = f.read()
        self.paths = []
        self.auth = []
        self.lock = threading.Lock()


def make_handler(s):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body, headers=()):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            with s.lock:
                s.paths.append(self.path)
                s.auth.append(self.headers.get("Authorization"))
            m = re.match(r"^(/(?:labelled/)?)(stats/export/\d{4}/\d{2}/\d{4}-\d{2}-\d{2})\.json\.gz$",
                         self.path)
            if m:
                if "/" + m.group(2) not in yesterdays():
                    return self.send(404, b"no such day\n")
                hdrs = [("Content-Type", "application/gzip")]
                if m.group(1) == "/labelled/":
                    hdrs.append(("Content-Encoding", "gzip"))
                return self.send(200, gzip.compress(s.haas), hdrs)
            if self.path == "/truncated.json.gz":
                return self.send(200, gzip.compress(s.haas)[:-10])
            if self.path == "/bomb.json.gz":
                return self.send(200, gzip.compress(b"[" + b" " * (4 << 20) + b"]"))
            if self.path == "/prvt-intell/":
                want = "Basic " + base64.b64encode(
                    ("%s:%s" % (USER, PASSWORD)).encode()).decode()
                if self.headers.get("Authorization") != want:
                    return self.send(401, b"unauthorized\n",
                                     [("WWW-Authenticate", 'Basic realm="feed"')])
                return self.send(200, s.openphish)
            self.send(404, b"not found\n")
    return Handler


class Dated(unittest.TestCase):
    def setUp(self):
        self.s = Server()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.s))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.base = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.e = Ermes(start=False)
        self.conf = os.path.join(self.e.dir, "ermes.conf")

    def tearDown(self):
        self.e.close()
        self.srv.shutdown()
        self.srv.server_close()

    def add(self, *args):
        rc, out, err = self.e.cli("collectors", "add", "--to-config", *args)
        self.assertEqual(rc, 0, out + err)

    def point(self, real, url=None):
        """The presets' real hosts replaced with the test's server."""
        with open(self.conf) as f:
            text = f.read()
        self.assertIn(real, text)
        with open(self.conf, "w") as f:
            f.write(text.replace(real, url or self.base))

    def collect(self, name, expect_rc=0):
        rc, out, err = self.e.cli("collect", name, "--json")
        self.assertEqual(rc, expect_rc, out + err)
        return json.loads(out.strip().splitlines()[-1])

    def state(self, name):
        rc, out, err = self.e.cli("collectors", "--json")
        self.assertEqual(rc, 0, err)
        for line in out.splitlines():
            j = json.loads(line)
            if j["name"] == name:
                return j
        self.fail("no collector %s in %r" % (name, out))

    def ran(self, name):
        """The collector's state once the daemon's first run is over."""
        return wait_until(lambda: (lambda j: j if j["status"] != "new" else None)(
            self.state(name)), timeout=60, what="the first run of " + name)

    def reports(self, feed):
        rc, out, err = self.e.cli("reports", "list", "--feed", feed, "--json")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def test_haas_dated_gzip(self):
        self.add("--preset", "cznic-haas")
        self.add("--preset", "cznic-haas", "--name", "haas-labelled")
        self.point("https://haas.nic.cz/", self.base + "/")
        with open(self.conf) as f:
            text = f.read()
        self.assertIn("content = gzip", text)
        # The second one: a server that labels the .gz file Content-Encoding: gzip as well.
        i = text.rindex(self.base + "/stats/")
        text = text[:i] + self.base + "/labelled/" + text[i + len(self.base) + 1:]
        with open(self.conf, "w") as f:
            f.write(text + '\n[collector "haas-truncated"]\nurl = %s/truncated.json.gz\n'
                    'feed = generic-json\ncontent = gzip\nenabled = false\n'
                    '\n[collector "haas-bomb"]\nurl = %s/bomb.json.gz\nfeed = generic-json\n'
                    'content = gzip\nmax_size = 1M\nenabled = false\n' % (self.base, self.base))
        self.e.start()
        st = self.ran("cznic-haas")
        self.assertEqual(st["status"], "ok", st)
        self.assertIn(re.sub(r"^/labelled", "", self.s.paths[0])[:-len(".json.gz")],
                      yesterdays())
        st = self.ran("haas-labelled")
        # The same decoded bytes: no second report, but fetched and decoded alike.
        self.assertIn(st["status"], ("ok", "unchanged"), st)
        self.assertIsNone(st["last_error"])
        done = wait_until(lambda: [r for r in self.reports("generic-json")
                                   if r["state"] == "done"], timeout=60,
                          what="the HaaS report processed")
        self.assertEqual(len(self.reports("generic-json")), 1)
        self.assertEqual(done[0]["rows_in"], 3)
        self.assertRegex(done[0]["file_name"], r"^\d{4}-\d{2}-\d{2}\.json$")

        st = self.collect("haas-truncated", expect_rc=1)
        self.assertEqual(st["status"], "error")
        self.assertIn("not a whole gzip file", st["last_error"])
        st = self.collect("haas-bomb", expect_rc=1)
        self.assertEqual(st["status"], "error")
        self.assertIn("exceeds", st["last_error"])
        self.assertEqual(len(self.reports("generic-json")), 1)

    def test_openphish_basic_auth(self):
        self.add("--preset", "openphish-commercial", "--api-key", "%s:%s" % (USER, PASSWORD))
        self.add("--preset", "openphish-commercial", "--name", "op-wrong", "--api-key",
                 "%s:badpass9" % USER)
        with open(self.conf) as f:
            text = f.read()
        text, n = re.subn(r"url = https://([^@\s]+)@openphish\.com/",
                          r"url = http://\1@127.0.0.1:%d/" % self.srv.server_address[1], text)
        self.assertEqual(n, 2, text)
        with open(self.conf, "w") as f:
            f.write(text)
        self.e.start()
        st = self.ran("openphish-commercial")
        self.assertEqual(st["status"], "ok", st)
        self.assertNotIn(PASSWORD, json.dumps(st))
        want = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        self.assertIn(want, self.s.auth)
        st = self.ran("op-wrong")
        self.assertEqual(st["status"], "error")
        self.assertEqual(st["http_status"], 401)
        rc, out, err = self.e.cli("collectors", "--json")
        self.assertNotIn(PASSWORD, out)
        self.assertNotIn("badpass9", out)


if __name__ == "__main__":
    main()
