"""Bad databases (issue 14, "Bad input"): a wrong database URL, a PostgreSQL server that is down
when ermes starts, one that goes away in the middle of a report and comes back, and a database
whose schema is newer than this ermes: each a clear error, and the intake resumes by itself
once the server is back.

The PostgreSQL cases use a server of their own (scripts/pg-test-server in a directory of this
test, stopped and restarted as it goes), so they run the same in the SQLite and the PostgreSQL
runs of the suite; the newer schema is tried on the run's backend."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermeslib  # noqa: E402
from ermeslib import (ERMES_BIN, SOURCE_DIR, Ermes, db_connect, main, run,  # noqa: E402
                      wait_until)

PG_SERVER = os.path.join(SOURCE_DIR, "scripts", "pg-test-server")
ROWS = 20000

HEADER = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city",'
          '"naics","sic","name","model","device","features","device_vendor","device_type",'
          '"device_model","device_version","device_sector"\n')
ROW = ('"2026-01-02 %02d:%02d:%02d","10.%d.%d.%d","tcp",%d,"h%d.example","adb",,"NL","R","C",'
       '518210,737415,"n","m","d",,,,,,\n')


def report_csv(n):
    return (HEADER + "".join(ROW % (i // 3600 % 24, i // 60 % 60, i % 60, i // 62500 % 250,
                                    i // 250 % 250, i % 250, 1000 + i, i)
                             for i in range(n))).encode()


def pg(cmd, d):
    p = subprocess.run([PG_SERVER, cmd, d], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("pg-test-server %s: %s" % (cmd, p.stderr.decode()))
    return p.stdout.decode().strip()


class WrongUrl(unittest.TestCase):
    def test_wrong_urls_say_what_is_wrong(self):
        d = tempfile.mkdtemp(prefix="ermes-badurl-")
        try:
            for url, want in (
                    # Nothing listens there.
                    ("postgresql://ermes@/postgres?host=%s&port=1" % d,
                     "cannot connect to the PostgreSQL database"),
                    # Not a URL libpq reads.
                    ("postgresql://ermes@[::1/postgres", "cannot connect to the PostgreSQL"),
                    ("postgresql://ermes@/postgres?nonsense=1", "cannot connect to the PostgreSQL")):
                for args in (["init"], ["serve", "--listen", "127.0.0.1:0"], ["events"]):
                    rc, out, err = run([ERMES_BIN] + args + ["--data-dir", d,
                                                            "--database-url", url])
                    self.assertEqual(rc, 1, (args, url, out, err))
                    self.assertIn(want, err, (args, url))
                    self.assertIn("database_url", err, (args, url))
            # A password in the URL is never printed, even where libpq quotes the URL.
            for url in ("postgresql://ermes:s3cret-pw@/postgres?host=%s&port=1" % d,
                        "postgresql://ermes:s3cret-pw@[::1/postgres"):
                rc, _, err = run([ERMES_BIN, "events", "--data-dir", d, "--database-url", url])
                self.assertEqual(rc, 1)
                self.assertIn("is the server up, the URL right?", err)
                self.assertNotIn("s3cret-pw", err)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class ServerComesAndGoes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pgdir = tempfile.mkdtemp(prefix="ermes-pgbad-")
        os.chmod(cls.pgdir, 0o755)
        # A port of its own: the socket name is DIR/.s.PGSQL.PORT, so any port does.
        cls.url = pg("start", cls.pgdir)

    @classmethod
    def tearDownClass(cls):
        try:
            pg("stop", cls.pgdir)
        finally:
            shutil.rmtree(cls.pgdir, ignore_errors=True)

    def test_1_down_at_start(self):
        d = tempfile.mkdtemp(prefix="ermes-pgdown-")
        try:
            env = {"ERMES_DATABASE_URL": self.url}
            rc, out, err = run([ERMES_BIN, "init", "--data-dir", d], env=env)
            self.assertEqual(rc, 0, err)
            pg("stop", self.pgdir)
            try:
                rc, out, err = run([ERMES_BIN, "serve", "--data-dir", d, "--listen",
                                    "127.0.0.1:0"], env=env, timeout=60)
                self.assertEqual(rc, 1, (out, err))
                self.assertIn("cannot connect to the PostgreSQL database", err)
                self.assertIn("No such file or directory", err)  # libpq's reason
            finally:
                pg("restart", self.pgdir)
            rc, out, err = run([ERMES_BIN, "events", "--data-dir", d], env=env)
            self.assertEqual(rc, 0, err)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_2_goes_away_mid_report(self):
        d = tempfile.mkdtemp(prefix="ermes-pgaway-")
        e = None
        try:
            with open(os.path.join(d, "ermes.conf"), "w") as f:
                f.write("database_url = %s\nbatch_rows = 1000\nlease_time = 2\n" % self.url)
            e = Ermes(data_dir=d, init=False, start=False)
            # Ermes gives every instance a schema of its own on the run's server; here the rows
            # live on this test's server.
            e.env["ERMES_DATABASE_URL"] = self.url
            ermeslib._pg_urls.pop(os.path.realpath(d), None)
            e.database_url = None
            e.init()
            e.start()
            status, _, body = e.request("POST", "/api/v1/reports?feed=shadowserver&file_name="
                                        "2026-01-02-scan_adb-away.csv", body=report_csv(ROWS),
                                        content_type="text/csv")
            self.assertEqual(status, 202, body)
            rid = body["id"]
            db = PgRows(self.url)
            wait_until(lambda: (db.one("SELECT next_row FROM reports WHERE id = %d" % rid)
                                or 0) > 0, timeout=60, interval=0.01, what="report under way")
            pg("stop", self.pgdir)
            time.sleep(3)
            self.assertTrue(e.running(), e.log())
            pg("restart", self.pgdir)
            try:
                wait_until(lambda: db.one("SELECT state FROM reports WHERE id = %d" % rid)
                           == "done", timeout=90,
                           what="the report finished once the server was back")
            except AssertionError as exc:
                raise AssertionError("%s: report %r\n%s" % (exc, db.one(
                    "SELECT state || ' ' || next_row || ' ' || COALESCE(lease_owner, 0) || ' '"
                    " || COALESCE(lease_until, 0) FROM reports WHERE id = %d" % rid),
                    e.log()[-4000:])) from None
            self.assertTrue(e.running(), e.log())
            self.assertEqual(db.one("SELECT events FROM reports WHERE id = %d" % rid), ROWS)
            self.assertEqual(db.one("SELECT COUNT(DISTINCT row) FROM events WHERE report_id = %d"
                                    % rid), ROWS)
            self.assertEqual(db.one("SELECT COUNT(*) FROM events WHERE report_id = %d" % rid),
                             ROWS)
            log = e.log()
            self.assertIn("connection to PostgreSQL is lost", log)
            self.assertIn("reconnected to PostgreSQL", log)
        finally:
            if e is not None:
                e.close()
            shutil.rmtree(d, ignore_errors=True)


class PgRows:
    """psql on a URL: one value of a query (None without a row or with the server down)."""

    def __init__(self, url):
        self.url = url

    def one(self, sql):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-d", self.url, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        out = p.stdout.decode().strip()
        if p.returncode != 0 or not out:
            return None
        return int(out) if out.lstrip("-").isdigit() else out


class NewerSchema(unittest.TestCase):
    def test_a_database_from_a_newer_ermes_is_refused(self):
        with Ermes(start=False) as e:
            db = db_connect(os.path.join(e.dir, "ermes.db"))
            db.execute("INSERT INTO schema_version VALUES (999, 0)")
            db.commit()
            db.close()
            for args in (["serve", "--listen", "127.0.0.1:0"], ["events"], ["reports"]):
                rc, out, err = e.cli(*args)
                self.assertEqual(rc, 1, (args, out, err))
                self.assertIn("schema version 999, newer than this ermes knows", err)
                self.assertNotIn("ermes init", err)


if __name__ == "__main__":
    main()
