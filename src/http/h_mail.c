/* /api/v1/mail: a raw message uploaded (POST, as an MTA or a script hands it over), stored
 * durably then read like any other mail in (src/mail/); the messages received and what each
 * became; a message's raw bytes; and the correspondence threaded onto a notification. The
 * CERT's staff only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "core/alloc.h"
#include "http/http.h"
#include "mail/mail.h"

static int new_mail(ermes__req_t *req, ermes__mail_t **out)
{
    ermes__mail_options_t o;

    ermes__mail_options_from_config(req->srv->cfg, &o);
    return ermes__mail_new(req->srv->store, req->srv->registry, req->srv->intake, &o, out);
}

enum MHD_Result ermes__h_mail_create(ermes__req_t *req)
{
    const char *type =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    ermes__mail_t *m = NULL;
    ermes__mail_row_t row;
    char loc[64], source[96];
    ermes_diag_t d;
    int rc;

    /* The body is the message itself: message/rfc822 (RFC 2046 section 5.2.1), or what a
     * client sends when it does not say. */
    if (type && strncasecmp(type, "message/rfc822", 14) != 0 &&
        strncasecmp(type, "application/octet-stream", 24) != 0 &&
        strncasecmp(type, "text/plain", 10) != 0)
        return ermes__reply_error(req, 415, "unsupported_media_type", "Content-Type",
                                  "the body must be the message, as message/rfc822");
    if (!req->body.len)
        return ermes__reply_error(req, 400, "bad_request", "body", "the body is empty");
    if ((rc = new_mail(req, &m)))
        return ermes__reply_failure(req, rc, NULL);
    snprintf(source, sizeof(source), "api:%s", req->viewer.user_name ? req->viewer.user_name : "?");
    ermes_diag_clear(&d);
    memset(&row, 0, sizeof(row));
    rc = ermes__mail_receive_mem(
        m, source, req->body.data, req->body.len,
        ermes__query(req, "process") && !strcmp(ermes__query(req, "process"), "false"), &row, &d);
    ermes__mail_free(m);
    if (rc == ERMES_ETOOBIG)
        return ermes__reply_error(req, 413, "payload_too_large", "body", "%s", d.reason);
    if (rc && !row.id)
        return ermes__reply_error(req, 503, "unavailable", NULL, "%s",
                                  d.reason[0] ? d.reason : "the message could not be stored");
    ermes__audit_write(req->srv->store, &req->viewer, "receive", "mail", row.sha256, NULL);
    snprintf(loc, sizeof(loc), "/api/v1/mail/%lld", (long long)row.id);
    ermes__reply_header(req, "Location", loc);
    return ermes__reply_json(req, 201, ermes__mail_row_to_json(&row));
}

struct list_ctx {
    json_t *data;
    int64_t last_id;
};

static int list_cb(void *arg, const ermes__mail_row_t *m)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__mail_row_to_json(m);

    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = m->id;
    return 0;
}

enum MHD_Result ermes__h_mail_list(ermes__req_t *req)
{
    const char *state = ermes__query(req, "state");
    struct list_ctx c = {NULL, 0};
    enum MHD_Result ret;
    int64_t cursor = 0;
    long limit = 0;
    int more = 0, rc;

    if (state && strcmp(state, ERMES_MAIL_RECEIVED) && strcmp(state, ERMES_MAIL_PROCESSED) &&
        strcmp(state, ERMES_MAIL_FAILED))
        return ermes__reply_error(req, 400, "bad_request", "state",
                                  "state must be received, processed or failed");
    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    if (!(c.data = json_array()))
        return MHD_NO;
    if ((rc = ermes__store_mail_each(req->srv->store, state, cursor, limit, list_cb, &c, &more))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

enum MHD_Result ermes__h_mail_get(ermes__req_t *req)
{
    ermes__mail_row_t m;
    int64_t id = ermes__param_id(req, 0);
    int rc = id ? ermes__store_mail_get(req->srv->store, id, &m) : ERMES_ENOTFOUND;

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such message");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, ermes__mail_row_to_json(&m));
}

enum MHD_Result ermes__h_mail_raw(ermes__req_t *req)
{
    ermes__mail_options_t o;
    ermes__mail_t *mail = NULL;
    ermes__mail_row_t m;
    int64_t id = ermes__param_id(req, 0);
    char path[4400];
    FILE *f;
    char *buf;
    size_t n;
    int rc = id ? ermes__store_mail_get(req->srv->store, id, &m) : ERMES_ENOTFOUND;

    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL, "no such message");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ermes__mail_options_from_config(req->srv->cfg, &o);
    if ((rc = ermes__mail_new(req->srv->store, NULL, NULL, &o, &mail)))
        return ermes__reply_failure(req, rc, NULL);
    ermes__mail_path(mail, m.sha256, path, sizeof(path));
    ermes__mail_free(mail);
    if (!(f = fopen(path, "rb")))
        return ermes__reply_error(req, 404, "not_found", NULL, "the message's file is gone");
    if (!(buf = ermes__malloc(m.size > 0 ? (size_t)m.size : 1))) {
        fclose(f);
        return MHD_NO;
    }
    n = fread(buf, 1, (size_t)m.size, f);
    fclose(f);
    ermes__audit_write(req->srv->store, &req->viewer, "read", "mail", m.sha256, NULL);
    return ermes__reply_owned(req, 200, "message/rfc822", buf, n);
}

static int corr_cb(void *ctx, const ermes__correspondence_t *c)
{
    json_t *j = ermes__correspondence_to_json(c);

    return j && !json_array_append_new(ctx, j) ? 0 : ERMES_ENOMEM;
}

static int rcpt_cb(void *ctx, const char *recipient, const char *state, int64_t at)
{
    json_t *j = json_pack("{s:s,s:s,s:o}", "recipient", recipient ? recipient : "", "state",
                          state ? state : "", "answered_at", ermes__json_time(at));

    return j && !json_array_append_new(ctx, j) ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_notification_correspondence(ermes__req_t *req)
{
    char ref[64];
    int64_t id = 0;
    json_t *msgs, *rcpts;
    int rc;

    if (ermes__param(req, 0, ref, sizeof(ref)) ||
        ermes__store_notification_find(req->srv->store, ref, &id))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such notification");
    msgs = json_array();
    rcpts = json_array();
    if (!msgs || !rcpts ||
        (rc = ermes__store_correspondence_each(req->srv->store, id, corr_cb, msgs)) ||
        (rc = ermes__store_notification_recipient_each(req->srv->store, id, rcpt_cb, rcpts))) {
        json_decref(msgs);
        json_decref(rcpts);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    return ermes__reply_json(req, 200,
                             json_pack("{s:I,s:o,s:o}", "notification_id", (json_int_t)id,
                                       "recipients", rcpts, "messages", msgs));
}
