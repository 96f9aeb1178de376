/* /healthz, /metrics, /api/v1/openapi.json and /api/v1/me. */
#include <stdio.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "core/time.h"
#include "http/http.h"

extern const unsigned char ermes__openapi_json[];
extern const size_t ermes__openapi_json_len;

enum MHD_Result ermes__h_healthz(ermes__req_t *req)
{
    int version = 0;

    if (ermes__store_schema_version(req->srv->store, &version))
        return ermes__reply_json(req, 503,
                                 json_pack("{s:s,s:s}", "status", "unavailable", "reason",
                                           "the database does not answer"));
    {
        /* Warnings for the admins that do not make the service unavailable: the CSAF signing
         * key about to expire or expired (a public fact: the key is served under
         * /.well-known/csaf/openpgp/). */
        char home[1024], text[512];
        ermes__csaf_signer_t signer;
        json_t *j = json_pack("{s:s,s:s,s:i}", "status", "ok", "version", ERMES_VERSION,
                              "schema_version", version);

        ermes__csaf_signer_from_config(req->srv->cfg, home, sizeof(home), &signer);
        if (j && ermes__csaf_key_warning(&signer, ermes__time_now_ms(), text, sizeof(text)))
            json_object_set_new(j, "warnings", json_pack("[s]", text));
        return ermes__reply_json(req, 200, j);
    }
}

enum MHD_Result ermes__h_metrics(ermes__req_t *req)
{
    ermes__strbuf_t b;
    size_t n;
    char *text;

    ermes__strbuf_init(&b, 16u << 20);
    if (ermes__metrics_render(req->srv, &b)) {
        ermes__strbuf_cleanup(&b);
        return ermes__reply_error(req, 500, "internal", NULL, "cannot render metrics");
    }
    text = ermes__strbuf_take(&b, &n);
    if (!text)
        return MHD_NO;
    return ermes__reply_owned(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, n);
}

enum MHD_Result ermes__h_openapi(ermes__req_t *req)
{
    return ermes__reply_bytes(req, 200, "application/json", ermes__openapi_json,
                              ermes__openapi_json_len);
}

json_t *ermes__user_json(ermes__req_t *req, const ermes__user_t *u);

json_t *ermes__password_rule_json(void)
{
    /* What ermes__password_hash accepts, so that forms can say it (web/js). */
    return json_pack("{s:i,s:i}", "min_length", ERMES_PASSWORD_MIN, "max_length",
                     ERMES_PASSWORD_MAX);
}

enum MHD_Result ermes__h_me(ermes__req_t *req)
{
    char org[64] = "";

    ermes__store_org_short_name(req->srv->store, req->user.org_id, org, sizeof(org));
    return ermes__reply_json(req, 200,
                             json_pack("{s:o,s:s,s:o}", "user", ermes__user_json(req, &req->user),
                                       "organisation", org, "password_rule",
                                       ermes__password_rule_json()));
}
