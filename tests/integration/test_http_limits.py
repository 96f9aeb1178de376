"""The HTTP layer's edges: malformed bodies, content types, body and header limits, unknown
routes and methods, slow and many clients, /metrics, and the OpenAPI document against
docs/API.md and the live routes."""

import json
import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import (HOST, SOURCE_DIR, Ermes, assert_error, main, raw_exchange,  # noqa: E402
                      read_response, status_of)

ORGS = "/api/v1/organisations"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def api_md_routes():
    """{path: {METHOD, ...}} from the route table of docs/API.md."""
    with open(os.path.join(SOURCE_DIR, "docs", "API.md")) as f:
        text = f.read()
    routes = {}
    for m in re.finditer(r"(?m)^\| `(GET|POST|PUT|PATCH|DELETE) (/[^` ]*)` \|", text):
        routes.setdefault(m.group(2), set()).add(m.group(1))
    return routes


def validate(schema, value, doc, path="$"):
    """A small JSON Schema check (the subset openapi.json uses); returns a list of problems."""
    if "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return validate(node, value, doc, path)
    errs = []
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        ok = False
        for t in types:
            if (t == "object" and isinstance(value, dict)) or \
               (t == "array" and isinstance(value, list)) or \
               (t == "string" and isinstance(value, str)) or \
               (t == "integer" and isinstance(value, int) and not isinstance(value, bool)) or \
               (t == "number" and isinstance(value, (int, float)) and
                not isinstance(value, bool)) or \
               (t == "boolean" and isinstance(value, bool)) or \
               (t == "null" and value is None):
                ok = True
        if not ok:
            return ["%s: %r is not %s" % (path, value, types)]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if "const" in schema and value != schema["const"]:
        errs.append("%s: %r != %r" % (path, value, schema["const"]))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append("%s: too long" % path)
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append("%s: too short" % path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: %r < %r" % (path, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: %r > %r" % (path, value, schema["maximum"]))
    if isinstance(value, dict):
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: %s is missing" % (path, k))
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                errs += validate(props[k], v, doc, "%s.%s" % (path, k))
            elif schema.get("additionalProperties") is False:
                errs.append("%s: unexpected member %s" % (path, k))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(schema["items"], v, doc, "%s[%d]" % (path, i))
    for sub in schema.get("allOf", []):
        errs += validate(sub, value, doc, path)
    if "oneOf" in schema:
        n = sum(1 for sub in schema["oneOf"] if not validate(sub, value, doc, path))
        if n != 1:
            errs.append("%s: %r matches %d of oneOf" % (path, value, n))
    if "not" in schema and not validate(schema["not"], value, doc, path):
        errs.append("%s: matches a schema it must not" % path)
    return errs


class HttpLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(serve_args=["--max-body", "4096", "--request-timeout", "2"])
        try:
            cls.org = cls.e.ok("POST", ORGS, {"short_name": "LIM", "name": "Limits Ltd",
                                              "networks": ["192.0.2.0/28"]}, expect=201)
            cls.const, cls.ctoken = cls.e.user_token("lim-user", "constituent", org="LIM")
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def assert_alive(self):
        s, _, b = self.e.healthz()
        self.assertEqual(s, 200, b)

    # ---- bodies ---------------------------------------------------------------------------

    def test_malformed_json(self):
        body = b'{"short_name": "MAL",\n  "name": }'
        s, _, b = self.e.request("POST", ORGS, body)
        err = assert_error(self, s, b, 400, "malformed_json")
        for k in ("position", "line", "column"):
            self.assertIsInstance(err.get(k), int, "error lacks %s: %r" % (k, err))
        self.assertEqual(err["line"], 2, err)
        self.assertGreater(err["column"], 0, err)
        self.assertGreater(err["position"], 20, err)
        for body in (b"", b"{", b"{'a': 1}", b'{"a": 1,}', b"\xff\xfe", b'{"a": 1} trailing',
                     b'{"a": "\xc3\x28"}'):
            with self.subTest(body=body):
                s, _, b = self.e.request("POST", ORGS, body)
                self.assertEqual(s, 400, b)
                assert_error(self, s, b, 400)
        self.assertEqual(self.e.request("GET", ORGS + "/MAL")[0], 404)

    def test_wrong_content_type(self):
        doc = json.dumps({"short_name": "CT1", "name": "Content type"}).encode()
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "text/csv",
                      "application/xml"):
            with self.subTest(content_type=ctype):
                s, _, b = self.e.request("POST", ORGS, doc, content_type=ctype)
                assert_error(self, s, b, 415, "unsupported_media_type")
        s, _, b = self.e.request("POST", ORGS, doc, headers={"Content-Type": None})
        assert_error(self, s, b, 415, "unsupported_media_type")
        s, _, b = self.e.request("PATCH", ORGS + "/LIM", b'{"name": "x"}',
                                 content_type="text/plain")
        assert_error(self, s, b, 415, "unsupported_media_type")
        s, _, b = self.e.request("POST", ORGS + "/import", b"short_name,name\nCT2,x\n",
                                 content_type="application/octet-stream")
        assert_error(self, s, b, 415, "unsupported_media_type")
        self.assertEqual(self.e.request("GET", ORGS + "/CT1")[0], 404)
        # parameters on the right type are fine
        s, _, b = self.e.request("POST", ORGS, doc,
                                 content_type="application/json; charset=utf-8")
        self.assertEqual(s, 201, b)

    def test_body_too_large(self):
        big = {"short_name": "BIG", "name": "x" * 100,
               "domains": ["d%04d.big.example" % i for i in range(400)]}
        data = json.dumps(big).encode()
        self.assertGreater(len(data), 4096)
        s, _, b = self.e.request("POST", ORGS, data)
        assert_error(self, s, b, 413, "payload_too_large")
        self.assert_alive()
        # without Content-Length (chunked), the limit holds too
        head = ("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n" % (ORGS, HOST, self.e.token)).encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 1000]), data[i:i + 1000])
                          for i in range(0, len(data), 1000)) + b"0\r\n\r\n"
        try:
            resp = raw_exchange(self.e.port, head + chunks)
            self.assertEqual(status_of(resp), 413, resp[:300])
        except (ConnectionResetError, BrokenPipeError):
            pass  # refusing by closing is allowed for a chunked body; nothing may be stored
        self.assertEqual(self.e.request("GET", ORGS + "/BIG")[0], 404)
        self.assert_alive()
        # just under the limit is fine
        small = {"short_name": "SMALL", "name": "Small",
                 "domains": ["d%04d.small.example" % i for i in range(150)]}
        self.assertLess(len(json.dumps(small)), 4096)
        s, _, b = self.e.request("POST", ORGS, small)
        self.assertEqual(s, 201, b)
        # a big import is refused the same way
        csv = "short_name,name\n" + "".join("IMP%d,Name %d\n" % (i, i) for i in range(500))
        s, _, b = self.e.request("POST", ORGS + "/import", csv, content_type="text/csv")
        assert_error(self, s, b, 413, "payload_too_large")
        self.assert_alive()

    def test_header_too_large(self):
        head = ("GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\nConnection: close\r\n\r\n"
                % (HOST, "a" * 200000)).encode()
        try:
            resp = raw_exchange(self.e.port, head, timeout=30)
        except (ConnectionResetError, BrokenPipeError):
            resp = b""
        if resp:
            self.assertEqual(status_of(resp), 431, resp[:300])
        self.assert_alive()

    # ---- routes ---------------------------------------------------------------------------

    def test_unknown_route(self):
        for path in ("/api/v1/nope", "/api/v2/organisations", "/api/nope", "/api/v1/organisations/"
                     "LIM/extra", "/api/v1/users/1/tokens"):
            with self.subTest(path=path):
                s, h, b = self.e.request("GET", path)
                assert_error(self, s, b, 404, "not_found")
                self.assertIn("application/json", h.get("content-type", ""))

    def test_wrong_method(self):
        cases = [("DELETE", ORGS, {"GET", "POST"}),
                 ("PUT", ORGS + "/LIM", {"GET", "PATCH", "DELETE"}),
                 ("POST", "/healthz", {"GET"}),
                 ("DELETE", "/api/v1/lookup?ip=192.0.2.1", {"GET"}),
                 ("PUT", "/api/v1/tokens/1", {"DELETE"}),
                 ("DELETE", "/api/v1/me", {"GET"}),
                 ("POST", "/api/v1/audit", {"GET"})]
        for method, path, allowed in cases:
            with self.subTest(method=method, path=path):
                s, h, b = self.e.request(method, path, b"{}" if method in ("PUT", "POST")
                                         else None)
                assert_error(self, s, b, 405, "method_not_allowed")
                self.assertIn("allow", h)
                got = {m.strip() for m in h["allow"].split(",") if m.strip()}
                got.discard("HEAD")
                self.assertEqual(got, allowed, h["allow"])
        self.assertEqual(self.e.ok("GET", ORGS + "/LIM")["name"], "Limits Ltd")

    # ---- slow and many clients ------------------------------------------------------------

    def test_slow_client_is_dropped(self):
        slow = []
        try:
            for _ in range(10):
                s = socket.create_connection((HOST, self.e.port), timeout=30)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
                slow.append(s)
            t0 = time.monotonic()
            # others are served meanwhile, promptly
            for _ in range(5):
                t1 = time.monotonic()
                self.assert_alive()
                self.assertLess(time.monotonic() - t1, 5.0)
            # the slow ones are disconnected within a few seconds of the 2 s timeout
            for s in slow:
                try:
                    while True:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                except (ConnectionResetError, BrokenPipeError):
                    pass
                except socket.timeout:
                    self.fail("a slow client was still connected after %.1f s"
                              % (time.monotonic() - t0))
            took = time.monotonic() - t0
            self.assertLess(took, 15.0, "slow clients were kept %.1f s" % took)
        finally:
            for s in slow:
                s.close()
        self.assert_alive()

    def test_idle_keepalive_is_closed(self):
        s = socket.create_connection((HOST, self.e.port), timeout=30)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            resp = read_response(s)
            self.assertEqual(status_of(resp), 200, resp[:200])
            t0 = time.monotonic()
            try:
                self.assertEqual(s.recv(4096), b"")
            except ConnectionResetError:
                pass
            except socket.timeout:
                self.fail("an idle connection was kept over 30 s with request_timeout 2")
            self.assertLess(time.monotonic() - t0, 15.0)
        finally:
            s.close()

    def test_many_concurrent_connections(self):
        nconn = 64
        socks = []
        try:
            for _ in range(nconn):
                socks.append(socket.create_connection((HOST, self.e.port), timeout=60))
            req = ("GET /api/v1/lookup?ip=192.0.2.3 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\n\r\n" % self.e.token).encode()
            for s in socks:
                s.sendall(req)
            for s in socks:
                resp = read_response(s)
                self.assertEqual(status_of(resp), 200, resp[:300])
                self.assertIn(b'"LIM"', resp)
        finally:
            for s in socks:
                s.close()
        # and many clients in parallel, each with several requests
        errors = []

        def worker(n):
            try:
                for i in range(10):
                    s, _, b = self.e.request("GET", "/api/v1/lookup?ip=192.0.2.%d" % (i % 16))
                    if s != 200 or b["organisation"]["short_name"] != "LIM":
                        errors.append((n, i, s, b))
            except Exception as exc:  # noqa: BLE001
                errors.append((n, repr(exc)))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients hung")
        self.assertEqual(errors, [])

    # ---- metrics --------------------------------------------------------------------------

    def test_metrics(self):
        self.e.request("GET", "/api/v1/nope")
        s, h, b = self.e.request("GET", "/metrics", raw=True)
        self.assertEqual(s, 200, b)
        self.assertTrue(h.get("content-type", "").startswith("text/plain"), h)
        self.assertIn("version=0.0.4", h.get("content-type", ""))
        text = b.decode()
        self.assertIn("ermes_http_requests_total", text)
        self.assertRegex(text, r"(?m)^# TYPE ermes_http_requests_total counter$")
        self.assertRegex(text, r"(?m)^# HELP ermes_http_requests_total ")
        samples = re.findall(r"(?m)^ermes_http_requests_total(\{[^}]*\})? (\d+(?:\.\d+)?)$",
                             text)
        self.assertTrue(samples, "no ermes_http_requests_total samples")
        self.assertGreater(sum(float(v) for _, v in samples), 0)
        # every line is a comment or a sample
        for line in text.splitlines():
            if line:
                self.assertRegex(line, r"^(# (HELP|TYPE) \w+ .*|[a-zA-Z_:][a-zA-Z0-9_:]*"
                                       r"(\{.*\})? [-+0-9.eEInfa]+( \d+)?)$")
        assert_error(self, *self.e.request("GET", "/metrics", token=self.ctoken)[::2], 403,
                     "forbidden")
        self.assertEqual(self.e.request("GET", "/metrics", token=None)[0], 401)

    # ---- OpenAPI --------------------------------------------------------------------------

    def openapi(self):
        s, h, b = self.e.request("GET", "/api/v1/openapi.json", token=None)
        self.assertEqual(s, 200, b)
        self.assertIn("application/json", h.get("content-type", ""))
        self.assertIsInstance(b, dict)
        return b

    def test_openapi_document(self):
        doc = self.openapi()
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertEqual(doc["info"]["title"], "ermes")
        self.assertEqual(doc["info"]["version"], "0.1.0")
        self.assertEqual(doc["servers"], [{"url": "/"}])
        self.assertEqual(doc["security"], [{"bearerAuth": []}])
        scheme = doc["components"]["securitySchemes"]["bearerAuth"]
        self.assertEqual((scheme["type"], scheme["scheme"]), ("http", "bearer"))
        for path in ("/healthz", "/api/v1/openapi.json"):
            self.assertEqual(doc["paths"][path]["get"].get("security"), [], path)
        for name in ("Organisation", "OrganisationInput", "Contact", "User", "Token",
                     "TokenCreated", "AuditEntry", "LookupResult", "ImportReport", "Error",
                     "ListEnvelope"):
            self.assertIn(name, doc["components"]["schemas"])
        # the served document is the one in the source tree
        with open(os.path.join(SOURCE_DIR, "src", "http", "openapi.json")) as f:
            self.assertEqual(doc, json.load(f))
        # every $ref resolves
        refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(doc))
        for ref in set(refs):
            node = doc
            for part in ref.split("/"):
                self.assertIn(part, node, "dangling $ref #/%s" % ref)
                node = node[part]

    def test_responses_match_openapi_schemas(self):
        doc = self.openapi()
        lim = self.e.ok("GET", ORGS + "/LIM")
        me = self.e.ok("GET", "/api/v1/me")
        tok = self.e.create_token(description="schema check")
        # A Shadowserver report with one row for LIM and one that fails (not an IP).
        report_csv = ('"timestamp","ip","protocol","port","hostname","tag","asn","geo"\n'
                      '"2026-01-01 02:07:16","192.0.2.3","tcp",5555,"h.lim.example","adb",'
                      '64500,"NL"\n'
                      '"2026-01-01 02:08:16","192.0.2.999","tcp",5555,"","adb",64500,"NL"\n')
        s, _, created = self.e.request(
            "POST", "/api/v1/reports?feed=shadowserver&wait=true"
            "&file_name=2026-01-01-scan_adb-example-geo.csv", report_csv, content_type="text/csv")
        self.assertEqual(s, 201, created)
        self.assertEqual(created["accounting"]["events"], 1, created)
        self.assertEqual(created["accounting"]["quarantined"], 1, created)
        events = self.e.ok("GET", "/api/v1/events?report=%d" % created["id"])
        quarantine = self.e.ok("GET", "/api/v1/quarantine?report=%d" % created["id"])
        s, _, again = self.e.request("POST", "/api/v1/reports?feed=shadowserver&file_name="
                                     "2026-01-02-scan_adb-example-geo.csv", report_csv,
                                     content_type="text/csv")
        self.assertEqual(s, 200, again)  # the same file: already received
        s, _, pending = self.e.request("POST", "/api/v1/reports?feed=shadowserver&force=true&"
                                       "file_name=2026-01-02-scan_adb-example-geo.csv",
                                       report_csv, content_type="text/csv")
        self.assertEqual(s, 202, pending)
        cidr = self.e.ok("GET", "/api/v1/lookup?cidr=0.0.0.0/0")
        checks = [
            ("Health", self.e.request("GET", "/healthz", token=None)[2]),
            ("Report", again),
            ("CidrLookupResult", cidr),
            ("Me", me),
            ("Organisation", lim),
            ("OrganisationList", self.e.ok("GET", ORGS + "?limit=1")),
            ("Export", self.e.ok("GET", ORGS + "/export")),
            ("LookupResult", self.e.ok("GET", "/api/v1/lookup?ip=192.0.2.1")),
            ("LookupResult", self.e.ok("GET", "/api/v1/lookup?ip=10.9.9.9")),
            ("LookupResult", self.e.ok("GET", "/api/v1/lookup?asn=64999")),
            ("User", self.e.ok("GET", "/api/v1/users/%d" % me["user"]["id"])),
            ("UserList", self.e.ok("GET", "/api/v1/users")),
            ("TokenCreated", tok),
            ("TokenList", self.e.ok("GET", "/api/v1/tokens")),
            ("AuditList", self.e.ok("GET", "/api/v1/audit?limit=5")),
            ("ImportReport", self.e.request("POST", ORGS + "/import?mode=partial",
                                            "short_name,name\nSCH1,Schema\n,missing\n",
                                            content_type="text/csv")[2]),
            ("Error", self.e.request("GET", ORGS + "/NO-SUCH")[2]),
            ("Error", self.e.request("POST", ORGS, b"{")[2]),
            ("Error", self.e.request("GET", "/api/v1/me", token=None)[2]),
            ("Report", created),
            ("Report", pending),
            ("Report", self.e.ok("GET", "/api/v1/reports/%d" % created["id"])),
            ("ReportList", self.e.ok("GET", "/api/v1/reports?limit=1")),
            ("EventList", events),
            ("Event", self.e.ok("GET", "/api/v1/events/%d" % events["data"][0]["id"])),
            ("EventDocument", events["data"][0]["event"]),
            ("QuarantineList", quarantine),
            ("FeedList", self.e.ok("GET", "/api/v1/feeds")),
            ("Error", self.e.request("POST", "/api/v1/quarantine/%d/retry"
                                     % quarantine["data"][0]["id"])[2]),
            ("Error", self.e.request("POST", "/api/v1/reports", b"x",
                                     content_type="text/csv")[2]),
        ]
        for name, value in checks:
            with self.subTest(schema=name):
                self.assertEqual(validate({"$ref": "#/components/schemas/" + name}, value, doc),
                                 [], value)

    def test_openapi_matches_api_md(self):
        doc = self.openapi()
        table = api_md_routes()
        self.assertGreaterEqual(sum(len(m) for m in table.values()), 20,
                                "could not read the route table of API.md")
        documented = {p: {m.upper() for m in item if m in METHODS}
                      for p, item in doc["paths"].items()}
        for path, methods in sorted(table.items()):
            with self.subTest(path=path):
                self.assertIn(path, documented, "%s is missing from openapi.json" % path)
                self.assertEqual(documented[path], methods)
        self.assertEqual(set(documented) - set(table), set(),
                         "openapi.json has paths API.md does not")
        # path parameters are declared
        for path, item in doc["paths"].items():
            for name in re.findall(r"\{(\w+)\}", path):
                declared = [p for p in item.get("parameters", [])]
                for m in METHODS:
                    if m in item:
                        declared += item[m].get("parameters", [])
                resolved = []
                for p in declared:
                    if "$ref" in p:
                        p = doc["components"]["parameters"][p["$ref"].split("/")[-1]]
                    resolved.append(p)
                self.assertTrue(any(p["in"] == "path" and p["name"] == name
                                    for p in resolved), "%s: {%s} undeclared" % (path, name))

    def totp_user(self):
        """A user who set up two-step sign-in in a browser session; returns its id."""
        from test_totp import TotpClient
        u = self.e.ok("POST", "/api/v1/users", {"name": "openapi-totp", "role": "analyst",
                                                 "password": "openapi password"}, expect=201)
        b = TotpClient(self.e)
        self.assertEqual(b.login2("openapi-totp", "openapi password")[0], 201)
        b.enrol(u["id"])
        return u["id"]

    def test_openapi_paths_answer(self):
        doc = self.openapi()
        me = self.e.ok("GET", "/api/v1/me")
        subst = {"ref": "LIM", "id": str(me["user"]["id"]), "name": "LIM", "lang": "fr",
                 "file": "LIM", "format": "text"}
        # The TAXII routes' segments: the API root, a collection (a sharing group made for
        # this) and a STIX id.
        group = self.e.ok("POST", "/api/v1/sharing-groups",
                          {"name": "openapi-check", "max_tlp": "RED", "readers": ["staff"],
                           "writers": ["staff"]}, expect=201)
        taxii_subst = {"ref": "ermes", "name": group["collection_id"],
                       "id": "note--00000000-0000-4000-8000-00000000dead"}
        # A stored STIX object (AMBER: it may name recipients) for /api/v1/stix/{name}/...
        stix_note = {"type": "note", "spec_version": "2.1", "content": "openapi check",
                     "id": "note--00000000-0000-4000-8000-00000000beef",
                     "created": "2024-01-01T00:00:00.000Z",
                     "modified": "2024-01-01T00:00:00.000Z",
                     "object_refs": ["note--00000000-0000-4000-8000-00000000beef"]}
        self.e.ok("POST", "/api/v1/stix?tlp=AMBER", stix_note)
        stix_subst = {"name": stix_note["id"]}
        for path, item in sorted(doc["paths"].items()):
            for method in METHODS:
                if method not in item:
                    continue
                names = taxii_subst if path.startswith("/taxii2/") else subst
                if path.startswith("/api/v1/stix/{name}"):
                    names = stix_subst
                if path.startswith("/api/v1/templates/{kind}"):
                    names = {"kind": "html", "name": "page", "lang": "fr"}
                url = re.sub(r"\{(\w+)\}", lambda m: names[m.group(1)], path)
                with self.subTest(method=method, path=path):
                    if method == "get":
                        s, _, b = self.e.request("GET", url)
                        # the route exists: a 404 may only say the object is not there
                        self.assertNotEqual(s, 405, "GET %s -> %d %r" % (url, s, b))
                        if s == 404:
                            # TAXII answers its own error resource
                            message = b["error"]["message"] if "error" in b else b["description"]
                            self.assertNotIn("no such resource", message,
                                             "GET %s -> %r" % (url, b))
                        self.assertLess(s, 500, b)
                    elif method == "delete":
                        # something made to be deleted
                        if path == "/api/v1/tokens/{id}":
                            victim = self.e.create_token(description="openapi check")["id"]
                        elif path == "/api/v1/users/{id}/totp":
                            # a user with two-step sign-in, which the admin turns off
                            victim = self.totp_user()
                        elif path == "/api/v1/sharing-groups/{ref}":
                            victim = self.e.ok("POST", "/api/v1/sharing-groups",
                                               {"name": "doomed-group"}, expect=201)["name"]
                        elif path.startswith("/taxii2/"):
                            # an object posted into the collection, deleted through TAXII: 200
                            note = {"type": "note", "spec_version": "2.1",
                                    "id": taxii_subst["id"], "content": "doomed",
                                    "created": "2024-01-01T00:00:00.000Z",
                                    "modified": "2024-01-01T00:00:00.000Z",
                                    "object_refs": [taxii_subst["id"]]}
                            self.e.ok("POST", url[:url.index("objects/") + 8],
                                      {"objects": [note]}, expect=202,
                                      content_type="application/taxii+json;version=2.1")
                            s, _, b = self.e.request("DELETE", url)
                            self.assertEqual(s, 200, "DELETE %s -> %d %r" % (url, s, b))
                            continue
                        elif path == "/api/v1/notification-policies/{id}":
                            victim = self.e.ok("POST", "/api/v1/notification-policies",
                                               {"mode": "review", "feed": "doomed"},
                                               expect=201)["id"]
                        elif path == "/api/v1/indicators/{id}":
                            victim = self.e.ok("POST", "/api/v1/indicators",
                                               {"value": "doomed.example"}, expect=201)["id"]
                        elif path == "/api/v1/assets/{id}":
                            victim = self.e.ok("POST", "/api/v1/assets",
                                               {"org": "LIM", "product": "doomed"},
                                               expect=201)["id"]
                        elif path == "/api/v1/incident-rules/{id}":
                            victim = self.e.ok("POST", "/api/v1/incident-rules",
                                               {"name": "doomed rule",
                                                "condition": "subject_pattern",
                                                "pattern": "doomed", "action": "queue"},
                                               expect=201)["id"]
                        elif path == "/api/v1/notification-templates/{lang}":
                            victim = "sv"
                            self.e.ok("PUT", "/api/v1/notification-templates/sv",
                                      {"text": "Doomed\n\nA template to delete.\n"},
                                      expect=(200, 201))
                        elif path == "/api/v1/templates/{kind}/{name}/{lang}":
                            victim = {"kind": "html", "name": "history", "lang": "it"}
                            self.e.ok("PUT", "/api/v1/templates/html/history/it",
                                      {"text": "<tr><td>${number}</td></tr>\n"}, expect=200)
                        elif path == "/api/v1/advisory-templates/{format}/{lang}":
                            victim = {"format": "text", "lang": "nl"}
                            self.e.ok("PUT", "/api/v1/advisory-templates/text/nl",
                                      {"text": "Doomed ${title}\n"}, expect=200)
                        elif path == "/api/v1/settings/{name}":
                            # a live setting stored in the database, then unset
                            victim = "notify_signature"
                            self.e.ok("PUT", "/api/v1/settings/notify_signature",
                                      {"value": "Doomed signature"}, expect=200)
                            s, _, b = self.e.request("DELETE", "/api/v1/settings/" + victim)
                            self.assertEqual(s, 200, "DELETE %s -> %d %r" % (path, s, b))
                            continue
                        elif path == "/api/v1/collectors/{name}":
                            # a collector stored in the database (disabled: never run)
                            victim = self.e.ok("POST", "/api/v1/collectors",
                                               {"name": "doomed-collector",
                                                "feed": "spamhaus-drop", "enabled": False,
                                                "url": "http://127.0.0.1:9/doomed.txt"},
                                               expect=201)["name"]
                        elif path == "/api/v1/csaf/credentials/{id}":
                            victim = self.e.ok("POST", "/api/v1/csaf/credentials",
                                               {"url": "https://doomed.example",
                                                "headers": ["Authorization: Bearer doomed"]},
                                               expect=201)["id"]
                        elif path == "/api/v1/peers/{ref}":
                            victim = self.e.ok("POST", "/api/v1/peers",
                                               {"name": "doomed-peer", "collection": "c",
                                                "url": "http://127.0.0.1:9/taxii2/x/"},
                                               expect=201)["name"]
                        else:
                            victim = self.e.ok("POST", ORGS, {"short_name": "DOOMED",
                                                              "name": "Doomed"},
                                               expect=201)["short_name"]
                        url = re.sub(r"\{(\w+)\}",
                                     lambda m: (victim[m.group(1)] if isinstance(victim, dict)
                                                else str(victim)), path)
                        headers = None
                        if path == "/api/v1/sessions/current":
                            # a browser's session: its cookie and CSRF token, no token
                            self.e.ok("POST", "/api/v1/users", {
                                "name": "openapi-browser", "role": "analyst",
                                "password": "openapi password"}, expect=201)
                            s, h, b = self.e.request("POST", "/api/v1/sessions", {
                                "username": "openapi-browser", "password": "openapi password"},
                                token=None)
                            headers = {"Cookie": h["set-cookie"].split(";")[0],
                                       "X-CSRF-Token": b["csrf_token"], "Authorization": None}
                        s, _, b = self.e.request("DELETE", url, headers=headers)
                        self.assertEqual(s, 204, "DELETE %s -> %d %r" % (url, s, b))
                    else:
                        if path.startswith("/api/v1/peers/{ref}"):
                            # a peer of that name (nothing listens where it points)
                            self.e.request("POST", "/api/v1/peers",
                                           {"name": "LIM", "collection": "c",
                                            "url": "http://127.0.0.1:9/taxii2/x/"})
                        if path == "/api/v1/settings/{name}":
                            url = "/api/v1/settings/notify_signature"  # a live setting
                        # a body of the wrong type: the route exists and refuses it
                        s, _, b = self.e.request(method.upper(), url, b"x",
                                                 content_type="application/x-nothing")
                        self.assertNotIn(s, (404, 405), "%s %s -> %d %r" % (method, url, s, b))
                        self.assertLess(s, 500, b)
        self.assertEqual(self.e.ok("GET", ORGS + "/LIM")["name"], "Limits Ltd")

if __name__ == "__main__":
    main()
