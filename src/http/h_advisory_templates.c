/* /api/v1/advisory-templates: the templates of the advisories for people (render.h), the page
 * of the HTML and the plain-text rendering and the Atom feed's entry, per language, edited
 * with a live preview. A stored template wins at once over the built-in one on
 * /public/advisories/X.html|.txt, the feeds and the warning e-mails. Staff read;
 * administrators change; every change audited. */
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "advisories/advisory.h"
#include "advisories/render.h"
#include "core/alloc.h"
#include "http/http.h"

static const char *const formats[] = {"html", "text", "atom"};

#define PREVIEW_MAX (16u << 20)

static json_t *find(json_t *data, const char *format, const char *lang)
{
    size_t i;
    json_t *e;

    json_array_foreach(data, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "format")), format) == 0 &&
            strcmp(json_string_value(json_object_get(e, "lang")), lang) == 0)
            return e;
    }
    return NULL;
}

static int stored_cb(void *ctx, const char *format, const char *lang, int64_t updated_at)
{
    json_t *e = find(ctx, format, lang);

    /* Only the languages the renderer has (a row of another one would never be used). */
    if (!e)
        return 0;
    json_object_set_new(e, "source", json_string("stored"));
    json_object_set_new(e, "updated_at", json_integer(updated_at));
    return 0;
}

enum MHD_Result ermes__h_advisory_template_list(ermes__req_t *req)
{
    json_t *data = json_array();
    const char *l;
    int rc = 0;

    if (!data)
        return MHD_NO;
    for (size_t f = 0; !rc && f < sizeof(formats) / sizeof(formats[0]); f++)
        for (size_t k = 0; !rc && (l = ermes__advisory_render_lang_at(k)) != NULL; k++)
            rc = json_array_append_new(data, json_pack("{s:s,s:s,s:s}", "format", formats[f],
                                                       "lang", l, "source", "builtin"))
                     ? ERMES_ENOMEM
                     : 0;
    if (!rc)
        rc = ermes__store_advisory_template_each(req->srv->store, stored_cb, data);
    if (rc) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}

/* 1 when lang is one of the renderer's languages. */
static int known_lang(const char *lang)
{
    const char *l;

    for (size_t k = 0; (l = ermes__advisory_render_lang_at(k)) != NULL; k++)
        if (strcmp(l, lang) == 0)
            return 1;
    return 0;
}

/* The {format} and {lang} of the path, checked; 0 when they are, else a reply queued. */
static int path_args(ermes__req_t *req, char *format, char *lang, size_t cap, enum MHD_Result *ret)
{
    if (ermes__param(req, 0, format, cap) || !ermes__advisory_template_builtin(format)) {
        *ret =
            ermes__reply_error(req, 404, "not_found", "format", "the format is html, text or atom");
        return -1;
    }
    if (ermes__param(req, 1, lang, cap) || !known_lang(lang)) {
        *ret = ermes__reply_error(req, 404, "not_found", "lang",
                                  "the language is one of en, fr, de, nl, it, es, pl");
        return -1;
    }
    return 0;
}

enum MHD_Result ermes__h_advisory_template_get(ermes__req_t *req)
{
    char format[16], lang[16], *text = NULL;
    enum MHD_Result ret;
    int64_t updated_at = 0;
    json_t *j;
    int rc;

    if (path_args(req, format, lang, sizeof(format), &ret))
        return ret;
    rc = ermes__store_advisory_template_get(req->srv->store, format, lang, &text, &updated_at);
    if (rc == ERMES_ENOTFOUND)
        j = json_pack("{s:s,s:s,s:s,s:s}", "format", format, "lang", lang, "source", "builtin",
                      "text", ermes__advisory_template_builtin(format));
    else if (rc)
        return ermes__reply_failure(req, rc, NULL);
    else
        j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "format", format, "lang", lang, "source", "stored",
                      "text", text, "updated_at", (json_int_t)updated_at);
    ermes__free(text);
    return ermes__reply_json(req, 200, j);
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

/* The checked "text" of body for format; a reply (422 with line and column) queued when NULL. */
static const char *checked_text(ermes__req_t *req, json_t *body, const char *format,
                                enum MHD_Result *ret)
{
    json_t *v = json_object_get(body, "text");
    ermes_diag_t d;

    if (!json_is_string(v)) {
        *ret = ermes__reply_error(req, 422, "invalid", "text", "text must be a string");
        return NULL;
    }
    if (ermes__advisory_template_check(format, json_string_value(v), &d)) {
        *ret = ermes__reply_json(req, 422,
                                 json_pack("{s:{s:s,s:s,s:s,s:I,s:I}}", "error", "code", "invalid",
                                           "field", d.field[0] ? d.field : "text", "message",
                                           d.reason, "line", (json_int_t)d.line, "column",
                                           (json_int_t)d.column));
        return NULL;
    }
    return json_string_value(v);
}

enum MHD_Result ermes__h_advisory_template_put(ermes__req_t *req)
{
    static const char *const allowed[] = {"text", NULL};
    char format[16], lang[16], target[40];
    enum MHD_Result ret;
    const char *text;
    int64_t home = 0;
    json_t *body;
    int rc;

    if (path_args(req, format, lang, sizeof(format), &ret))
        return ret;
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (only(req, body, allowed, &ret) || !(text = checked_text(req, body, format, &ret))) {
        json_decref(body);
        return ret;
    }
    ermes__store_home_org(req->srv->store, &home);
    rc = ermes__store_advisory_template_put(req->srv->store, format, lang, text, home);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(target, sizeof(target), "%s/%s", format, lang);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "advisory_template", target, NULL);
    return ermes__h_advisory_template_get(req);
}

enum MHD_Result ermes__h_advisory_template_delete(ermes__req_t *req)
{
    char format[16], lang[16], target[40];
    enum MHD_Result ret;
    int rc;

    if (path_args(req, format, lang, sizeof(format), &ret))
        return ret;
    rc = ermes__store_advisory_template_delete(req->srv->store, format, lang);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", "lang", "no stored %s template in \"%s\"",
                                  format, lang);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(target, sizeof(target), "%s/%s", format, lang);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "advisory_template", target, NULL);
    return ermes__reply_empty(req, 204);
}

/* POST .../preview {"format", "text", "lang"?, "advisory"?}: the advisory (a published one the
 * reader may see, by id or tracking id; else the built-in sample) through the edited text. */
enum MHD_Result ermes__h_advisory_template_preview(ermes__req_t *req)
{
    static const char *const allowed[] = {"format", "text", "lang", "advisory", NULL};
    const char *format, *text, *lang = NULL, *ref, *document;
    ermes__advisory_t a;
    int have_a = 0, rc;
    enum MHD_Result ret;
    ermes__strbuf_t b;
    json_t *body, *j;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (only(req, body, allowed, &ret)) {
        json_decref(body);
        return ret;
    }
    format = json_string_value(json_object_get(body, "format"));
    if (!format || !ermes__advisory_template_builtin(format)) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "format", "format is html, text or atom");
    }
    if (json_object_get(body, "lang") &&
        (!(lang = json_string_value(json_object_get(body, "lang"))) || !known_lang(lang))) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "lang",
                                  "lang is one of en, fr, de, nl, it, es, pl");
    }
    if (!(text = checked_text(req, body, format, &ret))) {
        json_decref(body);
        return ret;
    }
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
    ermes__strbuf_init(&b, PREVIEW_MAX);
    {
        ermes__advisory_tpls_t t = {.text = text};
        if (strcmp(format, "atom") == 0) {
            ermes__advisory_t sample;
            memset(&sample, 0, sizeof(sample));
            snprintf(sample.tracking_id, sizeof(sample.tracking_id), "%s",
                     have_a ? a.tracking_id : "EX-2026-0001");
            rc = ermes__advisory_feed_entry(&b, &sample, document, "/public/advisories/", ".html",
                                            lang, &t);
        } else {
            rc = ermes__advisory_render(
                document, strcmp(format, "html") == 0 ? ERMES_ADVISORY_HTML : ERMES_ADVISORY_TEXT,
                lang, &t, &b);
        }
    }
    j = rc ? NULL
           : json_pack("{s:s,s:s,s:s}", "format", format, "lang", lang ? lang : "", "output",
                       b.data ? b.data : "");
    ermes__strbuf_cleanup(&b);
    if (have_a)
        ermes__advisory_cleanup(&a);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    return ermes__reply_json(req, 200, j);
}
