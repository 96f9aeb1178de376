/* A collector of feed misp-feed: its url is a MISP feed's directory (manifest.json, one
 * <uuid>.json per event: what MISP, CIRCL's OSINT feed and ermes's /feeds/misp/GROUP/
 * publish), read at each run through the code of `ermes misp import-feed`
 * (src/sharing/misp_feed.c): the manifest, then only the events whose manifest timestamp is
 * newer than the one recorded for that feed in the database, each imported as MISP event JSON
 * into indicators. The run happens under the collector's lease (collect.c's run_one), with the
 * collector's header lines (sealed at rest for a stored collector), limits and stop flag. */
#include "intake/collect.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/config_live.h"
#include "core/log.h"
#include "indicators/warninglists.h"
#include "sharing/misp_feed.h"

typedef struct wl_ctx {
    const ermes__config_t *cfg;
    ermes__store_t *store;
    const int *stop;
    ermes__wl_catalog_t cat;
} wl_ctx_t;

/* The warninglists in force, as the daemon applies them to what the API adds. */
static int load_wls(void *arg, ermes_warninglist_t *const **wls, size_t *nwl, ermes_diag_t *d)
{
    wl_ctx_t *w = arg;
    const ermes__config_t *live = ermes__live_acquire(w->cfg);
    int rc = ermes__wl_catalog_load_until(live->data_dir, live->warninglists,
                                          live->warninglists_off, w->store, w->stop, &w->cat, d);

    ermes__live_release(live);
    if (rc) {
        if (!d->reason[0])
            ermes_diag_set(d, NULL, "the warninglists cannot be read: %s", ermes_strerror(rc));
        return rc;
    }
    *wls = w->cat.active;
    *nwl = w->cat.nactive;
    return 0;
}

int ermes__collect_misp_run(const ermes__config_t *cfg, ermes__store_t *st, int64_t home_org,
                            const int *stop, const ermes__collector_conf_t *def,
                            ermes__collector_state_t *s, int64_t now)
{
    wl_ctx_t w;
    ermes__misp_feed_opts_t o;
    ermes__viewer_t v;
    ermes_diag_t d;
    json_t *rep = NULL;
    char who[96];
    int rc;

    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.store = st;
    w.stop = stop;
    memset(&o, 0, sizeof(o));
    o.headers = def->nheaders ? def->headers : NULL;
    o.timeout = def->timeout;
    o.connect_timeout = def->connect_timeout;
    o.max_size = (size_t)def->max_size;
    o.stop = stop;
    o.load_wls = load_wls;
    o.wls_ctx = &w;
    /* What it imports is the CERT's, made by the collector (audited under its name). */
    memset(&v, 0, sizeof(v));
    v.role = ERMES_ROLE_ADMIN;
    v.org_id = home_org;
    snprintf(who, sizeof(who), "collector:%s", def->name);
    v.user_name = who;
    s->runs++;
    s->last_run = now;
    ermes_diag_clear(&d);
    rc = ermes__misp_feed_import_opts(st, &v, def->url, &o, &rep, &d);
    s->http_status = o.http_status;
    if (rc) {
        snprintf(s->status, sizeof(s->status), "error");
        snprintf(s->last_error, sizeof(s->last_error), "%s",
                 d.reason[0] ? d.reason : ermes_strerror(rc));
    } else {
        json_int_t imported = json_integer_value(json_object_get(rep, "imported"));
        json_int_t added = json_integer_value(json_object_get(rep, "added"));
        json_int_t updated = json_integer_value(json_object_get(rep, "updated"));
        json_t *failed = json_object_get(rep, "failed");
        s->reports += imported; /* a MISP collector's "reports" are the events it imported */
        if (added || updated) {
            char detail[240];
            snprintf(detail, sizeof(detail),
                     "{\"format\":\"misp\",\"collector\":\"%s\",\"events\":%lld,"
                     "\"added\":%lld,\"updated\":%lld}",
                     def->name, (long long)imported, (long long)added, (long long)updated);
            ermes__audit_write(st, &v, "import", "indicator", NULL, detail);
        }
        if (json_array_size(failed)) {
            json_t *f = json_array_get(failed, 0);
            snprintf(s->status, sizeof(s->status), "error");
            snprintf(s->last_error, sizeof(s->last_error),
                     "%zu of %lld events failed (tried again next run); first: %.36s: %.150s",
                     json_array_size(failed),
                     (long long)json_integer_value(json_object_get(rep, "manifest_events")),
                     json_string_value(json_object_get(f, "uuid")),
                     json_string_value(json_object_get(f, "reason")));
        } else {
            snprintf(s->status, sizeof(s->status), "%s", imported ? "ok" : "unchanged");
            s->last_error[0] = '\0';
        }
        ermes__log(ERMES_LOG_INFO,
                   "collector %s: MISP feed: %lld events imported, %lld unchanged, %zu failed; "
                   "%lld indicators added, %lld updated",
                   def->name, (long long)imported,
                   (long long)json_integer_value(json_object_get(rep, "unchanged")),
                   json_array_size(failed), (long long)added, (long long)updated);
    }
    json_decref(rep);
    ermes__wl_catalog_free(&w.cat);
    return 0;
}
