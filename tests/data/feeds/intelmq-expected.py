#!/usr/bin/python3
"""Writes tests/data/feeds/intelmq-expected/<case>.json from IntelMQ's own parser tests.

    tests/data/feeds/intelmq-expected.py --intelmq DIR [--out DIR]

DIR is a checkout of certtools/intelmq, or a directory with copies of the modules named below
(an excerpt holding the module-level assignments is enough: nothing else is read). Each case below
names an IntelMQ test module, the variables in it that hold the expected events, and how the
test combines them (a template merged into each event, and which of the two wins). The module
is read with ast and never imported: only literals are evaluated (dicts, lists, strings, numbers,
names bound to them, `+` of lists, list comprehensions over literals, NAME[KEY] and
NAME.copy(), and module-level NAME[KEY] = VALUE on a dict read before); a value made by a call
(utils.base64_encode for `raw`) is left out and said so in the output.

The files written are the expected events of test_feeds.c's IntelMQ conformance test: ermes's
parser runs on the same input, and its events at the same positions must equal these field for
field, except for the differences listed with their reasons in test_feeds.c. ermes never writes
these files (ERMES_UPDATE_GOLDEN=1 does not touch them). Each file records the module's path and
the commit it was read at, so a reviewer can check it against IntelMQ; where the search index that
the modules were read from gave a version without naming its commit (some Shadowserver tests,
found by their content), the file says commit null and gives the index's id of that version.
"""

import argparse
import ast
import copy
import json
import os
import sys

def shadowserver_case(report, commit, feed_name, positions=None, all_events=True, index_id=None):
    """A case of IntelMQ's Shadowserver parser test for one report type (EVENTS, no template).

    commit None: the version was found in the search index by its content (IntelMQ 3.x's
    synthetic data, node01.example.com ...), and the index names no commit for it; index_id is
    that file's id there."""
    case = {
        "case": "shadowserver-" + report,
        "module": "intelmq/tests/bots/parsers/shadowserver/test_%s.py" % report,
        "commit": commit,
        "index_id": index_id,
        "parser": "shadowserver",
        "input": "conformance/feeds/shadowserver/%s.csv" % report,
        # IntelMQ's event takes feed.name from its report.
        "options": ["feed_name=" + feed_name],
        "events": "EVENTS",
    }
    if positions is not None:
        case["positions"] = positions
    elif all_events:
        case["all_events"] = True
    return case


# case: the output file's name; parser, input, options: as in intelmq.manifest.
# events: the module-level name of the list of expected events; template: a dict merged into
# each; template_wins: the test does event.update(template) (True) or template.update(event);
# positions: only these of the test's events (where the test and the input file differ in
# version); all_events: ermes must give exactly as many events as the test lists. events may be
# a list of names when the test names each event on its own. input "local:PATH" is under
# tests/data/feeds. The search index of IntelMQ's history gave the versions named by commit;
# where that version is older than the input file, the case says which rows it covers.
CASES = [
    {
        "case": "spamhaus-drop",
        "module": "intelmq/tests/bots/parsers/spamhaus/test_parser_drop.py",
        "commit": "224a6ddb8e4fdf495a5dee1913aef8b7c96f1c38",
        "parser": "spamhaus-drop",
        "input": "conformance/feeds/intelmq/spamhaus/drop.txt",
        "options": [],
        "events": "NETWORK_EVENTS",
    },
    {
        "case": "spamhaus-asndrop",
        "module": "intelmq/tests/bots/parsers/spamhaus/test_parser_drop.py",
        "commit": "224a6ddb8e4fdf495a5dee1913aef8b7c96f1c38",
        "parser": "spamhaus-asndrop",
        "input": "conformance/feeds/intelmq/spamhaus/asndrop.txt",
        "options": [],
        "events": "ASN_EVENTS",
    },
    {
        "case": "cymru-cap-certname",
        "module": "intelmq/tests/bots/parsers/cymru/test_cap_program_new.py",
        "commit": "99c4c2cac5bfd10ca4f7b0c1487fb8c6ba9d212d",
        "parser": "cymru-cap",
        "input": "conformance/feeds/intelmq/cymru/certname_20190327.txt",
        "options": [],
        "events": "EVENTS",
        "template": "EVENT_TEMPLATE",
        "template_wins": True,
        # This version of the test covers the input's lines 4-35 (45 events); the input's last
        # three lines (36-38) came later and have no expectation here.
    },
    {
        "case": "cymru-cap-infected",
        "module": "intelmq/tests/bots/parsers/cymru/test_cap_program.py",
        "commit": "09319672e0f90d82cc9783c499eea5112f6e7f45",
        "parser": "cymru-cap",
        "input": "conformance/feeds/intelmq/cymru/infected_20171031.txt",
        "options": [],
        # The test names each event on its own (EVENT0 ... EVENT6) for the input's lines 3-9.
        "events": ["EVENT0", "EVENT1", "EVENT2", "EVENT3", "EVENT4", "EVENT5", "EVENT6"],
    },
    {
        "case": "spamhaus-cert",
        "module": "intelmq/tests/bots/parsers/spamhaus/test_parser_cert.py",
        "commit": "003bab174bfd470e9520889ac8e5ce076b80462f",
        "parser": "spamhaus-cert",
        "input": "conformance/feeds/intelmq/spamhaus/cert.txt",
        "options": ["feed_url=https://portal.spamhaus.org/cert/api.php?cert=<CERTNAME>&key=<APIKEY>",
                    "feed_name=Spamhaus Cert"],
        "events": "EXAMPLE_EVENTS_PARTS",
        "template": "EVENT_TEMPL",
        "template_wins": False,
        # This version of the test covers the input's first 13 rows; the rows after them
        # (imap, proxyget, iotscan, authspoofbadehlo, extortion, misc) came later.
    },
    {
        "case": "microsoft-ctip-interflow",
        "module": "intelmq/tests/bots/parsers/microsoft/test_parser_ctip.py",
        "commit": "348f0d671158a7dd215d4edc331a5c45403e1276",
        "parser": "microsoft-ctip",
        "input": "conformance/feeds/intelmq/microsoft/ctip.txt",
        "options": [],
        "events": "EXAMPLE_EVENTS",
        "all_events": True,
    },
    {
        "case": "microsoft-ctip-azure",
        "module": "intelmq/tests/bots/parsers/microsoft/test_parser_ctip_azure.py",
        "commit": "044549a838eca8b7acdf0d348a7553364c83eaf5",
        "parser": "microsoft-ctip",
        "input": "conformance/feeds/intelmq/microsoft/ctip_azure.txt",
        "options": [],
        "events": "EXAMPLE_EVENTS",
        # The test checks the first 4 events; the input's later lines came later.
    },
    {
        "case": "openphish",
        "module": "intelmq/tests/bots/parsers/openphish/test_parser.py",
        "commit": "17e3a97900a7f2d8e9638e34c50e8b2f2066d4b5",
        "parser": "openphish",
        "input": "conformance/feeds/intelmq/openphish/feed.txt",
        "options": [],
        "events": ["OUTPUT1", "OUTPUT2"],
        "all_events": True,
    },
    {
        "case": "dshield-block",
        "module": "intelmq/tests/bots/parsers/dshield/test_parser_block.py",
        "commit": "17490221327be9063fe49910aa22951555fd63ce",
        "parser": "dshield-block",
        "input": "conformance/feeds/intelmq/dshield/block.txt",
        "options": [],
        "events": "EVENTS",
        # The test checks the first two of the file's rows.
    },
    {
        "case": "blocklistde-imap",
        "module": "intelmq/tests/bots/parsers/blocklistde/test_parser.py",
        "commit": "1fe0497334fe46f38c6c1556a8f0d8dc5d237b53",
        "parser": "blocklistde",
        "input": "conformance/feeds/intelmq/blocklistde/imap.txt",
        "options": ["kind=imap"],
        "events": "EVENTS",
        "template": "TEMPLATE",
        "template_wins": True,
        "all_events": True,
    },
    {
        "case": "bambenek-c2-ips",
        "module": "intelmq/tests/bots/parsers/bambenek/test_parser_c2ipmasterlist.py",
        "commit": "8b31b7dc067ad4a141bf0f30c01c5a5c395f663a",
        "parser": "bambenek-c2-ips",
        "input": "conformance/feeds/intelmq/bambenek/c2-ipmasterlist.txt",
        "options": [],
        "events": "EVENTS",
        # The test checks the file's first row.
    },
    {
        "case": "zoneh-defacement_accepted",
        "module": "intelmq/tests/bots/parsers/zoneh/test_zoneh.py",
        "commit": "176f2164dafa5ed46f7a8619510460883b86eb62",
        "parser": "zoneh",
        "input": "conformance/feeds/intelmq/zoneh/defacement_accepted.csv",
        # IntelMQ's event takes feed.name from its report; ermes from the option.
        "options": ["feed_name=ZoneH Defacements"],
        "events": ["ACCEPTED_EVENT00", "ACCEPTED_EVENT01"],
        "all_events": True,
    },
    {
        "case": "zoneh-defacement_pending",
        "module": "intelmq/tests/bots/parsers/zoneh/test_zoneh.py",
        "commit": "176f2164dafa5ed46f7a8619510460883b86eb62",
        "parser": "zoneh",
        "input": "conformance/feeds/intelmq/zoneh/defacement_pending.csv",
        "options": ["feed_name=ZoneH Defacements"],
        "events": ["PENDING_EVENT00"],
    },
    {
        "case": "bambenek-c2-domains",
        "module": "intelmq/tests/bots/parsers/bambenek/test_parser_c2dommasterlist.py",
        "commit": "18b5dc9ca9236f9a4c9bb057ef738784bb56d65d",
        "parser": "bambenek-c2-domains",
        "input": "conformance/feeds/intelmq/bambenek/c2-dommasterlist.txt",
        "options": [],
        "events": "EVENTS",
        # The test checks the file's first row.
    },
    {
        "case": "dataplane-sipinvitation",
        "module": "intelmq/tests/bots/parsers/dataplane/test_parser.py",
        "commit": "0e1a16e58075e31a94714476f53d517da70cd08d",
        "parser": "dataplane",
        "input": "conformance/feeds/intelmq/dataplane/sipinvitation.txt",
        # IntelMQ's event takes feed.url from its report (the collector's URL).
        "options": ["feed_url=http://dataplane.org/sipinvitation.txt"],
        "events": ["SIP_INVITE_EVENT"],
    },
    {
        "case": "dataplane-sipquery",
        "module": "intelmq/tests/bots/parsers/dataplane/test_parser.py",
        "commit": "0e1a16e58075e31a94714476f53d517da70cd08d",
        "parser": "dataplane",
        "input": "conformance/feeds/intelmq/dataplane/sipquery.txt",
        # IntelMQ's event takes feed.url from its report (the collector's URL).
        "options": ["feed_url=http://dataplane.org/sipquery.txt"],
        "events": ["SIP_QUERY_EVENT"],
    },
    {
        "case": "dataplane-sipregistration",
        "module": "intelmq/tests/bots/parsers/dataplane/test_parser.py",
        "commit": "0e1a16e58075e31a94714476f53d517da70cd08d",
        "parser": "dataplane",
        "input": "conformance/feeds/intelmq/dataplane/sipregistration.txt",
        # IntelMQ's event takes feed.url from its report (the collector's URL).
        "options": ["feed_url=http://dataplane.org/sipregistration.txt"],
        "events": ["SIP_REGISTER_EVENT"],
    },
    {
        "case": "dataplane-sshclient",
        "module": "intelmq/tests/bots/parsers/dataplane/test_parser.py",
        "commit": "0e1a16e58075e31a94714476f53d517da70cd08d",
        "parser": "dataplane",
        "input": "conformance/feeds/intelmq/dataplane/sshclient.txt",
        # IntelMQ's event takes feed.url from its report (the collector's URL).
        "options": ["feed_url=http://dataplane.org/sshclient.txt"],
        "events": "SSH_CLIENT_EVENT",
    },
    {
        "case": "dataplane-sshpwauth",
        "module": "intelmq/tests/bots/parsers/dataplane/test_parser.py",
        "commit": "0e1a16e58075e31a94714476f53d517da70cd08d",
        "parser": "dataplane",
        "input": "conformance/feeds/intelmq/dataplane/sshpwauth.txt",
        # IntelMQ's event takes feed.url from its report (the collector's URL).
        "options": ["feed_url=http://dataplane.org/sshpwauth.txt"],
        "events": "SSH_AUTH_EVENT",
    },
    {
        "case": "dshield-asn",
        "module": "intelmq/tests/bots/parsers/dshield/test_parser_asn.py",
        "commit": "2258df7cebf18c6d279cd207392155a45747a405",
        "parser": "dshield-asn",
        "input": "conformance/feeds/intelmq/dshield/asdetailsascii.html",
        "options": ["feed_url=https://dshield.org/asdetailsascii.html?as=1"],
        "events": "EVENTS",
        # The test checks the file's first two rows.
    },
    {
        "case": "bambenek-dga",
        "module": "intelmq/tests/bots/parsers/bambenek/test_parser_dgafeed.py",
        "commit": "7189ce52cfe2e67ae77c55495d9b0ab6b2e74237",
        "parser": "bambenek-dga",
        "input": "conformance/feeds/intelmq/bambenek/dga-feed.txt",
        "options": [],
        "events": "EVENTS",
        # The test checks the file's first row.
    },
    {
        "case": "generic-json-data",
        "module": "intelmq/tests/bots/parsers/json/test_parser.py",
        "commit": "17a246dab57b02a757c69debd6a5b07df2b40f33",
        "parser": "generic-json",
        "input": "conformance/feeds/intelmq/json/data.json",
        # IntelMQ's event takes feed.name from its report.
        "options": ["feed_name=Test feed"],
        "events": "MULTILINE_EVENTS",
        "all_events": True,
    },
    {
        "case": "generic-csv-sample_report",
        "module": "intelmq/tests/bots/parsers/generic/test_parser_csv.py",
        "commit": "2276ba67fbd5c153b1b301d8dbc9dac7d6f34c46",
        "parser": "generic-csv",
        "input": "conformance/feeds/intelmq/generic/sample_report.csv",
        # The bot's parameters of the test; feed name and URL come from its report.
        "options": ["columns=time.source|__IGNORE__|event_description.text|__IGNORE__|"
                    "__IGNORE__|source.url|source.ip|source.fqdn|__IGNORE__",
                    "delimiter=\t", "type=malware", "default_url_protocol=http://",
                    "feed_name=Sample CSV Feed",
                    "feed_url=http://www.samplecsvthreatfeed.com/list"],
        "events": ["EXAMPLE_EVENT"],
    },
    {
        "case": "generic-csv-compose_fields",
        "module": "intelmq/tests/bots/parsers/generic/test_parser_csv.py",
        "commit": "2276ba67fbd5c153b1b301d8dbc9dac7d6f34c46",
        "parser": "generic-csv",
        "input": "conformance/feeds/intelmq/generic/compose_fields.csv",
        "options": ["columns=source.fqdn|source.urlpath", "compose.source.url=http://{0}{1}",
                    "type=malware", "feed_name=Sample CSV Feed"],
        "events": ["COMPOSE_EVENT"],
        "all_events": True,
    },
    {
        "case": "openphish-commercial",
        "module": "intelmq/tests/bots/parsers/openphish/test_parser_commercial.py",
        "commit": "23f53b545ebf02ce417154932a2f27ad161d7fdf",
        "parser": "openphish-commercial",
        # IntelMQ's sample, not in ../shared: kept under tests/data/feeds (see SOURCE there).
        "input": "local:openphish-commercial/feed_commercial.txt",
        "options": [],
        "events": ["OUTPUT1", "OUTPUT2"],
        "all_events": True,
    },
    {
        "case": "certeu-csv",
        "module": "intelmq/tests/bots/parsers/cert_eu/test_parser_csv.py",
        "commit": "8ab414fe8687d11fc146e8d53bb7e6b7e9c5df6a",
        "parser": "certeu-csv",
        "input": "conformance/feeds/intelmq/cert_eu/example.csv",
        # The test's report says feed.accuracy 50; feed name and URL are ermes's defaults.
        "options": ["accuracy=50"],
        "events": ["EXAMPLE_EVENT1", "EXAMPLE_EVENT2"],
        "all_events": True,
    },
    {
        "case": "generic-json-data2",
        "module": "intelmq/tests/bots/parsers/json/test_parser.py",
        "commit": "17a246dab57b02a757c69debd6a5b07df2b40f33",
        "parser": "generic-json",
        "input": "conformance/feeds/intelmq/json/data2.json",
        # IntelMQ's event takes feed.name from its report. The test builds its event as
        # MULTILINE_EVENTS[1].copy() with another raw.
        "options": ["feed_name=Test feed"],
        "events": ["NO_DEFAULT_EVENT"],
        "all_events": True,
    },
    {
        "case": "misp-event",
        "module": "intelmq/tests/bots/parsers/misp/test_parser.py",
        "commit": "0bba30f99d22b4b65cd0d5f387c97d5d2149744b",
        "parser": "misp-event",
        "input": "conformance/feeds/intelmq/misp/misp_event.json",
        # The test's report: feed.url (also the MISP's address), feed.name and feed.accuracy.
        "options": ["misp_url=http://192.168.56.102/", "feed_url=http://192.168.56.102/",
                    "feed_name=misp_test", "accuracy=100"],
        "events": ["EXAMPLE_EVENT"],
        # The test checks the first event.
    },
] + [
    # Shadowserver: IntelMQ's test module per report type, all reading testdata/<type>.csv (the
    # inputs in ../shared/conformance/feeds/shadowserver are IntelMQ 3.2.1's testdata). The
    # index's version of a module is sometimes older than that data: such a case says which
    # events it covers, and report types whose module predates the data entirely are left out
    # (test_feeds.c lists them).
    shadowserver_case("scan_adb", "1c2afa1d79045043aab2481721942fc286a451d0", "Accessible ADB"),
    shadowserver_case("scan_afp", "1c56722d2142010859cabb575a71a62f4711e79d", "Accessible AFP"),
    shadowserver_case("scan_ftp", "1c2afa1d79045043aab2481721942fc286a451d0", "Accessible FTP"),
    shadowserver_case("blocklist", "362305165e27e80aa635c66075b6f2b69dc13504",
                      "Block Listed IP Addresses"),
    # The test checks the input's first two rows; the third (magecart) came later.
    shadowserver_case("compromised_website", "348f0d671158a7dd215d4edc331a5c45403e1276",
                      "ShadowServer Compromised Website", all_events=False),
    # This version of the test has the input's first row; rows 2-3 were replaced later.
    shadowserver_case("event4_sinkhole", "0b61842602767aa198b284a662682c80562a4fec",
                      "ShadowServer Sinkhole", positions=[0]),
    shadowserver_case("event4_ddos_participant", "b92543c2c3ecff37e305e7b379d67f3edc256845",
                      "DDoS Participant"),
    shadowserver_case("scan_rsync", None, "Accessible Rsync", index_id="8002123576"),
    shadowserver_case("scan_mssql", None, "Open MSSQL", index_id="8173240117"),
    shadowserver_case("scan_ubiquiti", None, "Open Ubiquiti", index_id="7891479147"),
    shadowserver_case("scan_portmapper", None, "Open Portmapper", index_id="7943160177"),
    shadowserver_case("scan_sip", None, "Accessible-SIP", index_id="16957007440"),
    shadowserver_case("scan_tftp", None, "Open TFTP", index_id="8309807983"),
    shadowserver_case("scan_xdmcp", None, "ShadowServer XDMCP", index_id="8084472215"),
    shadowserver_case("scan_netbios", None, "Netbios", index_id="7989358390"),
    shadowserver_case("scan_rdpeudp", None, "Accessible MS RDPEUDP", index_id="7883687139"),
    shadowserver_case("scan_dvr_dhcpdiscover", None, "Accessible DVR DHCPDiscover",
                      index_id="8328431873"),
    shadowserver_case("scan_ssdp", None, "Open SSDP", index_id="8379581129"),
    shadowserver_case("scan_coap", None, "Accessible-CoAP", index_id="8161680438"),
    shadowserver_case("scan_ws_discovery", None, "Accessible-WS-Discovery-Service",
                      index_id="8716145824"),
    shadowserver_case("scan_ard", None, "Accessible ARD", index_id="8792775050"),
    shadowserver_case("scan_docker", "b92543c2c3ecff37e305e7b379d67f3edc256845",
                      "Accessible Docker Service"),
    shadowserver_case("scan_ddos_middlebox", "462d0d23ee1a2d0f81da94e4a8e3d53033e74788",
                      "DDoS Middlebox"),
    shadowserver_case("event4_honeypot_ddos", "8c7255486409d3024474937507a20fff30587f77",
                      "Honeypot DDoS Events"),
    shadowserver_case("scan_http_proxy", "b92543c2c3ecff37e305e7b379d67f3edc256845",
                      "Open HTTP Proxy"),
    shadowserver_case("malware_url", "462d0d23ee1a2d0f81da94e4a8e3d53033e74788", "Malware URL"),
    shadowserver_case("sandbox_conn", "c57eed94e67456d713488bbc951163c3ae311195",
                      "Sandbox Connections"),
    shadowserver_case("sandbox_dns", "c57eed94e67456d713488bbc951163c3ae311195", "Sandbox DNS"),
    # The test checks the input's first five rows of six.
    shadowserver_case("event4_ip_spoofer", "7011740d9b4dbec28107060f288173a1212a1b9d", "CAIDA",
                      all_events=False),
    shadowserver_case("scan_isakmp", "1c2afa1d79045043aab2481721942fc286a451d0",
                      "Vulnerable ISAKMP"),
    shadowserver_case("scan_kubernetes", "e7427bdd711ff36474b4cb385f03bab137869e2a",
                      "Accessible Kubernetes API Server"),
    shadowserver_case("scan_couchdb", "081f6d466d693c03277001e1901ee66a4ce0bbcf",
                      "Accessible CouchDB Server"),
    shadowserver_case("event4_sinkhole_http", "7011740d9b4dbec28107060f288173a1212a1b9d",
                      "HTTP Sinkhole IPv4"),
    shadowserver_case("scan_ics", "6382c8c4349f6fb1007a21a7068fd590ac830b5b", "Acessible ICS"),
    # IntelMQ names these two modules without the event4_ prefix of their input. The tests
    # check the input's first two rows of five, and the first of six.
    dict(shadowserver_case("event4_honeypot_ddos_amp", "7011740d9b4dbec28107060f288173a1212a1b9d",
                           "Amplification DDoS Victim", all_events=False),
         module="intelmq/tests/bots/parsers/shadowserver/test_honeypot_ddos_amp.py"),
    dict(shadowserver_case("event4_honeypot_brute_force",
                           "7011740d9b4dbec28107060f288173a1212a1b9d", "Drone Brute Force",
                           all_events=False),
         module="intelmq/tests/bots/parsers/shadowserver/test_honeypot_brute_force.py"),
    # The test checks the input's first five rows of seven.
    shadowserver_case("scan_exchange", "5f545ee1cf2a0c17715c36fa1d5b64ef86422761",
                      "Shadowserver CVE-2021-26855", all_events=False),
    shadowserver_case("event4_microsoft_sinkhole_http", "6061909010cb140aa2746978ee6b5bdd0699cfde",
                      "HTTP Microsoft Sinkhole IPv4"),
    shadowserver_case("scan_http", "1c2afa1d79045043aab2481721942fc286a451d0", "Accessible HTTP"),
    # The test checks the input's first two rows of 95.
    shadowserver_case("scan_ipmi", "5e23101c1135c401ece2ebdcc5f8881130b71d72", "Open IPMI",
                      all_events=False),
    shadowserver_case("scan_smtp_vulnerable", "3e815c98ce453b65045f71f72635624fb5c667c9",
                      "Vulnerable SMTP"),
    shadowserver_case("scan_rdp", "8a1de888a25aff3a01f906a8963312cb8c77835f", "Accessible RDP"),
    # The test checks the input's first two rows of ten.
    shadowserver_case("scan_mongodb", "1c2afa1d79045043aab2481721942fc286a451d0", "Open MongoDB",
                      all_events=False),
    # The test checks the input's first two rows of 45.
    shadowserver_case("scan_ssl_freak", "1c2afa1d79045043aab2481721942fc286a451d0",
                      "SSL FREAK Vulnerable Servers", all_events=False),
    shadowserver_case("scan_ldap_udp", "8c7255486409d3024474937507a20fff30587f77", "Open LDAP"),
    shadowserver_case("scan_quic", "c57eed94e67456d713488bbc951163c3ae311195",
                      "Accessible QUIC Report"),
    shadowserver_case("scan_synfulknock", "c57eed94e67456d713488bbc951163c3ae311195",
                      "SYNful Knock"),
    shadowserver_case("scan_socks", "8c7255486409d3024474937507a20fff30587f77", "Open SOCKS"),
    shadowserver_case("scan_stun", "8c7255486409d3024474937507a20fff30587f77",
                      "Accessible-Session-Traversal-Utilities-for-NAT"),
    shadowserver_case("scan_ssl", "e6a39438a4fd17d54e1f6d34baa0c0889cc723b1", "Accessible SSL"),
    shadowserver_case("event4_honeypot_http_scan", "9f07fcb9ee944388dd9f7db905f8dfe38467a551",
                      "Honeypot-HTTP-Scan"),
    shadowserver_case("event4_sinkhole_http_referer", "5a5a2a949f6df2992f006c7659672f78443e7cf4",
                      "Sinkhole-Events-HTTP-Referer IPv4"),
]


class Unevaluable(Exception):
    pass


def evaluate(node, env):
    """The value of a literal expression, or Unevaluable."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [evaluate(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        out, skipped = {}, []
        for k, v in zip(node.keys, node.values):
            if k is None:
                raise Unevaluable("** in a dict")
            key = evaluate(k, env)
            try:
                out[key] = evaluate(v, env)
            except Unevaluable:
                skipped.append(key)
        if skipped:
            out["#not-evaluated"] = skipped
        return out
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise Unevaluable("unknown name " + node.id)
        return env[node.id]
    if isinstance(node, ast.Subscript):
        value, key = evaluate(node.value, env), evaluate(node.slice, env)
        try:
            return value[key]
        except (KeyError, IndexError, TypeError):
            raise Unevaluable("subscript")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "copy" and not node.args and not node.keywords:
        # NAME.copy() of a dict: a copy, so later item assignments leave NAME as it was.
        return copy.deepcopy(evaluate(node.func.value, env))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return evaluate(node.left, env) + evaluate(node.right, env)
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        gen = node.generators[0]
        if not isinstance(gen.target, ast.Name) or gen.ifs:
            raise Unevaluable("comprehension form")
        out = []
        for item in evaluate(gen.iter, env):
            out.append(evaluate(node.elt, dict(env, **{gen.target.id: item})))
        return out
    raise Unevaluable(type(node).__name__)


def module_literals(path):
    """Every module-level NAME = <literal> of the file."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    env = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
            continue
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            try:
                env[target.id] = evaluate(stmt.value, env)
            except Unevaluable:
                pass
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                and isinstance(env.get(target.value.id), dict):
            # NAME[KEY] = VALUE on a dict read before: applied; a value made by a call is
            # recorded as not evaluated, as inside a dict literal.
            event = env[target.value.id]
            try:
                key = evaluate(target.slice, env)
            except Unevaluable:
                continue
            try:
                event[key] = evaluate(stmt.value, env)
            except Unevaluable:
                event.pop(key, None)
                event["#not-evaluated"] = sorted(set(event.get("#not-evaluated", []) + [key]))
    return env


def flatten_extra(event):
    """IntelMQ's older tests give extra as one JSON text; its events carry extra.KEY fields."""
    if isinstance(event.get("extra"), str):
        for key, value in json.loads(event.pop("extra")).items():
            event["extra." + key] = value
    return event


def expected_events(case, env):
    names = case["events"] if isinstance(case["events"], list) else [case["events"]]
    for name in names:
        if name not in env:
            raise SystemExit("%s: no literal %s" % (case["module"], name))
    events = [env[n] for n in names] if isinstance(case["events"], list) else env[names[0]]
    template = env.get(case.get("template"), {}) if case.get("template") else {}
    out = []
    for position, event in enumerate(events):
        event = flatten_extra(dict(event))
        if "positions" in case and position not in case["positions"]:
            continue
        if case.get("template_wins"):
            merged = dict(event)
            merged.update(template)
        else:
            merged = dict(template)
            merged.update(event)
        skipped = sorted(set(event.pop("#not-evaluated", []) + template.get("#not-evaluated", [])))
        merged.pop("#not-evaluated", None)
        # raw is always made by a call in these tests (base64 of the input line): never here.
        merged.pop("raw", None)
        merged = flatten_extra(merged)
        item = {"position": position, "event": dict(sorted(merged.items()))}
        if skipped:
            item["not_evaluated"] = skipped
        out.append(item)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--intelmq", required=True, help="a checkout of certtools/intelmq")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "intelmq-expected"))
    ap.add_argument("--case", action="append", help="write only this case (repeatable)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for case in CASES:
        if args.case and case["case"] not in args.case:
            continue
        env = module_literals(os.path.join(args.intelmq, case["module"]))
        doc = {
            "written_by": "tests/data/feeds/intelmq-expected.py from IntelMQ's test, not by ermes",
            "intelmq_test": {"repository": "certtools/intelmq", "path": case["module"],
                             "commit": case["commit"], "index_id": case.get("index_id"),
                             "events": case["events"],
                             "template": case.get("template")},
            "parser": case["parser"],
            "input": case["input"],
            "options": case["options"],
            "all_events": bool(case.get("all_events")),
            "expected": expected_events(case, env),
        }
        path = os.path.join(args.out, case["case"] + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print("%s: %d events" % (path, len(doc["expected"])), file=sys.stderr)


if __name__ == "__main__":
    main()
