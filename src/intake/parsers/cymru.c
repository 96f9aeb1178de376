/* Team Cymru CAP (CSIRT Assistance Program) reports, both formats:
 *   new ("#generated on ..."):     category|address|asn|timestamp|notes|asninfo
 *   old ("# Data file written at"): report|ip|asn|timestamp|comments|asn_name
 * Mapping as in IntelMQ's cymru parser_cap_program.py and its tests, with today's RSIT types.
 * A line that lists several destination ports ("darknet_port: 23, 2323") becomes one event per
 * port, as in IntelMQ. */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

enum { FORMAT_NEW, FORMAT_OLD };

#define MAX_PORTS 256

typedef struct cymru {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    int format;
    /* A line with several destination ports, while its events are handed out. */
    ermes__fp_str_t pending;
    long pending_line;
    size_t port_index, port_count;
    ermes__fp_str_t ports[MAX_PORTS];
} cymru_t;

typedef struct category {
    const char *name;
    const char *type;
    const char *identifier;
    const char *application;
    const char *malware; /* malware.name, for the categories that name the malware itself */
} category_t;

static const category_t categories[] = {
    {"bot", "infected-system", NULL, NULL, NULL},
    {"bruteforce", "brute-force", NULL, NULL, NULL},
    {"controller", "c2-server", NULL, NULL, NULL},
    {"darknet", "scanner", "darknet", NULL, NULL},
    {"phishing", "phishing", "phishing", NULL, NULL},
    {"proxy", "proxy", "openproxy", NULL, NULL},
    {"honeypot", "scanner", NULL, NULL, NULL},
    {"openresolvers", "vulnerable-system", "dns-open-resolver", "dns", NULL},
    {"openresolver", "vulnerable-system", "dns-open-resolver", "dns", NULL},
    {"scanner", "scanner", "scanner", NULL, NULL},
    {"spam", "spam", "spam", NULL, NULL},
    {"conficker", "infected-system", "conficker", NULL, "conficker"},
};

/* IP protocol numbers the feed uses, by IANA keyword. */
static const struct {
    int number;
    const char *name;
} protocols[] = {
    {1, "icmp"},        {2, "igmp"},   {6, "tcp"},       {11, "nvp-ii"}, {17, "udp"},
    {41, "ipv6"},       {47, "gre"},   {50, "esp"},      {51, "ah"},     {58, "ipv6-icmp"},
    {59, "ipv6-nonxt"}, {132, "sctp"}, {136, "udplite"},
};

static int cymru_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                      ermes_diag_t *d)
{
    cymru_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d))) {
        ermes__free(s);
        return rc;
    }
    s->format = FORMAT_NEW;
    *state = s;
    return 0;
}

static void cymru_close(void *state)
{
    ermes__free(state);
}

static int set_lower(ermes_event_t *ev, ermes_field_t f, ermes__fp_str_t v, ermes_diag_t *d)
{
    char buf[256];
    v = ermes__fp_trim(v);
    if (v.len >= sizeof(buf))
        v.len = sizeof(buf) - 1;
    for (size_t i = 0; i < v.len; i++)
        buf[i] = (char)(v.p[i] >= 'A' && v.p[i] <= 'Z' ? v.p[i] + 32 : v.p[i]);
    return ermes__fp_set(ev, f, (ermes__fp_str_t){buf, v.len}, d);
}

/* The old free-text bot comment: "[srcport N] [mwtype TYPE WORDS] [destaddr|dstaddr IP]
 * [description]". */
static int parse_bot_words(ermes__fp_str_t notes, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t words[64], key = {NULL, 0}, desc = {NULL, 0};
    size_t n = ermes__fp_split(ermes__fp_trim(notes), ' ', words, 64), first = 0, count = 0;
    int rc;

    if (n > 64)
        return ermes__fp_reject(d, "bot comment has too many words");
    for (size_t i = 0; i <= n; i++) {
        int keyword = i == n || ermes__fp_eq(words[i], "srcport") ||
                      ermes__fp_eq(words[i], "mwtype") || ermes__fp_eq(words[i], "destaddr") ||
                      ermes__fp_eq(words[i], "dstaddr");
        if (!keyword) {
            /* After the destination address, the rest is a description ("Some Botnet"). */
            if (key.p && (ermes__fp_eq(key, "destaddr") || ermes__fp_eq(key, "dstaddr")) &&
                count == 1) {
                if (!desc.p)
                    desc = words[i];
                else
                    desc.len = (size_t)(words[i].p + words[i].len - desc.p);
            } else {
                if (!count)
                    first = i;
                count++;
            }
            continue;
        }
        if (key.p && count) {
            ermes__fp_str_t v = {words[first].p,
                                 (size_t)(words[first + count - 1].p +
                                          words[first + count - 1].len - words[first].p)};
            if (ermes__fp_eq(key, "srcport")) {
                int64_t port;
                if (ermes__fp_int(v, &port))
                    return ermes__fp_reject(d, "srcport \"%.*s\" is not a number", (int)v.len, v.p);
                rc = ermes__fp_extra_int(ev, "source_port", port, d);
            } else if (ermes__fp_eq(key, "mwtype")) {
                if (!(rc = set_lower(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, v, d)))
                    rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, v, d);
            } else {
                rc = ermes__fp_set(ev, ERMES_F_DESTINATION_IP, v, d);
            }
            if (rc)
                return rc;
        }
        if (i < n)
            key = words[i];
        count = 0;
    }
    if (desc.p)
        return ermes__fp_set(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, desc, d);
    return 0;
}

/* Destination ports: "23, 2323", "17875,24526 (total_count:19)". */
static int collect_ports(cymru_t *s, ermes__fp_str_t v, ermes_diag_t *d)
{
    long tc = ermes__fp_find(v, "(total_count:");
    ermes__fp_str_t p[MAX_PORTS];
    size_t n;

    if (tc >= 0)
        v.len = (size_t)tc;
    n = ermes__fp_split(v, ',', p, MAX_PORTS);
    if (n + s->port_count > MAX_PORTS)
        return ermes__fp_reject(d, "more than %d destination ports", MAX_PORTS);
    for (size_t i = 0; i < n; i++) {
        p[i] = ermes__fp_trim(p[i]);
        if (p[i].len)
            s->ports[s->port_count++] = p[i];
    }
    return 0;
}

static int comment_pair(cymru_t *s, const category_t *c, ermes__fp_str_t key, ermes__fp_str_t v,
                        ermes__fp_str_t ip, ermes_event_t *ev, ermes_diag_t *d)
{
    int rc = 0;

    if (ermes__fp_eq(key, "family")) {
        if (!(rc = set_lower(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, v, d)))
            rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, v, d);
    } else if (ermes__fp_eq(key, "dest_addr") || ermes__fp_eq(key, "destaddr")) {
        rc = ermes__fp_set(ev, ERMES_F_DESTINATION_IP, v, d);
    } else if (ermes__fp_eq(key, "dest_port") || ermes__fp_eq(key, "ports_scanned") ||
               ermes__fp_eq(key, "honeypot_port") || ermes__fp_eq(key, "darknet_port") ||
               ermes__fp_eq(key, "destination_port_numbers")) {
        rc = collect_ports(s, v, d);
    } else if (ermes__fp_eq(key, "protocol")) {
        int64_t num;
        size_t i;
        if (ermes__fp_int(v, &num))
            return ermes__fp_reject(d, "protocol \"%.*s\" is not a number", (int)v.len, v.p);
        for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
            if (protocols[i].number == num)
                break;
        if (i < sizeof(protocols) / sizeof(protocols[0]))
            rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_TRANSPORT, protocols[i].name, d);
        else if (num >= 143 && num <= 255)
            /* Unassigned, experimental or reserved: the number is kept, not trusted. */
            rc = ermes__fp_extra_int(ev, "protocol.transport", num, d);
        else
            return ermes__fp_reject(d, "unknown protocol %lld", (long long)num);
    } else if (ermes__fp_eq(key, "hostname")) {
        /* Some lines glue the port to the name: "hostname: sub.example.comport: 80". */
        long at = ermes__fp_find(v, "port:");
        ermes__fp_str_t host = v;
        if (at > 0) {
            ermes__fp_str_t port = {v.p + at + 5, v.len - (size_t)at - 5};
            host.len = (size_t)at;
            if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_PORT, port, d)))
                return rc;
        }
        host = ermes__fp_trim(host);
        /* A hostname that is an IP address is no FQDN: the source's own address adds
         * nothing, another one is kept in extra. */
        if (ermes__fp_is_ip(host)) {
            if (!(host.len == ip.len && memcmp(host.p, ip.p, ip.len) == 0))
                rc = ermes__fp_extra(ev, "hostname", host, ERMES_EXTRA_STRING, d);
        } else {
            rc = ermes__fp_set(ev, ERMES_F_SOURCE_FQDN, host, d);
        }
    } else if (ermes__fp_eq(key, "proxy_type")) {
        long dash = ermes__fp_find(v, "-");
        if (dash > 0) {
            ermes__fp_str_t proto = {v.p, (size_t)dash};
            ermes__fp_str_t port = {v.p + dash + 1, v.len - (size_t)dash - 1};
            if (!(rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, proto, d)))
                rc = ermes__fp_set(ev, ERMES_F_SOURCE_PORT, port, d);
        } else {
            rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, v, d);
        }
    } else if (ermes__fp_eq(key, "port") || ermes__fp_eq(key, "srcport")) {
        rc = ermes__fp_set(ev, ERMES_F_SOURCE_PORT, v, d);
    } else if (ermes__fp_eq(key, "username")) {
        rc = ermes__fp_set(ev, ERMES_F_SOURCE_ACCOUNT, v, d);
    } else if (ermes__fp_eq(key, "additional_asns")) {
        /* extra.source.asns: the line's ASN followed by the additional ones. */
        char json[512];
        size_t len, asnlen;
        const char *asn = ermes_event_get(ev, ERMES_F_SOURCE_ASN, &asnlen);
        ermes__fp_str_t a[32];
        size_t n = ermes__fp_split(v, ',', a, 32);
        len = (size_t)snprintf(json, sizeof(json), "[%.*s", asn ? (int)asnlen : 0, asn ? asn : "");
        for (size_t i = 0; i < n && i < 32; i++) {
            int64_t x;
            if (ermes__fp_int(a[i], &x))
                return ermes__fp_reject(d, "additional_asns: \"%.*s\" is not a number",
                                        (int)a[i].len, a[i].p);
            if (len < sizeof(json))
                len += (size_t)snprintf(json + len, sizeof(json) - len, "%s%lld",
                                        len > 1 ? "," : "", (long long)x);
        }
        if (len + 2 > sizeof(json))
            return ermes__fp_reject(d, "additional_asns: too long");
        json[len++] = ']';
        rc = ermes_event_set_extra(ev, "source.asns", 11, json, len, ERMES_EXTRA_JSON, d);
    } else {
        return ermes__fp_reject(d, "unknown key \"%.*s\" in the comment of category %s",
                                (int)key.len, key.p, c->name);
    }
    return rc;
}

static int new_row(cymru_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[7], seg[64], cc = {NULL, 0}, asname;
    const category_t *c = NULL;
    size_t n = ermes__fp_split(line, '|', f, 7), nseg;
    int rc;

    if (n != 6)
        return ermes__fp_reject(d, "expected 6 '|'-separated fields, found %zu", n);
    for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
        if (ermes__fp_eq(f[0], categories[i].name))
            c = &categories[i];
    if (!c)
        return ermes__fp_reject(d, "unknown category \"%.*s\"", (int)f[0].len, f[0].p);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, f[1], d)))
        return rc;
    if (!ermes__fp_eq(ermes__fp_trim(f[2]), "0") &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, f[2], d)))
        return rc;
    if ((rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, f[3], d)))
        return rc;
    /* "Example AS Name, AT": the country comes last. */
    asname = ermes__fp_trim(f[5]);
    for (size_t i = asname.len; i >= 2; i--)
        if (asname.p[i - 2] == ',' && asname.p[i - 1] == ' ') {
            cc.p = asname.p + i;
            cc.len = asname.len - i;
            asname.len = i - 2;
            break;
        }
    if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_AS_NAME, asname, d)) ||
        (cc.p && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, cc, d))))
        return rc;
    if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, c->type, d)) ||
        (c->identifier &&
         (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, c->identifier, d))) ||
        (c->application &&
         (rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, c->application, d))) ||
        (c->malware && (rc = ermes__fp_setc(ev, ERMES_F_MALWARE_NAME, c->malware, d)))) {
        return rc;
    }

    nseg = ermes__fp_split(f[4], ';', seg, 64);
    if (nseg > 64)
        return ermes__fp_reject(d, "too many comments");
    for (size_t i = 0; i < nseg; i++) {
        ermes__fp_str_t t = ermes__fp_trim(seg[i]), key, v;
        long colon;
        if (t.len == 0)
            continue;
        /* bruteforce and phishing put a bare protocol or URL first. */
        if (i == 0 && ermes__fp_eq(f[0], "bruteforce") && ermes__fp_find(t, ":") < 0) {
            if ((rc = ermes__fp_set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, t, d)) ||
                (rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, t, d)))
                return rc;
            continue;
        }
        if (i == 0 && ermes__fp_eq(f[0], "phishing") && ermes__fp_find(t, "://") > 0) {
            if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, t, d)))
                return rc;
            continue;
        }
        colon = ermes__fp_find(t, ":");
        if (colon < 0) {
            if (ermes__fp_eq(f[0], "proxy")) {
                key.p = "proxy_type";
                key.len = 10;
                v = t;
            } else if (ermes__fp_eq(f[0], "bot") || ermes__fp_eq(f[0], "conficker")) {
                /* The old format's words inside the new format. */
                return parse_bot_words(f[4], ev, d);
            } else {
                return ermes__fp_reject(d, "unable to parse comment \"%.*s\" of category %s",
                                        (int)t.len, t.p, c->name);
            }
        } else {
            key = ermes__fp_trim((ermes__fp_str_t){t.p, (size_t)colon});
            v = ermes__fp_trim((ermes__fp_str_t){t.p + colon + 1, t.len - (size_t)colon - 1});
        }
        if ((rc = comment_pair(s, c, key, v, ermes__fp_trim(f[1]), ev, d)))
            return rc;
    }
    return 0;
}

static const char *const old_worms[] = {"blaster", "dameware", "dipnet", "mydoom",
                                        "nachi",   "phatbot",  "sinit",  "slammer"};

static int old_row(cymru_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[7], type, comments;
    size_t n = ermes__fp_split(line, '|', f, 7);
    int rc;

    if (n != 6)
        return ermes__fp_reject(d, "expected 6 '|'-separated fields, found %zu", n);
    type = ermes__fp_trim(f[0]);
    comments = ermes__fp_trim(f[4]);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, f[1], d)))
        return rc;
    if (!ermes__fp_eq(ermes__fp_trim(f[2]), "0") &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, f[2], d)))
        return rc;
    if ((rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, f[3], d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_AS_NAME, f[5], d)))
        return rc;

    for (size_t i = 0; i < sizeof(old_worms) / sizeof(old_worms[0]); i++)
        if (ermes__fp_eq(type, old_worms[i])) {
            if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d)) ||
                (rc = ermes__fp_set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, type, d)))
                return rc;
            return ermes__fp_set(ev, ERMES_F_MALWARE_NAME, type, d);
        }
    if (ermes__fp_eq(type, "bots")) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d)))
            return rc;
        return parse_bot_words(comments, ev, d);
    }
    if (ermes__fp_eq(type, "bruteforce")) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "brute-force", d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, comments, d)))
            return rc;
        return ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, comments, d);
    }
    if (ermes__fp_eq(type, "openresolvers")) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "vulnerable-system", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "dns-open-resolver", d)))
            return rc;
        return ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, "dns", d);
    }
    if (ermes__fp_eq(type, "phishing")) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "phishing", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "phishing", d)))
            return rc;
        return ermes__fp_set(ev, ERMES_F_SOURCE_URL, comments, d);
    }
    if (ermes__fp_eq(type, "proxy")) {
        /* Not a port, but e.g. "HTTP CONNECT (8080)". */
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "proxy", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "openproxy", d)))
            return rc;
        return ermes__fp_extra(ev, "request", comments, ERMES_EXTRA_STRING, d);
    }
    if (ermes__fp_eq(type, "spam")) {
        if (comments.len)
            return ermes__fp_reject(d, "spam: unknown comment \"%.*s\"", (int)comments.len,
                                    comments.p);
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "spam", d)))
            return rc;
        return ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "spam", d);
    }
    if (ermes__fp_eq(type, "scanners")) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "scanner", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "scanner", d)))
            return rc;
        return ermes__fp_set(ev, ERMES_F_SOURCE_PORT, comments, d);
    }
    if (ermes__fp_eq(type, "malwareurl")) {
        ermes__fp_str_t w[2];
        ermes__fp_split(comments, ' ', w, 2);
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "malware-distribution", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "malwareurl", d)))
            return rc;
        return ermes__fp_set(ev, ERMES_F_SOURCE_URL, w[0], d);
    }
    return ermes__fp_reject(d, "unknown report \"%.*s\"", (int)type.len, type.p);
}

/* Builds the event of line with the port_index-th destination port. */
static int build(cymru_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    int rc;

    s->port_count = 0;
    rc = s->format == FORMAT_OLD ? old_row(s, line, ev, d) : new_row(s, line, ev, d);
    if (rc == 0 && s->port_count)
        rc = ermes__fp_set(ev, ERMES_F_DESTINATION_PORT, s->ports[s->port_index], d);
    return rc;
}

static int cymru_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    cymru_t *s = state;
    ermes__fp_str_t line;
    int rc;

    if (s->pending.p) {
        ermes__fp_row(row, d, s->pending_line, s->pending);
        rc = build(s, s->pending, ev, d);
        if (++s->port_index >= s->port_count || rc)
            s->pending.p = NULL;
        return rc ? rc : 1;
    }
    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        if (t.len == 0)
            continue;
        if (t.p[0] == '#') {
            if (ermes__fp_find(t, "generated on") >= 0)
                s->format = FORMAT_NEW;
            else if (ermes__fp_find(t, "Data file written at") >= 0)
                s->format = FORMAT_OLD;
            continue;
        }
        ermes__fp_row(row, d, s->lines.line, line);
        s->port_index = 0;
        rc = build(s, t, ev, d);
        if (rc == 0 && s->port_count > 1) {
            s->pending = t;
            s->pending_line = s->lines.line;
            s->port_index = 1;
        }
        return rc ? rc : 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_cymru_cap = {
    "cymru-cap", "Team Cymru CAP reports (certname and infected formats)", cymru_open, cymru_next,
    cymru_close};
