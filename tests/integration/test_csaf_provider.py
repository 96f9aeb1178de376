"""Issue 13, item 3: the CSAF trusted provider (/.well-known/csaf/; h_csaf_provider.c).

A throwaway GnuPG home gets an Ed25519 signing key (gpg, no passphrase); the daemon is started
with csaf_openpgp_key naming it. One advisory of each TLP (WHITE, GREEN, AMBER, RED) is
published; then:
- the provider metadata is a csaf_trusted_provider's, names the key's fingerprint and URL, a
  directory and a ROLIE feed per TLP, the service and category documents, and validates
  against the OASIS provider schema (ajv, csaf_provider_schema.mjs);
- every feed, the service document and every category document validate against
  rolie_schema.json (written from RFC 8322 and CSAF 2.0 7.1.15-17; the OASIS ROLIE examples
  validate against it and a broken feed does not);
- every document in every feed (read as staff) has a .sha256 and .sha512 that match, and an
  .asc that `gpg --verify` accepts in a fresh GnuPG home holding only the key the provider
  serves; the documents pass @secvisogram/csaf-validator-lib (basic preset);
- per TLP and viewer (anonymous, a constituent, a sensor, the staff): who gets what (200,
  401, 403, 404, the entries of each feed), and an audit row for every access to green,
  amber and red, allowed or refused;
- a publication with a key that cannot sign fails, names csaf_openpgp_key, and publishes
  nothing.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main  # noqa: E402
import csafdocs  # noqa: E402
from test_csaf import LIB, NODE, oracle  # noqa: E402
from test_advisories import SCHEMAS  # noqa: E402

API = "/api/v1/advisories"
BASE = "https://cert.example"
TLPS = ("white", "green", "amber", "red")
# The advisories the tests publish: one per TLP, and red_cert, a RED one the CERT keeps.
DIR = {"white": "white", "green": "green", "amber": "amber", "red": "red", "red_cert": "red"}
ROLIE_EXAMPLES = os.path.join(os.path.dirname(SCHEMAS), "examples", "ROLIE")
NODE_ENV = dict(os.environ, NODE_MODULES=os.path.join(SOURCE_DIR, "tests", "browser",
                                                      "node_modules"),
                CSAF_SCHEMAS=SCHEMAS, CVSS_SCHEMAS=os.path.join(SOURCE_DIR, "data", "csaf"))


def gpg(home, *args, input=None):
    p = subprocess.run(["gpg", "--homedir", home, "--batch", "--no-tty"] + list(args),
                       input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout, p.stderr


def path_of(url):
    assert url.startswith(BASE + "/"), url
    return url[len(BASE):]


class CsafProvider(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-csafp-")
        cls.home = os.path.join(cls.tmp, "gpg")
        os.mkdir(cls.home, 0o700)
        rc, _, err = gpg(cls.home, "--passphrase", "", "--pinentry-mode", "loopback",
                         "--quick-gen-key", "ermes CSAF test <csaf@cert.example>", "ed25519",
                         "sign", "1y")
        assert rc == 0, err
        _, out, _ = gpg(cls.home, "--with-colons", "--list-secret-keys")
        cls.fpr = [ln.split(":")[9] for ln in out.decode().splitlines()
                   if ln.startswith("fpr:")][0]
        cls.e = Ermes(env={"ERMES_CSAF_BASE_URL": BASE, "ERMES_CSAF_OPENPGP_KEY": cls.fpr,
                           "ERMES_CSAF_OPENPGP_HOME": cls.home})
        cls.e.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "Acme"},
                 expect=201)
        _, cls.alice = cls.e.user_token("alice", "analyst")
        _, cls.bob = cls.e.user_token("bob", "analyst")
        cls.e.ok("POST", "/api/v1/organisations", {"short_name": "OTHER", "name": "Other"},
                 expect=201)
        _, cls.conny = cls.e.user_token("conny", "constituent", org="ACME")
        _, cls.olga = cls.e.user_token("olga", "constituent", org="OTHER")
        _, cls.sensor = cls.e.user_token("sensy", "sensor")
        cls.refs = {}
        # AMBER and RED for ACME (?org=: ACME owns them), and a RED one the CERT keeps.
        for n, tlp in enumerate(TLPS + ("red_cert",)):
            doc = csafdocs.advisory(60 + n)
            doc["document"]["distribution"]["tlp"]["label"] = DIR[tlp].upper()
            a = cls.call("POST", API + ("?org=ACME" if tlp in ("amber", "red") else ""), doc,
                         cls.alice)
            ref = a["tracking_id"]
            cls.call("POST", "%s/%s/submit" % (API, ref), None, cls.alice)
            cls.call("POST", "%s/%s/approve" % (API, ref), {}, cls.bob)
            a = cls.call("POST", "%s/%s/publish" % (API, ref), {}, cls.alice)
            assert a["status"] == "published", a
            cls.refs[tlp] = a

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def call(cls, method, path, body, token):
        s, _, b = cls.e.request(method, path, body, token=token)
        assert s in (200, 201), "%s %s -> %d %r" % (method, path, s, b)
        return b

    def get(self, path, token=None):
        return self.e.request("GET", path, token=token, raw=True)

    def doc_path(self, tlp):
        a = self.refs[tlp]
        return "/.well-known/csaf/%s/%s/%s.json" % (DIR[tlp], a["published_at"][:4],
                                                    a["tracking_id"].lower())

    def node(self, script, *files):
        self.assertIsNotNone(NODE, "node is not installed (scripts/install-deps test)")
        p = subprocess.run([NODE, os.path.join(SOURCE_DIR, "tests", "integration", script)] +
                           list(files), env=NODE_ENV, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        return p.returncode, p.stdout.decode()

    def save(self, name, body):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(body if isinstance(body, bytes) else json.dumps(body).encode())
        return path

    def test_metadata_feeds_and_rolie_documents_validate(self):
        s, _, meta = self.e.request("GET", "/.well-known/csaf/provider-metadata.json",
                                    token=None)
        self.assertEqual(s, 200, meta)
        self.assertEqual(meta["role"], "csaf_trusted_provider")
        self.assertEqual(meta["public_openpgp_keys"],
                         [{"fingerprint": self.fpr,
                           "url": "%s/.well-known/csaf/openpgp/%s.asc" % (BASE, self.fpr)}])
        dirs = [d["directory_url"] for d in meta["distributions"] if "directory_url" in d]
        self.assertEqual(dirs, ["%s/.well-known/csaf/%s/" % (BASE, t) for t in TLPS])
        rolie = [d["rolie"] for d in meta["distributions"] if "rolie" in d][0]
        self.assertEqual([(f["tlp_label"], f["url"]) for f in rolie["feeds"]],
                         [(t.upper(), "%s/.well-known/csaf/%s/csaf-feed-tlp-%s.json" %
                           (BASE, t, t)) for t in TLPS])
        rc, out = self.node("csaf_provider_schema.mjs", self.save("meta.json", meta))
        self.assertEqual(rc, 0, out[-3000:])

        files = []
        for url in [f["url"] for f in rolie["feeds"]] + rolie["services"] + rolie["categories"]:
            s, h, body = self.get(path_of(url), token=self.alice)
            self.assertEqual(s, 200, url)
            self.assertTrue(h["content-type"].startswith("application/json"), h)
            files.append(self.save(url.rsplit("/", 1)[1], body))
        rc, out = self.node("rolie_schema.mjs", *files)
        self.assertEqual(rc, 0, out[-3000:])
        # The schema is not one that takes anything: the OASIS examples pass, a feed whose
        # entry lacks its content does not.
        examples = sorted(os.path.join(ROLIE_EXAMPLES, f) for f in os.listdir(ROLIE_EXAMPLES))
        self.assertGreaterEqual(len(examples), 3)
        rc, out = self.node("rolie_schema.mjs", *examples)
        self.assertEqual(rc, 0, out[-3000:])
        with open(files[0]) as f:
            broken = json.load(f)
        del broken["feed"]["entry"][0]["content"]
        rc, out = self.node("rolie_schema.mjs", self.save("broken.json", broken))
        self.assertEqual(rc, 1, out)

        # The service document lists the four feeds; each category document the documents'
        # category and vendor.
        with open(files[4]) as f:
            service = json.load(f)
        self.assertEqual([c["href"] for c in service["service"]["workspace"][0]["collection"]],
                         [f["url"] for f in rolie["feeds"]])
        with open(files[5]) as f:
            terms = [c["term"] for c in json.load(f)["categories"]["category"]]
        self.assertIn("csaf_security_advisory", terms)

    def test_hashes_signatures_and_validity_of_every_document(self):
        s, _, key = self.get("/.well-known/csaf/openpgp/%s.asc" % self.fpr)
        self.assertEqual(s, 200)
        self.assertIn(b"BEGIN PGP PUBLIC KEY BLOCK", key)
        self.assertNotIn(b"PRIVATE", key)
        verify_home = os.path.join(self.tmp, "verify")
        os.mkdir(verify_home, 0o700)
        rc, _, err = gpg(verify_home, "--import", input=key)
        self.assertEqual(rc, 0, err)
        docs, seen = [], 0
        for tlp in TLPS:
            s, _, feed = self.e.request("GET", "/.well-known/csaf/%s/csaf-feed-tlp-%s.json" %
                                        (tlp, tlp), token=self.alice)
            self.assertEqual(s, 200)
            entries = feed["feed"]["entry"]
            self.assertIn(self.refs[tlp]["tracking_id"], [x["id"] for x in entries])
            for entry in entries:
                links = {}
                for link in entry["link"]:
                    links.setdefault(link["rel"], []).append(path_of(link["href"]))
                doc_path = links["self"][0]
                self.assertEqual(path_of(entry["content"]["src"]), doc_path)
                s, h, body = self.get(doc_path, token=self.alice)
                self.assertEqual(s, 200)
                if entry["id"] == self.refs[tlp]["tracking_id"]:
                    self.assertEqual(doc_path, self.doc_path(tlp))
                    self.assertEqual(json.loads(body), self.refs[tlp]["document"])
                name = doc_path.rsplit("/", 1)[1]
                self.assertEqual(sorted(links["hash"]),
                                 [doc_path + ".sha256", doc_path + ".sha512"])
                for algo in ("sha256", "sha512"):
                    s, _, line = self.get(doc_path + "." + algo, token=self.alice)
                    self.assertEqual(s, 200)
                    self.assertEqual(line.decode(), "%s  %s\n" % (
                        hashlib.new(algo, body).hexdigest(), name))
                self.assertEqual(links["signature"], [doc_path + ".asc"])
                s, h, sig = self.get(doc_path + ".asc", token=self.alice)
                self.assertEqual(s, 200)
                self.assertIn(b"BEGIN PGP SIGNATURE", sig)
                doc_file = self.save(tlp + "-" + name, body)
                sig_file = self.save(tlp + "-" + name + ".asc", sig)
                rc, _, err = gpg(verify_home, "--status-fd", "2", "--verify", sig_file,
                                 doc_file)
                self.assertEqual(rc, 0, err.decode())
                self.assertIn("VALIDSIG %s" % self.fpr, err.decode())
                # A changed byte is caught.
                bad = self.save("bad-" + name, body.replace(b"{", b"{ ", 1))
                rc, _, _ = gpg(verify_home, "--verify", sig_file, bad)
                self.assertNotEqual(rc, 0)
                docs.append(doc_file)
                seen += 1
        self.assertGreaterEqual(seen, 5)
        self.assertTrue(os.path.isdir(LIB), "csaf-validator-lib is missing (make browser-deps)")
        results = oracle(docs)
        for path in docs:
            self.assertTrue(results[path]["valid"], results[path])

    def test_access_per_tlp_and_viewer(self):
        viewers = {"anonymous": None, "constituent": self.conny, "other": self.olga,
                   "sensor": self.sensor, "staff": self.alice}
        # What each viewer gets for the feed and the document of each TLP. The constituent
        # is of ACME, for which the AMBER and RED advisories were written; "other" is a
        # constituent of another organisation: the AMBER and RED feeds are there for it,
        # empty, and the documents as absent as ones that do not exist. red_cert is a RED
        # advisory the CERT owns: its staff's only.
        want = {
            "white": {"anonymous": (200, 200), "constituent": (200, 200), "other": (200, 200),
                      "sensor": (200, 200), "staff": (200, 200)},
            "green": {"anonymous": (401, 401), "constituent": (200, 200), "other": (200, 200),
                      "sensor": (403, 403), "staff": (200, 200)},
            "amber": {"anonymous": (401, 401), "constituent": (200, 200), "other": (200, 404),
                      "sensor": (403, 403), "staff": (200, 200)},
            "red": {"anonymous": (401, 401), "constituent": (200, 200), "other": (200, 404),
                    "sensor": (403, 403), "staff": (200, 200)},
            "red_cert": {"anonymous": (401, 401), "constituent": (200, 404),
                         "other": (200, 404), "sensor": (403, 403), "staff": (200, 200)},
        }
        s, _, before = self.e.request("GET", "/api/v1/audit?object_type=csaf&limit=500")
        self.assertEqual(s, 200, before)
        before = len(before["data"])
        expect_rows = 0
        for tlp in TLPS + ("red_cert",):
            d = DIR[tlp]
            for who, token in viewers.items():
                fs, h, feed = self.e.request("GET", "/.well-known/csaf/%s/csaf-feed-tlp-%s.json" %
                                             (d, d), token=token)
                ds, dh, doc = self.e.request("GET", self.doc_path(tlp), token=token, raw=True)
                self.assertEqual((fs, ds), want[tlp][who], (tlp, who, feed, doc))
                if fs == 200:
                    ids = [x["id"] for x in feed["feed"]["entry"]]
                    if ds == 200:
                        self.assertIn(self.refs[tlp]["tracking_id"], ids, (tlp, who))
                    else:
                        self.assertNotIn(self.refs[tlp]["tracking_id"], ids, (tlp, who))
                else:
                    self.assertIn("error", feed)
                    self.assertIn("error", json.loads(doc))
                if fs == 401:
                    self.assertIn("www-authenticate", h)
                # index.txt follows the same rule as the feed.
                s, _, index = self.get("/.well-known/csaf/%s/index.txt" % d, token=token)
                self.assertEqual(s, fs, (tlp, who))
                if s == 200:
                    self.assertEqual(self.refs[tlp]["tracking_id"].lower() in index.decode(),
                                     ds == 200, (tlp, who, index))
                if d != "white":
                    expect_rows += 3
        # A document that does not exist: 401 without credentials, as for one that does.
        s, _, _ = self.get("/.well-known/csaf/red/2020/no-such.json")
        self.assertEqual(s, 401)
        s, _, _ = self.get("/.well-known/csaf/red/2020/no-such.json", token=self.alice)
        self.assertEqual(s, 404)
        expect_rows += 2
        # HTTP Basic with the user name and a token, as CSAF downloaders send it.
        basic = base64.b64encode(("conny:" + self.conny).encode()).decode()
        s, _, body = self.e.request("GET", self.doc_path("red"), token=None, raw=True,
                                    headers={"Authorization": "Basic " + basic})
        self.assertEqual(s, 200, body)
        expect_rows += 1
        # A bad token is refused, not taken as anonymous.
        s, _, _ = self.get("/.well-known/csaf/white/index.txt", token="ermes_nonsense")
        self.assertEqual(s, 401)
        s, _, rows = self.e.request("GET", "/api/v1/audit?object_type=csaf&limit=500")
        self.assertEqual(s, 200)
        rows = rows["data"]
        self.assertEqual(len(rows) - before, expect_rows)
        refused = [(r["actor"], r["object_id"]) for r in rows if r["action"] == "csaf_refused"]
        read = [(r["actor"], r["object_id"]) for r in rows if r["action"] == "csaf_read"]
        self.assertIn(("anonymous", self.doc_path("red")), refused)
        self.assertIn(("olga", self.doc_path("amber")), refused)
        self.assertIn(("conny", self.doc_path("red_cert")), refused)
        self.assertIn(("sensy", self.doc_path("green")), refused)
        self.assertIn(("conny", self.doc_path("red")), read)
        self.assertIn(("alice", self.doc_path("red_cert")), read)
        self.assertIn(("olga", self.doc_path("green")), read)

        # The API agrees: the same policy.
        s, _, _ = self.e.request("GET", "%s/%s" % (API, self.refs["red"]["tracking_id"]),
                                 token=self.conny)
        self.assertEqual(s, 200)
        s, _, _ = self.e.request("GET", "%s/%s" % (API, self.refs["red"]["tracking_id"]),
                                 token=self.olga)
        self.assertEqual(s, 404)
        # An unknown organisation is refused, naming the field.
        s, _, b = self.e.request("POST", API + "?org=NO-SUCH", csafdocs.advisory(69),
                                 token=self.alice)
        self.assertEqual((s, b["error"]["field"]), (422, "org"))

    def test_directory_listings(self):
        """Requirement 14: an index page for the provider's folder, each TLP directory and
        each year, by the same rules; every link of the public ones answers."""
        import re
        year = self.refs["white"]["published_at"][:4]
        seen = set()
        todo = ["/.well-known/csaf/"]
        while todo:
            path = todo.pop()
            if path in seen:
                continue
            seen.add(path)
            s, h, body = self.get(path)
            if path.startswith(("/.well-known/csaf/green", "/.well-known/csaf/amber",
                                "/.well-known/csaf/red")):
                self.assertEqual(s, 401, path)
                continue
            self.assertEqual(s, 200, path)
            if path.endswith("/"):
                self.assertTrue(h["content-type"].startswith("text/html"), h)
                base = re.search(r'<base href="([^"]+)">', body.decode()).group(1)
                self.assertEqual(base, path)
                for href in re.findall(r'<a href="([^"]+)">', body.decode()):
                    if href != "../":
                        todo.append(base + href)
        white = "/.well-known/csaf/white/%s/%s.json" % (
            year, self.refs["white"]["tracking_id"].lower())
        for p in ("/.well-known/csaf/white/", "/.well-known/csaf/white/%s/" % year, white,
                  white + ".asc", white + ".sha512", "/.well-known/csaf/provider-metadata.json",
                  "/.well-known/csaf/white/csaf-feed-tlp-white.json", "/.well-known/csaf/red/"):
            self.assertIn(p, seen)
        # The RED year page lists what the viewer may see.
        red = "/.well-known/csaf/red/%s/" % year
        name = self.refs["red"]["tracking_id"].lower() + ".json"
        for token, shown in ((self.conny, True), (self.olga, False), (self.alice, True)):
            s, _, body = self.get(red, token=token)
            self.assertEqual(s, 200)
            self.assertEqual('href="%s"' % name in body.decode(), shown)
        s, _, _ = self.get(red)
        self.assertEqual(s, 401)

    def test_a_key_that_cannot_sign_publishes_nothing(self):
        a = self.call("POST", API, csafdocs.advisory(70), self.alice)
        ref = a["tracking_id"]
        self.call("POST", "%s/%s/submit" % (API, ref), None, self.alice)
        self.call("POST", "%s/%s/approve" % (API, ref), {}, self.bob)
        rc, out, err = self.e.cli("advisories", "publish", ref,
                                  env={"ERMES_CSAF_OPENPGP_KEY": "0" * 40,
                                       "ERMES_CSAF_OPENPGP_HOME": self.home})
        self.assertNotEqual(rc, 0, out)
        self.assertIn("csaf_openpgp_key", err + out)
        self.assertIn("nothing was published", err)
        a = self.call("GET", "%s/%s" % (API, ref), None, self.alice)
        self.assertEqual((a["status"], a["revision"]), ("approved", 0))
        s, _, index = self.get("/.well-known/csaf/white/index.txt")
        self.assertNotIn(ref.lower(), index.decode())
        # With the daemon's key it goes out, signed.
        a = self.call("POST", "%s/%s/publish" % (API, ref), {}, self.alice)
        self.assertEqual(a["status"], "published")
        s, _, sig = self.get("/.well-known/csaf/white/%s/%s.json.asc" % (
            a["published_at"][:4], ref.lower()))
        self.assertEqual(s, 200)


if __name__ == "__main__":
    main()
