/* blocklist.de: one IP address per line. Which list it is (ssh.txt, imap.txt, ...) decides the
 * classification, as in IntelMQ's blocklistde parser: the kind comes from the option kind=,
 * else the report's file name, else the feed_url= option; an unknown list is a "blacklist". */
#include "intake/parsers/feedparse.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

typedef struct blocklist_kind {
    const char *kind;
    const char *type;
    const char *application;
    const char *description;
} blocklist_kind_t;

#define ATTACKS "IP reported as having run attacks on the service "

static const blocklist_kind_t kinds[] = {
    {"all", "blacklist", NULL, NULL},
    {"ssh", "ids-alert", "ssh", ATTACKS "SSH"},
    {"mail", "ids-alert", "smtp", ATTACKS "Mail, Postfix"},
    {"apache", "ids-alert", "http", ATTACKS "Apache, Apache-DDoS, RFI-Attacks"},
    {"imap", "ids-alert", "imap", ATTACKS "IMAP, SASL, POP3"},
    {"ftp", "ids-alert", "ftp", ATTACKS "FTP"},
    {"sip", "ids-alert", "sip", ATTACKS "SIP, VOIP, Asterisk"},
    {"bots", "spam", NULL,
     "IP reported as having spammed on IRC, open forums, wikis or registration forms."},
    {"strongips", "blacklist", NULL, "IP reported as having run attacks in last 2 months"},
    {"ircbot", "infected-system", "irc", NULL},
    {"bruteforcelogin", "brute-force", NULL,
     "IP reported as having run attacks on Joomlas, Wordpress and other Web-Logins with "
     "Brute-Force Logins"},
};

typedef struct blocklistde {
    ermes__fp_lines_t lines;
    ermes__fp_feed_t feed;
    const blocklist_kind_t *kind; /* NULL: unknown list */
    char url[128];
} blocklistde_t;

/* "https://lists.blocklist.de/lists/imap.txt", "imap.txt" or "imap" -> the kind. */
static const blocklist_kind_t *find_kind(const char *name)
{
    const char *base = strrchr(name, '/');
    size_t n;

    base = base ? base + 1 : name;
    n = strcspn(base, ".?#");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i].kind) == n && strncmp(kinds[i].kind, base, n) == 0)
            return &kinds[i];
    return NULL;
}

static int blocklistde_open(const ermes__report_info_t *info, const char *data, size_t len,
                            void **state, ermes_diag_t *d)
{
    blocklistde_t *s = ermes__calloc(1, sizeof(*s));
    const char *kind = ermes__parser_option(info, "kind");
    int rc;

    if (!s)
        return ERMES_ENOMEM;
    ermes__fp_lines_init(&s->lines, data, len);
    if ((rc = ermes__fp_feed_init(&s->feed, info, "BlockList.de", NULL, d))) {
        ermes__free(s);
        return rc;
    }
    if (kind) {
        if (!(s->kind = find_kind(kind))) {
            ermes_diag_set(d, "kind", "unknown blocklist.de list \"%s\"", kind);
            ermes__free(s);
            return ERMES_EINVAL;
        }
    } else {
        if (info->file_name)
            s->kind = find_kind(info->file_name);
        if (!s->kind && s->feed.url)
            s->kind = find_kind(s->feed.url);
    }
    if (s->kind && !s->feed.url) {
        snprintf(s->url, sizeof(s->url), "https://lists.blocklist.de/lists/%s.txt", s->kind->kind);
        s->feed.url = s->url;
    }
    *state = s;
    return 0;
}

static void blocklistde_close(void *state)
{
    ermes__free(state);
}

static int blocklistde_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    blocklistde_t *s = state;
    const blocklist_kind_t *k = s->kind;
    ermes__fp_str_t line;
    int rc;

    while (ermes__fp_lines_next(&s->lines, &line)) {
        ermes__fp_str_t t = ermes__fp_trim(line);
        if (t.len == 0 || t.p[0] == '#')
            continue;
        ermes__fp_row(row, d, s->lines.line, line);
        if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
            (rc = ermes__fp_set(ev, ERMES_F_SOURCE_IP, t, d)) ||
            (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, k ? k->type : "blacklist", d)))
            return rc;
        if (k && k->application &&
            (rc = ermes__fp_setc(ev, ERMES_F_PROTOCOL_APPLICATION, k->application, d)))
            return rc;
        if (k && k->description &&
            (rc = ermes__fp_setc(ev, ERMES_F_EVENT_DESCRIPTION_TEXT, k->description, d)))
            return rc;
        return 1;
    }
    return 0;
}

const ermes__parser_def_t ermes__parser_blocklistde = {
    "blocklistde", "blocklist.de lists (one IP per line; kind= or the file name picks the list)",
    blocklistde_open, blocklistde_next, blocklistde_close};
