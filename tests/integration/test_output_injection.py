"""Issue 10, item 6: untrusted text cannot drive a terminal or a spreadsheet.

A feed row carrying ESC ]0;title BEL (sets the terminal's title), ESC [2J (clears the screen) and
a raw C1 CSI byte, a report file name and an organisation name with control characters: every
human-readable CLI output shows them escaped (\\x1b, \\x07, \\u009b), never as the bytes. CSV
exports (events, organisations) put a single quote before a cell starting with = + - @ tab or CR
(OWASP's rule), and the organisations export imports back unchanged.
"""

import csv
import email
import email.policy
import io
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, Ermes, main  # noqa: E402

COLUMNS = ["--option", "columns=source.ip|time.source|malware.name", "--option",
           "skip_header=true", "--option", "type=scanner"]
TITLE = b"\x1b]0;pwned\x07"
CLEAR = b"\x1b[2J"
CSI_C1 = "\u009b31m".encode()   # U+009B in UTF-8: CSI for terminals that take C1
RAW_C1 = b"\x9b"                  # and the bare byte, for 8-bit terminals

CONTROL = [chr(c) for c in range(0x20)] + ["\x7f", "\u009b", "\u0085"]


def no_controls(test, text, where):
    # Line ends and the tab `ermes lookup` separates its columns with are ermes's own.
    bad = [c for c in text if (c in CONTROL and c not in "\n\t") or c == "\ufffd"]
    test.assertEqual(bad, [], "%s printed control characters: %r" % (where, text[-600:]))


class TerminalInjection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True, start=False)
        d = cls.e.dir
        bad = (b"ip,time,malware\n198.51.100.7" + TITLE + b",2026-01-01T00:00:00Z," + CLEAR
               + CSI_C1 + RAW_C1 + b"x\n")
        cls.name = "feed\x1b]0;name\x07.csv"
        path = os.path.join(d, "bad.csv")
        with open(path, "wb") as f:
            f.write(bad)
        rc, out, err = cls.e.cli("ingest", "--feed", "generic-csv", *COLUMNS, "--file-name",
                                 cls.name, path)
        cls.ingest_out = out + err
        assert rc in (0, 1), err

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_ingest_summary_escapes_the_file_name(self):
        no_controls(self, self.ingest_out, "ingest")
        self.assertIn("feed\\x1b]0;name\\x07.csv", self.ingest_out)

    def test_quarantine_row_and_reason(self):
        rc, out, err = self.e.cli("quarantine")
        self.assertEqual(rc, 0, err)
        no_controls(self, out, "quarantine")
        self.assertIn("\\x1b]0;pwned\\x07", out)
        self.assertIn("\\x1b[2J", out)
        self.assertIn("\\u009b31m", out)
        self.assertIn("\\x9b", out)

    def test_reports_list_and_show(self):
        for args in (("reports",), ("reports", "show", "1")):
            rc, out, err = self.e.cli(*args)
            self.assertEqual(rc, 0, err)
            no_controls(self, out, " ".join(args))
            self.assertIn("feed\\x1b]0;name\\x07.csv", out)

    def test_json_output_stays_exact(self):
        # JSON carries the bytes (escaped by JSON itself), so tools get the real value.
        rc, out, err = self.e.cli("reports", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out.splitlines()[0])["file_name"], self.name)

    def test_organisation_names(self):
        rc, out, err = self.e.cli("org", "add", "--short-name", "EVIL", "--name", "Evil\x1b[2J\x1b]0;t\x07 Corp",
                                  "--network", "100.64.0.0/28")
        self.assertEqual(rc, 0, err)
        for args in (("org", "list"), ("org", "show", "EVIL"), ("lookup", "100.64.0.1")):
            rc, out, err = self.e.cli(*args)
            self.assertEqual(rc, 0, err)
            no_controls(self, out + err, " ".join(args))
            self.assertIn("Evil\\x1b[2J\\x1b]0;t\\x07 Corp", out)

    def test_error_messages(self):
        rc, out, err = self.e.cli("org", "show", "NONE\x1b]0;x\x07")
        self.assertNotEqual(rc, 0)
        no_controls(self, err, "an error message")
        self.assertIn("\\x1b", err)


class CsvInjection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        rows = (b"ip,time,malware\n"
                b"198.51.100.7,2026-01-01T00:00:00Z,=cmd|calc!a0\n"
                b"198.51.100.8,2026-01-01T00:00:00Z,+1\n"
                b"198.51.100.9,2026-01-01T00:00:00Z,-2\n"
                b"198.51.100.10,2026-01-01T00:00:00Z,@sum(a1)\n"
                b"198.51.100.11,2026-01-01T00:00:00Z,plain\n")
        path = os.path.join(cls.e.dir, "f.csv")
        with open(path, "wb") as f:
            f.write(rows)
        rc, out, err = cls.e.cli("ingest", "--feed", "generic-csv", *COLUMNS, path)
        assert rc == 0, err

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def check(self, text):
        cells = {r["source.ip"]: r["malware.name"] for r in csv.DictReader(io.StringIO(text))}
        self.assertEqual(cells["198.51.100.7"], "'=cmd|calc!a0")
        self.assertEqual(cells["198.51.100.8"], "'+1")
        self.assertEqual(cells["198.51.100.9"], "'-2")
        self.assertEqual(cells["198.51.100.10"], "'@sum(a1)")
        self.assertEqual(cells["198.51.100.11"], "plain")

    def test_api_events_csv(self):
        s, h, body = self.e.request("GET", "/api/v1/events?format=csv", raw=True)
        self.assertEqual(s, 200, body)
        self.check(body.decode())

    def test_cli_events_csv(self):
        rc, out, err = self.e.cli("events", "--format", "csv")
        self.assertEqual(rc, 0, err)
        self.check(out)

    def test_json_keeps_the_value(self):
        s, h, body = self.e.request("GET", "/api/v1/events")
        self.assertEqual(s, 200, body)
        names = sorted(d["event"]["malware.name"] for d in body["data"])
        self.assertIn("=cmd|calc!a0", names)

    def test_organisations_export_round_trip(self):
        self.e.ok("POST", "/api/v1/organisations",
                  {"short_name": "FORMULA", "name": "=HYPERLINK(\"http://x\",\"y\")",
                   "networks": ["100.64.1.0/28"]}, expect=201)
        self.e.ok("POST", "/api/v1/organisations",
                  {"short_name": "QUOTED", "name": "'-already quoted",
                   "networks": ["100.64.2.0/28"]}, expect=201)
        s, h, raw = self.e.request("GET", "/api/v1/organisations/export?format=csv", raw=True)
        self.assertEqual(s, 200, raw)
        rows = {r["short_name"]: r for r in csv.DictReader(io.StringIO(raw.decode()))}
        self.assertEqual(rows["FORMULA"]["name"], "'=HYPERLINK(\"http://x\",\"y\")")
        self.assertEqual(rows["QUOTED"]["name"], "''-already quoted")
        with Ermes() as dst:
            s, h, b = dst.request("POST", "/api/v1/organisations/import?on_conflict=update", raw,
                                  content_type="text/csv")
            self.assertEqual(s, 200, b)
            self.assertEqual(dst.ok("GET", "/api/v1/organisations/FORMULA")["name"],
                             "=HYPERLINK(\"http://x\",\"y\")")
            self.assertEqual(dst.ok("GET", "/api/v1/organisations/QUOTED")["name"],
                             "'-already quoted")


class NotificationAttachment(unittest.TestCase):
    def test_attachment_cells_and_preview(self):
        with Ermes(demo=True, start=False) as e:
            path = os.path.join(e.dir, "n.csv")
            with open(path, "wb") as f:
                f.write(b"ip,time,malware\n198.51.100.7,2026-01-01T00:00:00Z,=cmd|calc!a0\n"
                        b"198.51.100.8,2026-01-01T00:00:00Z,x" + TITLE + b"\n")
            rc, out, err = e.cli("ingest", "--feed", "generic-csv", *COLUMNS, path)
            self.assertEqual(rc, 0, err)
            env = {"ERMES_SMTP_URL": ""}
            rc, out, err = e.cli("notify", "run", "--now", env=env)
            self.assertEqual(rc, 0, err)
            rc, out, err = e.cli("notify", "list", "--json")
            refs = [json.loads(line)["reference"] for line in out.splitlines() if line.strip()]
            self.assertTrue(refs)
            # The preview is the message byte for byte: read it raw.
            p = subprocess.run([ERMES_BIN, "notify", "preview", refs[0], "--data-dir", e.dir],
                               stdout=subprocess.PIPE)
            self.assertEqual(p.returncode, 0)
            self.assertNotIn(b"\x1b", p.stdout)
            self.assertNotIn(b"\x07", p.stdout)
            msg = email.message_from_bytes(p.stdout, policy=email.policy.default)
            parts = list(msg.iter_attachments())
            self.assertEqual(len(parts), 1)
            text = parts[0].get_content()
            text = text.decode() if isinstance(text, bytes) else text
            cells = [r["malware.name"] for r in csv.DictReader(io.StringIO(text))]
            self.assertIn("'=cmd|calc!a0", cells)
            self.assertNotIn("=cmd|calc!a0", cells)


if __name__ == "__main__":
    main()
