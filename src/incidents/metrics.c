/* Reaction-time metrics (incidents.h): the milestones of each incident (each the time of the
 * timeline entry that reached it) less its creation, grouped by period, constituent and RSIT
 * class, as median and 90th percentile, with the SLA compliance of each target. They read the
 * measures each incident keeps (measure.c: the durations and the SLA states, recomputable
 * from the timeline) through one index, not the incidents and their clocks; the durations in
 * wall-clock time or, basis "business", in business hours of the constituent's calendar with
 * the time waiting on it left out (their own index). Definitions:
 * ../shared/reference/incidents.md section 6.1 (time to acknowledge: the first response of the
 * CERT's people, a public comment, an assignment or a status change; to triage: leaving new
 * and triage; to notify: the first notification linked; to contain: contained, or resolved
 * without it; to resolve: resolved or closed). */
#include "incidents/incidents.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/text.h"
#include "core/time.h"

#define METRICS ERMES_INCIDENT_METRICS
static const char *const metric_names[METRICS] = {"time_to_acknowledge", "time_to_triage",
                                                  "time_to_notify", "time_to_contain",
                                                  "time_to_resolve"};
#define TARGETS ERMES_INCIDENT_SLA_TARGETS /* first_response, containment, resolution */
static const char *const target_names[TARGETS] = {"first_response", "containment", "resolution"};
#define MAX_GROUPS 100000
#define MAX_NAMES 4096 /* distinct periods, and distinct RSIT classes, in one answer */
#define DAY_MS ((int64_t)86400 * 1000)

/* A group's durations of one metric: a slice of the one buffer all groups share (made after
 * the scan), so that a year's metrics cost one allocation, not one per group and metric. */
struct series {
    int64_t *v;
    size_t n;
};

/* A duration as the scan meets it: its group and metric, placed in its slice afterwards. */
struct sample {
    uint32_t group;
    uint32_t metric;
    int64_t v;
};

/* A group is keyed by numbers (the period's and the class's place in their lists, the
 * constituent's id): no string is built or compared per incident; the constituents' names are
 * read once per constituent after the scan. */
struct group {
    uint32_t period, cls;
    int64_t org_id;
    const char *org; /* set after the scan */
    int64_t incidents;
    struct series s[METRICS];
    int64_t met[TARGETS], missed[TARGETS], late[TARGETS];
};

/* Names met in the scan (periods, classes), each kept once. */
struct names {
    char (*v)[ERMES_INCIDENT_NAME_MAX + 1];
    size_t n, cap, last;
};

struct org_name {
    int64_t id;
    char name[ERMES_INCIDENT_NAME_MAX + 1];
};

#define GROUP_SLOTS (MAX_GROUPS * 2)

struct metrics_ctx {
    const char *period, *by;
    int64_t now;
    struct group *g;
    size_t n, cap;
    size_t last;
    uint32_t *index; /* GROUP_SLOTS slots: a group's number + 1, 0 when free */
    int by_org, by_class;
    int period_day_set;
    int64_t period_day; /* the UTC day (ms) the current period was found for */
    uint32_t period_no;
    struct names periods, classes;
    struct org_name *orgs;
    size_t norgs;
    struct sample *samples;
    size_t nsamples, samples_cap;
    int64_t *values; /* every series' values, group by group */
};

/* The number of name s in list l, added when new; -1 when the list is full or memory is out.
 * The last one found is tried first: the scan meets the same period and class in runs. */
static int64_t name_no(struct names *l, const char *s)
{
    if (l->n && strcmp(l->v[l->last], s) == 0)
        return (int64_t)l->last;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return (int64_t)(l->last = i);
    if (l->n == MAX_NAMES)
        return -1;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = realloc(l->v, cap * sizeof(*l->v));
        if (!p)
            return -1;
        l->v = p;
        l->cap = cap;
    }
    snprintf(l->v[l->n], sizeof(l->v[l->n]), "%s", s);
    return (int64_t)(l->last = l->n++);
}

static uint32_t hash3(uint32_t a, uint32_t b, int64_t c)
{
    uint64_t h = 1469598103934665603ull;

    h = (h ^ a) * 1099511628211ull;
    h = (h ^ b) * 1099511628211ull;
    h = (h ^ (uint64_t)c) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

static int sample_add(struct metrics_ctx *c, size_t group, int metric, int64_t v)
{
    if (c->nsamples == c->samples_cap) {
        size_t cap = c->samples_cap ? c->samples_cap * 2 : 4096;
        struct sample *p = realloc(c->samples, cap * sizeof(*p));
        if (!p)
            return ERMES_ENOMEM;
        c->samples = p;
        c->samples_cap = cap;
    }
    c->samples[c->nsamples++] = (struct sample){(uint32_t)group, (uint32_t)metric, v};
    c->g[group].s[metric].n++;
    return 0;
}

/* Gives each series its slice of one buffer (sized by the counts the scan kept) and moves the
 * samples there. */
static int place_samples(struct metrics_ctx *c)
{
    size_t at = 0;

    if (!c->nsamples)
        return 0;
    if (!(c->values = malloc(c->nsamples * sizeof(*c->values))))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        for (int m = 0; m < METRICS; m++) {
            c->g[i].s[m].v = c->values + at;
            at += c->g[i].s[m].n;
            c->g[i].s[m].n = 0;
        }
    for (size_t k = 0; k < c->nsamples; k++) {
        struct series *s = &c->g[c->samples[k].group].s[c->samples[k].metric];
        s->v[s->n++] = c->samples[k].v;
    }
    free(c->samples);
    c->samples = NULL;
    return 0;
}

static void period_of(int64_t ms, const char *period, char *out, size_t cap)
{
    char t[ERMES_TIME_STRLEN];

    ermes__time_format(ms, t);
    if (strcmp(period, "day") == 0)
        snprintf(out, cap, "%.10s", t);
    else if (strcmp(period, "month") == 0)
        snprintf(out, cap, "%.7s", t);
    else if (strcmp(period, "year") == 0)
        snprintf(out, cap, "%.4s", t);
    else
        snprintf(out, cap, "all");
}

static struct group *group_of(struct metrics_ctx *c, const ermes__incident_measure_row_t *r)
{
    int64_t org_id = 0, cls = 0;

    /* The period is a function of the UTC day: found once per day met, not per incident. */
    if (!c->period_day_set || r->created_at < c->period_day ||
        r->created_at - c->period_day >= DAY_MS) {
        char text[16];
        int64_t no;
        c->period_day = r->created_at - (r->created_at % DAY_MS + DAY_MS) % DAY_MS;
        c->period_day_set = 1;
        period_of(r->created_at, c->period, text, sizeof(text));
        if ((no = name_no(&c->periods, text)) < 0)
            return NULL;
        c->period_no = (uint32_t)no;
    }
    if (c->by_org)
        org_id = r->org_id;
    if (c->by_class && (cls = name_no(&c->classes, r->rsit_class[0] ? r->rsit_class : "-")) < 0)
        return NULL;
    if (c->n) {
        struct group *g = &c->g[c->last];
        if (g->period == c->period_no && g->cls == (uint32_t)cls && g->org_id == org_id)
            return g;
    }
    uint32_t slot = hash3(c->period_no, (uint32_t)cls, org_id) % GROUP_SLOTS;
    while (c->index[slot]) {
        struct group *g = &c->g[c->index[slot] - 1];
        if (g->period == c->period_no && g->cls == (uint32_t)cls && g->org_id == org_id)
            return &c->g[c->last = c->index[slot] - 1];
        slot = (slot + 1) % GROUP_SLOTS;
    }
    if (c->n == MAX_GROUPS)
        return NULL;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct group *p = realloc(c->g, cap * sizeof(*p));
        if (!p)
            return NULL;
        c->g = p;
        c->cap = cap;
    }
    memset(&c->g[c->n], 0, sizeof(c->g[c->n]));
    c->g[c->n].period = c->period_no;
    c->g[c->n].cls = (uint32_t)cls;
    c->g[c->n].org_id = org_id;
    c->last = c->n;
    c->index[slot] = (uint32_t)c->n + 1;
    return &c->g[c->n++];
}

static int measure_cb(void *ctx, const ermes__incident_measure_row_t *r)
{
    struct metrics_ctx *c = ctx;
    struct group *g = group_of(c, r);
    int rc;

    if (!g)
        return ERMES_ENOMEM;
    g->incidents++;
    for (int i = 0; i < METRICS; i++)
        if (r->m.has[i] && (rc = sample_add(c, (size_t)(g - c->g), i, r->m.ms[i])))
            return rc;
    for (int i = 0; i < TARGETS; i++) {
        ermes__deadline_state_t s;
        if (!r->m.sla_applies[i])
            continue;
        s = ermes__incident_sla_state(r->m.sla[i], c->now);
        g->met[i] += s == ERMES_DEADLINE_MET;
        g->missed[i] += s == ERMES_DEADLINE_MISSED;
        g->late[i] += s == ERMES_DEADLINE_LATE;
    }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = ((const struct org_name *)a)->id, y = ((const struct org_name *)b)->id;

    return x < y ? -1 : x > y;
}

/* Each group's constituent name ("-" for none, or one no longer stored), read once per
 * constituent. */
static int name_orgs(ermes__store_t *st, struct metrics_ctx *c)
{
    size_t k = 0;
    int rc;

    if (!c->by_org || !c->n)
        return 0;
    if (!(c->orgs = malloc(c->n * sizeof(*c->orgs))))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        c->orgs[i].id = c->g[i].org_id;
    qsort(c->orgs, c->n, sizeof(*c->orgs), cmp_id);
    for (size_t i = 0; i < c->n; i++) {
        if (k && c->orgs[k - 1].id == c->orgs[i].id)
            continue;
        c->orgs[k].id = c->orgs[i].id;
        rc = c->orgs[k].id ? ermes__store_org_short_name(st, c->orgs[k].id, c->orgs[k].name,
                                                         sizeof(c->orgs[k].name))
                           : ERMES_ENOTFOUND;
        if (rc == ERMES_ENOTFOUND || (!rc && !c->orgs[k].name[0]))
            snprintf(c->orgs[k].name, sizeof(c->orgs[k].name), "-");
        else if (rc)
            return rc;
        k++;
    }
    c->norgs = k;
    for (size_t i = 0; i < c->n; i++) {
        struct org_name key = {.id = c->g[i].org_id}, *o;
        o = bsearch(&key, c->orgs, c->norgs, sizeof(*c->orgs), cmp_id);
        c->g[i].org = o ? o->name : "-";
    }
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The nearest-rank index (0-based) of percentile p (0..100) in n values. */
static size_t rank_of(size_t n, int p)
{
    size_t rank = (n * (size_t)p + 99) / 100;

    return rank < 1 ? 0 : rank - 1;
}

/* Puts the k-th smallest of v[lo, hi) at v[k], the smaller before it and the larger after:
 * Hoare's selection with a median of three, O(n) on average instead of a sort's O(n log n);
 * past a depth where the input looks made to defeat it, the range is sorted instead. */
static void select_kth(int64_t *v, size_t lo, size_t hi, size_t k)
{
    int depth = 0;

    for (size_t n = hi - lo; n > 1; n >>= 1)
        depth += 2;
    while (hi - lo > 16) {
        if (depth-- == 0) {
            qsort(v + lo, hi - lo, sizeof(*v), cmp64);
            return;
        }
        size_t mid = lo + (hi - lo) / 2;
        int64_t a = v[lo], b = v[mid], c = v[hi - 1], pivot, t;
        pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            t = v[i];
            v[i] = v[j];
            v[j] = t;
            i++;
            j--;
        }
        /* v[lo, j] <= pivot <= v[j + 1, hi) */
        if (k <= j)
            hi = j + 1;
        else
            lo = j + 1;
    }
    qsort(v + lo, hi - lo, sizeof(*v), cmp64);
}

/* The value at rank k of the series after select_kth put it there, in whole seconds
 * (rounded). */
static json_int_t seconds_at(const struct series *s, size_t k)
{
    return (json_int_t)((s->v[k] + 500) / 1000);
}

/* met / (met + missed + late); -1 when nothing was due yet. */
static double rate(int64_t met, int64_t missed, int64_t late)
{
    int64_t all = met + missed + late;

    return all ? (double)met / (double)all : -1;
}

/* Sets key (one of this file's constant names, so not checked again) to v, which it takes;
 * counts a failure (v NULL: out of memory) in *bad. */
static void set(json_t *o, const char *key, json_t *v, int *bad)
{
    if (!v || json_object_set_new_nocheck(o, key, v))
        (*bad)++;
}

static json_t *seconds_or_null(const struct series *s, size_t k)
{
    return s->n ? json_integer(seconds_at(s, k)) : json_null();
}

/* A group's JSON, built member by member (a year by constituent and class is some ten thousand
 * groups of a dozen objects each: no format string parsed, no key checked, per member). */
static json_t *group_json(const struct metrics_ctx *c, struct group *g, const char *by)
{
    json_t *j = json_object(), *sla = json_object(), *x;
    int64_t met = 0, all = 0;
    int bad = 0;

    if (!j || !sla) {
        json_decref(j);
        json_decref(sla);
        return NULL;
    }
    set(j, "period", json_string(c->periods.v[g->period]), &bad);
    if (strcmp(by, "constituent") == 0 || strcmp(by, "both") == 0)
        set(j, "constituent", json_string(g->org), &bad);
    if (strcmp(by, "rsit_class") == 0 || strcmp(by, "both") == 0)
        set(j, "rsit_class", json_string(c->classes.v[g->cls]), &bad);
    set(j, "incidents", json_integer(g->incidents), &bad);
    for (int i = 0; i < METRICS; i++) {
        struct series *s = &g->s[i];
        size_t k50 = rank_of(s->n, 50), k90 = rank_of(s->n, 90);
        /* The median first; the 90th percentile is then among the values after it. */
        if (s->n > 1) {
            select_kth(s->v, 0, s->n, k50);
            if (k90 > k50)
                select_kth(s->v, k50 + 1, s->n, k90);
        }
        if (!(x = json_object())) {
            bad++;
            continue;
        }
        set(x, "count", json_integer((json_int_t)s->n), &bad);
        set(x, "median_seconds", seconds_or_null(s, k50), &bad);
        set(x, "p90_seconds", seconds_or_null(s, k90), &bad);
        set(j, metric_names[i], x, &bad);
    }
    for (int i = 0; i < TARGETS; i++) {
        double r = rate(g->met[i], g->missed[i], g->late[i]);
        if (!(x = json_object())) {
            bad++;
            continue;
        }
        set(x, "met", json_integer((json_int_t)g->met[i]), &bad);
        set(x, "missed", json_integer((json_int_t)g->missed[i]), &bad);
        set(x, "late", json_integer((json_int_t)g->late[i]), &bad);
        set(x, "rate", r < 0 ? json_null() : json_real(r), &bad);
        set(sla, target_names[i], x, &bad);
        met += g->met[i];
        all += g->met[i] + g->missed[i] + g->late[i];
    }
    set(sla, "compliance_rate", all ? json_real((double)met / (double)all) : json_null(), &bad);
    set(j, "sla", sla, &bad);
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* One CSV cell: quoted when it holds a comma, quote or line end; a leading formula character
 * guarded by a single quote (OWASP). */
static int csv_cell(ermes__strbuf_t *b, const char *s, int last)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL, rc = 0;

    if (quote)
        rc |= ermes__strbuf_addc(b, '"');
    if (ermes__csv_cell_is_formula(s, strlen(s)))
        rc |= ermes__strbuf_addc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            rc |= ermes__strbuf_addc(b, '"');
        rc |= ermes__strbuf_addc(b, *p);
    }
    if (quote)
        rc |= ermes__strbuf_addc(b, '"');
    rc |= ermes__strbuf_addc(b, last ? '\n' : ',');
    return rc ? ERMES_ENOMEM : 0;
}

static int csv_number(ermes__strbuf_t *b, const json_t *v, int last)
{
    char buf[64];

    if (json_is_integer(v))
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
    else
        buf[0] = '\0';
    return csv_cell(b, buf, last);
}

static int to_csv(const json_t *groups, char **out)
{
    ermes__strbuf_t b;
    size_t i;
    json_t *g;
    int rc = 0;

    ermes__strbuf_init(&b, (size_t)256 << 20);
    rc |= ermes__strbuf_adds(&b, "period,constituent,rsit_class,incidents");
    for (int m = 0; m < METRICS; m++)
        rc |= ermes__strbuf_addf(&b, ",%s_count,%s_median_seconds,%s_p90_seconds", metric_names[m],
                                 metric_names[m], metric_names[m]);
    for (int t = 0; t < TARGETS; t++)
        rc |=
            ermes__strbuf_addf(&b, ",sla_%s_met,sla_%s_missed,sla_%s_late,sla_%s_rate",
                               target_names[t], target_names[t], target_names[t], target_names[t]);
    rc |= ermes__strbuf_adds(&b, ",sla_compliance_rate\n");
    json_array_foreach(groups, i, g)
    {
        const json_t *org = json_object_get(g, "constituent"),
                     *cls = json_object_get(g, "rsit_class");
        const json_t *sla = json_object_get(g, "sla");
        rc |= csv_cell(&b, json_string_value(json_object_get(g, "period")), 0);
        rc |= csv_cell(&b, org ? json_string_value(org) : "", 0);
        rc |= csv_cell(&b, cls ? json_string_value(cls) : "", 0);
        rc |= csv_number(&b, json_object_get(g, "incidents"), 0);
        for (int m = 0; m < METRICS; m++) {
            const json_t *x = json_object_get(g, metric_names[m]);
            rc |= csv_number(&b, json_object_get(x, "count"), 0);
            rc |= csv_number(&b, json_object_get(x, "median_seconds"), 0);
            rc |= csv_number(&b, json_object_get(x, "p90_seconds"), 0);
        }
        for (int t = 0; t < TARGETS; t++) {
            const json_t *x = json_object_get(sla, target_names[t]);
            rc |= csv_number(&b, json_object_get(x, "met"), 0);
            rc |= csv_number(&b, json_object_get(x, "missed"), 0);
            rc |= csv_number(&b, json_object_get(x, "late"), 0);
            rc |= csv_number(&b, json_object_get(x, "rate"), 0);
        }
        rc |= csv_number(&b, json_object_get(sla, "compliance_rate"), 1);
    }
    if (rc) {
        ermes__strbuf_cleanup(&b);
        return ERMES_ENOMEM;
    }
    *out = ermes__strbuf_take(&b, NULL);
    return *out ? 0 : ERMES_ENOMEM;
}

int ermes__incident_metrics(ermes__store_t *st, const ermes__viewer_t *v, int64_t from, int64_t to,
                            const char *period, const char *by, int64_t now, json_t **json,
                            char **csv, ermes_diag_t *d)
{
    return ermes__incident_metrics_on(st, v, from, to, period, by, "wall", now, json, csv, d);
}

int ermes__incident_metrics_on(ermes__store_t *st, const ermes__viewer_t *v, int64_t from,
                               int64_t to, const char *period, const char *by, const char *basis,
                               int64_t now, json_t **json, char **csv, ermes_diag_t *d)
{
    struct metrics_ctx c;
    json_t *out = NULL, *groups = NULL;
    char t[ERMES_TIME_STRLEN];
    int rc;

    if (json)
        *json = NULL;
    if (csv)
        *csv = NULL;
    if (strcmp(period, "day") != 0 && strcmp(period, "month") != 0 && strcmp(period, "year") != 0 &&
        strcmp(period, "all") != 0) {
        ermes_diag_set(d, "period", "period must be day, month, year or all");
        return ERMES_EINVAL;
    }
    if (strcmp(by, "constituent") != 0 && strcmp(by, "rsit_class") != 0 &&
        strcmp(by, "both") != 0 && strcmp(by, "none") != 0) {
        ermes_diag_set(d, "by", "by must be constituent, rsit_class, both or none");
        return ERMES_EINVAL;
    }
    if (strcmp(basis, "wall") != 0 && strcmp(basis, "business") != 0) {
        ermes_diag_set(d, "basis", "basis must be wall or business");
        return ERMES_EINVAL;
    }
    memset(&c, 0, sizeof(c));
    /* Incidents stored before their measures were kept (migration 49), or whose SLA policy or
     * calendar changed since, are measured first: after that, a scan of the index. */
    if ((rc = ermes__incident_measure_pending(st, 0, NULL)))
        return rc;
    if (!(c.index = calloc(GROUP_SLOTS, sizeof(*c.index))))
        return ERMES_ENOMEM;
    c.period = period;
    c.by = by;
    c.by_org = strcmp(by, "constituent") == 0 || strcmp(by, "both") == 0;
    c.by_class = strcmp(by, "rsit_class") == 0 || strcmp(by, "both") == 0;
    c.now = now;
    /* Merged incidents are counted in their survivor. */
    rc = ermes__store_incident_measures_each(st, v, from, to, strcmp(basis, "business") == 0,
                                             measure_cb, &c);
    if (rc || (rc = place_samples(&c)) || (rc = name_orgs(st, &c)))
        goto out;
    if (!(out = json_object()) || !(groups = json_array())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    /* Oldest period first, as the store reads them. */
    for (size_t i = 0; i < c.n; i++) {
        json_t *g = group_json(&c, &c.g[i], by);
        if (!g || json_array_append_new(groups, g)) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    if (from)
        ermes__time_format(from, t);
    json_object_set_new(out, "from", from ? json_string(t) : json_null());
    if (to)
        ermes__time_format(to, t);
    json_object_set_new(out, "to", to ? json_string(t) : json_null());
    json_object_set_new(out, "period", json_string(period));
    json_object_set_new(out, "by", json_string(by));
    json_object_set_new(out, "basis", json_string(basis));
    if (csv && (rc = to_csv(groups, csv)))
        goto out;
    json_object_set_new(out, "groups", groups);
    groups = NULL;
    if (json) {
        *json = out;
        out = NULL;
    }
out:
    free(c.samples);
    free(c.values);
    free(c.g);
    free(c.index);
    free(c.periods.v);
    free(c.classes.v);
    free(c.orgs);
    json_decref(groups);
    json_decref(out);
    return rc;
}
