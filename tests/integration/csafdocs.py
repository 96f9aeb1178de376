"""CSAF 2.0 documents for the tests and the benchmark: a valid security advisory and a valid
VEX document built here, and one invalid variant for each mandatory test ermes implements
(each a function of a fresh copy of a valid document)."""

import copy
import json
import os

SOURCE_DIR = os.environ.get(
    "ERMES_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

with open(os.path.join(SOURCE_DIR, "data", "csaf", "cwe.json")) as f:
    CWE = dict(json.load(f))


def advisory(n=1, products=3, vulns=1):
    """A valid csaf_security_advisory; n makes ids unique, products and vulns set its size."""
    pids = ["CSAFPID-%d-%d" % (n, k) for k in range(products)]
    branches = [{
        "category": "vendor", "name": "Example Vendor %d" % n,
        "branches": [{
            "category": "product_name", "name": "Product %d" % k,
            "branches": [{
                "category": "product_version", "name": "%d.%d.%d" % (k + 1, n % 7, k),
                "product": {
                    "name": "Example Vendor %d Product %d %d.%d.%d" % (n, k, k + 1, n % 7, k),
                    "product_id": pids[k],
                    "product_identification_helper": {
                        "purl": "pkg:generic/example-%d/product-%d@%d.%d.%d" % (n, k, k + 1, n % 7, k),
                        "hashes": [{"filename": "product-%d.tar.gz" % k, "file_hashes": [
                            {"algorithm": "sha256", "value": "%064x" % (n * 1000 + k)}]}],
                    },
                },
            }],
        } for k in range(products - 1)],
    }]
    tree = {
        "branches": branches,
        "full_product_names": [{
            "name": "Example Platform %d" % n, "product_id": pids[-1],
            "product_identification_helper": {
                "cpe": "cpe:2.3:o:example:platform_%d:1.0:*:*:*:*:*:*:*" % n}}],
        "relationships": [{
            "category": "installed_on",
            "full_product_name": {"name": "Product 0 on the platform", "product_id": "REL-%d" % n,
                                  "product_identification_helper": {
                                      "purl": "pkg:generic/example-%d/product-0-on-platform" % n}},
            "product_reference": pids[0], "relates_to_product_reference": pids[-1]}],
        "product_groups": [{"group_id": "GROUP-%d" % n, "product_ids": pids[:2]}],
    }
    cwe_id = sorted(CWE)[n % len(CWE)]
    vulnerabilities = []
    for v in range(vulns):
        vulnerabilities.append({
            "cve": "CVE-2024-%05d" % (n * 10 + v),
            "cwe": {"id": cwe_id, "name": CWE[cwe_id]},
            "title": "A flaw in product 0",
            "notes": [{"category": "description", "text": "An attacker may run code.",
                       "title": "Description"}],
            "product_status": {"known_affected": [pids[0]],
                               "fixed": [pids[1], "REL-%d" % n] + pids[2:-1]},
            "remediations": [{"category": "vendor_fix", "details": "Update to the fixed version.",
                              "product_ids": [pids[0]], "url": "https://example.com/fix"}],
            "scores": [{"products": [pids[0]], "cvss_v3": {
                "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": 9.8, "baseSeverity": "CRITICAL", "attackVector": "NETWORK"},
                "cvss_v2": {
                    "version": "2.0", "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P",
                    "baseScore": 7.5, "accessVector": "NETWORK"}}],
            "threats": [{"category": "impact", "details": "Code execution.",
                         "product_ids": [pids[0]]}],
            "involvements": [{"party": "vendor", "status": "completed",
                              "date": "2024-01-0%dT10:00:00Z" % (1 + v % 9)}],
            "flags": [{"label": "vulnerable_code_not_in_execute_path",
                       "product_ids": [pids[-1]]}],
        })
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": "Example advisory %d" % n,
            "lang": "en",
            "publisher": {"category": "coordinator", "name": "Example CERT",
                          "namespace": "https://cert.example"},
            "distribution": {"tlp": {"label": "WHITE"}},
            "notes": [{"category": "summary", "text": "A summary."}],
            "references": [{"category": "external", "summary": "Vendor notice",
                            "url": "https://example.com/notice"},
                           {"category": "self", "summary": "This advisory",
                            "url": "https://cert.example/csaf/example-2024-%04d.json" % n}],
            "tracking": {
                "id": "EXAMPLE-2024-%04d" % n,
                "status": "final",
                "version": "2",
                "initial_release_date": "2024-01-01T10:00:00Z",
                "current_release_date": "2024-01-02T10:00:00+01:00",
                "revision_history": [
                    {"number": "1", "date": "2024-01-01T10:00:00Z", "summary": "Initial."},
                    {"number": "2", "date": "2024-01-02T10:00:00+01:00", "summary": "Update."}],
            },
        },
        "product_tree": tree,
        "vulnerabilities": vulnerabilities,
    }


def vex(n=1):
    """A valid csaf_vex document."""
    d = advisory(n)
    d["document"]["category"] = "csaf_vex"
    v = d["vulnerabilities"][0]
    pids = [p for p in d["product_tree"]["product_groups"][0]["product_ids"]]
    v["product_status"] = {"known_affected": [pids[0]], "known_not_affected": [pids[1]],
                           "fixed": ["REL-%d" % n]}
    v["threats"] = [{"category": "impact", "details": "Not reachable.", "product_ids": [pids[1]]}]
    v["flags"] = [{"label": "vulnerable_code_not_in_execute_path", "product_ids": [pids[1]]}]
    return d


def _vuln(d):
    return d["vulnerabilities"][0]


def _pid(d, k=0):
    return d["product_tree"]["product_groups"][0]["product_ids"][k]


def _semver(d, numbers, version, status="final"):
    t = d["document"]["tracking"]
    t["revision_history"] = [{"number": num, "date": "2024-01-0%dT10:00:00Z" % (i + 1),
                              "summary": "r"} for i, num in enumerate(numbers)]
    t["version"] = version
    t["status"] = status
    return d


def _info(d):
    d["document"]["category"] = "csaf_informational_advisory"
    del d["vulnerabilities"]
    return d


# test -> (base document maker, mutation)
INVALID = {
    "schema": (advisory, lambda d: d["document"].pop("title")),
    "schema-strict": (advisory, lambda d: d["document"].__setitem__("colour", "blue")),
    "6.1.1": (advisory, lambda d: _vuln(d)["product_status"]["known_affected"].append("NOPE")),
    "6.1.2": (advisory, lambda d: d["product_tree"]["full_product_names"].append(
        {"name": "again", "product_id": _pid(d)})),
    "6.1.3": (advisory, lambda d: d["product_tree"]["relationships"][0].__setitem__(
        "product_reference", d["product_tree"]["relationships"][0]["full_product_name"]["product_id"])),
    "6.1.4": (advisory, lambda d: _vuln(d)["remediations"][0].__setitem__("group_ids", ["NOGROUP"])),
    "6.1.5": (advisory, lambda d: d["product_tree"]["product_groups"].append(
        dict(d["product_tree"]["product_groups"][0]))),
    "6.1.6": (advisory, lambda d: _vuln(d)["product_status"].__setitem__(
        "known_not_affected", [_pid(d)])),
    "6.1.7": (advisory, lambda d: _vuln(d)["scores"].append(copy.deepcopy(_vuln(d)["scores"][0]))),
    "6.1.8": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v3"].pop("baseSeverity")),
    "6.1.9": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v3"].__setitem__("baseScore", 9.1)),
    "6.1.9-severity": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v3"].__setitem__(
        "baseSeverity", "HIGH")),
    "6.1.9-v2": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v2"].__setitem__("baseScore", 7.4)),
    "6.1.10": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v3"].__setitem__(
        "attackVector", "LOCAL")),
    "6.1.10-v2": (advisory, lambda d: _vuln(d)["scores"][0]["cvss_v2"].__setitem__(
        "accessVector", "LOCAL")),
    "6.1.11": (advisory, lambda d: _vuln(d)["cwe"].__setitem__("name", "Not its name")),
    "6.1.12": (advisory, lambda d: d["document"].__setitem__("lang", "zz")),
    "6.1.13": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0][
        "product"]["product_identification_helper"].__setitem__("purl", "pkg:generic/x%zz")),
    "6.1.14": (advisory, lambda d: d["document"]["tracking"]["revision_history"].reverse() or
               [r.__setitem__("date", "2024-01-0%dT10:00:00Z" % (i + 1)) for i, r in
                enumerate(d["document"]["tracking"]["revision_history"])]),
    "6.1.15": (advisory, lambda d: d["document"]["publisher"].__setitem__("category", "translator")),
    "6.1.16": (advisory, lambda d: d["document"]["tracking"].__setitem__("version", "3")),
    "6.1.17": (advisory, lambda d: _semver(d, ["0.9.0"], "0.9.0")),
    "6.1.18": (advisory, lambda d: _semver(d, ["0.9.0", "1.0.0"], "1.0.0")),
    "6.1.19": (advisory, lambda d: _semver(d, ["1.0.0-rc.1", "1.0.0"], "1.0.0")),
    "6.1.20": (advisory, lambda d: _semver(d, ["1.0.0-rc.1"], "1.0.0-rc.1")),
    "6.1.21": (advisory, lambda d: _semver(d, ["1", "3"], "3")),
    "6.1.22": (advisory, lambda d: _semver(d, ["1", "2", "2"], "2")),
    "6.1.23": (lambda: advisory(vulns=2), lambda d: d["vulnerabilities"][1].__setitem__(
        "cve", d["vulnerabilities"][0]["cve"])),
    "6.1.24": (advisory, lambda d: _vuln(d)["involvements"].append(
        dict(_vuln(d)["involvements"][0], summary="again"))),
    "6.1.25": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0][
        "product"]["product_identification_helper"]["hashes"][0]["file_hashes"].append(
        {"algorithm": "sha256", "value": "%064x" % 7})),
    "6.1.26": (advisory, lambda d: d["document"].__setitem__("category", "Security-Advisory")),
    "6.1.26-reserved": (advisory, lambda d: d["document"].__setitem__("category", "csaf_other")),
    "6.1.27.1": (advisory, lambda d: _info(d)["document"].__setitem__(
        "notes", [{"category": "other", "text": "x"}])),
    "6.1.27.2": (advisory, lambda d: _info(d)["document"].__setitem__(
        "references", [{"category": "self", "summary": "x", "url": "https://example.com/x"}])),
    "6.1.27.3": (advisory, lambda d: d["document"].__setitem__(
        "category", "csaf_informational_advisory")),
    "6.1.27.4": (advisory, lambda d: d.pop("product_tree")),
    "6.1.27.5": (advisory, lambda d: _vuln(d).pop("notes")),
    "6.1.27.6": (advisory, lambda d: _vuln(d).pop("product_status")),
    "6.1.27.7": (vex, lambda d: _vuln(d).__setitem__("product_status", {"recommended": [_pid(d)]})),
    "6.1.27.8": (vex, lambda d: _vuln(d).pop("cve")),
    "6.1.27.9": (vex, lambda d: (_vuln(d).pop("threats"), _vuln(d).pop("flags"))),
    "6.1.27.10": (vex, lambda d: _vuln(d).pop("remediations")),
    "6.1.27.11": (advisory, lambda d: d.pop("vulnerabilities")),
    "6.1.28": (advisory, lambda d: d["document"].__setitem__("source_lang", "en")),
    "6.1.29": (advisory, lambda d: _vuln(d)["remediations"][0].pop("product_ids")),
    "6.1.30": (advisory, lambda d: _semver(d, ["1", "2.0.0"], "2.0.0")),
    "6.1.31": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0]
               .__setitem__("name", "<= 4.2")),
    "6.1.32": (advisory, lambda d: _vuln(d)["flags"][0].pop("product_ids")),
    "6.1.33": (advisory, lambda d: _vuln(d)["flags"].append(copy.deepcopy(_vuln(d)["flags"][0]))),
}


def _hash(d, algorithms):
    d["product_tree"]["branches"][0]["branches"][0]["branches"][0]["product"][
        "product_identification_helper"]["hashes"][0]["file_hashes"] = [
        {"algorithm": a, "value": "%064x" % k} for k, a in enumerate(algorithms)]


# optional test -> (base document maker, mutation): each gives that test's warning.
OPTIONAL = {
    "6.2.1": (advisory, lambda d: d["product_tree"]["full_product_names"].append(
        {"name": "unused", "product_id": "UNUSED"})),
    "6.2.2": (advisory, lambda d: _vuln(d).pop("remediations")),
    "6.2.3": (advisory, lambda d: _vuln(d).pop("scores")),
    "6.2.4": (advisory, lambda d: _semver(d, ["1.0.0+build.1", "2.0.0"], "2.0.0")),
    "6.2.5": (advisory, lambda d: d["document"]["tracking"].__setitem__(
        "initial_release_date", "2023-12-31T10:00:00Z")),
    "6.2.6": (advisory, lambda d: d["document"]["tracking"].__setitem__(
        "current_release_date", "2024-01-01T12:00:00Z")),
    "6.2.7": (advisory, lambda d: _vuln(d)["involvements"][0].pop("date")),
    "6.2.8": (advisory, lambda d: _hash(d, ["md5"])),
    "6.2.9": (advisory, lambda d: _hash(d, ["sha1"])),
    "6.2.10": (advisory, lambda d: d["document"].pop("distribution")),
    "6.2.11": (advisory, lambda d: d["document"]["references"].pop()),
    "6.2.12": (advisory, lambda d: d["document"].pop("lang")),
    "6.2.14": (advisory, lambda d: d["document"].__setitem__("lang", "qab")),
    "6.2.15": (advisory, lambda d: d["document"].__setitem__("lang", "i-default")),
    "6.2.16": (advisory, lambda d: d["product_tree"]["full_product_names"][0].pop(
        "product_identification_helper")),
    "6.2.18": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0]
               .__setitem__("category", "product_version_range")),
    "6.2.17": (advisory, lambda d: _vuln(d).__setitem__(
        "ids", [{"system_name": "Example", "text": "CVE-2024-12345"}])),
}


# informative test -> (base document maker, mutation)
INFORMATIVE = {
    "6.3.1": (advisory, lambda d: _vuln(d)["scores"][0].pop("cvss_v3")),
    "6.3.2": (advisory, lambda d: _vuln(d)["scores"][0].__setitem__("cvss_v3", {
        "version": "3.0", "vectorString": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "baseScore": 9.8, "baseSeverity": "CRITICAL"})),
    "6.3.3": (advisory, lambda d: (_vuln(d).pop("cve"), _vuln(d).__setitem__(
        "ids", [{"system_name": "Example", "text": "EX-1"}]))),
    "6.3.4": (advisory, lambda d: _vuln(d).pop("cwe")),
    "6.3.5": (advisory, lambda d: _hash(d, ["sha256"]) or d["product_tree"]["branches"][0][
        "branches"][0]["branches"][0]["product"]["product_identification_helper"]["hashes"][0][
        "file_hashes"][0].__setitem__("value", "abcdef0123456789abcdef0123456789")),
    "6.3.10": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0]
               .update(category="product_version_range", name="vers:generic/>=1.0|<2.0")),
    "6.3.11": (advisory, lambda d: d["product_tree"]["branches"][0]["branches"][0]["branches"][0]
               .__setitem__("name", "v1.2.3")),
}


def informative(test):
    make, mutate = INFORMATIVE[test]
    d = make()
    mutate(d)
    return d


def optional(test):
    make, mutate = OPTIONAL[test]
    d = make()
    mutate(d)
    return d


def invalid(test):
    make, mutate = INVALID[test]
    d = make()
    mutate(d)
    return d
