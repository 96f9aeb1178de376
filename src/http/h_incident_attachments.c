/* /api/v1/incidents/{id}/attachments and /api/v1/incident-attachments/{id}: files added to an
 * incident from the portal (a constituent) or by the CERT's people, and read back
 * (src/incidents/attachments.c does the work). A file is served as an attachment (never shown
 * in the page) with its checked type and nosniff, so a browser never runs what was uploaded. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http.h"
#include "incidents/attachments.h"

static enum MHD_Result failure(ermes__req_t *req, int rc, ermes_diag_t *d)
{
    ermes__diag_utf8(d);
    switch (rc) {
    case ERMES_ENOTFOUND:
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident or attachment");
    case ERMES_ETOOBIG:
        return ermes__reply_error(req, 413, "payload_too_large", "body", "%s", d->reason);
    case ERMES_EUNSUPPORTED:
        return ermes__reply_error(req, 415, "unsupported_media_type", "Content-Type",
                                  "an attachment is text/plain, text/csv, application/json, "
                                  "message/rfc822, application/pdf, image/png, image/jpeg, "
                                  "image/gif or application/zip");
    case ERMES_EINVAL:
        return ermes__reply_error(req, 422, "invalid", d->field[0] ? d->field : NULL, "%s",
                                  d->reason);
    case ERMES_ECONFLICT:
        return ermes__reply_error(req, 409, "conflict", NULL, "%s", d->reason);
    default:
        return ermes__reply_failure(req, rc, d);
    }
}

enum MHD_Result ermes__h_incident_attachment_add(ermes__req_t *req)
{
    const char *type =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *name = ermes__query(req, "name");
    ermes_diag_t d;
    json_t *out = NULL;
    char loc[64];
    int rc;

    ermes_diag_clear(&d);
    if (!name)
        return ermes__reply_error(req, 400, "bad_request", "name",
                                  "name (the file's name) is required");
    rc = ermes__attachment_add(req->srv->store, &req->viewer, ermes__param_id(req, 0), name, type,
                               req->body.data ? req->body.data : "", req->body.len, &out, &d);
    if (rc)
        return failure(req, rc, &d);
    snprintf(loc, sizeof(loc), "/api/v1/incident-attachments/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    ermes__reply_header(req, "Location", loc);
    return ermes__reply_json(req, 201, out);
}

enum MHD_Result ermes__h_incident_attachments(ermes__req_t *req)
{
    ermes_diag_t d;
    json_t *out = NULL;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__attachment_list(req->srv->store, &req->viewer, ermes__param_id(req, 0), &out);
    if (rc)
        return failure(req, rc, &d);
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", out));
}

struct serve_ctx {
    ermes__req_t *req;
    enum MHD_Result ret;
};

/* RFC 6266: an ASCII name as filename, the name itself as filename* (RFC 8187); when that
 * does not fit in a header value here, a name made of the id. */
static void disposition(const ermes__attachment_t *a, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    char ascii[ERMES_ATTACHMENT_NAME_MAX + 1], enc[3 * ERMES_ATTACHMENT_NAME_MAX + 1];
    size_t i, na = 0, ne = 0;

    for (i = 0; a->file_name[i]; i++) {
        unsigned char c = (unsigned char)a->file_name[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
        ascii[na++] = plain ? (char)c : '_';
        if (plain) {
            enc[ne++] = (char)c;
        } else {
            enc[ne++] = '%';
            enc[ne++] = hex[c >> 4];
            enc[ne++] = hex[c & 15];
        }
    }
    ascii[na] = enc[ne] = '\0';
    if ((size_t)snprintf(buf, cap, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii,
                         enc) >= cap)
        snprintf(buf, cap, "attachment; filename=\"attachment-%lld\"", (long long)a->id);
}

static int serve_cb(void *ctx, const ermes__attachment_t *a)
{
    struct serve_ctx *c = ctx;
    char cd[256], type[96];

    disposition(a, cd, sizeof(cd));
    ermes__reply_header(c->req, "Content-Disposition", cd);
    snprintf(type, sizeof(type), "%s%s", a->content_type,
             strncmp(a->content_type, "text/", 5) == 0 ||
                     strcmp(a->content_type, "application/json") == 0
                 ? "; charset=utf-8"
                 : "");
    c->ret = ermes__reply_bytes(c->req, 200, type, a->data, (size_t)a->size);
    return 0;
}

enum MHD_Result ermes__h_incident_attachment_get(ermes__req_t *req)
{
    struct serve_ctx c = {req, MHD_NO};
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__attachment_read(req->srv->store, &req->viewer, ermes__param_id(req, 0), serve_cb,
                                &c);
    if (rc)
        return failure(req, rc, &d);
    return c.ret;
}
