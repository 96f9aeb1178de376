#!/usr/bin/python3
"""Checks a constituency file such as data/demo/constituency.json.

Usage:
  scripts/check-demo-data.py [FILE]                 validate (default: the demo constituency)
  scripts/check-demo-data.py [FILE] --lookup X...   also print the owner of each IP, domain or
                                                    ASN X (most specific match), one per line

The demo data must stay inside the ranges reserved for documentation, so nothing in it can ever
point at a real network: IPv4 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (RFC 5737), IPv6
2001:db8::/32 (RFC 3849), ASNs 64496-64511 (RFC 5398) and names under .example (RFC 2606).
Networks may overlap only when one organisation is an ancestor of the other (a parent's block
holding a child's), so that the most specific network decides the owner.

Exits 0 when the file is valid, 1 with one line per problem on stderr otherwise, 2 on usage
errors. Uses only the standard library.
"""

import ipaddress
import json
import os
import re
import sys

DOC_NETWORKS = [ipaddress.ip_network(n) for n in
                ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
DOC_ASN_MIN, DOC_ASN_MAX = 64496, 64511
TYPES = {"institution", "body", "agency", "office", "directorate"}
TLPS = {"CLEAR", "WHITE", "GREEN", "AMBER", "AMBER+STRICT", "RED"}
ROLES = {"abuse", "security", "cert", "management", "technical"}
KEYS = {"short_name", "name", "country", "sector", "type", "parent", "tlp", "contacts",
        "networks", "asns", "domains"}
DOMAIN_RE = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+example$")
EMAIL_RE = re.compile(r"^[a-z0-9._+-]+@([a-z0-9.-]+)$")


def default_path():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "data", "demo", "constituency.json")


def check(doc):
    """Returns a list of problems, empty when the document is valid."""
    problems = []
    if not isinstance(doc, dict) or not isinstance(doc.get("organisations"), list):
        return ["top level must be an object with an \"organisations\" array"]
    orgs = doc["organisations"]
    by_short = {}
    for i, org in enumerate(orgs):
        where = "organisations[%d]" % i
        if not isinstance(org, dict):
            problems.append("%s: not an object" % where)
            continue
        short = org.get("short_name")
        if isinstance(short, str) and short:
            where = short
            if short in by_short:
                problems.append("%s: duplicate short_name" % short)
            by_short[short] = org
        else:
            problems.append("%s: short_name missing or not a string" % where)
        for key in sorted(KEYS - set(org)):
            problems.append("%s: missing %s" % (where, key))
        for key in sorted(set(org) - KEYS):
            problems.append("%s: unknown key %s" % (where, key))
        for key in ("name", "sector"):
            if not isinstance(org.get(key), str) or not org.get(key):
                problems.append("%s: %s must be a non-empty string" % (where, key))
        if not re.fullmatch(r"[A-Z]{2}", str(org.get("country"))):
            problems.append("%s: country must be ISO 3166-1 alpha-2" % where)
        if org.get("type") not in TYPES:
            problems.append("%s: type %r not one of %s" % (where, org.get("type"), sorted(TYPES)))
        if org.get("tlp") not in TLPS:
            problems.append("%s: tlp %r not one of %s" % (where, org.get("tlp"), sorted(TLPS)))
        domains = org.get("domains")
        if not isinstance(domains, list):
            problems.append("%s: domains must be an array" % where)
            domains = []
        for dom in domains:
            if not isinstance(dom, str) or not DOMAIN_RE.match(dom):
                problems.append("%s: domain %r is not a lower-case name under .example" %
                                (where, dom))
        contacts = org.get("contacts")
        if not isinstance(contacts, list) or not contacts:
            problems.append("%s: contacts must be a non-empty array" % where)
            contacts = []
        for c in contacts:
            if not isinstance(c, dict) or set(c) != {"name", "email", "role", "language"}:
                problems.append("%s: contact %r must have name, email, role, language" %
                                (where, c))
                continue
            m = EMAIL_RE.match(str(c["email"]))
            if not m or not any(m.group(1) == d or m.group(1).endswith("." + d)
                                for d in domains if isinstance(d, str)):
                problems.append("%s: contact e-mail %r is not at one of the organisation's "
                                "domains" % (where, c["email"]))
            if c["role"] not in ROLES:
                problems.append("%s: contact role %r not one of %s" %
                                (where, c["role"], sorted(ROLES)))
            if not re.fullmatch(r"[a-z]{2}", str(c["language"])):
                problems.append("%s: contact language %r must be ISO 639-1" %
                                (where, c["language"]))
        asns = org.get("asns")
        if not isinstance(asns, list):
            problems.append("%s: asns must be an array" % where)
            asns = []
        for asn in asns:
            if type(asn) is not int or not DOC_ASN_MIN <= asn <= DOC_ASN_MAX:
                problems.append("%s: ASN %r outside AS%d-AS%d" %
                                (where, asn, DOC_ASN_MIN, DOC_ASN_MAX))
        networks = org.get("networks")
        if not isinstance(networks, list):
            problems.append("%s: networks must be an array" % where)
            org["networks"] = []
            continue
        for net in networks:
            try:
                n = ipaddress.ip_network(net)
            except (TypeError, ValueError) as e:
                problems.append("%s: network %r: %s" % (where, net, e))
                continue
            if not any(n.version == d.version and n.subnet_of(d) for d in DOC_NETWORKS):
                problems.append("%s: network %s is outside the documentation ranges" %
                                (where, net))

    for short, org in by_short.items():
        parent, seen = org.get("parent"), {short}
        if parent is not None and parent not in by_short:
            problems.append("%s: parent %r does not exist" % (short, parent))
            continue
        while parent is not None and parent in by_short:
            if parent in seen:
                problems.append("%s: parent chain loops" % short)
                break
            seen.add(parent)
            parent = by_short[parent].get("parent")

    problems += check_overlaps(by_short)
    problems += check_unique(by_short, "asns", "ASN")
    problems += check_unique(by_short, "domains", "domain")
    return problems


def ancestors(by_short, short):
    result, parent = set(), by_short[short].get("parent")
    while parent in by_short and parent not in result:
        result.add(parent)
        parent = by_short[parent].get("parent")
    return result


def parsed_networks(by_short):
    for short, org in by_short.items():
        for net in org.get("networks") or []:
            try:
                yield ipaddress.ip_network(net), short
            except (TypeError, ValueError):
                pass


def check_overlaps(by_short):
    problems = []
    nets = sorted(parsed_networks(by_short), key=lambda x: (x[0].version, x[0]))
    for i, (a, owner_a) in enumerate(nets):
        for b, owner_b in nets[i + 1:]:
            if a.version != b.version or not a.overlaps(b):
                continue
            if a == b:
                problems.append("network %s is listed twice (%s, %s)" % (a, owner_a, owner_b))
            elif owner_a == owner_b:
                problems.append("%s: networks %s and %s overlap" % (owner_a, a, b))
            elif (owner_a not in ancestors(by_short, owner_b) and
                  owner_b not in ancestors(by_short, owner_a)):
                problems.append("networks %s (%s) and %s (%s) overlap but neither organisation "
                                "is the other's parent" % (a, owner_a, b, owner_b))
    return problems


def check_unique(by_short, key, what):
    problems, owner = [], {}
    for short, org in by_short.items():
        for value in org.get(key) or []:
            if not isinstance(value, (str, int)):
                continue
            if value in owner:
                problems.append("%s %s belongs to both %s and %s" %
                                (what, value, owner[value], short))
            owner[value] = short
    return problems


def lookup(by_short, value):
    """The owner of an IP (longest prefix), domain (longest suffix) or ASN, or None."""
    m = re.fullmatch(r"(?i)(?:AS)?(\d+)", value)
    if m:
        asn = int(m.group(1))
        for short, org in by_short.items():
            if asn in (org.get("asns") or []):
                return short
        return None
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        ip = None
    if ip is not None:
        best = None
        for net, short in parsed_networks(by_short):
            if ip.version == net.version and ip in net:
                if best is None or net.prefixlen > best[0].prefixlen:
                    best = (net, short)
        return best[1] if best else None
    name, best = value.lower().rstrip("."), None
    for short, org in by_short.items():
        for dom in org.get("domains") or []:
            if name == dom or name.endswith("." + dom):
                if best is None or len(dom) > len(best[0]):
                    best = (dom, short)
    return best[1] if best else None


def main(argv):
    args = argv[1:]
    lookups = []
    if "--lookup" in args:
        i = args.index("--lookup")
        lookups, args = args[i + 1:], args[:i]
        if not lookups:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(__doc__, file=sys.stderr)
        return 2
    path = args[0] if args else default_path()
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("%s: %s" % (path, e), file=sys.stderr)
        return 1
    problems = check(doc)
    for p in problems:
        print("%s: %s" % (path, p), file=sys.stderr)
    if problems:
        return 1
    by_short = {o["short_name"]: o for o in doc["organisations"]}
    for value in lookups:
        print("%s %s" % (value, lookup(by_short, value) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
