/* Grouping: events waiting to be notified become notifications, one per (constituent, feed or
 * classification type) and language group of the constituent's contacts, in one transaction
 * per group with the events marked notified in the same commit. */
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/log.h"
#include "core/time.h"
#include "ermes/event.h"

#define MAX_TYPES 64
#define MAX_FEEDS 64
#define MAX_LANGUAGES 16

int ermes__notify_options_from_config(const ermes__config_t *cfg, ermes__notify_options_t *o,
                                      ermes_diag_t *d)
{
    char addr[320];

    memset(o, 0, sizeof(*o));
    o->window_ms = (int64_t)cfg->notify_window * 1000;
    if (!cfg->notify_group_by || strcmp(cfg->notify_group_by, "feed") == 0) {
        o->by_type = 0;
    } else if (strcmp(cfg->notify_group_by, "type") == 0) {
        o->by_type = 1;
    } else {
        ermes_diag_set(d, "notify_group_by", "notify_group_by must be feed or type, not \"%.32s\"",
                       cfg->notify_group_by);
        return ERMES_ECONFIG;
    }
    o->retry_base_ms = (int64_t)cfg->notify_retry_base * 1000;
    o->max_attempts = cfg->notify_max_attempts;
    o->rate_per_hour = cfg->notify_rate_per_hour;
    o->smtp_url = cfg->smtp_url && *cfg->smtp_url ? cfg->smtp_url : NULL;
    o->smtp_user = cfg->smtp_user && *cfg->smtp_user ? cfg->smtp_user : NULL;
    o->smtp_password = cfg->smtp_password;
    o->smtp_ca_file = cfg->smtp_ca_file && *cfg->smtp_ca_file ? cfg->smtp_ca_file : NULL;
    if (!cfg->smtp_tls || strcmp(cfg->smtp_tls, "try") == 0) {
        o->smtp_tls_required = 0;
    } else if (strcmp(cfg->smtp_tls, "require") == 0) {
        o->smtp_tls_required = 1;
    } else {
        ermes_diag_set(d, "smtp_tls", "smtp_tls must be try or require, not \"%.32s\"",
                       cfg->smtp_tls);
        return ERMES_ECONFIG;
    }
    /* With smtp_tls=try, a server (or a man in the middle stripping STARTTLS from its EHLO
     * answer) that offers no TLS would get the password in clear: with credentials, TLS is
     * required unless the operator said otherwise in so many words. */
    if (o->smtp_user && !cfg->smtp_plaintext_auth)
        o->smtp_tls_required = 1;
    o->smtp_dsn = cfg->smtp_dsn;
    o->pgp_key = cfg->notify_pgp_key && *cfg->notify_pgp_key ? cfg->notify_pgp_key : NULL;
    o->pgp_home = cfg->notify_pgp_home && *cfg->notify_pgp_home ? cfg->notify_pgp_home : NULL;
    o->mail_from = cfg->mail_from && *cfg->mail_from ? cfg->mail_from : "ermes@localhost";
    o->templates_dir =
        cfg->notify_templates && *cfg->notify_templates ? cfg->notify_templates : NULL;
    if (!cfg->notify_approval || strcmp(cfg->notify_approval, "auto") == 0) {
        o->review_default = 0;
    } else if (strcmp(cfg->notify_approval, "review") == 0) {
        o->review_default = 1;
    } else {
        ermes_diag_set(d, "notify_approval",
                       "notify_approval must be auto or review, not "
                       "\"%.32s\"",
                       cfg->notify_approval);
        return ERMES_ECONFIG;
    }
    o->review_age_ms = (int64_t)cfg->notify_review_age * 1000;
    o->encrypt = cfg->notify_encrypt;
    o->expiry_warn_ms = (int64_t)cfg->notify_pgp_expiry_warn * 86400 * 1000;
    o->encrypt_strict = cfg->notify_encrypt_strict;
    /* The contacts' keys get a keyring of their own, beside the database. */
    snprintf(o->pgp_contacts_home, sizeof(o->pgp_contacts_home), "%s/pgp-contacts",
             cfg->data_dir && *cfg->data_dir ? cfg->data_dir : ".");
    if (ermes__notify_address(o->mail_from, addr, sizeof(addr))) {
        ermes_diag_set(d, "mail_from", "mail_from must be an address, or \"Name <address>\"");
        return ERMES_ECONFIG;
    }
    /* Sending from the built-in placeholder would sign every e-mail as nobody, and the
     * constituents' replies would go nowhere. */
    if (o->smtp_url &&
        (strcasecmp(addr, "ermes@localhost") == 0 ||
         (strchr(addr, '@') && strcasecmp(strchr(addr, '@') + 1, "localhost") == 0))) {
        ermes_diag_set(d, "mail_from",
                       "mail_from must be the CERT's own address when smtp_url is set (not %s: "
                       "replies would reach nobody)",
                       addr);
        return ERMES_ECONFIG;
    }
    o->signature = cfg->notify_signature && *cfg->notify_signature ? cfg->notify_signature : NULL;
    if (o->smtp_url && strncasecmp(o->smtp_url, "smtp://", 7) != 0 &&
        strncasecmp(o->smtp_url, "smtps://", 8) != 0) {
        ermes_diag_set(d, "smtp_url", "smtp_url must start with smtp:// or smtps://");
        return ERMES_ECONFIG;
    }
    return 0;
}

int ermes__notify_check_setting(const ermes__config_t *now, const char *name, const char *value,
                                ermes_diag_t *d)
{
    ermes__config_t c;
    ermes__notify_options_t o;
    int rc;

    if ((rc = ermes__config_check(name, value, d)))
        return rc;
    if ((rc = ermes__config_copy(&c, now)))
        return rc;
    if (!(rc = ermes__config_set(&c, name, value, d)))
        rc = ermes__notify_options_from_config(&c, &o, d);
    ermes__config_copy_free(&c);
    return rc;
}

unsigned ermes__notify_kind_of_type(const char *type)
{
    const char *taxonomy = ermes_taxonomy_of_type(type);

    if (!taxonomy)
        return ERMES_NOTIFY_KIND_ABUSE;
    if (strcmp(taxonomy, "vulnerable") == 0)
        return ERMES_NOTIFY_KIND_VULNERABLE;
    if (strcmp(taxonomy, "intrusions") == 0 ||
        strcmp(taxonomy, "information-content-security") == 0)
        return ERMES_NOTIFY_KIND_COMPROMISE;
    return ERMES_NOTIFY_KIND_ABUSE;
}

static int role_in(const char *role, const char *const *set)
{
    for (; role && *set; set++)
        if (strcmp(role, *set) == 0)
            return 1;
    return 0;
}

/* Who handles each kind of issue, in tiers: the first tier with a contact is the one written
 * to. "notification" (a mailbox for the CERT's notifications of any kind) is always in the
 * first tier; "management" is in none. Every kind's tiers name the same five roles, so an
 * organisation with any of them has someone for every kind (NOTIFIED_ROLES in
 * src/store/notifications.c). */
static const char *const abuse_tiers[3][4] = {
    {"notification", "abuse", NULL}, {"security", "cert", NULL}, {"technical", NULL}};
static const char *const vulnerable_tiers[3][4] = {
    {"notification", "technical", NULL}, {"security", "cert", NULL}, {"abuse", NULL}};
static const char *const compromise_tiers[3][4] = {
    {"notification", "security", "cert", NULL}, {"abuse", NULL}, {"technical", NULL}};

static int has_contact(const ermes__org_t *org, size_t k)
{
    return org->contacts[k].email && *org->contacts[k].email;
}

size_t ermes__notify_recipients(const ermes__org_t *org, unsigned kinds, size_t *idx, size_t cap)
{
    const char *const(*tiers[3])[4] = {abuse_tiers, vulnerable_tiers, compromise_tiers};
    const unsigned bits[3] = {ERMES_NOTIFY_KIND_ABUSE, ERMES_NOTIFY_KIND_VULNERABLE,
                              ERMES_NOTIFY_KIND_COMPROMISE};
    size_t n = 0, ncontacts = org->ncontacts;
    unsigned char *chosen = ermes__calloc(ncontacts ? ncontacts : 1, 1);

    /* Out of memory: nobody now; the events wait for the next round. */
    if (!chosen)
        return 0;
    if (!kinds)
        kinds = ERMES_NOTIFY_KIND_ABUSE;
    /* An e-mail carrying several kinds of issue (grouped by feed) goes to the contacts of
     * each of them. */
    for (size_t kind = 0; kind < 3; kind++) {
        if (!(kinds & bits[kind]))
            continue;
        for (size_t t = 0; t < 3; t++) {
            int found = 0;
            for (size_t k = 0; k < ncontacts; k++)
                if (has_contact(org, k) && role_in(org->contacts[k].role, tiers[kind][t]))
                    found = chosen[k] = 1;
            if (found)
                break;
        }
    }
    /* In the order of the organisation's contacts. */
    for (size_t k = 0; k < ncontacts && n < cap; k++)
        if (chosen[k])
            idx[n++] = k;
    ermes__free(chosen);
    return n;
}

/* The contacts of one language: one e-mail. */
typedef struct lang_group {
    char lang[16];
    json_t *recipients;
} lang_group_t;

/* ---- one group of events ------------------------------------------------------------------ */

typedef struct collect {
    int64_t *ids;
    size_t n, cap;
    int64_t first, last;
    ermes_tlp_t tlp;
    char *types[MAX_TYPES + 1];
    int64_t counts[MAX_TYPES];
    size_t ntypes;
    char *feeds[MAX_FEEDS + 1]; /* for the notification policies */
    size_t nfeeds;
    unsigned kinds; /* ERMES_NOTIFY_KIND_* of the events */
    /* Per-constituent preferences (prefs.c): the events it does not want go to skip, to be
     * marked notified without a notification; read counts every row read, wanted or not. */
    const ermes__notify_prefs_t *prefs;
    int64_t *skip;
    size_t nskip, skipcap;
    size_t read;
} collect_t;

static void collect_reset(collect_t *c)
{
    for (size_t k = 0; k < c->ntypes; k++)
        ermes__free(c->types[k]);
    memset(c->types, 0, sizeof(c->types));
    memset(c->counts, 0, sizeof(c->counts));
    c->ntypes = 0;
    for (size_t k = 0; k < c->nfeeds; k++)
        ermes__free(c->feeds[k]);
    memset(c->feeds, 0, sizeof(c->feeds));
    c->nfeeds = 0;
    c->kinds = 0;
    c->n = 0;
    c->nskip = 0;
    c->read = 0;
    c->first = c->last = 0;
    c->tlp = ERMES_TLP_CLEAR;
}

static int collect_cb(void *ctx, const ermes__event_row_t *e)
{
    collect_t *c = ctx;
    const char *type = e->type ? e->type : "unknown";
    int64_t when = e->time_source ? e->time_source : e->created_at;
    size_t k;

    c->read++;
    if (c->prefs && !ermes__notify_prefs_wants(c->prefs, e->feed, e->type)) {
        if (c->nskip == c->skipcap) {
            size_t cap = c->skipcap ? c->skipcap * 2 : 64;
            int64_t *p = ermes__reallocarray(c->skip, cap, sizeof(*p));
            if (!p)
                return ERMES_ENOMEM;
            c->skip = p;
            c->skipcap = cap;
        }
        c->skip[c->nskip++] = e->id;
        return 0;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        int64_t *p = ermes__reallocarray(c->ids, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        c->ids = p;
        c->cap = cap;
    }
    c->ids[c->n++] = e->id;
    if (!c->first || when < c->first)
        c->first = when;
    if (when > c->last)
        c->last = when;
    if (e->tlp > c->tlp)
        c->tlp = e->tlp;
    c->kinds |= ermes__notify_kind_of_type(e->type);
    for (k = 0; k < c->ntypes; k++)
        if (strcmp(c->types[k], type) == 0)
            break;
    if (k == c->ntypes && k < MAX_TYPES) {
        if (!(c->types[k] = ermes__strdup(type)))
            return ERMES_ENOMEM;
        c->ntypes++;
    }
    if (k < c->ntypes)
        c->counts[k]++;
    if (e->feed) {
        for (k = 0; k < c->nfeeds; k++)
            if (strcmp(c->feeds[k], e->feed) == 0)
                break;
        if (k == c->nfeeds && k < MAX_FEEDS) {
            if (!(c->feeds[k] = ermes__strdup(e->feed)))
                return ERMES_ENOMEM;
            c->nfeeds++;
        }
    }
    return 0;
}

static int has_address(const json_t *list, const char *addr)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (strcmp(json_string_value(json_array_get(list, i)), addr) == 0)
            return 1;
    return 0;
}

/* Sorts the contacts who handle these kinds of issue into language groups. */
static int language_groups(ermes__store_t *st, const ermes__notify_options_t *o,
                           const ermes__org_t *org, unsigned kinds, lang_group_t *groups,
                           size_t *ngroups)
{
    size_t idx[ERMES_NOTIFY_MAX_RECIPIENTS], n;

    *ngroups = 0;
    n = ermes__notify_recipients(org, kinds, idx, ERMES_NOTIFY_MAX_RECIPIENTS);
    for (size_t k = 0; k < n; k++) {
        const ermes__contact_t *c = &org->contacts[idx[k]];
        char lang[16], addr[320];
        size_t g, j;
        ermes__notify_language(o->templates_dir, c->language, lang, sizeof(lang));
        /* A template stored for the contact's own language serves it too (message.c). */
        {
            char want[8], *stored = NULL;
            size_t w;
            for (w = 0; c->language && c->language[w] && w + 1 < sizeof(want); w++)
                want[w] =
                    (char)(c->language[w] >= 'A' && c->language[w] <= 'Z' ? c->language[w] + 32
                                                                          : c->language[w]);
            want[w] = '\0';
            if (strcmp(want, lang) != 0 && ermes__notify_template_valid_lang(want) &&
                ermes__store_template_get(st, "notification", "message", want, &stored, NULL) == 0)
                snprintf(lang, sizeof(lang), "%s", want);
            ermes__free(stored);
        }
        /* Addresses are compared in lower case: one person, one copy. */
        snprintf(addr, sizeof(addr), "%s", c->email);
        for (j = 0; addr[j]; j++)
            if (addr[j] >= 'A' && addr[j] <= 'Z')
                addr[j] = (char)(addr[j] + 32);
        for (g = 0; g < *ngroups; g++)
            if (has_address(groups[g].recipients, addr))
                break;
        if (g < *ngroups)
            continue; /* already a recipient, in the language of its first contact entry */
        for (g = 0; g < *ngroups; g++)
            if (strcmp(groups[g].lang, lang) == 0)
                break;
        if (g == *ngroups) {
            if (g == MAX_LANGUAGES)
                continue;
            snprintf(groups[g].lang, sizeof(groups[g].lang), "%s", lang);
            if (!(groups[g].recipients = json_array()))
                return ERMES_ENOMEM;
            (*ngroups)++;
        }
        if (json_array_append_new(groups[g].recipients, json_string(addr)))
            return ERMES_ENOMEM;
    }
    return 0;
}

/* A digest (prefs.c): its frequency (1 daily, 2 weekly) and the period it covers. */
typedef struct digest_info {
    int frequency;
    int64_t start, end;
} digest_info_t;

/* Makes the notifications of one language group about the collected events, inside the
 * caller's transaction; dig (NULL when not a digest) says which digest. */
static int make_notification(ermes__store_t *st, const ermes__notify_options_t *o,
                             const ermes__notify_group_t *g, const ermes__org_t *org,
                             const lang_group_t *lg, const collect_t *c, int64_t home,
                             const ermes__notify_policies_t *pol, const digest_info_t *dig,
                             ermes__notify_stats_t *stats)
{
    ermes__notification_t n;
    ermes__notify_vars_t v;
    ermes__strbuf_t subject, body;
    char *rcpt = json_dumps(lg->recipients, JSON_COMPACT);
    ermes__notify_texts_t stored;
    int rc;

    if (!rcpt)
        return ERMES_ENOMEM;
    memset(&n, 0, sizeof(n));
    n.org_id = g->org_id;
    if (dig)
        snprintf(n.group_key, sizeof(n.group_key), "digest:%s",
                 dig->frequency == 2 ? "weekly" : "daily");
    else
        snprintf(n.group_key, sizeof(n.group_key), "%s:%s", o->by_type ? "type" : "feed", g->key);
    memcpy(n.language, lg->lang, sizeof(n.language));
    n.language[sizeof(n.language) - 1] = '\0';
    n.recipients = rcpt;
    n.window_start = c->first;
    n.window_end = c->last;
    n.tlp = c->tlp;
    n.owner_org_id = home;
    /* Review before sending (review.c): a policy, or events that waited too long already. */
    if (ermes__notify_review_decide(pol, o->review_default, g->org_id,
                                    (const char *const *)c->feeds, c->nfeeds,
                                    (const char *const *)c->types, c->ntypes, n.approval_reason,
                                    sizeof(n.approval_reason))) {
        snprintf(n.approval, sizeof(n.approval), "%s", ERMES_APPROVAL_WAITING);
    } else if (o->review_age_ms > 0 && g->first_at &&
               g->first_at < ermes__time_now_ms() - o->window_ms - o->review_age_ms) {
        snprintf(n.approval, sizeof(n.approval), "%s", ERMES_APPROVAL_WAITING);
        snprintf(n.approval_reason, sizeof(n.approval_reason),
                 "its events were stored more than notify_window + notify_review_age ago: a "
                 "backlog waits for approval");
    }
    if (strcmp(n.approval, ERMES_APPROVAL_WAITING) == 0)
        stats->for_review++;
    rc = ermes__store_notification_insert(st, &n, c->ids, c->n);
    ermes__free(rcpt);
    n.recipients = NULL;
    if (rc)
        return rc;
    /* Fixed now, the same for every attempt: a recipient's system can tell a message sent
     * again after an interrupted attempt from a new one (notify.h). */
    ermes__notify_message_id(n.reference, n.created_at, o->mail_from, n.message_id,
                             sizeof(n.message_id));
    memset(&v, 0, sizeof(v));
    v.reference = n.reference;
    v.org = org->short_name;
    v.org_name = org->name;
    v.group = g->key;
    v.by_type = o->by_type;
    v.tlp = c->tlp;
    v.events = (int64_t)c->n;
    v.first = c->first;
    v.last = c->last;
    v.types = (const char *const *)c->types;
    v.type_counts = c->counts;
    v.mail_from = o->mail_from;
    v.signature = o->signature;
    if (dig) {
        v.digest = dig->frequency;
        v.period_start = dig->start;
        v.period_end = dig->end;
    }
    {
        /* The attachment's name in the text follows the constituent's format (attach.c). */
        static const char *const ext[] = {"csv", "json", "xarf.json"};
        v.attachment_ext =
            c->prefs && (unsigned)c->prefs->attachment < 3 ? ext[c->prefs->attachment] : "csv";
    }
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, 1024 * 1024);
    /* A template stored from the API wins over the file and the built-in one: the message's
     * and its lines', all of the language in one query. */
    rc = ermes__notify_texts_load(st, lg->lang, &stored);
    if (!rc)
        rc = ermes__notify_render_texts(o->templates_dir, lg->lang, &stored, &v, &subject, &body);
    ermes__notify_texts_cleanup(&stored);
    if (!rc)
        rc = ermes__store_notification_set_text(st, n.id, subject.data ? subject.data : "",
                                                body.data ? body.data : "", n.message_id);
    if (!rc)
        ermes__log(ERMES_LOG_INFO, "notification %s: %zu events %s for %s (%s), %s", n.reference,
                   c->n, n.group_key, org->short_name, lg->lang, ermes_tlp_name(c->tlp));
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    return rc;
}

static void free_groups(lang_group_t *groups, size_t *ngroups)
{
    for (size_t k = 0; k < *ngroups; k++)
        json_decref(groups[k].recipients);
    memset(groups, 0, sizeof(*groups) * MAX_LANGUAGES);
    *ngroups = 0;
}

static int make_group(ermes__store_t *st, const ermes__notify_options_t *o,
                      const ermes__notify_group_t *g, int64_t home,
                      const ermes__notify_policies_t *pol, const ermes__notify_prefs_t *prefs,
                      ermes__notify_stats_t *stats)
{
    lang_group_t groups[MAX_LANGUAGES];
    size_t ngroups = 0;
    ermes__org_t *org = NULL;
    collect_t c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.prefs = prefs;
    memset(groups, 0, sizeof(groups));
    if ((rc = ermes__store_org_get(st, NULL, g->org_id, &org)))
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    /* A group larger than one e-mail may carry goes out as several. */
    for (;;) {
        collect_reset(&c);
        free_groups(groups, &ngroups);
        if ((rc = ermes__store_begin(st)))
            break;
        /* Read inside the write transaction: no other process can notify these events
         * between reading and marking them. */
        rc = ermes__store_notify_group_events(st, g, o->by_type, ERMES_NOTIFY_MAX_EVENTS,
                                              collect_cb, &c);
        /* The recipients depend on the kinds of issue the events are. */
        if (!rc && c.n)
            rc = language_groups(st, o, org, c.kinds, groups, &ngroups);
        for (size_t k = 0; !rc && c.n && k < ngroups; k++)
            rc = make_notification(st, o, g, org, &groups[k], &c, home, pol, NULL, stats);
        /* Nobody for these events (the contacts changed since they were listed): they wait. */
        if (!rc && c.n && ngroups)
            rc = ermes__store_notify_mark_events(st, c.ids, c.n);
        /* The events the constituent does not want are done with, without a message. */
        if (!rc && c.nskip)
            rc = ermes__store_notify_mark_events(st, c.skip, c.nskip);
        /* The org's cursor moves past them in the same commit. */
        if (!rc && ((c.n && ngroups) || c.nskip)) {
            long moved;
            rc = ermes__store_notify_advance(st, g->org_id, &moved);
        }
        if (!rc)
            rc = ermes__store_commit(st);
        if (rc) {
            ermes__store_rollback(st);
            break;
        }
        if (c.n && ngroups) {
            stats->groups++;
            stats->notifications += (long)ngroups;
            stats->events += (long)c.n;
        }
        if ((c.n && !ngroups) || c.read < ERMES_NOTIFY_MAX_EVENTS)
            break;
    }
    collect_reset(&c);
    ermes__free(c.ids);
    ermes__free(c.skip);
    free_groups(groups, &ngroups);
    ermes__org_free(org);
    return rc;
}

/* ---- all due groups ------------------------------------------------------------------------ */

typedef struct group_list {
    ermes__notify_group_t *items;
    size_t n, cap;
} group_list_t;

static int list_cb(void *ctx, const ermes__notify_group_t *g)
{
    group_list_t *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        ermes__notify_group_t *p = ermes__reallocarray(l->items, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n] = *g;
    if (!(l->items[l->n].key = ermes__strdup(g->key)))
        return ERMES_ENOMEM;
    l->n++;
    return 0;
}

/* ---- digests (per-constituent preferences, prefs.c) ------------------------------------- */

typedef struct prefs_list {
    ermes__notify_prefs_t *items;
    size_t n, cap;
} prefs_list_t;

static int prefs_cb(void *ctx, const ermes__notify_prefs_t *p)
{
    prefs_list_t *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ermes__notify_prefs_t *q = ermes__reallocarray(l->items, cap, sizeof(*q));
        if (!q)
            return ERMES_ENOMEM;
        l->items = q;
        l->cap = cap;
    }
    l->items[l->n++] = *p;
    return 0;
}

/* The preferences of org_id, NULL for the defaults (the list is in ascending org id). */
static const ermes__notify_prefs_t *prefs_of(const prefs_list_t *l, int64_t org_id)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->items[mid].org_id == org_id)
            return &l->items[mid];
        if (l->items[mid].org_id < org_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Makes the digest of constituent p->org_id due at `due`: every event waiting, of every group
 * in all (the groups of every org, any age), as one notification per language group; the
 * digest clock moves to due in the commit of the last part. */
static int make_digest(ermes__store_t *st, const ermes__notify_options_t *o,
                       const ermes__notify_prefs_t *p, int64_t due, int64_t now,
                       const group_list_t *all, int64_t home, const ermes__notify_policies_t *pol,
                       ermes__notify_stats_t *stats)
{
    lang_group_t groups[MAX_LANGUAGES];
    size_t ngroups = 0;
    ermes__org_t *org = NULL;
    ermes__notify_group_t dg;
    ermes__strbuf_t keys;
    digest_info_t dig;
    collect_t c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.prefs = p;
    memset(groups, 0, sizeof(groups));
    if ((rc = ermes__store_org_get(st, NULL, p->org_id, &org)))
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    dig.frequency = p->frequency == ERMES_NOTIFY_WEEKLY ? 2 : 1;
    dig.start = p->digest_through;
    dig.end = now;
    ermes__strbuf_init(&keys, 4096);
    for (;;) {
        collect_reset(&c);
        free_groups(groups, &ngroups);
        ermes__strbuf_reset(&keys);
        if ((rc = ermes__store_begin(st)))
            break;
        /* Every group of the org, into one collection, read inside the write transaction. */
        for (size_t k = 0; !rc && k < all->n && c.read < ERMES_NOTIFY_MAX_EVENTS; k++) {
            size_t before = c.n;
            if (all->items[k].org_id != p->org_id)
                continue;
            rc = ermes__store_notify_group_events(st, &all->items[k], o->by_type,
                                                  (long)(ERMES_NOTIFY_MAX_EVENTS - c.read),
                                                  collect_cb, &c);
            /* The groups it carries, named in the text (${group}, ${about}). */
            if (!rc && c.n > before && keys.len < 200)
                rc = ermes__strbuf_addf(&keys, "%s%s", keys.len ? ", " : "", all->items[k].key);
        }
        if (!rc && c.n)
            rc = language_groups(st, o, org, c.kinds, groups, &ngroups);
        memset(&dg, 0, sizeof(dg));
        dg.org_id = p->org_id;
        dg.key = keys.data ? keys.data : "";
        for (size_t k = 0; !rc && c.n && k < ngroups; k++)
            rc = make_notification(st, o, &dg, org, &groups[k], &c, home, pol, &dig, stats);
        if (!rc && c.n && ngroups)
            rc = ermes__store_notify_mark_events(st, c.ids, c.n);
        if (!rc && c.nskip)
            rc = ermes__store_notify_mark_events(st, c.skip, c.nskip);
        if (!rc && ((c.n && ngroups) || c.nskip)) {
            long moved;
            rc = ermes__store_notify_advance(st, p->org_id, &moved);
        }
        /* The last part moves the clock: a process killed before this commit makes the whole
         * rest of the digest again, one killed after has nothing left to make. */
        if (!rc && c.read < ERMES_NOTIFY_MAX_EVENTS)
            rc = ermes__store_notify_prefs_digested(st, p->org_id, due);
        if (!rc)
            rc = ermes__store_commit(st);
        if (rc) {
            ermes__store_rollback(st);
            break;
        }
        if (c.n && ngroups) {
            stats->groups++;
            stats->notifications += (long)ngroups;
            stats->events += (long)c.n;
            ermes__log(ERMES_LOG_INFO, "notify: %s digest of %s: %zu events",
                       dig.frequency == 2 ? "weekly" : "daily", org->short_name, c.n);
        }
        if (c.read < ERMES_NOTIFY_MAX_EVENTS)
            break;
    }
    collect_reset(&c);
    ermes__free(c.ids);
    ermes__free(c.skip);
    free_groups(groups, &ngroups);
    ermes__strbuf_cleanup(&keys);
    ermes__org_free(org);
    return rc;
}

/* The digests due at now, made by the one daemon that holds the lease "notify-digest". */
static int make_digests(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                        const prefs_list_t *prefs, int64_t home,
                        const ermes__notify_policies_t *pol, ermes__notify_stats_t *stats)
{
    group_list_t all = {NULL, 0, 0};
    int64_t due;
    int rc = 0, held = 0, any = 0, first = 0;

    for (size_t k = 0; k < prefs->n && !any; k++)
        any = ermes__notify_digest_due(&prefs->items[k], now, &due);
    if (!any)
        return 0;
    if ((rc = ermes__store_lease_take(st, "notify-digest", &held)) || !held)
        return rc;
    /* Every group of any age: a digest carries everything waiting. */
    rc = ermes__store_notify_groups(st, o->by_type, INT64_MAX, list_cb, &all);
    for (size_t k = 0; !rc && k < prefs->n; k++) {
        int r;
        if (!ermes__notify_digest_due(&prefs->items[k], now, &due))
            continue;
        r = make_digest(st, o, &prefs->items[k], due, now, &all, home, pol, stats);
        if (r == ERMES_ECONFLICT || r == ERMES_EBUSY) {
            ermes__log(ERMES_LOG_INFO, "notify: digest of organisation %lld made elsewhere",
                       (long long)prefs->items[k].org_id);
        } else if (r) {
            ermes__log(ERMES_LOG_WARNING, "notify: digest of organisation %lld: %s",
                       (long long)prefs->items[k].org_id, ermes_strerror(r));
            if (!first)
                first = r;
        }
    }
    for (size_t k = 0; k < all.n; k++)
        ermes__free((void *)all.items[k].key);
    ermes__free(all.items);
    return rc ? rc : first;
}

int ermes__notify_group(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                        int ignore_window, ermes__notify_stats_t *stats)
{
    group_list_t l = {NULL, 0, 0};
    prefs_list_t prefs = {NULL, 0, 0};
    ermes__notify_policies_t pol;
    int64_t cutoff = ignore_window ? INT64_MAX : now - o->window_ms, home = 0;
    int rc, first = 0;

    ermes__store_home_org(st, &home);
    /* The policies once a round: a change applies to the notifications made after it. */
    if ((rc = ermes__notify_policies_load(st, &pol)))
        return rc;
    /* The constituents' preferences once a round too (prefs.c). */
    if ((rc = ermes__store_notify_prefs_each(st, prefs_cb, &prefs))) {
        ermes__notify_policies_cleanup(&pol);
        return rc;
    }
    /* A digest's hour is in its organisation's time (its calendar's offset). */
    for (size_t k = 0; !rc && k < prefs.n; k++)
        if (prefs.items[k].frequency != ERMES_NOTIFY_IMMEDIATE)
            rc = ermes__store_notify_prefs_offset(st, &prefs.items[k]);
    /* The list is read whole first: each group is then made in its own transaction. */
    if (!rc)
        rc = ermes__store_notify_groups(st, o->by_type, cutoff, list_cb, &l);
    for (size_t k = 0; !rc && k < l.n; k++) {
        const ermes__notify_prefs_t *p = prefs_of(&prefs, l.items[k].org_id);
        int r;
        /* A constituent that asked for a digest gets its events when the digest is due. */
        if (p && p->frequency != ERMES_NOTIFY_IMMEDIATE)
            continue;
        r = make_group(st, o, &l.items[k], home, &pol, p, stats);
        if (r == ERMES_ECONFLICT || r == ERMES_EBUSY) {
            /* Another process made this group's notification at the same time: it is
             * done, by them. */
            ermes__log(ERMES_LOG_INFO, "notify: group %s of organisation %lld taken elsewhere",
                       l.items[k].key, (long long)l.items[k].org_id);
        } else if (r) {
            ermes__log(ERMES_LOG_WARNING, "notify: group %s of organisation %lld: %s",
                       l.items[k].key, (long long)l.items[k].org_id, ermes_strerror(r));
            if (!first)
                first = r;
        }
    }
    for (size_t k = 0; k < l.n; k++)
        ermes__free((void *)l.items[k].key);
    ermes__free(l.items);
    if (!rc) {
        int r = make_digests(st, o, now, &prefs, home, &pol, stats);
        if (r && !first)
            first = r;
    }
    ermes__free(prefs.items);
    /* Sightings of the constituents' systems notify too (sightings.c). */
    if (!rc) {
        int r = ermes__notify_group_sightings(st, o, now, ignore_window, &pol, home, stats);
        if (r && !first)
            first = r;
    }
    ermes__notify_policies_cleanup(&pol);
    /* The cursors of the orgs that got nothing (only TLP:RED events since, say) move too, so
     * the next round does not read those events again. */
    if (!rc) {
        long moved;
        rc = ermes__store_notify_advance(st, 0, &moved);
    }
    if (!rc && !o->skip_waiting)
        rc = ermes__store_notify_waiting(st, &stats->waiting);
    return rc ? rc : first;
}
