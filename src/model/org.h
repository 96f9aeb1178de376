/* Constituent organisations and what they own: contacts, networks, ASNs, domains.
 *
 * An ermes__org_t owns all its memory through its arena; ermes__org_free() releases it in one
 * call. Strings are NUL-terminated UTF-8; optional strings are NULL when absent. */
#ifndef ERMES_MODEL_ORG_H
#define ERMES_MODEL_ORG_H

#include <jansson.h>
#include <stdint.h>

#include "core/arena.h"
#include "ermes/error.h"
#include "ermes/net.h"
#include "ermes/tlp.h"

/* What every stored object carries (DESIGN.md: TLP label, owner organisation, times). */
typedef struct ermes__meta {
    int64_t id; /* 0 until stored */
    ermes_tlp_t tlp;
    int64_t owner_org_id; /* the organisation that owns the record (the CERT for its registry) */
    int64_t created_at;   /* ms since the epoch */
    int64_t updated_at;
} ermes__meta_t;

typedef struct ermes__contact {
    ermes__meta_t meta;
    char *name;
    char *email;
    char *role;     /* abuse, security, cert, management, technical */
    char *language; /* ISO 639-1 */
    char *pgp_key;  /* ASCII-armoured OpenPGP public key, optional */
    int published;  /* 1: other constituents may see it (the community's directory) */
} ermes__contact_t;

typedef struct ermes__org {
    ermes__meta_t meta;
    char *short_name; /* unique handle: letters, digits, '-', '_', '.'; 1-32 bytes */
    char *name;
    char *country; /* ISO 3166-1 alpha-2, upper case, optional */
    char *sector;  /* optional */
    char *type;    /* institution, body, agency, office, directorate, cert, company, other */
    char *parent;  /* parent's short name, optional */
    int64_t parent_id;
    char *owner; /* owner's short name, for output */

    ermes__contact_t *contacts;
    size_t ncontacts;
    ermes_cidr_t *networks;
    size_t nnetworks;
    uint32_t *asns;
    size_t nasns;
    char **domains;
    size_t ndomains;

    /* Which optional parts a partial update (PATCH) carries. */
    unsigned has; /* ERMES_ORG_HAS_* */

    ermes__arena_t arena;
} ermes__org_t;

#define ERMES_ORG_HAS_NAME 0x001u
#define ERMES_ORG_HAS_COUNTRY 0x002u
#define ERMES_ORG_HAS_SECTOR 0x004u
#define ERMES_ORG_HAS_TYPE 0x008u
#define ERMES_ORG_HAS_PARENT 0x010u
#define ERMES_ORG_HAS_TLP 0x020u
#define ERMES_ORG_HAS_CONTACTS 0x040u
#define ERMES_ORG_HAS_NETWORKS 0x080u
#define ERMES_ORG_HAS_ASNS 0x100u
#define ERMES_ORG_HAS_DOMAINS 0x200u
#define ERMES_ORG_HAS_SHORT_NAME 0x400u

/* Limits on one organisation's parts. */
#define ERMES_ORG_MAX_ITEMS 100000

/* Returns a zeroed organisation with its arena, TLP AMBER; NULL when out of memory.
 * Caller frees with ermes__org_free(). */
ermes__org_t *ermes__org_new(void);
void ermes__org_free(ermes__org_t *org);

/* Reads an organisation from JSON (the shape of GET /api/v1/organisations/{id}). Networks are
 * CIDR strings, ASNs numbers or "AS64496" strings, domains strings, contacts objects. With
 * partial=1, absent members stay absent (org->has says which came); else short_name and name
 * are required. Every value is validated; the first problem goes into d (d->field names the
 * member, e.g. "networks[2]"). Returns 0, ERMES_EINVAL, ERMES_ENOMEM. */
int ermes__org_from_json(ermes__org_t *org, const json_t *obj, int partial, ermes_diag_t *d);

/* Validates and normalises one value; used by the JSON and CSV readers. */
int ermes__org_check_short_name(const char *s, ermes_diag_t *d);
int ermes__org_parse_asn(const char *s, size_t len, uint32_t *out);
/* Lower-cases and checks a domain name in place (labels 1-63 of [a-z0-9-_], not starting or
 * ending with '-', total <= 253, at least one label; one trailing dot removed). */
int ermes__org_check_domain(char *s, ermes_diag_t *d);
int ermes__org_check_email(const char *s, ermes_diag_t *d);

/* Appends parts to an organisation (memory from its arena). */
int ermes__org_add_contact(ermes__org_t *org, const ermes__contact_t *c);
int ermes__org_add_network(ermes__org_t *org, const ermes_cidr_t *net);
int ermes__org_add_asn(ermes__org_t *org, uint32_t asn);
int ermes__org_add_domain(ermes__org_t *org, const char *domain);
char *ermes__org_strdup(ermes__org_t *org, const char *s);

/* Writes the organisation as JSON; new reference or NULL when out of memory. */
json_t *ermes__org_to_json(const ermes__org_t *org);

#endif
