"""The two routes the web UI's advisory editor uses (issue 13, item 1): GET /api/v1/csaf/schema
answers the CSAF 2.0 JSON schema ermes validates with (data/csaf/csaf_json_schema.json, byte for
byte), and GET /api/v1/cvss?vector=V scores a vector as `ermes cvss --json` does (the same
binary's CLI is the reference here; the scorer itself is checked against an independent
implementation by test_cvss). Bad vectors are a 422 naming the field; both need a signed-in
user. The editor itself runs in tests/browser/run.mjs (test_browser)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main, quote  # noqa: E402

VECTORS = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N/E:P/RL:O/RC:C",
    "AV:N/AC:L/Au:N/C:P/I:P/A:P",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L/MAV:P",
]


class AdvisoryEditorRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        cls.e.ok("POST", "/api/v1/organisations", {"short_name": "ACME", "name": "Acme"},
                 expect=201)
        _, cls.conny_t = cls.e.user_token("conny", "constituent", org="ACME")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_schema(self):
        status, h, body = self.e.request("GET", "/api/v1/csaf/schema", raw=True)
        self.assertEqual(status, 200)
        self.assertEqual(h.get("content-type"), "application/schema+json")
        with open(os.path.join(SOURCE_DIR, "data", "csaf", "csaf_json_schema.json"), "rb") as f:
            self.assertEqual(body, f.read())
        schema = json.loads(body)
        self.assertEqual(schema["required"], ["document"])
        self.assertIn("vulnerabilities", schema["properties"])
        # Any signed-in user (a constituent too); nobody without a session or token.
        status, _, _ = self.e.request("GET", "/api/v1/csaf/schema", token=self.conny_t, raw=True)
        self.assertEqual(status, 200)
        status, _, _ = self.e.request("GET", "/api/v1/csaf/schema", token=None)
        self.assertEqual(status, 401)

    def test_cvss(self):
        rc, out, err = self.e.cli("cvss", "--json", *VECTORS, data_dir=False)
        self.assertEqual(rc, 0, err)
        want = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(want), len(VECTORS))
        for w in want:
            got = self.e.ok("GET", "/api/v1/cvss?vector=" + quote(w["vector"]),
                            token=self.conny_t)
            self.assertEqual(got, w)
        got = self.e.ok("GET", "/api/v1/cvss?vector=" + quote(VECTORS[0]))
        self.assertEqual((got["version"], got["base_score"], got["base_severity"]),
                         ("3.1", 9.8, "CRITICAL"))
        for bad in ("CVSS:3.1/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    "hello", "CVSS:3.1/" + "AV:N/" * 200):
            status, _, body = self.e.request("GET", "/api/v1/cvss?vector=" + quote(bad))
            self.assertEqual((status, body["error"]["field"]), (422, "vector"), body)
            self.assertTrue(body["error"]["message"])
        status, _, body = self.e.request("GET", "/api/v1/cvss")
        self.assertEqual((status, body["error"]["field"]), (400, "vector"), body)
        status, _, _ = self.e.request("GET", "/api/v1/cvss?vector=" + quote(VECTORS[0]),
                                      token=None)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
