/* Vulnerabilities warn the constituents whose assets they affect (issue 13, item 6).
 *
 * After an import (or on `ermes vulns match`), the vulnerabilities whose affected products or
 * KEV entry changed are matched against every asset (src/advisories/vuln_match.c). A match is
 * news for an asset when it was never warned of that CVE, or when the CVE has entered the KEV
 * catalogue since it was (known exploitation changes what a constituent should do first).
 * Each constituent with news gets one notification naming the CVEs and its assets concerned;
 * asset_vulns remembers what was warned in the same transaction, so a re-import that changes
 * nothing for a constituent warns it of nothing. The recipients are the contacts for a
 * vulnerable system (technical, else security or cert, else abuse; notification contacts
 * always), the approval policy is review.c's with feed "vulnerabilities" and classification
 * "vulnerable". The message is TLP:AMBER: it tells what one organisation runs. */
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_match.h"
#include "advisories/vulns.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "store/vulns.h"

#define DESC_SHOWN 400 /* bytes of a description in the text */

typedef ermes__notify_assets_t asset_list_t;

static char *dup_opt(const char *s)
{
    return s ? ermes__strdup(s) : NULL;
}

void ermes__notify_assets_cleanup(ermes__notify_assets_t *l)
{
    for (size_t k = 0; k < l->n; k++) {
        ermes__free((void *)l->v[k].cpe);
        ermes__free((void *)l->v[k].purl);
        ermes__free((void *)l->v[k].vendor);
        ermes__free((void *)l->v[k].product);
        ermes__free((void *)l->v[k].version);
    }
    ermes__free(l->v);
    memset(l, 0, sizeof(*l));
}

static int asset_cb(void *ctx, const ermes__asset_t *a);

int ermes__notify_assets_load(ermes__store_t *st, ermes__notify_assets_t *l)
{
    memset(l, 0, sizeof(*l));
    return ermes__store_asset_each(st, 0, 0, 0, asset_cb, l, NULL);
}

static int asset_cb(void *ctx, const ermes__asset_t *a)
{
    asset_list_t *l = ctx;
    ermes__asset_ref_t *r;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        ermes__asset_ref_t *p = ermes__reallocarray(l->v, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    r = &l->v[l->n++];
    memset(r, 0, sizeof(*r));
    r->id = a->id;
    r->org_id = a->org_id;
    if ((a->cpe && !(r->cpe = dup_opt(a->cpe))) || (a->purl && !(r->purl = dup_opt(a->purl))) ||
        (a->vendor && !(r->vendor = dup_opt(a->vendor))) ||
        (a->product && !(r->product = dup_opt(a->product))) ||
        (a->version && !(r->version = dup_opt(a->version))))
        return ERMES_ENOMEM;
    return 0;
}

/* What a warning says of one vulnerability. */
typedef struct vuln_info {
    int64_t id;
    char cve[32];
    int kev;
    int64_t kev_due;
    char *kev_action, *description, *severity;
    int score;
    long epss;
    char cvss_version[8];
} vuln_info_t;

/* One piece of news: asset (an index) of vuln (an index into the infos). */
typedef struct news {
    int64_t org_id;
    size_t asset, vuln;
    int kev;
} news_t;

typedef struct run {
    ermes__store_t *st;
    asset_list_t assets;
    vuln_info_t *infos;
    size_t ninfos, capinfos;
    news_t *news;
    size_t nnews, capnews;
    json_t *nvd, *cve5, *csaf;
    const char *kev_vendor, *kev_product;
    vuln_info_t cur;
    size_t before; /* news of the vulnerability being matched start here */
    int red;       /* the vulnerability is TLP:RED (a CSAF document said so): no warning */
    char *kev_vendor_buf, *kev_product_buf;
    int rc;
} run_t;

static int load_cb(void *ctx, const ermes__vuln_row_t *v)
{
    run_t *r = ctx;
    json_error_t err;

    memset(&r->cur, 0, sizeof(r->cur));
    r->cur.id = v->id;
    snprintf(r->cur.cve, sizeof(r->cur.cve), "%s", v->cve_id ? v->cve_id : "");
    r->cur.kev = v->kev;
    r->cur.kev_due = v->kev_due;
    r->cur.score = v->cvss_score;
    r->cur.epss = v->epss;
    snprintf(r->cur.cvss_version, sizeof(r->cur.cvss_version), "%s",
             v->cvss_version ? v->cvss_version : "");
    r->cur.kev_action = dup_opt(v->kev_action);
    r->cur.severity = dup_opt(v->cvss_severity);
    if (v->description) {
        size_t n = strnlen(v->description, DESC_SHOWN);
        if ((r->cur.description = ermes__malloc(n + 1))) {
            memcpy(r->cur.description, v->description, n);
            r->cur.description[n] = '\0';
        }
    }
    r->nvd = v->affected_nvd ? json_loads(v->affected_nvd, 0, &err) : NULL;
    r->cve5 = v->affected_cve5 ? json_loads(v->affected_cve5, 0, &err) : NULL;
    r->csaf = v->affected_csaf ? json_loads(v->affected_csaf, 0, &err) : NULL;
    r->red = v->tlp == ERMES_TLP_RED;
    r->kev_vendor_buf = dup_opt(v->kev_vendor);
    r->kev_product_buf = dup_opt(v->kev_product);
    return 0;
}

static void info_cleanup(vuln_info_t *i)
{
    ermes__free(i->kev_action);
    ermes__free(i->description);
    ermes__free(i->severity);
}

static int hit_cb(void *ctx, size_t asset)
{
    run_t *r = ctx;
    int known = 0, warned_kev = 0, rc;
    news_t *n;

    if ((rc = ermes__store_asset_vuln_state(r->st, r->assets.v[asset].id, r->cur.id, &known,
                                            &warned_kev)))
        return rc;
    if (known && (!r->cur.kev || warned_kev))
        return 0;
    if (r->nnews == r->capnews) {
        size_t cap = r->capnews ? r->capnews * 2 : 64;
        news_t *p = ermes__reallocarray(r->news, cap, sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        r->news = p;
        r->capnews = cap;
    }
    n = &r->news[r->nnews++];
    n->org_id = r->assets.v[asset].org_id;
    n->asset = asset;
    n->vuln = r->ninfos; /* the info is kept once the matching is done */
    n->kev = r->cur.kev;
    return 0;
}

/* An asset a CSAF document (imported from another provider) calls affected or under
 * investigation is warned like one NVD or CVE 5 data name, once however many sources do. */
static int csaf_hit_cb(void *ctx, const ermes__csaf_hit_t *h)
{
    run_t *r = ctx;

    if (h->state != ERMES__CSAF_AFFECTED && h->state != ERMES__CSAF_UNDER_INVESTIGATION)
        return 0;
    for (size_t k = r->before; k < r->nnews; k++)
        if (r->news[k].asset == h->asset)
            return 0;
    return hit_cb(ctx, h->asset);
}

/* Each provider's CSAF document on the vulnerability (vuln_csaf_statements), parsed into the
 * array ctx: matched after the store's statement is done. */
static int statement_cb(void *ctx, const char *affected)
{
    json_t *doc = affected ? json_loads(affected, 0, NULL) : NULL;

    if (doc && json_array_append_new(ctx, doc))
        return ERMES_ENOMEM;
    return 0;
}

static int news_cmp(const void *x, const void *y)
{
    const news_t *a = x, *b = y;
    if (a->org_id != b->org_id)
        return a->org_id < b->org_id ? -1 : 1;
    if (a->vuln != b->vuln)
        return a->vuln < b->vuln ? -1 : 1;
    return a->asset < b->asset ? -1 : a->asset > b->asset;
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

static int render(const ermes__notify_options_t *o, const ermes__org_t *org, const char *reference,
                  const run_t *r, const news_t *items, size_t n, ermes__strbuf_t *subject,
                  ermes__strbuf_t *body)
{
    size_t nvulns = 0, kevs = 0, listed = 0;
    int rc;

    for (size_t k = 0; k < n; k++)
        if (!k || items[k].vuln != items[k - 1].vuln) {
            nvulns++;
            kevs += r->infos[items[k].vuln].kev != 0;
        }
    rc = ermes__strbuf_addf(subject, "[%s] [TLP:AMBER] %zu vulnerabilit%s affect%s your assets%s",
                            reference, nvulns, nvulns == 1 ? "y" : "ies", nvulns == 1 ? "s" : "",
                            kevs ? " (known exploited)" : "");
    for (size_t k = 0; !rc && k < n && listed < 3; k++)
        if (!k || items[k].vuln != items[k - 1].vuln)
            rc = ermes__strbuf_addf(subject, "%s%s", listed++ ? ", " : ": ",
                                    r->infos[items[k].vuln].cve);
    if (!rc && nvulns > 3)
        rc = ermes__strbuf_addf(subject, ", ...");
    if (!rc)
        rc = ermes__strbuf_addf(body,
                                "Dear %s team,\n"
                                "\n"
                                "the vulnerabilities below affect products that your "
                                "organisation registered\n"
                                "with us as its assets (%zu vulnerabilit%s%s).\n\n",
                                org->name ? org->name : org->short_name, nvulns,
                                nvulns == 1 ? "y" : "ies",
                                kevs ? "; those marked KEV are known to be exploited" : "");
    for (size_t k = 0; !rc && k < n; k++) {
        const vuln_info_t *v = &r->infos[items[k].vuln];
        char label[512], due[ERMES_TIME_STRLEN];
        if (!k || items[k].vuln != items[k - 1].vuln) {
            rc = ermes__strbuf_addf(body, "%s%s", k ? "\n" : "", v->cve);
            if (!rc && v->score >= 0)
                rc = ermes__strbuf_addf(body, "  CVSS %s %d.%d %s", v->cvss_version, v->score / 10,
                                        v->score % 10, v->severity ? v->severity : "");
            if (!rc && v->epss >= 0)
                rc = ermes__strbuf_addf(body, "  EPSS %ld.%03ld%%", v->epss / 1000, v->epss % 1000);
            if (!rc && v->kev) {
                ermes__time_format(v->kev_due, due);
                due[10] = '\0';
                rc = ermes__strbuf_addf(body, "\n  KEV: known to be exploited; due date %s", due);
                if (!rc && v->kev_action)
                    rc = ermes__strbuf_addf(body, "\n  Required action: %s", v->kev_action);
            }
            if (!rc && v->description)
                rc = ermes__strbuf_addf(body, "\n  %s%s", v->description,
                                        strlen(v->description) >= DESC_SHOWN ? " ..." : "");
            if (!rc)
                rc = ermes__strbuf_addf(body, "\n  Your assets:\n");
        }
        if (!rc)
            rc = ermes__strbuf_addf(
                body, "  - asset %lld: %s\n", (long long)r->assets.v[items[k].asset].id,
                asset_label(&r->assets.v[items[k].asset], label, sizeof(label)));
    }
    if (!rc)
        rc = ermes__strbuf_addf(
            body,
            "\n"
            "Please patch or mitigate, and record the remediation status of each asset\n"
            "(not_affected, affected, in_progress, fixed) in the portal or through the API\n"
            "(PUT /api/v1/assets/ID/vulnerabilities/CVE). The attached file %s.csv\n"
            "lists the assets concerned. When you reply, keep the reference %s in the\n"
            "subject.\n"
            "\n"
            "This message is TLP:AMBER.\n"
            "\n"
            "Best regards,\n"
            "%s\n",
            reference, reference, o->mail_from ? o->mail_from : "");
    return rc;
}

int ermes__notify_vulnerable_recipients(const ermes__org_t *org, char **out)
{
    size_t idx[ERMES_NOTIFY_MAX_RECIPIENTS], nr;
    json_t *rcpts;

    *out = NULL;
    nr = ermes__notify_recipients(org, ERMES_NOTIFY_KIND_VULNERABLE, idx,
                                  ERMES_NOTIFY_MAX_RECIPIENTS);
    if (!nr)
        return 0;
    if (!(rcpts = json_array()))
        return ERMES_ENOMEM;
    for (size_t k = 0; k < nr; k++) {
        char addr[320];
        snprintf(addr, sizeof(addr), "%s", org->contacts[idx[k]].email);
        for (size_t j = 0; addr[j]; j++)
            if (addr[j] >= 'A' && addr[j] <= 'Z')
                addr[j] = (char)(addr[j] + 32);
        json_array_append_new(rcpts, json_string(addr));
    }
    *out = json_dumps(rcpts, JSON_COMPACT);
    json_decref(rcpts);
    return *out ? 0 : ERMES_ENOMEM;
}

/* One notification for org's news items[0..n). */
static int warn_org(run_t *r, const ermes__notify_options_t *o, const news_t *items, size_t n,
                    int64_t home, const ermes__notify_policies_t *pol, ermes__notify_stats_t *stats)
{
    ermes__org_t *org = NULL;
    ermes__notification_t note;
    ermes__strbuf_t subject, body;
    char *rcpt_text = NULL, lang[16];
    int64_t now = ermes__time_now_ms();
    news_t *kept = NULL;
    size_t nkept = 0;
    int rc;

    memset(&note, 0, sizeof(note));
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, ERMES_NOTIFICATION_BODY_MAX);
    if ((rc = ermes__store_org_get(r->st, NULL, items[0].org_id, &org))) {
        rc = rc == ERMES_ENOTFOUND ? 0 : rc;
        goto done;
    }
    /* Nobody to tell: nothing is recorded, so the warning goes out once a contact is added
     * and the vulnerabilities are matched again. */
    if ((rc = ermes__notify_vulnerable_recipients(org, &rcpt_text)) || !rcpt_text)
        goto done;
    if ((rc = ermes__store_begin(r->st)))
        goto done;
    /* Still news inside the transaction: another process (an import by the CLI, the daemon
     * matching assets just created) may have warned of the same (asset, CVE) since it was
     * matched; write transactions are serialised, so each is warned of once. */
    if (!(kept = ermes__calloc(n, sizeof(*kept)))) {
        rc = ERMES_ENOMEM;
        ermes__store_rollback(r->st);
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        int known = 0, warned_kev = 0;
        if ((rc = ermes__store_asset_vuln_state(r->st, r->assets.v[items[k].asset].id,
                                                r->infos[items[k].vuln].id, &known, &warned_kev)))
            break;
        if (!known || (items[k].kev && !warned_kev))
            kept[nkept++] = items[k];
    }
    if (rc || !nkept) {
        ermes__store_rollback(r->st);
        goto done;
    }
    items = kept;
    n = nkept;
    {
        const char *feeds[1] = {"vulnerabilities"}, *types[1] = {"vulnerable"};
        note.org_id = items[0].org_id;
        snprintf(note.group_key, sizeof(note.group_key), "vulnerabilities");
        ermes__notify_language(o->templates_dir, "en", lang, sizeof(lang));
        snprintf(note.language, sizeof(note.language), "%s", lang);
        note.recipients = rcpt_text;
        note.window_start = note.window_end = now;
        note.tlp = ERMES_TLP_AMBER;
        note.owner_org_id = home;
        if (ermes__notify_review_decide(pol, o->review_default, items[0].org_id, feeds, 1, types, 1,
                                        note.approval_reason, sizeof(note.approval_reason))) {
            snprintf(note.approval, sizeof(note.approval), "%s", ERMES_APPROVAL_WAITING);
            stats->for_review++;
        }
    }
    rc = ermes__store_notification_insert(r->st, &note, NULL, 0);
    for (size_t k = 0; !rc && k < n; k++)
        rc = ermes__store_asset_vuln_warned(r->st, r->assets.v[items[k].asset].id,
                                            r->infos[items[k].vuln].id, items[k].kev, note.id,
                                            items[0].org_id, now);
    if (!rc) {
        ermes__notify_message_id(note.reference, note.created_at, o->mail_from, note.message_id,
                                 sizeof(note.message_id));
        rc = render(o, org, note.reference, r, items, n, &subject, &body);
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
    stats->groups++;
    stats->notifications++;
    stats->events += (long)n;
    ermes__log(ERMES_LOG_INFO, "notification %s: %zu asset warnings for %s", note.reference, n,
               org->short_name);
done:
    ermes__free(kept);
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    free(rcpt_text);
    ermes__org_free(org);
    return rc;
}

int ermes__notify_vulns(ermes__store_t *st, const ermes__notify_options_t *o, const int64_t *ids,
                        size_t nids, ermes__notify_stats_t *stats, size_t *matches)
{
    run_t r;
    ermes__vmatch_t *m = NULL;
    ermes__notify_policies_t pol;
    int64_t *all = NULL, home = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    memset(&pol, 0, sizeof(pol));
    r.st = st;
    if (matches)
        *matches = 0;
    if (!ids && (rc = ermes__store_vuln_ids(st, &all, &nids)))
        return rc;
    if (!ids)
        ids = all;
    if ((rc = ermes__notify_assets_load(st, &r.assets)) ||
        (rc = ermes__vmatch_new(r.assets.v, r.assets.n, &m)))
        goto out;
    for (size_t k = 0; k < nids && r.assets.n; k++) {
        ermes__vuln_affects_t a;
        size_t before = r.nnews;
        r.before = before;
        rc = ermes__store_vuln_get(st, ids[k], NULL, load_cb, &r);
        if (rc == ERMES_ENOTFOUND) {
            rc = 0;
            continue;
        }
        /* What another provider marked TLP:RED is for the CERT alone: it warns nobody. */
        if (!rc && r.red)
            ermes__log(ERMES_LOG_INFO, "vulnerability %s is TLP:RED: no warning", r.cur.cve);
        else if (!rc) {
            a.nvd = r.nvd;
            a.cve5 = r.cve5;
            a.kev_vendor = r.kev_vendor_buf;
            a.kev_product = r.kev_product_buf;
            rc = ermes__vmatch_run(m, &a, hit_cb, &r);
            /* Every provider's document on it (several CSAF providers may speak of one CVE,
             * each of its own products); the latest alone when none is kept apart (a row
             * written before migration 57 and not filled by it). */
            json_t *docs = json_array();
            if (!rc && !docs)
                rc = ERMES_ENOMEM;
            if (!rc)
                rc = ermes__store_vuln_csaf_each(st, ids[k], statement_cb, docs);
            if (!rc && json_array_size(docs) == 0 && r.csaf)
                rc = ermes__csaf_match(m, r.csaf, csaf_hit_cb, &r, NULL);
            for (size_t d = 0; !rc && d < json_array_size(docs); d++)
                rc = ermes__csaf_match(m, json_array_get(docs, d), csaf_hit_cb, &r, NULL);
            json_decref(docs);
        }
        json_decref(r.nvd);
        json_decref(r.cve5);
        json_decref(r.csaf);
        r.nvd = r.cve5 = r.csaf = NULL;
        ermes__free(r.kev_vendor_buf);
        ermes__free(r.kev_product_buf);
        r.kev_vendor_buf = r.kev_product_buf = NULL;
        if (!rc && r.nnews > before) {
            /* Keep what the text says of the vulnerability. */
            if (r.ninfos == r.capinfos) {
                size_t cap = r.capinfos ? r.capinfos * 2 : 64;
                vuln_info_t *p = ermes__reallocarray(r.infos, cap, sizeof(*p));
                if (!p)
                    rc = ERMES_ENOMEM;
                else {
                    r.infos = p;
                    r.capinfos = cap;
                }
            }
            if (!rc) {
                r.infos[r.ninfos++] = r.cur;
                memset(&r.cur, 0, sizeof(r.cur));
            }
        }
        info_cleanup(&r.cur);
        memset(&r.cur, 0, sizeof(r.cur));
        if (rc)
            goto out;
    }
    if (matches)
        *matches = r.nnews;
    if (!r.nnews)
        goto out;
    qsort(r.news, r.nnews, sizeof(*r.news), news_cmp);
    ermes__store_home_org(st, &home);
    if ((rc = ermes__notify_policies_load(st, &pol)))
        goto out;
    for (size_t k = 0; k < r.nnews;) {
        size_t j = k;
        while (j < r.nnews && r.news[j].org_id == r.news[k].org_id)
            j++;
        if ((rc = warn_org(&r, o, r.news + k, j - k, home, &pol, stats)))
            goto out;
        k = j;
    }
out:
    ermes__notify_policies_cleanup(&pol);
    for (size_t k = 0; k < r.ninfos; k++)
        info_cleanup(&r.infos[k]);
    ermes__free(r.infos);
    ermes__free(r.news);
    ermes__notify_assets_cleanup(&r.assets);
    ermes__vmatch_free(m);
    ermes__free(all);
    return rc;
}

static int csv_field(ermes__strbuf_t *out, const char *s, int last)
{
    int rc = ermes__strbuf_addf(out, "\"");
    for (; !rc && s && *s; s++)
        rc = *s == '"' ? ermes__strbuf_addf(out, "\"\"") : ermes__strbuf_addf(out, "%c", *s);
    return rc ? rc : ermes__strbuf_addf(out, last ? "\"\r\n" : "\",");
}

static int csv_cb(void *ctx, const ermes__asset_t *a, const ermes__asset_vuln_t *av)
{
    ermes__strbuf_t *out = ctx;
    char id[24];
    int rc;

    snprintf(id, sizeof(id), "%lld", (long long)a->id);
    if (!(rc = csv_field(out, av->cve_id, 0)) && !(rc = csv_field(out, id, 0)) &&
        !(rc = csv_field(out, a->name, 0)) && !(rc = csv_field(out, a->cpe, 0)) &&
        !(rc = csv_field(out, a->purl, 0)) && !(rc = csv_field(out, a->vendor, 0)) &&
        !(rc = csv_field(out, a->product, 0)) && !(rc = csv_field(out, a->version, 0)) &&
        !(rc = csv_field(out, av->warned_kev ? "yes" : "no", 0)))
        rc = csv_field(out, av->status, 1);
    return rc;
}

int ermes__notify_vulns_csv(ermes__store_t *st, int64_t id, ermes__strbuf_t *out, int *any)
{
    size_t before;
    int rc;

    *any = 0;
    ermes__strbuf_reset(out);
    if ((rc = ermes__strbuf_addf(out, "cve,asset_id,name,cpe,purl,vendor,product,version,kev,"
                                      "status\r\n")))
        return rc;
    before = out->len;
    rc = ermes__store_notification_vulns(st, id, csv_cb, out);
    *any = out->len > before;
    return rc;
}
