/* /api/v1/sessions: the browser's login, its session and logout; and the password change of
 * /api/v1/users/{id}/password. The cookie is HttpOnly and SameSite=Strict; every change made
 * with it must carry the session's CSRF token (checked in server.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "access/access.h"
#include "access/login_guard.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"

json_t *ermes__user_json(ermes__req_t *req, const ermes__user_t *u);

static const char *user_agent(ermes__req_t *req)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "User-Agent");
}

static void set_cookie(ermes__req_t *req, const char *value, int clear)
{
    char c[200];

    snprintf(c, sizeof(c), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", ERMES_SESSION_COOKIE,
             value, clear ? "; Max-Age=0" : "", req->srv->tls_cert_pem ? "; Secure" : "");
    ermes__reply_header(req, "Set-Cookie", c);
}

static enum MHD_Result session_reply(ermes__req_t *req, unsigned status, const ermes__user_t *u,
                                     const char *csrf, int64_t expires_at)
{
    char when[ERMES_TIME_STRLEN];

    ermes__time_format(expires_at, when);
    return ermes__reply_json(
        req, status,
        json_pack("{s:o,s:s,s:s,s:b,s:b,s:o}", "user", ermes__user_json(req, u), "csrf_token", csrf,
                  "expires_at", when, "totp_required",
                  req->srv->cfg->totp_required &&
                      (u->role == ERMES_ROLE_ADMIN || u->role == ERMES_ROLE_ANALYST),
                  "totp_enrolment_required", ermes__totp_enrol_only(req->srv->cfg, u),
                  "password_rule", ermes__password_rule_json()));
}

/* The audit's actor for a login that has no user yet. */
static void audit_as(ermes__req_t *req, ermes__viewer_t *v, const ermes__user_t *u,
                     const char *name)
{
    memset(v, 0, sizeof(*v));
    v->user_id = u ? u->id : 0;
    v->user_name = name;
    v->role = u ? u->role : ERMES_ROLE_CONSTITUENT;
    v->remote = req->remote;
}

/* Audits one refused or failed attempt, in full or only counted: after the first of its kind
 * from an address in an interval, a flood becomes one row of counts (login_guard.h). */
static void audit_attempt(ermes__req_t *req, ermes__login_outcome_t outcome, const char *name,
                          const char *action, const char *detail)
{
    ermes__viewer_t v;

    if (!ermes__login_guard_record(req->srv->login_guard, req->remote, outcome,
                                   ermes__time_now_ms()))
        return;
    audit_as(req, &v, NULL, name);
    ermes__audit_write(req->srv->store, &v, action, "session", NULL, detail);
}

/* 429 with Retry-After; why is "for this user", "from this address" or "at once". */
static enum MHD_Result too_many(ermes__req_t *req, int64_t retry, const char *why)
{
    char after[24];

    retry = retry > 0 ? retry : 1;
    snprintf(after, sizeof(after), "%lld", (long long)retry);
    ermes__reply_header(req, "Retry-After", after);
    return ermes__reply_error(req, 429, "rate_limited", NULL, "too many %s; try again in %lld s",
                              why, (long long)retry);
}

static void login_done_cb(ermes__login_job_t *job)
{
    ermes__req_t *req = job->cls;

    /* On a password-check thread: the request's thread takes over from here. */
    MHD_resume_connection(req->conn);
}

static void login_job_free(ermes__req_t *req)
{
    ermes__login_job_t *job = req->deferred;

    if (job) {
        sodium_memzero(job, sizeof(*job));
        ermes__free(job);
    }
    req->deferred = NULL;
}

/* The second half of the login, once a password-check thread has done its work. */
static enum MHD_Result session_finish(ermes__req_t *req)
{
    const ermes__config_t *cfg = req->srv->cfg;
    ermes__login_job_t *job = req->deferred;
    char secret[ERMES_SESSION_STRLEN], ref[24];
    ermes__session_t s;
    ermes__viewer_t v;
    ermes__user_t u = job->user;
    int rc = job->rc;

    if (rc == ERMES_EBUSY) {
        audit_attempt(req, ERMES_LOGIN_BUSY, job->name, "login_refused", "{\"reason\":\"busy\"}");
        return too_many(req, 1, "logins at once");
    }
    if (rc == ERMES_EDENIED) {
        audit_attempt(req, ERMES_LOGIN_LOCKED, job->name, "login_refused",
                      "{\"reason\":\"locked\"}");
        return too_many(req, job->retry_after_s, "failed logins for this user");
    }
    if (rc == ERMES_EAUTH && job->factor_state == ERMES_FACTOR_MISSING)
        /* The password was right: the page asks for the code and sends both again. */
        return ermes__reply_error(req, 401, "totp_required", "totp",
                                  "this user signs in with a one-time code too: send it in "
                                  "totp (or a recovery code in recovery_code)");
    if (rc == ERMES_EAUTH) {
        int code = job->factor_state == ERMES_FACTOR_WRONG;
        audit_attempt(req, ERMES_LOGIN_FAILED, job->name, "login_failed",
                      code ? "{\"reason\":\"second_factor\"}" : NULL);
        if (job->locked) {
            /* Once per lock, whatever the flood: always in full. */
            audit_as(req, &v, NULL, job->name);
            ermes__audit_write(req->srv->store, &v, "lockout", "user", job->name, NULL);
        }
        if (code)
            return ermes__reply_error(req, 401, "unauthorized", "totp",
                                      "wrong or already used one-time code or recovery code");
        return ermes__reply_error(req, 401, "unauthorized", NULL, "wrong user name or password");
    }
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (u.role == ERMES_ROLE_SENSOR) {
        /* Known only to whoever has the password: a sensor has none unless it was another
         * role before. Its token is its only way in. */
        audit_as(req, &v, &u, u.name);
        ermes__audit_write(req->srv->store, &v, "login_refused", "session", NULL,
                           "{\"reason\":\"sensor\"}");
        return ermes__reply_error(req, 403, "forbidden", NULL,
                                  "a sensor user cannot sign in: it uses an API token");
    }
    rc = ermes__session_create(req->srv->store, u.id, cfg->session_ttl * 1000, req->remote,
                               user_agent(req), secret, &s);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    audit_as(req, &v, &u, u.name);
    snprintf(ref, sizeof(ref), "%lld", (long long)s.id);
    {
        char detail[80];
        snprintf(detail, sizeof(detail), "{\"factor\":\"%s\"}",
                 job->factor_state == ERMES_FACTOR_TOTP       ? "totp"
                 : job->factor_state == ERMES_FACTOR_RECOVERY ? "recovery_code"
                                                              : "password");
        ermes__audit_write(req->srv->store, &v, "login", "session", ref, detail);
        if (job->factor_state == ERMES_FACTOR_RECOVERY) {
            char uref[24];
            snprintf(uref, sizeof(uref), "%lld", (long long)u.id);
            snprintf(detail, sizeof(detail), "{\"recovery_codes_left\":%lld}",
                     (long long)job->recovery_left);
            ermes__audit_write(req->srv->store, &v, "recovery_code_used", "user", uref, detail);
        }
    }
    set_cookie(req, secret, 0);
    sodium_memzero(secret, sizeof(secret));
    return session_reply(req, 201, &u, s.csrf, s.expires_at);
}

int ermes__login_body_check(const json_t *body, ermes_diag_t *d)
{
    const json_t *jn = json_object_get(body, "username"), *jp = json_object_get(body, "password");
    const json_t *jt = json_object_get(body, "totp"), *jr = json_object_get(body, "recovery_code");

    if (!json_is_object(body) || !json_is_string(jn) || !json_is_string(jp) ||
        json_string_length(jn) == 0) {
        ermes_diag_set(d, json_is_string(jn) && json_string_length(jn) ? "password" : "username",
                       "the body must be {\"username\": ..., \"password\": ...}");
        return ERMES_EINVAL;
    }
    /* The second factor, for users who have one: a TOTP code or a recovery code. */
    if ((jt && !json_is_string(jt) && !json_is_null(jt)) ||
        (jr && !json_is_string(jr) && !json_is_null(jr))) {
        ermes_diag_set(d, jt && !json_is_string(jt) && !json_is_null(jt) ? "totp" : "recovery_code",
                       "totp and recovery_code must be strings");
        return ERMES_EINVAL;
    }
    return 0;
}

void ermes__login_body_read(const json_t *body, ermes__login_job_t *job)
{
    const json_t *jn = json_object_get(body, "username"), *jp = json_object_get(body, "password");
    const json_t *jt = json_object_get(body, "totp"), *jr = json_object_get(body, "recovery_code");
    const char *pw = json_string_value(jp);

    /* Longer names exist nowhere; their failures are counted under the first 64 bytes. */
    snprintf(job->name, sizeof(job->name), "%s", json_string_value(jn));
    if (json_string_length(jp) > ERMES_PASSWORD_MAX || strlen(pw) != json_string_length(jp))
        pw = ""; /* too long, or with a NUL inside: checked as a wrong one */
    snprintf(job->password, sizeof(job->password), "%s", pw);
    /* A code longer than its field is no code of ours: cut, it is checked as a wrong one. */
    snprintf(job->totp, sizeof(job->totp), "%s", json_is_string(jt) ? json_string_value(jt) : "");
    snprintf(job->recovery_code, sizeof(job->recovery_code), "%s",
             json_is_string(jr) ? json_string_value(jr) : "");
}

/* The login. The password check (argon2id: 64 MiB, tens of milliseconds) runs on the login
 * guard's few threads while the connection is suspended, so the HTTP threads go on serving
 * others; when those threads are all taken and login_queue logins wait, the answer is 429 at
 * once. An address past login_address_failures failures is refused unchecked. */
enum MHD_Result ermes__h_session_create(ermes__req_t *req)
{
    ermes__login_job_t *job;
    json_t *body;
    enum MHD_Result ret;
    int64_t retry = 0;
    ermes_diag_t d;

    if (req->deferred)
        return session_finish(req);
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    ermes_diag_clear(&d);
    if (ermes__login_body_check(body, &d)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", d.field, "%s", d.reason);
    }
    job = ermes__calloc(1, sizeof(*job));
    if (!job) {
        json_decref(body);
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    }
    /* Longer names exist nowhere; their failures are counted under the first 64 bytes. */
    snprintf(job->name, sizeof(job->name), "%s",
             json_string_value(json_object_get(body, "username")));
    if (ermes__login_guard_blocked(req->srv->login_guard, req->remote, ermes__time_now_ms(),
                                   &retry)) {
        json_decref(body);
        audit_attempt(req, ERMES_LOGIN_LIMITED, job->name, "login_refused",
                      "{\"reason\":\"address\"}");
        ermes__free(job);
        return too_many(req, retry, "failed logins from this address");
    }
    if (ermes__login_guard_reserve(req->srv->login_guard)) {
        json_decref(body);
        audit_attempt(req, ERMES_LOGIN_BUSY, job->name, "login_refused", "{\"reason\":\"busy\"}");
        ermes__free(job);
        return too_many(req, 1, "logins at once");
    }
    /* The password is copied only now, so a refused attempt never held it. */
    ermes__login_body_read(body, job);
    json_decref(body);
    snprintf(job->ip, sizeof(job->ip), "%s", req->remote);
    job->done_cb = login_done_cb;
    job->cls = req;
    req->deferred = job;
    req->deferred_free = login_job_free;
    /* Suspended before it is queued: the resume can only follow the suspend. */
    MHD_suspend_connection(req->conn);
    req->suspended = 1;
    ermes__login_guard_submit(req->srv->login_guard, job);
    return MHD_YES;
}

enum MHD_Result ermes__h_session_current(ermes__req_t *req)
{
    if (!req->session_id)
        return ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "no session: this request was authenticated by a token");
    return session_reply(req, 200, &req->user, req->csrf, req->session_expires);
}

enum MHD_Result ermes__h_session_delete(ermes__req_t *req)
{
    char ref[24];
    int rc;

    if (!req->session_id)
        return ermes__reply_error(req, 401, "unauthorized", NULL,
                                  "no session: this request was authenticated by a token");
    rc = ermes__store_session_delete(req->srv->store, req->session_id);
    if (rc && rc != ERMES_ENOTFOUND)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)req->session_id);
    ermes__audit_write(req->srv->store, &req->viewer, "logout", "session", ref, NULL);
    set_cookie(req, "", 1);
    return ermes__reply_empty(req, 204);
}

enum MHD_Result ermes__h_user_password(ermes__req_t *req)
{
    char ref[24];
    ermes__user_t u;
    ermes_diag_t d;
    json_t *body, *cur, *neu;
    enum MHD_Result ret;
    int64_t ended = 0;
    int64_t id;
    int rc, self;

    if (!(id = ermes__param_id(req, 0)) ||
        (req->viewer.role != ERMES_ROLE_ADMIN && id != req->viewer.user_id) ||
        ermes__store_user_get(req->srv->store, id, NULL, &u))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such user");
    self = id == req->viewer.user_id;
    snprintf(ref, sizeof(ref), "%lld", (long long)id);
    if (u.role == ERMES_ROLE_SENSOR)
        return ermes__reply_error(req, 422, "invalid", "new_password",
                                  "a sensor user has no password: it uses API tokens");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    cur = json_object_get(body, "current_password");
    neu = json_object_get(body, "new_password");
    if (!json_is_object(body) || !json_is_string(neu)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "new_password",
                                  "new_password must be a string");
    }
    /* Only an administrator changing someone else's password need not know the current one. */
    if (self || req->viewer.role != ERMES_ROLE_ADMIN) {
        if (!json_is_string(cur) ||
            ermes__password_verify(u.password_hash, json_string_value(cur))) {
            json_decref(body);
            ermes__audit_write(req->srv->store, &req->viewer, "password_refused", "user", ref,
                               NULL);
            return ermes__reply_error(req, 403, "forbidden", "current_password",
                                      "current_password is wrong");
        }
    }
    ermes_diag_clear(&d);
    if (strlen(json_string_value(neu)) != json_string_length(neu)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "new_password",
                                  "new_password may not contain a NUL character");
    }
    rc = ermes__password_hash(json_string_value(neu), u.password_hash, &d);
    json_decref(body);
    if (rc == ERMES_EINVAL)
        return ermes__reply_error(req, 422, "invalid", "new_password", "%s", d.reason);
    if (!rc)
        rc = ermes__store_user_update(req->srv->store, &u);
    /* Whoever knew the old password is logged out everywhere but here. */
    if (!rc)
        rc = ermes__store_session_delete_user(req->srv->store, u.id, self ? req->session_id : 0,
                                              &ended);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(ref, sizeof(ref), "%lld", (long long)u.id);
    {
        char detail[64];
        snprintf(detail, sizeof(detail), "{\"sessions_ended\":%lld}", (long long)ended);
        ermes__audit_write(req->srv->store, &req->viewer, "password", "user", ref, detail);
    }
    return ermes__reply_empty(req, 204);
}
