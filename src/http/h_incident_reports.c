/* /api/v1/incident-reports: the messages that became incident reports (src/mail/), with the
 * observables extracted from them and what the look-ups found (owner, known bad, seen
 * before); and reports typed in (POST: staff on behalf of a reporter, a constituent's user for
 * its organisation), which take the mail's road (src/mail/submit.c). The CERT's staff see every
 * report; a constituent's user sees the reports its organisation typed in, and of the look-ups
 * only what concerns its organisation. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "http/http.h"
#include "mail/mail.h"
#include "model/org.h"

#define SUBJECT_MAX 998       /* a header line (RFC 5322 section 2.1.1) */
#define BODY_MAX (256u << 10) /* what a report keeps of a message's text (receive.c) */
#define FILE_MAX (1u << 20)   /* one attached file, decoded */
#define FILES_MAX (4u << 20)  /* all attached files, decoded */
#define FILE_NAME_MAX 255
#define EXTRA_VALUE_MAX 1024

struct list_ctx {
    json_t *data;
    int64_t last_id;
    int staff;
    int64_t org_id; /* the viewer's */
};

/* What a constituent's user does not see of a report: the CERT's look-ups (known bad, how
 * often seen) and another constituent's name. */
static void for_constituent(json_t *j, int64_t org_id)
{
    json_t *o = json_object_get(j, "org_id");

    json_object_del(j, "known_bad");
    if (o && !json_is_null(o) && json_integer_value(o) != org_id) {
        json_object_set_new(j, "org_id", json_null());
        json_object_set_new(j, "org", json_null());
    }
}

static int list_cb(void *arg, const ermes__incident_report_t *r)
{
    struct list_ctx *c = arg;
    json_t *j = ermes__incident_report_to_json(r, 0);

    if (j && !c->staff)
        for_constituent(j, c->org_id);
    if (!j || json_array_append_new(c->data, j))
        return ERMES_ENOMEM;
    c->last_id = r->id;
    return 0;
}

enum MHD_Result ermes__h_incident_report_list(ermes__req_t *req)
{
    struct list_ctx c = {NULL, 0, 0, 0};
    const char *org = ermes__query(req, "org"), *waiting = ermes__query(req, "waiting");
    enum MHD_Result ret;
    int64_t cursor = 0, org_id = 0;
    long limit = 0;
    int more = 0, rc;

    if (!ermes__page(req, &limit, &cursor, &ret))
        return ret;
    /* waiting=true: only the reports no incident holds yet (the triage queue). */
    if (waiting && strcmp(waiting, "true") != 0 && strcmp(waiting, "false") != 0)
        return ermes__reply_error(req, 400, "bad_request", "waiting",
                                  "waiting must be true or false");
    if (org && ermes__store_org_resolve(req->srv->store, &req->viewer, org, &org_id))
        return ermes__reply_error(req, 400, "bad_request", "org", "no organisation \"%.64s\"", org);
    if (!(c.data = json_array()))
        return MHD_NO;
    c.staff = ermes__viewer_is_staff(&req->viewer);
    c.org_id = req->viewer.org_id;
    if ((rc = ermes__store_incident_report_each(
             req->srv->store, org_id, c.staff ? 0 : req->viewer.org_id,
             waiting && strcmp(waiting, "true") == 0, cursor, limit, list_cb, &c, &more))) {
        json_decref(c.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_page(req, c.data, more, c.last_id);
}

/* What the incident rules decided (src/incidents/rules.c): "decision": {rule_id, action,
 * incident_id, reason}, null while none ran. */
static int decision_json(ermes__store_t *st, int64_t id, json_t *j)
{
    char action[16], reason[1024];
    int64_t rule_id = 0, inc = 0;
    int rc = ermes__store_report_decision_get(st, id, &rule_id, action, sizeof(action), &inc,
                                              reason, sizeof(reason));

    if (rc == ERMES_ENOTFOUND)
        return json_object_set_new(j, "decision", json_null());
    if (rc)
        return rc;
    return json_object_set_new(j, "decision",
                               json_pack("{s:o,s:s,s:o,s:s}", "rule_id",
                                         rule_id ? json_integer(rule_id) : json_null(), "action",
                                         action, "incident_id",
                                         inc ? json_integer(inc) : json_null(), "reason", reason));
}

struct one_ctx {
    json_t *j;
    int64_t owner_org_id;
    int staff;
    int64_t org_id; /* the viewer's */
};

static int one_cb(void *ctx, const ermes__incident_report_t *r)
{
    struct one_ctx *c = ctx;

    c->owner_org_id = r->owner_org_id;
    c->j = ermes__incident_report_to_json(r, 1);
    return c->j ? 0 : ERMES_ENOMEM;
}

static int obs_cb(void *ctx, const ermes__report_observable_t *o)
{
    struct one_ctx *c = ctx;
    json_t *j = ermes__report_observable_to_json(o);

    if (j && !c->staff) {
        json_object_del(j, "indicator_id");
        json_object_del(j, "known_bad");
        json_object_del(j, "events");
        json_object_del(j, "sightings");
        json_object_del(j, "seen_before");
        if (o->org_id && o->org_id != c->org_id) {
            json_object_set_new(j, "org_id", json_null());
            json_object_set_new(j, "org", json_null());
        }
    }
    return j && !json_array_append_new(json_object_get(c->j, "observables"), j) ? 0 : ERMES_ENOMEM;
}

/* The report id as GET answers it, with status (200, or 201 for one just made). */
static enum MHD_Result reply_report(ermes__req_t *req, int64_t id, unsigned status)
{
    struct one_ctx c = {NULL, 0, ermes__viewer_is_staff(&req->viewer), req->viewer.org_id};
    int rc =
        id ? ermes__store_incident_report_get(req->srv->store, id, one_cb, &c) : ERMES_ENOTFOUND;

    /* Another organisation's report does not exist for a constituent's user. */
    if (!rc && !c.staff && c.owner_org_id != req->viewer.org_id)
        rc = ERMES_ENOTFOUND;
    if (rc == ERMES_ENOTFOUND) {
        json_decref(c.j);
        return ermes__reply_error(req, 404, "not_found", NULL, "no such incident report");
    }
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    if (json_object_set_new(c.j, "observables", json_array()) ||
        ermes__store_report_observable_each(req->srv->store, id, obs_cb, &c)) {
        json_decref(c.j);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    if (!c.staff) {
        for_constituent(c.j, req->viewer.org_id);
    } else if (decision_json(req->srv->store, id, c.j)) {
        json_decref(c.j);
        return ermes__reply_failure(req, ERMES_ESTORE, NULL);
    }
    if (status == 201) {
        char loc[64];
        snprintf(loc, sizeof(loc), "/api/v1/incident-reports/%lld", (long long)id);
        ermes__reply_header(req, "Location", loc);
    }
    return ermes__reply_json(req, status, c.j);
}

enum MHD_Result ermes__h_incident_report_get(ermes__req_t *req)
{
    return reply_report(req, ermes__param_id(req, 0), 200);
}

/* ---- POST: a report typed in ------------------------------------------------------------- */

/* 1 when p[0..n) reads as UTF-8 text: lead and continuation bytes in place, no NUL. */
static int is_text(const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n;) {
        unsigned char c = p[k];
        size_t more = c < 0x80             ? 0
                      : (c & 0xE0) == 0xC0 ? 1
                      : (c & 0xF0) == 0xE0 ? 2
                      : (c & 0xF8) == 0xF0 ? 3
                                           : 9;
        if (!c || more == 9 || (more == 1 && c < 0xC2) || (more == 3 && c > 0xF4) ||
            k + more >= n + (more ? 0 : 1))
            return 0;
        for (size_t j = 1; j <= more; j++)
            if ((p[k + j] & 0xC0) != 0x80)
                return 0;
        k += more + 1;
    }
    return 1;
}

/* 1 when s has a control character (a header or a file name could be split by it). */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

typedef struct submit_in {
    ermes__submission_t s;
    ermes__submit_file_t files[ERMES_SUBMIT_MAX_ATTACHMENTS];
    const char *extra[ERMES_SUBMIT_MAX_EXTRA];
    char *decoded[ERMES_SUBMIT_MAX_ATTACHMENTS];
} submit_in_t;

static void submit_in_cleanup(submit_in_t *in)
{
    for (size_t k = 0; k < ERMES_SUBMIT_MAX_ATTACHMENTS; k++)
        ermes__free(in->decoded[k]);
}

/* The attachments member: [{name, content (base64 of a text file)}]. */
static int read_files(const json_t *arr, submit_in_t *in, ermes_diag_t *d)
{
    size_t total = 0, k;
    json_t *f;

    if (!json_is_array(arr)) {
        ermes_diag_set(d, "attachments", "attachments must be an array of {name, content}");
        return ERMES_EINVAL;
    }
    if (json_array_size(arr) > ERMES_SUBMIT_MAX_ATTACHMENTS) {
        ermes_diag_set(d, "attachments", "at most %d attachments", ERMES_SUBMIT_MAX_ATTACHMENTS);
        return ERMES_EINVAL;
    }
    json_array_foreach(arr, k, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *b64 = json_string_value(json_object_get(f, "content"));
        size_t blen = b64 ? strlen(b64) : 0, len = 0;
        char *buf;

        if (!json_is_object(f) || json_object_size(f) != 2 || !name || !b64) {
            ermes_diag_set(d, "attachments", "attachment %zu must be {name, content}", k);
            return ERMES_EINVAL;
        }
        if (!*name || strlen(name) > FILE_NAME_MAX || has_control(name) || strchr(name, '"') ||
            strchr(name, '\\') || strchr(name, '/')) {
            ermes_diag_set(d, "attachments",
                           "attachment %zu: the name must be 1 to %d characters, without quotes, "
                           "slashes, backslashes or control characters",
                           k, FILE_NAME_MAX);
            return ERMES_EINVAL;
        }
        if (blen / 4 * 3 > FILE_MAX + 3) {
            ermes_diag_set(d, "attachments", "attachment %zu exceeds %u bytes", k, FILE_MAX);
            return ERMES_ETOOBIG;
        }
        if (!(buf = ermes__malloc(blen / 4 * 3 + 4)))
            return ERMES_ENOMEM;
        in->decoded[k] = buf;
        if (sodium_base642bin((unsigned char *)buf, blen / 4 * 3 + 4, b64, blen, " \r\n", &len,
                              NULL, sodium_base64_VARIANT_ORIGINAL)) {
            ermes_diag_set(d, "attachments", "attachment %zu: content is not base64", k);
            return ERMES_EINVAL;
        }
        if (len > FILE_MAX) {
            ermes_diag_set(d, "attachments", "attachment %zu exceeds %u bytes", k, FILE_MAX);
            return ERMES_ETOOBIG;
        }
        if (!is_text((const unsigned char *)buf, len)) {
            ermes_diag_set(d, "attachments", "attachment %zu is not a UTF-8 text file", k);
            return ERMES_EINVAL;
        }
        if ((total += len) > FILES_MAX) {
            ermes_diag_set(d, "attachments", "the attachments exceed %u bytes together", FILES_MAX);
            return ERMES_ETOOBIG;
        }
        in->files[k] = (ermes__submit_file_t){name, buf, len};
    }
    in->s.files = in->files;
    in->s.nfiles = json_array_size(arr);
    return 0;
}

/* The body of POST /api/v1/incident-reports into in, as v may submit it. */
static int read_submission(ermes__req_t *req, const json_t *body, submit_in_t *in, ermes_diag_t *d)
{
    static const char *known[] = {"subject", "body",        "reporter",   "tlp",
                                  "org",     "observables", "attachments"};
    const ermes__viewer_t *v = &req->viewer;
    const char *key, *tlp;
    json_t *val, *x;
    int staff = ermes__viewer_is_staff(v), rc;
    size_t k;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "the body must be a JSON object");
        return ERMES_EINVAL;
    }
    json_object_foreach((json_t *)body, key, val)
    {
        size_t j;
        for (j = 0; j < sizeof(known) / sizeof(known[0]) && strcmp(known[j], key); j++)
            ;
        if (j == sizeof(known) / sizeof(known[0])) {
            ermes_diag_set(d, key, "unknown member \"%.64s\"", key);
            return ERMES_EINVAL;
        }
    }
    in->s.subject = json_string_value(json_object_get(body, "subject"));
    if (!in->s.subject || !*in->s.subject || strlen(in->s.subject) > SUBJECT_MAX ||
        has_control(in->s.subject)) {
        ermes_diag_set(d, "subject", "subject must be text of 1 to %d bytes on one line",
                       SUBJECT_MAX);
        return ERMES_EINVAL;
    }
    in->s.body = json_string_value(json_object_get(body, "body"));
    if (!in->s.body || strlen(in->s.body) > BODY_MAX) {
        ermes_diag_set(d, "body", "body must be text of at most %u bytes", BODY_MAX);
        return ERMES_EINVAL;
    }
    /* The reporter: an address (staff report on someone's behalf); a constituent's user is
     * the reporter unless it names another address of its own. */
    if ((x = json_object_get(body, "reporter")) && !json_is_null(x)) {
        ermes_diag_t ed;
        in->s.reporter = json_string_value(x);
        ermes_diag_clear(&ed);
        if (!in->s.reporter || ermes__org_check_email(in->s.reporter, &ed)) {
            ermes_diag_set(d, "reporter", "reporter must be an e-mail address");
            return ERMES_EINVAL;
        }
    } else if (staff) {
        ermes_diag_set(d, "reporter", "reporter (the e-mail address of who reports) is required");
        return ERMES_EINVAL;
    } else {
        in->s.reporter = v->user_name ? v->user_name : "";
    }
    in->s.submitted_by = v->user_name ? v->user_name : "";
    in->s.tlp = ERMES_TLP_AMBER;
    if ((x = json_object_get(body, "tlp")) &&
        (!(tlp = json_string_value(x)) || ermes_tlp_parse(tlp, strlen(tlp), &in->s.tlp))) {
        ermes_diag_set(d, "tlp", "tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
        return ERMES_EINVAL;
    }
    if ((x = json_object_get(body, "org"))) {
        const char *org = json_string_value(x);
        if (!staff) {
            ermes_diag_set(d, "org", "a constituent's report concerns its own organisation");
            return ERMES_EINVAL;
        }
        if (!org || strlen(org) > 256 ||
            ermes__store_org_resolve(req->srv->store, v, org, &in->s.org_id)) {
            ermes_diag_set(d, "org", "no such organisation");
            return ERMES_EINVAL;
        }
    }
    if (!staff) {
        in->s.org_id = v->org_id;
        in->s.owner_org_id = v->org_id;
    }
    if ((x = json_object_get(body, "observables"))) {
        if (!json_is_array(x) || json_array_size(x) > ERMES_SUBMIT_MAX_EXTRA) {
            ermes_diag_set(d, "observables", "observables must be an array of at most %d values",
                           ERMES_SUBMIT_MAX_EXTRA);
            return ERMES_EINVAL;
        }
        json_array_foreach(x, k, val)
        {
            const char *s = json_string_value(val);
            if (!s || !*s || strlen(s) > EXTRA_VALUE_MAX) {
                ermes_diag_set(d, "observables", "observable %zu must be text of 1 to %d bytes", k,
                               EXTRA_VALUE_MAX);
                return ERMES_EINVAL;
            }
            in->extra[k] = s;
        }
        in->s.extra = in->extra;
        in->s.nextra = json_array_size(x);
    }
    if ((x = json_object_get(body, "attachments")) && (rc = read_files(x, in, d)))
        return rc;
    return 0;
}

enum MHD_Result ermes__h_incident_report_create(ermes__req_t *req)
{
    ermes__mail_options_t o;
    ermes__mail_t *m = NULL;
    ermes__mail_row_t row;
    submit_in_t in;
    char source[96], id_text[32];
    enum MHD_Result ret;
    ermes_diag_t d;
    json_t *body;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    memset(&in, 0, sizeof(in));
    ermes_diag_clear(&d);
    if ((rc = read_submission(req, body, &in, &d))) {
        submit_in_cleanup(&in);
        json_decref(body);
        if (rc == ERMES_ENOMEM)
            return ermes__reply_failure(req, rc, NULL);
        return ermes__reply_error(req, rc == ERMES_ETOOBIG ? 413 : 422,
                                  rc == ERMES_ETOOBIG ? "payload_too_large" : "invalid",
                                  d.field[0] ? d.field : NULL, "%s", d.reason);
    }
    ermes__mail_options_from_config(req->srv->cfg, &o);
    snprintf(source, sizeof(source), "api:%s", req->viewer.user_name ? req->viewer.user_name : "?");
    memset(&row, 0, sizeof(row));
    if (!(rc = ermes__mail_new(req->srv->store, req->srv->registry, req->srv->intake, &o, &m)))
        rc = ermes__mail_submit(m, source, &in.s, &row, &d);
    ermes__mail_free(m);
    submit_in_cleanup(&in);
    json_decref(body);
    if (rc || !row.incident_report_id) {
        /* Stored but not read (it is written by ermes, so this is a fault of ermes): the
         * message is kept, failed, with its reason. */
        if (row.id)
            return ermes__reply_error(req, 500, "internal", NULL,
                                      "the report was stored as message %lld but not processed: %s",
                                      (long long)row.id, row.reason[0] ? row.reason : "unknown");
        return ermes__reply_error(req, 503, "unavailable", NULL, "%s",
                                  d.reason[0] ? d.reason : "the report could not be stored");
    }
    snprintf(id_text, sizeof(id_text), "%lld", (long long)row.incident_report_id);
    ermes__audit_write(req->srv->store, &req->viewer, "create", "incident_report", id_text, NULL);
    return reply_report(req, row.incident_report_id, 201);
}
