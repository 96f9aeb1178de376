/* /api/v1/templates: the one template system (src/templates/templates.h), every kind, name and
 * language: listed with where each comes from, read, replaced (checked first), reset to its
 * default, previewed. Staff read and preview; administrators change; every change audited
 * (object type "template", id "KIND/NAME/LANG").
 *
 * The routes of the two systems this one replaced stay as views of it, their bodies as they
 * were: /api/v1/notification-templates/{lang} is notification/message/{lang} and
 * /api/v1/advisory-templates/{format}/{lang} is {format}/page/{lang} ({format}/entry/{lang} for
 * atom). */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "advisories/render.h"
#include "core/alloc.h"
#include "http/http.h"
#include "notify/notify.h"
#include "templates/templates.h"

#define PREVIEW_MAX (16u << 20)

/* Which routes a request came by: they name their templates and shape their bodies apart. */
typedef enum view { V_TEMPLATES, V_NOTIFY, V_ADVISORY } view_t;

typedef struct target {
    char kind[16], name[24], lang[16];
} target_t;

/* The old advisory routes' format is the kind; their template the page (the entry for atom). */
static const char *advisory_name(const char *format)
{
    return strcmp(format, "atom") == 0 ? "entry" : "page";
}

static int is_advisory_format(const char *s)
{
    return s && (strcmp(s, "html") == 0 || strcmp(s, "text") == 0 || strcmp(s, "atom") == 0);
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s + 32);
}

/* The template the path names, checked; 0 when it is one, else a reply queued in *ret. */
static int path_target(ermes__req_t *req, view_t view, target_t *t, enum MHD_Result *ret)
{
    size_t at = 0;

    memset(t, 0, sizeof(*t));
    if (view == V_NOTIFY) {
        snprintf(t->kind, sizeof(t->kind), "notification");
        snprintf(t->name, sizeof(t->name), "message");
    } else if (view == V_ADVISORY) {
        if (ermes__param(req, 0, t->kind, sizeof(t->kind)) || !is_advisory_format(t->kind)) {
            *ret = ermes__reply_error(req, 404, "not_found", "format",
                                      "the format is html, text or atom");
            return -1;
        }
        snprintf(t->name, sizeof(t->name), "%s", advisory_name(t->kind));
        at = 1;
    } else {
        if (ermes__param(req, 0, t->kind, sizeof(t->kind)) ||
            !ermes__templates_name_at(t->kind, 0)) {
            *ret = ermes__reply_error(req, 404, "not_found", "kind",
                                      "the kind is notification, html, text or atom");
            return -1;
        }
        if (ermes__param(req, 1, t->name, sizeof(t->name)) ||
            !ermes__templates_known(t->kind, t->name)) {
            *ret = ermes__reply_error(req, 404, "not_found", "name", "no template \"%.24s\" of %s",
                                      t->name, t->kind);
            return -1;
        }
        at = 2;
    }
    if (ermes__param(req, at, t->lang, sizeof(t->lang)) == 0)
        lower(t->lang);
    else
        t->lang[0] = '\0';
    if (!ermes__templates_valid_lang(t->kind, t->lang)) {
        if (strcmp(t->kind, "notification") == 0)
            *ret = ermes__reply_error(req, 404, "not_found", "lang",
                                      "a language is two or three letters (ISO 639)");
        else
            *ret = ermes__reply_error(req, 404, "not_found", "lang",
                                      "the language is one of en, fr, de, nl, it, es, pl");
        return -1;
    }
    return 0;
}

/* A template as view shows it: text may be NULL (a list's entry), updated_at 0 (not stored). */
static json_t *describe(view_t view, const target_t *t, const char *source, const char *text,
                        int64_t updated_at)
{
    json_t *j;

    if (view == V_NOTIFY)
        j = json_pack("{s:s,s:s}", "lang", t->lang, "source", source);
    else if (view == V_ADVISORY)
        j = json_pack("{s:s,s:s,s:s}", "format", t->kind, "lang", t->lang, "source", source);
    else
        j = json_pack("{s:s,s:s,s:s,s:s}", "kind", t->kind, "name", t->name, "lang", t->lang,
                      "source", source);
    if (j && text && json_object_set_new(j, "text", json_string(text))) {
        json_decref(j);
        return NULL;
    }
    if (j && updated_at && json_object_set_new(j, "updated_at", json_integer(updated_at))) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- the list ------------------------------------------------------------------------------ */

/* 1 when view shows templates of kind/name. */
static int in_view(view_t view, const char *kind, const char *name)
{
    if (view == V_NOTIFY) /* the message; its lines only in /api/v1/templates */
        return strcmp(kind, "notification") == 0 && strcmp(name, "message") == 0;
    if (view == V_ADVISORY)
        return is_advisory_format(kind) && strcmp(name, advisory_name(kind)) == 0;
    return 1;
}

typedef struct list_ctx {
    json_t *data;
    view_t view;
} list_ctx_t;

static int list_cb(void *ctx, const char *kind, const char *name, const char *lang,
                   const char *source, int64_t updated_at)
{
    list_ctx_t *l = ctx;
    target_t t;

    if (!in_view(l->view, kind, name))
        return 0;
    snprintf(t.kind, sizeof(t.kind), "%s", kind);
    snprintf(t.name, sizeof(t.name), "%s", name);
    snprintf(t.lang, sizeof(t.lang), "%s", lang);
    return json_array_append_new(l->data, describe(l->view, &t, source, NULL, updated_at))
               ? ERMES_ENOMEM
               : 0;
}

static enum MHD_Result list(ermes__req_t *req, view_t view)
{
    const char *want = view == V_TEMPLATES ? ermes__query(req, "kind") : NULL;
    list_ctx_t l = {.data = json_array(), .view = view};
    int rc;

    if (!l.data)
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    if (want && !ermes__templates_name_at(want, 0)) {
        json_decref(l.data);
        return ermes__reply_error(req, 422, "invalid", "kind",
                                  "the kind is notification, html, text or atom");
    }
    if (view == V_NOTIFY)
        want = "notification";
    rc = ermes__templates_each(req->srv->store, ermes__req_cfg(req)->notify_templates, want,
                               list_cb, &l);
    if (rc) {
        json_decref(l.data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", l.data));
}

/* ---- one template -------------------------------------------------------------------------- */

static enum MHD_Result get(ermes__req_t *req, view_t view)
{
    const char *source = NULL;
    enum MHD_Result ret;
    int64_t updated_at = 0;
    char *text = NULL;
    target_t t;
    json_t *j;
    int rc;

    if (path_target(req, view, &t, &ret))
        return ret;
    rc = ermes__templates_get(req->srv->store, ermes__req_cfg(req)->notify_templates, t.kind,
                              t.name, t.lang, &text, &source, &updated_at);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", "lang", "no template in \"%s\"", t.lang);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    j = describe(view, &t, source, text, updated_at);
    ermes__free(text);
    return j ? ermes__reply_json(req, 200, j) : ermes__reply_failure(req, ERMES_ENOMEM, NULL);
}

/* The body's members: only those of allowed (NULL-terminated); a reply queued when not. */
static int only(ermes__req_t *req, json_t *body, const char *const *allowed, enum MHD_Result *ret)
{
    const char *key;
    json_t *v;

    if (!json_is_object(body)) {
        *ret = ermes__reply_error(req, 422, "invalid", NULL, "the body must be a JSON object");
        return -1;
    }
    json_object_foreach(body, key, v)
    {
        size_t k = 0;
        while (allowed[k] && strcmp(allowed[k], key) != 0)
            k++;
        if (!allowed[k]) {
            *ret = ermes__reply_error(req, 422, "invalid", key, "unknown member \"%.48s\"", key);
            return -1;
        }
    }
    return 0;
}

/* The body's "text" checked as kind/name; NULL with a reply queued (422 naming the field, and
 * for a bad placeholder its line, column and name) when it is not one. */
static const char *checked_text(ermes__req_t *req, json_t *body, const char *kind, const char *name,
                                enum MHD_Result *ret)
{
    json_t *v = json_object_get(body, "text");
    ermes_diag_t d;

    if (!json_is_string(v)) {
        *ret = ermes__reply_error(req, 422, "invalid", "text", "text must be a string");
        return NULL;
    }
    if (ermes__templates_check(kind, name, json_string_value(v), &d)) {
        *ret = ermes__reply_json(req, 422,
                                 json_pack("{s:{s:s,s:s,s:s,s:I,s:I}}", "error", "code", "invalid",
                                           "field", d.field[0] ? d.field : "text", "message",
                                           d.reason, "line", (json_int_t)d.line, "column",
                                           (json_int_t)d.column));
        return NULL;
    }
    return json_string_value(v);
}

static void audit(ermes__req_t *req, const char *action, const target_t *t)
{
    char id[64];

    snprintf(id, sizeof(id), "%s/%s/%s", t->kind, t->name, t->lang);
    ermes__audit_write(req->srv->store, &req->viewer, action, "template", id, NULL);
}

static enum MHD_Result put(ermes__req_t *req, view_t view)
{
    static const char *const allowed[] = {"text", NULL};
    enum MHD_Result ret;
    const char *text;
    int64_t home = 0;
    target_t t;
    json_t *body;
    int rc;

    if (path_target(req, view, &t, &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (only(req, body, allowed, &ret) || !(text = checked_text(req, body, t.kind, t.name, &ret))) {
        json_decref(body);
        return ret;
    }
    ermes__store_home_org(req->srv->store, &home);
    rc = ermes__store_template_put(req->srv->store, t.kind, t.name, t.lang, text, home);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    audit(req, "update", &t);
    return get(req, view);
}

static enum MHD_Result delete (ermes__req_t *req, view_t view) {
    enum MHD_Result ret; target_t t; int rc;

    if (path_target(req, view, &t, &ret)) return ret;
    rc = ermes__store_template_delete(req->srv->store, t.kind, t.name, t.lang);
    if (rc == ERMES_ENOTFOUND) return ermes__reply_error(req, 404, "not_found", "lang",
                                                         "no stored template in \"%s\"", t.lang);
    if (rc) return ermes__reply_failure(req, rc, NULL);
    audit(req, "delete", &t);
    return ermes__reply_empty(req, 204);
}

/* ---- previews ------------------------------------------------------------------------------ */

/* A notification for a sample group: what a constituent would get for a dozen events of two
 * kinds, through the edited part (name) and the language's stored templates for the others; a
 * daily or weekly digest when a digest's sentence is edited, the edited attachment's format. */
static int preview_notification(ermes__req_t *req, const char *name, const char *lang,
                                const char *text, json_t **out)
{
    ermes__notify_texts_t stored;
    static const char *const types[] = {"vulnerable-system", "infected-system", NULL};
    static const int64_t counts[] = {9, 3};
    ermes__strbuf_t subject, body;
    ermes__notify_vars_t v;
    int rc;

    memset(&v, 0, sizeof(v));
    v.reference = "ERMES-2026-000042";
    v.org = "example";
    v.org_name = "Example Networks";
    v.group = "shadowserver-scan-http";
    v.tlp = ERMES_TLP_AMBER;
    v.events = 12;
    v.first = 1796601600000; /* 2026-12-07 00:00 UTC */
    v.last = 1796601600000 + 5 * 3600 * 1000LL;
    v.types = types;
    v.type_counts = counts;
    v.mail_from = ermes__req_cfg(req)->mail_from;
    v.signature = ermes__req_cfg(req)->notify_signature;
    if (strncmp(name, "digest_", 7) == 0) {
        v.digest = strcmp(name, "digest_weekly") == 0 ? 2 : 1;
        v.period_start = v.first - (v.digest == 2 ? 7 : 1) * 24 * 3600 * 1000LL;
        v.period_end = v.first;
    }
    v.attachment_ext = strcmp(name, "attached_json") == 0   ? "json"
                       : strcmp(name, "attached_xarf") == 0 ? "xarf.json"
                                                            : "csv";
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body, 1024 * 1024);
    rc = ermes__notify_texts_load(req->srv->store, lang, &stored);
    if (!rc)
        rc = ermes__notify_texts_set(&stored, name, text);
    if (!rc)
        rc = ermes__notify_render_texts(NULL, lang, &stored, &v, &subject, &body);
    ermes__notify_texts_cleanup(&stored);
    if (!rc && !(*out = json_pack("{s:s,s:s}", "subject", subject.data ? subject.data : "", "body",
                                  body.data ? body.data : "")))
        rc = ERMES_ENOMEM;
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body);
    return rc;
}

/* An advisory (document) through the edited part, the language's stored templates for the
 * others. */
static int preview_advisory(ermes__req_t *req, const char *kind, const char *name, const char *lang,
                            const char *text, const char *document, const char *tracking_id,
                            json_t **out)
{
    ermes__advisory_tpls_t t = {
        .name = name, .text = text, .fn = ermes__store_template_texts, .ctx = req->srv->store};
    ermes__strbuf_t b;
    int rc;

    ermes__strbuf_init(&b, PREVIEW_MAX);
    if (strcmp(kind, "atom") == 0) {
        ermes__advisory_t sample;
        memset(&sample, 0, sizeof(sample));
        snprintf(sample.tracking_id, sizeof(sample.tracking_id), "%s", tracking_id);
        /* The feed's header alone is little to look at: the whole feed of this advisory. */
        rc = strcmp(name, "feed") == 0
                 ? ermes__advisory_feed_begin(&b, "Advisories", "/public/advisories/feed.atom",
                                              1796601600000, lang, &t)
                 : 0;
        if (!rc)
            rc = ermes__advisory_feed_entry(&b, &sample, document, "/public/advisories/", ".html",
                                            lang, &t);
        if (!rc && strcmp(name, "feed") == 0)
            rc = ermes__advisory_feed_end(&b);
    } else {
        rc = ermes__advisory_render(
            document, strcmp(kind, "html") == 0 ? ERMES_ADVISORY_HTML : ERMES_ADVISORY_TEXT, lang,
            &t, &b);
    }
    if (!rc && !(*out = json_pack("{s:s}", "output", b.data ? b.data : "")))
        rc = ERMES_ENOMEM;
    ermes__strbuf_cleanup(&b);
    return rc;
}

/* POST .../preview: {"kind", "name", "text", "lang"?, "advisory"?} (the notification view:
 * {"text", "lang"?}; the advisory view: {"format", "text", "lang"?, "advisory"?}). An advisory
 * is a published one by id or tracking id, else the built-in sample. Nothing is stored. */
static enum MHD_Result preview(ermes__req_t *req, view_t view)
{
    static const char *const allowed_notify[] = {"text", "lang", NULL};
    static const char *const allowed_advisory[] = {"format", "text", "lang", "advisory", NULL};
    static const char *const allowed[] = {"kind", "name", "text", "lang", "advisory", NULL};
    const char *kind, *name, *text, *lang = NULL, *ref, *document;
    enum MHD_Result ret;
    ermes__advisory_t a;
    int have_a = 0, rc;
    char lang_buf[16];
    json_t *body, *j = NULL;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (only(req, body,
             view == V_NOTIFY     ? allowed_notify
             : view == V_ADVISORY ? allowed_advisory
                                  : allowed,
             &ret)) {
        json_decref(body);
        return ret;
    }
    if (view == V_NOTIFY) {
        kind = "notification", name = "message";
    } else if (view == V_ADVISORY) {
        kind = json_string_value(json_object_get(body, "format"));
        if (!is_advisory_format(kind)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "format",
                                      "format is html, text or atom");
        }
        name = advisory_name(kind);
    } else {
        kind = json_string_value(json_object_get(body, "kind"));
        name = json_string_value(json_object_get(body, "name"));
        if (!kind || !ermes__templates_name_at(kind, 0)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "kind",
                                      "kind is notification, html, text or atom");
        }
        if (!ermes__templates_known(kind, name)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "name", "no such template of %s", kind);
        }
    }
    if (json_object_get(body, "lang")) {
        lang = json_string_value(json_object_get(body, "lang"));
        if (!lang || !ermes__templates_valid_lang(kind, lang)) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "lang",
                                      strcmp(kind, "notification") == 0
                                          ? "lang must be two or three lower-case letters (ISO 639)"
                                          : "lang is one of en, fr, de, nl, it, es, pl");
        }
    }
    snprintf(lang_buf, sizeof(lang_buf), "%s", lang ? lang : "en");
    if (!(text = checked_text(req, body, kind, name, &ret))) {
        json_decref(body);
        return ret;
    }
    if (strcmp(kind, "notification") == 0) {
        if (json_object_get(body, "advisory")) {
            json_decref(body);
            return ermes__reply_error(req, 422, "invalid", "advisory",
                                      "a notification is previewed for a sample group");
        }
        rc = preview_notification(req, name ? name : "message", lang_buf, text, &j);
    } else {
        document = ermes__advisory_template_sample();
        if (json_object_get(body, "advisory")) {
            ref = json_string_value(json_object_get(body, "advisory"));
            if (!ref || strlen(ref) > ERMES_ADVISORY_ID_MAX) {
                json_decref(body);
                return ermes__reply_error(req, 422, "invalid", "advisory",
                                          "advisory is an advisory's id or tracking id");
            }
            rc = ermes__store_advisory_get(req->srv->store, ref, &a);
            if (rc == 0)
                have_a = 1;
            if (rc == ERMES_ENOTFOUND || (have_a && (a.revision <= 0 || !a.published_document))) {
                if (have_a)
                    ermes__advisory_cleanup(&a);
                /* ref is the body's: answered before the body goes. */
                ret = ermes__reply_error(req, 422, "invalid", "advisory",
                                         "no published advisory \"%.64s\"", ref);
                json_decref(body);
                return ret;
            }
            if (rc) {
                json_decref(body);
                return ermes__reply_failure(req, rc, NULL);
            }
            document = a.published_document;
        }
        rc = preview_advisory(req, kind, name, lang, text, document,
                              have_a ? a.tracking_id : "EX-2026-0001", &j);
        if (have_a)
            ermes__advisory_cleanup(&a);
    }
    if (rc) {
        json_decref(body);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* Which template was previewed, in the view's words (a notification's language is "en"
     * when none was asked for, an advisory's the document's). */
    rc = json_object_set_new(j, "lang",
                             json_string(strcmp(kind, "notification") == 0 ? lang_buf
                                         : lang                            ? lang
                                                                           : ""));
    if (!rc && view == V_ADVISORY)
        rc = json_object_set_new(j, "format", json_string(kind));
    if (!rc && view == V_TEMPLATES)
        rc = json_object_set_new(j, "kind", json_string(kind)) ||
             json_object_set_new(j, "name", json_string(name));
    /* kind, name and lang are the body's: it goes once they are copied. */
    json_decref(body);
    if (rc) {
        json_decref(j);
        return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
    }
    return ermes__reply_json(req, 200, j);
}

/* ---- the routes ---------------------------------------------------------------------------- */

enum MHD_Result ermes__h_template_list(ermes__req_t *req)
{
    return list(req, V_TEMPLATES);
}
enum MHD_Result ermes__h_template_get(ermes__req_t *req)
{
    return get(req, V_TEMPLATES);
}
enum MHD_Result ermes__h_template_put(ermes__req_t *req)
{
    return put(req, V_TEMPLATES);
}
enum MHD_Result ermes__h_template_delete(ermes__req_t *req)
{
    return delete (req, V_TEMPLATES);
}
enum MHD_Result ermes__h_template_preview(ermes__req_t *req)
{
    return preview(req, V_TEMPLATES);
}
enum MHD_Result ermes__h_notify_template_list(ermes__req_t *req)
{
    return list(req, V_NOTIFY);
}
enum MHD_Result ermes__h_notify_template_get(ermes__req_t *req)
{
    return get(req, V_NOTIFY);
}
enum MHD_Result ermes__h_notify_template_put(ermes__req_t *req)
{
    return put(req, V_NOTIFY);
}
enum MHD_Result ermes__h_notify_template_delete(ermes__req_t *req)
{
    return delete (req, V_NOTIFY);
}
enum MHD_Result ermes__h_notify_template_preview(ermes__req_t *req)
{
    return preview(req, V_NOTIFY);
}
enum MHD_Result ermes__h_advisory_template_list(ermes__req_t *req)
{
    return list(req, V_ADVISORY);
}
enum MHD_Result ermes__h_advisory_template_get(ermes__req_t *req)
{
    return get(req, V_ADVISORY);
}
enum MHD_Result ermes__h_advisory_template_put(ermes__req_t *req)
{
    return put(req, V_ADVISORY);
}
enum MHD_Result ermes__h_advisory_template_delete(ermes__req_t *req)
{
    return delete (req, V_ADVISORY);
}
enum MHD_Result ermes__h_advisory_template_preview(ermes__req_t *req)
{
    return preview(req, V_ADVISORY);
}
