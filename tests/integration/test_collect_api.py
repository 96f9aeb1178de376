"""Collectors in list mode against a loopback server (a thread of this test) speaking each API's
documented shape: Shadowserver's reports API (every request a POST of JSON with "apikey", header
HMAC2 = hex HMAC-SHA256 of the body keyed with the secret, checked here: a bad one is refused
with {"error": ...}; reports/list then reports/download), Microsoft CTIP from an Azure Blob
Storage container (List Blobs XML with the SAS token, two pages, then each blob, one gzipped; a
bad token is refused with Azure's <Error>) and through the Interflow API (a JSON list, then each
file, the subscription key in a header). The collectors come from the presets
(`ermes collectors add --preset --to-config`), their provider's host pointed at the loopback server. Each run
is `ermes collect NAME`: the samples (Shadowserver's, IntelMQ's CTIP) become reports and events;
an item that fails is recorded while the others are kept and is fetched at the next run; a run
with nothing new fetches nothing; the secret and the SAS token never show."""

import gzip
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import SOURCE_DIR, Ermes, main, wait_until  # noqa: E402

FEEDS = os.path.join(SOURCE_DIR, "..", "shared", "conformance", "feeds")
KEY, SECRET = "testkey1", "s3cr3t-value"
SAS = "sv=2019-12-12&ss=b&sp=rl&sig=Zm9v%2Bbar%3D"
SUBSCRIPTION = "sub-key-42"


def sample(*parts):
    with open(os.path.join(FEEDS, *parts), "rb") as f:
        return f.read()


class Api:
    """What the server serves and what it saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.downloads = []      # ids / blob names / file names fetched
        self.bad_signatures = 0
        self.fail_once = {"ss3"}  # items whose first download is a 500
        self.reports = {
            "ss1": ("2026-12-06-scan_ftp-example-geo.csv", sample("shadowserver", "scan_ftp.csv")),
            "ss2": ("2026-12-06-event4_sinkhole-example-geo.csv",
                    sample("shadowserver", "event4_sinkhole.csv")),
            "ss3": ("2026-12-06-scan_http-example-geo.csv",
                    sample("shadowserver", "scan_http.csv")),
        }
        ctip = sample("intelmq", "microsoft", "ctip_azure.txt")
        lines = ctip.splitlines(keepends=True)
        self.blobs = {
            "2026/12/06/ctip-10.json": (b"".join(lines[:2]), '"0x8D1"'),
            "2026/12/06/ctip-11.json.gz": (gzip.compress(b"".join(lines[2:])), '"0x8D2"'),
        }
        self.interflow = {"ctip-interflow.json": sample("intelmq", "microsoft", "ctip.txt")}


def make_handler(api):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, status, body, ctype="application/json"):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def json(self, status, obj):
            self.send(status, json.dumps(obj).encode())

        # Shadowserver: https://transform.shadowserver.org/api2/reports/{list,download}
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            want = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            if self.headers.get("HMAC2") != want:
                with api.lock:
                    api.bad_signatures += 1
                return self.json(401, {"error": "Invalid HMAC"})
            req = json.loads(body)
            if req.get("apikey") != KEY:
                return self.json(401, {"error": "Invalid API key"})
            if self.path == "/api2/reports/list":
                begin, _, end = req.get("date", "").partition(":")
                if len(begin) != 10 or len(end) != 10 or begin > end:
                    return self.json(400, {"error": "bad date"})
                return self.json(200, [
                    {"id": i, "type": f.split("-")[3], "url": "https://dl.example/" + i,
                     "file": f, "report": "example", "timestamp": "2026-12-06T10:00:00Z"}
                    for i, (f, _) in sorted(api.reports.items())])
            if self.path == "/api2/reports/download":
                rid = req.get("id")
                with api.lock:
                    api.downloads.append(rid)
                    if rid in api.fail_once:
                        api.fail_once.discard(rid)
                        return self.json(500, {"error": "temporarily unavailable"})
                if api.reports.get(rid, (None, None))[1] is None:
                    return self.json(404, {"error": "no such report"})
                return self.send(200, api.reports[rid][1], "text/csv")
            return self.json(404, {"error": "no such call"})

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            if u.path.startswith("/ctip"):
                # Azure Blob Storage: the SAS token's signature must be the one handed out.
                if q.get("sig") != ["Zm9v+bar="]:
                    return self.send(403, b'<?xml version="1.0" encoding="utf-8"?><Error><Code>'
                                     b'AuthenticationFailed</Code><Message>Server failed to '
                                     b'authenticate the request.</Message></Error>',
                                     "application/xml")
                if u.path == "/ctip" and q.get("restype") == ["container"] and \
                        q.get("comp") == ["list"]:
                    names = sorted(api.blobs)
                    page = 1 if q.get("marker") == ["page-2"] else 0
                    blob = names[page]
                    xml = ('<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
                           'ServiceEndpoint="http://127.0.0.1/" ContainerName="ctip">'
                           '<MaxResults>1</MaxResults><Blobs><Blob><Name>%s</Name><Properties>'
                           '<Etag>%s</Etag><Content-Length>%d</Content-Length></Properties>'
                           '</Blob></Blobs><NextMarker>%s</NextMarker></EnumerationResults>'
                           % (blob, api.blobs[blob][1].replace('"', "&quot;"),
                              len(api.blobs[blob][0]), "" if page else "page-2"))
                    return self.send(200, xml.encode(), "application/xml")
                name = urllib.parse.unquote(u.path[len("/ctip/"):])
                if name not in api.blobs:
                    return self.send(404, b"<Error><Code>BlobNotFound</Code></Error>")
                with api.lock:
                    api.downloads.append(name)
                return self.send(200, api.blobs[name][0], "application/octet-stream")
            if u.path.startswith("/fileshare/api/"):
                if self.headers.get("Ocp-Apim-Subscription-Key") != SUBSCRIPTION:
                    return self.json(401, {"statusCode": 401, "message": "Access denied"})
                if u.path == "/fileshare/api/files":
                    return self.json(200, [{"Name": n, "Size": len(b)}
                                           for n, b in api.interflow.items()])
                name = q.get("fileName", [""])[0]
                if u.path == "/fileshare/api/file" and name in api.interflow:
                    with api.lock:
                        api.downloads.append(name)
                    return self.send(200, api.interflow[name])
            return self.json(404, {"error": "not found"})
    return Handler


class CollectApi(unittest.TestCase):
    def setUp(self):
        self.api = Api()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.api))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.base = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.e = Ermes(start=False)
        self.conf = os.path.join(self.e.dir, "ermes.conf")

    def tearDown(self):
        self.e.close()
        self.srv.shutdown()
        self.srv.server_close()

    def add(self, preset, *args, host=None):
        rc, out, err = self.e.cli("collectors", "add", "--to-config", "--preset", preset, *args)
        self.assertEqual(rc, 0, out + err)
        if host:
            with open(self.conf) as f:
                text = f.read()
            with open(self.conf, "w") as f:
                f.write(text.replace(host, self.base))

    def collect(self, name, expect_rc=0):
        rc, out, err = self.e.cli("collect", name, "--json")
        self.assertEqual(rc, expect_rc, out + err)
        return json.loads(out.strip().splitlines()[-1]), err

    def reports(self, feed):
        rc, out, err = self.e.cli("reports", "list", "--feed", feed, "--json")
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def events(self, feed):
        """The events of the feed's reports."""
        evs = []
        for r in self.reports(feed):
            rc, out, err = self.e.cli("events", "--report", r["id"], "--format", "ndjson")
            self.assertEqual(rc, 0, err)
            evs += [json.loads(line) for line in out.splitlines() if line.strip()]
        return evs

    def assert_hidden(self, text):
        for secret in (SECRET, "Zm9v", SUBSCRIPTION):
            self.assertNotIn(secret, text)

    def test_shadowserver_reports_api(self):
        self.add("shadowserver-reports-api", "--api-key", KEY + ":" + SECRET,
                 host="https://transform.shadowserver.org")
        # The first run: three reports listed, the third's download fails; the other two are
        # reports whose type the parser takes from the file name.
        s, err = self.collect("shadowserver-reports-api", expect_rc=1)
        self.assertEqual(s["status"], "error")
        self.assertIn("1 of 3 items failed", s["last_error"])
        self.assertIn("ss3", s["last_error"])
        self.assertIn("HTTP status 500", s["last_error"])
        self.assertEqual(s["reports"], 2)
        self.assertEqual(self.api.bad_signatures, 0)
        self.assertEqual(sorted(self.api.downloads), ["ss1", "ss2", "ss3"])
        reps = self.reports("shadowserver")
        self.assertEqual(sorted(r["file_name"] for r in reps),
                         ["2026-12-06-event4_sinkhole-example-geo.csv",
                          "2026-12-06-scan_ftp-example-geo.csv"])
        self.assertTrue(all(r["state"] == "done" for r in reps), reps)
        evs = self.events("shadowserver")
        self.assertGreaterEqual(len(evs), 2 + 3)
        # The second run fetches the failed item only.
        s, _ = self.collect("shadowserver-reports-api")
        self.assertEqual(s["status"], "ok", s)
        self.assertIsNone(s["last_error"])
        self.assertEqual(s["reports"], 3)
        self.assertEqual(sorted(self.api.downloads), ["ss1", "ss2", "ss3", "ss3"])
        self.assertEqual(len(self.reports("shadowserver")), 3)
        # The third: nothing new, nothing fetched.
        s, _ = self.collect("shadowserver-reports-api")
        self.assertEqual(s["status"], "unchanged", s)
        self.assertEqual(len(self.api.downloads), 4)
        self.assertEqual(len(self.reports("shadowserver")), 3)
        rc, out, err = self.e.cli("collectors", "--json")
        self.assertEqual(rc, 0, err)
        self.assert_hidden(out + err)
        # A listed report the API never hands out: tried at five runs, then given up, so the
        # collector stops failing (and backing off) for it.
        self.api.reports["ss4"] = ("2026-12-06-scan_ftp-gone-geo.csv", None)
        for run in range(5):
            s, _ = self.collect("shadowserver-reports-api", expect_rc=1)
            self.assertIn("1 of 4 items failed", s["last_error"])
            self.assertIn("HTTP status 404", s["last_error"])
        s, _ = self.collect("shadowserver-reports-api")
        self.assertEqual(s["status"], "unchanged", s)
        self.assertEqual(self.api.downloads.count("ss4"), 5)
        del self.api.reports["ss4"]
        # A wrong secret: the server refuses the signature, the collector says why.
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(text.replace("secret = " + SECRET, "secret = not-the-secret"))
        s, err = self.collect("shadowserver-reports-api", expect_rc=1)
        self.assertEqual(s["status"], "error")
        self.assertEqual(s["http_status"], 401)
        self.assertIn("Invalid HMAC", s["last_error"])
        self.assertEqual(self.api.bad_signatures, 1)
        self.assert_hidden(json.dumps(s) + err)

    def test_ctip_azure(self):
        self.add("microsoft-ctip-azure", "--container-url", self.base + "/ctip?" + SAS)
        s, err = self.collect("microsoft-ctip-azure")
        self.assertEqual(s["status"], "ok", s)
        self.assertEqual(s["reports"], 2)
        # Both pages listed, both blobs fetched; the gzipped one decoded, named without .gz.
        self.assertEqual(sorted(self.api.downloads), sorted(self.api.blobs))
        reps = self.reports("microsoft-ctip")
        self.assertEqual(sorted(r["file_name"] for r in reps), ["ctip-10.json", "ctip-11.json"])
        self.assertTrue(all(r["state"] == "done" for r in reps), reps)
        rows = len(sample("intelmq", "microsoft", "ctip_azure.txt").splitlines())
        self.assertEqual(len(self.events("microsoft-ctip")), rows)
        self.assertEqual(s["url"], self.base + "/ctip", "no SAS token shown")
        self.assert_hidden(json.dumps(s) + err)
        s, _ = self.collect("microsoft-ctip-azure")
        self.assertEqual(s["status"], "unchanged", s)
        self.assertEqual(len(self.api.downloads), 2)
        # A blob that changed (a new ETag) is fetched again.
        name = "2026/12/06/ctip-10.json"
        body, _ = self.api.blobs[name]
        self.api.blobs[name] = (body + sample("intelmq", "microsoft", "ctip_azure.txt")
                                .splitlines(keepends=True)[4], '"0x8D3"')
        s, _ = self.collect("microsoft-ctip-azure")
        self.assertEqual(s["status"], "ok", s)
        self.assertEqual(len(self.api.downloads), 3)
        # A wrong SAS token: Azure's error named.
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(text.replace("sig=Zm9v%2Bbar%3D", "sig=wrong"))
        s, err = self.collect("microsoft-ctip-azure", expect_rc=1)
        self.assertEqual(s["http_status"], 403)
        self.assertIn("AuthenticationFailed", s["last_error"])

    def test_daemon(self):
        # The daemon runs a due list-mode collector by itself.
        self.add("microsoft-ctip-azure", "--container-url", self.base + "/ctip?" + SAS)
        self.e.start()
        reps = wait_until(lambda: (lambda r: r if len(r) == 2 and
                                   all(x["state"] == "done" for x in r) else None)(
                                       self.reports("microsoft-ctip")),
                          timeout=60, what="the daemon's run of the CTIP collector")
        self.assertEqual(sorted(r["file_name"] for r in reps), ["ctip-10.json", "ctip-11.json"])
        self.assertEqual(sorted(self.api.downloads), sorted(self.api.blobs))

    def test_ctip_interflow(self):
        self.add("microsoft-ctip-interflow", "--api-key", SUBSCRIPTION,
                 host="https://api.interflow.azure.com")
        s, err = self.collect("microsoft-ctip-interflow")
        self.assertEqual(s["status"], "ok", s)
        self.assertEqual(self.api.downloads, ["ctip-interflow.json"])
        reps = self.reports("microsoft-ctip")
        self.assertEqual([r["file_name"] for r in reps], ["ctip-interflow.json"])
        self.assertGreater(len(self.events("microsoft-ctip")), 0)
        s, _ = self.collect("microsoft-ctip-interflow")
        self.assertEqual(s["status"], "unchanged", s)
        self.assertEqual(len(self.api.downloads), 1)
        self.assert_hidden(json.dumps(s) + err)


if __name__ == "__main__":
    main()
