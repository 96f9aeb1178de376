/* A published advisory warns exactly the affected constituents (issue 13, item 6).
 *
 * The daemon calls ermes__notify_advisories every few seconds: each advisory whose latest
 * publication was not warned of yet has its published document matched against every asset
 * (src/advisories/csaf_match.c). Per asset, what a warning would say (each vulnerability's
 * name, the asset's state, the remediation) is digested; an organisation is warned when one of
 * its assets' digests differs from the one this advisory last warned it of (advisory_asset_
 * warnings), so a revision that changes nothing for a constituent sends it nothing, and one
 * that adds a product warns only the newly affected. The warning names every affected asset of
 * the organisation (the new ones marked). Assets the constituent marked fixed or not_affected
 * for a vulnerability (asset_vulns, PUT /api/v1/assets/ID/vulnerabilities/NAME) are left out
 * for it. What was warned is recorded in asset_vulns too, so vulnerability intelligence does
 * not warn of the same CVE again and the constituent can set the asset's status.
 *
 * Assets created, changed or imported after a publication are matched at once: an advisory
 * last matched before the assets' latest change is matched again (advisory_warned.assets_seen,
 * migration 48), and only what is news for an asset warns (the digests above): never twice for
 * the same asset and advisory.
 *
 * What the message says of the advisory is its plain-text rendering (src/advisories/render.c,
 * the text of the published page), in the language of the first recipient's contact when
 * ermes has its words, else the document's: the mail says what the page says.
 *
 * TLP: the message names the organisation's assets, so it is at least TLP:AMBER, and the
 * advisory's own label when higher. What it says of the advisory follows the TLP policy
 * (src/access/tlp_policy.c) for a constituent of the recipient organisation: title, CVEs and
 * remediations only when that constituent may read the advisory; otherwise only its tracking
 * id and the assets concerned (and the vulnerabilities are then not put on the assets, whose
 * CSV would name them). */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/tlp_policy.h"
#include "advisories/advisory.h"
#include "advisories/csaf_match.h"
#include "advisories/render.h"
#include "advisories/vulns.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/sha256.h"
#include "core/time.h"
#include "store/advisory_warnings.h"
#include "store/vulns.h"

#define ADVISORIES_PER_RUN 64
#define TEXT_SHOWN 600 /* bytes of a remediation shown */
/* The lines around the advisory's text rendering in a warning. */
#define ADVISORY_RULE "------------------------------------------------------------------------"

/* One (asset, vulnerability) the advisory concerns; strings borrowed from the document. */
typedef struct hit {
    int64_t org_id;
    size_t asset;
    size_t vuln;
    const char *name;
    ermes__csaf_state_t state;
    const char *remediation, *url;
    int64_t vuln_id; /* the vulnerabilities row */
} hit_t;

typedef struct hits {
    hit_t *v;
    size_t n, cap;
    const ermes__notify_assets_t *assets;
    const char *fallback; /* name of a vulnerability without one: the tracking id */
} hits_t;

typedef struct prior {
    int64_t asset_id;
    char digest[ERMES_ADVISORY_DIGEST_MAX + 1];
} prior_t;

typedef struct priors {
    prior_t *v;
    size_t n, cap;
} priors_t;

static int hit_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    hits_t *l = ctx;

    if (h->state != ERMES__CSAF_AFFECTED && h->state != ERMES__CSAF_UNDER_INVESTIGATION)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        hit_t *v = ermes__reallocarray(l->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (hit_t){l->assets->v[h->asset].org_id,
                           h->asset,
                           h->vuln,
                           h->name ? h->name : l->fallback,
                           h->state,
                           h->remediation,
                           h->remediation_url,
                           0};
    return 0;
}

static int hit_cmp(const void *x, const void *y)
{
    const hit_t *a = x, *b = y;
    if (a->org_id != b->org_id)
        return a->org_id < b->org_id ? -1 : 1;
    if (a->asset != b->asset)
        return a->asset < b->asset ? -1 : 1;
    return a->vuln < b->vuln ? -1 : a->vuln > b->vuln;
}

static int prior_cb(void *ctx, int64_t asset_id, const char *digest)
{
    priors_t *p = ctx;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        prior_t *v = ermes__reallocarray(p->v, cap, sizeof(*v));
        if (!v)
            return ERMES_ENOMEM;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n].asset_id = asset_id;
    snprintf(p->v[p->n].digest, sizeof(p->v[p->n].digest), "%s", digest);
    p->n++;
    return 0;
}

static prior_t *prior_find(const priors_t *p, int64_t asset_id)
{
    for (size_t lo = 0, hi = p->n; lo < hi;) { /* ascending by asset_id */
        size_t mid = lo + (hi - lo) / 2;
        if (p->v[mid].asset_id == asset_id)
            return &p->v[mid];
        if (p->v[mid].asset_id < asset_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The digest of what asset hits h[0..n) (all of one asset) say. */
static int digest(const hit_t *h, size_t n, char out[65])
{
    ermes__sha256_t *s = ermes__sha256_new();

    if (!s)
        return ERMES_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        const char *state = ermes__csaf_state_name(h[k].state);
        ermes__sha256_update(s, h[k].name, strlen(h[k].name) + 1);
        ermes__sha256_update(s, state, strlen(state) + 1);
        if (h[k].remediation)
            ermes__sha256_update(s, h[k].remediation, strlen(h[k].remediation));
        ermes__sha256_update(s, "", 1);
    }
    ermes__sha256_final(s, out); /* frees s */
    return 0;
}

static const char *asset_label(const ermes__asset_ref_t *a, char *buf, size_t cap)
{
    if (a->cpe)
        snprintf(buf, cap, "%s", a->cpe);
    else if (a->purl)
        snprintf(buf, cap, "%s", a->purl);
    else
        snprintf(buf, cap, "%s%s%s%s%s", a->vendor ? a->vendor : "", a->vendor ? " " : "",
                 a->product ? a->product : "", a->version ? " " : "", a->version ? a->version : "");
    return buf;
}

typedef struct adv_run {
    ermes__store_t *st;
    const ermes__notify_options_t *o;
    ermes__notify_assets_t *assets;
    const ermes__advisory_t *adv;
    const json_t *doc;
    const char *version;
    int64_t home;
    int64_t assets_seen; /* the assets' latest updated_at, read before they were loaded */
    const ermes__notify_policies_t *pol;
    ermes__notify_stats_t *stats;
} adv_run_t;

/* The text for org: h[0..n) its hits (by asset, then vulnerability); news[k] says whether the
 * asset of h[k] is news. */
static int render(const adv_run_t *r, const ermes__org_t *org, const char *lang,
                  const char *reference, ermes_tlp_t tlp, int detailed, const hit_t *h, size_t n,
                  const char *news, ermes__strbuf_t *subject, ermes__strbuf_t *body)
{
    const ermes__advisory_t *a = r->adv;
    size_t nassets = 0;
    int rc;

    for (size_t k = 0; k < n; k++)
        nassets += !k || h[k].asset != h[k - 1].asset;
    rc = ermes__strbuf_addf(subject, "[%s] [TLP:%s] Advisory %s affects %zu of your assets%s%s",
                            reference, ermes_tlp_name(tlp), a->tracking_id, nassets,
                            detailed ? ": " : "", detailed ? a->title : "");
    if (!rc)
        rc = ermes__strbuf_addf(body,
                                "Dear %s team,\n"
                                "\n"
                                "our advisory %s%s%s%s (version %s) concerns products that your\n"
                                "organisation registered with us as its assets.\n",
                                org->name ? org->name : org->short_name, a->tracking_id,
                                detailed ? " \"" : "", detailed ? a->title : "",
                                detailed ? "\"" : "", r->version ? r->version : "?");
    if (!rc && detailed) {
        /* What the advisory says is its text rendering (render.c, the template of the
         * published page's plain-text form), in the organisation's language when ermes has
         * its words, else the document's: the mail says what the page says. */
        ermes__advisory_tpls_t t = {.fn = ermes__store_template_texts, .ctx = r->st};
        ermes__strbuf_t text;

        ermes__strbuf_init(&text, ERMES_NOTIFICATION_BODY_MAX / 2);
        rc = ermes__advisory_render(a->published_document ? a->published_document : "",
                                    ERMES_ADVISORY_TEXT, lang, &t, &text);
        if (!rc)
            rc = ermes__strbuf_addf(body, "\n%s\n", ADVISORY_RULE);
        if (!rc && text.len)
            rc = ermes__strbuf_add(body, text.data, text.len);
        if (!rc && (!text.len || text.data[text.len - 1] != '\n'))
            rc = ermes__strbuf_addf(body, "\n");
        if (!rc)
            rc = ermes__strbuf_addf(body, "%s\n", ADVISORY_RULE);
        ermes__strbuf_cleanup(&text);
    } else if (!rc)
        rc = ermes__strbuf_addf(body,
                                "\nThe advisory is TLP:%s and not shared with your organisation;\n"
                                "ask us for its details, quoting the reference below.\n",
                                ermes_tlp_name(a->published_tlp));
    if (!rc)
        rc = ermes__strbuf_addf(body, "\nYour assets concerned:\n");
    for (size_t k = 0; !rc && k < n; k++) {
        char label[512];
        if (!k || h[k].asset != h[k - 1].asset)
            rc = ermes__strbuf_addf(body, "\n- asset %lld: %s%s\n",
                                    (long long)r->assets->v[h[k].asset].id,
                                    asset_label(&r->assets->v[h[k].asset], label, sizeof(label)),
                                    news[k] ? " (new)" : "");
        if (rc || !detailed)
            continue;
        rc = ermes__strbuf_addf(body, "  %s: %s\n", h[k].name,
                                h[k].state == ERMES__CSAF_AFFECTED
                                    ? "affected"
                                    : "under investigation (possibly affected)");
        if (!rc && h[k].remediation) {
            size_t len = strnlen(h[k].remediation, TEXT_SHOWN);
            rc = ermes__strbuf_addf(body, "    Remediation: %.*s%s\n", (int)len, h[k].remediation,
                                    h[k].remediation[len] ? " ..." : "");
        }
        if (!rc && h[k].url)
            rc = ermes__strbuf_addf(body, "    %s\n", h[k].url);
    }
    if (!rc)
        rc = ermes__strbuf_addf(
            body,
            "\n"
            "Please patch or mitigate, and record the remediation status of each asset\n"
            "(not_affected, affected, in_progress, fixed) in the portal or through the API\n"
            "(PUT /api/v1/assets/ID/vulnerabilities/NAME, NAME being the CVE). An asset marked\n"
            "fixed or not_affected is not warned of that vulnerability again. When you reply,\n"
            "keep the reference %s in the subject.\n"
            "\n"
            "This message is TLP:%s.\n"
            "\n"
            "Best regards,\n"
            "%s\n",
            reference, ermes_tlp_name(tlp), r->o->mail_from ? r->o->mail_from : "");
    return rc;
}

/* The language the recipients of org's warnings read: the first of them whose contact names
 * one (ISO 639-1), else NULL (the advisory's own). */
static const char *recipient_language(const ermes__org_t *org)
{
    size_t idx[ERMES_NOTIFY_MAX_RECIPIENTS], n;

    n = ermes__notify_recipients(org, ERMES_NOTIFY_KIND_VULNERABLE, idx,
                                 ERMES_NOTIFY_MAX_RECIPIENTS);
    for (size_t k = 0; k < n; k++)
        if (org->contacts[idx[k]].language && org->contacts[idx[k]].language[0])
            return org->contacts[idx[k]].language;
    return NULL;
}

/* One notification for an organisation: h[0..n) its hits, news[] per hit. */
static int warn_org(const adv_run_t *r, const hit_t *h, size_t n, const char *news,
                    char (*digests)[65])
{
    ermes__org_t *org = NULL;
    ermes__notification_t note;
    ermes__strbuf_t subject, body;
    ermes__viewer_t viewer;
    char *rcpt_text = NULL, lang[16];
    int64_t now = ermes__time_now_ms(), org_id = h[0].org_id;
    ermes_tlp_t tlp =
        r->adv->published_tlp > ERMES_TLP_AMBER ? r->adv->published_tlp : ERMES_TLP_AMBER;
    int rc, detailed;

    memset(&note, 0, sizeof(note));
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, ERMES_NOTIFICATION_BODY_MAX);
    if ((rc = ermes__store_org_get(r->st, NULL, org_id, &org))) {
        rc = rc == ERMES_ENOTFOUND ? 0 : rc;
        goto done;
    }
    /* Nobody to tell: nothing is recorded, so the warning goes out with the next revision
     * after a contact is added. */
    if ((rc = ermes__notify_vulnerable_recipients(org, &rcpt_text)) || !rcpt_text)
        goto done;
    memset(&viewer, 0, sizeof(viewer));
    viewer.role = ERMES_ROLE_CONSTITUENT;
    viewer.org_id = org_id;
    viewer.remote = "notify";
    detailed = ermes__tlp_policy_allows(&viewer, ERMES_TLP_RED, r->adv->published_tlp,
                                        r->adv->owner_org_id);
    if ((rc = ermes__store_begin(r->st)))
        goto done;
    {
        const char *feeds[1] = {"advisories"}, *types[1] = {"vulnerable"};
        note.org_id = org_id;
        snprintf(note.group_key, sizeof(note.group_key), "advisory:%s", r->adv->tracking_id);
        /* The language of the advisory's text in the message (render.c's choice). */
        snprintf(lang, sizeof(lang), "%s",
                 ermes__advisory_render_lang(recipient_language(org),
                                             json_string_value(json_object_get(
                                                 json_object_get(r->doc, "document"), "lang"))));
        snprintf(note.language, sizeof(note.language), "%s", lang);
        note.recipients = rcpt_text;
        note.window_start = note.window_end = now;
        note.tlp = tlp;
        note.owner_org_id = r->home;
        if (ermes__notify_review_decide(r->pol, r->o->review_default, org_id, feeds, 1, types, 1,
                                        note.approval_reason, sizeof(note.approval_reason))) {
            snprintf(note.approval, sizeof(note.approval), "%s", ERMES_APPROVAL_WAITING);
            r->stats->for_review++;
        }
    }
    rc = ermes__store_notification_insert(r->st, &note, NULL, 0);
    for (size_t k = 0; !rc && k < n; k++) {
        char status[32];
        int kev = 0;
        /* The vulnerability goes on the asset (and into the notification's CSV) only when the
         * constituent may know of it. */
        if (!detailed)
            goto warned;
        if ((rc = ermes__store_asset_vuln_status(r->st, r->assets->v[h[k].asset].id, h[k].vuln_id,
                                                 status, sizeof(status), &kev)))
            break;
        rc = ermes__store_asset_vuln_warned(r->st, r->assets->v[h[k].asset].id, h[k].vuln_id, kev,
                                            note.id, r->home, now);
    warned:
        if (!rc && (!k || h[k].asset != h[k - 1].asset))
            rc = ermes__store_advisory_warning_put(r->st, r->adv->id, r->assets->v[h[k].asset].id,
                                                   org_id, r->adv->revision, digests[k], note.id,
                                                   r->home, now);
    }
    if (!rc) {
        ermes__notify_message_id(note.reference, note.created_at, r->o->mail_from, note.message_id,
                                 sizeof(note.message_id));
        rc = render(r, org, lang, note.reference, tlp, detailed, h, n, news, &subject, &body);
    }
    if (!rc)
        rc = ermes__store_notification_set_text(r->st, note.id, subject.data, body.data,
                                                note.message_id);
    if (!rc)
        rc = ermes__store_commit(r->st);
    if (rc) {
        ermes__store_rollback(r->st);
        goto done;
    }
    r->stats->groups++;
    r->stats->notifications++;
    r->stats->events += (long)n;
    ermes__log(ERMES_LOG_INFO, "notification %s: advisory %s warns %s", note.reference,
               r->adv->tracking_id, org->short_name);
done:
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    free(rcpt_text);
    ermes__org_free(org);
    return rc;
}

/* One advisory: match, compare with what was warned, warn, remember. */
static int one_advisory(adv_run_t *r, ermes__vmatch_t *m, int64_t id, size_t *warned)
{
    ermes__advisory_t a;
    hits_t hits;
    priors_t priors;
    json_t *doc = NULL;
    json_error_t err;
    char ref[32], *news = NULL, (*digests)[65] = NULL;
    size_t keep = 0;
    int rc;

    memset(&a, 0, sizeof(a));
    memset(&hits, 0, sizeof(hits));
    memset(&priors, 0, sizeof(priors));
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if ((rc = ermes__store_advisory_get(r->st, ref, &a)))
        return rc == ERMES_ENOTFOUND ? 0 : rc;
    if (!a.published_document ||
        !(doc = json_loads(a.published_document, JSON_REJECT_DUPLICATES, &err)))
        goto mark; /* a published document is always valid JSON; nothing to match otherwise */
    r->adv = &a;
    r->doc = doc;
    r->version = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "document"), "tracking"), "version"));
    hits.assets = r->assets;
    hits.fallback = a.tracking_id;
    if (r->assets->n && (rc = ermes__csaf_match(m, doc, hit_cb, &hits, NULL)))
        goto out;
    /* Leave out what the constituent marked fixed or not affected. */
    for (size_t k = 0; k < hits.n; k++) {
        char status[32];
        int kev;
        int64_t now = ermes__time_now_ms();
        if ((rc = ermes__store_vuln_ensure(r->st, hits.v[k].name, r->home, now,
                                           &hits.v[k].vuln_id)) ||
            (rc = ermes__store_asset_vuln_status(r->st, r->assets->v[hits.v[k].asset].id,
                                                 hits.v[k].vuln_id, status, sizeof(status), &kev)))
            goto out;
        if (!strcmp(status, "fixed") || !strcmp(status, "not_affected"))
            continue;
        hits.v[keep++] = hits.v[k];
    }
    hits.n = keep;
    if (hits.n)
        qsort(hits.v, hits.n, sizeof(*hits.v), hit_cmp);
    if ((rc = ermes__store_advisory_warning_each(r->st, a.id, prior_cb, &priors)))
        goto out;
    if (hits.n && (!(news = ermes__calloc(hits.n, 1)) ||
                   !(digests = ermes__calloc(hits.n, sizeof(*digests))))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* Per asset its digest (kept at its first hit) and whether it is news. */
    for (size_t k = 0; k < hits.n;) {
        size_t j = k;
        const prior_t *p;
        while (j < hits.n && hits.v[j].asset == hits.v[k].asset)
            j++;
        if ((rc = digest(hits.v + k, j - k, digests[k])))
            goto out;
        p = prior_find(&priors, r->assets->v[hits.v[k].asset].id);
        for (size_t i = k; i < j; i++) {
            news[i] = !p || strcmp(p->digest, digests[k]);
            memcpy(digests[i], digests[k], sizeof(digests[k]));
        }
        k = j;
    }
    /* Per organisation: warned when one of its assets is news. */
    for (size_t k = 0; k < hits.n;) {
        size_t j = k;
        int any = 0;
        while (j < hits.n && hits.v[j].org_id == hits.v[k].org_id)
            any |= news[j++];
        if (any) {
            if ((rc = warn_org(r, hits.v + k, j - k, news + k, digests + k)))
                goto out;
            for (size_t i = k; i < j; i++)
                *warned += news[i] && (i == k || hits.v[i].asset != hits.v[i - 1].asset);
        }
        k = j;
    }
    /* Assets warned before and not concerned now: forgotten, so that they are warned should
     * a later revision concern them again. */
    for (size_t k = 0; k < priors.n; k++) {
        int still = 0;
        for (size_t i = 0; !still && i < hits.n; i++)
            still = r->assets->v[hits.v[i].asset].id == priors.v[k].asset_id;
        if (!still && (rc = ermes__store_advisory_warning_drop(r->st, a.id, priors.v[k].asset_id)))
            goto out;
    }
mark:
    rc = ermes__store_advisory_set_warned_seen(r->st, a.id, a.revision, r->assets_seen, r->home,
                                               ermes__time_now_ms());
out:
    ermes__free(news);
    ermes__free(digests);
    ermes__free(hits.v);
    ermes__free(priors.v);
    json_decref(doc);
    ermes__advisory_cleanup(&a);
    r->adv = NULL;
    r->doc = NULL;
    return rc;
}

int ermes__notify_advisories(ermes__store_t *st, const ermes__notify_options_t *o,
                             ermes__notify_stats_t *stats, size_t *warned)
{
    int64_t ids[ADVISORIES_PER_RUN];
    size_t n = 0, count = 0;
    ermes__notify_assets_t assets;
    ermes__notify_policies_t pol;
    ermes__vmatch_t *m = NULL;
    adv_run_t r;
    int rc;

    memset(&assets, 0, sizeof(assets));
    memset(&pol, 0, sizeof(pol));
    if (warned)
        *warned = 0;
    if ((rc = ermes__store_advisory_unwarned(st, ids, ADVISORIES_PER_RUN, &n)) || !n)
        return rc;
    memset(&r, 0, sizeof(r));
    r.st = st;
    r.o = o;
    r.assets = &assets;
    r.pol = &pol;
    r.stats = stats;
    ermes__store_home_org(st, &r.home);
    /* Read before the assets: one created while they are matched is matched again next run. */
    if ((rc = ermes__store_assets_changed_at(st, &r.assets_seen)) ||
        (rc = ermes__notify_assets_load(st, &assets)) ||
        (rc = ermes__vmatch_new(assets.v, assets.n, &m)) ||
        (rc = ermes__notify_policies_load(st, &pol)))
        goto out;
    for (size_t k = 0; k < n; k++)
        if ((rc = one_advisory(&r, m, ids[k], &count)))
            break;
    if (warned)
        *warned = count;
out:
    ermes__vmatch_free(m);
    ermes__notify_policies_cleanup(&pol);
    ermes__notify_assets_cleanup(&assets);
    return rc;
}
