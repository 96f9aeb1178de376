"""The web UI's files over HTTP: index.html with the security headers, the SPA fallback, 404 for
a missing file with an extension, traversal refused, ETag and 304, types by extension, and
web_dir serving from disk (symbolic links out of it refused)."""

import http.client
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, SOURCE_DIR, Ermes, ErmesError, assert_error, main  # noqa: E402

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


def raw_get(e, path, method="GET", headers=None):
    """Sends path exactly as written (no normalisation); returns (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, e.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


class EmbeddedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        with open(os.path.join(SOURCE_DIR, "web", "index.html"), "rb") as f:
            cls.index = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def assert_secure(self, h):
        self.assertEqual(h.get("content-security-policy"), CSP)
        self.assertEqual(h.get("x-content-type-options"), "nosniff")
        self.assertEqual(h.get("referrer-policy"), "no-referrer")
        self.assertEqual(h.get("x-frame-options"), "DENY")
        self.assertNotIn("strict-transport-security", h, "HSTS over plain HTTP")

    def test_index_without_a_token(self):
        s, h, b = raw_get(self.e, "/")
        self.assertEqual(s, 200)
        self.assertEqual(b, self.index, "the page is the web/index.html built in")
        self.assertTrue(h["content-type"].startswith("text/html"), h["content-type"])
        self.assertEqual(h.get("cache-control"), "no-cache")
        self.assertRegex(h.get("etag", ""), r'^"[0-9a-f]{32}"$')
        self.assert_secure(h)
        s, h2, b = raw_get(self.e, "/index.html")
        self.assertEqual((s, h2["etag"]), (200, h["etag"]))

    def test_head(self):
        s, h, b = raw_get(self.e, "/", method="HEAD")
        self.assertEqual(s, 200)
        self.assertEqual(b, b"")
        self.assertEqual(int(h["content-length"]), len(self.index))

    def test_api_answers_carry_the_headers_too(self):
        s, h, _ = self.e.request("GET", "/healthz", token=None)
        self.assertEqual(s, 200)
        self.assert_secure(h)
        self.assertEqual(h.get("cache-control"), "no-store")
        s, h, _ = self.e.request("GET", "/api/v1/events?format=ndjson")
        self.assertEqual(s, 200)
        self.assert_secure(h)

    def test_spa_fallback(self):
        for path in ("/events/42", "/organisations", "/a/b/c/", "/events/42?tab=raw"):
            s, h, b = raw_get(self.e, path)
            self.assertEqual(s, 200, path)
            self.assertEqual(b, self.index, path)
            self.assertEqual(h.get("cache-control"), "no-cache")

    def test_missing_file_with_extension_is_404(self):
        for path in ("/js/nothing-here.js", "/missing.css", "/favicon.ico.map"):
            s, h, b = self.e.request("GET", path, token=None)
            assert_error(self, s, b, 404, "not_found")
            self.assert_secure(h)

    def test_api_and_reserved_paths_are_not_the_ui(self):
        s, _, b = self.e.request("GET", "/api/v1/nothing-here", token=None)
        assert_error(self, s, b, 401)
        s, _, b = self.e.request("GET", "/api/v1/nothing-here")
        assert_error(self, s, b, 404, "not_found")
        s, _, b = self.e.request("GET", "/api", token=None)
        assert_error(self, s, b, 401)
        s, _, b = self.e.request("GET", "/metrics", token=None)
        assert_error(self, s, b, 401)
        # Writes to the UI's paths are no reads of it.
        s, _, b = self.e.request("POST", "/events/42", {}, token=None)
        self.assertNotEqual(s, 200)

    def test_traversal_refused(self):
        for path in ("/../../etc/passwd", "/js/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                     "/js/..%2f..%2fetc%2fpasswd", "/index.html%00.png", "/%00",
                     "/.git/config", "/..%5c..%5cetc%5cpasswd", "/./index.html"):
            s, _, b = raw_get(self.e, path)
            self.assertIn(s, (400, 404), path)
            self.assertNotIn(b"root:", b, path)

    def test_etag_and_304(self):
        s, h, _ = raw_get(self.e, "/")
        etag = h["etag"]
        for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
            s, h2, b = raw_get(self.e, "/", headers={"If-None-Match": inm})
            self.assertEqual(s, 304, inm)
            self.assertEqual(b, b"")
            self.assertEqual(h2.get("etag"), etag)
            self.assert_secure(h2)
        s, _, b = raw_get(self.e, "/", headers={"If-None-Match": '"something-else"'})
        self.assertEqual((s, b), (200, self.index))


class WebDirTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-web-")
        cls.web = os.path.join(cls.tmp, "web")
        os.makedirs(os.path.join(cls.web, "js"))
        files = {"index.html": b"<!DOCTYPE html><title>from disk</title>",
                 "js/app.js": b"export const x = 1;\n",
                 "app.css": b"body { margin: 0 }\n",
                 "logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                 "logo.png": b"\x89PNG\r\n\x1a\n",
                 "font.woff2": b"wOF2",
                 "favicon.ico": b"\x00\x00\x01\x00",
                 "data.json": b"{}",
                 ".hidden": b"secret"}
        for name, data in files.items():
            with open(os.path.join(cls.web, name), "wb") as f:
                f.write(data)
        with open(os.path.join(cls.tmp, "outside.txt"), "wb") as f:
            f.write(b"outside the web dir")
        os.symlink(os.path.join(cls.tmp, "outside.txt"), os.path.join(cls.web, "out.txt"))
        os.symlink(cls.tmp, os.path.join(cls.web, "up"))
        os.symlink(os.path.join(cls.web, "app.css"), os.path.join(cls.web, "inside.css"))
        cls.e = Ermes(serve_args=["--web-dir", cls.web])

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_served_from_disk_with_types(self):
        want = {"/": "text/html", "/js/app.js": "text/javascript", "/app.css": "text/css",
                "/logo.svg": "image/svg+xml", "/logo.png": "image/png",
                "/font.woff2": "font/woff2", "/favicon.ico": "image/x-icon",
                "/data.json": "application/json"}
        for path, ctype in want.items():
            s, h, b = raw_get(self.e, path)
            self.assertEqual(s, 200, path)
            self.assertTrue(h["content-type"].startswith(ctype), (path, h["content-type"]))
            self.assertEqual(h.get("x-content-type-options"), "nosniff")
        s, _, b = raw_get(self.e, "/events/7")
        self.assertEqual((s, b), (200, b"<!DOCTYPE html><title>from disk</title>"))

    def test_symlinks_out_and_hidden_files_refused(self):
        for path in ("/out.txt", "/up/outside.txt", "/.hidden"):
            s, _, b = raw_get(self.e, path)
            self.assertIn(s, (400, 404), path)
            self.assertNotIn(b"outside the web dir", b)
            self.assertNotIn(b"secret", b)
        s, _, b = raw_get(self.e, "/inside.css")
        self.assertEqual((s, b), (200, b"body { margin: 0 }\n"))

    def test_etag_follows_the_file(self):
        path = os.path.join(self.web, "js", "app.js")
        s, h, _ = raw_get(self.e, "/js/app.js")
        etag = h["etag"]
        s, _, _ = raw_get(self.e, "/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual(s, 304)
        with open(path, "wb") as f:
            f.write(b"export const x = 2;\n")
        s, h, b = raw_get(self.e, "/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual((s, b), (200, b"export const x = 2;\n"))
        self.assertNotEqual(h["etag"], etag)

    def test_bad_web_dir_stops_the_daemon(self):
        e = Ermes(start=False)
        try:
            with self.assertRaises(ErmesError) as cm:
                e.start(extra_args=["--web-dir", os.path.join(self.tmp, "nope")])
            self.assertIn("web_dir", str(cm.exception))
        finally:
            e.close()


if __name__ == "__main__":
    main()
