/* The daemon's scheduled sync of vulnerability intelligence (see vuln_sync.h). A thread of its
 * own: a download of NVD can take minutes and must not hold up the daemon's main loop. */
#include "daemon/vuln_sync.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advisories/csaf_import.h"
#include "advisories/vuln_import.h"
#include "core/alloc.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time.h"
#include "store/vulns.h"

struct ermes__vuln_sync {
    ermes__store_t *store;
    const ermes__config_t *cfg;
    const ermes__notify_options_t *o;
    pthread_t thread;
    int stop; /* atomic */
};

/* A refused CSAF document of a csaf=URL source: logged (URL and reason escaped). */
static void refused_log(void *ctx, const char *where, const char *reason)
{
    char w[600], r[600];

    (void)ctx;
    ermes__text_escape_buf(where, strlen(where), w, sizeof(w));
    ermes__text_escape_buf(reason, strlen(reason), r, sizeof(r));
    ermes__log(ERMES_LOG_WARNING, "vuln sync: refused %s: %s", w, r);
}

/* A protected (TLP:AMBER, RED) feed or listing of a csaf=URL source not read (no credentials
 * set for its origin, or refused): logged at each run, as a notice (it is what was asked), and
 * kept for the source's row (ctx: a JSON array, at most SKIPPED_MAX of them), which `ermes
 * vulns sources`, GET /api/v1/vulnerabilities/sources and the UI show. */
#define SKIPPED_MAX 32
static void skipped_log(void *ctx, const char *where, const char *reason)
{
    char w[600], r[600];

    ermes__text_escape_buf(where, strlen(where), w, sizeof(w));
    ermes__text_escape_buf(reason, strlen(reason), r, sizeof(r));
    ermes__log(ERMES_LOG_NOTICE, "vuln sync: skipped %s: %s", w, r);
    /* Escaped as logged: a URL or reason that is not UTF-8 still goes into the JSON. */
    if (ctx && json_array_size(ctx) < SKIPPED_MAX)
        json_array_append_new(ctx, json_pack("{s:s,s:s}", "feed", w, "reason", r));
}

/* A csaf=URL source: the provider's new documents (csaf_import.c), with their warnings. */
static int run_csaf(ermes__store_t *st, const char *url, const ermes__notify_options_t *o,
                    ermes__vuln_import_stats_t *stats, json_t *skipped, ermes_diag_t *d)
{
    ermes__csaf_import_options_t io;
    ermes__csaf_import_stats_t cs;
    int rc;

    memset(&io, 0, sizeof(io));
    io.timeout_s = 30;
    io.max_documents = 100000;
    io.warn = 1;
    io.refused = refused_log;
    io.skipped = skipped_log;
    io.ctx = skipped;
    rc = ermes__csaf_import(st, o, url, &io, &cs, d);
    stats->records = cs.records;
    stats->changed = cs.changed;
    stats->matches = cs.matches;
    stats->notifications = cs.notifications;
    if (!rc && cs.refused)
        ermes_diag_set(d, "document", "%ld document(s) refused (see the log)", cs.refused);
    return rc;
}

/* One source: fetched, imported (with its warnings), recorded and logged. */
static void run_source(ermes__store_t *st, const char *source, const char *url,
                       ermes__vuln_kind_t kind, const ermes__notify_options_t *o, int64_t now)
{
    ermes__vuln_import_stats_t stats;
    ermes__vuln_sync_row_t row;
    ermes_diag_t d;
    char *data = NULL, safe[600], error[400] = "", *skipped_text = NULL;
    json_t *skipped = json_array();
    size_t len = 0;
    int64_t home = 0;
    int rc;

    memset(&stats, 0, sizeof(stats));
    ermes_diag_clear(&d);
    if (kind == ERMES_VULN_CSAF) {
        rc = run_csaf(st, url, o, &stats, skipped, &d);
    } else {
        rc = ermes__vuln_fetch(url, &data, &len, &d);
        if (!rc)
            rc = ermes__vuln_import(st, o, data, len, kind, 1, &stats, &d);
    }
    ermes__free(data);
    ermes__free(stats.ids);
    if (rc)
        snprintf(error, sizeof(error), "%s%s%s", ermes_strerror(rc), d.reason[0] ? ": " : "",
                 d.reason);
    ermes__store_home_org(st, &home);
    row.source = source;
    row.last_run_at = now;
    row.ok = rc == 0;
    row.records = stats.records;
    row.changed = stats.changed;
    row.error = error;
    /* Written at every run, so what a later run read is no longer said skipped. */
    if (json_array_size(skipped))
        skipped_text = json_dumps(skipped, JSON_COMPACT);
    row.skipped = skipped_text ? skipped_text : "";
    if (ermes__store_vuln_sync_put(st, &row, home))
        ermes__log(ERMES_LOG_WARNING, "vuln sync: cannot record the run of a source");
    free(skipped_text);
    json_decref(skipped);
    ermes__text_escape_buf(source, strlen(source), safe, sizeof(safe));
    if (rc) {
        char why[400];
        ermes__text_escape_buf(error, strlen(error), why, sizeof(why));
        ermes__log(ERMES_LOG_WARNING, "vuln sync: %s: %s", safe, why);
    } else {
        ermes__log(ERMES_LOG_NOTICE,
                   "vuln sync: %s: %ld records, %ld changed, %zu new warnings, %ld notifications",
                   safe, stats.records, stats.changed, stats.matches, stats.notifications);
    }
}

int ermes__vuln_sync_round(ermes__store_t *st, const char *sources, int64_t interval_ms,
                           const ermes__notify_options_t *o, const int *stop, int64_t now, int *ran)
{
    const char *p = sources;

    *ran = 0;
    while (p && *p && !(stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[2048], kind_name[16], *eq;
        ermes__vuln_kind_t kind;
        int64_t last = 0;

        while (n && *p == ' ')
            p++, n--;
        if (n && n < sizeof(item)) {
            memcpy(item, p, n);
            item[n] = '\0';
            while (n && item[n - 1] == ' ')
                item[--n] = '\0';
            eq = strchr(item, '=');
            if (!eq || (size_t)(eq - item) >= sizeof(kind_name))
                return ERMES_EINVAL;
            memcpy(kind_name, item, (size_t)(eq - item));
            kind_name[eq - item] = '\0';
            if (ermes__vuln_kind_parse(kind_name, &kind))
                return ERMES_EINVAL;
            if (ermes__store_vuln_sync_last(st, item, &last) == 0 &&
                (last == 0 || now - last >= interval_ms)) {
                run_source(st, item, eq + 1, kind, o, now);
                (*ran)++;
            }
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static void *sync_main(void *arg)
{
    ermes__vuln_sync_t *s = arg;
    int64_t interval = (int64_t)s->cfg->vuln_sync_interval * 1000;

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        struct timespec ts = {0, 250 * 1000000L};
        int held = 0, ran = 0, rc;

        /* One daemon at a time; the record of each source's last run makes the schedule
         * the same whichever daemon holds the lease. */
        if (ermes__store_lease_take(s->store, "vuln-sync", &held) == 0 && held &&
            (rc = ermes__vuln_sync_round(s->store, s->cfg->vuln_sources, interval, s->o, &s->stop,
                                         ermes__time_now_ms(), &ran)))
            ermes__log(ERMES_LOG_WARNING, "vuln sync: vuln_sources is not KIND=URL,...");
        for (int i = 0; i < 4 && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE); i++)
            nanosleep(&ts, NULL);
    }
    return NULL;
}

int ermes__vuln_sync_start(ermes__store_t *st, const ermes__config_t *cfg,
                           const ermes__notify_options_t *o, ermes__vuln_sync_t **out)
{
    ermes__vuln_sync_t *s;

    *out = NULL;
    if (cfg->vuln_sync_interval <= 0 || !cfg->vuln_sources || !*cfg->vuln_sources)
        return 0;
    if (!(s = ermes__calloc(1, sizeof(*s))))
        return ERMES_ENOMEM;
    s->store = st;
    s->cfg = cfg;
    s->o = o;
    if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
        ermes__free(s);
        return ERMES_EINTERNAL;
    }
    *out = s;
    return 0;
}

void ermes__vuln_sync_stop(ermes__vuln_sync_t *s)
{
    if (!s)
        return;
    __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
    pthread_join(s->thread, NULL);
    ermes__free(s);
}
