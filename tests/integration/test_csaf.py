"""Issue 13, item 2: native CSAF 2.0 validation in C, agreeing with csaf-validator-lib.

`ermes csaf validate` checks the examples of ../shared/conformance/csaf (all valid), a valid
advisory and VEX document built by tests/integration/csafdocs.py, and an invalid document for
every mandatory test ermes implements; @secvisogram/csaf-validator-lib (npm, its "basic"
preset: the strict schema and every mandatory test) checks the same files through node
(tests/integration/csaf_oracle.mjs), and the two must agree on every document: valid or not,
and the same tests failed. The same through POST /api/v1/csaf/validate.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, cli, main  # noqa: E402
import csafdocs  # noqa: E402

NODE = shutil.which("node")
LIB = os.path.join(SOURCE_DIR, "tests", "browser", "node_modules", "@secvisogram",
                   "csaf-validator-lib")
ORACLE = os.path.join(SOURCE_DIR, "tests", "integration", "csaf_oracle.mjs")
EXAMPLES = os.path.abspath(os.path.join(SOURCE_DIR, "..", "shared", "conformance", "csaf",
                                        "csaf_2.0", "examples", "csaf"))
if not os.path.isdir(EXAMPLES):
    EXAMPLES = "/work/shared/conformance/csaf/csaf_2.0/examples/csaf"


def oracle(files, extended=False, informative=False):
    env = dict(os.environ, CSAF_VALIDATOR_LIB=LIB)
    p = subprocess.run([NODE, ORACLE] + (["--extended"] if extended else []) +
                       (["--informative"] if informative else []),
                       input="\n".join(files).encode(), env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=540)
    if p.returncode != 0:
        raise AssertionError("csaf-validator-lib failed: %s" % p.stderr.decode()[-2000:])
    return {r["file"]: r for r in map(json.loads, p.stdout.decode().splitlines())}


def assert_valid(tc, e, paths):
    """Test case tc checks that ermes's validator (e's binary) and csaf-validator-lib's basic
    and extended presets (one run of node each: starting the library is most of its time)
    find every file of paths valid."""
    rc, out, err = e.cli("csaf", "validate", "--json", *paths, data_dir=False)
    tc.assertEqual(rc, 0, out + err)
    for line in out.splitlines():
        tc.assertTrue(json.loads(line)["valid"], line)
    tc.assertIsNotNone(NODE, "node is not installed (scripts/install-deps test)")
    tc.assertTrue(os.path.isdir(LIB), "csaf-validator-lib is missing (make browser-deps)")
    for extended in (False, True):
        results = oracle(paths, extended=extended)
        for path in paths:
            tc.assertTrue(results[path]["valid"],
                          "csaf-validator-lib (extended=%s): %r" % (extended, results[path]))


def lib_tests(names):
    """The library's test names as ermes numbers them."""
    out = set()
    for n in names:
        if n.startswith("csaf_2_0"):
            out.add("schema")
        elif n.startswith("mandatoryTest_"):
            out.add(n[len("mandatoryTest_"):].replace("_", "."))
        else:
            out.add(n)
    return out


def ermes_tests(failed, group="mandatory"):
    return {"schema" if f["test"] == "6.1.8" else f["test"] for f in failed
            if f["group"] == group}


# The optional and informative tests ermes implements (src/advisories/csaf_optional.c,
# csaf_informative.c).
OPTIONAL = set(csafdocs.OPTIONAL)
INFORMATIVE = set(csafdocs.INFORMATIVE)


class CsafValidation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ermes-csaf-")
        cls.docs = {}
        for name, doc in (("valid-advisory", csafdocs.advisory()), ("valid-vex", csafdocs.vex()),
                          ("valid-large", csafdocs.advisory(7, products=12, vulns=5))):
            cls.docs[name] = doc
        for test in csafdocs.INVALID:
            cls.docs["invalid-" + test] = csafdocs.invalid(test)
        for test in csafdocs.OPTIONAL:
            cls.docs["warning-" + test] = csafdocs.optional(test)
        for test in csafdocs.INFORMATIVE:
            cls.docs["info-" + test] = csafdocs.informative(test)
        cls.files = {}
        for name, doc in cls.docs.items():
            path = os.path.join(cls.dir, name + ".json")
            with open(path, "w") as f:
                json.dump(doc, f, indent=1)
            cls.files[name] = path

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def ermes(self, files, *flags):
        rc, out, err = cli("csaf", "validate", "--json", *flags, *files)
        rows = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(len(rows), len(files), err)
        return rc, {r["file"]: r for r in rows}

    def test_examples_are_valid(self):
        files = sorted(glob.glob(os.path.join(EXAMPLES, "**", "*.json"), recursive=True))
        self.assertGreaterEqual(len(files), 19, EXAMPLES)
        rc, rows = self.ermes(files)
        self.assertEqual(rc, 0, [r for r in rows.values() if not r["valid"]])
        rc, out, err = cli("csaf", "validate", *files)
        self.assertEqual(out.count(": valid\n"), len(files))

    def test_agrees_with_csaf_validator_lib(self):
        self.assertIsNotNone(NODE, "node is not installed (scripts/install-deps test)")
        self.assertTrue(os.path.isdir(LIB), "csaf-validator-lib is missing (make browser-deps)")
        examples = sorted(glob.glob(os.path.join(EXAMPLES, "**", "*.json"), recursive=True))
        files = list(self.files.values()) + examples
        _, ours = self.ermes(files, "--preset", "basic")
        theirs = oracle(files)
        disagreements = []
        for f in files:
            o, t = ours[f], theirs[f]
            if o["valid"] != t["valid"] or ermes_tests(o["failed"]) != lib_tests(t["failed"]):
                disagreements.append((os.path.basename(f), sorted(ermes_tests(o["failed"])),
                                      sorted(lib_tests(t["failed"]))))
        self.assertEqual(disagreements, [])
        # The basic preset runs neither the optional nor the informative tests.
        self.assertEqual([f for r in ours.values() for f in r["failed"]
                          if f["group"] != "mandatory"], [])
        print("csaf: ermes and csaf-validator-lib agree on %d documents" % len(files),
              file=sys.stderr)

    def test_presets_leave_out_their_groups(self):
        """basic: the mandatory group only; extended: and the optional one, as the library's
        extended preset finds (the tests ermes implements); full: every group, the default.
        A preset changes nothing else: the mandatory findings and valid are the same."""
        self.assertIsNotNone(NODE, "node is not installed (scripts/install-deps test)")
        files = list(self.files.values())
        results = {p: self.ermes(files, "--preset", p) for p in ("basic", "extended", "full")}
        _, default = self.ermes(files)
        self.assertEqual(default, results["full"][1])
        for preset, groups in (("basic", {"mandatory"}), ("extended", {"mandatory", "optional"}),
                               ("full", {"mandatory", "optional", "informative"})):
            rc, rows = results[preset]
            self.assertEqual(rc, results["full"][0])
            found = {f["group"] for r in rows.values() for f in r["failed"]}
            self.assertEqual(found, groups, preset)
            for f in files:
                full = results["full"][1][f]
                self.assertEqual(rows[f]["valid"], full["valid"])
                self.assertEqual(rows[f]["failed"],
                                 [x for x in full["failed"] if x["group"] in groups])
        theirs = oracle(files, extended=True)
        for f in files:
            lib = {n[len("optionalTest_"):].replace("_", ".") for n in theirs[f]["warned"]}
            self.assertEqual(ermes_tests(results["extended"][1][f]["failed"], "optional"), lib,
                             f)
            self.assertEqual(theirs[f]["informed"], [], f)
        rc, out, err = cli("csaf", "validate", "--preset", "everything", files[0])
        self.assertEqual(rc, 2)
        self.assertIn("--preset", err)

    def test_jobs_give_the_output_of_one_job(self):
        """--jobs 3 over many files (invalid ones, an unreadable one, one not JSON, one too
        deep) prints the same bytes on stdout and stderr, with the same exit status, as one
        job, in text and in --json."""
        files = []
        names = sorted(self.files)
        for k in range(150):
            files.append(self.files[names[k % len(names)]])
        bad = os.path.join(self.dir, "jobs-not-json.json")
        with open(bad, "w") as f:
            f.write('{"document": [1, 2,')
        deep = os.path.join(self.dir, "jobs-deep.json")
        with open(deep, "w") as f:
            f.write("[" * 1000 + "]" * 1000)
        files[7] = bad
        files[50] = os.path.join(self.dir, "jobs-missing.json")
        files[51] = self.dir  # a directory: opens, then cannot be read
        files[99] = deep
        for flags in ((), ("--json",), ("--json", "--preset", "basic")):
            one = cli("csaf", "validate", *flags, "--jobs", "1", *files)
            self.assertEqual(one[0], 1)
            self.assertIn("jobs-missing.json", one[2])
            self.assertEqual(len([x for x in one[1].splitlines() if "valid" in x]) > 100, True)
            for jobs in ("3", "--jobs=2"):
                many = cli("csaf", "validate", *flags,
                           *(("--jobs", jobs) if jobs == "3" else (jobs,)), *files)
                self.assertEqual(many, one, (flags, jobs))
            # The default (every online CPU) too.
            self.assertEqual(cli("csaf", "validate", *flags, *files), one, flags)
        # Only valid documents: exit status 0 either way.
        valid = [self.files["valid-advisory"], self.files["valid-vex"]] * 20
        self.assertEqual(cli("csaf", "validate", "--jobs", "4", *valid),
                         cli("csaf", "validate", "--jobs", "1", *valid))
        self.assertEqual(cli("csaf", "validate", "--jobs", "4", *valid)[0], 0)
        for bad_jobs in ("0", "257", "x"):
            rc, out, err = cli("csaf", "validate", "--jobs", bad_jobs, valid[0])
            self.assertEqual(rc, 2, bad_jobs)
            self.assertIn("--jobs", err)

    def test_optional_tests_agree_with_the_extended_preset(self):
        """The optional and informative tests ermes runs find the same as the library's."""
        self.assertIsNotNone(NODE, "node is not installed (scripts/install-deps test)")
        examples = sorted(glob.glob(os.path.join(EXAMPLES, "**", "*.json"), recursive=True))
        files = list(self.files.values()) + examples
        _, ours = self.ermes(files)
        theirs = oracle(files, extended=True, informative=True)
        disagreements = []
        for f in files:
            mine = ermes_tests(ours[f]["failed"], "optional")
            lib = {n[len("optionalTest_"):].replace("_", ".") for n in theirs[f]["warned"]
                   if n.startswith("optionalTest_")} & OPTIONAL
            if mine != lib:
                disagreements.append((os.path.basename(f), sorted(mine), sorted(lib)))
            mine = ermes_tests(ours[f]["failed"], "informative")
            lib = {n[len("informativeTest_"):].replace("_", ".") for n in theirs[f]["informed"]
                   if n.startswith("informativeTest_")} & INFORMATIVE
            if mine != lib:
                disagreements.append((os.path.basename(f), sorted(mine), sorted(lib)))
        self.assertEqual(disagreements, [])
        for name, path in self.files.items():
            if name.startswith("info-"):
                self.assertTrue(ours[path]["valid"], name)
                self.assertIn(name[len("info-"):], ermes_tests(ours[path]["failed"], "informative"))
        for name, path in self.files.items():
            if name.startswith("warning-"):
                self.assertTrue(ours[path]["valid"], name)
                self.assertIn(name[len("warning-"):], ermes_tests(ours[path]["failed"], "optional"))

    def test_each_invalid_document_fails_its_test(self):
        _, ours = self.ermes(list(self.files.values()))
        for name, path in self.files.items():
            row = ours[path]
            if name.startswith("valid"):
                self.assertTrue(row["valid"], (name, row["failed"]))
                self.assertEqual(row["failed"], [], name)
                continue
            if name.startswith("warning-") or name.startswith("info-"):
                continue
            test = name[len("invalid-"):].split("-")[0]
            self.assertFalse(row["valid"], name)
            self.assertIn(test, {f["test"] for f in row["failed"]}, (name, row["failed"]))
            for f in row["failed"]:
                self.assertIn(f["group"], ("mandatory", "optional", "informative"))
                self.assertTrue(f["path"] == "" or f["path"].startswith("/"), f)
                self.assertTrue(f["message"], f)
        # Every mandatory test of section 6.1 has its invalid document.
        numbers = {n.split("-")[0] for n in csafdocs.INVALID}
        for k in range(1, 34):
            if k == 27:
                for j in range(1, 12):
                    self.assertIn("6.1.27.%d" % j, numbers)
            else:
                self.assertIn("6.1.%d" % k, numbers)

    def test_text_output_and_exit_status(self):
        rc, out, err = cli("csaf", "validate", self.files["valid-advisory"],
                           self.files["invalid-6.1.7"])
        self.assertEqual(rc, 1, err)
        self.assertIn("valid-advisory.json: valid", out)
        self.assertIn("invalid-6.1.7.json: 6.1.7 mandatory /vulnerabilities/0/scores/1/products/0",
                      out)

    def test_bad_input(self):
        bad = os.path.join(self.dir, "not-json.json")
        with open(bad, "w") as f:
            f.write('{"document": [1, 2,')
        rc, out, err = cli("csaf", "validate", bad)
        self.assertEqual(rc, 1)
        self.assertIn("not JSON", err)
        rc, out, err = cli("csaf", "validate", "--json", bad, self.files["valid-vex"])
        self.assertEqual(rc, 1)
        rows = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(rows[0]["failed"][0]["test"], "json")
        self.assertTrue(rows[1]["valid"])
        deep = os.path.join(self.dir, "deep.json")
        with open(deep, "w") as f:
            f.write("[" * 100000 + "]" * 100000)
        rc, out, err = cli("csaf", "validate", deep)
        self.assertEqual(rc, 1)
        self.assertIn("nested deeper", err)
        big = os.path.join(self.dir, "big.json")
        with open(big, "w") as f:
            f.write('{"x": "' + "a" * (17 * 1024 * 1024) + '"}')
        rc, out, err = cli("csaf", "validate", big)
        self.assertEqual(rc, 1)
        rc, out, err = cli("csaf", "validate", os.path.join(self.dir, "missing.json"))
        self.assertEqual(rc, 1)
        rc, out, err = cli("csaf", "frobnicate")
        self.assertEqual(rc, 2)


class CsafValidateApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_validate_endpoint(self):
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate", csafdocs.advisory())
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"valid": True, "failed": []})
        doc = csafdocs.invalid("6.1.6")
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate", doc)
        self.assertEqual(status, 200, body)
        self.assertFalse(body["valid"])
        self.assertEqual([f["test"] for f in body["failed"]], ["6.1.6"])
        self.assertEqual(body["failed"][0]["path"], "/vulnerabilities/0/product_status")
        # The same answer as the CLI's.
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        try:
            rc, out, err = cli("csaf", "validate", "--json", f.name)
            self.assertEqual({k: v for k, v in json.loads(out).items() if k != "file"}, body)
        finally:
            os.unlink(f.name)

    def test_preset(self):
        doc = csafdocs.optional("6.2.1")
        status, _, full = self.e.request("POST", "/api/v1/csaf/validate", doc)
        self.assertEqual(status, 200, full)
        self.assertIn("6.2.1", [f["test"] for f in full["failed"]])
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=full", doc)
        self.assertEqual((status, body), (200, full))
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=extended", doc)
        self.assertEqual((status, body), (200, {"valid": True, "failed": [
            f for f in full["failed"] if f["group"] != "informative"]}))
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=basic", doc)
        self.assertEqual((status, body), (200, {"valid": True, "failed": []}))
        doc = csafdocs.informative("6.3.1")
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=extended", doc)
        self.assertEqual(status, 200, body)
        self.assertEqual([f for f in body["failed"] if f["group"] == "informative"], [])
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=full", doc)
        self.assertIn("6.3.1", [f["test"] for f in body["failed"]])
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=basic",
                                         csafdocs.invalid("6.1.6"))
        self.assertEqual(status, 200, body)
        self.assertEqual([f["test"] for f in body["failed"]], ["6.1.6"])
        for bad in ("Basic", "all", ""):
            status, _, body = self.e.request("POST", "/api/v1/csaf/validate?preset=" + bad, doc)
            self.assertEqual(status, 400, (bad, body))
            self.assertEqual(body["error"]["field"], "preset")

    def test_bad_bodies(self):
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate", '{"document": ')
        self.assertEqual(status, 400, body)
        self.assertEqual(body["error"]["field"], "body")
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate", "[]")
        self.assertEqual(status, 200)
        self.assertFalse(body["valid"])
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate",
                                         b'{"x":"' + b"a" * (17 * 1024 * 1024) + b'"}')
        self.assertEqual(status, 413, body)
        status, _, body = self.e.request("POST", "/api/v1/csaf/validate", csafdocs.advisory(),
                                         token=None)
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
