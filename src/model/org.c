#include "model/org.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/time.h"

/* Capacity bookkeeping for the growable part arrays lives beside the org, not in the public
 * struct: arrays grow by doubling inside the arena. */
ermes__org_t *ermes__org_new(void)
{
    ermes__org_t *org = ermes__calloc(1, sizeof(*org));

    if (!org)
        return NULL;
    ermes__arena_init(&org->arena, 4096, 0);
    org->meta.tlp = ERMES_TLP_AMBER;
    return org;
}

void ermes__org_free(ermes__org_t *org)
{
    if (!org)
        return;
    ermes__arena_cleanup(&org->arena);
    ermes__free(org);
}

char *ermes__org_strdup(ermes__org_t *org, const char *s)
{
    return s ? ermes__arena_strdup(&org->arena, s) : NULL;
}

/* Grows an arena array of n elements to n + 1 when n is zero or a power of two. */
static void *grow(ermes__arena_t *a, void *arr, size_t n, size_t elem)
{
    void *p;

    if (n && (n & (n - 1)))
        return arr;
    if (n >= ERMES_ORG_MAX_ITEMS)
        return NULL;
    p = ermes__arena_alloc(a, (n ? n * 2 : 4) * elem);
    if (p && n)
        memcpy(p, arr, n * elem);
    return p;
}

#define ADD(org, arr, n, value)                                                                    \
    do {                                                                                           \
        void *p_ = grow(&(org)->arena, (org)->arr, (org)->n, sizeof(*(org)->arr));                 \
        if (!p_)                                                                                   \
            return (org)->n >= ERMES_ORG_MAX_ITEMS ? ERMES_ETOOBIG : ERMES_ENOMEM;                 \
        (org)->arr = p_;                                                                           \
        (org)->arr[(org)->n++] = (value);                                                          \
    } while (0)

int ermes__org_add_contact(ermes__org_t *org, const ermes__contact_t *c)
{
    ermes__contact_t copy = *c;

    copy.name = ermes__org_strdup(org, c->name);
    copy.email = ermes__org_strdup(org, c->email);
    copy.role = ermes__org_strdup(org, c->role);
    copy.language = ermes__org_strdup(org, c->language);
    copy.pgp_key = ermes__org_strdup(org, c->pgp_key);
    if ((c->name && !copy.name) || (c->email && !copy.email) || (c->role && !copy.role) ||
        (c->language && !copy.language) || (c->pgp_key && !copy.pgp_key))
        return ERMES_ENOMEM;
    ADD(org, contacts, ncontacts, copy);
    return 0;
}

int ermes__org_add_network(ermes__org_t *org, const ermes_cidr_t *net)
{
    ADD(org, networks, nnetworks, *net);
    return 0;
}

int ermes__org_add_asn(ermes__org_t *org, uint32_t asn)
{
    ADD(org, asns, nasns, asn);
    return 0;
}

int ermes__org_add_domain(ermes__org_t *org, const char *domain)
{
    char *copy = ermes__org_strdup(org, domain);

    if (!copy)
        return ERMES_ENOMEM;
    ADD(org, domains, ndomains, copy);
    return 0;
}

int ermes__org_check_short_name(const char *s, ermes_diag_t *d)
{
    size_t n = strlen(s);

    if (n == 0 || n > 32) {
        ermes_diag_set(d, "short_name", "short_name must be 1 to 32 characters");
        return ERMES_EINVAL;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
            ermes_diag_set(d, "short_name",
                           "short_name may hold only letters, digits, '-', '_' and '.'");
            return ERMES_EINVAL;
        }
    }
    /* Words that are routes under /api/v1/organisations/ cannot name an organisation. */
    if (strcasecmp(s, "import") == 0 || strcasecmp(s, "export") == 0) {
        ermes_diag_set(d, "short_name", "\"%s\" is reserved and cannot be a short_name", s);
        return ERMES_EINVAL;
    }
    /* All digits would be ambiguous with numeric ids in URLs. */
    if (strspn(s, "0123456789") == n) {
        ermes_diag_set(d, "short_name", "short_name must not be only digits");
        return ERMES_EINVAL;
    }
    return 0;
}

int ermes__org_parse_asn(const char *s, size_t len, uint32_t *out)
{
    uint64_t v = 0;
    size_t k = 0;

    if (len >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
        k = 2;
    if (k == len)
        return ERMES_EINVAL;
    for (; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return ERMES_EINVAL;
        v = v * 10 + (uint64_t)(s[k] - '0');
        if (v > 4294967295u)
            return ERMES_ERANGE;
    }
    /* AS 0 is reserved (RFC 7607) and never owned. */
    if (v == 0)
        return ERMES_ERANGE;
    *out = (uint32_t)v;
    return 0;
}

int ermes__org_check_domain(char *s, ermes_diag_t *d)
{
    size_t n = strlen(s), label = 0;

    if (n && s[n - 1] == '.')
        s[--n] = '\0';
    if (n == 0 || n > 253) {
        ermes_diag_set(d, NULL, "a domain must be 1 to 253 characters");
        return ERMES_EINVAL;
    }
    for (size_t k = 0; k <= n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (k == n || c == '.') {
            if (label == 0 || label > 63) {
                ermes_diag_set(d, NULL, "domain \"%.64s\" has an empty or over-long label", s);
                return ERMES_EINVAL;
            }
            if (s[k - 1] == '-' || s[k - label] == '-') {
                ermes_diag_set(d, NULL, "a domain label must not start or end with '-'");
                return ERMES_EINVAL;
            }
            label = 0;
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            s[k] = (char)(c + 32);
        else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' && c != '_') {
            ermes_diag_set(d, NULL,
                           "domain \"%.64s\" holds a character not allowed in a host name "
                           "(use the IDNA A-label form, xn--...)",
                           s);
            return ERMES_EINVAL;
        }
        label++;
    }
    return 0;
}

int ermes__org_check_email(const char *s, ermes_diag_t *d)
{
    const char *at = strchr(s, '@');
    size_t n = strlen(s);

    if (n > 254 || !at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        s[n - 1] == '.') {
        ermes_diag_set(d, NULL, "\"%.64s\" is not an e-mail address", s);
        return ERMES_EINVAL;
    }
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';') {
            ermes_diag_set(d, NULL, "an e-mail address must not hold spaces or <>,;");
            return ERMES_EINVAL;
        }
    return 0;
}

static const char *const org_types[] = {"institution", "body", "agency",  "office",
                                        "directorate", "cert", "company", "ministry",
                                        "other",       NULL};
static const char *const contact_roles[] = {"abuse",     "security",     "cert", "management",
                                            "technical", "notification", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* A JSON string may hold NUL characters (jansson's JSON_ALLOW_NUL, or json_stringn()); C code
 * would silently cut it at the first one, so such strings are refused wherever one is read. */
static int has_nul(const json_t *s)
{
    return strlen(json_string_value(s)) != json_string_length(s);
}

/* Names the member a diagnostic is about; d may be NULL. */
static void set_field(ermes_diag_t *d, const char *field)
{
    if (d)
        snprintf(d->field, sizeof(d->field), "%s", field);
}

/* Reads an optional string member; returns 1 if present (out set, NULL for JSON null), 0 if
 * absent, <0 on a type error. */
static int get_str(ermes__org_t *org, const json_t *obj, const char *key, size_t max, char **out,
                   ermes_diag_t *d)
{
    json_t *v = json_object_get(obj, key);

    if (!v)
        return 0;
    if (json_is_null(v)) {
        *out = NULL;
        return 1;
    }
    if (!json_is_string(v)) {
        ermes_diag_set(d, key, "%s must be a string", key);
        return ERMES_EINVAL;
    }
    if (json_string_length(v) > max) {
        ermes_diag_set(d, key, "%s is longer than %zu bytes", key, max);
        return ERMES_EINVAL;
    }
    if (has_nul(v)) {
        ermes_diag_set(d, key, "%s must not contain NUL characters", key);
        return ERMES_EINVAL;
    }
    *out = ermes__org_strdup(org, json_string_value(v));
    return *out ? 1 : ERMES_ENOMEM;
}

static int read_contact(ermes__org_t *org, const json_t *c, size_t i, ermes_diag_t *d)
{
    ermes__contact_t ct;
    char field[64];
    int rc;
    json_t *tlp;
    static const char *const known[] = {"id",         "name",       "email", "role",
                                        "language",   "pgp_key",    "tlp",   "published",
                                        "created_at", "updated_at", NULL};
    const char *key;
    json_t *value;

    memset(&ct, 0, sizeof(ct));
    ct.meta.tlp = org->meta.tlp;
    snprintf(field, sizeof(field), "contacts[%zu]", i);
    if (!json_is_object(c)) {
        ermes_diag_set(d, field, "%s must be an object", field);
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)c, key, value)
    {
        if (!in_list(key, known)) {
            ermes_diag_set(d, field, "%s: unknown member \"%.32s\"", field, key);
            return ERMES_EINVAL;
        }
    }
    if ((rc = get_str(org, c, "name", 200, &ct.name, d)) < 0 ||
        (rc = get_str(org, c, "email", 254, &ct.email, d)) < 0 ||
        (rc = get_str(org, c, "role", 32, &ct.role, d)) < 0 ||
        (rc = get_str(org, c, "language", 8, &ct.language, d)) < 0 ||
        (rc = get_str(org, c, "pgp_key", 65536, &ct.pgp_key, d)) < 0)
        goto fail;
    if (!ct.email) {
        ermes_diag_set(d, NULL, "%s: email is required", field);
        if (d)
            snprintf(d->field, sizeof(d->field), "%.40s.email", field);
        return ERMES_EINVAL;
    }
    if ((rc = ermes__org_check_email(ct.email, d)) < 0) {
        if (d)
            snprintf(d->field, sizeof(d->field), "email");
        goto fail;
    }
    if (!ct.role)
        ct.role = "abuse";
    if (!in_list(ct.role, contact_roles)) {
        if (d)
            snprintf(d->field, sizeof(d->field), "%.40s.role", field);
        ermes_diag_set(d, NULL,
                       "%s: role must be abuse, security, cert, management, technical or "
                       "notification",
                       field);
        return ERMES_EINVAL;
    }
    if (ct.language && (strlen(ct.language) != 2 || !islower((unsigned char)ct.language[0]) ||
                        !islower((unsigned char)ct.language[1]))) {
        ermes_diag_set(d, NULL, "%s: language must be an ISO 639-1 code such as \"en\"", field);
        if (d)
            snprintf(d->field, sizeof(d->field), "%.40s.language", field);
        return ERMES_EINVAL;
    }
    if (!ct.language)
        ct.language = "en";
    if (ct.pgp_key && !strstr(ct.pgp_key, "-----BEGIN PGP PUBLIC KEY BLOCK-----")) {
        ermes_diag_set(d, NULL, "%s: pgp_key must be an ASCII-armoured OpenPGP public key", field);
        if (d)
            snprintf(d->field, sizeof(d->field), "%.40s.pgp_key", field);
        return ERMES_EINVAL;
    }
    if ((tlp = json_object_get(c, "tlp")) &&
        (!json_is_string(tlp) || has_nul(tlp) ||
         ermes_tlp_parse(json_string_value(tlp), json_string_length(tlp), &ct.meta.tlp))) {
        ermes_diag_set(d, NULL, "%s: tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED", field);
        if (d)
            snprintf(d->field, sizeof(d->field), "%.40s.tlp", field);
        return ERMES_EINVAL;
    }
    if ((value = json_object_get(c, "published"))) {
        if (!json_is_boolean(value)) {
            ermes_diag_set(d, NULL, "%s: published must be true or false", field);
            if (d)
                snprintf(d->field, sizeof(d->field), "%.40s.published", field);
            return ERMES_EINVAL;
        }
        ct.published = json_is_true(value);
    }
    return ermes__org_add_contact(org, &ct);
fail:
    if (rc == ERMES_EINVAL && d) {
        /* Prefix the member with the contact's position so the caller sees where. */
        char inner[32];
        snprintf(inner, sizeof(inner), "%.31s", d->field);
        snprintf(d->field, sizeof(d->field), "%.24s.%.31s", field, inner);
    }
    return rc;
}

static int read_array(const json_t *obj, const char *key, json_t **out, ermes_diag_t *d)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return v ? 1 : 0;
    if (!json_is_array(v)) {
        ermes_diag_set(d, key, "%s must be an array", key);
        return ERMES_EINVAL;
    }
    if (json_array_size(v) > ERMES_ORG_MAX_ITEMS) {
        ermes_diag_set(d, key, "%s holds more than %d items", key, ERMES_ORG_MAX_ITEMS);
        return ERMES_ETOOBIG;
    }
    *out = v;
    return 1;
}

int ermes__org_from_json(ermes__org_t *org, const json_t *obj, int partial, ermes_diag_t *d)
{
    static const char *const known[] = {
        "id",    "short_name", "name",     "country", "sector",  "type",       "parent",     "tlp",
        "owner", "contacts",   "networks", "asns",    "domains", "created_at", "updated_at", NULL};
    const char *key;
    json_t *value, *arr;
    char field[64];
    size_t i;
    int rc;

    if (!json_is_object(obj)) {
        ermes_diag_set(d, NULL, "an organisation must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)obj, key, value)
    {
        if (!in_list(key, known)) {
            ermes_diag_set(d, key, "unknown member \"%.48s\"", key);
            return ERMES_EINVAL;
        }
    }
    if ((rc = get_str(org, obj, "short_name", 32, &org->short_name, d)) < 0)
        return rc;
    if (rc)
        org->has |= ERMES_ORG_HAS_SHORT_NAME;
    if ((rc = get_str(org, obj, "name", 200, &org->name, d)) < 0)
        return rc;
    if (rc)
        org->has |= ERMES_ORG_HAS_NAME;
    /* Neither may be cleared by a partial update: both columns are NOT NULL. */
    if ((!partial || (org->has & ERMES_ORG_HAS_SHORT_NAME)) && !org->short_name) {
        ermes_diag_set(d, "short_name", "short_name is required");
        return ERMES_EINVAL;
    }
    if (org->short_name && (rc = ermes__org_check_short_name(org->short_name, d)) < 0)
        return rc;
    if ((!partial || (org->has & ERMES_ORG_HAS_NAME)) && (!org->name || !org->name[0])) {
        ermes_diag_set(d, "name", "name is required");
        return ERMES_EINVAL;
    }
    if ((rc = get_str(org, obj, "country", 2, &org->country, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_COUNTRY;
        if (org->country &&
            (strlen(org->country) != 2 || !isalpha((unsigned char)org->country[0]) ||
             !isalpha((unsigned char)org->country[1]))) {
            ermes_diag_set(d, "country", "country must be an ISO 3166-1 alpha-2 code");
            return ERMES_EINVAL;
        }
        if (org->country) {
            org->country[0] = (char)toupper((unsigned char)org->country[0]);
            org->country[1] = (char)toupper((unsigned char)org->country[1]);
        }
    }
    if ((rc = get_str(org, obj, "sector", 64, &org->sector, d)) < 0)
        return rc;
    if (rc)
        org->has |= ERMES_ORG_HAS_SECTOR;
    if ((rc = get_str(org, obj, "type", 32, &org->type, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_TYPE;
        if (org->type && !in_list(org->type, org_types)) {
            ermes_diag_set(d, "type",
                           "type must be institution, body, agency, office, directorate, cert, "
                           "company, ministry or other");
            return ERMES_EINVAL;
        }
    }
    if ((rc = get_str(org, obj, "parent", 32, &org->parent, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_PARENT;
        if (org->parent && (rc = ermes__org_check_short_name(org->parent, d)) < 0) {
            set_field(d, "parent");
            return rc;
        }
    }
    if ((value = json_object_get(obj, "tlp"))) {
        if (!json_is_string(value) || has_nul(value) ||
            ermes_tlp_parse(json_string_value(value), json_string_length(value), &org->meta.tlp)) {
            ermes_diag_set(d, "tlp", "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
            return ERMES_EINVAL;
        }
        org->has |= ERMES_ORG_HAS_TLP;
    }

    if ((rc = read_array(obj, "contacts", &arr, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_CONTACTS;
        json_array_foreach(arr, i, value)
        {
            if ((rc = read_contact(org, value, i, d)) < 0)
                return rc;
        }
    }
    if ((rc = read_array(obj, "networks", &arr, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_NETWORKS;
        json_array_foreach(arr, i, value)
        {
            ermes_cidr_t net;
            json_t *s = json_is_object(value) ? json_object_get(value, "cidr") : value;
            snprintf(field, sizeof(field), "networks[%zu]", i);
            if (!json_is_string(s) || has_nul(s)) {
                ermes_diag_set(d, field, "%s must be a CIDR string", field);
                return ERMES_EINVAL;
            }
            if (ermes_cidr_parse(json_string_value(s), json_string_length(s), 0, &net, d)) {
                set_field(d, field);
                return ERMES_EINVAL;
            }
            if ((rc = ermes__org_add_network(org, &net)) < 0)
                return rc;
        }
    }
    if ((rc = read_array(obj, "asns", &arr, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_ASNS;
        json_array_foreach(arr, i, value)
        {
            uint32_t asn = 0;
            snprintf(field, sizeof(field), "asns[%zu]", i);
            if (json_is_object(value))
                value = json_object_get(value, "asn");
            if (json_is_integer(value) && json_integer_value(value) > 0 &&
                json_integer_value(value) <= 4294967295LL)
                asn = (uint32_t)json_integer_value(value);
            else if (!json_is_string(value) || has_nul(value) ||
                     ermes__org_parse_asn(json_string_value(value), json_string_length(value),
                                          &asn)) {
                ermes_diag_set(d, field, "%s must be an AS number from 1 to 4294967295", field);
                return ERMES_EINVAL;
            }
            if ((rc = ermes__org_add_asn(org, asn)) < 0)
                return rc;
        }
    }
    if ((rc = read_array(obj, "domains", &arr, d)) < 0)
        return rc;
    if (rc) {
        org->has |= ERMES_ORG_HAS_DOMAINS;
        json_array_foreach(arr, i, value)
        {
            char buf[256];
            snprintf(field, sizeof(field), "domains[%zu]", i);
            if (json_is_object(value))
                value = json_object_get(value, "domain");
            if (!json_is_string(value) || json_string_length(value) >= sizeof(buf) ||
                has_nul(value)) {
                ermes_diag_set(d, field, "%s must be a domain name", field);
                return ERMES_EINVAL;
            }
            snprintf(buf, sizeof(buf), "%s", json_string_value(value));
            if (ermes__org_check_domain(buf, d)) {
                set_field(d, field);
                return ERMES_EINVAL;
            }
            if ((rc = ermes__org_add_domain(org, buf)) < 0)
                return rc;
        }
    }
    return 0;
}

/* Adds key: string-or-null to obj; returns -1 when out of memory. */
static int set_str(json_t *obj, const char *key, const char *s)
{
    return json_object_set_new(obj, key, s ? json_string(s) : json_null());
}

static int set_time(json_t *obj, const char *key, int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    ermes__time_format(ms, buf);
    return json_object_set_new(obj, key, json_string(buf));
}

json_t *ermes__org_to_json(const ermes__org_t *org)
{
    json_t *o = json_object(), *arr;
    char buf[ERMES_CIDR_STRLEN];
    int bad = 0;

    if (!o)
        return NULL;
    bad |= json_object_set_new(o, "id", json_integer(org->meta.id));
    bad |= set_str(o, "short_name", org->short_name);
    bad |= set_str(o, "name", org->name);
    bad |= set_str(o, "country", org->country);
    bad |= set_str(o, "sector", org->sector);
    bad |= set_str(o, "type", org->type);
    bad |= set_str(o, "parent", org->parent);
    bad |= json_object_set_new(o, "tlp", json_string(ermes_tlp_name(org->meta.tlp)));
    bad |= set_str(o, "owner", org->owner);
    bad |= set_time(o, "created_at", org->meta.created_at);
    bad |= set_time(o, "updated_at", org->meta.updated_at);

    bad |= json_object_set_new(o, "contacts", arr = json_array());
    for (size_t k = 0; arr && k < org->ncontacts; k++) {
        const ermes__contact_t *c = &org->contacts[k];
        json_t *cj = json_object();
        if (!cj) {
            bad = 1;
            break;
        }
        if (c->meta.id)
            bad |= json_object_set_new(cj, "id", json_integer(c->meta.id));
        bad |= set_str(cj, "name", c->name);
        bad |= set_str(cj, "email", c->email);
        bad |= set_str(cj, "role", c->role);
        bad |= set_str(cj, "language", c->language);
        if (c->pgp_key)
            bad |= set_str(cj, "pgp_key", c->pgp_key);
        bad |= json_object_set_new(cj, "tlp", json_string(ermes_tlp_name(c->meta.tlp)));
        bad |= json_object_set_new(cj, "published", json_boolean(c->published));
        bad |= json_array_append_new(arr, cj);
    }
    bad |= json_object_set_new(o, "networks", arr = json_array());
    for (size_t k = 0; arr && k < org->nnetworks; k++) {
        ermes_cidr_format(&org->networks[k], buf);
        bad |= json_array_append_new(arr, json_string(buf));
    }
    bad |= json_object_set_new(o, "asns", arr = json_array());
    for (size_t k = 0; arr && k < org->nasns; k++)
        bad |= json_array_append_new(arr, json_integer(org->asns[k]));
    bad |= json_object_set_new(o, "domains", arr = json_array());
    for (size_t k = 0; arr && k < org->ndomains; k++)
        bad |= json_array_append_new(arr, json_string(org->domains[k]));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
