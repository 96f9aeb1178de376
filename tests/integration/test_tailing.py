"""The daemon follows the logs of detect_logs: a Suricata EVE file and a Zeek dns log are
matched as they grow against the stored indicators (one added through the API applies to the
next lines), the sightings appear in GET /api/v1/sightings with field, log, offset and
constituent, a rotated file is followed into its successor, and a restart neither misses nor
duplicates a sighting."""

import json
import os
import shutil
import tempfile
import unittest

from ermeslib import Ermes, main, wait_until

ZEEK_HEAD = (
    "#separator \\x09\n"
    "#set_separator\t,\n"
    "#empty_field\t(empty)\n"
    "#unset_field\t-\n"
    "#path\tdns\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
)


def eve(src, rrname, host="sensor-t"):
    return json.dumps({"timestamp": "2026-05-02T10:00:00.000000+0000", "event_type": "dns",
                       "src_ip": src, "src_port": 5353, "dest_ip": "192.0.2.53",
                       "dest_port": 53, "proto": "UDP", "host": host,
                       "dns": {"type": "query", "rrname": rrname, "rrtype": "A"}}) + "\n"


def zeek(src, query):
    return "1714644000.000000\tCz\t%s\t40000\t192.0.2.53\t53\tudp\t%s\n" % (src, query)


def append(path, text):
    with open(path, "a") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


class Tailing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.logs = tempfile.mkdtemp(prefix="ermes-tail-")
        cls.eve = os.path.join(cls.logs, "eve.json")
        cls.dns = os.path.join(cls.logs, "dns.log")
        # Lines there before the daemon starts are read too (nothing matches yet).
        append(cls.eve, eve("10.20.0.9", "harmless.example"))
        append(cls.dns, ZEEK_HEAD)
        cls.e = Ermes(start=False, env={
            "ERMES_DETECT_LOGS": "eve:%s,zeek:%s" % (cls.eve, cls.dns)})
        cls.e.start()
        cls.acme = cls.e.ok("POST", "/api/v1/organisations",
                            {"short_name": "acme", "name": "ACME",
                             "networks": ["10.20.0.0/16"]}, expect=201)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        shutil.rmtree(cls.logs, ignore_errors=True)

    def sightings(self, value):
        return [s for s in self.e.list_all("/api/v1/sightings") if s["value"] == value]

    def wait_sightings(self, value, n):
        wait_until(lambda: len(self.sightings(value)) >= n, timeout=20,
                   what="%d sighting(s) of %s" % (n, value))
        return self.sightings(value)

    def test_1_follow_eve_and_zeek(self):
        e = self.e
        ind = e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "tail-evil.eu"},
                   expect=201)
        before = os.path.getsize(self.eve)
        line = eve("10.20.0.5", "www.tail-evil.eu")
        append(self.eve, line)
        zbefore = os.path.getsize(self.dns)
        append(self.dns, zeek("10.20.0.6", "cdn.tail-evil.eu"))
        got = self.wait_sightings("www.tail-evil.eu", 1)
        self.assertEqual(len(got), 1)
        s = got[0]
        self.assertEqual(s["indicator_id"], ind["id"])
        self.assertEqual(s["field"], "dns.rrname")
        self.assertEqual(s["log_source"], self.eve)
        self.assertEqual(s["offset"], before)
        self.assertEqual(s["internal_ip"], "10.20.0.5")
        self.assertEqual(s["org_id"], self.acme["id"])
        self.assertEqual(s["sensor"], "sensor-t")
        z = self.wait_sightings("cdn.tail-evil.eu", 1)
        self.assertEqual(len(z), 1)
        self.assertEqual(z[0]["field"], "query")
        self.assertEqual(z[0]["log_source"], self.dns)
        self.assertEqual(z[0]["offset"], zbefore)
        self.assertEqual(z[0]["org_id"], self.acme["id"])
        # The line before the indicator existed was read but matched nothing.
        self.assertEqual(self.sightings("harmless.example"), [])

    def test_2_rotation(self):
        e = self.e
        e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "rotate-evil.eu"},
             expect=201)
        append(self.eve, eve("10.20.0.7", "a.rotate-evil.eu"))
        self.wait_sightings("a.rotate-evil.eu", 1)
        os.rename(self.eve, self.eve + ".1")
        append(self.eve + ".1", eve("10.20.0.7", "b.rotate-evil.eu"))  # late write to the old
        append(self.eve, eve("10.20.0.8", "c.rotate-evil.eu"))         # the new file
        b = self.wait_sightings("b.rotate-evil.eu", 1)
        c = self.wait_sightings("c.rotate-evil.eu", 1)
        self.assertEqual(c[0]["offset"], 0)
        self.assertEqual(c[0]["log_source"], self.eve)
        self.assertEqual(len(b), 1)

    def test_3_restart_no_duplicates(self):
        e = self.e
        e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "restart-evil.eu"},
             expect=201)
        append(self.eve, eve("10.20.0.5", "x.restart-evil.eu"))
        self.wait_sightings("x.restart-evil.eu", 1)
        total = len(e.list_all("/api/v1/sightings"))
        rc, took = e.stop()
        self.assertEqual(rc, 0)
        self.assertLess(took, 2.0)
        # Written while the daemon is down: read at the next start, exactly once.
        append(self.eve, eve("10.20.0.5", "y.restart-evil.eu"))
        e.start()
        self.wait_sightings("y.restart-evil.eu", 1)
        self.assertEqual(len(self.sightings("x.restart-evil.eu")), 1)
        self.assertEqual(len(e.list_all("/api/v1/sightings")), total + 1)
        # After a crash the lines since the last saved position come again: absorbed.
        append(self.eve, eve("10.20.0.5", "z.restart-evil.eu"))
        self.wait_sightings("z.restart-evil.eu", 1)
        e.kill9()
        e.start()
        append(self.eve, eve("10.20.0.5", "w.restart-evil.eu"))
        self.wait_sightings("w.restart-evil.eu", 1)
        for v in ("x", "y", "z", "w"):
            self.assertEqual(len(self.sightings(v + ".restart-evil.eu")), 1, v)
        self.assertEqual(len(e.list_all("/api/v1/sightings")), total + 3)


if __name__ == "__main__":
    main()
