"""Issue 13, item 5: CSAF documents of other providers as vulnerability intelligence
(`ermes csaf import`, `csaf=URL` in vuln_sources).

ermes A publishes two signed advisories through its own trusted provider, each naming a CPE
platform as known_affected; ermes B (the demo constituency, real SMTP by aiosmtpd) has three
constituents with assets, one of them running an affected platform. B imports A's provider:
the vulnerabilities appear with their scores and source, exactly the affected constituent gets
one warning; a second import fetches no document again and warns nobody. Then bad input: a
copy of a provider (test_csaf_check's, served by /usr/bin/python3's http.server over TLS on
loopback) where one document's .sha256 is wrong, one's .asc is a signature by another key, one
fails the schema, one is 100 MB and one is not JSON: those five are refused with their URL and
reason, the good ones imported. Last, the daemon imports a csaf=URL source on schedule.
"""

import hashlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, Ermes, body_text, main, wait_until  # noqa: E402
import csafdocs  # noqa: E402
from test_csaf_check import EXAMPLES, Provider, csafdocs_ms, run  # noqa: E402

NOTIFICATIONS = "/api/v1/notifications"


def signing_key(tmp):
    home = os.path.join(tmp, "gpg")
    os.mkdir(home, 0o700)
    run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode",
         "loopback", "--quick-gen-key", "ermes CSAF <csaf@a.example>", "ed25519", "sign", "1y"])
    out = subprocess.run(["gpg", "--homedir", home, "--batch", "--with-colons",
                          "--list-secret-keys"], check=True, capture_output=True).stdout
    fpr = [ln.split(":")[9] for ln in out.decode().splitlines() if ln.startswith("fpr:")][0]
    return home, fpr


def advisory(n):
    """csafdocs' advisory whose vulnerability is known to affect the platform (a CPE)."""
    doc = csafdocs.advisory(n)
    pids = [p["product_id"] for p in doc["product_tree"]["full_product_names"]]
    for v in doc["vulnerabilities"]:
        v["product_status"]["known_affected"] += pids
        v.pop("flags", None)
    return doc


class CsafImport(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True

    @classmethod
    def setUpClass(cls):
        cls.tmp = cls.temp_dir("ermes-csafimp-")
        cls.addClassCleanup(cls.stop_gpg_agent)  # after the daemon and the SMTP server stop
        super().setUpClass()
        cls.b = cls.e  # the importing daemon

    @classmethod
    def stop_gpg_agent(cls):
        subprocess.run(["gpgconf", "--homedir", os.path.join(cls.tmp, "gpg"), "--kill", "all"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def test_1_from_ermes_provider(self):
        b = self.b
        home, fpr = signing_key(self.tmp)
        for org, cpe in (("DG-DIGIT", "cpe:2.3:o:example:platform_61:1.0:*:*:*:*:*:*:*"),
                         ("UP", "cpe:2.3:o:example:platform_99:1.0:*:*:*:*:*:*:*"),
                         ("UCM", "cpe:2.3:o:example:platform_62:2.0:*:*:*:*:*:*:*")):
            rc, out, err = self.cli("assets", "add", "--org", org, "--cpe", cpe)
            self.assertEqual(rc, 0, out + err)
        with Ermes(env={"ERMES_SECURITY_CONTACT": "mailto:cert@a.example",
                        "ERMES_CSAF_OPENPGP_KEY": fpr, "ERMES_CSAF_OPENPGP_HOME": home}) as a:
            _, alice = a.user_token("alice", "analyst")
            _, bob = a.user_token("bob", "analyst")
            refs = {}
            for n in (61, 62):
                s, _, adv = a.request("POST", "/api/v1/advisories", advisory(n), token=alice)
                self.assertEqual(s, 201, adv)
                refs[n] = adv["tracking_id"]
                ref = "/api/v1/advisories/" + adv["tracking_id"]
                for path, tok in (("/submit", alice), ("/approve", bob), ("/publish", alice)):
                    s, _, r = a.request("POST", ref + path, {}, token=tok)
                    self.assertEqual(s, 200, r)
            adv61 = refs[61]
            # A's metadata names https URLs: A serves TLS with a throwaway certificate
            cert, key = os.path.join(self.tmp, "cert.pem"), os.path.join(self.tmp, "key.pem")
            run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days",
                 "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
            a.stop()
            a.start(extra_args=["--tls-cert", cert, "--tls-key", key])
            tls = ssl.create_default_context(cafile=cert)
            a.connect = lambda timeout=30: http.client.HTTPSConnection(
                "127.0.0.1", a.port, timeout=timeout, context=tls)
            url = "https://127.0.0.1:%d" % a.port
            rc, out, err = self.cli("csaf", "import", "--cacert", cert, url)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("2 documents, 2 imported, 0 refused", out)
            self.assertIn("2 vulnerabilities, 2 changed, 1 new asset warnings, 1 notifications",
                          out)
            v = b.ok("GET", "/api/v1/vulnerabilities/CVE-2024-00610")
            self.assertEqual((v["cvss_score"], v["cvss_severity"], v["cwe"]),
                             (9.8, "CRITICAL", csafdocs.advisory(61)["vulnerabilities"][0]
                              ["cwe"]["id"]))
            self.assertEqual(v["tlp"], "CLEAR")
            self.assertIn(adv61 + " 1.0.0", v["csaf_source"])
            self.assertEqual(v["csaf"]["vulnerabilities"][0]["cve"], "CVE-2024-00610")
            b.ok("GET", "/api/v1/vulnerabilities/CVE-2024-00620")
            b.ok("POST", NOTIFICATIONS + "/run?now=true")
            wait_until(lambda: self.mailbox.count() >= 1, timeout=60, what="the warning")
            by_org = self.mails_by_org()
            self.assertEqual(sorted(by_org), ["DG-DIGIT"])
            self.assertEqual(len(by_org["DG-DIGIT"]), 1)
            text = body_text(by_org["DG-DIGIT"][0]["msg"])
            self.assertIn("CVE-2024-00610", text)
            self.assertIn("platform_61", text)
            self.assertNotIn("CVE-2024-00620", text)

            # Again: the feed lists nothing new, no document is fetched, nobody is warned.
            rc, out, err = self.cli("csaf", "import", "--cacert", cert, url)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("0 documents, 0 imported, 0 refused, 2 unchanged (not fetched)", out)
            self.assertIn("0 new asset warnings, 0 notifications", out)
            b.ok("POST", NOTIFICATIONS + "/run?now=true")
            n = len(b.list_all(NOTIFICATIONS))
            self.assertEqual(n, 1)

            # A revision that changes nothing for DG-DIGIT: the new version replaces what the
            # first said, and nobody is warned again.
            ref = "/api/v1/advisories/" + adv61
            cur = a.ok("GET", ref)
            doc = cur.get("document") or advisory(61)
            doc["vulnerabilities"][0]["title"] = "A flaw in product 0 and the platform"
            s, _, r = a.request("PATCH", ref, doc, token=alice)
            self.assertEqual(s, 200, r)
            for path, tok in (("/submit", alice), ("/approve", bob), ("/publish", alice)):
                s, _, r = a.request("POST", ref + path, {}, token=tok)
                self.assertEqual(s, 200, r)
            rc, out, err = self.cli("csaf", "import", "--cacert", cert, url)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("1 documents, 1 imported, 0 refused, 1 unchanged (not fetched)", out)
            self.assertIn("1 vulnerabilities, 1 changed, 0 new asset warnings, 0 notifications",
                          out)
            v = b.ok("GET", "/api/v1/vulnerabilities/CVE-2024-00610")
            self.assertNotIn(adv61 + " 1.0.0", v["csaf_source"])
            self.assertEqual(v["csaf"]["vulnerabilities"][0]["title"],
                             "A flaw in product 0 and the platform")
            self.assertEqual(len(b.list_all(NOTIFICATIONS)), 1)

    def test_2_bad_input(self):
        p = Provider()
        other = tempfile.mkdtemp(prefix="g", dir="/tmp")
        try:
            rels = list(p.docs)
            bad_hash, bad_sig = rels[0], rels[2]
            with open(p.path(bad_hash) + ".sha256", "w") as f:
                f.write("0" * 64 + "\n")
            # a good signature, by a key the metadata does not name
            genv = dict(os.environ, GNUPGHOME=other)
            run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key",
                 "Someone Else <x@else.example>", "ed25519", "sign", "1d"], env=genv)
            run(["gpg", "--batch", "--yes", "--armor", "--detach-sign", "-o",
                 p.path(bad_sig) + ".asc", p.path(bad_sig)], env=genv)
            extra = []

            def add(rel, data):
                path = p.path(rel)
                with open(path, "wb") as f:
                    f.write(data)
                for algo in ("sha256", "sha512"):
                    h = hashlib.new(algo)
                    with open(path, "rb") as f:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                    with open(path + "." + algo, "w") as f:
                        f.write(h.hexdigest() + "\n")
                p.sign(path)
                extra.append(rel)

            with open(os.path.join(EXAMPLES, "bsi-2022-0001.json")) as f:
                doc = json.load(f)
            doc["document"]["tracking"]["id"] = "BAD-SCHEMA-1"
            doc["document"]["category"] = 42
            add("2022/bad-schema-1.json", json.dumps(doc).encode())
            add("2022/not-json.json", b'{"document": {"csaf_version": "2.0",')
            big = p.path("2022/big-1.json")
            with open(big, "wb") as f:
                f.write(b'{"document": {"title": "')
                f.truncate(100 * 1024 * 1024 - 2)
                f.seek(0, 2)
                f.write(b'"}')
            with open(big, "rb") as f:
                data = f.read()
            add("2022/big-1.json", data)
            del data
            when = "2024-01-01T00:00:00.000Z"
            with open(p.path("index.txt"), "a") as f:
                f.write("".join(r + "\n" for r in extra))
            with open(p.path("changes.csv")) as f:
                rows = f.read().splitlines()
            rows += ['"%s","%s"' % (r, when) for r in extra]
            rows.sort(key=lambda r: csafdocs_ms(r.split(",")[1].strip('"')), reverse=True)
            with open(p.path("changes.csv"), "w") as f:
                f.write("".join(r + "\n" for r in rows))

            rc, out, err = self.cli("csaf", "import", "--no-warn", "--cacert", p.cert,
                                    p.metadata_url)
            self.assertEqual(rc, 1, out + err)
            refused = {}
            for line in out.splitlines():
                if line.startswith("refused: "):
                    url, _, why = line[len("refused: "):].partition(": ")
                    refused[url[len(p.base) + len("/white/"):]] = why
            self.assertEqual(sorted(refused), sorted([bad_hash, bad_sig] + extra), out)
            self.assertIn("SHA-256 digest does not match", refused[bad_hash])
            self.assertIn("not a good signature", refused[bad_sig])
            self.assertIn("fails schema at /document/category", refused["2022/bad-schema-1.json"])
            self.assertIn("larger than", refused["2022/big-1.json"])
            self.assertIn("not JSON", refused["2022/not-json.json"])
            self.assertIn("%d documents, %d imported, 5 refused" % (len(rels) + 3, len(rels) - 2),
                          out)
            # a ROLIE feed as the source: its documents, checked against the host's metadata
            rc, out, err = self.cli("csaf", "import", "--no-warn", "--cacert", p.cert,
                                    p.base + "/white/csaf-feed-tlp-white.json")
            self.assertEqual(rc, 1, out + err)
            self.assertIn("%d documents, %d imported, 5 refused" % (len(rels) + 3, len(rels) - 2),
                          out)
            # a year folder of the directory: only the documents below it
            in2021 = [r for r in rels + extra if r.startswith("2021/")]
            rc, out, err = self.cli("csaf", "import", "--no-warn", "--cacert", p.cert,
                                    p.base + "/white/2021/")
            self.assertIn("%d documents, " % len(in2021), out)
            self.assertTrue(all("/white/2021/" in line for line in out.splitlines()
                                if line.startswith("refused: ")), out)
            # what the good ones said is there; the refused ones' CVEs are not
            good = [r for r in rels if r not in (bad_hash, bad_sig)]
            self.assertTrue(good)
            for rel in rels:
                with open(p.path(rel)) as f:
                    cves = [v["cve"] for v in json.load(f).get("vulnerabilities", [])
                            if "cve" in v]
                for cve in cves:
                    s, _, _ = self.b.request("GET", "/api/v1/vulnerabilities/" + cve)
                    self.assertEqual(s, 200 if rel in good else 404, (rel, cve))
        finally:
            subprocess.run(["gpgconf", "--homedir", other, "--kill", "all"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(other, ignore_errors=True)
            p.close()

    def test_3_schedule(self):
        """csaf=URL in vuln_sources: the daemon imports the provider on schedule, and a second
        run with nothing new fetches no document. The provider is served over plain HTTP by
        /usr/bin/python3 -m http.server (its URLs rewritten to http)."""
        p = Provider()
        www = os.path.join(self.tmp, "plain")
        access = open(os.path.join(self.tmp, "access.log"), "wb")
        srv = subprocess.Popen(["/usr/bin/python3", "-u", "-m", "http.server", "--bind",
                                "127.0.0.1", "--directory", www, "0"],
                               stdout=subprocess.PIPE, stderr=access)
        try:
            line = srv.stdout.readline().decode()
            port = int(line.split(" port ")[1].split()[0])
            shutil.copytree(p.root, www, dirs_exist_ok=True)
            plain = "http://127.0.0.1:%d" % port
            for d, _, files in os.walk(www):
                for name in files:
                    path = os.path.join(d, name)
                    if name.endswith(".json") and "/20" not in path[len(www):]:
                        with open(path) as f:
                            text = f.read()
                        with open(path, "w") as f:
                            f.write(text.replace(p.origin, plain))
            b = self.b
            b.restart(env={"ERMES_VULN_SOURCES": "csaf=" + plain,
                           "ERMES_VULN_SYNC_INTERVAL": "1"})

            def runs():
                rc, out, err = b.cli("vulns", "sources")
                return out

            wait_until(lambda: b.request("GET", "/api/v1/vulnerabilities/CVE-2021-44228")[0]
                       == 200, timeout=90, what="the scheduled import")
            v = b.ok("GET", "/api/v1/vulnerabilities/CVE-2021-44228")
            self.assertIn("sec-vex-2022-0001", v["csaf_source"].lower().replace("_", "-"))
            wait_until(lambda: "csaf=" + plain in runs(), timeout=60, what="the run recorded")
            first = runs()
            with open(access.name) as f:
                before = len(f.read().splitlines())
            self.assertIn(" ok ", first)
            # the next run reads the feed and changes.csv only: nothing imported
            wait_until(lambda: runs() != first and "0 records, 0 changed" in runs(),
                       timeout=90, what="a second run with nothing new")
            log = b.log()
            self.assertIn("vuln sync: csaf=%s: 0 records, 0 changed" % plain, log)
            # what the runs after the first fetched: the metadata and the listings only
            with open(access.name) as f:
                later = [ln.split('"')[1].split()[1] for ln in f.read().splitlines()[before:]
                         if '"GET ' in ln]
            self.assertTrue(later)
            self.assertEqual(sorted(set(later)), [
                "/.well-known/csaf/provider-metadata.json", "/.well-known/csaf/white/changes.csv",
                "/.well-known/csaf/white/csaf-feed-tlp-white.json",
                "/.well-known/csaf/white/index.txt"], later)
            # `ermes vulns sync` (cron) keeps the same record per source: nothing to fetch
            rc, out, err = b.cli("vulns", "sync",
                                 env=dict(self.env, ERMES_VULN_SOURCES="csaf=" + plain))
            self.assertEqual(rc, 0, out + err)
            self.assertIn("%s: csaf, 0 documents, 0 imported, 0 refused, %d unchanged"
                          % (plain, len(p.docs)), out)
        finally:
            srv.kill()
            srv.wait()
            srv.stdout.close()
            access.close()
            p.close()
            self.b.restart(env={"ERMES_VULN_SOURCES": "", "ERMES_VULN_SYNC_INTERVAL": "0"})

    def test_3b_skipped_feed_recorded(self):
        """A csaf=URL source whose provider lists a TLP:AMBER feed: without credentials for
        its origin the daemon's run skips it, and says so in the source's state (`ermes vulns
        sources`, GET /api/v1/vulnerabilities/sources); once credentials are set the next run
        reads the feed and the note is gone. Plain HTTP, as test_3_schedule."""
        p = Provider()
        www = os.path.join(self.tmp, "plain-amber")
        access = open(os.path.join(self.tmp, "access-amber.log"), "wb")
        srv = subprocess.Popen(["/usr/bin/python3", "-u", "-m", "http.server", "--bind",
                                "127.0.0.1", "--directory", www, "0"],
                               stdout=subprocess.PIPE, stderr=access)
        b = self.b
        try:
            line = srv.stdout.readline().decode()
            port = int(line.split(" port ")[1].split()[0])
            shutil.copytree(p.root, www, dirs_exist_ok=True)
            plain = "http://127.0.0.1:%d" % port
            amber = plain + "/.well-known/csaf/amber/csaf-feed-tlp-amber.json"
            meta = json.loads(json.dumps(p.metadata).replace(p.origin, plain))
            meta["distributions"][0]["rolie"]["feeds"].append(
                {"summary": "TLP:AMBER advisories", "tlp_label": "AMBER", "url": amber})
            os.makedirs(os.path.join(www, ".well-known", "csaf", "amber"))
            with open(os.path.join(www, ".well-known", "csaf", "amber",
                                   "csaf-feed-tlp-amber.json"), "w") as f:
                json.dump({"feed": {"id": "provider-example-amber", "title": "AMBER",
                                    "link": [{"rel": "self", "href": amber}],
                                    "category": [{"scheme": "urn:ietf:params:rolie:category:"
                                                            "information-type",
                                                  "term": "csaf"}],
                                    "updated": "2024-01-01T00:00:00Z", "entry": []}}, f)
            for d, _, files in os.walk(www):
                for name in files:
                    path = os.path.join(d, name)
                    if name.endswith(".json") and "/20" not in path[len(www):]:
                        with open(path) as f:
                            text = f.read()
                        with open(path, "w") as f:
                            f.write(text.replace(p.origin, plain))
            with open(os.path.join(www, ".well-known", "csaf", "provider-metadata.json"),
                      "w") as f:
                json.dump(meta, f)
            source = "csaf=" + plain
            note = ("feed %s skipped: TLP:AMBER feed: no credentials are set for its origin %s "
                    "(ermes csaf credentials set)" % (amber, plain))

            def sources():
                rc, out, err = b.cli("vulns", "sources")
                return out

            def row():
                rows = [r for r in b.ok("GET", "/api/v1/vulnerabilities/sources")["data"]
                        if r["source"] == source]
                return rows[0] if rows else None

            b.restart(env={"ERMES_VULN_SOURCES": source, "ERMES_VULN_SYNC_INTERVAL": "1"})
            wait_until(lambda: note in sources(), timeout=90, what="the skipped feed recorded")
            r = row()
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["skipped"], [{"feed": amber, "reason": note.split(" skipped: ")[1]}],
                             r)
            # The sources are the CERT's own: staff only.
            _, ana = b.user_token("src-viewer", "constituent", org="DG-DIGIT")
            s, _, e = b.request("GET", "/api/v1/vulnerabilities/sources", token=ana)
            self.assertEqual(s, 403, e)
            with open(access.name) as f:
                self.assertNotIn("/amber/", f.read())

            rc, out, err = b.cli("csaf", "credentials", "set", plain, "--header",
                                 "Authorization: Bearer amber-reader")
            self.assertEqual(rc, 0, out + err)
            wait_until(lambda: (row() or {}).get("skipped") == [], timeout=90,
                       what="the note cleared once the feed is read")
            self.assertNotIn("skipped", sources())
            with open(access.name) as f:
                self.assertIn("GET /.well-known/csaf/amber/csaf-feed-tlp-amber.json", f.read())
        finally:
            srv.kill()
            srv.wait()
            srv.stdout.close()
            access.close()
            p.close()
            b.cli("csaf", "credentials", "delete", "http://127.0.0.1:%d" % port)
            self.b.restart(env={"ERMES_VULN_SOURCES": "", "ERMES_VULN_SYNC_INTERVAL": "0"})

    def test_4_local_files(self):
        """Local files: a later version replaces what the first said, an older one read after it
        does not; an invalid one is refused naming the test."""
        with open(os.path.join(EXAMPLES, "bsi-2022-0001.json")) as f:
            v1 = json.load(f)
        v2 = json.loads(json.dumps(v1))
        v2["document"]["tracking"]["version"] = "2"
        v2["document"]["tracking"]["current_release_date"] = "2023-01-01T00:00:00.000Z"
        v2["document"]["tracking"]["revision_history"].append(
            {"date": "2023-01-01T00:00:00.000Z", "number": "2", "summary": "Title."})
        v2["vulnerabilities"][0]["title"] = "XXE in the converter"
        bad = json.loads(json.dumps(v1))
        bad["vulnerabilities"][0]["cve"] = "CVE-2022-0"
        d = os.path.join(self.tmp, "local")
        os.makedirs(os.path.join(d, "2022"))
        paths = {}
        # read in name order: the newer version first, the older one after it
        for name, doc in (("v1", v1), ("0-v2", v2), ("bad", bad)):
            paths[name] = os.path.join(d, "2022", name + ".json")
            with open(paths[name], "w") as f:
                json.dump(doc, f)
        rc, out, err = self.cli("csaf", "import", "--no-warn", paths["0-v2"])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("1 documents, 1 imported, 0 refused", out)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/CVE-2022-27193")
        self.assertIn("BSI-2022-0001 2", v["csaf_source"])
        rc, out, err = self.cli("csaf", "import", "--no-warn", d)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("refused: %s: fails " % paths["bad"], out)
        self.assertIn("3 documents, 2 imported, 1 refused", out)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/CVE-2022-27193")
        self.assertIn("BSI-2022-0001 2", v["csaf_source"])
        self.assertEqual(v["csaf"]["vulnerabilities"][0]["title"], "XXE in the converter")
        self.assertEqual(self.b.request("GET", "/api/v1/vulnerabilities/CVE-2022-0")[0], 404)
        # TLP: a RED document's CVE is the CERT's alone: staff see it, a constituent does not,
        # and it warns nobody, even a constituent running the affected product
        red = json.loads(json.dumps(v1))
        red["document"]["tracking"]["id"] = "RED-1"
        red["document"]["distribution"]["tlp"]["label"] = "RED"
        red["vulnerabilities"][0]["cve"] = "CVE-2022-99999"
        paths["red"] = os.path.join(self.tmp, "red-1.json")
        with open(paths["red"], "w") as f:
            json.dump(red, f)
        rc, out, err = self.cli("assets", "add", "--org", "UP", "--cpe",
                                "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-dev2:*:*:*:*:*:*:*")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.cli("csaf", "import", paths["red"])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("1 vulnerabilities, 1 changed, 0 new asset warnings, 0 notifications", out)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/CVE-2022-99999")
        self.assertEqual(v["tlp"], "RED")
        _, up = self.b.user_token("up-csaf", "constituent", org="UP")
        self.assertEqual(self.b.request("GET", "/api/v1/vulnerabilities/CVE-2022-99999",
                                        token=up)[0], 404)
        self.assertEqual(self.b.request("GET", "/api/v1/vulnerabilities/CVE-2022-27193",
                                        token=up)[0], 200)
        listed = [x["cve"] for x in self.b.list_all("/api/v1/vulnerabilities", token=up)]
        self.assertIn("CVE-2022-27193", listed)
        self.assertNotIn("CVE-2022-99999", listed)
        # a CSAF document is not read by guessing its kind
        rc, out, err = self.cli("vulns", "import", paths["v1"])
        self.assertEqual(rc, 1, out + err)
        self.assertIn("ermes csaf import", err)


    def test_5_several_providers(self):
        """Two providers on one CVE, each naming its own product: both statements are kept and
        matched (a constituent running either product is warned), both listed in the
        vulnerability's csaf_sources (csaf_source the latest); a later version of one
        provider's document replaces that provider's statement only."""
        cve = "CVE-2024-00710"
        docs = {}
        for n, ns in ((71, "https://a.example"), (72, "https://b.example")):
            doc = advisory(n)
            doc["document"]["publisher"]["namespace"] = ns
            doc["document"]["tracking"]["id"] = "PROV-%d" % n
            doc["vulnerabilities"] = doc["vulnerabilities"][:1]
            doc["vulnerabilities"][0]["cve"] = cve
            docs[n] = doc
        d = os.path.join(self.tmp, "providers")
        os.makedirs(d)
        paths = {}
        for n, doc in docs.items():
            paths[n] = os.path.join(d, "prov-%d.json" % n)
            with open(paths[n], "w") as f:
                json.dump(doc, f)
        for n in (71, 72):
            rc, out, err = self.cli("csaf", "import", "--no-warn", paths[n])
            self.assertEqual(rc, 0, out + err)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/" + cve)
        self.assertIn("PROV-72", v["csaf_source"])
        self.assertEqual(sorted((x["namespace"], x["tracking_id"]) for x in v["csaf_sources"]),
                         [("https://a.example", "PROV-71"), ("https://b.example", "PROV-72")])
        self.assertEqual(v["csaf_sources"][0]["tracking_id"], "PROV-72")
        # Each provider's platform run by a constituent: both warned.
        assets = {}
        for org, n in (("UP", 71), ("UCM", 72)):
            a = self.b.ok("POST", "/api/v1/assets",
                          {"org": org, "cpe": "cpe:2.3:o:example:platform_%d:1.0:*:*:*:*:*:*:*"
                           % n}, expect=201)
            assets[n] = a["id"]
        rc, out, err = self.cli("vulns", "match")
        self.assertEqual(rc, 0, out + err)

        def warned(n):
            a = self.b.ok("GET", "/api/v1/assets/%d" % assets[n])
            return cve in [x["cve"] for x in a["vulnerabilities"]]

        wait_until(lambda: warned(71) and warned(72), timeout=60, interval=0.3,
                   what="both providers' constituents warned")
        # Provider A's later version: A's statement is replaced, B's stays.
        a2 = json.loads(json.dumps(docs[71]))
        a2["document"]["tracking"]["version"] = "3"
        a2["document"]["tracking"]["current_release_date"] = "2030-01-01T00:00:00.000Z"
        a2["document"]["tracking"]["revision_history"].append(
            {"date": "2030-01-01T00:00:00.000Z", "number": "3", "summary": "Fixed."})
        a2["vulnerabilities"][0]["title"] = "revised by A"
        with open(paths[71], "w") as f:
            json.dump(a2, f)
        rc, out, err = self.cli("csaf", "import", "--no-warn", paths[71])
        self.assertEqual(rc, 0, out + err)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/" + cve)
        self.assertEqual(sorted((x["tracking_id"], x["version"]) for x in v["csaf_sources"]),
                         [("PROV-71", "3"), ("PROV-72", "2")])
        self.assertIn("PROV-71 3", v["csaf_source"])
        # ... and the first version read again after it changes nothing.
        with open(paths[71], "w") as f:
            json.dump(docs[71], f)
        rc, out, err = self.cli("csaf", "import", "--no-warn", paths[71])
        self.assertEqual(rc, 0, out + err)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/" + cve)
        self.assertIn(("PROV-71", "3"), [(x["tracking_id"], x["version"])
                                         for x in v["csaf_sources"]])
        self.assertEqual(len(v["csaf_sources"]), 2)

    def test_6_one_provider_two_documents(self):
        """Two documents of one provider (one publisher namespace, two tracking ids) on one
        CVE, each naming its own product: both statements are kept and matched, listed in
        csaf_sources; a later revision of one replaces only its own."""
        cve = "CVE-2024-00730"
        ns = "https://one.example"
        docs = {}
        for n in (73, 74):
            doc = advisory(n)
            doc["document"]["publisher"]["namespace"] = ns
            doc["document"]["tracking"]["id"] = "ONE-%d" % n
            doc["vulnerabilities"] = doc["vulnerabilities"][:1]
            doc["vulnerabilities"][0]["cve"] = cve
            docs[n] = doc
        d = os.path.join(self.tmp, "one-provider")
        os.makedirs(d)
        paths = {}
        for n, doc in docs.items():
            paths[n] = os.path.join(d, "one-%d.json" % n)
            with open(paths[n], "w") as f:
                json.dump(doc, f)
            rc, out, err = self.cli("csaf", "import", "--no-warn", paths[n])
            self.assertEqual(rc, 0, out + err)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/" + cve)
        self.assertEqual(sorted((x["namespace"], x["tracking_id"]) for x in v["csaf_sources"]),
                         [(ns, "ONE-73"), (ns, "ONE-74")])
        self.assertEqual(v["csaf_sources"][0]["tracking_id"], "ONE-74")
        # Each document's platform run by a constituent: both warned.
        assets = {}
        for org, n in (("UP", 73), ("UCM", 74)):
            a = self.b.ok("POST", "/api/v1/assets",
                          {"org": org, "cpe": "cpe:2.3:o:example:platform_%d:1.0:*:*:*:*:*:*:*"
                           % n}, expect=201)
            assets[n] = a["id"]
        rc, out, err = self.cli("vulns", "match")
        self.assertEqual(rc, 0, out + err)

        def warned(n):
            a = self.b.ok("GET", "/api/v1/assets/%d" % assets[n])
            return cve in [x["cve"] for x in a["vulnerabilities"]]

        wait_until(lambda: warned(73) and warned(74), timeout=60, interval=0.3,
                   what="the constituents of both documents warned")
        # A later revision of ONE-73: its statement replaced, ONE-74's kept.
        r2 = json.loads(json.dumps(docs[73]))
        r2["document"]["tracking"]["version"] = "3"
        r2["document"]["tracking"]["current_release_date"] = "2030-01-01T00:00:00.000Z"
        r2["document"]["tracking"]["revision_history"].append(
            {"date": "2030-01-01T00:00:00.000Z", "number": "3", "summary": "Fixed."})
        with open(paths[73], "w") as f:
            json.dump(r2, f)
        rc, out, err = self.cli("csaf", "import", "--no-warn", paths[73])
        self.assertEqual(rc, 0, out + err)
        v = self.b.ok("GET", "/api/v1/vulnerabilities/" + cve)
        self.assertEqual(sorted((x["tracking_id"], x["version"]) for x in v["csaf_sources"]),
                         [("ONE-73", "3"), ("ONE-74", docs[74]["document"]["tracking"]
                                            ["version"])])
        self.assertEqual(v["csaf_sources"][0]["tracking_id"], "ONE-73")


if __name__ == "__main__":
    main()
