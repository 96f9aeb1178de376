/* libFuzzer target for the JSON bodies of the HTTP write routes, read the way the handlers
 * read them after ermes__body_json (json_loadb with JSON_REJECT_DUPLICATES):
 *   0  POST /api/v1/indicators, one object or an array of them: ermes__indicator_from_json,
 *      then ermes_indicator_set_add, the detection engine's validation, as the handler does;
 *   1  PATCH /api/v1/indicators/{id}: ermes__indicator_from_json as a partial update, then
 *      the tags as the store gets them (ermes__tags_to_json);
 *   2  POST /api/v1/tokens: ermes__token_body_read;
 *   3  POST /api/v1/sessions: ermes__login_body_check and ermes__login_body_read;
 *   4  POST /api/v1/users: ermes__user_body_read, creating;
 *   5  PATCH /api/v1/users/{id}: ermes__user_body_read, updating;
 *   6  POST /api/v1/retrohunts: ermes__retrohunt_body_read;
 *   7  the TOTP routes' {"code": ...} and {"password": ...}: ermes__string_member_read;
 *   8  POST /api/v1/quarantine/{id}/retry and .../dismiss: ermes__quarantine_body_read.
 * The first input byte picks the route (modulo 9), the rest is the body. Organisation bodies
 * have their own target (fuzz_org_json.c). Not reached: what needs the store (a token's
 * "user", a user's organisation and the rules of its role, whether a retro-hunt's indicators
 * exist) and the password hashing (argon2id: far too slow for a fuzzer, and its input is the
 * string checked here).
 * Checks: a refusal is ERMES_EINVAL with a reason (and a field where the handler names one);
 * what is accepted is within the documented bounds; a PATCH's tags always convert back for
 * the store; login credentials stay NUL-terminated and a password is either the one sent or
 * "" (checked as a wrong one). Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/login_guard.h"
#include "http/http.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_http_bodies: %s\n", what);
    abort();
}

static int terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void refused(int rc, const ermes_diag_t *d)
{
    check(rc == ERMES_EINVAL, "unexpected error code");
    check(d->reason[0] != '\0', "a refusal without a reason");
    check(terminated(d->field, sizeof(d->field)) && terminated(d->reason, sizeof(d->reason)),
          "an unterminated diagnostic");
}

/* The members an accepted indicator may carry, as the store will take them. */
static void indicator_bounds(const ermes_indicator_t *ind, unsigned has)
{
    check(!(has & ~0x3fu), "unknown bits in has");
    check(ind->confidence >= -1 && ind->confidence <= 100, "confidence out of range");
    check(ind->tlp >= -1 && ind->tlp <= ERMES_TLP_RED, "tlp out of range");
    check(!ind->source || strlen(ind->source) <= ERMES_INDICATOR_SOURCE_MAX, "source too long");
    check(!ind->value || ind->len <= ERMES_INDICATOR_VALUE_MAX, "value too long");
    check(!ind->tags || terminated(ind->tags, ERMES_INDICATOR_TAGS_MAX), "tags unterminated");
}

static void indicator_post(const json_t *body)
{
    int single = json_is_object(body);
    size_t n = single ? 1 : json_array_size(body);
    ermes_indicator_set_t *set;

    if (!single && !json_is_array(body))
        return; /* the handler answers 400 before reading members */
    check(ermes_indicator_set_new(&set) == 0, "out of memory");
    for (size_t i = 0; i < n && i < 64; i++) {
        const json_t *item = single ? body : json_array_get(body, i);
        ermes__ind_text_t t;
        ermes_indicator_t ind;
        ermes_diag_t d;
        unsigned has = 0;
        int rc;

        ermes_indicator_init(&ind);
        ermes_diag_clear(&d);
        t.tags[0] = '\0';
        rc = ermes__indicator_from_json(item, 0, &ind, &t, &has, &d);
        if (rc) {
            refused(rc, &d);
            continue;
        }
        indicator_bounds(&ind, has);
        check(ind.value != NULL, "an indicator without a value accepted");
        rc = ermes_indicator_set_add(set, &ind, NULL, &d);
        if (rc && rc != ERMES_ENOMEM && rc != ERMES_ETOOBIG)
            refused(rc, &d);
    }
    ermes_indicator_set_free(set);
}

static void indicator_patch(const json_t *body)
{
    ermes__ind_text_t t;
    ermes_indicator_t ind;
    char tags[ERMES_INDICATOR_TAGS_MAX];
    ermes_diag_t d;
    unsigned has = 0;
    int rc;

    ermes_indicator_init(&ind);
    ermes_diag_clear(&d);
    t.tags[0] = '\0';
    rc = ermes__indicator_from_json(body, 1, &ind, &t, &has, &d);
    if (rc) {
        refused(rc, &d); /* the field may be "": a member called "" is named so */
        return;
    }
    indicator_bounds(&ind, has);
    check(!ind.value && ind.type == ERMES_IND_NONE && !(ind.flags & ERMES_IND_EXACT),
          "a PATCH changed value, type or exact");
    /* The handler stores the tags as JSON: tags it accepted must convert, or the update
     * would clear them instead. */
    if (has & ERMES_IND_UPD_TAGS)
        check(ermes__tags_to_json(t.tags, tags, sizeof(tags)) == 0,
              "accepted tags do not convert back for the store");
}

static void token(const json_t *body)
{
    const char *desc = NULL;
    long days = -5;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__token_body_read(body, &desc, &days, &d);
    if (rc) {
        refused(rc, &d);
        return;
    }
    check(json_is_object(body), "a token body that is not an object accepted");
    check(!desc || strlen(desc) <= 120, "a description too long accepted");
    check(days == -5 || (days >= 1 && days <= 3650), "expires_in_days out of range");
    check((days != -5) == (json_object_get(body, "expires_in_days") != NULL),
          "expires_in_days given and not read, or read and not given");
}

static void login(const json_t *body)
{
    ermes__login_job_t *job;
    const char *pw;
    ermes_diag_t d;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__login_body_check(body, &d);
    if (rc) {
        refused(rc, &d);
        check(d.field[0] != '\0', "a refused login not naming the member");
        return;
    }
    job = calloc(1, sizeof(*job));
    check(job != NULL, "out of memory");
    memset(job, 'x', sizeof(*job)); /* every field must be written, terminated */
    ermes__login_body_read(body, job);
    check(terminated(job->name, sizeof(job->name)) &&
              terminated(job->password, sizeof(job->password)) &&
              terminated(job->totp, sizeof(job->totp)) &&
              terminated(job->recovery_code, sizeof(job->recovery_code)),
          "a credential lost its terminator");
    check(job->name[0] != '\0', "an empty name accepted");
    pw = json_string_value(json_object_get(body, "password"));
    check(!job->password[0] || strcmp(job->password, pw) == 0,
          "a password other than the one sent");
    free(job);
}

static void user(const json_t *body, int creating)
{
    static const char *const known[] = {
        "name", "role", "org", "password", "disabled", "current_password", NULL};
    ermes__user_body_t ub;
    const char *key;
    ermes_diag_t d;
    json_t *v;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__user_body_read(body, creating, &ub, &d);
    if (rc) {
        refused(rc, &d);
        return;
    }
    check(json_is_object(body), "a user body that is not an object accepted");
    json_object_foreach((json_t *)body, key, v)
    {
        int ok = 0;
        for (size_t k = 0; known[k]; k++)
            ok |= strcmp(key, known[k]) == 0;
        check(ok, "an unknown member accepted");
    }
    check(!creating || (ub.name && *ub.name && strlen(ub.name) <= ERMES_USER_NAME_MAX),
          "a user created without a valid name");
    check(creating || !ub.name, "a name read on update");
    check(!ub.has_role || ermes__role_name(ub.role) != NULL, "a role out of range");
    check(terminated(ub.org, sizeof(ub.org)), "org unterminated");
    check(ub.has_org == (json_object_get(body, "org") != NULL), "org given and not read");
    check(!ub.password ||
              strlen(ub.password) == json_string_length(json_object_get(body, "password")),
          "a password read shorter than it was sent");
}

static void retrohunt(const json_t *body)
{
    int64_t *ids = NULL;
    ermes_diag_t d;
    size_t n = 0;
    int rc;

    ermes_diag_clear(&d);
    rc = ermes__retrohunt_body_read(body, &ids, &n, &d);
    if (rc) {
        check(ids == NULL && n == 0, "ids left behind by a refusal");
        if (rc != ERMES_ENOMEM)
            refused(rc, &d);
        return;
    }
    check((ids == NULL) == (n == 0), "ids and their count disagree");
    check(n <= ERMES_RETROHUNT_MAX_IDS, "too many ids accepted");
    for (size_t k = 0; k < n; k++)
        check(ids[k] > 0, "an id <= 0 accepted");
    free(ids);
}

static void string_member(const json_t *body)
{
    const char *v;
    ermes_diag_t d;

    for (int k = 0; k < 2; k++) {
        const char *member = k ? "password" : "code";
        ermes_diag_clear(&d);
        if (ermes__string_member_read(body, member, &v, &d)) {
            check(v == NULL, "a value left behind by a refusal");
            check(strcmp(d.field, member) == 0, "a refusal not naming the member");
            continue;
        }
        check(strlen(v) == json_string_length(json_object_get(body, member)),
              "a value read shorter than it was sent");
    }
}

/* A correction is one line of text, a reason is there and short; both borrow from body. */
static void quarantine(json_t *body)
{
    for (int dismiss = 0; dismiss < 2; dismiss++) {
        const char *text = NULL;
        size_t len = 0;
        ermes_diag_t d;
        int rc;

        ermes_diag_clear(&d);
        rc = ermes__quarantine_body_read(body, dismiss, &text, &len, &d);
        check(rc == 0 || (rc == ERMES_EINVAL && d.reason[0]), "a refusal without a reason");
        if (rc)
            continue;
        if (dismiss)
            check(text && len > 0 && len <= 1000, "a reason out of bounds accepted");
        else
            check(!text || (len > 0 && !memchr(text, '\n', len) && !memchr(text, '\r', len)),
                  "a correction of more than one line accepted");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *body;

    if (size < 1)
        return 0;
    body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &err);
    if (!body)
        return 0;
    switch (data[0] % 9) {
    case 0:
        indicator_post(body);
        break;
    case 1:
        indicator_patch(body);
        break;
    case 2:
        token(body);
        break;
    case 3:
        login(body);
        break;
    case 4:
    case 5:
        user(body, data[0] % 9 == 4);
        break;
    case 6:
        retrohunt(body);
        break;
    case 7:
        string_member(body);
        break;
    default:
        quarantine(body);
        break;
    }
    json_decref(body);
    return 0;
}
