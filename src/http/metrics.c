/* Prometheus metrics (text exposition format 0.0.4): request counts by method and status,
 * request durations, open connections, and the registry's sizes. */
#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http.h"
#include "http/page_cache.h"

static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "other"};
#define NMETHODS 7
#define NSTATUS 600
/* Histogram bucket bounds in seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
#define NBOUNDS 10

struct ermes__metrics {
    atomic_ullong requests[NMETHODS][NSTATUS];
    atomic_ullong buckets[NBOUNDS + 1];
    atomic_ullong duration_ns_sum;
    atomic_ullong duration_count;
    atomic_llong connections;
};

int ermes__metrics_new(struct ermes__metrics **out)
{
    struct ermes__metrics *m = ermes__calloc(1, sizeof(*m));

    if (!m)
        return ERMES_ENOMEM;
    *out = m;
    return 0;
}

void ermes__metrics_free(struct ermes__metrics *m)
{
    ermes__free(m);
}

void ermes__metrics_request(struct ermes__metrics *m, const char *method, unsigned status,
                            int64_t duration_ns)
{
    size_t k, b;

    for (k = 0; k < NMETHODS - 1; k++)
        if (strcmp(methods[k], method) == 0)
            break;
    if (status >= NSTATUS)
        status = 0;
    atomic_fetch_add_explicit(&m->requests[k][status], 1, memory_order_relaxed);
    for (b = 0; b < NBOUNDS; b++)
        if ((double)duration_ns / 1e9 <= bounds[b])
            break;
    atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->duration_ns_sum,
                              (unsigned long long)(duration_ns > 0 ? duration_ns : 0),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&m->duration_count, 1, memory_order_relaxed);
}

void ermes__metrics_connection(struct ermes__metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->connections, delta, memory_order_relaxed);
}

int ermes__metrics_render(ermes__server_t *srv, ermes__strbuf_t *b)
{
    struct ermes__metrics *m = srv->metrics;
    static const char *const counted[] = {"organisations", "contacts", "networks", "asns",
                                          "domains",       "users",    "tokens",   "audit"};
    unsigned long long cum = 0;
    ermes_ownership_t *idx;
    ermes_ownership_stats_t os;
    int rc = 0;

    rc |= ermes__strbuf_adds(b, "# HELP ermes_http_requests_total HTTP requests answered.\n"
                                "# TYPE ermes_http_requests_total counter\n");
    for (size_t k = 0; k < NMETHODS; k++)
        for (unsigned s = 0; s < NSTATUS; s++) {
            unsigned long long v = atomic_load_explicit(&m->requests[k][s], memory_order_relaxed);
            if (v)
                rc |= ermes__strbuf_addf(
                    b, "ermes_http_requests_total{method=\"%s\",code=\"%u\"} %llu\n", methods[k], s,
                    v);
        }
    rc |= ermes__strbuf_adds(b, "# HELP ermes_http_request_duration_seconds Time to answer.\n"
                                "# TYPE ermes_http_request_duration_seconds histogram\n");
    for (size_t k = 0; k < NBOUNDS; k++) {
        cum += atomic_load_explicit(&m->buckets[k], memory_order_relaxed);
        rc |= ermes__strbuf_addf(b, "ermes_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                                 bounds[k], cum);
    }
    cum += atomic_load_explicit(&m->buckets[NBOUNDS], memory_order_relaxed);
    rc |= ermes__strbuf_addf(b, "ermes_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                             cum);
    rc |= ermes__strbuf_addf(b, "ermes_http_request_duration_seconds_sum %.6f\n",
                             (double)atomic_load(&m->duration_ns_sum) / 1e9);
    rc |= ermes__strbuf_addf(b, "ermes_http_request_duration_seconds_count %llu\n",
                             atomic_load(&m->duration_count));
    rc |= ermes__strbuf_addf(b,
                             "# HELP ermes_http_connections Open HTTP connections.\n"
                             "# TYPE ermes_http_connections gauge\n"
                             "ermes_http_connections %lld\n",
                             (long long)atomic_load(&m->connections));
    rc |= ermes__strbuf_adds(b, "# HELP ermes_registry_objects Stored registry objects.\n"
                                "# TYPE ermes_registry_objects gauge\n");
    for (size_t k = 0; k < sizeof(counted) / sizeof(counted[0]); k++) {
        int64_t n = 0;
        if (ermes__store_count(srv->store, counted[k], &n) == 0)
            rc |= ermes__strbuf_addf(b, "ermes_registry_objects{kind=\"%s\"} %lld\n", counted[k],
                                     (long long)n);
    }
    {
        size_t pages, bytes;
        uint64_t hits;
        ermes__page_cache_stats(srv->page_cache, &pages, &bytes, &hits);
        rc |= ermes__strbuf_addf(
            b,
            "# HELP ermes_taxii_page_cache_pages Rendered TAXII pages kept.\n"
            "# TYPE ermes_taxii_page_cache_pages gauge\nermes_taxii_page_cache_pages %zu\n"
            "# HELP ermes_taxii_page_cache_bytes Memory of the rendered TAXII pages kept.\n"
            "# TYPE ermes_taxii_page_cache_bytes gauge\nermes_taxii_page_cache_bytes %zu\n"
            "# HELP ermes_taxii_page_cache_hits_total TAXII pages served as kept.\n"
            "# TYPE ermes_taxii_page_cache_hits_total counter\n"
            "ermes_taxii_page_cache_hits_total %llu\n"
            "# HELP ermes_taxii_page_cache_bytes_max Most memory the rendered TAXII pages kept "
            "may take (taxii_page_cache).\n"
            "# TYPE ermes_taxii_page_cache_bytes_max gauge\nermes_taxii_page_cache_bytes_max %zu\n",
            pages, bytes, (unsigned long long)hits, srv->page_cache_max);
    }
    idx = ermes__registry_ownership(srv->registry);
    if (idx) {
        ermes_ownership_stats(idx, &os);
        rc |= ermes__strbuf_addf(b,
                                 "# HELP ermes_ownership_index_bytes Memory of the ownership "
                                 "index.\n# TYPE ermes_ownership_index_bytes gauge\n"
                                 "ermes_ownership_index_bytes %zu\n",
                                 os.bytes);
        ermes_ownership_release(idx);
    }
    return rc ? ERMES_ENOMEM : 0;
}
