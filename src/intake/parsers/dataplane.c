/* DataPlane.org reports: "ASN | ASname | ipaddr | [firstseen |] lastseen | category", one
 * parser for all thirteen kinds; the category column names the kind. The table below is
 * IntelMQ's (intelmq/bots/parsers/dataplane/parser.py, 3.x), as are the feed names its tests
 * give each kind. */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

typedef struct dataplane_kind {
    const char *category;
    const char *feed_name;
    const char *type;
    const char *application;
    const char *description;
} dataplane_kind_t;

#define SUSPICIOUS                                                                                 \
    "The source report lists hosts that are suspicious of more than just port scanning. "

static const dataplane_kind_t kinds[] = {
    {"dnsrd", "DNS Recursion Desired", "scanner", "dns",
     "Address has been seen performing a DNS recursion desired query to a remote host. " SUSPICIOUS
     "The host may be DNS server cataloging or searching for hosts to use for DNS-based DDoS "
     "amplification."},
    {"dnsrdany", "DNS Recursion Desired IN ANY", "scanner", "dns",
     "Address has been seen performing a DNS recursion desired IN ANY query to a remote "
     "host. " SUSPICIOUS "The host may be DNS server cataloging or searching for hosts to use for "
     "DNS-based DDoS amplification."},
    {"dnsversion", "DNS CH TXT version.bind", "scanner", "dns",
     "Address has been seen initiating a DNS CH TXT version.bind operation to a remote "
     "host. " SUSPICIOUS
     "The host may be DNS server cataloging or searching for vulnerable DNS servers."},
    {"proto41", "Protocol 41", "proxy", "6to4",
     "Address has been detected to offer open IPv6 over IPv4 tunneling. This could allow for the "
     "host to be used a public proxy against IPv6 hosts."},
    {"sipquery", "SIP Query", "brute-force", "sip",
     "Address has been seen initiating a SIP OPTIONS query to a remote host. " SUSPICIOUS
     "The host may be SIP server cataloging or conducting various forms of telephony abuse."},
    {"sipinvitation", "SIP Invitation", "brute-force", "sip",
     "Address has been seen initiating a SIP INVITE operation to a remote host. " SUSPICIOUS
     "The host may be SIP client cataloging or conducting various forms of telephony abuse."},
    {"sipregistration", "SIP Registration", "brute-force", "sip",
     "Address has been seen initiating a SIP REGISTER operation to a remote host. " SUSPICIOUS
     "The host may be SIP client cataloging or conducting various forms of telephony abuse."},
    {"smtpdata", "SMTP DATA", "scanner", "smtp",
     "Address has been seen initiating a SMTP DATA operation to a remote host. " SUSPICIOUS
     "The host may be SMTP server cataloging or conducting various forms of email abuse."},
    {"smtpgreet", "SMTP HELO/EHLO", "scanner", "smtp",
     "Address has been seen initiating a SMTP HELO/EHLO operation to a remote host. " SUSPICIOUS
     "The host may be SMTP server cataloging or conducting various forms of email abuse."},
    {"sshclient", "SSH Client", "scanner", "ssh",
     "Address has been seen initiating an SSH connection to a remote host. " SUSPICIOUS
     "The host may be SSH server cataloging or conducting authentication attack attempts."},
    {"sshpwauth", "SSH Password Authentication", "brute-force", "ssh",
     "Address has been seen attempting to remotely login to a host using SSH password "
     "authentication. The source report lists hosts that are highly suspicious and are likely "
     "conducting malicious SSH password authentication attacks."},
    {"telnetlogin", "Telnet Login", "brute-force", "telnet",
     "Address has been seen initiating a telnet connection to a remote host. " SUSPICIOUS
     "The host may be telnet server cataloging or conducting authentication attack attempts."},
    {"vncrfb", "VNC/RFB Login", "scanner", "vnc",
     "Address has been seen initiating a VNC remote buffer session to a remote host. " SUSPICIOUS
     "The host may be VNC/RFB server cataloging or conducting authentication attack attempts."},
};

#define MAX_FIELDS 32

typedef struct dataplane {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    int feed_name_set, feed_url_set; /* the user's feed_name=/feed_url= win over the kind's */
    char url[96];
} dataplane_t;

static int dataplane_open(const ermes__report_info_t *info, const char *data, size_t len,
                          void **state, ermes_diag_t *d)
{
    dataplane_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, NULL, NULL, d))) {
        ermes__free(s);
        return rc;
    }
    s->feed_name_set = s->feed.name != NULL;
    s->feed_url_set = s->feed.url != NULL;
    *state = s;
    return 0;
}

static void dataplane_close(void *state)
{
    ermes__free(state);
}

static int dataplane_row(dataplane_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[MAX_FIELDS], cat, name;
    const dataplane_kind_t *k = NULL;
    size_t n = ermes__fp_split(line, '|', f, MAX_FIELDS), need, ip;
    int rc;

    if (n > MAX_FIELDS)
        return ermes__fp_reject(d, "Incorrect format: %zu fields", n);
    cat = ermes__fp_trim(f[n - 1]);
    need = ermes__fp_eq(cat, "proto41") ? 6 : 5;
    /* An AS name may itself contain '|' ("TEST-AS company | With | pipe"): the other columns
     * are read from both ends and the AS name is what lies between. IntelMQ rejects such a
     * line; it is valid data, so we keep it. */
    if (n < need)
        return ermes__fp_reject(d, "Incorrect format: expected %zu '|'-separated fields, found %zu",
                                need, n);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (ermes__fp_eq(cat, kinds[i].category))
            k = &kinds[i];
    if (!k)
        return ermes__fp_reject(d, "Unknown data feed \"%.*s\"", (int)cat.len, cat.p);
    ip = n - need + 2;

    if (!s->feed_name_set)
        s->feed.name = k->feed_name;
    if (!s->feed_url_set) {
        snprintf(s->url, sizeof(s->url), "https://dataplane.org/%s.txt", k->category);
        s->feed.url = s->url;
    }
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, k->type, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, k->application, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, k->description, d)))
        return rc;

    f[0] = ermes__fp_trim(f[0]);
    if (!ermes__fp_eq(f[0], "NA") && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, f[0], d)))
        return rc;
    /* IntelMQ keeps the first word of the AS name ("ONEANDONE-AS Brauerstrasse 48," ->
     * "ONEANDONE-AS"). */
    name = ermes__fp_trim(f[1]);
    {
        size_t w = 0;
        while (w < name.len && name.p[w] != ' ' && name.p[w] != '\t')
            w++;
        name.len = w;
    }
    if (!ermes__fp_eq(name, "NA") && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_AS_NAME, name, d)))
        return rc;
    if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, f[ip], d)))
        return rc;
    if (need == 6) {
        int64_t sec;
        int32_t usec;
        char t[48];
        if ((rc = ermes__fp_parse_time(f[ip + 1], &sec, &usec, "extra.first_seen", d)))
            return rc;
        if ((rc = ermes__fp_extra(ev, "first_seen",
                                  (ermes__fp_str_t){t, ermes__fp_format_time(sec, usec, t)},
                                  ERMES_EXTRA_STRING, d)))
            return rc;
    }
    return ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, f[n - 2], d);
}

static int dataplane_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    dataplane_t *s = state;
    ermes__fp_str_t line;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        int rc;
        if (t.len == 0 || t.p[0] == '#')
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        rc = dataplane_row(s, line, ev, d);
        return rc ? rc : 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_dataplane = {
    "dataplane", "DataPlane.org reports, all kinds (ASN | ASname | ipaddr | ... | category)",
    dataplane_open, dataplane_next, dataplane_close};
