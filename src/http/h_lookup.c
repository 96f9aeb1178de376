/* GET /api/v1/lookup?ip=|domain=|asn= : who owns this? */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "model/org.h"

static const char *const rules[] = {NULL, "network", "asn", "domain"};

enum MHD_Result ermes__h_lookup(ermes__req_t *req)
{
    const char *ip = ermes__query(req, "ip"), *domain = ermes__query(req, "domain"),
               *asn = ermes__query(req, "asn"), *query;
    ermes__lookup_kind_t kind;
    ermes__lookup_t res;
    ermes_diag_t d;
    uint32_t hint = 0;
    json_t *body, *matched = json_null();
    char text[ERMES_CIDR_STRLEN];
    int rc;

    ermes_diag_clear(&d);
    if ((ip != NULL) + (domain != NULL) + (asn != NULL && ip == NULL) != 1)
        return ermes__reply_error(req, 400, "bad_request", NULL,
                                  "give exactly one of ip, domain or asn (asn may accompany ip "
                                  "as a hint)");
    if (ip) {
        kind = ERMES_LOOKUP_IP;
        query = ip;
        if (asn && ermes__org_parse_asn(asn, strlen(asn), &hint))
            return ermes__reply_error(req, 400, "bad_request", "asn",
                                      "asn must be an AS number such as 64496 or AS64496");
    } else if (domain) {
        kind = ERMES_LOOKUP_DOMAIN;
        query = domain;
    } else {
        kind = ERMES_LOOKUP_ASN;
        query = asn;
    }
    rc = ermes__registry_lookup(req->srv->registry, &req->viewer, kind, query, hint, &res, &d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 400, "bad_request",
                                  kind == ERMES_LOOKUP_IP       ? "ip"
                                  : kind == ERMES_LOOKUP_DOMAIN ? "domain"
                                                                : "asn",
                                  "%s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    if (res.found) {
        if (res.owner.rule == ERMES_OWNER_NETWORK) {
            ermes_cidr_format(&res.owner.network, text);
            matched = json_string(text);
        } else if (res.owner.rule == ERMES_OWNER_ASN) {
            matched = json_integer(res.owner.asn);
        } else {
            matched = json_string(res.matched_domain);
        }
    }
    body = json_pack("{s:s,s:s,s:b,s:o,s:s?,s:o}", "query", query, "type",
                     kind == ERMES_LOOKUP_IP       ? "ip"
                     : kind == ERMES_LOOKUP_DOMAIN ? "domain"
                                                   : "asn",
                     "found", res.found, "organisation",
                     res.found ? json_pack("{s:I,s:s,s:s}", "id", (json_int_t)res.org_id,
                                           "short_name", res.short_name, "name", res.name)
                               : json_null(),
                     "rule", res.found ? rules[res.owner.rule] : NULL, "matched", matched);
    return ermes__reply_json(req, 200, body);
}
