"""Retro-hunts through the daemon: an archive of a zstd, a gzip and a plain EVE file; adding
indicators queues a job by itself that runs to done with the right totals and records the
sightings under the archive files' names; a second add hunts only the new indicator; POST
/api/v1/retrohunts starts one explicitly; a job is cancelled; without an archive, 409."""

import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from ermeslib import Ermes, assert_error, main, wait_until


def eve(src, rrname):
    return json.dumps({"timestamp": "2026-04-01T08:00:00.000000+0000", "event_type": "dns",
                       "src_ip": src, "src_port": 5353, "dest_ip": "192.0.2.53",
                       "dest_port": 53, "proto": "UDP", "host": "old-sensor",
                       "dns": {"type": "query", "rrname": rrname, "rrtype": "A"}}) + "\n"


class Retrohunt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.archive = tempfile.mkdtemp(prefix="ermes-archive-")
        a = cls.archive
        filler = "".join(eve("10.20.1.%d" % (i % 200), "ok%d.example" % i) for i in range(300))
        cls.plain = os.path.join(a, "eve-plain.json")
        with open(cls.plain, "w") as f:
            f.write(filler + eve("10.20.0.5", "www.retro-one.eu"))
        cls.plain_offset = len(filler.encode())
        cls.gz = os.path.join(a, "eve-2026-04-01.json.gz")
        with gzip.open(cls.gz, "wt") as f:
            f.write(eve("10.20.0.6", "retro-one.eu") + filler + eve("10.20.0.7", "a.retro-two.eu"))
        raw = os.path.join(a, "eve-2026-03-31.json")
        with open(raw, "w") as f:
            f.write(filler + eve("10.20.0.8", "b.retro-two.eu") + eve("10.20.0.9", "retro-three.eu"))
        subprocess.run(["zstd", "-q", "--rm", raw], check=True)
        cls.zst = raw + ".zst"
        cls.sizes = sum(os.path.getsize(os.path.join(a, n)) for n in os.listdir(a))
        cls.e = Ermes(start=False, env={"ERMES_DETECT_ARCHIVE": a})
        cls.e.start()
        cls.acme = cls.e.ok("POST", "/api/v1/organisations",
                            {"short_name": "acme", "name": "ACME",
                             "networks": ["10.20.0.0/16"]}, expect=201)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        shutil.rmtree(cls.archive, ignore_errors=True)

    def jobs(self):
        return self.e.list_all("/api/v1/retrohunts")

    def wait_job(self, jid, states=("done",)):
        def ended():
            j = self.e.ok("GET", "/api/v1/retrohunts/%d" % jid)
            return j if j["state"] in ("done", "failed", "cancelled") else None
        wait_until(ended, timeout=30, what="retro-hunt %d to end" % jid)
        j = self.e.ok("GET", "/api/v1/retrohunts/%d" % jid)
        self.assertIn(j["state"], states, j)
        return j

    def sightings(self, **q):
        return self.e.list_all("/api/v1/sightings?" + "&".join("%s=%s" % kv for kv in q.items()))

    def test_1_auto_job_on_add(self):
        e = self.e
        one = e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "retro-one.eu"},
                   expect=201)
        wait_until(lambda: self.jobs(), timeout=20, what="a job queued")
        jobs = self.jobs()
        self.assertEqual(len(jobs), 1)
        j = self.wait_job(jobs[0]["id"])
        self.assertEqual(j["requested_by"], "auto")
        self.assertEqual(j["indicators"], 1)
        self.assertEqual(j["indicator_range"]["through"], one["id"])
        p = j["progress"]
        self.assertEqual(p["files_total"], 3)
        self.assertEqual(p["files_done"], 3)
        self.assertEqual(p["files_failed"], 0)
        self.assertEqual(p["bytes_total"], self.sizes)
        self.assertEqual(p["bytes_done"], self.sizes)
        self.assertEqual(p["records"], 300 * 3 + 5)
        self.assertEqual(p["matches"], 2)
        self.assertEqual(p["sightings"], 2)
        got = {s["log_source"]: s for s in self.sightings(indicator=one["id"])}
        self.assertEqual(set(got), {self.plain, self.gz})
        self.assertEqual(got[self.plain]["offset"], self.plain_offset)
        self.assertEqual(got[self.plain]["value"], "www.retro-one.eu")
        self.assertEqual(got[self.plain]["org_id"], self.acme["id"])
        self.assertEqual(got[self.gz]["offset"], 0)
        self.assertEqual(got[self.gz]["internal_ip"], "10.20.0.6")

    def test_2_second_add_hunts_only_the_new(self):
        e = self.e
        before = {j["id"] for j in self.jobs()}
        two = e.ok("POST", "/api/v1/indicators", {"type": "domain", "value": "retro-two.eu"},
                   expect=201)
        wait_until(lambda: {j["id"] for j in self.jobs()} - before, timeout=20,
                   what="a second job")
        new = [j for j in self.jobs() if j["id"] not in before]
        self.assertEqual(len(new), 1)
        j = self.wait_job(new[0]["id"])
        self.assertEqual(j["indicators"], 1)
        self.assertEqual(j["indicator_range"]["through"], two["id"])
        self.assertEqual(j["progress"]["matches"], 2)  # retro-one.eu is not hunted again
        self.assertEqual(j["progress"]["sightings"], 2)
        srcs = sorted(s["log_source"] for s in self.sightings(indicator=two["id"]))
        self.assertEqual(srcs, sorted([self.gz, self.zst]))

    def test_3_explicit_start_and_list(self):
        e = self.e
        three = e.ok("POST", "/api/v1/indicators?x=1", {"type": "domain",
                                                         "value": "retro-three.eu"}, expect=201)
        j = e.ok("POST", "/api/v1/retrohunts", {"indicators": [three["id"]]}, expect=202)
        self.assertEqual(j["indicator_ids"], [three["id"]])
        j = self.wait_job(j["id"])
        self.assertEqual(j["progress"]["matches"], 1)
        s = self.sightings(indicator=three["id"])
        self.assertEqual(len(s), 1)  # the auto job may have found it too: stored once
        self.assertEqual(s[0]["log_source"], self.zst)
        # Every active indicator: all five hits again, none new.
        j = e.ok("POST", "/api/v1/retrohunts", {}, expect=202)
        self.assertIsNone(j["indicator_ids"])
        j = self.wait_job(j["id"])
        self.assertEqual(j["indicators"], 3)
        self.assertEqual(j["progress"]["matches"], 5)
        self.assertEqual(j["progress"]["sightings"], 0)
        ids = [x["id"] for x in self.jobs()]
        self.assertEqual(ids, sorted(ids, reverse=True))
        page = e.ok("GET", "/api/v1/retrohunts?limit=1")
        self.assertEqual(len(page["data"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        # Bad requests.
        s, _, b = e.request("POST", "/api/v1/retrohunts", {"indicators": [999999]})
        assert_error(self, s, b, 400, "bad_request", "indicators")
        s, _, b = e.request("POST", "/api/v1/retrohunts", {"indicators": "x"})
        assert_error(self, s, b, 400, "bad_request", "indicators")
        s, _, b = e.request("POST", "/api/v1/retrohunts", {"other": 1})
        assert_error(self, s, b, 400, "bad_request", "other")
        s, _, b = e.request("GET", "/api/v1/retrohunts/999999")
        assert_error(self, s, b, 404, "not_found")
        # The CLI sees the same jobs.
        rc, out, err = e.cli("retrohunt", "list", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out.splitlines()), len(ids))

    def test_4_cancel_queued_with_cli(self):
        e = self.e
        # With the daemon stopped the job stays queued: the CLI queues and cancels it, and
        # the next daemon leaves it cancelled.
        e.stop()
        env = {"ERMES_DETECT_ARCHIVE": self.archive}
        rc, out, err = e.cli("retrohunt", "start", "--json", env=env)
        self.assertEqual(rc, 0, err)
        jid = json.loads(out)["id"]
        self.assertEqual(json.loads(out)["state"], "queued")
        rc, out, err = e.cli("retrohunt", "cancel", str(jid), "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["state"], "cancelled")
        e.start()
        s, _, b = e.request("POST", "/api/v1/retrohunts/%d/cancel" % jid)
        assert_error(self, s, b, 409, "conflict")
        self.assertEqual(e.ok("GET", "/api/v1/retrohunts/%d" % jid)["state"], "cancelled")


class NoArchive(unittest.TestCase):
    def test_409_and_cancel_through_the_api(self):
        with Ermes() as e:
            s, _, b = e.request("POST", "/api/v1/retrohunts", {})
            assert_error(self, s, b, 409, "conflict")
            self.assertEqual(e.ok("GET", "/api/v1/retrohunts")["data"], [])
            # A job queued by the CLI for an archive this daemon does not hunt stays queued:
            # the API cancels it.
            rc, out, err = e.cli("retrohunt", "start", "--json",
                                 env={"ERMES_DETECT_ARCHIVE": e.dir})
            self.assertEqual(rc, 0, err)
            jid = json.loads(out)["id"]
            j = e.ok("GET", "/api/v1/retrohunts/%d" % jid)
            self.assertEqual(j["state"], "queued")
            c = e.ok("POST", "/api/v1/retrohunts/%d/cancel" % jid)
            self.assertEqual(c["state"], "cancelled")
            self.assertIsNotNone(c["finished_at"])
            s, _, b = e.request("POST", "/api/v1/retrohunts/%d/cancel" % jid)
            assert_error(self, s, b, 409, "conflict")
            s, _, b = e.request("POST", "/api/v1/retrohunts/999/cancel")
            assert_error(self, s, b, 404, "not_found")
            rc, out, err = e.cli("retrohunt", "start")
            self.assertEqual(rc, 1)
            self.assertIn("detect_archive", err)


if __name__ == "__main__":
    main()
