/* Attachments of incidents (attachments.h): the checks on what is uploaded (size, name, that
 * the bytes are of the type declared and of a type ermes accepts), who may read which, the
 * audit and the timeline. */
#include "incidents/attachments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "core/sha256.h"
#include "core/time.h"
#include "model/harmonize.h"

int ermes__attachment_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > ERMES_ATTACHMENT_NAME_MAX || !ermes__utf8_valid(name, n) ||
        strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)name[k];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '"')
            return 0;
        /* C1 controls (U+0080 to U+009F, UTF-8 C2 80 to C2 9F) are controls too. */
        if (c == 0xc2 && k + 1 < n && (unsigned char)name[k + 1] < 0xa0)
            return 0;
    }
    return 1;
}

struct type {
    const char *name;
    const char *magic; /* NULL: UTF-8 text without NUL */
    size_t magic_len;
};

static const struct type types[] = {
    {"text/plain", NULL, 0},
    {"text/csv", NULL, 0},
    {"application/json", NULL, 0},
    {"message/rfc822", NULL, 0},
    {"application/pdf", "%PDF-", 5},
    {"image/png", "\x89PNG\r\n\x1a\n", 8},
    {"image/jpeg", "\xff\xd8\xff", 3},
    {"image/gif", "GIF8", 4},
    {"application/zip", "PK\x03\x04", 4},
};

int ermes__attachment_type_check(const char *content_type, const void *data, size_t n, char *type,
                                 size_t cap, ermes_diag_t *d)
{
    size_t len = 0;
    const struct type *t = NULL;

    if (cap)
        type[0] = '\0';
    if (!content_type)
        return ERMES_EUNSUPPORTED;
    while (content_type[len] && content_type[len] != ';' && content_type[len] != ' ' &&
           content_type[len] != '\t')
        len++;
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
        if (strlen(types[k].name) == len && strncasecmp(types[k].name, content_type, len) == 0)
            t = &types[k];
    if (!t)
        return ERMES_EUNSUPPORTED;
    snprintf(type, cap, "%s", t->name);
    if (n == 0) {
        ermes_diag_set(d, "body", "the attachment is empty");
        return ERMES_EINVAL;
    }
    if (t->magic) {
        if (n < t->magic_len || memcmp(data, t->magic, t->magic_len) != 0) {
            ermes_diag_set(d, "Content-Type", "the bytes are not %s", t->name);
            return ERMES_EINVAL;
        }
        return 0;
    }
    /* Text: what a browser would take for something else is refused (a NUL, invalid UTF-8). */
    if (memchr(data, '\0', n) || !ermes__utf8_valid(data, n)) {
        ermes_diag_set(d, "Content-Type", "%s must be UTF-8 text without NUL", t->name);
        return ERMES_EINVAL;
    }
    return 0;
}

static json_t *time_json(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

json_t *ermes__attachment_to_json(const ermes__attachment_t *a)
{
    return json_pack("{s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:b,s:s,s:o}", "id", (json_int_t)a->id,
                     "incident", (json_int_t)a->incident_id, "file_name", a->file_name,
                     "content_type", a->content_type, "size", (json_int_t)a->size, "sha256",
                     a->sha256, "uploader", a->uploader, "from_constituent",
                     a->uploader_org_id != 0, "tlp", ermes_tlp_name(a->tlp), "created_at",
                     time_json(a->created_at));
}

static void audit(ermes__store_t *st, const ermes__viewer_t *v, const char *action,
                  const ermes__attachment_t *a)
{
    char ref[32], *text;
    json_t *j = json_pack("{s:I,s:s,s:I,s:s}", "incident", (json_int_t)a->incident_id, "file_name",
                          a->file_name, "size", (json_int_t)a->size, "sha256", a->sha256);

    text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    snprintf(ref, sizeof(ref), "%lld", (long long)a->id);
    ermes__audit_write(st, v, action, "incident_attachment", ref, text);
    free(text);
}

int ermes__attachment_add(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                          const char *name, const char *content_type, const void *data, size_t n,
                          json_t **out, ermes_diag_t *d)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__attachment_t a;
    ermes__sha256_t *h;
    ermes__timeline_entry_t e;
    char *detail = NULL;
    int64_t count = 0;
    int rc;

    *out = NULL;
    memset(&a, 0, sizeof(a));
    if (!inc)
        return ERMES_ENOMEM;
    if (n > ERMES_ATTACHMENT_MAX) {
        ermes_diag_set(d, "body", "an attachment is at most %d bytes", ERMES_ATTACHMENT_MAX);
        rc = ERMES_ETOOBIG;
        goto out;
    }
    if (!ermes__attachment_name_ok(name)) {
        ermes_diag_set(d, "name",
                       "name must be a file name of 1 to %d bytes without control characters, "
                       "slashes or quotes",
                       ERMES_ATTACHMENT_NAME_MAX);
        rc = ERMES_EINVAL;
        goto out;
    }
    if ((rc = ermes__attachment_type_check(content_type, data, n, a.content_type,
                                           sizeof(a.content_type), d)))
        goto out;
    if (!(h = ermes__sha256_new())) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    ermes__sha256_update(h, data, n);
    ermes__sha256_final(h, a.sha256);
    snprintf(a.file_name, sizeof(a.file_name), "%s", name);
    a.incident_id = id;
    a.uploader_id = v->user_id;
    snprintf(a.uploader, sizeof(a.uploader), "%s",
             v->user_name ? v->user_name : "local administrator");
    a.uploader_org_id = ermes__viewer_is_staff(v) ? 0 : v->org_id;
    if ((rc = ermes__store_begin(st)))
        goto out;
    /* Seen by v (a constituent: affected by it), in the same transaction as the insert. */
    if ((rc = ermes__store_incident_get(st, v, id, inc)))
        goto done;
    if ((rc = ermes__store_attachment_count(st, id, &count)))
        goto done;
    if (count >= ERMES_ATTACHMENTS_PER_INCIDENT) {
        ermes_diag_set(d, NULL, "an incident has at most %d attachments",
                       ERMES_ATTACHMENTS_PER_INCIDENT);
        rc = ERMES_ECONFLICT;
        goto done;
    }
    a.tlp = inc->tlp;
    a.owner_org_id = inc->owner_org_id;
    if ((rc = ermes__store_attachment_insert(st, &a, data, n)))
        goto done;
    {
        json_t *j =
            json_pack("{s:I,s:s,s:I,s:b}", "attachment", (json_int_t)a.id, "file_name", a.file_name,
                      "size", (json_int_t)a.size, "from_constituent", a.uploader_org_id != 0);
        detail = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
    }
    if (!detail) {
        rc = ERMES_ENOMEM;
        goto done;
    }
    /* Internal: other constituents of the incident would read the file's name. */
    memset(&e, 0, sizeof(e));
    e.incident_id = id;
    e.user_id = v->user_id;
    e.actor = a.uploader;
    e.kind = "attachment";
    e.detail = detail;
    if ((rc = ermes__store_incident_timeline_add(st, &e)))
        goto done;
    audit(st, v, "upload", &a);
done:
    if (rc)
        ermes__store_rollback(st);
    else
        rc = ermes__store_commit(st);
    if (!rc && !(*out = ermes__attachment_to_json(&a)))
        rc = ERMES_ENOMEM;
out:
    free(detail);
    free(inc);
    return rc;
}

static int list_cb(void *ctx, const ermes__attachment_t *a)
{
    json_t *j = ermes__attachment_to_json(a);

    return !j || json_array_append_new(ctx, j) ? ERMES_ENOMEM : 0;
}

int ermes__attachment_list(ermes__store_t *st, const ermes__viewer_t *v, int64_t id, json_t **out)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    json_t *list = json_array();
    int rc;

    *out = NULL;
    if (!inc || !list) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((rc = ermes__store_incident_get(st, v, id, inc)) ||
        (rc = ermes__store_attachment_each(st, id, ermes__viewer_is_staff(v) ? 0 : v->org_id,
                                           list_cb, list)))
        goto out;
    *out = list;
    list = NULL;
out:
    json_decref(list);
    free(inc);
    return rc;
}

/* A copy of the row and its bytes: the checks read the store again, which they do once the
 * statement that read the attachment is done. */
static int copy_cb(void *ctx, const ermes__attachment_t *a)
{
    ermes__attachment_t *c = ctx;
    void *p = malloc(a->size ? (size_t)a->size : 1);

    if (!p)
        return ERMES_ENOMEM;
    memcpy(p, a->data, (size_t)a->size);
    *c = *a;
    c->data = p;
    return 0;
}

int ermes__attachment_read(ermes__store_t *st, const ermes__viewer_t *v, int64_t id,
                           ermes__store_attachment_cb cb, void *ctx)
{
    ermes__incident_t *inc = malloc(sizeof(*inc));
    ermes__attachment_t a;
    int rc;

    memset(&a, 0, sizeof(a));
    if (!inc)
        return ERMES_ENOMEM;
    if ((rc = ermes__store_attachment_get(st, id, copy_cb, &a)))
        goto out;
    /* Not seen, or another constituent's: as if it did not exist. */
    if ((rc = ermes__store_incident_get(st, v, a.incident_id, inc)))
        goto out;
    if (!ermes__viewer_is_staff(v) && a.uploader_org_id != v->org_id) {
        rc = ERMES_ENOTFOUND;
        goto out;
    }
    audit(st, v, "download", &a);
    rc = cb(ctx, &a);
out:
    free((void *)a.data);
    free(inc);
    return rc;
}
