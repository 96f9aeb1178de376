"""Issue 10, item 5: multipart uploads cut short are not accepted as complete.

A multipart/form-data body without its closing boundary (a client or proxy that stopped sending)
gave 201 with half the file; a form with two `file` parts stored both joined as one report. Both
are 400 now and leave no report and no spool file. Partial `.incoming-*` files left by a crash
are removed by the running daemon once older than `incoming_max_age`, not only at start.
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, assert_error, main, wait_until  # noqa: E402
from test_intake import ADB_FILE, adb_report, adb_row, multipart  # noqa: E402

REPORTS = "/api/v1/reports"
ROWS = [adb_row("2026-01-01 02:07:%02d" % i, "198.51.100.%d" % (i + 1)) for i in range(40)]
BODY = adb_report(ROWS)


class CutShort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def nothing_stored(self):
        self.assertEqual(self.e.list_all(REPORTS), [])
        spool = os.path.join(self.e.dir, "reports")
        left = [f for f in os.listdir(spool)] if os.path.isdir(spool) else []
        self.assertEqual(left, [])

    def post_form(self, form, ctype):
        return self.e.request("POST", REPORTS + "?wait=true", form, content_type=ctype)

    def test_1_missing_closing_boundary(self):
        form, ctype = multipart([("feed", "shadowserver")], [("file", ADB_FILE, BODY)])
        boundary = ctype.split("boundary=")[1].encode()
        whole_end = b"\r\n--" + boundary + b"--\r\n"
        self.assertTrue(form.endswith(whole_end))
        cuts = {
            "in the middle of the file": form[:len(form) // 2],
            "after the file, before the boundary": form[:-len(whole_end)],
            "in the closing boundary": form[:-len(whole_end) + 6],
        }
        for what, cut in cuts.items():
            with self.subTest(what):
                s, _, b = self.post_form(cut, ctype)
                err = assert_error(self, s, b, 400, "bad_request", field="file")
                self.assertIn("closing boundary", err["message"])
                self.nothing_stored()

    def test_2_two_file_parts(self):
        half = len(ROWS) // 2
        first, second = adb_report(ROWS[:half]), adb_report(ROWS[half:])
        forms = {
            "two files in a row": multipart([("feed", "shadowserver")],
                                            [("file", "a.csv", first), ("file", "b.csv", second)]),
            "a one-byte file, then one": multipart([("feed", "shadowserver")],
                                                 [("file", "a.csv", b"x"), ("file", "b.csv",
                                                                           second)]),
            # libmicrohttpd 0.9.75 reports these two parts as one: ermes counts the parts
            # in the raw body as well.
            "an empty file, then one": multipart([("feed", "shadowserver")],
                                               [("file", "a.csv", b""), ("file", "b.csv",
                                                                         second)]),
        }
        # A field between the two parts.
        f1, ctype = multipart([("feed", "shadowserver")], [("file", "a.csv", first)])
        boundary = ctype.split("boundary=")[1].encode()
        sep = (b"--%s\r\nContent-Disposition: form-data; name=\"file_name\"\r\n\r\nx.csv\r\n"
               b"--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\n"
               b"Content-Type: text/csv\r\n\r\n" % (boundary, boundary))
        end = b"--%s--\r\n" % boundary
        forms["a field between them"] = (f1[:-len(end)] + sep + second + b"\r\n" + end, ctype)
        for what, (form, ctype) in forms.items():
            with self.subTest(what):
                s, _, b = self.post_form(form, ctype)
                err = assert_error(self, s, b, 400, "bad_request", field="file")
                self.assertIn("more than one", err["message"])
                self.nothing_stored()

    def test_4_part_heads_inside_a_file_are_data(self):
        # A file whose rows look like a part's head, without the form's boundary before them,
        # is one part.
        body = BODY + b'Content-Disposition: form-data; name="file"; filename="x"\r\n\r\n'
        form, ctype = multipart([("feed", "shadowserver")], [("file", ADB_FILE, body)])
        s, _, b = self.post_form(form, ctype)
        self.assertIn(s, (201, 202), b)

    def test_3_a_whole_form_still_works(self):
        form, ctype = multipart([("feed", "shadowserver")], [("file", ADB_FILE, BODY)])
        # Sent in small pieces, so the parts cross the server's buffers in many places.
        s = socket.create_connection((HOST, self.e.port), timeout=30)
        try:
            head = ("POST %s?wait=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                    % (REPORTS, self.e.token, ctype, len(form))).encode()
            s.sendall(head)
            for k in range(0, len(form), 97):
                s.sendall(form[k:k + 97])
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
        finally:
            s.close()
        self.assertTrue(answer.startswith(b"HTTP/1.1 201"), answer[:300])
        reports = self.e.list_all(REPORTS)
        self.assertEqual(len(reports), 1)
        self.assertEqual(reports[0]["size"], len(BODY))
        self.assertEqual(reports[0]["accounting"]["rows_in"], len(ROWS))


class PartialUploadsSwept(unittest.TestCase):
    def test_incoming_files_removed_while_running(self):
        with Ermes(env={"ERMES_INCOMING_MAX_AGE": "3"}) as e:
            spool = os.path.join(e.dir, "reports")
            os.makedirs(spool, exist_ok=True)
            old = os.path.join(spool, ".incoming-crashed")
            with open(old, "wb") as f:
                f.write(b"half a report")
            # The same for a message `ermes mail receive` was piping in when it was killed.
            mail = os.path.join(e.dir, "mail")
            os.makedirs(mail, exist_ok=True)
            old_mail = os.path.join(mail, ".incoming-crashed")
            with open(old_mail, "wb") as f:
                f.write(b"From: half@a.example\r\nSubj")
            # Left by a crash after the daemon started: only a schedule can remove it.
            wait_until(lambda: not os.path.exists(old), timeout=20,
                       what="the daemon to remove a stale .incoming- file")
            wait_until(lambda: not os.path.exists(old_mail), timeout=20,
                       what="the daemon to remove a stale mail/.incoming- file")
            self.assertIn("partial report never acknowledged", e.log())
            self.assertIn("partial message never acknowledged", e.log())
            self.assertEqual(e.healthz()[0], 200)

    def test_setting_is_checked(self):
        for bad in ("0", "x", "-1"):
            with self.subTest(bad):
                e = Ermes(start=False)
                try:
                    rc, out, err = e.cli("reports", env={"ERMES_INCOMING_MAX_AGE": bad})
                    self.assertNotEqual(rc, 0)
                    self.assertIn("incoming_max_age", err)
                finally:
                    e.close()


if __name__ == "__main__":
    main()
