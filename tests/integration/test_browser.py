"""The web UI in a real browser: tests/browser/run.mjs (playwright-core driving Debian's
chromium) against the real daemon, which serves web/ and the API.

This wrapper prepares what the browser tests need and checks what only it can see:
  - a demo data directory with a week of demo Shadowserver reports ingested (scripts/
    make-demo-reports.py), an admin and a constituent user (of UMA) with passwords, made with
    the CLI (`ermes user add --password-stdin`);
  - a real SMTP server (aiosmtpd) that answers 451 (try later) until the browser test creates
    the flag file ERMES_SMTP_ACCEPT, then accepts: so the flow "upload, see the events, make
    the notification (its first attempt fails), preview it, send it, see it delivered" runs
    through the UI, and this wrapper checks the message really arrived;
  - a third daemon set to sign CSAF with an OpenPGP key its GnuPG home lacks, holding an
    advisory whose scheduled publication it refused (publish_error), for run.mjs
    publish_error, which shows the reason, fixes the cause and sees it cleared;
  - screenshots under BUILD_DIR/test-output/browser/NAME.png.
When chromium, node or the node modules are missing it fails, saying which (scripts/install-deps
test; make browser-deps): a skip fails the run (ermeslib.main).

The benchmark of the same screens over 1,000,000 events is a program, bench/browser-1m.sh: a test
never fails because the machine was slow.
"""

import email
import email.policy
import email.utils
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import csafdocs  # noqa: E402
from ermeslib import (ERMES_BIN, HOST, SOURCE_DIR, Ermes, db_connect, main, quote,  # noqa: E402
                      free_port, wait_until)

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported by the test
    Controller = None

# The dashboard's incident reaction times (run.mjs dashboard_incident_metrics): incidents whose
# creation and milestones this test sets in the store: constituent, RSIT class, opened days
# ago, then seconds to acknowledge, triage, notify, contain and resolve (None: not reached).
# Within the last 30 days UMA has one "fraud" and one "availability" incident and DG-DIGIT one
# "fraud"; DG-DIGIT's "availability" one is 60 days old (in the last 90 days only).
METRIC_SEEDS = (
    ("UMA", "fraud", 3, 120, 1800, 3600, 7200, 86400),
    ("UMA", "availability", 2, 45, 600, 900, 5400, 172800),
    ("DG-DIGIT", "fraud", 4, 600, 7200, 10800, 36000, None),
    ("DG-DIGIT", "availability", 60, 30, 300, None, None, None),
)

CHROMIUM = os.environ.get("ERMES_CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")
BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
PLAYWRIGHT = os.path.join(BROWSER_DIR, "node_modules", "playwright-core")
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(ERMES_BIN)), "test-output", "browser")
ADMIN = ("webadmin", "correct horse battery 1")
CONSTITUENT = ("uma-viewer", "another long password 2")
TOTP_USER = ("totp-analyst", "a third long password 3")  # sets up two-step sign-in
REQUIRED_USER = ("must-enrol", "a fourth long password 4")  # on the totp_required daemon
# The advisory editor and the remediation screen (issue 13): a second analyst reviews and
# publishes what the admin wrote; DG-ENER's user sets the remediation of its assets.
REVIEWER = ("adv-reviewer", "a fifth long password 5")
ENER_USER = ("ener-it", "a sixth long password 6")
# A CVE JSON 5 record that affects Example Widget before 3.2.1: DG-ENER's and DG-MOVE's assets.
WIDGET_CVE = {
    "dataType": "CVE_RECORD", "dataVersion": "5.1",
    "cveMetadata": {"cveId": "CVE-2026-10001", "assignerOrgId":
                    "b3476cb9-2e3d-41a6-98d0-0f47421a65b6", "assignerShortName": "example",
                    "state": "PUBLISHED", "datePublished": "2026-11-20T10:00:00.000Z",
                    "dateUpdated": "2026-11-21T10:00:00.000Z"},
    "containers": {"cna": {
        "providerMetadata": {"orgId": "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"},
        "title": "Path traversal in Example Widget",
        "descriptions": [{"lang": "en", "value": "Path traversal in Example Widget before "
                                                 "3.2.1 allows reading any file."}],
        "affected": [{"vendor": "Example", "product": "Widget", "defaultStatus": "unaffected",
                      "versions": [{"version": "3.0", "lessThan": "3.2.1",
                                    "versionType": "semver", "status": "affected"}]}],
        "metrics": [{"format": "CVSS", "cvssV3_1": {
            "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "baseScore": 7.5, "baseSeverity": "HIGH"}}],
        "references": [{"url": "https://example.org/advisory"}]}}}

# Triage (issue 11 items 3, 9): two incident reports about a UMA host (198.51.100.0/28), one
# naming a known-bad address; the body's markup must show as text.
TRIAGE_BAD = "203.0.113.201"
TRIAGE_MAILS = (
    ("Phishing kit on a UMA host",
     "Hello CERT,\n\nthe host 198.51.100.9 serves a phishing kit at hxxp://198.51.100[.]9/login\n"
     "and sends the credentials to %s. <b>not markup</b>\n\nRegards, Bob\n" % TRIAGE_BAD),
    ("Same phishing kit, second host",
     "Hello again,\n\n198.51.100.10 serves the same kit since this morning.\n"),
)


def triage_message(subject, body):
    lines = ["From: Bob Reporter <bob@reporter.example>", "To: cert@ucert.example",
             "Subject: " + subject, "Date: " + email.utils.formatdate(usegmt=True),
             "Message-ID: " + email.utils.make_msgid(domain="reporter.example"),
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


MISSING = None
if not os.access(CHROMIUM, os.X_OK):
    MISSING = "chromium is not installed at %s (scripts/install-deps test)" % CHROMIUM
elif not NODE:
    MISSING = "node is not installed (scripts/install-deps test)"
elif not os.path.isdir(PLAYWRIGHT):
    MISSING = "tests/browser/node_modules is missing (make browser-deps: npm ci in tests/browser)"
elif Controller is None:
    MISSING = "python3-aiosmtpd is not installed (scripts/install-deps test)"


class Mailbox:
    """Answers 451 until the flag file exists, then keeps what it receives."""

    def __init__(self, flag):
        self.flag = flag
        self.lock = threading.Lock()
        self.messages = []
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if not os.path.exists(self.flag):
            with self.lock:
                self.refused += 1
            return "451 4.3.0 try again later (the browser test has not opened the door yet)"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"rcpts": sorted(envelope.rcpt_tos), "msg": msg})
        return "250 accepted"

    def all(self):
        with self.lock:
            return list(self.messages)


def run_node(args, env, timeout):
    penv = dict(os.environ)
    penv.update(env)
    p = subprocess.run([NODE, os.path.join(BROWSER_DIR, "run.mjs")] + args, cwd=BROWSER_DIR,
                       env=penv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# make check installs all three: there, a missing one is a failure, not a skip.
if MISSING is not None and os.environ.get("ERMES_REQUIRE_BROWSER") == "1":
    raise SystemExit("test_browser: " + MISSING)


@unittest.skipIf(MISSING is not None, MISSING or "")
class BrowserTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        os.makedirs(OUT_DIR, exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix="ermes-browser-")
        cls.flag = os.path.join(cls.tmp, "smtp-accept")
        cls.mailbox = Mailbox(cls.flag)
        cls.smtp_port = free_port()
        cls.smtp = Controller(cls.mailbox, hostname=HOST, port=cls.smtp_port)
        cls.smtp.start()
        env = {
            "ERMES_SMTP_URL": "smtp://%s:%d" % (HOST, cls.smtp_port),
            "ERMES_MAIL_FROM": "UCERT <cert@ucert.example>",
            # Groups are made when the UI asks (run now); a refused attempt is retried in an
            # hour, so only the UI's "send now" delivers it.
            "ERMES_NOTIFY_WINDOW": "86400",
            "ERMES_NOTIFY_RETRY_BASE": "3600",
            "ERMES_NOTIFY_RATE_PER_HOUR": "100000",
        }
        cls.e = Ermes(demo=True, env=env, start=False)
        try:
            # A collector whose server is down, not scheduled (enabled = false): the reports
            # screen shows it and runs it on request ("run now": its error is shown).
            with open(os.path.join(cls.e.dir, "ermes.conf"), "a") as f:
                f.write('\n[collector "browser-down"]\n'
                        'url = http://%s:%d/feed.txt\n'
                        'feed = blocklistde\n'
                        'connect_timeout = 5\n'
                        'enabled = false\n' % (HOST, free_port()))
            reports = os.path.join(cls.tmp, "demo-reports")
            subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "scripts",
                                                         "make-demo-reports.py"), reports],
                           check=True, stdout=subprocess.DEVNULL)
            for name in sorted(os.listdir(reports)):
                rc, out, err = cls.e.cli("ingest", "--feed", "shadowserver",
                                         os.path.join(reports, name))
                assert rc == 0, "ingest %s: %s" % (name, err)
            for (user, password), extra in ((ADMIN, ["--role", "admin"]),
                                            (CONSTITUENT, ["--role", "constituent", "--org",
                                                           "UMA"]),
                                            (TOTP_USER, ["--role", "analyst"]),
                                            (REVIEWER, ["--role", "analyst"]),
                                            (ENER_USER, ["--role", "constituent", "--org",
                                                         "DG-ENER"])):
                rc, out, err = cls.e.cli("user", "add", user, *extra, "--password-stdin",
                                         input=password + "\n")
                assert rc == 0, "user add %s: %s" % (user, err)
            # Assets: two of DG-ENER (one the CVE matches, one by CPE for the advisory's
            # product tree) and one of DG-MOVE that the CVE matches too.
            for args in (["--org", "DG-ENER", "--vendor", "Example", "--product", "Widget",
                          "--version", "3.1", "--name", "Energy portal"],
                         ["--org", "DG-ENER", "--cpe",
                          "cpe:2.3:a:example:gateway:2.0:*:*:*:*:*:*:*", "--name",
                          "Energy gateway"],
                         ["--org", "DG-MOVE", "--vendor", "Example", "--product", "Widget",
                          "--version", "3.0", "--name", "Transport widget"]):
                rc, out, err = cls.e.cli("assets", "add", *args)
                assert rc == 0, "assets add: %s" % err
            cve = os.path.join(cls.tmp, "cve.json")
            with open(cve, "w") as f:
                json.dump(WIDGET_CVE, f)
            rc, out, err = cls.e.cli("vulns", "import", cve)
            assert rc == 0 and "2 notifications" in out, "vulns import: %s%s" % (out, err)
            # Two CSAF documents of one other provider on the CVE (run.mjs remediation lists
            # both, csaf_sources), imported without warnings.
            for n in (1, 2):
                doc = csafdocs.advisory(80 + n)
                doc["document"]["publisher"]["namespace"] = "https://other.example"
                doc["document"]["tracking"]["id"] = "OTHER-%d" % n
                doc["vulnerabilities"] = doc["vulnerabilities"][:1]
                doc["vulnerabilities"][0]["cve"] = "CVE-2026-10001"
                path = os.path.join(cls.tmp, "other-%d.json" % n)
                with open(path, "w") as f:
                    json.dump(doc, f)
                rc, out, err = cls.e.cli("csaf", "import", "--no-warn", path)
                assert rc == 0, "csaf import: %s%s" % (out, err)
            # Triage (run.mjs triage_reports): a known-bad address, and two incident reports
            # piped to `ermes mail receive` that no rule links (no incident exists yet), so
            # they wait for triage.
            rc, out, err = cls.e.cli("indicators", "add", "ipv4", TRIAGE_BAD, "--source",
                                     "browser-triage")
            assert rc == 0, "indicators add: %s%s" % (out, err)
            cls.triage_reports = []
            for subject, body in TRIAGE_MAILS:
                rc, out, err = cls.e.cli("mail", "receive", "--json",
                                         input=triage_message(subject, body))
                assert rc == 0, "mail receive: %s%s" % (out, err)
                row = json.loads(out)
                assert row["kind"] == "report", row
                cls.triage_reports.append(row["incident_report_id"])
            cls.e.start()
            # A second daemon with totp_required: its analyst's first session can only set up
            # two-step sign-in (the browser test totp_required).
            cls.e2 = Ermes(env={"ERMES_TOTP_REQUIRED": "true"}, start=False)
            rc, out, err = cls.e2.cli("user", "add", REQUIRED_USER[0], "--role", "analyst",
                                      "--password-stdin", input=REQUIRED_USER[1] + "\n")
            assert rc == 0, "user add %s: %s" % (REQUIRED_USER[0], err)
            cls.e2.start()
            cls.publish_error_daemon()
        except BaseException:
            cls.e.close()
            for other in ("e2", "e3"):
                if getattr(cls, other, None):
                    getattr(cls, other).close()
            cls.kill_gpg()
            cls.smtp.stop()
            raise

    @classmethod
    def publish_error_daemon(cls):
        """A third daemon set to sign with an OpenPGP key that its GnuPG home does not hold,
        and an advisory scheduled (by the CLI, with a home that holds the key) that it fails
        to publish at its time: run.mjs publish_error sees the reason on the page, imports
        the key (PUBERR_KEY_FILE) into the daemon's home and sees the publication go through."""
        # Short paths: gpg-agent's socket lives in the home.
        cls.gpg_good = tempfile.mkdtemp(prefix="g", dir="/tmp")
        cls.gpg_daemon = tempfile.mkdtemp(prefix="g", dir="/tmp")
        for home in (cls.gpg_good, cls.gpg_daemon):
            os.chmod(home, 0o700)
        gpg = ["gpg", "--homedir", cls.gpg_good, "--batch", "--no-tty", "--passphrase", "",
               "--pinentry-mode", "loopback"]
        subprocess.run(gpg + ["--quick-gen-key", "ermes browser <csaf@ucert.example>",
                              "ed25519", "sign", "1y"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out = subprocess.run(gpg + ["--with-colons", "--list-secret-keys"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
        fpr = [ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:")][0]
        cls.puberr_key = os.path.join(cls.tmp, "signing-key.asc")
        with open(cls.puberr_key, "wb") as f:
            f.write(subprocess.run(gpg + ["--armor", "--export-secret-keys", fpr], check=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout)
        cls.e3 = Ermes(env={"ERMES_CSAF_OPENPGP_KEY": fpr,
                            "ERMES_CSAF_OPENPGP_HOME": cls.gpg_daemon}, start=False)
        rc, out, err = cls.e3.cli("user", "add", ADMIN[0], "--role", "admin",
                                  "--password-stdin", input=ADMIN[1] + "\n")
        assert rc == 0, "user add %s: %s" % (ADMIN[0], err)
        cls.e3.start()
        _, alice = cls.e3.user_token("puberr-author", "analyst")
        _, bob = cls.e3.user_token("puberr-reviewer", "analyst")
        a = cls.e3.ok("POST", "/api/v1/advisories", csafdocs.advisory(91), token=alice,
                      expect=201)
        ref = cls.puberr_ref = a["tracking_id"]
        cls.e3.ok("POST", "/api/v1/advisories/%s/submit" % ref, token=alice)
        cls.e3.ok("POST", "/api/v1/advisories/%s/approve" % ref, {}, token=bob)
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        rc, out, err = cls.e3.cli("advisories", "publish", ref, "--at", at,
                                  env={"ERMES_CSAF_OPENPGP_KEY": fpr,
                                       "ERMES_CSAF_OPENPGP_HOME": cls.gpg_good})
        assert rc == 0, "advisories publish --at: %s%s" % (out, err)
        wait_until(lambda: cls.e3.ok("GET", "/api/v1/advisories/" + ref)["publish_error"],
                   timeout=90, interval=0.5, what="the scheduled publication refused")

    @classmethod
    def kill_gpg(cls):
        for home in (getattr(cls, "gpg_good", None), getattr(cls, "gpg_daemon", None)):
            if home:
                subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                shutil.rmtree(home, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.e.close()
            cls.e2.close()
            cls.e3.close()
        finally:
            cls.kill_gpg()
            cls.smtp.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def seed_metric_incidents(self):
        """METRIC_SEEDS made through the API, then given their times in the store and marked
        not measured (measured = 0): the metrics measure them again from their milestones."""
        now = int(time.time()) * 1000
        ids = [self.e.ok("POST", "/api/v1/incidents",
                         {"title": "metrics seed %d" % k, "rsit_class": seed[1],
                          "constituents": [seed[0]]}, expect=201)["id"]
               for k, seed in enumerate(METRIC_SEEDS)]
        # One write of the store's, after the API's (the daemon waits for no lock of ours).
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            for iid, (org, cls, days, *secs) in zip(ids, METRIC_SEEDS):
                created = now - days * 86400 * 1000
                at = [created + x * 1000 if x is not None else None for x in secs]
                db.execute("UPDATE incidents SET created_at = ?, acknowledged_at = ?,"
                           " triaged_at = ?, notified_at = ?, contained_at = ?, resolved_at = ?,"
                           " measured = 0 WHERE id = ?", (created, *at, iid))
            db.commit()
        finally:
            db.close()

    def seed_skipped_feed(self):
        """A recorded run of a csaf source that skipped a TLP:AMBER feed (what the daemon's
        sync writes, src/daemon/vuln_sync.c; its own test is test_csaf_import), for run.mjs
        vuln_sources_panel."""
        source = "csaf=https://other.example"
        feed = "https://other.example/.well-known/csaf/amber/csaf-feed-tlp-amber.json"
        reason = ("TLP:AMBER feed: no credentials are set for its origin "
                  "https://other.example:443 (ermes csaf credentials set)")
        now = int(time.time()) * 1000
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        try:
            db.execute("INSERT INTO vuln_sync_sources (source, last_run_at, ok, records, changed,"
                       " error, skipped, tlp, created_at, updated_at) VALUES (?, ?, 1, 0, 0, '',"
                       " ?, 'AMBER', ?, ?)",
                       (source, now, json.dumps([{"feed": feed, "reason": reason}]), now, now))
            db.commit()
        finally:
            db.close()
        return {"ERMES_SKIPPED_SOURCE": source, "ERMES_SKIPPED_FEED": feed,
                "ERMES_SKIPPED_REASON": reason}

    def test_browser(self):
        self.seed_metric_incidents()
        skipped = self.seed_skipped_feed()
        # The daemon serves the UI and the session API (WEB-CONTRACT: static files, sessions).
        status, h, _ = self.e.request("GET", "/", token=None)
        self.assertEqual((status, h.get("content-type", "").split(";")[0]), (200, "text/html"),
                         "the daemon does not serve web/ at / (static serving)")
        status, _, _ = self.e.request("GET", "/api/v1/sessions/current", token=None)
        self.assertEqual(status, 401, "the daemon has no session API (/api/v1/sessions)")
        # An event of another organisation (DG-DIGIT) that the UMA user must not reach.
        b = self.e.ok("GET", "/api/v1/events?org=DG-DIGIT&limit=1")
        self.assertTrue(b["data"], "the demo reports give DG-DIGIT events")
        other_event = b["data"][0]["id"]
        own = self.e.ok("GET", "/api/v1/events?org=UMA&limit=1")["data"]
        self.assertTrue(own, "the demo reports give UMA events")
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=up.csv&option="
                + quote("columns=source.ip|time.source|classification.type") + "&option="
                + quote("skip_header=true") + "&option=" + quote("feed_name=up-feed"))
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
        status, _, body = self.e.request("POST", path, ("ip,time,type\n192.0.2.130,%s,scanner\n"
                                                        % now).encode(), content_type="text/csv")
        self.assertIn(status, (200, 201), body)
        self.assertEqual(body["accounting"]["events"], 1, body)
        results = os.path.join(self.tmp, "results.json")
        env = {
            "ERMES_URL": "http://%s:%d" % (HOST, self.e.port),
            "ERMES_CHROMIUM": CHROMIUM,
            "ERMES_OUT": OUT_DIR,
            "ERMES_RESULTS": results,
            "ERMES_ADMIN_USER": ADMIN[0], "ERMES_ADMIN_PASSWORD": ADMIN[1],
            "ERMES_CONST_USER": CONSTITUENT[0], "ERMES_CONST_PASSWORD": CONSTITUENT[1],
            "ERMES_TOTP_USER": TOTP_USER[0], "ERMES_TOTP_PASSWORD": TOTP_USER[1],
            "ERMES_REQUIRED_URL": "http://%s:%d" % (HOST, self.e2.port),
            "ERMES_REQUIRED_USER": REQUIRED_USER[0], "ERMES_REQUIRED_PASSWORD": REQUIRED_USER[1],
            "ERMES_CONST_ORG": "UMA", "ERMES_OWN_EVENT": str(own[0]["id"]),
            "ERMES_OTHER_ORG": "DG-DIGIT", "ERMES_OTHER_EVENT": str(other_event),
            "ERMES_SMTP_ACCEPT": self.flag,
            "ERMES_REPORT_DIR": self.tmp,
            # A TLP:GREEN organisation that UMA's user may look at, with a recent event that
            # it may not see (constituent_view_other).
            "ERMES_GREEN_ORG": "UP",
            "ERMES_REVIEWER_USER": REVIEWER[0], "ERMES_REVIEWER_PASSWORD": REVIEWER[1],
            "ERMES_ENER_USER": ENER_USER[0], "ERMES_ENER_PASSWORD": ENER_USER[1],
            "ERMES_TRIAGE_REPORTS": ",".join(str(i) for i in self.triage_reports),
            "ERMES_TRIAGE_BAD": TRIAGE_BAD,
            "ERMES_METRIC_SEEDS": json.dumps(METRIC_SEEDS),
            "ERMES_PUBERR_URL": "http://%s:%d" % (HOST, self.e3.port),
            "ERMES_PUBERR_REF": self.puberr_ref,
            "ERMES_PUBERR_GPG_HOME": self.gpg_daemon,
            "ERMES_PUBERR_KEY_FILE": self.puberr_key,
        }
        env.update(skipped)
        rc, out = run_node([], env, timeout=540)
        sys.stdout.write(out)
        self.assertEqual(rc, 0, "browser tests failed:\n" + out[-6000:])
        with open(results) as f:
            res = json.load(f)
        # The notification the UI sent is in the mailbox, to UMA's contact for vulnerable
        # systems, with its reference in the subject; its first attempt had been refused.
        ref = res["notification"]
        self.assertGreaterEqual(self.mailbox.refused, 1)
        got = [m for m in self.mailbox.all() if ref in str(m["msg"]["Subject"])]
        self.assertEqual(len(got), 1, "messages: %r" % [str(m["msg"]["Subject"])
                                                        for m in self.mailbox.all()])
        self.assertIn("security@medicines.example", got[0]["rcpts"])
        status, _, n = self.e.request("GET", "/api/v1/notifications/" + quote(ref))
        self.assertEqual(status, 200)
        self.assertEqual(n["state"], "sent")
        # The advisory made through the form was published, by the second person, valid, with
        # the asset as its product, the CVE and the remediation typed on the form.
        adv = self.e.ok("GET", "/api/v1/advisories/" + quote(res["advisory"]))
        self.assertEqual((adv["status"], adv["author"], adv["reviewer"]),
                         ("published", ADMIN[0], REVIEWER[0]))
        doc = adv["document"]
        vuln = doc["vulnerabilities"][0]
        self.assertEqual(vuln["cve"], "CVE-2026-10001")
        self.assertEqual(vuln["remediations"][0]["category"], "vendor_fix")
        self.assertEqual(vuln["scores"][0]["cvss_v3"]["baseScore"], 9.8)
        products = doc["product_tree"]["full_product_names"]
        self.assertEqual(products[0]["product_identification_helper"]["cpe"],
                         "cpe:2.3:a:example:gateway:2.0:*:*:*:*:*:*:*")
        self.assertEqual(vuln["product_status"]["known_affected"], [products[0]["product_id"]])
        published = os.path.join(self.tmp, "published.json")
        with open(published, "w") as f:
            json.dump(doc, f)
        rc, out, err = self.e.cli("csaf", "validate", "--json", published, data_dir=False)
        self.assertTrue(json.loads(out.splitlines()[0])["valid"], out + err)
        # DG-ENER's user marked its asset fixed in the portal; it cannot set DG-MOVE's (the
        # API's rule, through a token of another DG-ENER user: not found).
        assets = self.e.list_all("/api/v1/assets")
        ener = [a for a in assets if a["org"] == "DG-ENER" and a["name"] == "Energy portal"][0]
        move = [a for a in assets if a["org"] == "DG-MOVE"][0]
        got = self.e.ok("GET", "/api/v1/assets/%d" % ener["id"])
        self.assertEqual([(v["cve"], v["status"]) for v in got["vulnerabilities"]],
                         [("CVE-2026-10001", "fixed")])
        _, ener_t = self.e.user_token("ener-api", "constituent", org="DG-ENER")
        status, _, _ = self.e.request("PUT", "/api/v1/assets/%d/vulnerabilities/CVE-2026-10001"
                                      % move["id"], {"status": "fixed"}, token=ener_t)
        self.assertEqual(status, 404)
        got = self.e.ok("GET", "/api/v1/assets/%d" % move["id"])
        self.assertEqual([(v["cve"], v["status"]) for v in got["vulnerabilities"]],
                         [("CVE-2026-10001", "in_progress")])
        # Triage: the incident opened from the two reports holds both; the events the UI
        # triaged have the states it set (one false positive, two confirmed in bulk); the
        # sighting marked false positive put its value on the allow-list.
        tri = res["triage"]
        links = self.e.ok("GET", "/api/v1/incidents/%d/links" % tri["incident"])["data"]
        self.assertEqual(sorted(x["object_id"] for x in links if x["kind"] == "report"),
                         sorted(self.triage_reports))
        for eid, state in tri["events"].items():
            self.assertEqual(self.e.ok("GET", "/api/v1/events/" + eid)["triage"], state, eid)
        self.assertEqual(sorted(tri["events"].values()),
                         ["confirmed", "confirmed", "false_positive"])
        for r in self.e.ok("GET", "/api/v1/incident-reports?waiting=true")["data"]:
            self.assertNotIn(r["id"], self.triage_reports)
        status, _, body = self.e.request("GET", "/api/v1/incident-reports?waiting=maybe")
        self.assertEqual((status, body["error"]["field"]), (400, "waiting"), body)
        sightings = self.e.ok("GET", "/api/v1/sightings?value=" + TRIAGE_BAD)["data"]
        self.assertEqual([x["triage"] for x in sightings if x["id"] == tri["sighting"]],
                         ["false_positive"])
        # The advisory whose scheduled publication failed was published once the daemon's
        # home held its key, and the reason is gone (run.mjs publish_error).
        a = self.e3.ok("GET", "/api/v1/advisories/" + quote(self.puberr_ref))
        self.assertEqual((a["status"], a["publish_error"]), ("published", None), a)
        for name in res["screenshots"]:
            self.assertTrue(os.path.getsize(os.path.join(OUT_DIR, name)) > 1000, name)


if __name__ == "__main__":
    main()
