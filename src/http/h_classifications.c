/* /api/v1/classifications: the RSIT classes and types (data/incidents/rsit.json, built in) with
 * their full names and descriptions, and the class each type belongs to: the choices of the
 * events screen's filters and the words of the dashboard, so that nobody reads "other (4)". */
#include <string.h>

#include "http/http.h"
#include "incidents/incidents.h"

static json_t *text_or_null(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string(json_string_value(v)) : json_null();
}

/* The types of class cls: the taxonomy's entries under its predicate. */
static json_t *types_of(const json_t *values, const char *cls)
{
    json_t *out = json_array();
    const json_t *v, *e;
    size_t i, k;

    json_array_foreach(values, i, v)
    {
        const json_t *p = json_object_get(v, "predicate");
        if (!json_is_string(p) || strcmp(json_string_value(p), cls) != 0)
            continue;
        json_array_foreach(json_object_get(v, "entry"), k, e)
        {
            if (!json_is_string(json_object_get(e, "value")))
                continue;
            json_array_append_new(out, json_pack("{s:o,s:o,s:o}", "value", text_or_null(e, "value"),
                                                 "name", text_or_null(e, "expanded"), "description",
                                                 text_or_null(e, "description")));
        }
    }
    return out;
}

enum MHD_Result ermes__h_classifications(ermes__req_t *req)
{
    const json_t *rsit = ermes__rsit_taxonomy(), *p;
    json_t *classes;
    size_t i;

    if (!rsit)
        return ermes__reply_error(req, 500, "internal", NULL, "the RSIT taxonomy did not load");
    if (!(classes = json_array()))
        return MHD_NO;
    json_array_foreach(json_object_get(rsit, "predicates"), i, p)
    {
        const json_t *value = json_object_get(p, "value");
        if (!json_is_string(value))
            continue;
        json_array_append_new(
            classes,
            json_pack("{s:o,s:o,s:o,s:o}", "value", text_or_null(p, "value"), "name",
                      text_or_null(p, "expanded"), "description", text_or_null(p, "description"),
                      "types",
                      types_of(json_object_get(rsit, "values"), json_string_value(value))));
    }
    return ermes__reply_json(
        req, 200,
        json_pack("{s:O?,s:o}", "version", json_object_get(rsit, "version"), "classes", classes));
}
