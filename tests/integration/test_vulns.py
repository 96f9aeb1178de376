"""Vulnerability intelligence warns exactly the constituents whose assets it affects
(issue 13, items 5 and 6), over real SMTP (aiosmtpd).

Four constituents register assets: DG-DIGIT a CPE (log4j 2.14.0, through the CLI), UP a
vendor/product/version (Example Widget 3.1, itself through the API), UCM the fixed Widget
3.2.1, DG-HOME an SBOM (CycloneDX: widget-core 3.1.0 by purl, log4j-core 2.14.1 by CPE). An
NVD CVE API 2.0 page (CVE-2021-44228 with its version ranges and an AND configuration), a
CVE JSON 5 record (CVE-2026-10001: versions with changes, and a Maven packageName) and the
KEV catalogue arrive in one import: DG-DIGIT, UP and DG-HOME get one warning each naming
their assets, UCM none. A re-import sends nothing. A new KEV entry for CVE-2026-10001 warns
UP and DG-HOME again, once. UP marks its asset fixed through the API; it cannot see
DG-DIGIT's. The sample documents are written here from the documented formats (CVE 5 schema,
NVD API 2.0, KEV schema, EPSS file; ../shared/reference/advisories.md section 6).
"""

import copy
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402

KEV = {
    "title": "CISA Catalog of Known Exploited Vulnerabilities",
    "catalogVersion": "2026.12.01", "dateReleased": "2026-12-01T15:00:00.000Z", "count": 2,
    "vulnerabilities": [
        {"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
         "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
         "dateAdded": "2021-12-10",
         "shortDescription": "Apache Log4j2 JNDI features do not protect against "
                             "attacker-controlled endpoints.",
         "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2021-12-24",
         "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20", "CWE-917"]},
        {"cveID": "CVE-2023-4966", "vendorProject": "Citrix",
         "product": "NetScaler ADC and NetScaler Gateway", "vulnerabilityName": "Citrix Bleed",
         "dateAdded": "2023-10-18", "shortDescription": "Buffer overflow.",
         "requiredAction": "Apply mitigations per vendor instructions.",
         "dueDate": "2023-11-08", "knownRansomwareCampaignUse": "Known", "notes": "",
         "cwes": ["CWE-119"]},
    ]}

NVD = {
    "resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE",
    "version": "2.0", "timestamp": "2026-12-01T10:00:00.000",
    "vulnerabilities": [{"cve": {
        "id": "CVE-2021-44228", "sourceIdentifier": "security@apache.org",
        "published": "2021-12-10T10:15:09.143", "lastModified": "2025-02-04T15:15:13.773",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "Apache Log4j2 2.0-beta9 through 2.15.0 "
                                                 "JNDI features do not protect against LDAP."}],
        "metrics": {"cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary",
                                       "cvssData": {"version": "3.1",
                                                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/"
                                                                    "UI:N/S:C/C:H/I:H/A:H",
                                                    "baseScore": 10.0,
                                                    "baseSeverity": "CRITICAL"}}]},
        "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary",
                        "description": [{"lang": "en", "value": "CWE-917"}]}],
        "configurations": [
            {"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [
                {"vulnerable": True, "criteria": "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*",
                 "versionStartIncluding": "2.0.1", "versionEndExcluding": "2.3.1",
                 "matchCriteriaId": "03FA5E81-F9C0-403E-8A4B-E4284E4E7B72"},
                {"vulnerable": True, "criteria": "cpe:2.3:a:apache:log4j:*:*:*:*:*:*:*:*",
                 "versionStartIncluding": "2.13.0", "versionEndExcluding": "2.15.0",
                 "matchCriteriaId": "AED3D5EC-DAD5-4E5F-8BBD-B4E3349D84FC"}]}]},
            # "SES3000 running on SPPA-T3000": UCM has the software without the platform.
            {"operator": "AND", "nodes": [
                {"operator": "OR", "negate": False, "cpeMatch": [
                    {"vulnerable": True,
                     "criteria": "cpe:2.3:a:siemens:sppa-t3000_ses3000:*:*:*:*:*:*:*:*",
                     "matchCriteriaId": "6E1D3A4F-0000-4000-8000-000000000001"}]},
                {"operator": "OR", "negate": False, "cpeMatch": [
                    {"vulnerable": False,
                     "criteria": "cpe:2.3:h:siemens:sppa-t3000:-:*:*:*:*:*:*:*",
                     "matchCriteriaId": "6E1D3A4F-0000-4000-8000-000000000002"}]}]}],
        "references": []}}]}

CVE5 = {
    "dataType": "CVE_RECORD", "dataVersion": "5.1",
    "cveMetadata": {"cveId": "CVE-2026-10001",
                    "assignerOrgId": "b3476cb9-2e3d-41a6-98d0-0f47421a65b6",
                    "assignerShortName": "example", "state": "PUBLISHED",
                    "dateReserved": "2026-11-01T00:00:00.000Z",
                    "datePublished": "2026-11-20T10:00:00.000Z",
                    "dateUpdated": "2026-11-21T10:00:00.000Z"},
    "containers": {"cna": {
        "providerMetadata": {"orgId": "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"},
        "title": "Path traversal in Example Widget",
        "descriptions": [{"lang": "en", "value": "Path traversal in Example Widget before "
                                                 "3.2.1 allows reading any file."}],
        "affected": [
            {"vendor": "Example", "product": "Widget", "defaultStatus": "unaffected",
             "versions": [{"version": "3.0", "lessThan": "3.*", "versionType": "semver",
                           "status": "affected",
                           "changes": [{"at": "3.2.1", "status": "unaffected"}]}]},
            {"collectionURL": "https://repo.maven.apache.org/maven2",
             "packageName": "org.example:widget-core", "defaultStatus": "unaffected",
             "versions": [{"version": "0", "lessThan": "3.2.1", "versionType": "maven",
                           "status": "affected"}]}],
        "problemTypes": [{"descriptions": [{"type": "CWE", "cweId": "CWE-22", "lang": "en",
                                            "description": "CWE-22 Path Traversal"}]}],
        "metrics": [{"format": "CVSS", "cvssV3_1": {
            "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "baseScore": 7.5, "baseSeverity": "HIGH"}}],
        "references": [{"url": "https://example.org/advisory"}]}}}

SBOM = {
    "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
    "metadata": {"component": {"type": "application", "name": "home-portal", "version": "1.0"}},
    "components": [
        {"type": "library", "group": "org.example", "name": "widget-core", "version": "3.1.0",
         "purl": "pkg:maven/org.example/widget-core@3.1.0"},
        {"type": "library", "group": "org.apache.logging.log4j", "name": "log4j-core",
         "version": "2.14.1", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
         "cpe": "cpe:2.3:a:apache:log4j:2.14.1:*:*:*:*:*:*:*"}]}

EPSS = ("#model_version:v2025.03.14,score_date:2026-12-01T00:00:00+0000\n"
        "cve,epss,percentile\nCVE-2021-44228,0.94334,0.99991\nCVE-2026-10001,0.00043,0.12\n")

NOTIFICATIONS = "/api/v1/notifications"


class VulnWarningTest(DaemonTest):
    maxDiff = 6000
    demo = True
    mail = True
    tmp_prefix = "ermes-vulns-"

    def write(self, name, doc):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return path

    def test_warnings(self):
        e = self.e
        # The assets: by CLI, by a constituent over the API, by staff, by SBOM.
        self.cli_ok("assets", "add", "--org", "DG-DIGIT", "--cpe",
                    "cpe:2.3:a:apache:log4j:2.14.0:*:*:*:*:*:*:*", "--name", "intranet")
        _, up_token = e.user_token("up-it", "constituent", org="UP")
        up_asset = e.ok("POST", "/api/v1/assets", {"vendor": "Example", "product": "Widget",
                                                   "version": "3.1"}, token=up_token,
                        expect=201)
        self.assertEqual(up_asset["org"], "UP")
        e.ok("POST", "/api/v1/assets", {"org": "UCM", "vendor": "Example", "product": "Widget",
                                        "version": "3.2.1"}, expect=201)
        e.ok("POST", "/api/v1/assets", {"org": "UCM", "cpe":
                                        "cpe:2.3:a:siemens:sppa-t3000_ses3000:1.0:*:*:*:*:*:*:*"},
             expect=201)
        out = self.cli_ok("assets", "import", "--org", "DG-HOME", self.write("bom.json", SBOM))
        self.assertIn("cyclonedx, 3 assets added", out)
        # Bad input: a broken CPE is a 422 naming the field; a constituent sees its own only.
        status, _, body = e.request("POST", "/api/v1/assets", {"cpe": "cpe:2.3:a:x"},
                                    token=up_token)
        self.assertEqual((status, body["error"]["field"]), (422, "cpe"), body)
        mine = e.list_all("/api/v1/assets", token=up_token)
        self.assertEqual([a["org"] for a in mine], ["UP"])
        digit = [a for a in e.list_all("/api/v1/assets") if a["org"] == "DG-DIGIT"][0]
        status, _, _ = e.request("GET", "/api/v1/assets/%d" % digit["id"], token=up_token)
        self.assertEqual(status, 404)

        # A broken document imports nothing.
        rc, out, err = e.cli("vulns", "import", self.write("bad.json", '{"vulnerabilities": ['
                                                            '{"cveID": "CVE-1"}]}'))
        self.assertNotEqual(rc, 0)
        self.assertIn("nothing imported", err)

        docs = [self.write("nvd.json", NVD), self.write("cve5.json", CVE5),
                self.write("kev.json", KEV), self.write("epss.csv", EPSS)]
        out = self.cli_ok("vulns", "import", *docs)
        # Three constituents to warn. The daemon, matching the assets just created, may warn
        # some of them itself once the import has committed the vulnerabilities (each is then
        # no longer news to the import: src/notify/vulns.c), as it did once under ASan: the
        # import's own count is at most three, and the mails below show each warned once.
        made = re.search(r"(\d+) notifications", out)
        self.assertTrue(made and int(made.group(1)) <= 3, out)
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.mailbox.count() >= 3, timeout=60, what="three warnings")
        by_org = self.mails_by_org()
        self.assertEqual(sorted(by_org), ["DG-DIGIT", "DG-HOME", "UP"])
        self.assertTrue(all(len(v) == 1 for v in by_org.values()), by_org)
        text = body_text(by_org["DG-DIGIT"][0]["msg"])
        self.assertIn("CVE-2021-44228", text)
        self.assertIn("cpe:2.3:a:apache:log4j:2.14.0", text)
        self.assertIn("KEV: known to be exploited; due date 2021-12-24", text)
        self.assertNotIn("CVE-2026-10001", text)
        self.assertEqual(by_org["DG-DIGIT"][0]["rcpts"], ["noc@dg-digit.commission.example"])
        home = body_text(by_org["DG-HOME"][0]["msg"])
        self.assertIn("CVE-2021-44228", home)
        self.assertIn("CVE-2026-10001", home)
        self.assertIn("pkg:maven/org.example/widget-core@3.1.0", home)
        self.assertIn("cpe:2.3:a:apache:log4j:2.14.1", home)
        self.assertNotIn("home-portal", home)
        up = body_text(by_org["UP"][0]["msg"])
        self.assertIn("CVE-2026-10001", up)
        self.assertIn("Example Widget 3.1", up)
        self.assertNotIn("CVE-2021-44228", up)
        parts = list(by_org["UP"][0]["msg"].iter_attachments())
        self.assertEqual(len(parts), 1)
        csv_text = parts[0].get_payload(decode=True).decode()
        self.assertTrue(csv_text.startswith("cve,asset_id,"), csv_text)
        self.assertIn('"CVE-2026-10001","%d"' % up_asset["id"], csv_text)

        # Stored as the sources said.
        v = e.ok("GET", "/api/v1/vulnerabilities/CVE-2021-44228", token=up_token)
        self.assertEqual((v["cvss_score"], v["cvss_severity"], v["kev"], v["cwe"]),
                         (10.0, "CRITICAL", True, "CWE-917"))
        self.assertAlmostEqual(v["epss"], 0.94334)
        self.assertEqual(v["kev_entry"]["due_date"][:10], "2021-12-24")
        kev = e.ok("GET", "/api/v1/vulnerabilities?kev=true")["data"]
        self.assertEqual(sorted(x["cve"] for x in kev), ["CVE-2021-44228", "CVE-2023-4966"])

        # A re-import changes nothing and warns nobody.
        out = self.cli_ok("vulns", "import", *docs)
        self.assertIn("0 new asset warnings, 0 notifications", out)
        out = self.cli_ok("vulns", "match")
        self.assertIn("0 new asset warnings", out)

        # A new KEV entry: CVE-2026-10001 is exploited now; UP and DG-HOME hear it once.
        kev2 = copy.deepcopy(KEV)
        kev2["vulnerabilities"].append(
            {"cveID": "CVE-2026-10001", "vendorProject": "Example", "product": "Widget",
             "vulnerabilityName": "Example Widget Path Traversal", "dateAdded": "2026-12-05",
             "shortDescription": "Path traversal.", "requiredAction": "Update to 3.2.1.",
             "dueDate": "2026-12-26", "knownRansomwareCampaignUse": "Unknown", "notes": ""})
        out = self.cli_ok("vulns", "import", self.write("kev2.json", kev2))
        self.assertIn("2 notifications", out)
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        wait_until(lambda: self.mailbox.count() >= 5, timeout=60, what="two KEV warnings")
        by_org = self.mails_by_org()
        self.assertEqual({k: len(v) for k, v in by_org.items()},
                         {"DG-DIGIT": 1, "DG-HOME": 2, "UP": 2})
        self.assertIn("Required action: Update to 3.2.1.", body_text(by_org["UP"][1]["msg"]))
        out = self.cli_ok("vulns", "import", self.write("kev2.json", kev2))
        self.assertIn("0 notifications", out)

        # UP marks its asset fixed.
        r = e.ok("PUT", "/api/v1/assets/%d/vulnerabilities/CVE-2026-10001" % up_asset["id"],
                 {"status": "fixed", "note": "updated to 3.2.1"}, token=up_token)
        self.assertEqual(r["status"], "fixed")
        got = e.ok("GET", "/api/v1/assets/%d" % up_asset["id"], token=up_token)
        self.assertEqual([(x["cve"], x["status"], x["warned_kev"]) for x in
                          got["vulnerabilities"]], [("CVE-2026-10001", "fixed", True)])
        status, _, body = e.request(
            "PUT", "/api/v1/assets/%d/vulnerabilities/CVE-2026-10001" % up_asset["id"],
            {"status": "patched"}, token=up_token)
        self.assertEqual((status, body["error"]["field"]), (422, "status"))
        status, _, _ = e.request(
            "PUT", "/api/v1/assets/%d/vulnerabilities/CVE-2021-44228" % digit["id"],
            {"status": "fixed"}, token=up_token)
        self.assertEqual(status, 404)
        self.assertEqual(self.mailbox.count(), 5)


if __name__ == "__main__":
    main()
