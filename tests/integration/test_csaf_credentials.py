"""Issue 13: credentials for other providers' TLP:AMBER and RED documents
(`ermes csaf credentials`, src/store/csaf_credentials.c, csaf_check.c's get()).

ermes A is the other provider (TLS on loopback, a throwaway certificate): it publishes one
TLP:WHITE and one TLP:AMBER advisory, the AMBER one for its constituent ACME, whose user conny
has a token; A serves AMBER only to authenticated recipients. ermes B imports A:
- without credentials the WHITE CVE is imported, the AMBER feed is skipped with its reason and
  the AMBER CVE stays unknown;
- with `ermes csaf credentials set URL --header "Authorization: Bearer TOKEN"` the AMBER CVE is
  imported with its TLP; `list` names the header, never its value;
- through a front (a Python TLS server on another port that B is given as the provider, which
  passes every request on to A) that redirects the AMBER document to a third origin: the front
  gets the credentials, the third origin never does, and the document is refused there.
"""

import base64
import glob
import http.client
import http.server
import os
import shutil
import socketserver
import ssl
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main  # noqa: E402
from test_csaf_import import advisory  # noqa: E402
from test_csaf_check import run  # noqa: E402


class Front(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A TLS server on loopback passing requests on to ermes A with its own Host (so A's
    URLs name it), Authorization passed along; a path in redirect gets a 302 to target."""
    daemon_threads = True

    def __init__(self, cert, key, a_port, cafile, client_ca=None):
        self.a_port, self.cafile = a_port, cafile
        self.redirect = {}  # path -> origin to send it to
        self.seen = []      # (path, Authorization or None)
        super().__init__(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if client_ca:
            # mutual TLS: a client without a certificate signed by client_ca is refused
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(client_ca)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self):
        return "https://127.0.0.1:%d" % self.server_address[1]

    def stop(self):
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        srv = self.server
        auth = self.headers.get("Authorization")
        srv.seen.append((self.path, auth))
        if self.path in srv.redirect:
            self.send_response(302)
            self.send_header("Location", srv.redirect[self.path] + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        c = http.client.HTTPSConnection("127.0.0.1", srv.a_port, timeout=30,
                                        context=ssl.create_default_context(cafile=srv.cafile))
        hdrs = {"Host": "127.0.0.1:%d" % srv.server_address[1]}
        if auth:
            hdrs["Authorization"] = auth
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k in ("Content-Type", "WWW-Authenticate"):
            if r.getheader(k):
                self.send_header(k, r.getheader(k))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        c.close()


class CsafCredentials(unittest.TestCase):
    maxDiff = 6000

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-csafcred-")
        home = os.path.join(cls.tmp, "gpg")
        os.mkdir(home, 0o700)
        run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode",
             "loopback", "--quick-gen-key", "ermes CSAF <csaf@a.example>", "ed25519", "sign",
             "1y"])
        out = run(["gpg", "--homedir", home, "--batch", "--with-colons", "--list-secret-keys"])
        fpr = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]
        cls.cert, key = os.path.join(cls.tmp, "cert.pem"), os.path.join(cls.tmp, "key.pem")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key, "-out", cls.cert, "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"])
        cls.key = key
        cls.a = Ermes(env={"ERMES_SECURITY_CONTACT": "mailto:cert@a.example",
                           "ERMES_CSAF_OPENPGP_KEY": fpr, "ERMES_CSAF_OPENPGP_HOME": home})
        a = cls.a
        a.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "Acme"},
             expect=201)
        _, alice = a.user_token("alice", "analyst")
        _, bob = a.user_token("bob", "analyst")
        _, cls.conny = a.user_token("conny", "constituent", org="ACME")
        cls.refs = {}
        for n, tlp in ((71, "WHITE"), (72, "AMBER")):
            doc = advisory(n)
            doc["document"]["distribution"]["tlp"]["label"] = tlp
            s, _, adv = a.request("POST", "/api/v1/advisories" +
                                  ("?org=ACME" if tlp == "AMBER" else ""), doc, token=alice)
            assert s == 201, adv
            ref = "/api/v1/advisories/" + adv["tracking_id"]
            for path, tok in (("/submit", alice), ("/approve", bob), ("/publish", alice)):
                s, _, r = a.request("POST", ref + path, {}, token=tok)
                assert s == 200, r
            cls.refs[tlp] = r
        a.stop()
        a.start(extra_args=["--tls-cert", cls.cert, "--tls-key", key])
        tls = ssl.create_default_context(cafile=cls.cert)
        a.connect = lambda timeout=30: http.client.HTTPSConnection(
            "127.0.0.1", a.port, timeout=timeout, context=tls)
        cls.url = "https://127.0.0.1:%d" % a.port
        cls.b = Ermes()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.b.close()
            cls.a.close()
        finally:
            subprocess_kill = ["gpgconf", "--homedir", os.path.join(cls.tmp, "gpg"), "--kill",
                               "all"]
            try:
                run(subprocess_kill)
            except AssertionError:
                pass
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def imp(self, url):
        return self.b.cli("csaf", "import", "--no-warn", "--cacert", self.cert, url)

    def doc_path(self, tlp):
        a = self.refs[tlp]
        return "/.well-known/csaf/%s/%s/%s.json" % (tlp.lower(), a["published_at"][:4],
                                                    a["tracking_id"].lower())

    def test_1_token_header(self):
        b = self.b
        white, amber = "CVE-2024-00710", "CVE-2024-00720"
        rc, out, err = self.imp(self.url)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("skipped: %s/.well-known/csaf/amber/csaf-feed-tlp-amber.json: TLP:AMBER "
                      "feed: no credentials are set for its origin" % self.url, out)
        self.assertIn("1 imported, 0 refused", out)
        self.assertEqual(b.ok("GET", "/api/v1/vulnerabilities/" + white)["tlp"], "CLEAR")
        s, _, _ = b.request("GET", "/api/v1/vulnerabilities/" + amber)
        self.assertEqual(s, 404)

        # Bad input is refused with the field named, and nothing is stored.
        rc, out, err = b.cli("csaf", "credentials", "set", self.url, "--header", "Bad header")
        self.assertNotEqual(rc, 0)
        self.assertIn("headers", err)
        rc, out, err = b.cli("csaf", "credentials", "set", "ftp://x.example", "--header",
                             "A: b")
        self.assertNotEqual(rc, 0)
        self.assertIn("url", err)
        rc, out, err = b.cli("csaf", "credentials", "set", self.url, "--client-cert", self.cert)
        self.assertNotEqual(rc, 0)
        self.assertIn("client_key", err)
        rc, out, err = b.cli("csaf", "credentials", "list")
        self.assertEqual((rc, out), (0, ""), err)

        # A wrong token: A refuses it, the feed is skipped saying so.
        rc, out, err = b.cli("csaf", "credentials", "set", self.url + "/", "--header",
                             "Authorization: Bearer ermes_wrong")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("https://127.0.0.1:%d: credentials set" % self.a.port, out)
        rc, out, err = self.imp(self.url)
        self.assertIn("the provider refused the credentials", out)
        s, _, _ = b.request("GET", "/api/v1/vulnerabilities/" + amber)
        self.assertEqual(s, 404)

        rc, out, err = b.cli("csaf", "credentials", "set", self.url, "--header",
                             "Authorization: Bearer " + self.conny)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("credentials replaced (headers: Authorization", out)
        rc, out, err = b.cli("csaf", "credentials", "list")
        self.assertEqual(rc, 0, err)
        self.assertIn("https://127.0.0.1:%d  headers: Authorization" % self.a.port, out)
        self.assertNotIn(self.conny, out)
        # Sealed at rest: the token is in no file of the database (SQLite) and no column of
        # the table (either backend).
        for path in glob.glob(os.path.join(b.dir, "ermes.db*")):
            with open(path, "rb") as f:
                self.assertNotIn(self.conny.encode(), f.read(), path)
        db = db_connect(os.path.join(b.dir, "ermes.db"))
        try:
            rows = db.execute("SELECT origin, headers, header_names FROM csaf_credentials")\
                .fetchall()
        finally:
            db.close()
        self.assertEqual(len(rows), 1)
        self.assertTrue(rows[0][1].startswith("sealed:1:"), rows[0][1][:20])
        self.assertNotIn(self.conny, repr(rows))

        rc, out, err = self.imp(self.url)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("skipped:", out)
        self.assertIn("1 imported, 0 refused", out)
        v = b.ok("GET", "/api/v1/vulnerabilities/" + amber)
        self.assertEqual(v["tlp"], "AMBER")
        self.assertIn(self.refs["AMBER"]["tracking_id"], v["csaf_source"])

        rc, out, err = b.cli("csaf", "credentials", "delete", self.url)
        self.assertEqual(rc, 0, out + err)
        rc, out, err = b.cli("csaf", "credentials", "list")
        self.assertEqual((rc, out), (0, ""), err)

    def test_2_redirect_to_another_origin_drops_them(self):
        b = self.b
        front = Front(self.cert, self.key, self.a.port, self.cert)
        other = Front(self.cert, self.key, self.a.port, self.cert)
        try:
            # The other origin serves as A under the front's name, so only the credentials
            # differ: the document it gets without them is not readable.
            amber = self.doc_path("AMBER")
            front.redirect[amber] = other.origin
            token = "Authorization: Bearer " + self.conny
            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--header", token)
            self.assertEqual(rc, 0, out + err)
            rc, out, err = self.imp(front.origin)
            self.assertNotEqual(rc, 0, out + err)
            self.assertIn("refused: %s%s" % (front.origin, amber), out)
            # The front got the credentials with every request; the other origin, where the
            # redirect pointed, got the request and never the credentials.
            self.assertTrue(front.seen)
            self.assertTrue(all(a == "Bearer " + self.conny for _, a in front.seen), front.seen)
            self.assertEqual([p for p, _ in other.seen], [amber])
            self.assertEqual([a for _, a in other.seen], [None])
        finally:
            front.stop()
            other.stop()
            b.cli("csaf", "credentials", "delete", front.origin)

    def test_3_api(self):
        b = self.b
        api = "/api/v1/csaf/credentials"
        secret = "Bearer api-secret-0123456789"
        s, _, r = b.request("POST", api, {"url": "csaf.example", "headers": ["Authorization: " +
                                                                            secret,
                                                                            "X-Api-Key: k2"]})
        self.assertEqual(s, 201, r)
        self.assertEqual((r["origin"], r["headers"], r["client_certificate"]),
                         ("https://csaf.example:443", ["Authorization", "X-Api-Key"], False))
        with open(self.cert) as f:
            cert = f.read()
        with open(self.key) as f:
            key = f.read()
        s, _, r2 = b.request("POST", api, {"url": "https://csaf.example/.well-known/csaf/"
                                                  "provider-metadata.json",
                                           "client_cert": cert, "client_key": key})
        self.assertEqual(s, 200, r2)
        self.assertEqual((r2["id"], r2["headers"], r2["client_certificate"]),
                         (r["id"], [], True))
        listed = b.ok("GET", api)["data"]
        self.assertEqual([x["origin"] for x in listed], ["https://csaf.example:443"])
        self.assertNotIn("BEGIN", repr(listed))
        for body, field in (({"url": "https://x.example", "headers": ["X: a\r\nY: b"]},
                             "headers"),
                            ({"url": "https://x.example", "client_key": key}, "client_cert"),
                            ({"url": "https://x.example", "client_cert": "nope",
                              "client_key": key}, "client_cert"),
                            ({"url": "gopher://x.example", "headers": ["A: b"]}, "url"),
                            ({"url": "https://x.example"}, "headers")):
            s, _, e = b.request("POST", api, body)
            self.assertEqual((s, e["error"]["field"]), (422, field), (body, e))
        s, _, e = b.request("POST", api, {"url": "https://x.example", "headers": "A: b"})
        self.assertEqual((s, e["error"]["field"]), (400, "headers"), e)
        s, _, e = b.request("POST", api, {"url": "https://x.example", "nope": 1})
        self.assertEqual((s, e["error"]["field"]), (400, "nope"), e)
        _, user = b.user_token("ana", "analyst")
        s, _, _ = b.request("GET", api, token=user)
        self.assertEqual(s, 403)
        audit = b.ok("GET", "/api/v1/audit?object_type=csaf_credentials&limit=50")["data"]
        self.assertTrue(audit)
        self.assertNotIn("api-secret", repr(audit))
        s, _, _ = b.request("DELETE", "%s/%d" % (api, r["id"]))
        self.assertEqual(s, 204)
        s, _, _ = b.request("DELETE", "%s/%d" % (api, r["id"]))
        self.assertEqual(s, 404)
        self.assertEqual(b.ok("GET", api)["data"], [])

    def test_4_client_certificate(self):
        b = self.b
        # The client's certificate: another throwaway one, which the front requires.
        ccert, ckey = os.path.join(self.tmp, "client.pem"), os.path.join(self.tmp, "ckey.pem")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", ckey, "-out", ccert, "-days", "2",
             "-subj", "/CN=ermes B"])
        front = Front(self.cert, self.key, self.a.port, self.cert, client_ca=ccert)
        try:
            rc, out, err = self.imp(front.origin)
            self.assertNotEqual(rc, 0, out + err)
            self.assertEqual(front.seen, [])
            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--client-cert",
                                 ccert, "--client-key", ckey)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("client certificate: set", out)
            rc, out, err = self.imp(front.origin)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("1 imported, 0 refused", out)
            self.assertIn("/.well-known/csaf/provider-metadata.json", [p for p, _ in front.seen])
        finally:
            front.stop()
            b.cli("csaf", "credentials", "delete", front.origin)

    def test_6_client_p12(self):
        """A client certificate from a PKCS#12 file: a leaf signed by a test CA, with the CA in
        the file (the front trusts only the CA), protected by a passphrase. Set by the CLI from
        files and by the API in base64; a mutual-TLS import works with either; a wrong
        passphrase or a file that is not PKCS#12 is refused naming the field."""
        b = self.b
        api = "/api/v1/csaf/credentials"
        t = self.tmp
        ca, ca_key = os.path.join(t, "p12-ca.pem"), os.path.join(t, "p12-ca.key")
        leaf, leaf_key = os.path.join(t, "p12-leaf.pem"), os.path.join(t, "p12-leaf.key")
        csr, p12 = os.path.join(t, "p12-leaf.csr"), os.path.join(t, "client.p12")
        pass_file = os.path.join(t, "p12-pass")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        run(["openssl", "req", "-x509"] + ec + ["-keyout", ca_key, "-out", ca, "-days", "2",
                                                "-subj", "/CN=ermes test client CA",
                                                "-addext", "basicConstraints=critical,CA:TRUE",
                                                "-addext", "keyUsage=critical,keyCertSign"])
        run(["openssl", "req"] + ec + ["-keyout", leaf_key, "-out", csr, "-subj",
                                       "/CN=ermes B client"])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
             "-CAcreateserial", "-out", leaf, "-days", "2"])
        run(["openssl", "pkcs12", "-export", "-in", leaf, "-inkey", leaf_key, "-certfile", ca,
             "-out", p12, "-passout", "pass:p12 secret phrase"])
        with open(pass_file, "w") as f:
            f.write("p12 secret phrase\n")
        with open(p12, "rb") as f:
            p12_b64 = base64.b64encode(f.read()).decode()
        front = Front(self.cert, self.key, self.a.port, self.cert, client_ca=ca)
        try:
            # The CLI: a wrong passphrase is refused, nothing stored.
            bad_pass = os.path.join(t, "p12-bad-pass")
            with open(bad_pass, "w") as f:
                f.write("not it\n")
            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--client-p12",
                                 p12, "--p12-passphrase-file", bad_pass)
            self.assertNotEqual(rc, 0, out + err)
            self.assertIn("--p12-passphrase-file: the passphrase does not open", err)
            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--client-p12",
                                 self.cert, "--p12-passphrase-file", pass_file)
            self.assertNotEqual(rc, 0, out + err)
            self.assertIn("--client-p12: not a PKCS#12 file", err)
            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--client-p12",
                                 p12, "--client-key", leaf_key)
            self.assertNotEqual(rc, 0, out + err)
            rc, out, err = b.cli("csaf", "credentials", "list")
            self.assertEqual((rc, out), (0, ""), err)

            rc, out, err = b.cli("csaf", "credentials", "set", front.origin, "--client-p12",
                                 p12, "--p12-passphrase-file", pass_file)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("client certificate: set", out)
            # Kept as PEM: the leaf first, then the CA the file held; the key sealed.
            with open(leaf) as f:
                leaf_pem = f.read()
            with open(ca) as f:
                ca_pem = f.read()
            # A line of each certificate's base64 (one line of text: psql shows it whole).
            leaf_line, ca_line = leaf_pem.splitlines()[1], ca_pem.splitlines()[1]
            db = db_connect(os.path.join(b.dir, "ermes.db"))
            try:
                row = db.execute(
                    "SELECT (length(client_cert) - length(replace(client_cert,"
                    " 'BEGIN CERTIFICATE', ''))) / 17, CASE WHEN client_cert LIKE ? THEN 1"
                    " ELSE 0 END, CASE WHEN client_cert LIKE ? THEN 1 ELSE 0 END,"
                    " client_key FROM csaf_credentials WHERE origin = ?",
                    ("-----BEGIN CERTIFICATE-----_" + leaf_line + "%", "%" + ca_line + "%",
                     front.origin)).fetchone()
            finally:
                db.close()
            self.assertEqual([int(x) for x in row[:3]], [2, 1, 1], row)
            self.assertTrue(row[3].startswith("sealed:1:"), row[3][:20])
            rc, out, err = self.imp(front.origin)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("1 imported, 0 refused", out)
            self.assertIn("/.well-known/csaf/provider-metadata.json", [p for p, _ in front.seen])
            b.cli("csaf", "credentials", "delete", front.origin)

            # The API: base64 of the file; refusals name the field.
            for body, code, field in (
                    ({"client_p12": p12_b64, "p12_passphrase": "not it"}, 422,
                     "p12_passphrase"),
                    ({"client_p12": p12_b64}, 422, "p12_passphrase"),
                    ({"client_p12": "not base64!"}, 422, "client_p12"),
                    ({"client_p12": base64.b64encode(b"\x30\x03\x02\x01\x03").decode(),
                      "p12_passphrase": "x"}, 422, "client_p12"),
                    ({"client_p12": p12_b64, "p12_passphrase": "p12 secret phrase",
                      "client_key": "-----BEGIN PRIVATE KEY-----\n"}, 422, "client_p12"),
                    ({"p12_passphrase": "p12 secret phrase", "headers": ["A: b"]}, 422,
                     "p12_passphrase"),
                    ({"client_p12": base64.b64encode(b"\0" * 70000).decode()}, 413,
                     "client_p12"),
                    ({"client_cert": "-----BEGIN CERTIFICATE-----\n" + "A" * 70000,
                      "client_key": "-----BEGIN PRIVATE KEY-----\n"}, 413, "client_cert"),
                    ({"client_cert": "-----BEGIN CERTIFICATE-----\n",
                      "client_key": "-----BEGIN PRIVATE KEY-----\n" + "A" * 5000}, 413,
                     "client_key")):
                body = dict(body, url=front.origin)
                s, _, e = b.request("POST", api, body)
                self.assertEqual((s, e["error"]["field"]), (code, field),
                                 (list(body), e))
            self.assertEqual(b.ok("GET", api)["data"], [])
            # A chain longer than 4096 bytes (the old cap) is taken.
            with open(leaf_key) as f:
                leaf_key_pem = f.read()
            s, _, r = b.request("POST", api, {"url": front.origin,
                                              "client_cert": (leaf_pem + ca_pem) * 6,
                                              "client_key": leaf_key_pem})
            self.assertEqual(s, 201, r)
            s, _, r = b.request("POST", api, {"url": front.origin, "client_p12": p12_b64,
                                              "p12_passphrase": "p12 secret phrase"})
            self.assertEqual((s, r["client_certificate"]), (200, True), r)
            front.seen.clear()
            rc, out, err = self.imp(front.origin)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("/.well-known/csaf/provider-metadata.json", [p for p, _ in front.seen])
        finally:
            front.stop()
            b.cli("csaf", "credentials", "delete", front.origin)

    def test_5_puts_at_once_make_one(self):
        # Puts of one provider's credentials at the same time: exactly one makes them (201),
        # the others replace them (200), all on the one row; each round a new origin.
        b = self.b
        api = "/api/v1/csaf/credentials"
        for round_ in range(6):
            url = "https://race-%d.example" % round_
            start = threading.Barrier(6)
            got = []

            def put(n):
                start.wait()
                s, _, r = b.request("POST", api, {"url": url,
                                                  "headers": ["X-Api-Key: k%d" % n]})
                got.append((s, r.get("id") if isinstance(r, dict) else r))

            threads = [threading.Thread(target=put, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(s for s, _ in got), [200] * 5 + [201], got)
            self.assertEqual(len({i for _, i in got}), 1, got)
            s, _, r = b.request("DELETE", "%s/%d" % (api, got[0][1]))
            self.assertEqual(s, 204, r)


if __name__ == "__main__":
    main()
