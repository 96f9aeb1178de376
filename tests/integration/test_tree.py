"""The tree explains itself (issue 10 items 13 and 14): events, quarantine, sightings, logs,
tokens and the audit log each have their store and handler files, the daemon's loop lives in
src/daemon/ and the CLI only starts it, indicator storage lives in src/indicators/, and the
pieces that had copies (the event row reader, internal_side, the calendar, the lease rule,
the pagination loop) have one. Reads the source only."""

import glob
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, main  # noqa: E402

SRC = os.path.join(SOURCE_DIR, "src")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def sources():
    return {os.path.relpath(p, SOURCE_DIR): read(p)
            for p in glob.glob(os.path.join(SRC, "**", "*.[ch]"), recursive=True)}


class Tree(unittest.TestCase):
    def test_one_file_per_resource(self):
        for f in ("store/events.c", "store/quarantine.c", "store/dedup.c", "store/sightings.c",
                  "store/tokens.c", "store/audit.c", "store/reports.c", "store/lease.c",
                  "http/h_events.c", "http/h_quarantine.c", "http/h_reports.c",
                  "http/h_sightings.c", "http/h_logs.c", "http/h_tokens.c", "http/h_audit.c",
                  "http/h_feeds.c", "access/audit.c", "daemon/daemon.c", "daemon/daemon.h",
                  "indicators/indicators.c", "indicators/indicators.h"):
            self.assertTrue(os.path.exists(os.path.join(SRC, f)), "no src/%s" % f)
        # Each resource's functions are in its own file, not in a neighbour's.
        where = {
            "ermes__store_event_each": "src/store/events.c",
            "ermes__store_quarantine_each": "src/store/quarantine.c",
            "ermes__store_token_insert": "src/store/tokens.c",
            "ermes__store_audit_each": "src/store/audit.c",
            "ermes__h_event_list": "src/http/h_events.c",
            "ermes__h_quarantine_list": "src/http/h_quarantine.c",
            "ermes__h_sighting_list": "src/http/h_sightings.c",
            "ermes__h_log_submit": "src/http/h_logs.c",
            "ermes__h_token_create": "src/http/h_tokens.c",
            "ermes__h_audit_list": "src/http/h_audit.c",
            "ermes__audit_write": "src/access/audit.c",
            "ermes__indicators_store": "src/indicators/indicators.c",
        }
        src = sources()
        for fn, want in where.items():
            # Either prefix: the ermes__ rename of internal names may have run.
            name = r"ermes_{1,2}" + fn.split("_", 1)[1].lstrip("_")
            defined = [p for p, t in src.items() if p.endswith(".c") and
                       re.search(r"^[a-z][^;(]*\b%s\(" % name, t, re.M)]
            self.assertEqual(defined, [want], "%s is defined in %s" % (fn, defined))

    def test_cli_only_starts_the_daemon(self):
        serve = read(os.path.join(SRC, "cli", "cmd_serve.c"))
        self.assertNotIn("sigtimedwait", serve)
        self.assertRegex(serve, r"ermes_{1,2}daemon_run\(")
        self.assertIn("sigtimedwait", read(os.path.join(SRC, "daemon", "daemon.c")))

    def test_one_copy_each(self):
        """Each pattern stands in one place of src/ (the ones item 14 found two or three of)."""
        src = sources()
        once = {
            "an event row reader": r"e->raw_offset = ermes__db_col",
            "internal_side": r"src_hit \|= strcmp\(f, \"src_ip\"\)",
            "days from a civil date": r"era \* 146097 \+ \(int64_t\)doe - 719468",
            "a civil date from days": r"z \+= 719468;",
            "a month's length": r"y % 400 == 0",
            "the lease's liveness check": r"kill\(\(pid_t\)",
            "the pagination loop": r"\*n == limit|n == limit\)",
            "the event reading loop": r"ermes__event_doc_init\(&doc\);",
        }
        for what, pat in once.items():
            hits = ["%s:%d" % (p, t[:m.start()].count("\n") + 1)
                    for p, t in src.items() for m in re.finditer(pat, t)]
            self.assertEqual(len(hits), 1, "%s stands in %d places: %s" % (what, len(hits), hits))


if __name__ == "__main__":
    main()
