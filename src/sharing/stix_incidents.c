/* Incidents as STIX 2.1 (issue 12 item 2): each incident is published as a report (report_types
 * "incident", as the reference proposes for a case's summary) whose object_refs are its
 * observables as SCOs (ipv4-addr, ipv6-addr, domain-name, url, email-addr, file by hash), with
 * deterministic ids (the same incident, the same report id; the same value, the same SCO id) and
 * the incident's own facts (status, severity, RSIT class and type) as x_ermes_incident. The report
 * and its SCOs carry the incident's TLP and owner, so the STIX export, TAXII collections that
 * select reports and every other path show them as the TLP policy says; a new version is
 * published whenever the incident changes (its modified is the incident's updated_at). */
#include "sharing/stix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/uuid.h"

#define COUNTER_INCIDENTS "stix_published_incidents_at"
#define BATCH 500

/* Stores obj (its id, type and modified set) as one local version. */
static int put(ermes__store_t *st, json_t *obj, const char *modified, ermes_tlp_t tlp,
               int64_t owner)
{
    ermes__stix_row_t row;
    char key[32], *text;
    int rc, created;

    json_object_set_new(obj, "object_marking_refs", json_pack("[s]", ermes__stix_marking_id(tlp)));
    if (!(text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        return ERMES_ENOMEM;
    memset(&row, 0, sizeof(row));
    row.stix_id = json_string_value(json_object_get(obj, "id"));
    row.type = json_string_value(json_object_get(obj, "type"));
    row.spec_version = "2.1";
    row.created = json_string_value(json_object_get(obj, "created"));
    if (!row.created)
        row.created = modified;
    /* An SCO has no versions in STIX; its row is kept under the incident's moment. */
    row.modified = modified;
    if (!row.stix_id || !row.type || ermes__stix_version_key(modified, key)) {
        free(text);
        return ERMES_EINTERNAL;
    }
    row.version_key = key;
    row.source = "local";
    row.object = text;
    row.tlp = tlp;
    row.owner_org_id = owner;
    rc = ermes__store_stix_put(st, &row, &created);
    free(text);
    return rc;
}

typedef struct inc_ctx {
    ermes__store_t *st;
    const ermes__incident_t *inc;
    const char *modified;
    json_t *refs;
    int rc;
} inc_ctx_t;

/* An observable as an SCO with the id STIX 2.1 section 2.9 gives it (UUIDv5 in the SCO
 * namespace of its ID contributing properties), stored, and named in the report. */
static int observable_cb(void *ctx, const ermes__incident_observable_t *o)
{
    inc_ctx_t *c = ctx;
    const char *type = NULL, *hash = NULL;
    json_t *props, *sco;
    char *canon, u[37], id[128];
    int rc;

    if (!strcmp(o->type, "ipv4") || !strcmp(o->type, "ipv6") || !strcmp(o->type, "cidr"))
        type = strchr(o->value, ':') ? "ipv6-addr" : "ipv4-addr";
    else if (!strcmp(o->type, "domain"))
        type = "domain-name";
    else if (!strcmp(o->type, "url"))
        type = "url";
    else if (!strcmp(o->type, "email"))
        type = "email-addr";
    else if (!strcmp(o->type, "md5"))
        hash = "MD5";
    else if (!strcmp(o->type, "sha1"))
        hash = "SHA-1";
    else if (!strcmp(o->type, "sha256"))
        hash = "SHA-256";
    else if (!strcmp(o->type, "sha512"))
        hash = "SHA-512";
    else
        return 0; /* no SCO says it (ja3, ja4, ...) */
    props = hash ? json_pack("{s:{s:s}}", "hashes", hash, o->value)
                 : json_pack("{s:s}", "value", o->value);
    canon = props ? json_dumps(props, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (!canon) {
        json_decref(props);
        return ERMES_ENOMEM;
    }
    rc = ermes__uuid5(ERMES__UUID_STIX_SCO_NS, canon, strlen(canon), u);
    free(canon);
    if (rc) {
        json_decref(props);
        return rc;
    }
    snprintf(id, sizeof(id), "%s--%s", hash ? "file" : type, u);
    sco = json_pack("{s:s,s:s,s:s}", "type", hash ? "file" : type, "spec_version", "2.1", "id", id);
    if (!sco || json_object_update(sco, props)) {
        json_decref(props);
        json_decref(sco);
        return ERMES_ENOMEM;
    }
    json_decref(props);
    rc = put(c->st, sco, c->modified, c->inc->tlp, c->inc->owner_org_id);
    json_decref(sco);
    if (rc)
        return rc;
    return json_array_append_new(c->refs, json_string(id)) ? ERMES_ENOMEM : 0;
}

static int publish_one(ermes__store_t *st, const ermes__incident_t *inc, const char *cert_id)
{
    char id[80], key[48], u[37], created[32], modified[32];
    inc_ctx_t c;
    json_t *o = NULL, *x;
    int rc;

    snprintf(key, sizeof(key), "incident:%lld", (long long)inc->id);
    if ((rc = ermes__uuid5(ERMES__UUID_ERMES_NS, key, strlen(key), u)))
        return rc;
    snprintf(id, sizeof(id), "report--%s", u);
    ermes__time_format(inc->created_at, created);
    ermes__time_format(inc->updated_at > inc->created_at ? inc->updated_at : inc->created_at,
                       modified);
    memset(&c, 0, sizeof(c));
    c.st = st;
    c.inc = inc;
    c.modified = modified;
    if (!(c.refs = json_array()))
        return ERMES_ENOMEM;
    if ((rc = ermes__store_incident_observable_each(st, inc->id, observable_cb, &c)))
        goto out;
    /* STIX 2.1 wants at least one reference: an incident without observables names who
     * reported it, the CERT. */
    if (json_array_size(c.refs) == 0)
        json_array_append_new(c.refs, json_string(cert_id));
    o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:O}", "type", "report", "spec_version",
                  "2.1", "id", id, "created_by_ref", cert_id, "created", created, "modified",
                  modified, "name", inc->title[0] ? inc->title : "incident", "published", created,
                  "report_types", "incident", "object_refs", c.refs);
    x = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)inc->id, "status", inc->status, "severity",
                  inc->severity);
    if (!o || !x) {
        json_decref(x);
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (inc->description[0])
        json_object_set_new(o, "description", json_string(inc->description));
    if (inc->rsit_class[0])
        json_object_set_new(x, "rsit_class", json_string(inc->rsit_class));
    if (inc->rsit_type[0])
        json_object_set_new(x, "rsit_type", json_string(inc->rsit_type));
    json_object_set_new(o, "x_ermes_incident", x);
    rc = put(st, o, modified, inc->tlp, inc->owner_org_id);
out:
    json_decref(o);
    json_decref(c.refs);
    return rc;
}

int ermes__stix_incidents_changed(ermes__store_t *st, int *any)
{
    int64_t since = 0, id, newest;
    size_t n = 0;
    int rc;

    *any = 0;
    if ((rc = ermes__store_counter_get(st, COUNTER_INCIDENTS, &since)) ||
        (rc = ermes__store_incident_changed(st, since, &id, 1, &n, &newest)))
        return rc;
    *any = n > 0;
    return 0;
}

int ermes__stix_publish_incidents(ermes__store_t *st, const char *cert_id)
{
    int64_t since = 0, newest, *ids = malloc(sizeof(*ids) * BATCH);
    ermes__incident_t *inc = malloc(sizeof(*inc));
    size_t n, i;
    int rc;

    if (!ids || !inc) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__store_counter_get(st, COUNTER_INCIDENTS, &since)))
        goto out;
    for (;;) {
        if ((rc = ermes__store_incident_changed(st, since, ids, BATCH, &n, &newest)))
            goto out;
        if (n == 0 || newest == since)
            break;
        for (i = 0; i < n; i++) {
            rc = ermes__store_incident_get(st, NULL, ids[i], inc);
            if (rc == ERMES_ENOTFOUND)
                continue;
            if (rc || (rc = publish_one(st, inc, cert_id)))
                goto out;
        }
        since = newest;
    }
    rc = ermes__store_counter_set(st, COUNTER_INCIDENTS, since);
out:
    free(ids);
    free(inc);
    return rc;
}
