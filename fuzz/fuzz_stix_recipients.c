/* libFuzzer target for the named recipients of a stored STIX object (GET and PATCH
 * /api/v1/stix/{name}/recipients, src/sharing/stix_recipients.c), on a SQLite store in a
 * temporary directory made once, holding two organisations and four objects (CLEAR, GREEN,
 * AMBER owned by ACME, RED). The first byte picks the viewer (bits 0-1: administrator,
 * analyst, ACME's, BETA's), whether it changes (bit 2) and, for an empty id, which object (bits
 * 3-4); the input's first line is the id (the path's segment), the rest the PATCH body, read
 * as the handler reads it. Checks: every refusal is one of the documented codes with a reason;
 * what is accepted by a change is what is then listed (its recipients, in number); no
 * recipient is ever kept on a CLEAR or GREEN object. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access/tlp_recipients.h"
#include "model/org.h"
#include "sharing/stix.h"

static ermes__store_t *store;
static int64_t acme, beta;
static const char *const ids[4] = {"malware--00000000-0000-4000-8000-000000000001",
                                   "malware--00000000-0000-4000-8000-000000000002",
                                   "malware--00000000-0000-4000-8000-000000000003",
                                   "malware--00000000-0000-4000-8000-000000000004"};

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_stix_recipients: %s\n", what);
    abort();
}

static int64_t add_org(const char *short_name)
{
    ermes__org_t *org = ermes__org_new();
    ermes_diag_t d;
    int64_t id;

    check(org != NULL, "an organisation");
    org->short_name = ermes__org_strdup(org, short_name);
    org->name = ermes__org_strdup(org, short_name);
    ermes_diag_clear(&d);
    check(ermes__store_org_insert(store, org, &d) == 0, "an organisation stored");
    id = org->meta.id;
    ermes__org_free(org);
    return id;
}

static void setup(void)
{
    static const char *const markings[4] = {
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"};
    char dir[] = "/tmp/ermes-fuzz-stix-recipients-XXXXXX";
    ermes__store_options_t opts = {0, 1, 0, NULL};

    check(mkdtemp(dir) != NULL, "a temporary directory");
    check(ermes__store_open(dir, &opts, &store) == 0, "a store");
    acme = add_org("ACME");
    beta = add_org("BETA");
    for (int k = 0; k < 4; k++) {
        ermes__viewer_t owner = {1, "fuzz", ERMES_ROLE_ADMIN, k == 2 ? acme : 0, "fuzz"};
        ermes__stix_import_opts_t o;
        ermes__stix_import_result_t res;
        ermes_diag_t d;
        char obj[512];

        snprintf(obj, sizeof(obj),
                 "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":"
                 "\"2026-01-01T00:00:00.000Z\",\"name\":\"m%d\",\"is_family\":false,"
                 "\"object_marking_refs\":[\"%s\"]}",
                 ids[k], k, markings[k]);
        memset(&o, 0, sizeof(o));
        o.viewer = &owner;
        o.default_tlp = ERMES_TLP_AMBER;
        o.max_tlp = ERMES_TLP_RED;
        ermes__stix_import_result_init(&res);
        ermes_diag_clear(&d);
        check(ermes__stix_import(store, obj, strlen(obj), &o, &res, &d) == 0 && res.stored == 1,
              "an object stored");
        ermes__stix_import_result_cleanup(&res);
    }
}

static void refused(int rc, const ermes_diag_t *d)
{
    check(rc == ERMES_EINVAL || rc == ERMES_ENOTFOUND || rc == ERMES_EDENIED ||
              rc == ERMES_ECONFLICT,
          "an unexpected error code");
    check(d->reason[0] != '\0', "a refusal without a reason");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__viewer_t v = {2, "fuzz", ERMES_ROLE_ADMIN, 0, "fuzz"};
    int64_t orgs[ERMES__TLP_RECIPIENTS_MAX];
    ermes__stix_owned_t o;
    ermes_diag_t d;
    char id[400];
    const char *nl;
    json_t *body = NULL, *j;
    size_t n = 0, idlen;
    int change, rc;

    if (!store)
        setup();
    if (size < 1 || size > 1 << 16)
        return 0;
    switch (data[0] & 3) {
    case 1:
        v.role = ERMES_ROLE_ANALYST;
        break;
    case 2:
        v.role = ERMES_ROLE_CONSTITUENT;
        v.org_id = acme;
        break;
    case 3:
        v.role = ERMES_ROLE_CONSTITUENT;
        v.org_id = beta;
        break;
    default:
        break;
    }
    change = (data[0] >> 2) & 1;
    data++;
    size--;
    nl = memchr(data, '\n', size);
    idlen = nl ? (size_t)(nl - (const char *)data) : size;
    if (idlen >= sizeof(id))
        return 0;
    memcpy(id, data, idlen);
    id[idlen] = '\0';
    if (memchr(id, '\0', idlen))
        return 0; /* a path segment has no NUL */
    if (!idlen)
        snprintf(id, sizeof(id), "%s", ids[(data[-1] >> 3) & 3]);
    ermes_diag_clear(&d);
    rc = ermes__stix_recipients_find(store, &v, id, change, &o, &d);
    if (rc) {
        refused(rc, &d);
        return 0;
    }
    check(!strcmp(o.stix_id, id), "another object found");
    if (change && nl)
        body = json_loadb(nl + 1, size - idlen - 1, JSON_REJECT_DUPLICATES, NULL);
    if (body && json_is_object(body) && json_object_get(body, "recipients")) {
        ermes_diag_clear(&d);
        rc = ermes__tlp_recipients_parse(store, &v, json_object_get(body, "recipients"),
                                         "recipients", orgs, &n, &d);
        if (!rc)
            rc = ermes__stix_recipients_change(store, &v, &o, orgs, n, &d);
        if (rc)
            refused(rc, &d);
        else
            check(o.tlp >= ERMES_TLP_AMBER || n == 0, "a recipient of a CLEAR or GREEN object");
        j = ermes__stix_recipients_json(store, &o);
        check(j != NULL, "the recipients listed");
        if (!rc)
            check(json_array_size(json_object_get(j, "recipients")) == n,
                  "the recipients listed are those set");
        check(o.tlp >= ERMES_TLP_AMBER || json_array_size(json_object_get(j, "recipients")) == 0,
              "a CLEAR or GREEN object names recipients");
        json_decref(j);
    }
    json_decref(body);
    return 0;
}
