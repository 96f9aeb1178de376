/* Attachments of incidents: files a constituent (from the portal) or the CERT's people add to
 * an incident. The bytes are kept in the store (migration 27 in src/store/schema.c), so they
 * are as durable as the row that names them, on either backend. Who reads one: the CERT's
 * people every one; a constituent those its own organisation added (never another
 * constituent's, whose file names could name it). Every upload and download is audited. */
#ifndef ERMES_INCIDENTS_ATTACHMENTS_H
#define ERMES_INCIDENTS_ATTACHMENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define ERMES_ATTACHMENT_MAX (10 * 1024 * 1024) /* bytes of one attachment */
#define ERMES_ATTACHMENT_NAME_MAX 200           /* bytes of its file name */
#define ERMES_ATTACHMENTS_PER_INCIDENT 200

typedef struct ermes__attachment {
    int64_t id, incident_id;
    char file_name[ERMES_ATTACHMENT_NAME_MAX + 1];
    char content_type[64];
    int64_t size;
    char sha256[65];
    int64_t uploader_id;
    char uploader[128];
    int64_t uploader_org_id; /* 0: the CERT */
    ermes_tlp_t tlp;
    int64_t owner_org_id, created_at, updated_at;
    const void *data; /* the bytes, when read with them (borrowed for the callback) */
} ermes__attachment_t;

/* ---- the store (src/store/incident_attachments.c) ---- */

/* Stores a (its metadata) with its n bytes data; fills a->id and times. */
int ermes__store_attachment_insert(ermes__store_t *st, ermes__attachment_t *a, const void *data,
                                   size_t n);
/* How many incident id has. */
int ermes__store_attachment_count(ermes__store_t *st, int64_t incident_id, int64_t *n);
typedef int (*ermes__store_attachment_cb)(void *ctx, const ermes__attachment_t *a);
/* Those of incident_id, oldest first; org_id > 0: only those that organisation added.
 * Without the bytes. */
int ermes__store_attachment_each(ermes__store_t *st, int64_t incident_id, int64_t org_id,
                                 ermes__store_attachment_cb cb, void *ctx);
/* One, with its bytes (a->data, for the call); ERMES_ENOTFOUND. */
int ermes__store_attachment_get(ermes__store_t *st, int64_t id, ermes__store_attachment_cb cb,
                                void *ctx);

/* ---- what the API does (src/incidents/attachments.c) ---- */

/* 1 when name is fit for a file name: 1 to ERMES_ATTACHMENT_NAME_MAX bytes of UTF-8, no
 * control character, no '/', '\\', '"', not "." or "..". */
int ermes__attachment_name_ok(const char *name);
/* Checks that the n bytes data are what content_type (a Content-Type header's value, any
 * case, parameters ignored) says, and that it is one ermes accepts: text/plain, text/csv,
 * application/json, message/rfc822 (UTF-8 text without NUL), application/pdf, image/png,
 * image/jpeg, image/gif, application/zip (their magic numbers). The type's name goes into
 * type (at most 64 bytes). ERMES_EUNSUPPORTED for another type, ERMES_EINVAL (reason in d)
 * for bytes that are not of the type. */
int ermes__attachment_type_check(const char *content_type, const void *data, size_t n, char *type,
                                 size_t cap, ermes_diag_t *d);
/* Adds an attachment to incident id on behalf of v (who must see the incident), audited and on
 * the timeline (internal). *out gets it as JSON. ERMES_ETOOBIG (over ERMES_ATTACHMENT_MAX),
 * ERMES_EINVAL with d (name, bytes), ERMES_EUNSUPPORTED (type), ERMES_ECONFLICT (too many),
 * ERMES_ENOTFOUND. */
int ermes__attachment_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                          const char *name, const char *content_type, const void *data, size_t n,
                          json_t **out, ermes_diag_t *d);
/* The attachments of incident id v may read, as a JSON array. */
int ermes__attachment_list(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, json_t **out);
/* Attachment id's bytes for v (who must see its incident and may read it: ERMES_ENOTFOUND
 * otherwise), audited: cb gets it with its data. */
int ermes__attachment_read(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           ermes__store_attachment_cb cb, void *ctx);
json_t *ermes__attachment_to_json(const ermes__attachment_t *a);

#endif
