/* /api/v1/csaf/credentials: credentials for other CSAF providers' TLP:AMBER and RED
 * distributions (src/store/csaf_credentials.h), for administrators. A POST sets (or replaces)
 * those of a provider's origin (a client certificate and key as PEM, or a PKCS#12 file in
 * base64 turned into them); GET lists them without their secrets (the header names, whether
 * a client certificate is set); DELETE /{id} removes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "advisories/csaf_cred.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"

static json_t *row_json(const ermes__csaf_cred_t *c)
{
    char created[ERMES_TIME_STRLEN], updated[ERMES_TIME_STRLEN];
    json_t *names = json_array();
    const char *p = c->header_names;

    ermes__time_format(c->created_at, created);
    ermes__time_format(c->updated_at, updated);
    while (names && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        json_array_append_new(names, json_stringn(p, n));
        p = end ? end + 1 : p + n;
    }
    return names ? json_pack("{s:I,s:s,s:o,s:b,s:s,s:s,s:s}", "id", (json_int_t)c->id, "origin",
                             c->origin, "headers", names, "client_certificate",
                             c->client_cert != NULL, "tlp", c->tlp, "created_at", created,
                             "updated_at", updated)
                 : NULL;
}

static int list_cb(void *ctx, const ermes__csaf_cred_t *c)
{
    json_t *j = row_json(c);

    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_csaf_cred_list(ermes__req_t *req)
{
    json_t *data = json_array();
    int rc;

    if (!data)
        return MHD_NO;
    if ((rc = ermes__store_csaf_cred_each(req->srv->store, list_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

enum MHD_Result ermes__h_csaf_cred_set(ermes__req_t *req)
{
    static const char *const known[] = {"url",        "headers",        "client_cert", "client_key",
                                        "client_p12", "p12_passphrase", NULL};
    const char *lines[ERMES_CSAF_CRED_HEADERS_MAX], *key, *p12, *pass;
    char *p12_cert = NULL, *p12_key = NULL;
    ermes__csaf_cred_t cred;
    enum MHD_Result ret;
    json_t *body = NULL, *v, *hs;
    ermes_diag_t d;
    size_t n = 0, i;
    int rc, created = 0;

    memset(&cred, 0, sizeof(cred));
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!json_is_object(body)) {
        ret = ermes__reply_error(req, 400, "bad_request", NULL, "the body must be an object");
        goto out;
    }
    json_object_foreach(body, key, v)
    {
        size_t k;
        for (k = 0; known[k] && strcmp(known[k], key) != 0; k++)
            ;
        if (!known[k]) {
            ret = ermes__reply_error(req, 400, "bad_request", key, "unknown field \"%.64s\"", key);
            goto out;
        }
        if (strcmp(key, "headers") ? !json_is_string(v) : !json_is_array(v)) {
            ret = ermes__reply_error(req, 400, "bad_request", key, "%s must be %s", key,
                                     strcmp(key, "headers") ? "a string" : "an array of strings");
            goto out;
        }
    }
    hs = json_object_get(body, "headers");
    if (json_array_size(hs) > ERMES_CSAF_CRED_HEADERS_MAX) {
        ret = ermes__reply_error(req, 422, "invalid", "headers", "at most %d header lines",
                                 ERMES_CSAF_CRED_HEADERS_MAX);
        goto out;
    }
    json_array_foreach(hs, i, v)
    {
        if (!json_is_string(v)) {
            ret = ermes__reply_error(req, 400, "bad_request", "headers",
                                     "headers must be an array of strings");
            goto out;
        }
        lines[n++] = json_string_value(v);
    }
    ermes_diag_clear(&d);
    p12 = json_string_value(json_object_get(body, "client_p12"));
    pass = json_string_value(json_object_get(body, "p12_passphrase"));
    rc = 0;
    if (p12 && (json_object_get(body, "client_cert") || json_object_get(body, "client_key"))) {
        ermes_diag_set(&d, "client_p12", "a PKCS#12 file, or a PEM certificate and key: not both");
        rc = ERMES_EINVAL;
    } else if (pass && !p12) {
        ermes_diag_set(&d, "p12_passphrase", "goes with client_p12");
        rc = ERMES_EINVAL;
    } else if (p12) {
        /* Turned into the PEM certificate chain and key that are kept, as if given so. */
        rc = ermes__csaf_cred_p12_base64(p12, pass, &p12_cert, &p12_key, &d);
    }
    if (!rc)
        rc = ermes__csaf_cred_build(
            json_string_value(json_object_get(body, "url")), lines, n,
            p12 ? p12_cert : json_string_value(json_object_get(body, "client_cert")),
            p12 ? p12_key : json_string_value(json_object_get(body, "client_key")), &cred, &d);
    if (rc) {
        ret = rc == ERMES_EINVAL ? ermes__reply_error(req, 422, "invalid", d.field, "%s", d.reason)
              : rc == ERMES_ETOOBIG
                  ? ermes__reply_error(req, 413, "payload_too_large", d.field, "%s", d.reason)
                  : ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    if ((rc = ermes__store_csaf_cred_put(req->srv->store, &cred, &created))) {
        ret = ermes__reply_failure(req, rc, NULL);
        goto out;
    }
    /* The audit names the origin and the header names, never a value. */
    {
        json_t *o = json_pack("{s:s,s:b}", "headers", cred.header_names, "client_certificate",
                              cred.client_cert != NULL);
        char *detail = o ? json_dumps(o, JSON_COMPACT) : NULL;
        ermes__audit_write(req->srv->store, &req->viewer, created ? "create" : "update",
                           "csaf_credentials", cred.origin, detail);
        free(detail);
        json_decref(o);
    }
    ret = ermes__reply_json(req, created ? 201 : 200, row_json(&cred));
out:
    ermes__csaf_cred_pem_free(p12_cert);
    ermes__csaf_cred_pem_free(p12_key);
    ermes__csaf_cred_clear(&cred);
    json_decref(body);
    return ret;
}

enum MHD_Result ermes__h_csaf_cred_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0);
    char ref[32];
    int rc;

    if (!id)
        return ermes__reply_error(req, 404, "not_found", "id", "no such credentials");
    if ((rc = ermes__store_csaf_cred_delete(req->srv->store, id, NULL)))
        return rc == ERMES_ENOTFOUND
                   ? ermes__reply_error(req, 404, "not_found", "id", "no such credentials")
                   : ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "csaf_credentials", ref, NULL);
    return ermes__reply_empty(req, 204);
}
