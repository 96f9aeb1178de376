#!/usr/bin/python3
"""Writes a few days of Shadowserver-style reports about the demo constituency, dated up to
today, so that a fresh `make demo` has events to show: usage: make-demo-reports.py OUTDIR

Deterministic for a given day. Addresses are the documentation ranges the demo organisations
own (data/demo/constituency.json), plus a few nobody in the constituency owns."""
import datetime
import os
import random
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else "var/demo-reports"
os.makedirs(OUT, exist_ok=True)
today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)
rnd = random.Random(int(today.timestamp()))
OWNED = ["192.0.2.%d" % i for i in range(1, 255)] + ["198.51.100.%d" % i for i in range(1, 255)] + \
        ["203.0.113.%d" % i for i in range(1, 255)]
OTHER = ["100.64.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255)) for _ in range(20)]

REPORTS = {
    "scan_ssl": ('"timestamp","ip","protocol","port","hostname","tag","handshake","asn","geo",'
                 '"region","city","cert_length","subject_common_name","issuer_common_name",'
                 '"cert_issue_date","cert_expiration_date","sha1_fingerprint","cipher_suite",'
                 '"ssl_version","naics","sector"',
                 lambda t, ip: '"%s","%s","tcp",443,"","ssl-poodle","TLSv1.0",64496,"BE","",'
                               '"",2048,"www.example","Example CA","2024-01-01 00:00:00",'
                               '"2025-01-01 00:00:00","AB:CD","TLS_RSA_WITH_RC4_128_SHA",'
                               '"SSLv3",,""' % (t, ip)),
    "scan_rdp": ('"timestamp","ip","protocol","port","hostname","tag","asn","geo","region",'
                 '"city","rdp_protocol","cert_length","subject_common_name","naics","sector"',
                 lambda t, ip: '"%s","%s","tcp",3389,"","rdp",64496,"BE","","","RDP",2048,'
                               '"host.example",,""' % (t, ip)),
    "event4_sinkhole": ('"timestamp","protocol","src_ip","src_port","src_asn","src_geo",'
                        '"src_region","src_city","dst_ip","dst_port","dst_asn","dst_geo",'
                        '"infection","family","tag","application","event_id"',
                        lambda t, ip: '"%s","tcp","%s",%d,64496,"BE","","","192.0.2.1",80,'
                                      '64500,"BE","%s","%s","","http",""' % (
                                          t, ip, rnd.randrange(1024, 65535),
                                          *rnd.choice([("andromeda", "andromeda"),
                                                       ("qakbot", "qakbot"),
                                                       ("emotet", "emotet")]))),
    "blocklist": ('"timestamp","ip","hostname","source","reason","asn","geo","region","city",'
                  '"naics","sector","tag"',
                  lambda t, ip: '"%s","%s","","spamhaus","spam source",64496,"BE","","",,"",'
                                '""' % (t, ip)),
}

for days_ago in range(6, -1, -1):
    day = today - datetime.timedelta(days=days_ago)
    for name, (header, row) in REPORTS.items():
        n = rnd.randrange(5, 40)
        path = os.path.join(OUT, "%s-%s-demo-geo.csv" % (day.strftime("%Y-%m-%d"), name))
        with open(path, "w") as f:
            f.write(header + "\n")
            for _ in range(n):
                t = day + datetime.timedelta(seconds=rnd.randrange(86400))
                ip = rnd.choice(OTHER) if rnd.random() < 0.1 else rnd.choice(OWNED)
                f.write(row(t.strftime("%Y-%m-%d %H:%M:%S"), ip) + "\n")
print(OUT)
