/* Ownership lookup: which constituent organisation owns an IP address, a domain or an ASN.
 *
 * An ownership index is built once from the registry's networks, domains and ASNs, then never
 * changes: any number of threads may look up in it at once without locks. When the registry
 * changes, a new index is built and swapped in (see src/constituency/registry.c); readers keep
 * the old one alive until they drop their reference.
 *
 * Rules (DESIGN.md, issue "Foundation"):
 *  - IP: the most specific network containing the address wins; if none does and the caller
 *    knows the address's ASN, the ASN's owner; else no owner.
 *  - domain: the longest registered suffix on a label boundary wins: "mail.dept.example.eu"
 *    belongs to the owner of "dept.example.eu" before the owner of "example.eu". Names are
 *    compared case-insensitively; one trailing dot is ignored.
 *  - ASN: exact. */
#ifndef ERMES_OWNERSHIP_H
#define ERMES_OWNERSHIP_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/net.h"

typedef struct ermes_ownership ermes_ownership_t;
typedef struct ermes_ownership_builder ermes_ownership_builder_t;

/* Which rule produced a match. */
typedef enum ermes_owner_rule {
    ERMES_OWNER_NONE = 0,
    ERMES_OWNER_NETWORK, /* a registered network contains the IP */
    ERMES_OWNER_ASN,     /* the ASN is registered */
    ERMES_OWNER_DOMAIN   /* a registered domain is the name or one of its parents */
} ermes_owner_rule_t;

/* The answer of a lookup. Pointers borrow from the index and live as long as it does. */
typedef struct ermes_owner {
    int64_t org_id; /* 0 when rule is ERMES_OWNER_NONE */
    ermes_owner_rule_t rule;
    ermes_cidr_t network; /* the matching network, for ERMES_OWNER_NETWORK */
    uint32_t asn;         /* the matching ASN, for ERMES_OWNER_ASN */
    const char *domain;   /* the matching registered domain (NUL-terminated, lower case),
                             for ERMES_OWNER_DOMAIN */
} ermes_owner_t;

/* Builder: collect the rules, then compile. Returns 0 or ERMES_ENOMEM. */
int ermes_ownership_builder_new(ermes_ownership_builder_t **out);
void ermes_ownership_builder_free(ermes_ownership_builder_t *b);

/* Adds a rule. The same network/domain/ASN added twice: the last one wins.
 * Domain: borrowed, copied, lower-cased, trailing dot stripped; ERMES_EINVAL when empty or
 * longer than 253 bytes. Returns 0, ERMES_EINVAL or ERMES_ENOMEM. */
int ermes_ownership_add_network(ermes_ownership_builder_t *b, const ermes_cidr_t *net,
                                int64_t org_id);
int ermes_ownership_add_asn(ermes_ownership_builder_t *b, uint32_t asn, int64_t org_id);
int ermes_ownership_add_domain(ermes_ownership_builder_t *b, const char *domain, size_t len,
                               int64_t org_id);

/* Compiles the rules into an immutable index (refcount 1). The builder is left empty and may be
 * reused or freed. Returns 0 or ERMES_ENOMEM. */
int ermes_ownership_build(ermes_ownership_builder_t *b, ermes_ownership_t **out);

/* Reference counting (atomic). ermes_ownership_release(NULL) is a no-op. */
ermes_ownership_t *ermes_ownership_retain(ermes_ownership_t *idx);
void ermes_ownership_release(ermes_ownership_t *idx);

/* Lookups. They never fail: "no owner" is out->rule == ERMES_OWNER_NONE, out->org_id == 0.
 * asn_hint: the address's ASN when known (0 = unknown), consulted only if no network matches.
 * Returns 1 if an owner was found, else 0. */
int ermes_ownership_ip(const ermes_ownership_t *idx, const ermes_ip_t *ip, uint32_t asn_hint,
                       ermes_owner_t *out);
int ermes_ownership_asn(const ermes_ownership_t *idx, uint32_t asn, ermes_owner_t *out);
int ermes_ownership_domain(const ermes_ownership_t *idx, const char *name, size_t len,
                           ermes_owner_t *out);

/* Every registered network that overlaps q: inside it, equal to it, or covering it (a CIDR
 * lookup: who owns anything of 198.51.0.0/16?). cb gets each one as an owner (rule
 * ERMES_OWNER_NETWORK, org_id, network), in no particular order; a non-zero return stops the
 * walk and is returned. Returns 0 otherwise. */
typedef int (*ermes_ownership_network_cb)(void *ctx, const ermes_owner_t *owner);
int ermes_ownership_networks(const ermes_ownership_t *idx, const ermes_cidr_t *q,
                             ermes_ownership_network_cb cb, void *ctx);

/* Counts, for /metrics and the benchmark. */
typedef struct ermes_ownership_stats {
    size_t networks4, networks6, asns, domains;
    size_t bytes; /* memory held by the index */
} ermes_ownership_stats_t;
void ermes_ownership_stats(const ermes_ownership_t *idx, ermes_ownership_stats_t *out);

#endif
