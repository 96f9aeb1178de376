/* Review before sending: which notifications wait for a person's approval, and the backlog
 * rule.
 *
 * Policies (notify_policies, src/store/notify_policies.c) say "auto" or "review" for the
 * notifications of a feed, a classification (an RSIT class such as "vulnerable", or a type
 * such as "scanner") and a constituent, each of the three optional ("any"). A notification
 * matches a policy when every field the policy sets is one of its events' (a notification
 * grouped by feed may carry several types). Among the policies that match, the most specific
 * (most fields set) decides; between equally specific ones, review wins: a CERT that asked
 * for review somewhere gets it. No policy matches: notify_approval decides.
 *
 * The backlog: a notification not sent notify_review_age after it was made (sending was off,
 * the SMTP server was down), or made of events that were stored that long before, waits for
 * approval rather than leaving with everything else at once when sending comes back. */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "ermes/event.h"

static int policy_cb(void *ctx, const ermes__notify_policy_t *p)
{
    ermes__notify_policies_t *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        ermes__notify_policy_t *items = ermes__reallocarray(l->items, cap, sizeof(*items));
        if (!items)
            return ERMES_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *p;
    return 0;
}

int ermes__notify_policies_load(ermes__store_t *st, ermes__notify_policies_t *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = ermes__store_notify_policy_each(st, policy_cb, out)))
        ermes__notify_policies_cleanup(out);
    return rc;
}

void ermes__notify_policies_cleanup(ermes__notify_policies_t *l)
{
    if (!l)
        return;
    ermes__free(l->items);
    memset(l, 0, sizeof(*l));
}

static int in_list(const char *value, const char *const *list, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (list[k] && strcmp(list[k], value) == 0)
            return 1;
    return 0;
}

/* 1 when policy p's classification is one of the types, or the RSIT class of one. */
static int classification_matches(const char *c, const char *const *types, size_t ntypes)
{
    for (size_t k = 0; k < ntypes; k++) {
        const char *taxonomy = ermes_taxonomy_of_type(types[k]);
        if (strcmp(types[k], c) == 0 || (taxonomy && strcmp(taxonomy, c) == 0))
            return 1;
    }
    return 0;
}

int ermes__notify_review_decide(const ermes__notify_policies_t *l, int review_default,
                                int64_t org_id, const char *const *feeds, size_t nfeeds,
                                const char *const *types, size_t ntypes, char *reason, size_t cap)
{
    const ermes__notify_policy_t *best = NULL;
    int best_rank = -1;

    for (size_t k = 0; l && k < l->n; k++) {
        const ermes__notify_policy_t *p = &l->items[k];
        int rank = 0;
        if (p->feed[0]) {
            if (!in_list(p->feed, feeds, nfeeds))
                continue;
            rank++;
        }
        if (p->classification[0]) {
            if (!classification_matches(p->classification, types, ntypes))
                continue;
            rank++;
        }
        if (p->org_id) {
            if (p->org_id != org_id)
                continue;
            rank++;
        }
        if (rank > best_rank ||
            (rank == best_rank && strcmp(p->mode, "review") == 0 && strcmp(best->mode, "review"))) {
            best = p;
            best_rank = rank;
        }
    }
    if (!best) {
        if (review_default)
            snprintf(reason, cap, "notify_approval = review");
        else if (cap)
            reason[0] = '\0';
        return review_default;
    }
    snprintf(reason, cap, "notification policy %lld (feed %s, classification %s, constituent %s)",
             (long long)best->id, best->feed[0] ? best->feed : "any",
             best->classification[0] ? best->classification : "any",
             best->org[0]   ? best->org
             : best->org_id ? "?"
                            : "any");
    return strcmp(best->mode, "review") == 0;
}

int ermes__notify_hold_stale(ermes__store_t *st, const ermes__notify_options_t *o, int64_t now,
                             size_t *held)
{
    char reason[160];
    int rc;

    *held = 0;
    if (o->review_age_ms <= 0)
        return 0;
    snprintf(reason, sizeof(reason),
             "not sent within notify_review_age (%lld s) of being made: a backlog waits for "
             "approval",
             (long long)(o->review_age_ms / 1000));
    rc = ermes__store_notification_hold_stale(st, now - o->review_age_ms, now, reason, held);
    if (!rc && *held)
        ermes__log(ERMES_LOG_WARNING,
                   "notify: %zu notifications older than notify_review_age wait for approval "
                   "(ermes notify list --approval waiting)",
                   *held);
    return rc;
}

int ermes__notify_review(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                         ermes__review_action_t action, char *why, size_t whycap)
{
    static const char *const verbs[] = {"approve", "hold", "cancel"};
    const char *approval = ermes__review_action_approval(action);
    ermes__notification_t n;
    char reason[160], id_text[32], detail[64];
    int rc, changed = 0;

    if (why && whycap)
        why[0] = '\0';
    snprintf(reason, sizeof(reason), "%s by %s",
             action == ERMES_REVIEW_APPROVE ? "approved"
             : action == ERMES_REVIEW_HOLD  ? "held"
                                            : "cancelled",
             v->user_name && *v->user_name ? v->user_name
             : v->user_id                  ? "a user"
                                           : "the CLI");
    if ((rc = ermes__store_notification_review(st, id, approval, reason, &changed)))
        return rc;
    if (!changed) {
        /* Why not: sent, being sent, cancelled, or no such notification. */
        if ((rc = ermes__store_notification_get(st, id, &n)))
            return rc;
        if (why && whycap)
            snprintf(why, whycap, "the notification is %s%s%s",
                     strcmp(n.approval, ERMES_APPROVAL_CANCELLED) == 0 ? "cancelled" : n.state,
                     strcmp(n.state, ERMES_NOTIFICATION_SENDING) == 0 ? " right now" : "",
                     strcmp(n.state, ERMES_NOTIFICATION_SENT) == 0 ? " already" : "");
        ermes__notification_cleanup(&n);
        return ERMES_ECONFLICT;
    }
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    snprintf(detail, sizeof(detail), "{\"approval\":\"%s\"}", approval);
    ermes__audit_write(st, v, verbs[action], "notification", id_text, detail);
    return 0;
}

int ermes__notify_edit(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                       const ermes__notification_edit_t *e)
{
    char *rcpt = NULL, id_text[32];
    json_t *detail = NULL, *lower = NULL;
    char *detail_text = NULL;
    int rc = ERMES_ENOMEM;

    if (e->recipients) {
        /* Addresses in lower case, one copy each, as grouping writes them. */
        if (!(lower = json_array()))
            goto out;
        for (size_t k = 0; k < json_array_size(e->recipients); k++) {
            char addr[ERMES_NOTIFICATION_ADDRESS_MAX + 1];
            int dup = 0;
            snprintf(addr, sizeof(addr), "%s", json_string_value(json_array_get(e->recipients, k)));
            for (size_t j = 0; addr[j]; j++)
                if (addr[j] >= 'A' && addr[j] <= 'Z')
                    addr[j] = (char)(addr[j] + 32);
            for (size_t j = 0; j < json_array_size(lower); j++)
                if (strcmp(json_string_value(json_array_get(lower, j)), addr) == 0)
                    dup = 1;
            if (!dup && json_array_append_new(lower, json_string(addr)))
                goto out;
        }
        if (!(rcpt = json_dumps(lower, JSON_COMPACT)))
            goto out;
    }
    if ((rc = ermes__store_notification_edit(st, id, e->subject, e->body, rcpt)))
        goto out;
    /* The audit says what changed, and the new recipients; not the text itself. */
    detail = json_pack("{s:b,s:b,s:O?}", "subject", e->subject != NULL, "body", e->body != NULL,
                       "recipients", lower);
    detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    ermes__audit_write(st, v, "edit", "notification", id_text, detail_text);
out:
    free(detail_text);
    json_decref(detail);
    json_decref(lower);
    free(rcpt);
    return rc;
}

/* 1 when s[0..len) is printable text without control characters. */
static int printable(const char *s, size_t len)
{
    if (strlen(s) != len)
        return 0;
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)s[k] < 0x20 || s[k] == 0x7f)
            return 0;
    return 1;
}

int ermes__notify_policy_read(const json_t *body, ermes__notify_policy_t *p, const char **org,
                              ermes_diag_t *d)
{
    const char *key;
    json_t *v;

    memset(p, 0, sizeof(*p));
    *org = NULL;
    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, v)
    {
        const char *text = json_string_value(v);
        size_t len = json_string_length(v);
        if (strcmp(key, "mode") == 0) {
            if (!text || (strcmp(text, "auto") && strcmp(text, "review"))) {
                ermes_diag_set(d, "mode", "mode must be auto or review");
                return ERMES_EINVAL;
            }
            snprintf(p->mode, sizeof(p->mode), "%s", text);
        } else if (strcmp(key, "feed") == 0) {
            if (!text || len == 0 || len >= sizeof(p->feed) || !printable(text, len)) {
                ermes_diag_set(d, "feed", "feed must be a feed name of 1 to %zu bytes",
                               sizeof(p->feed) - 1);
                return ERMES_EINVAL;
            }
            snprintf(p->feed, sizeof(p->feed), "%s", text);
        } else if (strcmp(key, "classification") == 0) {
            if (!text || len >= sizeof(p->classification) ||
                (!ermes_taxonomy_valid(text) && !ermes_taxonomy_of_type(text))) {
                ermes_diag_set(d, "classification",
                               "classification must be an RSIT class (classification.taxonomy, "
                               "such as vulnerable) or type (classification.type, such as "
                               "scanner)");
                return ERMES_EINVAL;
            }
            snprintf(p->classification, sizeof(p->classification), "%s", text);
        } else if (strcmp(key, "org") == 0) {
            if (!text || len == 0 || len > 128 || !printable(text, len)) {
                ermes_diag_set(d, "org", "org must be an organisation's id or short name");
                return ERMES_EINVAL;
            }
            *org = text;
        } else if (strcmp(key, "note") == 0) {
            if (!text || len >= sizeof(p->note) || !printable(text, len)) {
                ermes_diag_set(d, "note", "note must be text of at most %zu bytes",
                               sizeof(p->note) - 1);
                return ERMES_EINVAL;
            }
            snprintf(p->note, sizeof(p->note), "%s", text);
        } else {
            ermes_diag_set(d, key,
                           "unknown member \"%.64s\" (mode, feed, classification, org, note)", key);
            return ERMES_EINVAL;
        }
    }
    if (!p->mode[0]) {
        ermes_diag_set(d, "mode", "mode is required: auto or review");
        return ERMES_EINVAL;
    }
    return 0;
}

json_t *ermes__notify_policy_to_json(const ermes__notify_policy_t *p)
{
    char when[ERMES_TIME_STRLEN];

    ermes__time_format(p->created_at, when);
    return json_pack("{s:I,s:s,s:s?,s:s?,s:s?,s:s,s:s}", "id", (json_int_t)p->id, "mode", p->mode,
                     "feed", p->feed[0] ? p->feed : NULL, "classification",
                     p->classification[0] ? p->classification : NULL, "org",
                     p->org[0] ? p->org : NULL, "note", p->note, "created_at", when);
}
