"""GeoIP enrichment at intake (src/intake/geoip.c) with two tiny MaxMind DB files this test
builds with tests/data/geoip/make-test-mmdb.pl (documentation ranges only): a Shadowserver
report whose rows lack ASN and country gets source.asn, source.as_name, source.network and
source.geolocation.* from the databases; rows that carry their own ASN or country keep them;
the ASN found decides the owner of an address no constituent's network covers; a database
file replaced while the daemon runs is taken, a broken replacement is logged and the old one
kept; a missing database stops `ermes serve` and `ermes ingest` with a clear message.

The databases (make-test-mmdb.pl): 192.0.2.0/24 AS64496 "Example Net One" NL Amsterdam;
198.51.100.0/25 AS64497 and 198.51.100.0/24 DE (no city); 203.0.113.0/24 AS64498 JP Tokyo;
2001:db8::/32 AS64499 "Example Net Six" FR Paris. With --variant 2, 192.0.2.0/24 is AS64510
"Replacement Net". In the demo constituency AS64499 is UCB's, and 2001:db8:900::/48 is in
nobody's networks."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main, wait_until  # noqa: E402
from test_intake import ADB_FILE, ADB_HEADER  # noqa: E402

REPORTS = "/api/v1/reports"
EVENTS = "/api/v1/events"
MAKE = os.path.join(SOURCE_DIR, "tests", "data", "geoip", "make-test-mmdb.pl")


def make_dbs(directory, variant=1):
    subprocess.run(["perl", MAKE, directory, "--variant", str(variant)], check=True,
                   timeout=120)


def row(ts, ip, asn="", geo="", city=""):
    """A scan_adb row; empty asn/geo/city columns say nothing."""
    return ('"%s","%s","tcp",5555,"","adb",%s,"%s","","%s",518210,737415,"n","m","d",,,,,,\n'
            % (ts, ip, asn, geo, city))


class GeoipTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.db_dir = tempfile.mkdtemp(prefix="ermes-geoip-")
        make_dbs(cls.db_dir)
        cls.asn_db = os.path.join(cls.db_dir, "test-asn.mmdb")
        cls.city_db = os.path.join(cls.db_dir, "test-city.mmdb")
        cls.env = {"ERMES_GEOIP_ASN_DB": cls.asn_db, "ERMES_GEOIP_COUNTRY_DB": cls.city_db}
        try:
            cls.e = Ermes(demo=True, env=cls.env)
        except BaseException:
            shutil.rmtree(cls.db_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
        finally:
            shutil.rmtree(cls.db_dir, ignore_errors=True)

    def upload(self, rows):
        body = (ADB_HEADER + "".join(rows)).encode()
        r = self.e.ok("POST", REPORTS + "?feed=shadowserver&wait=true&file_name=" + ADB_FILE,
                      body, content_type="text/csv", expect=201)
        self.assertEqual(r["state"], "done", r)
        self.assertEqual(r["accounting"]["quarantined"], 0, r)
        return r

    def by_ip(self, report):
        items = self.e.list_all(EVENTS + "?report=%d" % report["id"], limit=1000)
        return {it["event"]["source.ip"]: it for it in items}

    def test_enrichment(self):
        r = self.upload([
            row("2026-02-01 01:00:00", "192.0.2.10"),
            row("2026-02-01 01:00:00", "198.51.100.7"),
            row("2026-02-01 01:00:00", "198.51.100.200"),
            row("2026-02-01 01:00:00", "203.0.113.9", asn="65000", geo="AT", city="Vienna"),
            row("2026-02-01 01:00:00", "203.0.113.10", asn="64498"),
            row("2026-02-01 01:00:00", "2001:db8:900::1"),
            row("2026-02-01 01:00:00", "100.64.1.1"),
        ])
        ev = {ip: it["event"] for ip, it in self.by_ip(r).items()}
        self.assertEqual(len(ev), 7, ev)

        e = ev["192.0.2.10"]
        self.assertEqual(e["source.asn"], 64496)
        self.assertEqual(e["source.as_name"], "Example Net One")
        self.assertEqual(e["source.network"], "192.0.2.0/24")
        self.assertEqual(e["source.geolocation.cc"], "NL")
        self.assertEqual(e["source.geolocation.city"], "Amsterdam")
        self.assertAlmostEqual(e["source.geolocation.latitude"], 52.374, places=6)
        self.assertAlmostEqual(e["source.geolocation.longitude"], 4.8897, places=6)

        # The AS covers half the /24, the country all of it; no city in the database.
        e = ev["198.51.100.7"]
        self.assertEqual((e["source.asn"], e["source.network"]), (64497, "198.51.100.0/25"))
        self.assertEqual(e["source.geolocation.cc"], "DE")
        self.assertNotIn("source.geolocation.city", e)
        e = ev["198.51.100.200"]
        self.assertNotIn("source.asn", e)
        self.assertNotIn("source.as_name", e)
        self.assertEqual(e["source.geolocation.cc"], "DE")

        # The feed's own ASN and country stay, and nothing about another AS or country is
        # paired with them.
        e = ev["203.0.113.9"]
        self.assertEqual(e["source.asn"], 65000)
        self.assertEqual(e["source.geolocation.cc"], "AT")
        self.assertEqual(e["source.geolocation.city"], "Vienna")
        self.assertNotIn("source.as_name", e)
        self.assertNotIn("source.network", e)
        self.assertNotIn("source.geolocation.latitude", e)
        # The feed's ASN is the database's: the name is added.
        e = ev["203.0.113.10"]
        self.assertEqual(e["source.asn"], 64498)
        self.assertEqual(e["source.as_name"], "Example Net Three")
        self.assertEqual(e["source.geolocation.cc"], "JP")

        e = ev["2001:db8:900::1"]
        self.assertEqual(e["source.asn"], 64499)
        self.assertEqual(e["source.as_name"], "Example Net Six")
        self.assertEqual(e["source.network"], "2001:db8::/32")
        self.assertEqual(e["source.geolocation.cc"], "FR")
        self.assertEqual(e["source.geolocation.city"], "Paris")

        # Outside the databases: nothing added.
        e = ev["100.64.1.1"]
        for f in ("source.asn", "source.as_name", "source.network", "source.geolocation.cc"):
            self.assertNotIn(f, e)

    def test_asn_found_decides_owner(self):
        # No constituent's network covers 2001:db8:900::/48; the ASN the database gives,
        # AS64499, is UCB's.
        r = self.upload([row("2026-02-02 01:00:00", "2001:db8:900::7")])
        it = self.by_ip(r)["2001:db8:900::7"]
        self.assertEqual(it["event"]["constituency"], "UCB")
        one = self.e.ok("GET", "%s/%d" % (EVENTS, it["id"]), expect=200)
        self.assertEqual(one["owner_rule"], "asn")

    def test_replaced_database(self):
        # A fresh directory, so the other tests keep the first databases.
        d = tempfile.mkdtemp(prefix="ermes-geoip-")
        try:
            make_dbs(d)
            env = {"ERMES_GEOIP_ASN_DB": os.path.join(d, "test-asn.mmdb"),
                   "ERMES_GEOIP_COUNTRY_DB": os.path.join(d, "test-city.mmdb")}
            with Ermes(demo=True, env=env) as e:
                self._replaced(e, d)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def _replaced(self, e, d):
        n = [0]

        def asn_now():
            # A new row each time (dedup would hide a repeat); the daemon checks the files
            # at most once a second, so this polls.
            n[0] += 1
            body = (ADB_HEADER + row("2026-02-03 01:00:%02d" % (n[0] % 60), "192.0.2.%d"
                                     % (n[0] % 250 + 1))).encode()
            r = e.ok("POST", REPORTS + "?feed=shadowserver&wait=true&file_name=" + ADB_FILE,
                     body, content_type="text/csv", expect=201)
            items = e.list_all(EVENTS + "?report=%d" % r["id"], limit=10)
            self.assertEqual(len(items), 1, r)
            return items[0]["event"]

        self.assertEqual(asn_now()["source.asn"], 64496)
        make_dbs(d, variant=2)
        ev = wait_until(lambda: (lambda x: x if x.get("source.asn") == 64510 else None)(
            asn_now()), timeout=60, what="the replaced ASN database in use")
        self.assertEqual(ev["source.as_name"], "Replacement Net")

        # A broken file renamed over it: logged, and the database in use stays.
        tmp = os.path.join(d, ".broken")
        with open(tmp, "w") as f:
            f.write("not a MaxMind DB\n")
        os.rename(tmp, os.path.join(d, "test-asn.mmdb"))
        wait_until(lambda: asn_now() and "stays in use" in e.log(), timeout=60,
                   what="the broken database reported in the log")
        self.assertIn("geoip_asn_db", e.log())
        self.assertEqual(asn_now()["source.asn"], 64510)

    def test_missing_database(self):
        missing = os.path.join(self.db_dir, "no-such.mmdb")
        with Ermes(demo=False, start=False) as e:
            with self.assertRaises(Exception) as cm:
                e.start(env={"ERMES_GEOIP_ASN_DB": missing})
            self.assertIn("geoip_asn_db", str(cm.exception))
            self.assertIn(missing, str(cm.exception))
            self.assertFalse(e.running())
            # The CLI refuses the same way, before anything is received.
            rc, out, err = e.cli("ingest", "--feed", "shadowserver", "--file-name", ADB_FILE,
                                 "-", input=ADB_HEADER + row("2026-02-04 01:00:00",
                                                             "192.0.2.1"),
                                 env={"ERMES_GEOIP_COUNTRY_DB": missing})
            self.assertNotEqual(rc, 0)
            self.assertIn("geoip_country_db", err)
            self.assertIn(missing, err)
            self.assertIn("No such file", err)
            rc, out, err = e.cli("reports", "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.strip(), "", "a report was received: %s" % out)


if __name__ == "__main__":
    main()
