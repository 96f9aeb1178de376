/* Spamhaus: the DROP lists (DROP, EDROP, DROPv6: "network ; SBL id"), ASN-DROP
 * ("AS260 ; AE | name") and the CERT portal's bot feed (CSV without quoting). Field mapping and
 * constants follow IntelMQ's spamhaus parsers (parser_drop.py, parser_cert.py) and their tests. */
#include "intake/parsers/feedparse.h"

#include <string.h>

#include "core/alloc.h"

enum { KIND_DROP, KIND_ASNDROP, KIND_CERT };

typedef struct spamhaus {
    int kind;
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    char modified[48]; /* time.source of the DROP lists: their Last-Modified header */
    size_t modified_len;
    char feed_url[512]; /* the CERT portal URL without its API key */
} spamhaus_t;

static int open_kind(int kind, const ermes__report_info_t *info, const char *data, size_t len,
                     void **state, ermes_diag_t *d)
{
    static const char *const names[] = {"Spamhaus drop feed", "Spamhaus ASN feed", "Spamhaus Cert"};
    static const char *const urls[] = {"https://www.spamhaus.org/drop/drop.txt",
                                       "https://www.spamhaus.org/drop/asndrop.txt", NULL};
    spamhaus_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    s->kind = kind;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, names[kind], urls[kind], d))) {
        ermes__free(s);
        return rc;
    }
    /* The portal URL carries the API key ("...&key=SECRET"); IntelMQ cuts it off, and so do
     * we, so that no event leaks it. */
    if (kind == KIND_CERT && s->feed.url) {
        const char *k = strstr(s->feed.url, "key=");
        size_t n = k ? (size_t)(k - s->feed.url) : strlen(s->feed.url);
        if (n >= sizeof(s->feed_url))
            n = sizeof(s->feed_url) - 1;
        memcpy(s->feed_url, s->feed.url, n);
        s->feed_url[n] = '\0';
        s->feed.url = s->feed_url;
    }
    *state = s;
    return 0;
}

static int drop_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                     ermes_diag_t *d)
{
    return open_kind(KIND_DROP, info, data, len, state, d);
}

static int asndrop_open(const ermes__report_info_t *info, const char *data, size_t len,
                        void **state, ermes_diag_t *d)
{
    return open_kind(KIND_ASNDROP, info, data, len, state, d);
}

static int cert_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                     ermes_diag_t *d)
{
    return open_kind(KIND_CERT, info, data, len, state, d);
}

static void spamhaus_close(void *state)
{
    ermes__free(state);
}

/* A comment line of the DROP lists; remembers "; Last-Modified: <HTTP date>". */
static void drop_header(spamhaus_t *s, ermes__fp_str_t line)
{
    long at = ermes__fp_find(line, "Last-Modified:");
    ermes__fp_str_t v;
    int64_t sec;
    int32_t usec;

    if (at < 0)
        return;
    v.p = line.p + at + 14;
    v.len = line.len - (size_t)at - 14;
    if (ermes__fp_parse_time(v, &sec, &usec, NULL, NULL) == 0)
        s->modified_len = ermes__fp_format_time(sec, usec, s->modified);
}

static int drop_row(spamhaus_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t v[3];
    int rc;

    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    if (s->modified_len &&
        (rc = ermes_event_set(ev, ERMES_F_TIME_SOURCE, s->modified, s->modified_len, d)))
        return rc;
    if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "spam", d)))
        return rc;
    if (s->kind == KIND_DROP) {
        /* "1.4.0.0/17 ; SBL256893" */
        if (ermes__fp_split(line, ';', v, 2) < 2)
            return ermes__fp_reject(d, "expected \"network ; SBL id\"");
        if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_NETWORK, v[0], d)))
            return rc;
        return ermes__fp_extra(ev, "blocklist", v[1], ERMES_EXTRA_STRING, d);
    }
    /* "AS260 ; AE | XCONNECT24 - Xconnect24 Inc., US": IntelMQ reads '|' like ';'. */
    {
        ermes__fp_str_t asn, cc, name;
        long semi = ermes__fp_find(line, ";");
        if (semi < 0)
            return ermes__fp_reject(d, "expected \"ASN ; country | name\"");
        asn.p = line.p;
        asn.len = (size_t)semi;
        cc.p = line.p + semi + 1;
        cc.len = line.len - (size_t)semi - 1;
        name.p = NULL;
        name.len = 0;
        {
            long bar = ermes__fp_find(cc, "|");
            if (bar < 0)
                bar = ermes__fp_find(cc, ";");
            if (bar < 0)
                return ermes__fp_reject(d, "expected \"ASN ; country | name\"");
            name.p = cc.p + bar + 1;
            name.len = cc.len - (size_t)bar - 1;
            cc.len = (size_t)bar;
        }
        if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, asn, d)))
            return rc;
        if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_AS_NAME, name, d)))
            return rc;
        return ermes__fp_set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, cc, d);
    }
}

/* ---- Spamhaus CERT ---------------------------------------------------------------------- */

/* What a bot name means: IntelMQ's table, with today's RSIT type names. */
typedef struct cert_bot {
    const char *bot;
    const char *type;
    const char *identifier; /* NULL: none; "=" the bot name (minus an "iot" prefix) */
    const char *application;
    const char *description;
} cert_bot_t;

static const cert_bot_t cert_bots[] = {
    {"openrelay", "vulnerable-system", "openrelay", "smtp", NULL},
    {"sshauth", "brute-force", "ssh", "ssh", NULL},
    {"telnetauth", "brute-force", "telnet", "telnet", NULL},
    {"smtpauth", "brute-force", "smtp", "smtp", NULL},
    {"wpscanner", "scanner", "wordpress-vulnerabilities", "http",
     "scanning for wordpress vulnerabilities"},
    {"w_wplogin", "scanner", "wordpress-login", "http", "scanning for wordpress login pages"},
    {"pop", "brute-force", "=", "=", NULL},
    {"imap", "brute-force", "=", "=", NULL},
    {"smb", "scanner", "=", "=", NULL},
    {"rdp", "scanner", "=", "=", NULL},
    {"iotrdp", "scanner", "=", "=", NULL},
    {"iotmicrosoftds", "scanner", "=", "=", NULL},
    {"proxyget", "other", "proxyget", NULL, "The malicious client used a honeypot as proxy."},
    {"iotlogin", "system-compromise", "iot", NULL,
     "The infected iot device logged in to a honeypot."},
    {"iotcmd", "system-compromise", "iot", NULL,
     "The infected iot device logged in to a honeypot and issued malicious commands."},
    {"ioturl", "c2-server", "malware-generic", NULL, NULL},
    {"automatedtest", "brute-force", "lookup-captcha", NULL,
     "The device automatically brute-forced the Spamhaus CBL lookup."},
    {"authspoofbadehlo", "brute-force", "authentication-spoof", "smtp",
     "The device spoofed SMTP authentication with a bad EHLO."},
    {"extortion", "spam", "extortion", NULL, "This device sent extortion mails."},
    /* "misc" is Spamhaus' name for spam sent by the device itself (issue 15: spam, not a bot
     * family named "misc"). */
    {"misc", "spam", "spam", "smtp", "This device sent spam."},
};

static int cert_row(spamhaus_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[10], bot;
    char name[64];
    const cert_bot_t *b = NULL;
    int64_t seen;
    size_t n;
    int rc;

    /* ip, asn, country, lastseen, botname, domain, remote_ip, remote_port, local_port, proto */
    n = ermes__fp_split(line, ',', f, 10);
    if (n < 10)
        return ermes__fp_reject(d, "expected 10 comma-separated fields, found %zu", n);
    for (size_t i = 0; i < 10; i++)
        f[i] = ermes__fp_trim(f[i]);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, f[0], d)))
        return rc;
    /* "AS?" is the feed's way of saying it does not know. */
    if (!ermes__fp_eq(f[1], "AS?") && !ermes__fp_eq(f[1], "?") &&
        (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ASN, f[1], d)))
        return rc;
    if ((rc = ermes__fp_set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, f[2], d)))
        return rc;
    if (ermes__fp_int(f[3], &seen))
        return ermes__fp_reject(d, "lastseen \"%.*s\" is not a Unix time", (int)f[3].len, f[3].p);
    {
        char t[48];
        size_t tl = ermes__fp_format_time(seen, 0, t);
        if ((rc = ermes_event_set(ev, ERMES_F_TIME_SOURCE, t, tl, d)))
            return rc;
    }

    n = f[4].len < sizeof(name) - 1 ? f[4].len : sizeof(name) - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)((f[4].p[i] >= 'A' && f[4].p[i] <= 'Z') ? f[4].p[i] + 32 : f[4].p[i]);
    name[n] = '\0';
    bot.p = name;
    bot.len = n;
    for (size_t i = 0; i < sizeof(cert_bots) / sizeof(cert_bots[0]); i++)
        if (strcmp(cert_bots[i].bot, name) == 0)
            b = &cert_bots[i];
    /* The "iot" prefix of iotrdp/iotmicrosoftds names the sensor, not the service. */
    if (b && strncmp(name, "iot", 3) == 0 && strcmp(b->identifier, "=") == 0) {
        bot.p += 3;
        bot.len -= 3;
    }

    if (strcmp(name, "iotscan") == 0 || strcmp(name, "iotuser") == 0) {
        int telnet = ermes__fp_eq(f[7], "23") || ermes__fp_eq(f[7], "2323");
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "scanner", d)) ||
            (rc = ermes__fp_setc(
                 ev, ERMES_F_EVENT_DESCRIPTION_TEXT,
                 "The possibly infected IoT device scanned for other vulnerable IoT devices.",
                 d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER,
                                 telnet ? "telnet" : "scanner-generic", d)) ||
            (telnet && (rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, "telnet", d))))
            return rc;
    } else if (strcmp(name, "iotmirai") == 0) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "mirai", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_MALWARE_NAME, "mirai", d)))
            return rc;
    } else if (strcmp(name, "l_spamlink") == 0) {
        /* local_port holds "spam sender ip:version:malware". */
        ermes__fp_str_t p[3];
        if (ermes__fp_split(f[8], ':', p, 3) != 3)
            return ermes__fp_reject(d, "l_spamlink: expected \"ip:version:name\" in local_port");
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "spam", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, "spamlink", d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT,
                                 "Link appeared in a spam email from ip in extra.spam_ip.", d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, p[2], d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_MALWARE_VERSION, p[1], d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_SOURCE_URL, f[6], d)) ||
            (rc = ermes__fp_extra(ev, "spam_ip", p[0], ERMES_EXTRA_STRING, d)))
            return rc;
    } else if (b) {
        if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, b->type, d)))
            return rc;
        if (b->identifier && strcmp(b->identifier, "=") == 0)
            rc = ermes__fp_set(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, bot, d);
        else if (b->identifier)
            rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_IDENTIFIER, b->identifier, d);
        if (rc)
            return rc;
        if (b->application && strcmp(b->application, "=") == 0)
            rc = ermes__fp_set(ev, ERMES_F_PROTOCOL_APPLICATION, bot, d);
        else if (b->application)
            rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, b->application, d);
        if (rc)
            return rc;
        if (b->description &&
            (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, b->description, d)))
            return rc;
    } else {
        /* Any other name is a bot family; "auto" is Spamhaus' generic one. */
        if (strcmp(name, "auto") == 0) {
            bot.p = "s_other";
            bot.len = 7;
        }
        if ((rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, bot, d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "infected-system", d)))
            return rc;
        if (ermes__fp_find(f[5], "://") > 0)
            ermes__fp_try(ev, ERMES_F_SOURCE_URL, f[5]);
    }

    /* The C&C domain; for iotscan the provider says it is wrong (2018-06-15), and an IP or a
     * port in it is broken data too. */
    if (strcmp(name, "iotscan") != 0 && ermes__fp_find(f[5], ":") < 0 && !ermes__fp_is_ip(f[5]))
        ermes__fp_try(ev, ERMES_F_DESTINATION_FQDN, f[5]);
    ermes__fp_try(ev, ERMES_F_DESTINATION_IP, f[6]);
    if (!ermes__fp_eq(f[7], "?"))
        ermes__fp_try(ev, ERMES_F_DESTINATION_PORT, f[7]);
    /* A connection to port 25 is mail, whatever the bot (IntelMQ does the same): unless the
     * bot's own row named the application already. */
    if (ermes__fp_eq(f[7], "25") && !ermes_event_get(ev, ERMES_F_PROTOCOL_APPLICATION, NULL) &&
        (rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, "smtp", d)))
        return rc;
    if (f[8].len && !ermes__fp_eq(f[8], "-") && !ermes__fp_eq(f[8], "?") &&
        strcmp(name, "l_spamlink") != 0) {
        int64_t port;
        if (ermes__fp_int(f[8], &port))
            return ermes__fp_reject(d, "local_port \"%.*s\" is not a number", (int)f[8].len,
                                    f[8].p);
        if ((rc = ermes__fp_extra_int(ev, "source.local_port", port, d)))
            return rc;
    }
    if (!ermes__fp_eq(f[9], "?"))
        ermes__fp_try(ev, ERMES_F_PROTOCOL_TRANSPORT, f[9]);
    return 0;
}

static int spamhaus_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    spamhaus_t *s = state;
    ermes__fp_str_t line;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        int rc;
        if (t.len == 0)
            continue;
        if (t.p[0] == ';') {
            if (s->kind != KIND_CERT)
                drop_header(s, t);
            continue;
        }
        ermes__fp_row(row, d, s->lines.line, line);
        rc = s->kind == KIND_CERT ? cert_row(s, t, ev, d) : drop_row(s, t, ev, d);
        return rc ? rc : 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_spamhaus_drop = {
    "spamhaus-drop", "Spamhaus DROP, EDROP and DROPv6 lists (network ; SBL id)", drop_open,
    spamhaus_next, spamhaus_close};
const ermes__parser_def_t ermes__parser_spamhaus_asndrop = {
    "spamhaus-asndrop", "Spamhaus ASN-DROP list (text format)", asndrop_open, spamhaus_next,
    spamhaus_close};
const ermes__parser_def_t ermes__parser_spamhaus_cert = {
    "spamhaus-cert", "Spamhaus CERT Insight portal bot feed (CSV)", cert_open, spamhaus_next,
    spamhaus_close};
