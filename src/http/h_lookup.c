/* GET /api/v1/lookup?ip=|cidr=|domain=|asn= : who owns this? */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http.h"
#include "model/org.h"

static const char *const rules[] = {NULL, "network", "asn", "domain"};

#define CIDR_MATCHES_MAX 1000

/* A CIDR: every organisation owning a network inside it, equal to it or covering it. */
static enum MHD_Result lookup_cidr(ermes__req_t *req, const char *query, const char *field)
{
    static const char *const relation[] = {"covers", "equal", "inside"};
    ermes__lookup_net_t *nets = NULL;
    json_t *matches, *body;
    char text[ERMES_CIDR_STRLEN];
    ermes_diag_t d;
    size_t n = 0;
    int more = 0, rc;

    ermes_diag_clear(&d);
    rc = ermes__registry_lookup_cidr(req->srv->registry, &req->viewer, query, CIDR_MATCHES_MAX,
                                     &nets, &n, &more, &d);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 400, "bad_request", field, "%s", d.reason);
    if (rc)
        return ermes__reply_failure(req, rc, &d);
    if (!(matches = json_array())) {
        ermes__free(nets);
        return MHD_NO;
    }
    for (size_t i = 0; i < n; i++) {
        ermes_cidr_format(&nets[i].network, text);
        json_array_append_new(matches,
                              json_pack("{s:s,s:s,s:{s:I,s:s,s:s}}", "network", text, "relation",
                                        relation[nets[i].relation + 1], "organisation", "id",
                                        (json_int_t)nets[i].org_id, "short_name",
                                        nets[i].short_name, "name", nets[i].name));
    }
    ermes__free(nets);
    body = json_pack("{s:s,s:s,s:b,s:o,s:b}", "query", query, "type", "cidr", "found", n > 0,
                     "matches", matches, "truncated", more);
    return ermes__reply_json(req, 200, body);
}

enum MHD_Result ermes__h_lookup(ermes__req_t *req)
{
    const char *ip = ermes__query(req, "ip"), *domain = ermes__query(req, "domain"),
               *asn = ermes__query(req, "asn"), *cidr = ermes__query(req, "cidr"), *query;
    ermes__lookup_kind_t kind;
    ermes__lookup_t res;
    ermes_diag_t d;
    uint32_t hint = 0;
    json_t *body, *matched = json_null();
    char text[ERMES_CIDR_STRLEN];
    int rc;

    ermes_diag_clear(&d);
    if ((ip != NULL) + (cidr != NULL) + (domain != NULL) + (asn != NULL && ip == NULL) != 1)
        return ermes__reply_error(req, 400, "bad_request", NULL,
                                  "give exactly one of ip, cidr, domain or asn (asn may "
                                  "accompany ip as a hint)");
    if (cidr)
        return lookup_cidr(req, cidr, "cidr");
    if (ip && strchr(ip, '/') && !asn)
        return lookup_cidr(req, ip, "ip");
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
