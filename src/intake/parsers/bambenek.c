/* Bambenek Consulting OSINT feeds: C2 domains, C2 IPs and DGA domains, each line
 * "indicator,description,time,manual URL". Mapping as in IntelMQ's bambenek parser; the malware
 * is named after the feed's manual page ("manual/bebloh.txt" -> bebloh). */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

enum { KIND_C2_DOMAINS, KIND_C2_IPS, KIND_DGA };

typedef struct bambenek {
    int kind;
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
} bambenek_t;

/* Manual pages whose name is not the malware's. */
static const char *const malware_names[][2] = {
    {"cl", "cryptolocker"},
    {"p2pgoz", "p2p goz"},
    {"ptgoz", "p2p goz"},
    {"volatile", "volatile cedar"},
};

static int open_kind(int kind, const ermes__report_info_t *info, const char *data, size_t len,
                     void **state, ermes_diag_t *d)
{
    static const char *const names[] = {"Bambenek C2 Domain Feed", "Bambenek C2 IP Feed",
                                        "Bambenek DGA Domain Feed"};
    static const char *const urls[] = {
        "http://osint.bambenekconsulting.com/feeds/c2-dommasterlist.txt",
        "http://osint.bambenekconsulting.com/feeds/c2-ipmasterlist.txt",
        "http://osint.bambenekconsulting.com/feeds/dga-feed.txt"};
    bambenek_t *s = ermes__calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    s->kind = kind;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, names[kind], urls[kind], d))) {
        ermes__free(s);
        return rc;
    }
    *state = s;
    return 0;
}

static int domains_open(const ermes__report_info_t *info, const char *data, size_t len,
                        void **state, ermes_diag_t *d)
{
    return open_kind(KIND_C2_DOMAINS, info, data, len, state, d);
}

static int ips_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                    ermes_diag_t *d)
{
    return open_kind(KIND_C2_IPS, info, data, len, state, d);
}

static int dga_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                    ermes_diag_t *d)
{
    return open_kind(KIND_DGA, info, data, len, state, d);
}

static void bambenek_close(void *state)
{
    ermes__free(state);
}

static int bambenek_row(bambenek_t *s, ermes__fp_str_t line, ermes_event_t *ev, ermes_diag_t *d)
{
    ermes__fp_str_t f[4], name;
    size_t n = ermes__fp_split(line, ',', f, 4);
    int rc;

    if (n != 4)
        return ermes__fp_reject(d, "expected 4 comma-separated fields, found %zu", n);
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_set(ev, s->kind == KIND_C2_IPS ? ERMES_F_SOURCE_IP : ERMES_F_SOURCE_FQDN,
                            f[0], d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, f[1], d)) ||
        (rc = ermes__fp_set_time(ev, ERMES_F_TIME_SOURCE, f[2], d)) ||
        (rc = ermes__fp_set(ev, ERMES_F_EVENT_DESCRIPTION_URL, f[3], d)))
        return rc;
    if (s->kind == KIND_DGA)
        rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "dga-domain", d);
    else if (!(rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "c2-server", d)))
        rc = ermes__fp_setc(ev, ERMES_F_STATUS, "online", d);
    if (rc)
        return rc;

    /* ".../manual/bebloh.txt" -> "bebloh" */
    name = ermes__fp_trim(f[3]);
    for (size_t i = name.len; i > 0; i--)
        if (name.p[i - 1] == '/') {
            name.len -= i;
            name.p += i;
            break;
        }
    for (size_t i = 0; i < name.len; i++)
        if (name.p[i] == '.') {
            name.len = i;
            break;
        }
    for (size_t i = 0; i < sizeof(malware_names) / sizeof(malware_names[0]); i++)
        if (ermes__fp_eq(name, malware_names[i][0]))
            return ermes__fp_setc(ev, ERMES_F_MALWARE_NAME, malware_names[i][1], d);
    return ermes__fp_set(ev, ERMES_F_MALWARE_NAME, name, d);
}

static int bambenek_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    bambenek_t *s = state;
    ermes__fp_str_t line;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        int rc;
        if (t.len == 0 || t.p[0] == '#')
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        rc = bambenek_row(s, t, ev, d);
        return rc ? rc : 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_bambenek_c2_domains = {
    "bambenek-c2-domains", "Bambenek C2 domain master list", domains_open, bambenek_next,
    bambenek_close};
const ermes__parser_def_t ermes__parser_bambenek_c2_ips = {
    "bambenek-c2-ips", "Bambenek C2 IP master list", ips_open, bambenek_next, bambenek_close};
const ermes__parser_def_t ermes__parser_bambenek_dga = {"bambenek-dga", "Bambenek DGA domain feed",
                                                        dga_open, bambenek_next, bambenek_close};
