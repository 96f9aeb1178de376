"""`ermes match` through the real binary, against a deliberately simple reference matcher.

The reference below is written for this test from the documented semantics (include/ermes/
detect.h): Python's json and ipaddress modules, sets, and a walk over label suffixes. The engine
and the reference must agree on every line of generated corpora (shared/bench generators, small
sizes) and of the hand-written sample logs in tests/data/detect/. Then: subdomain and exact-only
semantics, most specific CIDR, IPv6, case, URL normalisation, malformed input, gzip/zstd, stdin,
follow mode with rotation and truncation, warninglists, STIX.
"""

import gzip
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ERMES = os.environ.get("ERMES_BIN", "build/ermes")
SRC = os.environ.get("ERMES_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "tests", "data", "detect")
GEN = os.path.join(SRC, "..", "shared", "bench")
# The differential tests need ../shared beside the checkout (CI has it): without it they fail.
NEED_GEN = "the corpus generators of ../shared/bench were not found at " + GEN
NEED_ZSTD = "zstd is not installed (scripts/install-deps test)"

HEXRE = re.compile(r"^[0-9a-fA-F]+$")
JA4RE = re.compile(r"^[tqdTQD][0-9a-zA-Z]{9}_[0-9a-fA-F]{12}_[0-9a-fA-F]{12}$")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.readlines()


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---- the reference matcher ----------------------------------------------------------------------

def guess(v):
    try:
        ip = ipaddress.ip_address(v)
        return "ipv4" if ip.version == 4 else "ipv6"
    except ValueError:
        pass
    if "/" in v:
        try:
            ipaddress.ip_network(v, strict=False)
            return "cidr"
        except ValueError:
            pass
    if HEXRE.match(v) and len(v) in (32, 40, 64, 128):
        return {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}[len(v)]
    if JA4RE.match(v):
        return "ja4"
    if "://" in v:
        return "url"
    if "@" in v:
        return "email"
    if "/" in v:
        return "url"
    return "domain"


def norm_url(v):
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", v)
    if not m:
        return "http://" + v
    return m.group(1).lower() + "://" + m.group(2).lower() + m.group(3)


class Reference:
    def __init__(self):
        self.domains = {}   # name -> [(text, exact)]
        self.nets = {4: {}, 6: {}}  # (int network, prefix) -> text
        self.keys = {"hash": {}, "ja3": {}, "ja4": {}, "email": {}, "url": {}}

    def add(self, v, typ=None, exact=False):
        typ = typ or guess(v)
        if typ in ("ipv4", "ipv6", "cidr"):
            net = ipaddress.ip_network(v, strict=False)
            text = str(net) if net.prefixlen < net.max_prefixlen else str(net.network_address)
            self.nets[net.version][(int(net.network_address), net.prefixlen)] = text
        elif typ == "domain":
            d = v.lower().rstrip(".")
            if d.startswith("*."):
                d = d[2:]
            self.domains.setdefault(d, []).append((d, exact))
        elif typ in ("md5", "sha1", "sha256", "sha512"):
            self.keys["hash"][v.lower()] = v.lower()
        elif typ in ("ja3", "ja4", "email"):
            self.keys[typ][v.lower()] = v.lower()
        elif typ == "url":
            u = norm_url(v)
            self.keys["url"][u] = u

    def load_list(self, path):
        for line in read_lines(path):
            line = line.strip()
            if line and not line.startswith("#"):
                self.add(line.split()[0])

    def ip(self, v):
        try:
            ip = ipaddress.ip_address(v.strip("[]"))
        except ValueError:
            return set()
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        bits = 32 if ip.version == 4 else 128
        table = self.nets[ip.version]
        for p in range(bits, -1, -1):
            key = (int(ip) & (((1 << p) - 1) << (bits - p)), p)
            if key in table:
                return {table[key]}   # the most specific entry wins
        return set()

    def domain(self, v):
        name = v.lower()
        if len(name) > 1 and name.endswith("."):
            name = name[:-1]
        out = set()
        labels = name.split(".")
        for i in range(len(labels)):
            for text, exact in self.domains.get(".".join(labels[i:]), []):
                if not exact or i == 0:
                    out.add(text)
        return out

    def host(self, v):
        if ":" in v and v.count(":") == 1 and not v.startswith("["):
            v = v.split(":")[0]
        try:
            ipaddress.ip_address(v.strip("[]"))
            return self.ip(v)
        except ValueError:
            return self.domain(v)

    def hexkey(self, v, table):
        return {self.keys[table][v.lower()]} if v.lower() in self.keys[table] else set()

    def field(self, kind, v):
        if kind == "ip":
            return self.ip(v)
        if kind == "domain":
            return self.host(v)
        if kind == "hash":
            return self.hexkey(v, "hash") if len(v) in (32, 40, 64, 128) else set()
        if kind == "ja3":
            return self.hexkey(v, "ja3") | self.hexkey(v, "hash") if len(v) == 32 else set()
        if kind == "ja4":
            return self.hexkey(v, "ja4")
        if kind == "email":
            return self.hexkey(v[1:-1] if v.startswith("<") and v.endswith(">") else v, "email")
        if kind == "url":
            u = norm_url(v)
            return {u} if u in self.keys["url"] else set()
        # auto
        v = v.strip()
        if HEXRE.match(v) and len(v) in (32, 40, 64, 128):
            return self.hexkey(v, "hash") | (self.hexkey(v, "ja3") if len(v) == 32 else set())
        if "@" in v:
            return self.field("email", v)
        if "/" in v:
            host = v.split("://", 1)[-1].split("/")[0].split("?")[0].split("#")[0].split("@")[-1]
            return self.field("url", v) | (self.host(host) if host else set())
        try:
            ipaddress.ip_address(v)
            return self.ip(v)
        except ValueError:
            pass
        if JA4RE.match(v) and self.keys["ja4"]:
            return self.hexkey(v, "ja4")
        return self.host(v)


EVE_FIELDS = [("src_ip", "ip"), ("dest_ip", "ip"), ("dns.rrname", "domain"),
              ("dns.queries.rrname", "domain"), ("dns.answers.rdata", "auto"),
              ("http.hostname", "domain"), ("http.url", "url"), ("tls.sni", "domain"),
              ("tls.ja3.hash", "ja3"), ("tls.ja4", "ja4"), ("quic.sni", "domain"),
              ("quic.ja4", "ja4"), ("fileinfo.md5", "hash"), ("fileinfo.sha1", "hash"),
              ("fileinfo.sha256", "hash"), ("smtp.mail_from", "email"), ("smtp.rcpt_to", "email")]
ZEEK_FIELDS = {"id.orig_h": "ip", "id.resp_h": "ip", "query": "domain", "answers": "auto",
               "host": "domain", "uri": "url", "server_name": "domain", "ja3": "ja3",
               "ja4": "ja4", "md5": "hash", "sha1": "hash", "sha256": "hash", "tx_hosts": "ip",
               "rx_hosts": "ip", "san.dns": "domain", "san.ip": "ip", "san.email": "email",
               "fingerprint": "hash", "mailfrom": "email", "rcptto": "email"}


def walk(obj, path):
    """Values at a dotted path, arrays transparent."""
    if isinstance(obj, list):
        return [v for o in obj for v in walk(o, path)]
    if not path:
        return [obj]
    if not isinstance(obj, dict):
        return []
    out = []
    if path[0] in obj:
        out += walk(obj[path[0]], path[1:])
    return out


def strings(vals):
    out = []
    for v in vals:
        if isinstance(v, list):
            out += strings(v)
        elif isinstance(v, str):
            out.append(v)
    return out


def ref_eve(ref, path):
    result = {}
    for no, line in enumerate(read_lines(path), 1):
        ev = json.loads(line)
        hits = set()
        host = strings(walk(ev, ["http", "hostname"]))
        for name, kind in EVE_FIELDS:
            for v in strings(walk(ev, name.split("."))):
                if name == "http.url" and host and v.startswith("/"):
                    v = "http://" + host[-1] + v
                hits |= {(i, name) for i in ref.field(kind, v)}
        if hits:
            result[no] = hits
    return result


def ref_zeek_json(ref, path):
    result = {}
    for no, line in enumerate(read_lines(path), 1):
        ev = json.loads(line)
        flat = dict(ev)
        for k, v in ev.items():
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    flat[k + "." + k2] = v2
        hits = set()
        for name, kind in ZEEK_FIELDS.items():
            for v in strings([flat.get(name)]):
                if name == "uri" and v.startswith("/") and isinstance(flat.get("host"), str):
                    v = "http://" + flat["host"] + v
                hits |= {(i, name) for i in ref.field(kind, v)}
        if hits:
            result[no] = hits
    return result


def zeek_unescape(v):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), v)


def ref_zeek_tsv(ref, path):
    result, fields, types = {}, [], []
    for no, line in enumerate(read_lines(path), 1):
        line = line.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line.startswith("#types"):
            types = line.split("\t")[1:]
        if line.startswith("#"):
            continue
        cols = dict(zip(fields, line.split("\t")))
        hits = set()
        for i, name in enumerate(fields):
            kind = ZEEK_FIELDS.get(name)
            v = cols[name]
            if not kind or v in ("-", "(empty)"):
                continue
            v = zeek_unescape(v)
            vals = v.split(",") if i < len(types) and types[i].startswith(("set[", "vector[")) else [v]
            for x in vals:
                if name == "uri" and x.startswith("/") and cols.get("host", "-") != "-":
                    x = "http://" + cols["host"] + x
                hits |= {(ind, name) for ind in ref.field(kind, x)}
        if hits:
            result[no] = hits
    return result


def ref_lines(ref, path):
    result = {}
    for no, line in enumerate(read_lines(path), 1):
        v = line.strip()
        if not v or v.startswith("#"):
            continue
        hits = {(i, "line") for i in ref.field("auto", v)}
        if hits:
            result[no] = hits
    return result


# ---- driving the binary ---------------------------------------------------------------------------

def run(args, stdin=None, check=True):
    p = subprocess.run([ERMES, "match"] + args, input=stdin, capture_output=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("ermes match %s: %d\n%s" % (args, p.returncode, p.stderr.decode()))
    return p


def sightings(stdout):
    out = {}
    for line in stdout.decode().splitlines():
        s = json.loads(line)
        out[s["line"]] = {(m["indicator"], m["field"]) for m in s["matches"]}
    return out


class MatchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ermes-match-")
        if os.path.isdir(GEN):
            subprocess.run([sys.executable, os.path.join(GEN, "gen_dns_log.py"), "2"], cwd=cls.tmp,
                           check=True, capture_output=True)
            subprocess.run([sys.executable, os.path.join(GEN, "gen_eve.py"), "3000000"],
                           cwd=cls.tmp, check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def t(self, name):
        return os.path.join(self.tmp, name)

    def sample_ref(self):
        ref = Reference()
        ref.load_list(os.path.join(DATA, "indicators-sample.txt"))
        ref.add("exact-only.example", "domain", exact=True)
        ref.add("198.51.100.99", "ipv4")
        return ref

    def sample_args(self):
        return ["--indicators", os.path.join(DATA, "indicators-sample.txt"),
                "--indicators", os.path.join(DATA, "indicators-sample.csv")]

    # -- differential ------------------------------------------------------------------------------

    def test_differential_generated_dns(self):
        self.assertTrue(os.path.exists(self.t("dns.log")), NEED_GEN)
        ref = Reference()
        ref.load_list(self.t("indicators.txt"))
        want = ref_lines(ref, self.t("dns.log"))
        got = sightings(run(["--indicators", self.t("indicators.txt"), self.t("dns.log")]).stdout)
        self.assertGreater(len(want), 500)
        self.assertEqual(got, want)

    def test_differential_generated_eve(self):
        self.assertTrue(os.path.exists(self.t("eve.json")), NEED_GEN)
        ref = Reference()
        files = ["indicators.txt", "ind_ip.txt", "ind_sha256.txt", "ind_ja3.txt"]
        for f in files:
            ref.load_list(self.t(f))
        want = ref_eve(ref, self.t("eve.json"))
        args = [a for f in files for a in ("--indicators", self.t(f))]
        got = sightings(run(args + [self.t("eve.json")]).stdout)
        self.assertGreater(len(want), 50)
        self.assertEqual(got, want)

    def test_differential_samples(self):
        ref = self.sample_ref()
        cases = [("eve-sample.json", ref_eve), ("zeek-dns.json", ref_zeek_json)]
        cases += [(f, ref_zeek_tsv) for f in sorted(os.listdir(DATA))
                  if f.startswith("zeek-") and f.endswith(".log")]
        for name, fn in cases:
            with self.subTest(log=name):
                want = fn(ref, os.path.join(DATA, name))
                got = sightings(run(self.sample_args() + [os.path.join(DATA, name)]).stdout)
                self.assertTrue(want, name)
                self.assertEqual(got, want)

    # -- semantics, each with its own check ---------------------------------------------------------

    def lines(self, indicators, log, extra=()):
        ind, lg = self.t("ind.txt"), self.t("log.txt")
        write(ind, "\n".join(indicators) + "\n")
        write(lg, "\n".join(log) + "\n")
        return sightings(run(["--indicators", ind, "--format", "lines"] + list(extra) + [lg]).stdout)

    def test_subdomains_and_label_boundaries(self):
        got = self.lines(["example.eu"], ["example.eu", "a.b.example.eu", "badexample.eu",
                                          "example.eu.evil.com", "EXAMPLE.EU."])
        self.assertEqual(sorted(got), [1, 2, 5])

    def test_exact_only(self):
        ind = self.t("exact.csv")
        write(ind, "value,type,exact\nexact.example,domain,yes\n")
        lg = self.t("exact.log")
        write(lg, "exact.example\nwww.exact.example\n")
        got = sightings(run(["--indicators", ind, lg]).stdout)
        self.assertEqual(list(got), [1])

    def test_cidr_most_specific(self):
        got = self.lines(["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3"],
                         ["10.1.2.3", "10.1.2.4", "10.1.3.1", "10.2.0.1", "11.0.0.1"])
        self.assertEqual(got, {1: {("10.1.2.3", "line")}, 2: {("10.1.2.0/24", "line")},
                               3: {("10.1.0.0/16", "line")}, 4: {("10.0.0.0/8", "line")}})

    def test_ipv6(self):
        got = self.lines(["2001:DB8::/32", "2001:db8:0:0::1", "::ffff:192.0.2.1"],
                         ["2001:db8::1", "2001:0db8:0000::2", "2001:db9::1", "192.0.2.1",
                          "::ffff:192.0.2.1"])
        self.assertEqual(got, {1: {("2001:db8::1", "line")}, 2: {("2001:db8::/32", "line")},
                               4: {("192.0.2.1", "line")}, 5: {("192.0.2.1", "line")}})

    def test_case_insensitive_names_and_hashes(self):
        h = "275A021BBFB6489E54D471899F7DB9D1663FC695EC2FE2A2C4538AABF651FD0F"
        got = self.lines(["Evil.Example", h.lower(), "Boss@Phish.Example"],
                         ["WWW.EVIL.EXAMPLE", h, "boss@PHISH.example", "evil.examples"])
        self.assertEqual(sorted(got), [1, 2, 3])

    def test_url_normalisation(self):
        got = self.lines(["hxxp://Evil[.]Example/Path?q=1"],
                         ["HTTP://EVIL.EXAMPLE/Path?q=1", "http://evil.example/path?q=1",
                          "http://evil.example/Path?q=1"])
        self.assertEqual(sorted(got), [1, 3])

    def test_validity_against_event_time(self):
        ind = self.t("valid.csv")
        write(ind, "value,valid_from,valid_until\nwindow.example,"
                             "2024-05-01T00:00:00Z,2024-05-02T00:00:00Z\n")
        lg = self.t("valid.json")
        ev = '{"timestamp":"%s","event_type":"dns","dns":{"rrname":"window.example"}}\n'
        write(lg, ev % "2024-05-01T12:00:00.000000+0000" +
                            ev % "2024-05-03T12:00:00.000000+0000")
        got = sightings(run(["--indicators", ind, lg]).stdout)
        self.assertEqual(list(got), [1])

    # -- bad input ---------------------------------------------------------------------------------

    def test_malformed_records_are_skipped_and_counted(self):
        good = '{"event_type":"dns","src_ip":"10.0.0.1","dns":{"rrname":"bad.example"}}\n'
        lg = self.t("bad.json")
        with open(lg, "wb") as f:
            f.write(good.encode())
            f.write(b'{"event_type":"dns","dns":{"rrname":"bad.exa\n')          # truncated
            f.write(b'{"event_type":"dns","src_ip":5,"dns":"x","tls":[1]}\n')  # wrong types
            f.write(b'{"event_type":"dns","dns":{"rrname":"bad.example"}} trailing\n')
            f.write(b"\x00\x01\x02\xff binary \x00\n")
            f.write(b'{"event_type":"x","pad":"' + b"a" * (17 << 20) + b'"}\n')  # huge line
            f.write(b'[1,2,3]\n')
            f.write(b'{"event_type":"dns","dns":{"rrname":"b\\u0061d.example"}}\n')
            f.write(good.encode())
        ind = self.t("bad-ind.txt")
        write(ind, "bad.example\n")
        p = run(["--indicators", ind, "--format", "eve", "--stats", lg])
        got = sightings(p.stdout)
        self.assertEqual(sorted(got), [1, 8, 9])
        err = p.stderr.decode()
        self.assertIn(":2: skipped: malformed JSON", err)
        self.assertIn(":4: skipped:", err)
        self.assertIn(":5: skipped: binary data", err)
        self.assertIn("longer than", err)
        self.assertIn(":7: skipped: the record is not a JSON object", err)
        self.assertIn("5 skipped", err)

    def test_bad_indicators_rejected_with_reason(self):
        ind = self.t("badind.txt")
        write(ind, "good.example\nnot!valid\n256.1.1.1\n")
        p = run(["--indicators", ind, self.t("ind.txt") if False else os.path.join(DATA, "eve-sample.json")])
        self.assertIn("2 rejected", p.stderr.decode())

    # -- input forms ---------------------------------------------------------------------------------

    def test_gzip_zstd_and_stdin(self):
        src = os.path.join(DATA, "eve-sample.json")
        plain = run(self.sample_args() + [src]).stdout
        with open(src, "rb") as f:
            data = f.read()
        gz = self.t("eve.json.gz")
        with gzip.open(gz, "wb") as f:
            f.write(data[:1000])
        with gzip.open(gz, "ab") as f:  # two members
            f.write(data[1000:])
        got = run(self.sample_args() + [gz]).stdout
        self.assertEqual(got.replace(gz.encode(), src.encode()), plain)
        self.assertTrue(shutil.which("zstd"), NEED_ZSTD)
        zs = self.t("eve.json.zst")
        subprocess.run(["zstd", "-q", "-f", src, "-o", zs], check=True)
        got = run(self.sample_args() + [zs]).stdout
        self.assertEqual(got.replace(zs.encode(), src.encode()), plain)
        got = run(self.sample_args() + ["-"], stdin=data).stdout
        self.assertEqual(got.replace(b'"source":"-"', ('"source":"%s"' % src).encode()), plain)
        p = run(self.sample_args() + [gz[:-3] + ".broken.gz"], check=False)
        self.assertEqual(p.returncode, 1)

    def test_follow_rotation_and_truncation(self):
        lg = self.t("follow.log")
        ind = self.t("follow-ind.txt")
        write(ind, "follow.example\n")
        write(lg, "a.follow.example\n")
        p = subprocess.Popen([ERMES, "match", "--indicators", ind, "--follow", "--format",
                              "lines", lg], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            def wait_lines(n):
                lines, deadline = [], time.time() + 10
                while len(lines) < n and time.time() < deadline:
                    lines.append(p.stdout.readline())
                return lines
            self.assertEqual(len(wait_lines(1)), 1)
            with open(lg, "a") as f:
                f.write("benign.example\nb.follow.example\n")
            self.assertIn(b"b.follow.example", wait_lines(1)[0])
            os.rename(lg, lg + ".1")          # rotation: a new file under the name
            write(lg, "c.follow.example\n")
            self.assertIn(b"c.follow.example", wait_lines(1)[0])
            time.sleep(0.4)
            write(lg, "d.follow.example\n")  # truncation
            self.assertIn(b"d.follow.example", wait_lines(1)[0])
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        self.assertEqual(p.returncode, 0)

    # -- warninglists and STIX ---------------------------------------------------------------------

    def test_warninglist_suppresses_and_reports(self):
        src = os.path.join(DATA, "eve-sample.json")
        p = run(self.sample_args() + ["--warninglist", os.path.join(DATA, "warninglist-sample.json"),
                                      src])
        err = p.stderr.decode()
        self.assertIn('warninglist "Sample benign CDNs" suppresses indicator bad-cdn.net', err)
        self.assertIn("suppressed 1 indicators", err)
        self.assertNotIn(b"bad-cdn.net", p.stdout)
        self.assertIn(b"evil-example.eu", p.stdout)

    def test_stix_bundle(self):
        bundle = {"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
             "pattern": "[domain-name:value = 'evil-example.eu' OR ipv4-addr:value = '203.0.113.0/24']",
             "valid_from": "2024-01-01T00:00:00Z", "confidence": 80, "labels": ["c2"]},
            {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
             "pattern": "[file:hashes.'SHA-256' = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f']",
             "valid_from": "2024-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--3", "pattern_type": "stix",
             "pattern": "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.example']",
             "valid_from": "2024-01-01T00:00:00Z"},
            {"type": "indicator", "id": "indicator--4", "pattern_type": "stix",
             "pattern": "[process:name = 'evil.exe']", "valid_from": "2024-01-01T00:00:00Z"},
            {"type": "identity", "id": "identity--1", "name": "x"}]}
        ind = self.t("bundle.json")
        write(ind, json.dumps(bundle))
        p = run(["--indicators", ind, os.path.join(DATA, "eve-sample.json")])
        err = p.stderr.decode()
        self.assertIn("3 indicators loaded, 2 rejected", err)
        self.assertIn("AND is not supported", err)
        self.assertIn("process:name", err)
        got = sightings(p.stdout)
        inds = {i for hits in got.values() for i, _ in hits}
        self.assertEqual(inds, {"evil-example.eu", "203.0.113.0/24",
                                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
