/* /api/v1/notification-templates: the notification templates per language, edited with a
 * live preview. A stored template wins over templates_dir's file and the built-in one
 * (src/notify/message.c). Staff read; administrators change; every change audited. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "http/http.h"
#include "notify/notify.h"

#define MAX_LANGS 1000

typedef struct list_ctx {
    json_t *data;
    const char *dir;
} list_ctx_t;

static json_t *find_lang(json_t *data, const char *lang)
{
    size_t i;
    json_t *e;

    json_array_foreach(data, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "lang")), lang) == 0)
            return e;
    }
    return NULL;
}

static int add_lang(json_t *data, const char *lang, const char *source, int64_t updated_at)
{
    json_t *e = find_lang(data, lang);

    if (e) {
        /* A stored template hides the file and the built-in one. */
        if (strcmp(source, "stored") == 0 ||
            (strcmp(source, "file") == 0 &&
             strcmp(json_string_value(json_object_get(e, "source")), "builtin") == 0))
            json_object_set_new(e, "source", json_string(source));
        if (updated_at)
            json_object_set_new(e, "updated_at", json_integer(updated_at));
        return 0;
    }
    e = json_pack("{s:s,s:s}", "lang", lang, "source", source);
    if (e && updated_at)
        json_object_set_new(e, "updated_at", json_integer(updated_at));
    return !e || json_array_append_new(data, e) ? ERMES_ENOMEM : 0;
}

static int stored_cb(void *ctx, const char *lang, int64_t updated_at)
{
    return add_lang(ctx, lang, "stored", updated_at);
}

static int cmp_lang(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "lang")),
                  json_string_value(json_object_get(*(json_t *const *)b, "lang")));
}

enum MHD_Result ermes__h_notify_template_list(ermes__req_t *req)
{
    const char *dir = ermes__req_cfg(req)->notify_templates;
    json_t *data = json_array(), *sorted;
    const char *l;
    int rc = 0;

    if (!data)
        return MHD_NO;
    for (size_t k = 0; !rc && (l = ermes__notify_builtin_lang(k)) != NULL; k++)
        rc = add_lang(data, l, "builtin", 0);
    /* templates_dir's files: every <lang>.txt with a valid language name. */
    if (!rc && dir && *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t seen = 0;
        while (!rc && d && (de = readdir(d)) != NULL && seen++ < MAX_LANGS) {
            char lang[8];
            size_t n = strlen(de->d_name);
            if (n < 6 || n > 7 || strcmp(de->d_name + n - 4, ".txt") != 0)
                continue;
            memcpy(lang, de->d_name, n - 4);
            lang[n - 4] = '\0';
            if (ermes__notify_template_valid_lang(lang))
                rc = add_lang(data, lang, "file", 0);
        }
        if (d)
            closedir(d);
    }
    if (!rc)
        rc = ermes__store_notify_template_each(req->srv->store, stored_cb, data);
    if (rc) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* By language, whatever the source. */
    {
        size_t n = json_array_size(data);
        json_t **items = ermes__calloc(n ? n : 1, sizeof(*items));
        if (!items) {
            json_decref(data);
            return MHD_NO;
        }
        for (size_t k = 0; k < n; k++)
            items[k] = json_incref(json_array_get(data, k));
        qsort(items, n, sizeof(*items), cmp_lang);
        sorted = json_array();
        for (size_t k = 0; sorted && k < n; k++)
            json_array_append(sorted, items[k]);
        for (size_t k = 0; k < n; k++)
            json_decref(items[k]);
        ermes__free(items);
        json_decref(data);
        if (!sorted)
            return MHD_NO;
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", sorted));
}

/* The {lang} of the path, lower case and checked; 0 when it is one. */
static int path_lang(ermes__req_t *req, char *lang, size_t cap)
{
    if (ermes__param(req, 0, lang, cap))
        return -1;
    for (char *p = lang; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return ermes__notify_template_valid_lang(lang) ? 0 : -1;
}

enum MHD_Result ermes__h_notify_template_get(ermes__req_t *req)
{
    char lang[16], *text = NULL;
    const char *source = "stored";
    int64_t updated_at = 0;
    json_t *j;
    int rc;

    if (path_lang(req, lang, sizeof(lang)))
        return ermes__reply_error(req, 404, "not_found", "lang",
                                  "a language is two or three letters (ISO 639)");
    rc = ermes__store_notify_template_get(req->srv->store, lang, &text, &updated_at);
    if (rc == ERMES_ENOTFOUND)
        rc = ermes__notify_template_default(ermes__req_cfg(req)->notify_templates, lang, &text,
                                            &source);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", "lang", "no template in \"%s\"", lang);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    j = json_pack("{s:s,s:s,s:s}", "lang", lang, "source", source, "text", text);
    ermes__free(text);
    if (j && updated_at)
        json_object_set_new(j, "updated_at", json_integer(updated_at));
    return ermes__reply_json(req, 200, j);
}

/* The "text" of a body {"text": ...} (with "lang" allowed when lang_ok), checked; a reply
 * already queued when it returns NULL. */
static const char *body_text(ermes__req_t *req, json_t *body, int lang_ok, enum MHD_Result *ret)
{
    const char *key;
    ermes_diag_t d;
    json_t *v;

    if (!json_is_object(body)) {
        *ret = ermes__reply_error(req, 422, "invalid", NULL, "the body must be {\"text\": string}");
        return NULL;
    }
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "text") != 0 && !(lang_ok && strcmp(key, "lang") == 0)) {
            *ret = ermes__reply_error(req, 422, "invalid", key, "unknown member \"%.48s\"", key);
            return NULL;
        }
    }
    v = json_object_get(body, "text");
    if (!json_is_string(v)) {
        *ret = ermes__reply_error(req, 422, "invalid", "text", "text must be a string");
        return NULL;
    }
    if (ermes__notify_template_check(json_string_value(v), &d)) {
        json_t *e = json_pack("{s:{s:s,s:s,s:s,s:I,s:I}}", "error", "code", "invalid", "field",
                              "text", "message", d.reason, "line", (json_int_t)d.line, "column",
                              (json_int_t)d.column);
        *ret = ermes__reply_json(req, 422, e);
        return NULL;
    }
    return json_string_value(v);
}

enum MHD_Result ermes__h_notify_template_put(ermes__req_t *req)
{
    enum MHD_Result ret;
    const char *text;
    char lang[16];
    int64_t home = 0;
    json_t *body;
    int rc;

    if (path_lang(req, lang, sizeof(lang)))
        return ermes__reply_error(req, 404, "not_found", "lang",
                                  "a language is two or three letters (ISO 639)");
    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!(text = body_text(req, body, 0, &ret))) {
        json_decref(body);
        return ret;
    }
    ermes__store_home_org(req->srv->store, &home);
    rc = ermes__store_notify_template_put(req->srv->store, lang, text, home);
    json_decref(body);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ermes__audit_write(req->srv->store, &req->viewer, "update", "notification_template", lang,
                       NULL);
    return ermes__h_notify_template_get(req);
}

enum MHD_Result ermes__h_notify_template_delete(ermes__req_t *req)
{
    char lang[16];
    int rc;

    if (path_lang(req, lang, sizeof(lang)))
        return ermes__reply_error(req, 404, "not_found", "lang",
                                  "a language is two or three letters (ISO 639)");
    rc = ermes__store_notify_template_delete(req->srv->store, lang);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", "lang", "no stored template in \"%s\"",
                                  lang);
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ermes__audit_write(req->srv->store, &req->viewer, "delete", "notification_template", lang,
                       NULL);
    return ermes__reply_empty(req, 204);
}

enum MHD_Result ermes__h_notify_template_preview(ermes__req_t *req)
{
    /* A sample group: what a constituent would get for a dozen events of two kinds. */
    static const char *const types[] = {"vulnerable-system", "infected-system", NULL};
    static const int64_t counts[] = {9, 3};
    ermes__strbuf_t subject, body_out;
    ermes__notify_vars_t v;
    enum MHD_Result ret;
    const char *text, *lang_in;
    char lang[16];
    json_t *body, *j;
    int rc;

    if (!ermes__body_json(req, &body, &ret))
        return ret;
    if (!(text = body_text(req, body, 1, &ret))) {
        json_decref(body);
        return ret;
    }
    lang_in = json_string_value(json_object_get(body, "lang"));
    if (json_object_get(body, "lang") &&
        (!lang_in || !ermes__notify_template_valid_lang(lang_in))) {
        json_decref(body);
        return ermes__reply_error(req, 422, "invalid", "lang",
                                  "lang must be two or three lower-case letters (ISO 639)");
    }
    snprintf(lang, sizeof(lang), "%s", lang_in ? lang_in : "en");
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
    ermes__strbuf_init(&subject, 64 * 1024);
    ermes__strbuf_init(&body_out, 1024 * 1024);
    rc = ermes__notify_render_text(NULL, lang, text, &v, &subject, &body_out);
    json_decref(body);
    if (rc) {
        ermes__strbuf_cleanup(&subject);
        ermes__strbuf_cleanup(&body_out);
        return ermes__reply_failure(req, rc, NULL);
    }
    j = json_pack("{s:s,s:s,s:s}", "lang", lang, "subject", subject.data ? subject.data : "",
                  "body", body_out.data ? body_out.data : "");
    ermes__strbuf_cleanup(&subject);
    ermes__strbuf_cleanup(&body_out);
    return ermes__reply_json(req, 200, j);
}
