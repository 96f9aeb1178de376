/* DShield: the recommended block list (block.txt: the top attacking /24 networks, tab
 * separated) and the per-AS source list (asdetailsascii.html?as=N: zero-padded IPs with report
 * counts). Mapping and constants follow IntelMQ's dshield parser_block.py / parser_asn.py and
 * their tests. */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

typedef struct dshield {
    int asn_list; /* 0: block.txt, 1: asdetailsascii */
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    char updated[48]; /* block.txt: "updated: Tue Dec 15 15:33:38 2015 UTC" */
    size_t updated_len;
    char asn[16]; /* asdetails: the AS the list is about */
    int in_html_comment;
} dshield_t;

static int open_kind(int asn_list, const ermes__report_info_t *info, const char *data, size_t len,
                     void **state, ermes_diag_t *d)
{
    dshield_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    s->asn_list = asn_list;
    ermes__fp_lines_init(&s->lines, data, len);
    rc = ermes__fp_feed_init(&s->feed, info, asn_list ? "DShield AS" : "DShield Block",
                             asn_list ? NULL : "https://www.dshield.org/block.txt", d);
    if (rc == 0 && asn_list) {
        /* The list does not name its AS: the option asn= does, or the "as=" of the feed's
         * URL, as IntelMQ takes it from the collector's URL. */
        const char *v = ermes__parser_option(info, "asn");
        const char *u = s->feed.url ? strstr(s->feed.url, "as=") : NULL;
        size_t n = 0;
        if (!v && u)
            v = u + 3;
        if (v && (v[0] == 'A' || v[0] == 'a') && (v[1] == 'S' || v[1] == 's'))
            v += 2;
        while (v && v[n] >= '0' && v[n] <= '9' && n < sizeof(s->asn) - 1)
            n++;
        if (v && n == 0) {
            ermes_diag_set(d, "asn", "option asn=\"%s\" is not an AS number", v);
            rc = ERMES_EINVAL;
        }
        if (n)
            memcpy(s->asn, v, n);
    }
    if (rc) {
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int block_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                      ermes_diag_t *d)
{
    return open_kind(0, info, data, len, state, d);
}

static int asn_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                    ermes_diag_t *d)
{
    return open_kind(1, info, data, len, state, d);
}

static void dshield_close(void *state)
{
    ermes__free(state);
}

static void block_comment(dshield_t *s, ermes__fp_str_t line)
{
    long at = ermes__fp_find(line, "updated:");
    ermes__fp_str_t v;
    int64_t sec;
    int32_t usec;

    if (at < 0)
        return;
    v.p = line.p + at + 8;
    v.len = line.len - (size_t)at - 8;
    if (ermes__fp_parse_time(v, &sec, &usec, NULL, NULL) == 0)
        s->updated_len = ermes__fp_format_time(sec, usec, s->updated);
}

static int block_row(dshield_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[7];
    char net[96];
    size_t n = ermes__fp_split(line, '\t', f, 7);
    int64_t attacks;
    int rc, len;

    /* start, end, prefix length, attacks, network name, country, abuse e-mail */
    if (n < 3)
        return ermes__fp_reject(d, "expected at least 3 tab-separated fields, found %zu", n);
    f[0] = ermes__fp_trim(f[0]);
    f[2] = ermes__fp_trim(f[2]);
    len = snprintf(net, sizeof(net), "%.*s/%.*s", (int)(f[0].len > 45 ? 45 : f[0].len), f[0].p,
                   (int)(f[2].len > 40 ? 40 : f[2].len), f[2].p);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    if ((rc = ermes_event_set(ev, ERMES_F_SOURCE_NETWORK, net, (size_t)len, d)))
        return rc;
    if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "blacklist", d)))
        return rc;
    if (s->updated_len &&
        (rc = ermes_event_set(ev, ERMES_F_TIME_SOURCE, s->updated, s->updated_len, d)))
        return rc;
    if (n > 3 && !ermes__fp_is_blank(f[3])) {
        if (ermes__fp_int(f[3], &attacks))
            return ermes__fp_reject(d, "attacks \"%.*s\" is not a number", (int)f[3].len, f[3].p);
        if ((rc = ermes__fp_extra_int(ev, "attacks", attacks, d)))
            return rc;
    }
    if (n > 4 && (rc = ermes__fp_extra(ev, "network_name", f[4], ERMES_EXTRA_STRING, d)))
        return rc;
    if (n > 5 && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_GEOLOCATION_CC, f[5], d)))
        return rc;
    if (n > 6 && (rc = ermes__fp_set(ev, ERMES_F_SOURCE_ABUSE_CONTACT, f[6], d)))
        return rc;
    return 0;
}

/* "109.230.155.061" -> "109.230.155.61": the list pads every octet to three digits. */
static size_t unpad_ip(ermes__fp_str_t ip, char *buf, size_t cap)
{
    ermes__fp_str_t o[5];
    size_t n = ermes__fp_split(ip, '.', o, 5), len = 0;

    if (n != 4)
        return 0;
    for (size_t i = 0; i < 4; i++) {
        while (o[i].len > 1 && o[i].p[0] == '0') {
            o[i].p++;
            o[i].len--;
        }
        if (len + o[i].len + 2 > cap)
            return 0;
        if (i)
            buf[len++] = '.';
        memcpy(buf + len, o[i].p, o[i].len);
        len += o[i].len;
    }
    buf[len] = '\0';
    return len;
}

static int asn_row(dshield_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[6];
    char ip[64];
    size_t n = ermes__fp_split(line, '\t', f, 6), iplen;
    int64_t v;
    int rc;

    /* source IP, reports, targets, first seen, last seen, updated */
    if (n < 6)
        return ermes__fp_reject(d, "expected 6 tab-separated fields, found %zu", n);
    iplen = unpad_ip(ermes__fp_trim(f[0]), ip, sizeof(ip));
    if (!iplen)
        return ermes__fp_reject(d, "source.ip: \"%.*s\" is not an IP address", (int)f[0].len,
                                f[0].p);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)))
        return rc;
    if ((rc = ermes_event_set(ev, ERMES_F_SOURCE_IP, ip, iplen, d)))
        return rc;
    if (s->asn[0] && (rc = ermes__fp_setc(ev, ERMES_F_SOURCE_ASN, s->asn, d)))
        return rc;
    if ((rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "brute-force", d)))
        return rc;
    if ((rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, f[5], d)))
        return rc;
    if (ermes__fp_int(f[1], &v) || (rc = ermes__fp_extra_int(ev, "reports", v, d)))
        return rc ? rc
                  : ermes__fp_reject(d, "reports \"%.*s\" is not a number", (int)f[1].len, f[1].p);
    if (ermes__fp_int(f[2], &v) || (rc = ermes__fp_extra_int(ev, "targets", v, d)))
        return rc ? rc
                  : ermes__fp_reject(d, "targets \"%.*s\" is not a number", (int)f[2].len, f[2].p);
    if ((rc = ermes__fp_extra(ev, "first_seen", f[3], ERMES_EXTRA_STRING, d)))
        return rc;
    return ermes__fp_extra(ev, "last_seen", f[4], ERMES_EXTRA_STRING, d);
}

static int dshield_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    dshield_t *s = state;
    ermes__fp_str_t line;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        int rc;
        if (t.len == 0)
            continue;
        /* The AS list is served as .html: an HTML comment (a licence header in IntelMQ's copy)
         * is not data. */
        if (s->in_html_comment || ermes__fp_starts(t, "<!--")) {
            s->in_html_comment = ermes__fp_find(t, "-->") < 0;
            continue;
        }
        if (t.p[0] == '#') {
            if (!s->asn_list)
                block_comment(s, t);
            continue;
        }
        /* The column header of block.txt. */
        if (ermes__fp_starts(t, "Start\t"))
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        rc = s->asn_list ? asn_row(s, line, ev, d) : block_row(s, line, ev, d);
        return rc ? rc : 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_dshield_block = {
    "dshield-block", "DShield recommended block list (block.txt)", block_open, dshield_next,
    dshield_close};
const ermes__parser_def_t ermes__parser_dshield_asn = {
    "dshield-asn", "DShield sources of one AS (asdetailsascii.html; option asn=)", asn_open,
    dshield_next, dshield_close};
