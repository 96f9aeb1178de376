/* /api/v1/sightings (and /api/v1/indicators/{id}/sightings): where and when indicators were
 * seen, one by one or counted per day, as the viewer may see them. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "access/tlp_recipients.h"
#include "core/number.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "sharing/stix.h"
#include "sightings/sightings.h"

struct list_ctx {
    json_t *data;
    int64_t last_id;
    ermes__store_t *store;
};

static int parse_time(const char *s, int64_t *out)
{
    ermes_diag_t d;

    return ermes__time_parse(s, strlen(s), out, &d);
}

static int sighting_cb(void *arg, const ermes__sighting_t *s)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__sighting_to_json(s);
    char triage[32];

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    /* The analysts' triage of the sighting (new until someone triages it). */
    ermes__store_triage_get(c->store, "sighting", s->id, triage, sizeof(triage));
    json_object_set_new(j, "triage", json_string(triage));
    c->last_id = s->id;
    return 0;
}

static int count_cb(void *arg, const ermes__sighting_count_t *s)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__sighting_count_to_json(s);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = s->id;
    return 0;
}

enum MHD_Result ermes__sightings_reply(ermes__req_t *req, int64_t indicator_id)
{
    struct list_ctx c = {NULL, 0, req->srv->store};
    ermes__sighting_filter_t f;
    const char *group = ermes__query(req, "group"), *ind = ermes__query(req, "indicator");
    const char *org = ermes__query(req, "org"), *since = ermes__query(req, "since");
    const char *until = ermes__query(req, "until"), *address;
    char address_text[ERMES_IP_STRLEN];
    enum MHD_Result ret;
    int more = 0, rc;

    memset(&f, 0, sizeof(f));
    if (!ermes__page(req, &f.limit, &f.after_id, &ret))
        return ret;
    if (group && strcmp(group, "day") != 0)
        return ermes__reply_error(req, 400, "bad_request", "group", "group must be day");
    f.indicator_id = indicator_id;
    if (!indicator_id && ind &&
        ermes__parse_int64(ind, "indicator", 1, INT64_MAX, &f.indicator_id, NULL))
        return ermes__reply_error(req, 400, "bad_request", "indicator",
                                  "indicator must be an indicator id");
    if (org) {
        rc = ermes__store_org_resolve(req->srv->store, &req->viewer, org, &f.org_id);
        if (rc == ERMES_ENOTFOUND)
            return ermes__reply_error(req, 400, "bad_request", "org", "no organisation \"%s\"",
                                      org);
        if (rc)
            return ermes__reply_failure(req, rc, NULL);
    }
    if (since && parse_time(since, &f.since))
        return ermes__reply_error(req, 400, "bad_request", "since",
                                  "since must be an RFC 3339 date-time");
    if (until && parse_time(until, &f.until))
        return ermes__reply_error(req, 400, "bad_request", "until",
                                  "until must be an RFC 3339 date-time");
    f.value = ermes__query(req, "value");
    f.sensor = ermes__query(req, "sensor");
    if ((address = ermes__query(req, "address"))) {
        /* An address as the internal side or as the value seen, in the canonical text both
         * are stored in. */
        ermes_ip_t ip;
        if (ermes_ip_parse(address, strlen(address), &ip, NULL))
            return ermes__reply_error(req, 400, "bad_request", "address",
                                      "address must be an IPv4 or IPv6 address");
        ermes_ip_format(&ip, address_text);
        f.address = address_text;
        if (group)
            return ermes__reply_error(req, 400, "bad_request", "address",
                                      "address does not combine with group");
    }
    if (!(c.data = json_array()))
        return MHD_NO;
    if (group)
        rc = ermes__store_sighting_count_each(req->srv->store, &req->viewer, &f, count_cb, &c,
                                              &more);
    else
        rc = ermes__store_sighting_each(req->srv->store, &req->viewer, &f, sighting_cb, &c, &more);
    if (rc) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_sighting_list(ermes__req_t *req)
{
    return ermes__sightings_reply(req, 0);
}

/* The sighting PATCH /api/v1/sightings/{id} names recipients of: its label and organisation. */
typedef struct one_sighting {
    int64_t id, org_id;
    ermes_tlp_t tlp;
    int found;
} one_sighting_t;

static int one_cb(void *arg, const ermes__sighting_t *s)
{
    one_sighting_t *o = arg;

    if (s->id == o->id) {
        o->found = 1;
        o->org_id = s->org_id;
        o->tlp = s->tlp;
    }
    return 1;
}

int ermes__sighting_recipients_patch(ermes__req_t *req, int64_t id, const json_t *list,
                                     json_t **names, enum MHD_Result *ret)
{
    ermes__viewer_t staff = {0, "recipients", ERMES_ROLE_ADMIN, 0, "recipients"};
    ermes__sighting_filter_t f;
    one_sighting_t o;
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    char stix_id[80], ref[32], *text;
    ermes_diag_t d;
    size_t n = 0;
    int rc;

    *names = NULL;
    ermes_diag_clear(&d);
    rc = ermes__tlp_recipients_parse(req->srv->store, &req->viewer, list, "recipients", orgs, &n,
                                     &d);
    if (rc == ERMES_EINVAL) {
        *ret = ermes__reply_error(req, 422, "invalid", "recipients", "%s", d.reason);
        return 0;
    }
    memset(&o, 0, sizeof(o));
    memset(&f, 0, sizeof(f));
    o.id = id;
    f.after_id = id - 1;
    f.limit = 1;
    if (!rc && id > 0)
        rc = ermes__store_sighting_each(req->srv->store, &staff, &f, one_cb, &o, NULL);
    if (!rc && !o.found) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such sighting");
        return 0;
    }
    /* Its rows name it by the STIX id it is published under, as every STIX and TAXII list
     * asks them, and by its id, as the sightings list does; the owner is the STIX object's
     * (the constituent's when AMBER or stricter, see stix_export.c). */
    if (!rc)
        rc = ermes__stix_sighting_id(id, stix_id, sizeof(stix_id));
    if (!rc)
        rc = ermes__store_sighting_recipients_set(req->srv->store, id, stix_id, orgs, n, o.tlp,
                                                  o.tlp >= ERMES_TLP_AMBER ? o.org_id : 0);
    if (!rc && !(*names = ermes__tlp_recipients_json(req->srv->store, stix_id)))
        rc = ERMES_ESTORE;
    if (rc) {
        *ret = ermes__reply_failure(req, rc, NULL);
        return 0;
    }
    /* Who an object is given to is audited by name: the detail lists them. */
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if ((text = json_dumps(*names, JSON_COMPACT))) {
        ermes__audit_write(req->srv->store, &req->viewer, "recipients", "sighting", ref, text);
        free(text);
    }
    return 1;
}
