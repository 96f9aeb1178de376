"""Issue 13, item 3: `ermes csaf check URL` judges a CSAF provider by the requirements of CSAF
2.0 section 7.1.

The test builds a second provider itself: the TLP:WHITE examples of
../shared/conformance/csaf/csaf_2.0/examples in year folders with index.txt and changes.csv, a
ROLIE feed and service document, .sha256 and .sha512 made here, .asc signatures by gpg with a
throwaway key in a temporary GNUPGHOME (its public key under openpgp/, its fingerprint in the
metadata), security.txt; served over real TLS by /usr/bin/python3's http.server on loopback with
a certificate from a throwaway CA (`--cacert`). The check passes it; then it is broken one way
at a time (a wrong hash, a bad signature, a missing index.txt line, invalid metadata) and the
check names the requirement that fails, and the document by URL. Last, ermes's own provider
(/.well-known/csaf of a running daemon) is checked and what it fails today is asserted, so a
change there shows here.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, cli, main, wait_until  # noqa: E402
import csafdocs  # noqa: E402

EXAMPLES = os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared", "conformance", "csaf",
                                        "csaf_2.0", "examples", "csaf"))
if not os.path.isdir(EXAMPLES):
    EXAMPLES = "/work/shared/conformance/csaf/csaf_2.0/examples/csaf"
WHITE_DOCS = ["bsi-2022-0001.json", "rhsa-2019_1862.json", "rhsa-2021_5186.json",
              "rhsa-2021_5217.json", "rhsa-2022_0011.json", "csaf_vex/sec-vex-2022-0001.json"]

SERVER = r"""
import http.server, ssl, sys, functools
root, cert, key = sys.argv[1:4]
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                      functools.partial(Quiet, directory=root))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


def run(argv, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        raise AssertionError("%s failed: %s" % (argv[0], p.stderr.decode()))
    return p.stdout.decode()


def file_name(tracking_id):
    return "".join(c if c.isalnum() and c.isascii() or c in "+-" else "_"
                   for c in tracking_id.lower()) + ".json"


class Provider:
    """A CSAF trusted provider in a temporary directory, served over TLS on loopback."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="ermes-csafp-")
        self.root = os.path.join(self.tmp, "www")
        self.gnupg = tempfile.mkdtemp(prefix="g", dir="/tmp")  # a short socket path
        self.gpg_env = dict(os.environ, GNUPGHOME=self.gnupg)
        self.proc = None
        self._tls()
        self._key()
        self.port = self._serve()
        self.origin = "https://127.0.0.1:%d" % self.port
        self.base = self.origin + "/.well-known/csaf"
        self._build()

    def _tls(self):
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key = os.path.join(self.tmp, "key.pem")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", self.key, "-out", self.cert, "-days", "2", "-subj",
             "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])

    def _key(self):
        run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
             "Test Provider <csaf@provider.example>", "ed25519", "sign", "1d"], env=self.gpg_env)
        out = run(["gpg", "--batch", "--with-colons", "--list-keys"], env=self.gpg_env)
        self.fpr = [line.split(":")[9] for line in out.splitlines()
                    if line.startswith("fpr:")][0]

    def _serve(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", "-c", SERVER, self.root, self.cert,
                                      self.key], stdout=subprocess.PIPE)
        return int(self.proc.stdout.readline())

    def sign(self, path):
        run(["gpg", "--batch", "--yes", "--armor", "--detach-sign", "-u", self.fpr, "-o",
             path + ".asc", path], env=self.gpg_env)

    def _build(self):
        wk = os.path.join(self.root, ".well-known")
        white = os.path.join(wk, "csaf", "white")
        os.makedirs(os.path.join(wk, "csaf", "openpgp"))
        entries, lines = [], []
        for src in WHITE_DOCS:
            with open(os.path.join(EXAMPLES, src), "rb") as f:
                data = f.read()
            doc = json.loads(data)["document"]
            name = file_name(doc["tracking"]["id"])
            year = doc["tracking"]["initial_release_date"][:4]
            rel = "%s/%s" % (year, name)
            path = os.path.join(white, year, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            for algo in ("sha256", "sha512"):
                with open(path + "." + algo, "w") as f:
                    f.write("%s  %s\n" % (hashlib.new(algo, data).hexdigest(), name))
            self.sign(path)
            url = "%s/white/%s" % (self.base, rel)
            lines.append((doc["tracking"]["current_release_date"], rel))
            entries.append({
                "id": doc["tracking"]["id"], "title": doc["title"],
                "link": [{"rel": "self", "href": url},
                         {"rel": "hash", "href": url + ".sha256"},
                         {"rel": "hash", "href": url + ".sha512"},
                         {"rel": "signature", "href": url + ".asc"}],
                "published": doc["tracking"]["initial_release_date"],
                "updated": doc["tracking"]["current_release_date"],
                "summary": {"content": doc["title"]},
                "content": {"type": "application/json", "src": url},
                "format": {"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
                           "version": "2.0"}})
        self.docs = [rel for _, rel in lines]
        with open(os.path.join(white, "index.txt"), "w") as f:
            f.write("".join(rel + "\n" for _, rel in sorted(lines)))
        with open(os.path.join(white, "changes.csv"), "w") as f:
            f.write("".join('"%s","%s"\n' % (rel, when)
                            for when, rel in sorted(lines, key=lambda x: csafdocs_ms(x[0]),
                                                    reverse=True)))
        feed_url = self.base + "/white/csaf-feed-tlp-white.json"
        feed = {"feed": {
            "id": "provider-example-white", "title": "Provider Example TLP:WHITE advisories",
            "link": [{"rel": "self", "href": feed_url}],
            "category": [{"scheme": "urn:ietf:params:rolie:category:information-type",
                          "term": "csaf"}],
            "updated": "2024-01-01T00:00:00Z", "entry": entries}}
        with open(os.path.join(white, "csaf-feed-tlp-white.json"), "w") as f:
            json.dump(feed, f)
        with open(os.path.join(wk, "csaf", "service.json"), "w") as f:
            json.dump({"service": {"workspace": [{"title": "CSAF", "collection": [
                {"title": "TLP:WHITE", "href": feed_url,
                 "categories": {"category": [{
                     "scheme": "urn:ietf:params:rolie:category:information-type",
                     "term": "csaf"}]}}]}]}}, f)
        with open(os.path.join(white, "category-white.json"), "w") as f:
            json.dump({"categories": {"category": [
                {"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"},
                {"term": "Red Hat"}]}}, f)
        key = run(["gpg", "--batch", "--armor", "--export", self.fpr], env=self.gpg_env)
        with open(os.path.join(wk, "csaf", "openpgp", self.fpr + ".asc"), "w") as f:
            f.write(key)
        self.metadata_url = self.base + "/provider-metadata.json"
        self.metadata = {
            "canonical_url": self.metadata_url,
            "distributions": [{"directory_url": self.base + "/white/",
                               "rolie": {"feeds": [{"summary": "TLP:WHITE advisories",
                                                    "tlp_label": "WHITE", "url": feed_url}],
                                         "services": [self.base + "/service.json"],
                                         "categories": [self.base + "/white/category-white.json"]}}],
            "last_updated": "2024-01-01T00:00:00Z",
            "list_on_CSAF_aggregators": True,
            "metadata_version": "2.0",
            "mirror_on_CSAF_aggregators": True,
            "public_openpgp_keys": [{"fingerprint": self.fpr,
                                     "url": self.base + "/openpgp/%s.asc" % self.fpr}],
            "publisher": {"category": "vendor", "name": "Provider Example",
                          "namespace": "https://provider.example"},
            "role": "csaf_trusted_provider"}
        self.write_metadata(self.metadata)
        with open(os.path.join(wk, "security.txt"), "w") as f:
            f.write("Contact: mailto:psirt@provider.example\nCSAF: %s\n" % self.metadata_url)

    def write_metadata(self, m):
        with open(os.path.join(self.root, ".well-known", "csaf", "provider-metadata.json"),
                  "w") as f:
            json.dump(m, f, indent=1)

    def path(self, rel):
        return os.path.join(self.root, ".well-known", "csaf", "white", rel)

    def close(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
        subprocess.run(["gpgconf", "--homedir", self.gnupg, "--kill", "all"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.gnupg, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def csafdocs_ms(when):
    """A CSAF date-time as a sortable UTC value."""
    from datetime import datetime
    return datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp()


def check(url, *extra):
    rc, out, err = cli("csaf", "check", "--json", *extra, url)
    lines = [json.loads(line) for line in out.splitlines()]
    return rc, {r["requirement"]: r for r in lines}, err


class CsafCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = Provider()

    @classmethod
    def tearDownClass(cls):
        cls.p.close()

    def check(self, *extra):
        return check(self.p.metadata_url, "--cacert", self.p.cert, *extra)

    def assert_only_fails(self, results, want, contains):
        failed = sorted(k for k, r in results.items() if r["status"] == "fail")
        self.assertEqual(failed, want, json.dumps(results, indent=1))
        reasons = " ".join(results[want[0]]["reasons"])
        self.assertIn(contains, reasons)

    def test_good_provider_passes(self):
        rc, res, err = self.check()
        self.assertEqual(len(res), 23, err)
        failed = {k: r for k, r in res.items() if r["status"] == "fail"}
        self.assertEqual(failed, {}, json.dumps(res, indent=1))
        self.assertEqual(rc, 0, err)
        for n in (1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20):
            self.assertEqual(res["7.1.%d" % n]["status"], "pass", res["7.1.%d" % n])
        self.assertIn("6 document(s) read", " ".join(res["7.1.1"]["reasons"]))
        # the DNS path of an address cannot exist; 7.1.9 satisfies the "one of 8 to 10"
        self.assertEqual(res["7.1.10"]["status"], "not-applicable")
        for n in (21, 22, 23):
            self.assertEqual(res["7.1.%d" % n]["status"], "not-applicable")
        # the same by domain (the well-known URL) and in words for a person
        rc, out, err = cli("csaf", "check", "--cacert", self.p.cert,
                           "https://127.0.0.1:%d" % self.p.port)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("7.1.19 Signatures: pass", out)
        self.assertIn("role csaf_trusted_provider", out)

    def test_without_the_ca_tls_fails(self):
        rc, res, err = check(self.p.metadata_url)
        self.assertEqual(rc, 1)
        self.assertEqual(res["7.1.7"]["status"], "fail")
        self.assertIn("certificate", " ".join(res["7.1.7"]["reasons"]).lower())

    def test_wrong_hash(self):
        rel = self.p.docs[0]
        path = self.p.path(rel) + ".sha256"
        with open(path) as f:
            good = f.read()
        try:
            with open(path, "w") as f:
                f.write("0" * 64 + "\n")
            rc, res, err = self.check()
            self.assertEqual(rc, 1)
            self.assert_only_fails(res, ["7.1.18"], rel + ": the SHA-256 digest does not match")
        finally:
            with open(path, "w") as f:
                f.write(good)

    def test_bad_signature(self):
        rel, other = self.p.docs[1], self.p.docs[2]
        asc = self.p.path(rel) + ".asc"
        shutil.copy(asc, asc + ".keep")
        try:
            shutil.copy(self.p.path(other) + ".asc", asc)  # a good signature of another file
            rc, res, err = self.check()
            self.assertEqual(rc, 1)
            self.assert_only_fails(res, ["7.1.19"], rel + ": ")
        finally:
            shutil.move(asc + ".keep", asc)

    def test_missing_index_line(self):
        path = self.p.path("index.txt")
        with open(path) as f:
            good = f.read()
        rel = good.splitlines()[0]
        try:
            with open(path, "w") as f:
                f.write("".join(line + "\n" for line in good.splitlines()[1:]))
            rc, res, err = self.check()
            self.assertEqual(rc, 1)
            self.assert_only_fails(res, ["7.1.12"],
                                   "index.txt does not list %s" % rel)
        finally:
            with open(path, "w") as f:
                f.write(good)

    def test_invalid_metadata(self):
        bad = json.loads(json.dumps(self.p.metadata))
        del bad["publisher"]
        bad["role"] = "csaf_super_provider"
        try:
            self.p.write_metadata(bad)
            rc, res, err = self.check()
            self.assertEqual(rc, 1)
            failed = sorted(k for k, r in res.items() if r["status"] == "fail")
            self.assertIn("7.1.7", failed)
            reasons = " ".join(res["7.1.7"]["reasons"])
            self.assertIn("publisher", reasons)
            self.assertIn("/role", reasons)
        finally:
            self.p.write_metadata(self.p.metadata)

    def test_amber_document_in_public(self):
        """A TLP:AMBER document in the public directory, hashed and signed: 7.1.5 fails."""
        with open(os.path.join(EXAMPLES, WHITE_DOCS[0])) as f:
            doc = json.load(f)
        doc["document"]["distribution"]["tlp"]["label"] = "AMBER"
        doc["document"]["tracking"]["id"] = "AMBER-2022-0001"
        rel = "2022/amber-2022-0001.json"
        path = self.p.path(rel)
        data = json.dumps(doc).encode()
        with open(path, "wb") as f:
            f.write(data)
        for algo in ("sha256", "sha512"):
            with open(path + "." + algo, "w") as f:
                f.write(hashlib.new(algo, data).hexdigest() + "\n")
        self.p.sign(path)
        saved = {}
        for name in ("index.txt", "changes.csv"):
            with open(self.p.path(name)) as f:
                saved[name] = f.read()
        try:
            with open(self.p.path("index.txt"), "a") as f:
                f.write(rel + "\n")
            rows = saved["changes.csv"].splitlines()
            rows.append('"%s","%s"' % (rel, doc["document"]["tracking"]["current_release_date"]))
            rows.sort(key=lambda r: csafdocs_ms(r.split(",")[1].strip('"')), reverse=True)
            with open(self.p.path("changes.csv"), "w") as f:
                f.write("".join(r + "\n" for r in rows))
            rc, res, err = self.check()
            self.assertEqual(rc, 1)
            self.assert_only_fails(res, ["7.1.5"], rel + " is TLP:AMBER and was read without")
        finally:
            for name, text in saved.items():
                with open(self.p.path(name), "w") as f:
                    f.write(text)
            for ext in ("", ".sha256", ".sha512", ".asc"):
                os.unlink(path + ext)

    def test_usage(self):
        rc, out, err = cli("csaf", "check")
        self.assertEqual(rc, 2)
        rc, out, err = cli("csaf", "check", "--timeout", "0", "example.com")
        self.assertEqual(rc, 2)
        self.assertIn("--timeout", err)
        rc, out, err = cli("csaf", "check", "ftp://example.com/x.json")
        self.assertEqual(rc, 1)


class OwnProvider(unittest.TestCase):
    """ermes's own /.well-known/csaf, served over TLS by a daemon with a signing key and one
    published advisory of each TLP, checked by ermes without credentials: a trusted provider
    that meets every requirement of its role (the GREEN and AMBER listings are protected, and
    noted as not checked)."""

    def test_own_provider(self):
        tmp = tempfile.mkdtemp(prefix="ermes-own-")
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        home = os.path.join(tmp, "gpg")
        os.mkdir(home, 0o700)
        run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode",
             "loopback", "--quick-gen-key", "ermes CSAF <csaf@cert.example>", "ed25519", "sign",
             "1y"])
        out = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons",
                              "--list-secret-keys"], check=True, capture_output=True).stdout
        fpr = [ln.split(":")[9] for ln in out.decode().splitlines() if ln.startswith("fpr:")][0]
        with Ermes(env={"ERMES_SECURITY_CONTACT": "mailto:cert@example.org",
                        "ERMES_CSAF_OPENPGP_KEY": fpr, "ERMES_CSAF_OPENPGP_HOME": home}) as e:
            _, alice = e.user_token("alice", "analyst")
            _, bob = e.user_token("bob", "analyst")
            for n, tlp in ((47, None), (48, "GREEN"), (49, "AMBER")):
                doc = csafdocs.advisory(n)
                if tlp:
                    doc["document"]["distribution"] = {"tlp": {"label": tlp}}
                s, _, a = e.request("POST", "/api/v1/advisories", doc, token=alice)
                self.assertEqual(s, 201, a)
                ref = "/api/v1/advisories/" + a["tracking_id"]
                for path, tok in (("/submit", alice), ("/approve", bob), ("/publish", alice)):
                    s, _, b = e.request("POST", ref + path, {}, token=tok)
                    self.assertEqual(s, 200, b)
            # over plain HTTP: 7.1.3 fails, naming the URL, and the exit status says so
            rc, res, err = check("http://127.0.0.1:%d" % e.port)
            self.assertEqual(rc, 1, err)
            self.assertEqual(res["7.1.3"]["status"], "fail")
            self.assertIn("http://127.0.0.1:%d/.well-known/csaf/provider-metadata.json is not "
                          "fetched over HTTPS" % e.port, res["7.1.3"]["reasons"])
            e.stop()
            e.start(extra_args=["--tls-cert", cert, "--tls-key", key])
            rc, res, err = check("https://127.0.0.1:%d" % e.port, "--cacert", cert)
            self.assertEqual(len(res), 23, err)
            status = {k: r["status"] for k, r in res.items()}
            sys.stderr.write("ermes's own provider:\n" + "".join(
                "  %s %s %s\n" % (k, r["status"], r["reasons"][:2]) for k, r in res.items()))
            self.assertEqual(res["7.1.1"]["reasons"][-1], "1 document(s) read")
            # Every requirement of a trusted provider is met; 7.1.10 (DNS) cannot be on an
            # address, 7.1.21 to 7.1.23 are an aggregator's.
            for n in range(1, 21):
                if n != 10:
                    self.assertEqual(status["7.1.%d" % n], "pass", res["7.1.%d" % n])
            self.assertIn("access-protected", " ".join(res["7.1.12"]["reasons"]))
            self.assertEqual(rc, 0, err)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
