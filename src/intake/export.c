#include "intake/export.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/number.h"
#include "core/text.h"
#include "core/time.h"

/* The harmonized fields a recipient reads first; everything else of the event is in the
 * last column, "extra", as JSON. */
const char *const ermes__event_csv_columns[] = {"time.source",
                                                "time.observation",
                                                "feed.name",
                                                "classification.taxonomy",
                                                "classification.type",
                                                "classification.identifier",
                                                "source.ip",
                                                "source.port",
                                                "source.asn",
                                                "source.fqdn",
                                                "source.reverse_dns",
                                                "source.url",
                                                "destination.ip",
                                                "destination.port",
                                                "protocol.transport",
                                                "protocol.application",
                                                "malware.name",
                                                "constituency",
                                                "tlp",
                                                NULL};

int ermes__export_format_parse(const char *s, ermes__export_format_t *out)
{
    if (!s || strcmp(s, "json") == 0)
        *out = ERMES_EXPORT_JSON;
    else if (strcmp(s, "ndjson") == 0)
        *out = ERMES_EXPORT_NDJSON;
    else if (strcmp(s, "csv") == 0)
        *out = ERMES_EXPORT_CSV;
    else
        return ERMES_EINVAL;
    return 0;
}

const char *ermes__export_content_type(ermes__export_format_t f)
{
    return f == ERMES_EXPORT_CSV      ? "text/csv; charset=utf-8"
           : f == ERMES_EXPORT_NDJSON ? "application/x-ndjson"
                                      : "application/json";
}

void ermes__event_export_init(ermes__event_export_t *x, ermes__export_format_t format,
                              const ermes__event_filter_t *filter, long limit)
{
    memset(x, 0, sizeof(*x));
    x->format = format;
    x->filter = *filter;
    x->remaining = limit > 0 ? limit : -1;
    ermes__strbuf_init(&x->out, 256u << 20);
}

void ermes__event_export_cleanup(ermes__event_export_t *x)
{
    ermes__strbuf_cleanup(&x->out);
}

/* RFC 4180 quoting, and OWASP's rule against CSV injection: the file is opened by people in
 * spreadsheets, and a feed's value starting with = + - @ tab or CR would be read as a formula,
 * so such a cell gets a single quote in front (and is quoted). */
static int csv_field(ermes__strbuf_t *b, const char *s, size_t n, int last)
{
    int rc = 0, formula = ermes__csv_cell_is_formula(s, n);
    size_t k;

    for (k = 0; k < n; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r')
            break;
    if (k < n || formula) {
        rc |= ermes__strbuf_addc(b, '"');
        if (formula)
            rc |= ermes__strbuf_addc(b, '\'');
        for (k = 0; k < n && !rc; k++)
            rc |= s[k] == '"' ? ermes__strbuf_add(b, "\"\"", 2) : ermes__strbuf_addc(b, s[k]);
        rc |= ermes__strbuf_addc(b, '"');
    } else {
        rc |= ermes__strbuf_add(b, s, n);
    }
    return rc | ermes__strbuf_addc(b, last ? '\n' : ',');
}

int ermes__event_csv_header(ermes__strbuf_t *out)
{
    int rc = ermes__strbuf_adds(out, "id,");

    for (size_t k = 0; ermes__event_csv_columns[k]; k++)
        rc |= csv_field(out, ermes__event_csv_columns[k], strlen(ermes__event_csv_columns[k]), 0);
    return rc | ermes__strbuf_adds(out, "extra\n");
}

int ermes__event_csv_line(const char *json, size_t len, int64_t id, ermes__strbuf_t *out)
{
    json_t *o = json_loadb(json, len, 0, NULL), *rest, *v;
    const char *key;
    char num[64];
    char *text;
    int rc;

    if (!o)
        return ERMES_EPARSE;
    rest = json_object();
    rc = ermes__strbuf_addf(out, "%lld,", (long long)id);
    for (size_t k = 0; ermes__event_csv_columns[k] && !rc; k++) {
        v = json_object_get(o, ermes__event_csv_columns[k]);
        if (json_is_string(v))
            rc = csv_field(out, json_string_value(v), json_string_length(v), 0);
        else if (json_is_integer(v)) {
            int n = snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
            rc = csv_field(out, num, (size_t)n, 0);
        } else if (v) {
            text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            rc = csv_field(out, text ? text : "", text ? strlen(text) : 0, 0);
            free(text);
        } else {
            rc = ermes__strbuf_addc(out, ',');
        }
    }
    json_object_foreach(o, key, v)
    {
        int listed = 0;
        for (size_t k = 0; ermes__event_csv_columns[k]; k++)
            listed |= strcmp(key, ermes__event_csv_columns[k]) == 0;
        if (!listed)
            json_object_set(rest, key, v);
    }
    text = json_dumps(rest, JSON_COMPACT | JSON_SORT_KEYS);
    if (!rc)
        rc = csv_field(out, text ? text : "{}", text ? strlen(text) : 2, 1);
    free(text);
    json_decref(rest);
    json_decref(o);
    return rc;
}

struct chunk_ctx {
    ermes__event_export_t *x;
    int rc;
    ermes__store_t *st;
};

static int chunk_cb(void *arg, const ermes__event_row_t *e)
{
    struct chunk_ctx *c = arg;
    ermes__event_export_t *x = c->x;
    int rc = 0;

    x->filter.after_id = e->id;
    switch (x->format) {
    case ERMES_EXPORT_JSON:
    case ERMES_EXPORT_NDJSON: {
        /* Each record carries the analysts' triage of the event (new until someone triages
         * it), so a list can show and set it: read with the list (ermes__store_event_each),
         * asked for only when a row came without it. The state is one of the schema's fixed
         * words: no escaping needed. */
        char triage[32] = "new";
        if (e->triage) {
            snprintf(triage, sizeof(triage), "%s", e->triage);
        } else {
            int t = ermes__store_triage_get(c->st, "event", e->id, triage, sizeof(triage));
            if (t && t != ERMES_ENOTFOUND)
                return t;
        }
        if (x->format == ERMES_EXPORT_JSON)
            rc |=
                x->count ? ermes__strbuf_add(&x->out, ",\n", 2) : ermes__strbuf_addc(&x->out, '\n');
        rc |= ermes__strbuf_addf(&x->out, "{\"id\":%lld,\"event\":", (long long)e->id);
        rc |= ermes__strbuf_add(&x->out, e->data, e->data_len);
        rc |= ermes__strbuf_addf(&x->out, ",\"triage\":\"%s\"}", triage);
        if (x->format == ERMES_EXPORT_NDJSON)
            rc |= ermes__strbuf_addc(&x->out, '\n');
        break;
    }
    case ERMES_EXPORT_CSV:
        rc = ermes__event_csv_line(e->data, e->data_len, e->id, &x->out);
        break;
    }
    x->count++;
    if (x->remaining > 0)
        x->remaining--;
    return rc ? ERMES_ENOMEM : 0;
}

int ermes__event_export_chunk(ermes__event_export_t *x, ermes__store_t *st,
                              const ermes__viewer_t *v, long rows)
{
    struct chunk_ctx c = {x, 0, st};
    int more = 0, rc = 0;

    if (x->done)
        return 0;
    if (!x->started) {
        x->started = 1;
        if (x->format == ERMES_EXPORT_JSON)
            rc = ermes__strbuf_adds(&x->out, "{\"data\": [");
        else if (x->format == ERMES_EXPORT_CSV)
            rc = ermes__event_csv_header(&x->out);
        if (rc)
            return rc;
    }
    if (x->remaining != 0) {
        x->filter.limit = x->remaining > 0 && x->remaining < rows ? x->remaining : rows;
        rc = ermes__store_event_each(st, v, &x->filter, chunk_cb, &c, &more);
        if (rc)
            return rc;
    }
    if (!more || x->remaining == 0) {
        x->done = 1;
        if (x->format == ERMES_EXPORT_JSON) {
            char tail[64];
            if (more)
                snprintf(tail, sizeof(tail), "\n], \"next_cursor\": \"c%lld\"}\n",
                         (long long)x->filter.after_id);
            else
                snprintf(tail, sizeof(tail), "\n], \"next_cursor\": null}\n");
            rc = ermes__strbuf_adds(&x->out, tail);
        }
    }
    return rc;
}

int ermes__event_filter_parse(ermes__param_fn get, void *ctx, ermes__store_t *st,
                              const ermes__viewer_t *v, ermes__event_filter_t *f, ermes_diag_t *d)
{
    const char *s;

    memset(f, 0, sizeof(*f));
    if ((s = get(ctx, "since")) && ermes__time_parse(s, strlen(s), &f->since, NULL)) {
        ermes_diag_set(d, "since", "since must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
        return ERMES_EINVAL;
    }
    if ((s = get(ctx, "until")) && ermes__time_parse(s, strlen(s), &f->until, NULL)) {
        ermes_diag_set(d, "until", "until must be an RFC 3339 time, e.g. 2026-11-02T00:00:00Z");
        return ERMES_EINVAL;
    }
    if ((s = get(ctx, "org")) && ermes__store_org_resolve(st, v, s, &f->org_id)) {
        ermes_diag_set(d, "org", "no organisation \"%.64s\"", s);
        return ERMES_EINVAL;
    }
    f->feed = get(ctx, "feed");
    f->taxonomy = get(ctx, "taxonomy");
    f->type = get(ctx, "type");
    if ((s = get(ctx, "ip"))) {
        if (ermes_cidr_parse(s, strlen(s), ERMES_CIDR_LENIENT, &f->net, NULL)) {
            ermes_diag_set(d, "ip", "ip must be an address or a CIDR network");
            return ERMES_EINVAL;
        }
        f->has_net = 1;
    }
    if ((s = get(ctx, "domain"))) {
        size_t n = strlen(s);
        if (n == 0 || n > 253) {
            ermes_diag_set(d, "domain", "domain must be a host name");
            return ERMES_EINVAL;
        }
        f->domain = s;
    }
    if ((s = get(ctx, "report")) && ermes__parse_int64(s, "report", 1, INT64_MAX, &f->report_id, d))
        return ERMES_EINVAL;
    if ((s = get(ctx, "order"))) {
        if (strcmp(s, "newest") == 0) {
            f->newest = 1;
        } else if (strcmp(s, "oldest") != 0) {
            ermes_diag_set(d, "order", "order must be newest or oldest");
            return ERMES_EINVAL;
        }
    }
    if ((s = get(ctx, "sort"))) {
        /* An allow-list: the column names are never taken from the request into SQL. */
        static const char *const names[ERMES_EVENT_SORT_COUNT] = {"stored", "time", "feed",
                                                                  "taxonomy", "type"};
        int desc = s[0] == '-', k;
        for (k = 0; k < ERMES_EVENT_SORT_COUNT; k++)
            if (strcmp(s + desc, names[k]) == 0)
                break;
        if (k == ERMES_EVENT_SORT_COUNT) {
            ermes_diag_set(d, "sort",
                           "sort must be stored, time, feed, taxonomy or type, with a leading '-'"
                           " for descending");
            return ERMES_EINVAL;
        }
        if (get(ctx, "order")) {
            ermes_diag_set(d, "sort", "give sort or order, not both");
            return ERMES_EINVAL;
        }
        f->sort = k;
        f->sort_desc = desc;
        if (k == ERMES_EVENT_SORT_ID)
            f->newest = desc;
    }
    return 0;
}
