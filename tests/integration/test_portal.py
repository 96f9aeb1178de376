"""The constituent's view of incidents (the portal), and what it may not see.

A constituent user (UMA) sees the incidents its organisation is affected by and no other, never
another constituent's name in them (by any route: the queue, one incident, its timeline, the
attachments, the links, the correspondence, the metrics); it answers from the portal (a comment,
which brings an incident waiting on it back to in progress) and adds attachments: size-limited,
type-checked against the bytes, stored in the database (a restart keeps them), served back as
attachments with nosniff; each upload and download is audited. Another constituent affected by
the same incident never sees UMA's files.
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


class PortalTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        e = cls.e
        cls.shared = e.ok("POST", "/api/v1/incidents", {
            "title": "Kit at two constituents", "constituents": ["UMA", "DG-HOME"],
            "tlp": "AMBER"})["id"]
        cls.other = e.ok("POST", "/api/v1/incidents", {
            "title": "Only the bank", "constituents": ["UCB"], "tlp": "GREEN"})["id"]
        _, cls.uma = e.user_token("uma-portal", "constituent", org="UMA")
        _, cls.home = e.user_token("home-portal", "constituent", org="DG-HOME")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def upload(self, iid, data, name, ctype, token, expect=201):
        s, h, b = self.e.request("POST", "/api/v1/incidents/%d/attachments?name=%s" % (iid, name),
                                 data, content_type=ctype, token=token)
        self.assertEqual(s, expect, b)
        return h, b

    def download(self, aid, token):
        return self.e.request("GET", "/api/v1/incident-attachments/%d" % aid, token=token,
                              raw=True)

    def test_1_sees_its_own_and_no_other_name(self):
        e = self.e
        lst = e.ok("GET", "/api/v1/incidents", token=self.uma)["data"]
        self.assertEqual([i["id"] for i in lst], [self.shared])
        inc = e.ok("GET", "/api/v1/incidents/%d" % self.shared, token=self.uma)
        self.assertEqual(inc["constituents"], ["UMA"])
        staff = e.ok("GET", "/api/v1/incidents/%d" % self.shared)
        self.assertEqual(sorted(staff["constituents"]), ["DG-HOME", "UMA"])
        # The other constituent's incident: not found by any route.
        for method, path, body in [
                ("GET", "/api/v1/incidents/%d" % self.other, None),
                ("GET", "/api/v1/incidents/%d/timeline" % self.other, None),
                ("POST", "/api/v1/incidents/%d/timeline" % self.other, {"text": "hi"}),
                ("GET", "/api/v1/incidents/%d/attachments" % self.other, None)]:
            s, _, b = e.request(method, path, body, token=self.uma)
            self.assertEqual(s, 404, (path, b))
        s, _, b = e.request("POST", "/api/v1/incidents/%d/attachments?name=a.txt" % self.other,
                            b"hello", content_type="text/plain", token=self.uma)
        self.assertEqual(s, 404, b)
        # What is for the CERT's people only: refused outright.
        for path in ("/api/v1/incidents/%d/links", "/api/v1/incidents/%d/correspondence",
                     "/api/v1/incidents/%d/tasks", "/api/v1/incidents/%d/observables"):
            s, _, b = e.request("GET", path % self.shared, token=self.uma)
            self.assertEqual(s, 403, (path, b))
        s, _, b = e.request("GET", "/api/v1/mail", token=self.uma)
        self.assertEqual(s, 403, b)
        # The reaction-time metrics: its own organisation's incidents, no other name.
        m = e.ok("GET", "/api/v1/incidents/metrics?by=constituent&period=all", token=self.uma)
        self.assertTrue(m["groups"], m)
        self.assertEqual({g["constituent"] for g in m["groups"]}, {"UMA"}, m)
        self.assertNotIn("DG-HOME", json.dumps(m))
        # Incident reports: a constituent lists those its organisation sent (the portal's form),
        # none of the mail the CERT received.
        s, _, b = e.request("GET", "/api/v1/incident-reports", token=self.uma)
        self.assertEqual((s, b["data"]), (200, []), b)
        # Filtering by another constituent reveals nothing either.
        s, _, b = e.request("GET", "/api/v1/incidents?org=DG-HOME", token=self.uma)
        self.assertTrue(s in (200, 400, 404) and not (s == 200 and b["data"]), b)
        # No answer the constituent can read names another constituent.
        seen = json.dumps([e.ok("GET", p, token=self.uma) for p in (
            "/api/v1/incidents", "/api/v1/incidents/%d" % self.shared,
            "/api/v1/incidents/%d/timeline" % self.shared,
            "/api/v1/incidents/%d/attachments" % self.shared)])
        for name in ("DG-HOME", "dg-home", "UCB", "Only the bank"):
            self.assertNotIn(name, seen)

    def test_2_answers_from_the_portal(self):
        e = self.e
        e.ok("PATCH", "/api/v1/incidents/%d" % self.shared, {"status": "in_progress"})
        e.ok("PATCH", "/api/v1/incidents/%d" % self.shared, {"status": "waiting_on_constituent"})
        e.ok("POST", "/api/v1/incidents/%d/timeline" % self.shared,
             {"text": "We took the kit down at 10:00."}, token=self.uma)
        inc = e.ok("GET", "/api/v1/incidents/%d" % self.shared)
        self.assertEqual(inc["status"], "in_progress")
        tl = e.ok("GET", "/api/v1/incidents/%d/timeline?limit=1000" % self.shared)["data"]
        self.assertTrue(any(x["kind"] == "comment" and "took the kit down" in
                            json.dumps(x["detail"]) and x["actor"] == "uma-portal" for x in tl))

    def test_3_attachments(self):
        e = self.e
        text = "Firewall log\n10.0.0.1 -> 198.51.100.7:443\n".encode()
        h, a = self.upload(self.shared, text, "fw%20log%20%C3%A9t%C3%A9.txt", "text/plain",
                           self.uma)
        self.assertEqual(a["file_name"], "fw log été.txt")
        self.assertEqual((a["size"], a["content_type"], a["from_constituent"]),
                         (len(text), "text/plain", True))
        self.assertEqual(h["location"], "/api/v1/incident-attachments/%d" % a["id"])
        _, b = self.upload(self.shared, PNG, "shot.png", "image/png", self.uma)
        png_id = b["id"]
        # Served back as an attachment, its type checked, nosniff.
        s, h, body = self.download(a["id"], self.uma)
        self.assertEqual((s, body), (200, text))
        self.assertTrue(h["content-disposition"].startswith("attachment;"), h)
        self.assertIn("filename*=UTF-8''fw%20log%20%C3%A9t%C3%A9.txt", h["content-disposition"])
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["content-type"], "text/plain; charset=utf-8")
        s, h, body = self.download(png_id, e.token)  # staff
        self.assertEqual((s, body, h["content-type"]), (200, PNG, "image/png"))
        # The other constituent of the same incident sees neither.
        lst = e.ok("GET", "/api/v1/incidents/%d/attachments" % self.shared, token=self.home)
        self.assertEqual(lst["data"], [])
        s, _, _ = self.download(a["id"], self.home)
        self.assertEqual(s, 404)
        # The CERT's own file is the CERT's: UMA does not see it either.
        _, cert = self.upload(self.shared, b"internal notes\n", "notes.txt", "text/plain", e.token)
        ids = [x["id"] for x in e.ok("GET", "/api/v1/incidents/%d/attachments" % self.shared,
                                     token=self.uma)["data"]]
        self.assertEqual(ids, [a["id"], png_id])
        all_ids = [x["id"] for x in e.ok("GET", "/api/v1/incidents/%d/attachments"
                                         % self.shared)["data"]]
        self.assertEqual(all_ids, [a["id"], png_id, cert["id"]])
        self.assertEqual(self.download(cert["id"], self.uma)[0], 404)
        # Bad input: each refused, naming what is wrong.
        for data, name, ctype, status, field in [
                (b"not a png", "x.png", "image/png", 422, "Content-Type"),
                (b"MZ\x90\x00", "x.exe", "application/x-msdownload", 415, "Content-Type"),
                (b"<html><script>alert(1)</script>", "x.html", "text/html", 415, "Content-Type"),
                (b"a\x00b", "x.txt", "text/plain", 422, "Content-Type"),
                (b"\xff\xfe", "x.txt", "text/plain", 422, "Content-Type"),
                (b"", "x.txt", "text/plain", 422, "body"),
                (b"x", "..", "text/plain", 422, "name"),
                (b"x", "a%2Fb.txt", "text/plain", 422, "name"),
                (b"x", "a%0Ab.txt", "text/plain", 422, "name"),
                (b"x" * (10 * 1024 * 1024 + 1), "big.txt", "text/plain", 413, "body")]:
            s, _, b = e.request("POST", "/api/v1/incidents/%d/attachments?name=%s"
                                % (self.shared, name), data, content_type=ctype, token=self.uma)
            self.assertEqual(s, status, (name, ctype, b))
            self.assertEqual(b["error"]["field"], field, b)
        s, _, b = e.request("POST", "/api/v1/incidents/%d/attachments" % self.shared, b"x",
                            content_type="text/plain", token=self.uma)
        self.assertEqual((s, b["error"]["field"]), (400, "name"))
        # Audited: the uploads and downloads, by whom.
        audit = e.ok("GET", "/api/v1/audit?object_type=incident_attachment&limit=1000")["data"]
        acts = {(x["action"], x["actor"], x["object_id"]) for x in audit}
        self.assertIn(("upload", "uma-portal", str(a["id"])), acts)
        self.assertIn(("download", "uma-portal", str(a["id"])), acts)
        # Stored durably: a restart keeps them, byte for byte.
        e.restart()
        s, _, body = self.download(png_id, self.uma)
        self.assertEqual((s, body), (200, PNG))


if __name__ == "__main__":
    main()
