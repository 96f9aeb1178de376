/* A MISP feed published by ermes per sharing group (issue 12 item 6): the same three kinds of
 * file as the CIRCL OSINT feed that MISP instances subscribe to, made on each request from the
 * indicators the reader may see under the group's highest TLP (ermes__misp_export_capped: the
 * one TLP policy). Events are ermes's MISP export's: one per source, with UUIDv5 ids, so the
 * same indicators give the same files from one request to the next. */
#include "sharing/misp_feed.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"

/* What a manifest entry says of its event (MISP's feed generator writes these). */
static const char *const manifest_keys[] = {"info", "date", "timestamp",      "analysis",
                                            "Orgc", "Tag",  "threat_level_id"};

static int manifest(json_t *events, char **body)
{
    json_t *m = json_object(), *x;
    size_t i, k;

    if (!m)
        return ERMES_ENOMEM;
    json_array_foreach(events, i, x)
    {
        json_t *e = json_object_get(x, "Event"), *entry = json_object();
        const char *uuid = json_string_value(json_object_get(e, "uuid"));

        if (!entry || !uuid) {
            json_decref(entry);
            continue;
        }
        for (k = 0; k < sizeof(manifest_keys) / sizeof(manifest_keys[0]); k++) {
            json_t *val = json_object_get(e, manifest_keys[k]);

            if (val)
                json_object_set(entry, manifest_keys[k], val);
        }
        json_object_set_new(m, uuid, entry);
    }
    *body = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(m);
    return *body ? 0 : ERMES_ENOMEM;
}

static int md5_hex(const char *s, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    static const char hex[] = "0123456789abcdef";

    if (!EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) || n != 16)
        return ERMES_EINTERNAL;
    for (i = 0; i < 16; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[32] = '\0';
    return 0;
}

static int hash_attributes(ermes__strbuf_t *b, json_t *attrs, const char *uuid)
{
    size_t i;
    json_t *a;
    char md5[33];
    int rc;

    json_array_foreach(attrs, i, a)
    {
        const char *value = json_string_value(json_object_get(a, "value"));

        if (!value)
            continue;
        if ((rc = md5_hex(value, md5)) || (rc = ermes__strbuf_addf(b, "%s,%s\n", md5, uuid)))
            return rc;
    }
    return 0;
}

/* MISP's hashes.csv: the MD5 of every attribute's value and its event, so that a subscriber
 * can look values up without fetching events. */
static int hashes(json_t *events, char **body, size_t *len)
{
    ermes__strbuf_t b;
    size_t i, j;
    json_t *x, *o;
    int rc = 0;

    ermes__strbuf_init(&b, 256u << 20);
    json_array_foreach(events, i, x)
    {
        json_t *e = json_object_get(x, "Event");
        const char *uuid = json_string_value(json_object_get(e, "uuid"));

        if (!uuid)
            continue;
        if ((rc = hash_attributes(&b, json_object_get(e, "Attribute"), uuid)))
            goto out;
        json_array_foreach(json_object_get(e, "Object"), j, o)
        {
            if ((rc = hash_attributes(&b, json_object_get(o, "Attribute"), uuid)))
                goto out;
        }
    }
    *len = b.len;
    if (!(*body = malloc(b.len + 1))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (b.len)
        memcpy(*body, b.data, b.len);
    (*body)[b.len] = '\0';
out:
    ermes__strbuf_cleanup(&b);
    return rc;
}

int ermes__misp_feed_publish(ermes__store_t *st, const ermes__viewer_t *v, ermes_tlp_t cap,
                             int grant, const char *file, char **body, size_t *len,
                             const char **type)
{
    ermes__indicator_filter_t f;
    json_t *events = NULL, *x;
    size_t n = strlen(file), i;
    int rc;

    *body = NULL;
    *len = 0;
    *type = "application/json";
    if (strcmp(file, "manifest.json") && strcmp(file, "hashes.csv") &&
        !(n == 36 + 5 && !strcmp(file + 36, ".json")))
        return ERMES_ENOTFOUND;
    memset(&f, 0, sizeof(f));
    if ((rc = ermes__misp_export_capped(st, v, cap, grant, &f, &events)))
        return rc;
    if (!strcmp(file, "manifest.json")) {
        rc = manifest(events, body);
    } else if (!strcmp(file, "hashes.csv")) {
        *type = "text/csv";
        rc = hashes(events, body, len);
    } else {
        rc = ERMES_ENOTFOUND;
        json_array_foreach(events, i, x)
        {
            const char *uuid =
                json_string_value(json_object_get(json_object_get(x, "Event"), "uuid"));

            if (uuid && strlen(uuid) == 36 && !strncmp(uuid, file, 36)) {
                *body = json_dumps(x, JSON_COMPACT);
                rc = *body ? 0 : ERMES_ENOMEM;
                break;
            }
        }
    }
    if (rc == 0 && *type[0] == 'a')
        *len = strlen(*body);
    json_decref(events);
    return rc;
}
