"""The spool directory the daemon watches (DATA_DIR/spool/<feed>/): files written under a
temporary name then renamed in become reports of that feed and are processed into events; a
file in a directory that names no feed goes to .failed/ with its reason beside it; a .tmp file
is left alone until renamed; a file too big for max_report is refused with its reason; files
dropped while the daemon is down are taken when it starts; SIGTERM stops the daemon quickly.

The feed is IntelMQ's blocklist.de sample (shared/conformance/feeds/intelmq/blocklistde/)."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main, wait_until  # noqa: E402

SAMPLE = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds", "intelmq",
                      "blocklistde", "imap.txt")
ENV = {"ERMES_SPOOL_RESCAN": "1"}


def sample():
    with open(SAMPLE, "rb") as f:
        return f.read()


def drop(directory, name, data):
    """Writes data under a temporary name, then renames it in: the writer's side of the
    contract."""
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "." + name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, os.path.join(directory, name))


class Spool(unittest.TestCase):
    def setUp(self):
        self.e = Ermes(env=ENV)
        self.spool = os.path.join(self.e.dir, "spool")
        self.feed = os.path.join(self.spool, "blocklistde")

    def tearDown(self):
        self.e.close()

    def reports(self):
        rc, out, err = self.e.cli("reports", "list", "--feed", "blocklistde", "--json")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def done_reports(self, n):
        rs = self.reports()
        done = [r for r in rs if r["state"] == "done"]
        return done if len(done) >= n else None

    def test_drop_becomes_events(self):
        self.assertTrue(os.path.isdir(self.spool), "the daemon creates the spool directory")
        drop(self.feed, "imap.txt", sample())
        done = wait_until(lambda: self.done_reports(1), timeout=30, what="the report")
        r = done[0]
        self.assertEqual(r["file_name"], "imap.txt")
        self.assertEqual(r["rows_in"], 6)
        self.assertEqual(r["events"] + r["duplicates"] + r["quarantined"], 6)
        self.assertGreater(r["events"], 0)
        # Taken: nothing left in the feed directory but the daemon's own (hidden) folders.
        self.assertEqual([n for n in os.listdir(self.feed) if not n.startswith(".")], [])
        self.assertEqual(os.listdir(os.path.join(self.feed, ".taking")), [])
        status, _, body = self.e.request("GET", "/api/v1/events?report=%d" % r["id"])
        self.assertEqual(status, 200)
        self.assertEqual(len(body["data"]), r["events"])
        # Taken once: a later scan does not make it again.
        time.sleep(2.5)
        self.assertEqual(len(self.reports()), 1)

    def test_unknown_feed_fails_with_reason(self):
        bad = os.path.join(self.spool, "no-such-feed")
        drop(bad, "list.txt", b"192.0.2.1\n")
        failed = os.path.join(bad, ".failed")
        wait_until(lambda: os.path.exists(os.path.join(failed, "list.txt.reason")), timeout=30,
                   what="the file in .failed")
        self.assertTrue(os.path.exists(os.path.join(failed, "list.txt")))
        self.assertFalse(os.path.exists(os.path.join(bad, "list.txt")))
        with open(os.path.join(failed, "list.txt.reason")) as f:
            self.assertIn("unknown feed", f.read())
        with open(os.path.join(failed, "list.txt"), "rb") as f:
            self.assertEqual(f.read(), b"192.0.2.1\n")
        wait_until(lambda: "no-such-feed" in self.e.log(), timeout=10, what="a log line")
        self.assertEqual(self.reports(), [])

    def test_partial_file_waits_for_rename(self):
        os.makedirs(self.feed, exist_ok=True)
        for name in ("imap.txt.tmp", "imap.txt.part", ".imap.txt"):
            with open(os.path.join(self.feed, name), "wb") as f:
                f.write(sample()[:20])
        # Several rescans (one a second) and the settling time pass: still untouched.
        time.sleep(3.5)
        for name in ("imap.txt.tmp", "imap.txt.part", ".imap.txt"):
            self.assertTrue(os.path.exists(os.path.join(self.feed, name)), name)
        self.assertEqual(self.reports(), [])
        with open(os.path.join(self.feed, "imap.txt.tmp"), "wb") as f:
            f.write(sample())
        os.rename(os.path.join(self.feed, "imap.txt.tmp"), os.path.join(self.feed, "imap.txt"))
        done = wait_until(lambda: self.done_reports(1), timeout=30, what="the report")
        self.assertEqual(done[0]["rows_in"], 6)
        self.assertTrue(os.path.exists(os.path.join(self.feed, "imap.txt.part")))

    def test_restart_takes_files_dropped_while_down(self):
        code, took = self.e.stop()
        self.assertEqual(code, 0)
        self.assertLess(took, 2.0, "SIGTERM stops the daemon within 2 s")
        drop(self.feed, "imap.txt", sample())
        drop(self.feed, "imap-2.txt", sample().replace(b"192.0.2.4\n", b"192.0.2.5\n"))
        self.e.start()
        done = wait_until(lambda: self.done_reports(2), timeout=30, what="two reports")
        self.assertEqual(sorted(r["file_name"] for r in done), ["imap-2.txt", "imap.txt"])

    def test_too_big_is_refused_with_reason(self):
        self.e.stop()
        self.e.start(env={"ERMES_MAX_REPORT": "1"})
        drop(self.feed, "huge.txt", b"192.0.2.1\n" * 110000)  # 1.1 MB > 1 MiB
        reason = os.path.join(self.feed, ".failed", "huge.txt.reason")
        wait_until(lambda: os.path.exists(reason), timeout=30, what="the refusal")
        with open(reason) as f:
            self.assertIn("exceeds", f.read())
        self.assertTrue(os.path.exists(os.path.join(self.feed, ".failed", "huge.txt")))
        self.assertEqual(self.reports(), [])

    def test_options_file(self):
        os.makedirs(self.feed, exist_ok=True)
        with open(os.path.join(self.feed, ".options"), "w") as f:
            f.write("# the list's kind, as --option kind=ssh\nkind=ssh\n")
        drop(self.feed, "list.txt", sample())
        done = wait_until(lambda: self.done_reports(1), timeout=30, what="the report")
        status, _, body = self.e.request("GET", "/api/v1/events?report=%d" % done[0]["id"])
        self.assertEqual(status, 200)
        self.assertEqual(len(body["data"]), done[0]["events"])
        self.assertTrue(any("ssh" in json.dumps(ev).lower() for ev in body["data"]), body)


if __name__ == "__main__":
    main()
