/* /api/v1/users/{id}/totp: a user's second factor. Enrolment (POST: a new secret, its
 * otpauth:// URI and QR code; POST .../confirm with the first code: enabled, recovery codes
 * shown once) is done by the user in a browser session; DELETE turns it off: an administrator
 * for another user (a lost device), or the user with their password where it is not required.
 * API tokens never need a second factor: they are the machine path. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "access/access.h"
#include "core/alloc.h"
#include "http/http.h"

#define TOTP_ISSUER "ermes"

int ermes__totp_enrol_only(const ermes__config_t *cfg, const ermes__user_t *u)
{
    return cfg->totp_required && !u->totp_enabled &&
           (u->role == ERMES_ROLE_ADMIN || u->role == ERMES_ROLE_ANALYST);
}

/* The {id} of the route when it is the caller's own; 0 (404 queued in *ret) otherwise. */
static int own_id(ermes__req_t *req, enum MHD_Result *ret)
{
    int64_t id = ermes__param_id(req, 0);

    if (id <= 0 || id != req->viewer.user_id) {
        *ret = ermes__reply_error(req, 404, "not_found", NULL, "no such user");
        return 0;
    }
    if (!req->session_id) {
        *ret = ermes__reply_error(req, 403, "forbidden", NULL,
                                  "a second factor is set up in a browser session: API tokens "
                                  "do not use one");
        return 0;
    }
    return 1;
}

enum MHD_Result ermes__h_user_totp_begin(ermes__req_t *req)
{
    ermes__totp_enrolment_t e;
    enum MHD_Result ret;
    char *svg = NULL, ref[24];
    json_t *body;
    int rc;

    if (!own_id(req, &ret))
        return ret;
    rc = ermes__totp_begin(req->srv->store, &req->user, TOTP_ISSUER, &e);
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", NULL,
                                  "two-step sign-in is on already: turn it off first to set up "
                                  "another device");
    if (!rc)
        rc = ermes__totp_qr_svg(e.uri, &svg);
    if (rc) {
        sodium_memzero(&e, sizeof(e));
        return ermes__reply_failure(req, rc, NULL);
    }
    snprintf(ref, sizeof(ref), "%lld", (long long)req->viewer.user_id);
    ermes__audit_write(req->srv->store, &req->viewer, "totp_enrol", "user", ref, NULL);
    body = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i}", "secret", e.secret, "otpauth_uri", e.uri,
                     "qr_svg", svg, "algorithm", "SHA1", "digits", ERMES_TOTP_DIGITS, "period",
                     ERMES_TOTP_PERIOD);
    sodium_memzero(&e, sizeof(e));
    sodium_memzero(svg, strlen(svg));
    ermes__free(svg);
    return ermes__reply_json(req, 201, body);
}

int ermes__string_member_read(const json_t *body, const char *member, const char **value,
                              ermes_diag_t *d)
{
    const json_t *v = json_object_get(body, member);

    *value = NULL;
    /* A string with a NUL inside would be read shorter than it was sent. */
    if (!json_is_object(body) || !json_is_string(v) ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        ermes_diag_set(d, member, "the body must be {\"%s\": \"...\"}", member);
        return ERMES_EINVAL;
    }
    *value = json_string_value(v);
    return 0;
}

enum MHD_Result ermes__h_user_totp_confirm(ermes__req_t *req)
{
    char codes[ERMES_RECOVERY_CODES][ERMES_RECOVERY_CODE_STRLEN], ref[24], detail[64];
    int64_t ended = 0;
    enum MHD_Result ret;
    json_t *body, *list;
    const char *code;
    ermes_diag_t d;
    int rc;

    if (!own_id(req, &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (ermes__string_member_read(body, "code", &code, &d)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "code",
                                  "the body must be {\"code\": \"123456\"}");
    }
    rc = ermes__totp_confirm(req->srv->store, &req->user, code, codes);
    json_decref(body);
    snprintf(ref, sizeof(ref), "%lld", (long long)req->viewer.user_id);
    if (rc == ERMES_EAUTH) {
        ermes__audit_write(req->srv->store, &req->viewer, "totp_refused", "user", ref, NULL);
        return ermes__reply_error(req, 422, "invalid", "code",
                                  "wrong code: check the device's clock and enter the code it "
                                  "shows now");
    }
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 409, "conflict", NULL,
                                  "no set-up is under way: start one with POST "
                                  "/api/v1/users/%lld/totp",
                                  (long long)req->viewer.user_id);
    if (rc == ERMES_ECONFLICT)
        return ermes__reply_error(req, 409, "conflict", NULL, "two-step sign-in is on already");
    /* Sessions opened with the password alone end: one of them may be whoever made the
     * user want a second factor. This one goes on (it has just given a code). */
    if (!rc)
        rc = ermes__store_session_delete_user(req->srv->store, req->viewer.user_id, req->session_id,
                                              &ended);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(detail, sizeof(detail), "{\"sessions_ended\":%lld}", (long long)ended);
    ermes__audit_write(req->srv->store, &req->viewer, "totp_enable", "user", ref, detail);
    list = json_array();
    for (size_t k = 0; k < ERMES_RECOVERY_CODES; k++)
        json_array_append_new(list, json_string(codes[k]));
    sodium_memzero(codes, sizeof(codes));
    return ermes__reply_json(req, 200, json_pack("{s:o}", "recovery_codes", list));
}

enum MHD_Result ermes__h_user_totp_delete(ermes__req_t *req)
{
    int64_t id = ermes__param_id(req, 0), ended = 0;
    char ref[24], detail[64];
    ermes__user_t u;
    enum MHD_Result ret;
    int rc, self = id == req->viewer.user_id;

    if (id <= 0 || (!self && req->viewer.role != ERMES_ROLE_ADMIN) ||
        ermes__store_user_get(req->srv->store, id, NULL, &u))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such user");
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if (self) {
        const char *pw;
        ermes_diag_t d;
        json_t *body;
        int ok;
        /* Turning one's own second factor off takes what signing in takes: a session (which
         * had the code) and the password. */
        if (!req->session_id)
            return ermes__reply_error(req, 403, "forbidden", NULL,
                                      "turn two-step sign-in off in a browser session");
        if (req->srv->cfg->totp_required &&
            (u.role == ERMES_ROLE_ADMIN || u.role == ERMES_ROLE_ANALYST))
            return ermes__reply_error(req, 403, "forbidden", NULL,
                                      "two-step sign-in is required for the %s role",
                                      ermes__role_name(u.role));
        if (!ermes__body_json(req, &body, &ret))
            return ret;
        ok = ermes__string_member_read(body, "password", &pw, &d) == 0 &&
             ermes__password_verify(u.password_hash, pw) == 0;
        json_decref(body);
        if (!ok) {
            ermes__audit_write(req->srv->store, &req->viewer, "totp_refused", "user", ref, NULL);
            return ermes__reply_error(req, 403, "forbidden", "password", "the password is wrong");
        }
    }
    rc = ermes__totp_reset(req->srv->store, id);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL,
                                  "this user has no two-step sign-in set up");
    /* Whoever reset it for a lost device wants the device's sessions gone as well. */
    if (!rc && !self)
        rc = ermes__store_session_delete_user(req->srv->store, id, 0, &ended);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(detail, sizeof(detail), "{\"sessions_ended\":%lld}", (long long)ended);
    ermes__audit_write(req->srv->store, &req->viewer, self ? "totp_disable" : "totp_reset", "user",
                       ref, detail);
    return ermes__reply_empty(req, 204);
}
