/* Sightings notify too: a constituent is warned when its own systems were seen contacting an
 * indicator. Grouped like events: per constituent and indicator source, a notification once
 * the oldest sighting of the group is notify_window old, in one transaction with the
 * sightings it carries (notification_sightings: a sighting goes out once). The recipients are
 * the contacts for a compromise (security, cert, else abuse, else technical; notification
 * contacts always), the approval policy is the same as for events (review.c, with the
 * indicator's source as the feed and "sighting" as the classification).
 *
 * The indicator's TLP decides what the message may say. CLEAR, GREEN, AMBER and
 * AMBER+STRICT may go to the organisation concerned, which the constituent is: the indicator
 * and what was seen are in the message. RED is for its named recipients only: the message
 * says that a system of the constituent's was seen and when, and withholds the indicator and
 * the value seen; the CERT tells the rest by other means. The message carries no TLP:RED
 * text, so its own label is at most AMBER+STRICT.
 *
 * The text is English (the built-in templates are about events); the sightings are attached
 * as CSV, one per line. */
#include "notify/notify.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"

#define MAX_LISTED 20 /* sightings written out in the text; all are in the attachment */
#define WITHHELD "(withheld: TLP:RED)"

typedef struct sighting_collect {
    int64_t *ids;
    size_t n, cap;
    int64_t first, last;
    ermes_tlp_t tlp; /* the most restrictive indicator label */
    ermes__strbuf_t listed;
    size_t nlisted;
} sighting_collect_t;

static int collect_cb(void *ctx, const ermes__sighting_t *s)
{
    sighting_collect_t *c = ctx;
    char when[ERMES_TIME_STRLEN];
    int red = s->tlp >= ERMES_TLP_RED;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        int64_t *p = ermes__reallocarray(c->ids, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        c->ids = p;
        c->cap = cap;
    }
    c->ids[c->n++] = s->id;
    if (!c->first || s->event_time < c->first)
        c->first = s->event_time;
    if (s->event_time > c->last)
        c->last = s->event_time;
    if (s->tlp > c->tlp)
        c->tlp = s->tlp;
    if (c->nlisted < MAX_LISTED) {
        c->nlisted++;
        ermes__time_format(s->event_time, when);
        return ermes__strbuf_addf(&c->listed, "- %s  %s contacted %s %s%s%s\n", when,
                                  s->internal_ip ? s->internal_ip : "(a system)",
                                  s->indicator_type ? s->indicator_type : "indicator",
                                  red                  ? WITHHELD
                                  : s->indicator_value ? s->indicator_value
                                                       : "",
                                  s->sensor ? ", seen by " : "", s->sensor ? s->sensor : "");
    }
    return 0;
}

/* The subject and text of a notification of sightings. */
static int render(const ermes__notify_options_t *o, const ermes__org_t *org, const char *source,
                  const char *reference, ermes_tlp_t tlp, const sighting_collect_t *c,
                  ermes__strbuf_t *subject, ermes__strbuf_t *body)
{
    char first[ERMES_TIME_STRLEN], last[ERMES_TIME_STRLEN];
    int rc;

    ermes__time_format(c->first, first);
    ermes__time_format(c->last, last);
    rc = ermes__strbuf_addf(subject, "[%s] [TLP:%s] %zu sighting%s of %s%s%s on %s's systems",
                            reference, ermes_tlp_name(tlp), c->n, c->n == 1 ? "" : "s",
                            *source ? "indicators from " : "known indicators", source,
                            "" /* keeps the format one line */, org->short_name);
    if (!rc)
        rc = ermes__strbuf_addf(
            body,
            "Dear %s team,\n"
            "\n"
            "between %s and %s (UTC) systems on your networks were seen contacting\n"
            "addresses or names that are known to be malicious (indicators%s%s).\n"
            "%zu sighting%s in all; the attached file %s.csv lists them, one per line:\n"
            "\n"
            "%s%s"
            "\n"
            "A system that contacts such an indicator may be compromised. Please check\n"
            "the systems listed and tell us what you find. When you reply, keep the\n"
            "reference %s in the subject.\n"
            "%s"
            "\n"
            "This message is TLP:%s.\n"
            "\n"
            "Best regards,\n"
            "%s\n",
            org->name ? org->name : org->short_name, first, last, *source ? " from " : "", source,
            c->n, c->n == 1 ? "" : "s", reference, c->listed.data ? c->listed.data : "",
            c->n > c->nlisted ? "- ... (the rest in the attachment)\n" : "", reference,
            c->tlp >= ERMES_TLP_RED ? "\nSome indicators are TLP:RED: they are withheld here, and "
                                      "we will give you\nthe details by other means.\n"
                                    : "",
            ermes_tlp_name(tlp), o->mail_from ? o->mail_from : "");
    return rc;
}

static int make(ermes__store_t *st, const ermes__notify_options_t *o,
                const ermes__notify_group_t *g, int64_t home, const ermes__notify_policies_t *pol,
                ermes__notify_stats_t *stats)
{
    size_t idx[ERMES_NOTIFY_MAX_RECIPIENTS], nr;
    ermes__org_t *org = NULL;
    sighting_collect_t c;
    ermes__notification_t n;
    ermes__strbuf_t subject, body;
    json_t *rcpts = NULL;
    char *rcpt_text = NULL, lang[16];
    int rc;

    memset(&c, 0, sizeof(c));
    memset(&n, 0, sizeof(n));
    ermes__strbuf_init(&c.listed, 64 * 1024);
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, 1024 * 1024);
    if ((rc = ermes__store_org_get(st, NULL, g->org_id, &org))) {
        rc = rc == ERMES_ENOTFOUND ? 0 : rc;
        goto done;
    }
    nr = ermes__notify_recipients(org, ERMES_NOTIFY_KIND_COMPROMISE, idx,
                                  ERMES_NOTIFY_MAX_RECIPIENTS);
    if (!nr || !(rcpts = json_array()))
        goto done;
    for (size_t k = 0; k < nr; k++) {
        char addr[320];
        snprintf(addr, sizeof(addr), "%s", org->contacts[idx[k]].email);
        for (size_t j = 0; addr[j]; j++)
            if (addr[j] >= 'A' && addr[j] <= 'Z')
                addr[j] = (char)(addr[j] + 32);
        json_array_append_new(rcpts, json_string(addr));
    }
    if (!(rcpt_text = json_dumps(rcpts, JSON_COMPACT))) {
        rc = ERMES_ENOMEM;
        goto done;
    }
    if ((rc = ermes__store_begin(st)))
        goto done;
    /* Read inside the write transaction, as the events' groups are (group.c). */
    rc = ermes__store_notify_sighting_rows(st, g, ERMES_NOTIFY_MAX_EVENTS, collect_cb, &c);
    if (!rc && c.n) {
        const char *feeds[1] = {g->key}, *types[1] = {"sighting"};
        n.org_id = g->org_id;
        snprintf(n.group_key, sizeof(n.group_key), "sighting:%s", g->key);
        /* The language of the first recipient's template; the text itself is English. */
        ermes__notify_language(o->templates_dir, "en", lang, sizeof(lang));
        snprintf(n.language, sizeof(n.language), "%s", lang);
        n.recipients = rcpt_text;
        n.window_start = c.first;
        n.window_end = c.last;
        n.tlp = c.tlp >= ERMES_TLP_RED ? ERMES_TLP_AMBER_STRICT : c.tlp;
        n.owner_org_id = home;
        if (ermes__notify_review_decide(pol, o->review_default, g->org_id, feeds, 1, types, 1,
                                        n.approval_reason, sizeof(n.approval_reason))) {
            snprintf(n.approval, sizeof(n.approval), "%s", ERMES_APPROVAL_WAITING);
            stats->for_review++;
        }
        rc = ermes__store_notification_insert(st, &n, NULL, 0);
        if (!rc)
            rc = ermes__store_notification_add_sightings(st, n.id, c.ids, c.n);
        if (!rc) {
            ermes__notify_message_id(n.reference, n.created_at, o->mail_from, n.message_id,
                                     sizeof(n.message_id));
            rc = render(o, org, g->key, n.reference, n.tlp, &c, &subject, &body);
        }
        if (!rc)
            rc =
                ermes__store_notification_set_text(st, n.id, subject.data, body.data, n.message_id);
    }
    if (!rc)
        rc = ermes__store_commit(st);
    if (rc) {
        ermes__store_rollback(st);
        goto done;
    }
    if (c.n) {
        stats->groups++;
        stats->notifications++;
        stats->events += (long)c.n;
        ermes__log(ERMES_LOG_INFO, "notification %s: %zu sightings for %s (indicators from %s)",
                   n.reference, c.n, org->short_name, *g->key ? g->key : "no source");
    }
done:
    ermes__free(c.ids);
    ermes__strbuf_cleanup(&c.listed);
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    free(rcpt_text);
    json_decref(rcpts);
    ermes__org_free(org);
    return rc;
}

typedef struct group_list {
    ermes__notify_group_t *items;
    size_t n, cap;
} group_list_t;

static int list_cb(void *ctx, const ermes__notify_group_t *g)
{
    group_list_t *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
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

int ermes__notify_group_sightings(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                                  int ignore_window, const ermes__notify_policies_t *pol,
                                  int64_t home, ermes__notify_stats_t *stats)
{
    group_list_t l = {NULL, 0, 0};
    int64_t cutoff = ignore_window ? INT64_MAX : now - o->window_ms;
    int rc, first = 0;

    rc = ermes__store_notify_sighting_groups(st, cutoff, list_cb, &l);
    for (size_t k = 0; !rc && k < l.n; k++) {
        int r = make(st, o, &l.items[k], home, pol, stats);
        if (r == ERMES_ECONFLICT || r == ERMES_EBUSY)
            continue; /* made by another process at the same time */
        if (r) {
            ermes__log(ERMES_LOG_WARNING, "notify: sightings of organisation %lld: %s",
                       (long long)l.items[k].org_id, ermes_strerror(r));
            if (!first)
                first = r;
        }
    }
    for (size_t k = 0; k < l.n; k++)
        ermes__free((void *)l.items[k].key);
    ermes__free(l.items);
    return rc ? rc : first;
}

static int csv_text(ermes__strbuf_t *out, const char *s, int last)
{
    int rc = 0, quote;

    s = s ? s : "";
    /* OWASP's rule against formulas, RFC 4180 quoting (as the events' CSV). */
    quote = ermes__csv_cell_is_formula(s, strlen(s)) || s[strcspn(s, ",\"\r\n")];
    if (quote) {
        rc |= ermes__strbuf_addc(out, '"');
        if (ermes__csv_cell_is_formula(s, strlen(s)))
            rc |= ermes__strbuf_addc(out, '\'');
        for (; *s && !rc; s++)
            rc |= *s == '"' ? ermes__strbuf_add(out, "\"\"", 2) : ermes__strbuf_addc(out, *s);
        rc |= ermes__strbuf_addc(out, '"');
    } else {
        rc |= ermes__strbuf_adds(out, s);
    }
    return rc | ermes__strbuf_addc(out, last ? '\n' : ',');
}

static int csv_cb(void *ctx, const ermes__sighting_t *s)
{
    ermes__strbuf_t *out = ctx;
    char when[ERMES_TIME_STRLEN], id[32];
    int red = s->tlp >= ERMES_TLP_RED, rc = 0;

    ermes__time_format(s->event_time, when);
    snprintf(id, sizeof(id), "%lld", (long long)s->id);
    rc |= csv_text(out, id, 0);
    rc |= csv_text(out, when, 0);
    rc |= csv_text(out, s->internal_ip, 0);
    rc |= csv_text(out, s->indicator_type, 0);
    rc |= csv_text(out, red ? WITHHELD : s->indicator_value, 0);
    rc |= csv_text(out, red ? WITHHELD : s->value, 0);
    rc |= csv_text(out, s->field, 0);
    rc |= csv_text(out, s->sensor, 0);
    rc |= csv_text(out, s->log_source, 0);
    rc |= csv_text(out, ermes_tlp_name(s->tlp), 1);
    return rc ? ERMES_ENOMEM : 0;
}

int ermes__notify_sightings_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out, int *any)
{
    size_t before;
    int rc;

    *any = 0;
    if ((rc = ermes__strbuf_adds(out, "id,time,internal_ip,indicator.type,indicator.value,value,"
                                      "field,sensor,log_source,tlp\n")))
        return rc;
    before = out->len;
    rc = ermes__store_notification_sightings(st, id, csv_cb, out);
    *any = out->len > before;
    return rc;
}
