"""Warninglists on by default (issue 15 item 7): the MISP warninglists of
../shared/conformance/misp-warninglists/ ship with ermes and are in force from the first start;
an indicator on one is reported and not stored unless forced; the hashes of the empty file are
never live by default; each list is switched on or off by the API (kept across restarts), the
CLI or the warninglists_off setting; a newer file dropped into DATA_DIR/warninglists/ replaces
a shipped list, an older one does not, an unreadable one is listed with its error."""

import glob
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, assert_error, main, wait_until  # noqa: E402

SHARED = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "misp-warninglists", "lists")
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def shared_lists():
    """{id: list.json document} of the warninglists in ../shared, which ermes must ship."""
    out = {}
    for path in glob.glob(os.path.join(SHARED, "*", "list.json")):
        with open(path) as f:
            out[os.path.basename(os.path.dirname(path))] = json.load(f)
    if not out:
        raise RuntimeError("no warninglists under %s" % SHARED)
    return out


class Shipped(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Every list on, as a deployment has them: no warninglists_off.
        cls.e = Ermes(start=False)
        conf = os.path.join(cls.e.dir, "ermes.conf")
        with open(conf) as f:
            kept = [line for line in f if not line.startswith("warninglists_off")]
        with open(conf, "w") as f:
            f.writelines(kept)
        cls.e.start()
        cls.analyst, cls.analyst_tok = cls.e.user_token("ana", "analyst")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def lists(self):
        return {w["id"]: w for w in self.e.ok("GET", "/api/v1/warninglists")["data"]}

    def test_every_shared_list_ships_and_loads(self):
        have = self.lists()
        for ident, doc in shared_lists().items():
            with self.subTest(ident):
                self.assertIn(ident, have)
                w = have[ident]
                self.assertIsNone(w["error"])
                self.assertTrue(w["enabled"])
                self.assertEqual(w["origin"], "builtin")
                self.assertEqual(w["name"], doc["name"])
                self.assertEqual(w["version"], doc.get("version", 0))
                self.assertEqual(w["type"], doc.get("type", "string"))
                # Entries: as many as the file has (a hostname or cidr list merges none).
                self.assertEqual(w["entries"], len(doc["list"]), ident)
        self.assertTrue(have["empty-file-hashes"]["enabled"])

    def test_on_a_list_is_reported_not_stored_unless_forced(self):
        e = self.e
        # A public resolver, a top site, the empty file's hash: each on a shipped list.
        for value, typ in (("8.8.8.8", "ipv4"), ("google.com", "domain"),
                           (EMPTY_SHA256, "sha256"), (EMPTY_MD5, "md5")):
            with self.subTest(value):
                s, _, b = e.request("POST", "/api/v1/indicators", {"type": typ, "value": value})
                assert_error(self, s, b, 422, "suppressed", "value")
                self.assertIn("warninglist", b["error"]["message"])
        # In a bulk import the others are stored and the suppressed ones listed.
        r = e.ok("POST", "/api/v1/indicators", b"8.8.4.4\nunlisted-evil-host.example\n",
                 content_type="text/plain", expect=200)
        self.assertEqual((r["added"], r["suppressed"]), (1, 1), r)
        self.assertEqual(r["suppressed_values"][0]["value"], "8.8.4.4")
        values = [i["value"] for i in e.list_all("/api/v1/indicators", limit=1000)]
        self.assertNotIn("8.8.4.4", values)
        self.assertNotIn(EMPTY_SHA256, values)
        # Forced: stored, and the audit log says so.
        i = e.ok("POST", "/api/v1/indicators?force=true", {"type": "ipv4", "value": "8.8.8.8"},
                 expect=201)
        self.assertEqual(i["value"], "8.8.8.8")
        audit = e.list_all("/api/v1/audit", limit=1000)
        self.assertTrue(any(a["action"] == "force" and a["object_type"] == "indicator"
                            for a in audit), audit[-5:])
        s, _, b = e.request("POST", "/api/v1/indicators?force=maybe", {"value": "1.0.0.1"})
        assert_error(self, s, b, 400, "bad_request", "force")

    def test_switch_by_api_survives_a_restart(self):
        e = self.e
        s, _, b = e.request("PATCH", "/api/v1/warninglists/public-dns-v4", {"enabled": False},
                            token=self.analyst_tok)
        assert_error(self, s, b, 403)
        w = e.ok("PATCH", "/api/v1/warninglists/public-dns-v4", {"enabled": False})
        self.assertEqual((w["enabled"], w["switched_by"]), (False, "api"))
        # 9.9.9.9 (Quad9) is on public-dns-v4 alone among the shipped lists.
        owners = [k for k, doc in shared_lists().items() if "9.9.9.9" in doc["list"]]
        self.assertEqual(owners, ["public-dns-v4"])
        e.ok("POST", "/api/v1/indicators", {"type": "ipv4", "value": "9.9.9.9"}, expect=201)
        e.restart()
        self.assertFalse(self.lists()["public-dns-v4"]["enabled"])
        e.ok("PATCH", "/api/v1/warninglists/public-dns-v4", {"enabled": True})
        s, _, b = e.request("POST", "/api/v1/indicators", {"type": "ipv4", "value": "9.9.9.10"})
        assert_error(self, s, b, 422, "suppressed", "value")
        audit = e.list_all("/api/v1/audit", limit=1000)
        self.assertTrue(any(a["action"] == "update" and a["object_type"] == "warninglist"
                            for a in audit))
        for body, field in (({"enabled": "no"}, "enabled"), ({"on": True}, "on")):
            s, _, b = e.request("PATCH", "/api/v1/warninglists/public-dns-v4", body)
            assert_error(self, s, b, 422, "invalid", field)
        s, _, b = e.request("PATCH", "/api/v1/warninglists/no-such-list", {"enabled": False})
        assert_error(self, s, b, 404)


class Sources(unittest.TestCase):
    """The data directory's files and the setting, read when the daemon starts."""

    def test_data_dir_replaces_adds_and_reports(self):
        e = Ermes(start=False)
        try:
            d = os.path.join(e.dir, "warninglists")
            os.makedirs(d)
            # A newer akamai list replaces the shipped one; an older alexa one does not.
            with open(os.path.join(d, "akamai.json"), "w") as f:
                json.dump({"name": "Akamai, updated", "version": 99999999, "type": "cidr",
                           "list": ["192.0.2.0/28"]}, f)
            with open(os.path.join(d, "alexa.json"), "w") as f:
                json.dump({"name": "Alexa, stale", "version": 1, "type": "hostname",
                           "list": ["stale.example"]}, f)
            with open(os.path.join(d, "our-own.json"), "w") as f:
                json.dump({"name": "Our partners", "version": 1, "type": "string",
                           "list": ["partner-portal.example"]}, f)
            with open(os.path.join(d, "broken.json"), "w") as f:
                f.write("{not json")
            e.start()
            have = {w["id"]: w for w in e.ok("GET", "/api/v1/warninglists")["data"]}
            self.assertEqual((have["akamai"]["name"], have["akamai"]["origin"],
                              have["akamai"]["entries"]), ("Akamai, updated", "data_dir", 1))
            self.assertEqual(have["alexa"]["origin"], "builtin")
            self.assertEqual(have["our-own"]["origin"], "data_dir")
            self.assertIsNotNone(have["broken"]["error"])
            self.assertFalse(any(w["error"] for k, w in have.items() if k != "broken"))
            s, _, b = e.request("POST", "/api/v1/indicators",
                                {"type": "domain", "value": "partner-portal.example"})
            assert_error(self, s, b, 422, "suppressed", "value")
            # The CLI sees the same lists, and the setting turns one off.
            rc, out, err = e.cli("warninglists", "--json")
            self.assertEqual(rc, 0, err)
            rows = {json.loads(line)["id"]: json.loads(line) for line in out.splitlines()}
            self.assertEqual(rows["akamai"]["origin"], "data_dir")
            rc, out, err = e.cli("indicators", "add", "domain", "partner-portal.example")
            self.assertNotEqual(rc, 0)
            self.assertIn("not stored", err)
            rc, out, err = e.cli("indicators", "add", "domain", "partner-portal.example",
                                 "--force")
            self.assertEqual(rc, 0, err)
            rc, out, err = e.cli("warninglists", "off", "our-own")
            self.assertEqual(rc, 0, err)
            rc, out, err = e.cli("warninglists", "off", "nope")
            self.assertEqual(rc, 1)
            e.restart(extra_args=["--warninglists-off", "alexa"])
            have = {w["id"]: w for w in e.ok("GET", "/api/v1/warninglists")["data"]}
            self.assertFalse(have["our-own"]["enabled"])
            self.assertEqual(have["our-own"]["switched_by"], "api")
            self.assertFalse(have["alexa"]["enabled"])
            self.assertEqual(have["alexa"]["switched_by"], "setting")
        finally:
            e.close()


def eve(dest):
    """One Suricata flow record towards dest, seen now."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (json.dumps({"timestamp": now, "event_type": "flow", "src_ip": "10.20.3.3",
                        "dest_ip": dest, "host": "s1"}) + "\n").encode()


class Reload(unittest.TestCase):
    """Files dropped into DATA_DIR/warninglists/ while the daemon runs: read again within
    seconds, without a restart; the stored indicators they cover stop matching (forced ones
    go on); a broken file is reported and the version read before stays in force."""

    def setUp(self):
        self.e = Ermes()
        self.dir = os.path.join(self.e.dir, "warninglists")
        os.makedirs(self.dir, exist_ok=True)

    def tearDown(self):
        self.e.close()

    def drop(self, name, doc):
        # Written whole then renamed, as an operator's copy lands.
        tmp = os.path.join(self.e.dir, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        os.rename(tmp, os.path.join(self.dir, name))

    def lists(self):
        return {w["id"]: w for w in self.e.ok("GET", "/api/v1/warninglists")["data"]}

    def sightings(self, ip):
        r = self.e.ok("POST", "/api/v1/logs?format=eve&source=wl-%d" % time.monotonic_ns(),
                      eve(ip), content_type="application/octet-stream")
        return r["sightings"]

    def test_dropped_file_is_in_force_without_a_restart(self):
        e = self.e
        pid = e.proc.pid
        ind = e.ok("POST", "/api/v1/indicators", {"type": "ipv4", "value": "203.0.113.77"},
                   expect=201)
        self.assertIsNone(e.ok("GET", "/api/v1/indicators/%d" % ind["id"])["warninglist"])
        self.assertEqual(self.sightings("203.0.113.77"), 1)

        # A list covering it dropped in: within the deadline it is on it and no longer matched.
        self.drop("reload-test.json", {"name": "Reload test", "version": 1, "type": "cidr",
                                       "list": ["203.0.113.64/26"]})
        wait_until(lambda: e.ok("GET", "/api/v1/indicators/%d" % ind["id"])["warninglist"]
                   == "Reload test", timeout=60, what="the dropped list in force")
        w = self.lists()["reload-test"]
        self.assertEqual((w["origin"], w["entries"], w["enabled"], w["error"]),
                         ("data_dir", 1, True, None))
        self.assertEqual(self.sightings("203.0.113.77"), 0)
        # A new indicator on it is refused, as at a start; forced, it is stored and matched.
        s, _, b = e.request("POST", "/api/v1/indicators", {"type": "ipv4",
                                                          "value": "203.0.113.78"})
        assert_error(self, s, b, 422, "suppressed", "value")
        forced = e.ok("POST", "/api/v1/indicators?force=true",
                      {"type": "ipv4", "value": "203.0.113.80"}, expect=201)
        self.assertEqual(self.sightings("203.0.113.80"), 1)
        self.assertIsNone(e.ok("GET", "/api/v1/indicators/%d" % forced["id"])["warninglist"])

        # A newer version of a shipped list replaces it (the test config turns the shipped lists
        # off, so the switch says nothing here; the version and origin do).
        shipped = self.lists()["akamai"]
        self.drop("akamai.json", {"name": "Akamai, updated live", "version": 99999999,
                                  "type": "cidr", "list": ["192.0.2.0/28"]})
        wait_until(lambda: self.lists()["akamai"]["origin"] == "data_dir", timeout=60,
                   what="the newer akamai list")
        w = self.lists()["akamai"]
        self.assertEqual((w["name"], w["version"], w["entries"]),
                         ("Akamai, updated live", 99999999, 1))
        self.assertNotEqual(shipped["version"], w["version"])

        # A broken file: reported (API and log), the version read before stays in force.
        self.drop("reload-test.json", "{not json")
        wait_until(lambda: self.lists()["reload-test"]["error"], timeout=60,
                   what="the broken file reported")
        w = self.lists()["reload-test"]
        self.assertEqual((w["name"], w["entries"], w["enabled"]), ("Reload test", 1, True))
        self.assertIn("JSON", w["error"])
        self.assertEqual(e.ok("GET", "/api/v1/indicators/%d" % ind["id"])["warninglist"],
                         "Reload test")
        self.assertEqual(self.sightings("203.0.113.77"), 0)
        wait_until(lambda: "reload-test" in e.log() and "stays in force" in e.log(), timeout=60,
                   what="the broken file in the log")

        # Removed: the indicator matches again. All along, the same daemon.
        os.unlink(os.path.join(self.dir, "reload-test.json"))
        wait_until(lambda: "reload-test" not in self.lists(), timeout=60,
                   what="the removed list gone")
        wait_until(lambda: e.ok("GET", "/api/v1/indicators/%d" % ind["id"])["warninglist"]
                   is None, timeout=60, what="the indicator off the list")
        self.assertEqual(self.sightings("203.0.113.77"), 1)
        self.assertEqual(e.proc.pid, pid)

if __name__ == "__main__":
    main()
