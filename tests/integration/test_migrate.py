"""ermes migrate: the demo database (ermes init --demo and a week of demo Shadowserver reports)
moved SQLite -> PostgreSQL -> SQLite, every table's count equal at each step and the events
API (and the other lists) answering the same for the same queries on all three; ids kept and
PostgreSQL's sequences past them; the audit log still append-only on each target; a bad URL,
a target of a newer schema version, a target that holds data (refused, then --force).

The SQLite run starts a PostgreSQL server of its own (scripts/pg-test-server); the PostgreSQL
run uses the run's server. Either way the source is a SQLite file in the data directory, so
the test is the same on both."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from urllib.parse import quote as q

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, Ermes, PG_URL, main, run  # noqa: E402

SOURCE_DIR = os.environ.get("ERMES_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
PASSWORD = "correct horse battery staple 42"


def psql(url, sql):
    p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def with_schema(base, schema):
    return base + ("&" if "?" in base else "?") + "options=-csearch_path%3D" + schema


class MigrateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-migrate-")
        cls.pg_dir = None
        cls.instances = []
        try:
            if PG_URL:
                cls.pg_base = PG_URL
            else:
                # No run server: one of our own, as the PostgreSQL run's (a missing
                # PostgreSQL fails the test rather than skipping it).
                # Its own directory in /tmp: the server runs as nobody when we are root.
                cls.pg_dir = tempfile.mkdtemp(prefix="ermes-migrate-pg-")
                p = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "pg-test-server"),
                                    "start", cls.pg_dir], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=120)
                if p.returncode != 0:
                    raise AssertionError("pg-test-server: %s" % p.stderr.decode())
                cls.pg_base = p.stdout.decode().strip()
            tag = os.path.basename(cls.tmp).replace("-", "_").lower()
            cls.schemas = ["mig_%s_%d" % (tag, k) for k in range(4)]
            for s in cls.schemas:
                rc, _, err = psql(cls.pg_base, "SET client_min_messages = warning;"
                                  " DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (s, s))
                assert rc == 0, err
            cls.pg_url = with_schema(cls.pg_base, cls.schemas[0])
            cls.dir = os.path.join(cls.tmp, "data")
            os.mkdir(cls.dir, 0o700)
            cls.lite_url = os.path.join(cls.dir, "ermes.db")
            cls.back_url = os.path.join(cls.dir, "back.db")
            cls.build_source()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for e in cls.instances:
            try:
                e.close()
            except Exception:
                pass
        if cls.pg_dir:
            subprocess.run([os.path.join(SOURCE_DIR, "scripts", "pg-test-server"), "stop",
                            cls.pg_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=120)
            shutil.rmtree(cls.pg_dir, ignore_errors=True)
        elif getattr(cls, "schemas", None):
            for s in cls.schemas:
                psql(cls.pg_base, "SET client_min_messages = warning;"
                     " DROP SCHEMA IF EXISTS %s CASCADE" % s)
        if os.environ.get("ERMES_KEEP_DIRS") != "1":
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers --------------------------------------------------------------------------

    @classmethod
    def cli(cls, url, *args):
        return run([ERMES_BIN] + [str(a) for a in args] + ["--data-dir", cls.dir],
                   env={"ERMES_DATABASE_URL": url}, timeout=600)

    @classmethod
    def serve(cls, url):
        e = Ermes(data_dir=cls.dir, init=False, start=False, env={"ERMES_DATABASE_URL": url})
        cls.instances.append(e)
        e.token = e.read_token()
        e.start()
        return e

    @classmethod
    def build_source(cls):
        url = cls.lite_url
        rc, out, err = cls.cli(url, "init", "--demo", "--admin-token-file",
                               os.path.join(cls.dir, "admin.token"))
        assert rc == 0, err
        p = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "make-demo-reports.py"),
                            os.path.join(cls.tmp, "reports")], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        assert p.returncode == 0, p.stderr
        rdir = p.stdout.decode().strip().splitlines()[-1]
        for name in sorted(os.listdir(rdir)):
            rc, out, err = cls.cli(url, "ingest", "--feed", "shadowserver",
                                   os.path.join(rdir, name))
            assert rc == 0, (name, err)
        e = cls.serve(url)
        try:
            orgs = e.list_all("/api/v1/organisations")
            counts = {}
            for ev in e.list_all("/api/v1/events", limit=1000):
                c = ev["event"].get("constituency") if "event" in ev else ev.get("constituency")
                if c:
                    counts[c] = counts.get(c, 0) + 1
            assert counts, "the demo reports gave no event with an owner"
            cls.org = max(counts, key=counts.get)
            assert any(o["short_name"] == cls.org for o in orgs)
            _, cls.const_token = e.user_token("conny", "constituent", org=cls.org)
            # A browser session and an indicator, so those tables move too.
            e.create_user("ann", "analyst", password=PASSWORD)
            s, _, b = e.request("POST", "/api/v1/sessions",
                                {"username": "ann", "password": PASSWORD}, token=None)
            assert s == 201, b
            e.ok("POST", "/api/v1/indicators", {"type": "ipv4-addr", "value": "192.0.2.77"},
                 expect=201)
            cls.expected = cls.answers(e)
        finally:
            e.stop()

    @classmethod
    def answers(cls, e):
        """What the API says to an admin and to a constituent, for a set of queries."""
        events = e.list_all("/api/v1/events", limit=1000)
        assert len(events) > 100, len(events)

        def ev(x):
            return x["event"] if "event" in x else x

        first = ev(events[0])
        ip = first["source.ip"]
        net = ".".join(ip.split(".")[:2]) + ".0.0/16"
        times = sorted(ev(x)["time.source"] for x in events if "time.source" in ev(x))
        mid = times[len(times) // 2]
        queries = [
            "/api/v1/events?limit=1000",
            "/api/v1/events?limit=7",
            "/api/v1/events?org=" + q(cls.org),
            "/api/v1/events?ip=" + q(ip),
            "/api/v1/events?ip=" + q(net),
            "/api/v1/events?feed=" + q(first["feed.name"]),
            "/api/v1/events?type=" + q(first["classification.type"]),
            "/api/v1/events?since=" + q(mid),
            "/api/v1/events?until=" + q(mid),
            "/api/v1/events?report=3",
            "/api/v1/events?feed=no-such-feed",
            "/api/v1/events/%d" % events[len(events) // 2]["id"],
            "/api/v1/events/%d" % events[-1]["id"],
            "/api/v1/reports?limit=1000",
            "/api/v1/organisations?limit=1000",
            "/api/v1/indicators",
            "/api/v1/stats",
        ]
        out = {}
        for path in queries:
            for who, tok in (("admin", e.token), ("constituent", cls.const_token)):
                s, _, b = e.request("GET", path, token=tok)
                if path == "/api/v1/stats" and isinstance(b, dict):
                    b.pop("from", None)  # the window ends now: the time of the request
                    b.pop("to", None)
                out[(who, path)] = (s, b)
        out["all"] = events
        out["ndjson"] = e.request("GET", "/api/v1/events?format=ndjson&limit=1000",
                                  raw=True)[2]
        return out

    def assert_same(self, got, what):
        for k, v in self.expected.items():
            self.assertEqual(got[k], v, "%s: %s differs" % (what, k))

    def migrate(self, src, to, *extra):
        rc, out, err = self.cli(src, "migrate", "--to", to, *extra)
        return rc, out, err

    def check_counts(self, out):
        lines = [x.split() for x in out.splitlines() if x.startswith("  ") and "table" not in x]
        self.assertGreater(len(lines), 25, out)
        for name, a, b in lines:
            self.assertEqual(a, b, "table %s: %s" % (name, out))
        tables = {x[0] for x in lines}
        for t in ("events", "reports", "audit", "sessions", "tokens", "users", "event_ips",
                  "dedup_batches", "indicators", "organisations", "event_names"):
            self.assertIn(t, tables)
        self.assertIn("every table's count is the same", out)
        return {x[0]: int(x[1]) for x in lines}

    # ---- the tests ------------------------------------------------------------------------

    def test_1_round_trip(self):
        rc, out, err = self.migrate(self.lite_url, self.pg_url)
        self.assertEqual(rc, 0, err + out)
        counts = self.check_counts(out)
        self.assertGreater(counts["events"], 100)
        self.assertGreater(counts["sessions"], 0)
        self.assertGreater(counts["audit"], 0)

        e = self.serve(self.pg_url)
        self.assert_same(self.answers(e), "PostgreSQL")
        e.stop()

        rc, out, err = self.migrate(self.pg_url, self.back_url)
        self.assertEqual(rc, 0, err + out)
        back = self.check_counts(out)
        # The same tables, and the same data the CERT put in. The daemon that served from
        # PostgreSQL in between may have added rows of its own background work (the
        # correlation index catching up with the indicator added just before the source's
        # daemon stopped, an audit row of a scheduled job): those tables only grow.
        self.assertEqual(set(back), set(counts))
        for t in ("events", "reports", "organisations", "event_ips", "event_names",
                  "indicators", "users", "tokens", "sessions", "dedup_batches"):
            self.assertEqual(back[t], counts[t], t)
        for t in counts:
            self.assertGreaterEqual(back[t], counts[t], t)
        e = self.serve(self.back_url)
        self.assert_same(self.answers(e), "SQLite again")
        e.stop()

        # The ids were kept, and new rows on PostgreSQL get ids past them.
        lite = sqlite3.connect(self.lite_url)
        back = sqlite3.connect(self.back_url)
        for t in ("events", "audit", "organisations", "reports", "event_names"):
            ids = lite.execute("SELECT group_concat(id) FROM (SELECT id FROM %s ORDER BY id)"
                               % t).fetchone()[0]
            self.assertEqual(ids, back.execute(
                "SELECT group_concat(id) FROM (SELECT id FROM %s ORDER BY id)" % t).fetchone()[0])
            rc, pg_ids, err = psql(self.pg_url, "SELECT string_agg(id::text, ',' ORDER BY id)"
                                   " FROM %s" % t)
            self.assertEqual(rc, 0, err)
            self.assertEqual(pg_ids.strip(), ids, t)
        max_org = lite.execute("SELECT max(id) FROM organisations").fetchone()[0]
        max_event = lite.execute("SELECT max(id) FROM events").fetchone()[0]
        e = self.serve(self.pg_url)
        o = e.ok("POST", "/api/v1/organisations",
                 {"short_name": "NEWCO", "name": "New Co", "networks": ["198.18.0.0/24"]},
                 expect=201)
        self.assertEqual(o["id"], max_org + 1)
        r = e.ok("POST", "/api/v1/reports?feed=blocklistde&wait=true&file_name=x.txt",
                 b"198.18.0.5\n198.18.0.6\n", content_type="text/plain", expect=201)
        self.assertEqual(r["state"], "done", r)
        new = e.list_all("/api/v1/events?org=NEWCO")
        self.assertEqual(len(new), 2)
        self.assertTrue(all(x["id"] > max_event for x in new), new)
        e.stop()

        # The audit log is still append-only on both targets.
        rc, _, err = psql(self.pg_url, "DELETE FROM audit")
        self.assertNotEqual(rc, 0)
        self.assertIn("append-only", err)
        rc, _, err = psql(self.pg_url, "TRUNCATE audit")
        self.assertNotEqual(rc, 0)
        with self.assertRaises(sqlite3.DatabaseError):
            back.execute("DELETE FROM audit")
        lite.close()
        back.close()

    def test_2_target_with_data(self):
        url = with_schema(self.pg_base, self.schemas[1])
        rc, out, err = self.migrate(self.lite_url, url)
        self.assertEqual(rc, 0, err)
        rc, out, err = self.migrate(self.lite_url, url)
        self.assertEqual(rc, 1)
        self.assertIn("holds data", err)
        self.assertIn("--force", err)
        rc, out, err = self.migrate(self.lite_url, url, "--force")
        self.assertEqual(rc, 0, err)
        self.check_counts(out)

    def test_3_bad_targets(self):
        # A server that is not there.
        rc, out, err = self.migrate(self.lite_url,
                                    "postgresql://ermes@/postgres?host=/nonexistent&port=1")
        self.assertEqual(rc, 1)
        self.assertIn("cannot open the target database", err)
        # Not a URL ermes knows, and a path in a directory that does not exist.
        rc, out, err = self.migrate(self.lite_url, "/nonexistent/dir/x.db")
        self.assertEqual(rc, 1)
        self.assertIn("cannot open the target database", err)
        # The same backend on both sides.
        rc, out, err = self.migrate(self.lite_url, os.path.join(self.dir, "other.db"))
        self.assertEqual(rc, 1)
        self.assertIn("both sqlite", err)
        # No --to.
        rc, out, err = self.cli(self.lite_url, "migrate")
        self.assertEqual(rc, 2)
        self.assertIn("--to", err)

    def test_4_newer_schema(self):
        # A PostgreSQL target of a schema version this ermes does not know.
        url = with_schema(self.pg_base, self.schemas[2])
        rc, _, err = psql(url, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
                          " applied_at BIGINT NOT NULL); INSERT INTO schema_version"
                          " VALUES (999, 0)")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.migrate(self.lite_url, url)
        self.assertEqual(rc, 1)
        self.assertIn("schema is newer", err)
        rc, n, _ = psql(url, "SELECT count(*) FROM information_schema.tables"
                        " WHERE table_schema = current_schema()")
        self.assertEqual(n.strip(), "1")  # nothing was made there
        # And a SQLite one, from PostgreSQL.
        path = os.path.join(self.tmp, "newer.db")
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
                   " applied_at INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (999, 0)")
        db.commit()
        db.close()
        src = with_schema(self.pg_base, self.schemas[3])
        rc, out, err = self.cli(src, "migrate", "--to", path)
        self.assertEqual(rc, 1, out)
        self.assertIn("schema is newer", err)


if __name__ == "__main__":
    main()
