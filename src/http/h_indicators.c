/* /api/v1/indicators: indicators of compromise, listed, created, changed and deleted.
 *
 * POST /api/v1/indicators takes one JSON object, a JSON array of them, or a bulk list by
 * Content-Type (text/plain: one value per line; text/csv: a header with a value column;
 * application/stix+json: a STIX 2.1 bundle), read by the detection engine's loaders. Valid
 * entries are stored, rejected ones listed with their index or line and the reason. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "access/tlp_recipients.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "http/http.h"
#include "sharing/stix.h"
#include "sightings/sightings.h"

#define MAX_JSON_ITEMS 100000

/* ---- helpers ---- */

static const char *content_type(ermes__req_t *req)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
}

/* 1 when the media type of ct is mt (parameters after ';' ignored). */
static int media_is(const char *ct, const char *mt)
{
    size_t n = strlen(mt);

    return ct && strncasecmp(ct, mt, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int parse_time(const char *s, int64_t *out)
{
    ermes_diag_t d;

    return ermes__time_parse(s, strlen(s), out, &d);
}

static int row_json_cb(void *ctx, const ermes__indicator_row_t *r)
{
    json_t **out = ctx;

    *out = ermes__indicator_row_to_json(r);
    return *out ? 0 : ERMES_ENOMEM;
}

/* "warninglist": the list in force that keeps the stored indicator out of the daemon's
 * matcher (it is not matched), or null. */
static void add_warninglist(ermes__req_t *req, json_t *j, int64_t id)
{
    char name[128];

    json_object_set_new(j, "warninglist",
                        req->srv->sightings && ermes__sightings_warninglist(req->srv->sightings, id,
                                                                            name, sizeof(name)) == 0
                            ? json_string(name)
                            : json_null());
}

/* What names an indicator to its recipients: its STIX id, label and owner. */
typedef struct ind_ident {
    char stix_id[160];
    ermes_tlp_t tlp;
    int64_t owner_org_id;
} ind_ident_t;

static int ident_cb(void *ctx, const ermes__indicator_row_t *r)
{
    ind_ident_t *o = ctx;

    o->tlp = r->tlp;
    o->owner_org_id = r->owner_org_id;
    return ermes__stix_indicator_id(r, o->stix_id, sizeof(o->stix_id));
}

static int indicator_ident(ermes__store_t *st, int64_t id, ind_ident_t *out)
{
    ermes__viewer_t staff = {0, "recipients", ERMES_ROLE_ADMIN, 0, "recipients"};

    memset(out, 0, sizeof(*out));
    return ermes__store_indicator_get(st, &staff, id, ident_cb, out);
}

/* The named recipients of indicator id, by short name (new reference), NULL on error. */
static json_t *recipient_names(ermes__store_t *st, int64_t id)
{
    ind_ident_t k;

    if (indicator_ident(st, id, &k))
        return NULL;
    return ermes__tlp_recipients_json(st, k.stix_id);
}

static int set_recipients(ermes__store_t *st, int64_t id, const int64_t *orgs, size_t n)
{
    ind_ident_t k;
    int rc = indicator_ident(st, id, &k);

    if (rc)
        return rc;
    return ermes__store_tlp_recipients_set(st, k.stix_id, id, orgs, n, k.tlp, k.owner_org_id);
}

static enum MHD_Result reply_indicator(ermes__req_t *req, unsigned status, int64_t id)
{
    json_t *j = NULL;
    int rc = ermes__store_indicator_get(req->srv->store, &req->viewer, id, row_json_cb, &j);

    if (!rc && j)
        add_warninglist(req, j, id);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no indicator %lld", (long long)id);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    /* Whom it is given to is the CERT's to know: staff see the list, recipients do not see
     * each other. */
    if (ermes__viewer_is_staff(&req->viewer)) {
        json_t *names = recipient_names(req->srv->store, id);
        if (!names) {
            json_decref(j);
            return ermes__reply_failure(req, ERMES_ESTORE, NULL);
        }
        json_object_set_new(j, "recipients", names);
    }
    if (status == 201) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/indicators/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    return ermes__reply_json(req, status, j);
}

/* ---- one indicator from JSON ---- */

static int json_time(const json_t *v, const char *field, int64_t *out, ermes_diag_t *d)
{
    if (!v || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (!json_is_string(v) || parse_time(json_string_value(v), out)) {
        ermes_diag_set(d, field, "%s must be an RFC 3339 date-time or null", field);
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__indicator_from_json(const json_t *obj, int partial, ermes_indicator_t *ind,
                               ermes__ind_text_t *t, unsigned *has, ermes_diag_t *d)
{
    const char *key;
    json_t *v;

    *has = 0;
    if (!json_is_object(obj)) {
        ermes_diag_set(d, NULL, "an indicator must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        if (strcmp(key, "value") == 0 || strcmp(key, "type") == 0 || strcmp(key, "exact") == 0) {
            if (partial) {
                ermes_diag_set(d, key,
                               "%s cannot be changed: delete the indicator and add "
                               "another",
                               key);
                return ERMES_EINVAL;
            }
            if (key[0] == 'e') {
                if (!json_is_boolean(v)) {
                    ermes_diag_set(d, key, "exact must be true or false");
                    return ERMES_EINVAL;
                }
                if (json_is_true(v))
                    ind->flags |= ERMES_IND_EXACT;
                continue;
            }
            if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
                ermes_diag_set(d, key, "%s must be a string", key);
                return ERMES_EINVAL;
            }
            if (key[0] == 'v') {
                ind->value = json_string_value(v);
                ind->len = json_string_length(v);
                if (ind->len > ERMES_INDICATOR_VALUE_MAX) {
                    ermes_diag_set(d, key, "the value is longer than %d bytes",
                                   ERMES_INDICATOR_VALUE_MAX);
                    return ERMES_EINVAL;
                }
            } else {
                ind->type = ermes_ind_type_parse(json_string_value(v), json_string_length(v));
                if (ind->type == ERMES_IND_NONE) {
                    ermes_diag_set(d, key, "unknown indicator type \"%.40s\"",
                                   json_string_value(v));
                    return ERMES_EINVAL;
                }
            }
        } else if (strcmp(key, "valid_from") == 0) {
            if (json_time(v, key, &ind->valid_from, d))
                return ERMES_EINVAL;
            *has |= ERMES_IND_UPD_VALID_FROM;
        } else if (strcmp(key, "valid_until") == 0) {
            if (json_time(v, key, &ind->valid_until, d))
                return ERMES_EINVAL;
            *has |= ERMES_IND_UPD_VALID_UNTIL;
        } else if (strcmp(key, "confidence") == 0) {
            if (json_is_null(v)) {
                ind->confidence = -1;
            } else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                       json_integer_value(v) > 100) {
                ermes_diag_set(d, key, "confidence must be a whole number from 0 to 100");
                return ERMES_EINVAL;
            } else {
                ind->confidence = (int)json_integer_value(v);
            }
            *has |= ERMES_IND_UPD_CONFIDENCE;
        } else if (strcmp(key, "tlp") == 0) {
            ermes_tlp_t tlp;
            if (!json_is_string(v) ||
                ermes_tlp_parse(json_string_value(v), json_string_length(v), &tlp)) {
                ermes_diag_set(d, key, "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
                return ERMES_EINVAL;
            }
            ind->tlp = (int)tlp;
            *has |= ERMES_IND_UPD_TLP;
        } else if (strcmp(key, "source") == 0) {
            if (json_is_null(v)) {
                ind->source = "";
            } else if (!json_is_string(v) || json_string_length(v) > ERMES_INDICATOR_SOURCE_MAX ||
                       strlen(json_string_value(v)) != json_string_length(v)) {
                ermes_diag_set(d, key, "source must be a string of at most %d bytes",
                               ERMES_INDICATOR_SOURCE_MAX);
                return ERMES_EINVAL;
            } else {
                ind->source = json_string_value(v);
            }
            *has |= ERMES_IND_UPD_SOURCE;
        } else if (strcmp(key, "tags") == 0) {
            if (json_is_null(v))
                t->tags[0] = '\0';
            else if (ermes__tags_from_json(v, t->tags, sizeof(t->tags), d))
                return ERMES_EINVAL;
            ind->tags = t->tags;
            *has |= ERMES_IND_UPD_TAGS;
        } else if (strcmp(key, "id") != 0 && strcmp(key, "created_at") != 0 &&
                   strcmp(key, "updated_at") != 0 && strcmp(key, "owner_org_id") != 0) {
            ermes_diag_set(d, key, "unknown member \"%.40s\"", key);
            return ERMES_EINVAL;
        }
    }
    if (!partial && !ind->value) {
        ermes_diag_set(d, "value", "value is required");
        return ERMES_EINVAL;
    }
    return 0;
}

/* ---- GET /api/v1/indicators ---- */

struct list_ctx {
    json_t *data;
    int64_t last_id;
    ermes__req_t *req;
};

static int list_cb(void *arg, const ermes__indicator_row_t *r)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__indicator_row_to_json(r);

    if (j)
        add_warninglist(c->req, j, r->id);
    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = r->id;
    return 0;
}

enum MHD_Result ermes__h_indicator_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0, req};
    ermes__indicator_filter_t f;
    const char *active = ermes__query(req, "active"), *type = ermes__query(req, "type");
    enum MHD_Result ret;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    if (!ermes__page(req, &f.limit, &f.after_id, &ret))
        return ret;
    if (type && ermes_ind_type_parse(type, strlen(type)) == ERMES_IND_NONE)
        return ermes__reply_error(req, 400, "bad_request", "type", "unknown indicator type");
    if (active && strcmp(active, "true") != 0 && strcmp(active, "false") != 0)
        return ermes__reply_error(req, 400, "bad_request", "active",
                                  "active must be true or false");
    f.type = type ? ermes_ind_type_name(ermes_ind_type_parse(type, strlen(type))) : NULL;
    f.value = ermes__query(req, "value");
    f.source = ermes__query(req, "source");
    f.tag = ermes__query(req, "tag");
    if (f.tag && strlen(f.tag) > 256)
        return ermes__reply_error(req, 400, "bad_request", "tag", "tag is too long");
    if (active && strcmp(active, "true") == 0)
        f.active_at = ermes__time_now_ms();
    if (!(c.data = json_array()))
        return MHD_NO;
    rc = ermes__store_indicator_each(req->srv->store, &req->viewer, &f, list_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

/* ---- POST /api/v1/indicators ---- */

static int reject_cb(void *ctx, const ermes_diag_t *d)
{
    return ermes__ind_import_reject(ctx, -1, d->line, d->reason) ? 1 : 0;
}

static json_t *import_json(const ermes__ind_import_t *rep)
{
    json_t *errors = json_array(), *supp = json_array();

    for (size_t k = 0; errors && k < rep->nerrors; k++) {
        const ermes__ind_import_error_t *e = &rep->errors[k];
        json_t *o = json_pack("{s:s}", "reason", e->reason);
        if (o && e->index >= 0)
            json_object_set_new(o, "index", json_integer(e->index));
        if (o && e->line > 0)
            json_object_set_new(o, "line", json_integer(e->line));
        json_array_append_new(errors, o);
    }
    for (size_t k = 0; supp && k < rep->nsuppressions; k++)
        json_array_append_new(supp, json_pack("{s:s,s:s}", "value", rep->suppressions[k].value,
                                              "warninglist", rep->suppressions[k].warninglist));
    return json_pack("{s:I,s:I,s:I,s:I,s:o*,s:o*}", "added", (json_int_t)rep->added, "updated",
                     (json_int_t)rep->updated, "rejected", (json_int_t)rep->rejected, "suppressed",
                     (json_int_t)rep->suppressed, "errors", errors, "suppressed_values", supp);
}

/* Defaults for bulk entries from the query: tlp, source, confidence, valid_until. */
static int bulk_defaults(ermes__req_t *req, ermes_indicator_t *def, enum MHD_Result *ret)
{
    const char *tlp = ermes__query(req, "tlp"), *conf = ermes__query(req, "confidence");
    const char *until = ermes__query(req, "valid_until"), *src = ermes__query(req, "source");

    ermes_indicator_init(def);
    if (tlp) {
        ermes_tlp_t t;
        if (ermes_tlp_parse(tlp, strlen(tlp), &t)) {
            *ret = ermes__reply_error(req, 400, "bad_request", "tlp",
                                      "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
            return 0;
        }
        def->tlp = (int)t;
    }
    if (conf) {
        int v;
        if (ermes__parse_int(conf, "confidence", 0, 100, &v, NULL)) {
            *ret = ermes__reply_error(req, 400, "bad_request", "confidence",
                                      "confidence must be a number from 0 to 100");
            return 0;
        }
        def->confidence = v;
    }
    if (until && parse_time(until, &def->valid_until)) {
        *ret = ermes__reply_error(req, 400, "bad_request", "valid_until",
                                  "valid_until must be an RFC 3339 date-time");
        return 0;
    }
    if (src && strlen(src) > ERMES_INDICATOR_SOURCE_MAX) {
        *ret = ermes__reply_error(req, 400, "bad_request", "source", "source is too long");
        return 0;
    }
    def->source = src;
    return 1;
}

/* The indicators changed: the daemon's matcher is rebuilt now, so the followed logs match the
 * new set from their next line, and the retro-hunt looks for new indicators now. */
static void indicators_changed(ermes__req_t *req)
{
    ermes__sightings_refresh(req->srv->sightings, 0);
    ermes__hunter_kick(req->srv->hunter);
}

static void audit_import(ermes__req_t *req, const ermes__ind_import_t *rep)
{
    char detail[160], ref[32];

    indicators_changed(req);
    if (rep->nids == 1 && rep->rejected == 0) {
        snprintf(ref, sizeof(ref), "%lld", (long long)rep->ids[0]);
        ermes__audit_write(req->srv->store, &req->viewer, rep->added ? "create" : "update",
                           "indicator", ref, NULL);
        return;
    }
    snprintf(detail, sizeof(detail),
             "{\"added\":%zu,\"updated\":%zu,\"rejected\":%zu,\"suppressed\":%zu}", rep->added,
             rep->updated, rep->rejected, rep->suppressed);
    ermes__audit_write(req->srv->store, &req->viewer, "import", "indicator", NULL, detail);
}

enum MHD_Result ermes__h_indicator_create(ermes__req_t *req)
{
    const char *ct = content_type(req);
    ermes_indicator_set_t *set = NULL;
    ermes__ind_import_t rep;
    ermes_indicator_t def;
    ermes_ind_format_t fmt;
    json_t *body = NULL, *out;
    ermes_tlp_t default_tlp = ERMES_TLP_AMBER;
    ermes_diag_t d;
    enum MHD_Result ret;
    int single = 0, rc;

    memset(&rep, 0, sizeof(rep));
    if (!bulk_defaults(req, &def, &ret))
        return ret;
    if (def.tlp >= 0)
        default_tlp = (ermes_tlp_t)def.tlp;
    if (media_is(ct, "application/json")) {
        json_error_t err;
        body = json_loadb(req->body.data ? req->body.data : "", req->body.len,
                          JSON_REJECT_DUPLICATES, &err);
        if (!body)
            return ermes__reply_json(
                req, 400,
                json_pack("{s:{s:s,s:s+,s:n,s:I,s:i,s:i}}", "error", "code", "malformed_json",
                          "message", "malformed JSON: ", err.text, "field", "position",
                          (json_int_t)err.position, "line", err.line, "column", err.column));
        if (!json_is_object(body) && !json_is_array(body)) {
            json_decref(body);
            return ermes__reply_error(req, 400, "bad_request", NULL,
                                      "the body must be an indicator object or an array of them");
        }
        if (json_is_array(body) && json_array_size(body) > MAX_JSON_ITEMS) {
            json_decref(body);
            return ermes__reply_error(req, 413, "payload_too_large", NULL,
                                      "at most %d indicators in one array", MAX_JSON_ITEMS);
        }
        single = json_is_object(body);
    } else if (media_is(ct, "text/plain")) {
        fmt = ERMES_IND_FORMAT_LIST;
    } else if (media_is(ct, "text/csv")) {
        fmt = ERMES_IND_FORMAT_CSV;
    } else if (media_is(ct, "application/stix+json")) {
        fmt = ERMES_IND_FORMAT_STIX;
    } else {
        return ermes__reply_error(req, 415, "unsupported_media_type", NULL,
                                  "indicators come as application/json, text/plain, text/csv "
                                  "or application/stix+json");
    }
    if (ermes_indicator_set_new(&set)) {
        json_decref(body);
        return MHD_NO;
    }
    ermes_diag_clear(&d);
    if (body) {
        size_t n = single ? 1 : json_array_size(body);
        for (size_t i = 0; i < n; i++) {
            json_t *item = single ? body : json_array_get(body, i);
            ermes_indicator_t ind = def;
            ermes__ind_text_t t;
            unsigned has;
            ermes_diag_clear(&d);
            t.tags[0] = '\0';
            rc = ermes__indicator_from_json(item, 0, &ind, &t, &has, &d);
            if (!rc)
                rc = ermes_indicator_set_add(set, &ind, NULL, &d);
            if (rc == ERMES_ENOMEM)
                goto fail;
            if (rc && single) {
                if (!d.field[0])
                    snprintf(d.field, sizeof(d.field), "value");
                ermes_indicator_set_free(set);
                json_decref(body);
                return ermes__reply_error(req, 422, "invalid", d.field, "%s", d.reason);
            }
            if (rc && (rc = ermes__ind_import_reject(&rep, (long)i, 0, d.reason)))
                goto fail;
        }
    } else {
        ermes_ind_load_stats_t ls;
        rc = ermes_indicator_set_load(set, req->body.data ? req->body.data : "", req->body.len, fmt,
                                      &def, reject_cb, &rep, &ls, &d);
        if (rc == ERMES_EPARSE) {
            ermes_indicator_set_free(set);
            ermes__ind_import_cleanup(&rep);
            return ermes__reply_error(req, 400, "bad_request", NULL, "%s%s",
                                      d.line ? "unreadable indicator list: " : "",
                                      d.reason[0] ? d.reason : "unreadable indicator list");
        }
        if (rc)
            goto fail;
    }
    {
        /* force=true: the analyst has looked, and the value is wanted although a warninglist
         * in force covers it (audited as forced). */
        const char *force = ermes__query(req, "force");
        int forced = force && strcmp(force, "true") == 0;
        if (force && !forced && strcmp(force, "false") != 0) {
            ermes_indicator_set_free(set);
            json_decref(body);
            ermes__ind_import_cleanup(&rep);
            return ermes__reply_error(req, 400, "bad_request", "force",
                                      "force must be true or false");
        }
        if (!forced && (rc = ermes__server_wl_ready(req->srv))) {
            ermes_indicator_set_free(set);
            json_decref(body);
            ermes__ind_import_cleanup(&rep);
            return ermes__reply_error(req, 503, "unavailable", NULL,
                                      "the warninglists cannot be read (see the log): nothing "
                                      "was stored");
        }
        rep.forced = forced;
        pthread_rwlock_rdlock(&req->srv->wl_lock);
        rc = ermes__indicators_store(req->srv->store, &req->viewer, set,
                                     forced ? NULL : req->srv->wl.active,
                                     forced ? 0 : req->srv->wl.nactive, default_tlp, &rep);
        pthread_rwlock_unlock(&req->srv->wl_lock);
        if (forced && !rc && rep.nids)
            ermes__audit_write(req->srv->store, &req->viewer, "force", "indicator", NULL,
                               "{\"warninglists\":\"not checked\"}");
    }
    ermes_indicator_set_free(set);
    set = NULL;
    json_decref(body);
    body = NULL;
    if (rc)
        goto fail;
    if (rep.added || rep.updated)
        audit_import(req, &rep);
    if (single) {
        int64_t id = rep.nids ? rep.ids[0] : 0;
        int added = rep.added != 0;
        if (!id && rep.nsuppressions) {
            ret = ermes__reply_error(req, 422, "suppressed", "value",
                                     "the value is on the warninglist \"%s\"",
                                     rep.suppressions[0].warninglist);
            ermes__ind_import_cleanup(&rep);
            return ret;
        }
        ermes__ind_import_cleanup(&rep);
        return reply_indicator(req, added ? 201 : 200, id);
    }
    out = import_json(&rep);
    ermes__ind_import_cleanup(&rep);
    return ermes__reply_json(req, 200, out);
fail:
    ermes_indicator_set_free(set);
    json_decref(body);
    ermes__ind_import_cleanup(&rep);
    return ermes__reply_failure(req, rc, NULL);
}

/* ---- /api/v1/indicators/{id} ---- */

enum MHD_Result ermes__h_indicator_get(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such indicator");
    return reply_indicator(req, 200, id);
}

enum MHD_Result ermes__h_indicator_update(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    ermes_indicator_t ind;
    ermes__indicator_row_t upd;
    ermes__ind_text_t t;
    json_t *body, *probe = NULL, *recipients;
    char tags[ERMES_INDICATOR_TAGS_MAX], ref[32];
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    size_t norgs = 0;
    ermes_diag_t d;
    enum MHD_Result ret;
    unsigned has;
    int rc;

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such indicator");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_indicator_init(&ind);
    ermes_diag_clear(&d);
    t.tags[0] = '\0';
    /* recipients: the organisations named on it (TLP 2.0 AMBER, AMBER+STRICT, RED), a field of
     * its own beside the indicator's. */
    if ((recipients = json_object_get(body, "recipients"))) {
        json_incref(recipients);
        json_object_del(body, "recipients");
        rc = ermes__tlp_recipients_parse(req->srv->store, &req->viewer, recipients, "recipients",
                                         orgs, &norgs, &d);
        json_decref(recipients);
        if (rc) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "recipients", "%s", d.reason);
        }
    }
    rc = ermes__indicator_from_json(body, 1, &ind, &t, &has, &d);
    memset(&upd, 0, sizeof(upd));
    upd.valid_from = ind.valid_from;
    upd.valid_until = ind.valid_until;
    upd.confidence = ind.confidence;
    upd.tlp = ind.tlp >= 0 ? (ermes_tlp_t)ind.tlp : ERMES_TLP_AMBER;
    upd.source = ind.source;
    if (!rc && (has & ERMES_IND_UPD_TAGS) && ermes__tags_to_json(t.tags, tags, sizeof(tags)) == 0)
        upd.tags = tags;
    if (!rc && has & ERMES_IND_UPD_VALID_FROM && has & ERMES_IND_UPD_VALID_UNTIL &&
        upd.valid_from && upd.valid_until && upd.valid_until <= upd.valid_from) {
        ermes_diag_set(&d, "valid_until", "valid_until must be after valid_from");
        rc = ERMES_EINVAL;
    }
    if (rc) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    json_decref(body);
    /* The indicator must be one the viewer may see, before anything is changed. */
    rc = ermes__store_indicator_get(req->srv->store, &req->viewer, id, row_json_cb, &probe);
    json_decref(probe);
    if (!rc && (rc = ermes__store_begin(req->srv->store)) == 0) {
        rc = ermes__store_indicator_update(req->srv->store, id, &upd, has);
        if (!rc && recipients)
            rc = set_recipients(req->srv->store, id, orgs, norgs);
        if (!rc)
            rc = ermes__store_commit(req->srv->store);
        else
            ermes__store_rollback(req->srv->store);
    }
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no indicator %lld", (long long)id);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "indicator", ref, NULL);
    if (recipients) {
        /* Who an object is given to is audited by name: the detail lists them. */
        json_t *names = recipient_names(req->srv->store, id);
        char *text;
        if (names && (text = json_dumps(names, JSON_COMPACT))) {
            ermes__audit_write(req->srv->store, &req->viewer, "recipients", "indicator", ref, text);
            free(text);
        }
        json_decref(names);
    }
    indicators_changed(req);
    return reply_indicator(req, 200, id);
}

enum MHD_Result ermes__h_indicator_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    json_t *probe = NULL;
    char ref[32];
    int rc;

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such indicator");
    rc = ermes__store_indicator_get(req->srv->store, &req->viewer, id, row_json_cb, &probe);
    json_decref(probe);
    if (!rc)
        rc = ermes__store_indicator_delete(req->srv->store, id);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no indicator %lld", (long long)id);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "indicator", ref, NULL);
    indicators_changed(req);
    return ermes__reply_empty(req, 204);
}

enum MHD_Result ermes__h_indicator_sightings(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    json_t *probe = NULL;
    int rc;

    if (!id)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such indicator");
    rc = ermes__store_indicator_get(req->srv->store, &req->viewer, id, row_json_cb, &probe);
    json_decref(probe);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no indicator %lld", (long long)id);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__sightings_reply(req, id);
}

/* ---- POST /api/v1/logs ---- */
