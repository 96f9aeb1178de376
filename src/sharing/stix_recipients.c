/* Named recipients of a stored STIX object (GET and PATCH /api/v1/stix/{name}/recipients,
 * ermes stix recipients): the organisations an AMBER, AMBER+STRICT or RED object is given to
 * beyond what its label gives (src/access/tlp_policy.h says what each then sees). The rows are
 * tlp_recipients' (by STIX id, every version), which every STIX, TAXII and indicator list asks,
 * and whose triggers move the 'stix' counter that TAXII's page cache is keyed on: a change
 * reaches the next page served. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "access/tlp_recipients.h"
#include "core/uuid.h"
#include "sharing/stix.h"

typedef struct find_ctx {
    ermes__stix_owned_t *out;
    int found, ours;
    const char *cert_id;
} find_ctx_t;

static int row_cb(void *arg, const ermes__stix_row_t *r)
{
    find_ctx_t *c = arg;
    json_t *obj;

    c->found = 1;
    snprintf(c->out->type, sizeof(c->out->type), "%s", r->type);
    c->out->tlp = r->tlp;
    c->out->owner_org_id = r->owner_org_id;
    /* ermes's own indicators and sightings (made by ermes__stix_publish, local, by the CERT):
     * their recipients are the indicator's or sighting's rows, kept by their own routes. */
    if ((!strcmp(r->type, "indicator") || !strcmp(r->type, "sighting")) && r->source &&
        !strcmp(r->source, "local") && (obj = json_loads(r->object, 0, NULL))) {
        const char *by = json_string_value(json_object_get(obj, "created_by_ref"));
        c->ours = by && !strcmp(by, c->cert_id);
        json_decref(obj);
    }
    return 0;
}

static int id_valid(const char *id)
{
    const char *sep = id ? strstr(id, "--") : NULL;
    size_t tl;

    if (!sep || strlen(id) >= sizeof(((ermes__stix_owned_t *)0)->stix_id))
        return 0;
    tl = (size_t)(sep - id);
    if (tl < 3 || tl > 250)
        return 0;
    for (size_t i = 0; i < tl; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
            return 0;
    return ermes__uuid_valid(sep + 2, strlen(sep + 2));
}

int ermes__stix_recipients_find(ermes__store_t *st, const ermes__viewer_t *v, const char *stix_id,
                                int change, ermes__stix_owned_t *out, ermes_diag_t *d)
{
    ermes__stix_filter_t f;
    ermes__tlp_masks_t m;
    find_ctx_t c;
    char cert_id[96];
    int rc;

    memset(out, 0, sizeof(*out));
    if (!id_valid(stix_id)) {
        ermes_diag_set(d, "id", "the id is a STIX id, <type>--<UUID>");
        return ERMES_EINVAL;
    }
    snprintf(out->stix_id, sizeof(out->stix_id), "%s", stix_id);
    /* ermes's own objects are stored when published: the same as an export sees them. */
    if ((rc = ermes__stix_publish(st)) ||
        (rc = ermes__stix_cert_identity(st, cert_id, sizeof(cert_id))))
        return rc;
    /* The newest version, if the one TLP policy lets v see it (its recipients counted). */
    memset(&f, 0, sizeof(f));
    ermes__tlp_policy(v, ERMES_TLP_RED, &m);
    f.tlp_anyone = m.anyone;
    f.tlp_owned = m.owned;
    f.tlp_named = m.named;
    f.tlp_client = m.client;
    f.org_id = m.org_id;
    f.ids[0] = out->stix_id;
    f.nids = 1;
    f.versions = ERMES__STIX_VERSION_LAST;
    f.added_after = -1;
    f.after_added = -1;
    f.select_all = 1;
    f.limit = 1;
    memset(&c, 0, sizeof(c));
    c.out = out;
    c.cert_id = cert_id;
    if ((rc = ermes__store_stix_each(st, &f, row_cb, &c, NULL)))
        return rc;
    if (!c.found) {
        ermes_diag_set(d, "id", "no STIX object %.200s", stix_id);
        return ERMES_ENOTFOUND;
    }
    /* Whom it is given to is for the CERT and the owner to know: recipients do not see each
     * other, and only the owner (or an administrator) gives it. */
    if (!change && !ermes__viewer_is_staff(v) &&
        !(v->org_id && v->org_id == out->owner_org_id && v->role != ERMES_ROLE_SENSOR)) {
        ermes_diag_set(d, NULL,
                       "only the CERT's staff and the owner organisation see whom an"
                       " object is given to");
        return ERMES_EDENIED;
    }
    if (change && v->role != ERMES_ROLE_ADMIN &&
        !(v->org_id && v->org_id == out->owner_org_id && v->role != ERMES_ROLE_SENSOR)) {
        ermes_diag_set(d, NULL,
                       "only an administrator or the owner organisation may change"
                       " whom an object is given to");
        return ERMES_EDENIED;
    }
    if (change && c.ours) {
        ermes_diag_set(d, "id",
                       "%s is ermes's own; change its recipients on the %s (PATCH "
                       "/api/v1/%ss/{id})",
                       out->type, out->type, out->type);
        return ERMES_ECONFLICT;
    }
    return 0;
}

int ermes__stix_recipients_change(ermes__store_t *st, const ermes__viewer_t *v,
                                  const ermes__stix_owned_t *o, const int64_t *orgs, size_t n,
                                  ermes_diag_t *d)
{
    json_t *names;
    char *text;
    int rc;

    /* TLP 2.0: CLEAR and GREEN name nobody (everyone their label allows receives them); a
     * recipient there would be a promise the policy does not keep. */
    if (n && o->tlp < ERMES_TLP_AMBER) {
        ermes_diag_set(d, "recipients",
                       "recipients name whom an AMBER, AMBER+STRICT or RED object is given to;"
                       " this object is TLP:%s",
                       ermes_tlp_name(o->tlp));
        return ERMES_EINVAL;
    }
    if ((rc = ermes__store_tlp_recipients_set(st, o->stix_id, 0, orgs, n, o->tlp, o->owner_org_id)))
        return rc;
    /* Who an object is given to is audited by name. */
    if (!(names = ermes__tlp_recipients_json(st, o->stix_id)))
        return ERMES_ESTORE;
    text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    if (!text)
        return ERMES_ENOMEM;
    rc = ermes__audit_write(st, v, "recipients", "stix", o->stix_id, text);
    free(text);
    return rc;
}

static int org_cb(void *ctx, int64_t org_id, const char *short_name, const char *name)
{
    (void)org_id;
    return json_array_append_new(ctx,
                                 json_pack("{s:s,s:s}", "short_name", short_name ? short_name : "",
                                           "name", name ? name : ""))
               ? ERMES_ENOMEM
               : 0;
}

json_t *ermes__stix_recipients_json(ermes__store_t *st, const ermes__stix_owned_t *o)
{
    json_t *list = json_array(), *j;
    char owner[64];

    if (!list || ermes__store_tlp_recipient_orgs(st, o->stix_id, org_cb, list)) {
        json_decref(list);
        return NULL;
    }
    j = json_pack("{s:s,s:s,s:s,s:o}", "id", o->stix_id, "type", o->type, "tlp",
                  ermes_tlp_name(o->tlp), "recipients", list);
    if (!j)
        return NULL;
    if (o->owner_org_id && !ermes__store_org_short_name(st, o->owner_org_id, owner, sizeof(owner)))
        json_object_set_new(j, "owner", json_string(owner));
    else
        json_object_set_new(j, "owner", json_null());
    return j;
}
