/* JSON forms of stored indicators, sightings and daily sighting counts; tag lists. */
#include "model/sighting.h"

#include <stdlib.h>
#include <string.h>

#include "core/time.h"

static json_t *time_or_null(int64_t ms)
{
    char buf[ERMES_TIME_STRLEN];

    if (!ms)
        return json_null();
    ermes__time_format(ms, buf);
    return json_string(buf);
}

json_t *ermes__indicator_row_to_json(const ermes__indicator_row_t *r)
{
    json_error_t err;
    json_t *tags = json_loads(r->tags && r->tags[0] ? r->tags : "[]", 0, &err);
    json_t *j;

    if (!tags)
        tags = json_array();
    j = json_pack("{s:I,s:s,s:s,s:b,s:o,s:o,s:o,s:s,s:o,s:s,s:o,s:o,s:o}", "id", (json_int_t)r->id,
                  "type", r->type ? r->type : "", "value", r->value ? r->value : "", "exact",
                  r->exact, "valid_from", time_or_null(r->valid_from), "valid_until",
                  time_or_null(r->valid_until), "confidence",
                  r->confidence >= 0 ? json_integer(r->confidence) : json_null(), "tlp",
                  ermes_tlp_name(r->tlp), "owner_org_id",
                  r->owner_org_id ? json_integer(r->owner_org_id) : json_null(), "source",
                  r->source ? r->source : "", "tags", tags, "created_at",
                  time_or_null(r->created_at), "updated_at", time_or_null(r->updated_at));
    /* Only when a STIX indicator gave them: the document stays as it was for the others. */
    if (j && r->name && r->name[0])
        json_object_set_new(j, "name", json_string(r->name));
    if (j && r->description && r->description[0])
        json_object_set_new(j, "description", json_string(r->description));
    if (j && r->stix_id)
        json_object_set_new(j, "stix_id", json_string(r->stix_id));
    return j;
}

json_t *ermes__sighting_to_json(const ermes__sighting_t *s)
{
    return json_pack("{s:I,s:I,s:s?,s:s?,s:s,s:s,s:s,s:I,s:I,s:o,s:s?,s:s?,s:o,s:s,s:o}", "id",
                     (json_int_t)s->id, "indicator_id", (json_int_t)s->indicator_id,
                     "indicator_type", s->indicator_type, "indicator_value", s->indicator_value,
                     "value", s->value ? s->value : "", "field", s->field ? s->field : "",
                     "log_source", s->log_source ? s->log_source : "", "line", (json_int_t)s->line,
                     "offset", (json_int_t)s->offset, "time", time_or_null(s->event_time), "sensor",
                     s->sensor, "internal_ip", s->internal_ip, "org_id",
                     s->org_id ? json_integer(s->org_id) : json_null(), "tlp",
                     ermes_tlp_name(s->tlp), "created_at", time_or_null(s->created_at));
}

json_t *ermes__sighting_count_to_json(const ermes__sighting_count_t *c)
{
    return json_pack("{s:I,s:s?,s:s?,s:o,s:s,s:I,s:o,s:o}", "indicator_id",
                     (json_int_t)c->indicator_id, "indicator_type", c->indicator_type,
                     "indicator_value", c->indicator_value, "org_id",
                     c->org_id ? json_integer(c->org_id) : json_null(), "day", c->day ? c->day : "",
                     "count", (json_int_t)c->count, "first_seen", time_or_null(c->first_seen),
                     "last_seen", time_or_null(c->last_seen));
}

int ermes__tags_to_json(const char *list, char *buf, size_t cap)
{
    json_t *arr = json_array();
    const char *p = list ? list : "";
    char *text;
    size_t n;
    int rc = 0;

    if (!arr)
        return ERMES_ENOMEM;
    while (*p) {
        const char *e = strchr(p, ',');
        const char *end = e ? e : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > p && json_array_append_new(arr, json_stringn(p, (size_t)(end - p)))) {
            rc = ERMES_ENOMEM;
            break;
        }
        if (!e)
            break;
        p = e + 1;
    }
    text = rc ? NULL : json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!text)
        return rc ? rc : ERMES_ENOMEM;
    n = strlen(text);
    if (n >= cap)
        rc = ERMES_ETOOBIG;
    else
        memcpy(buf, text, n + 1);
    free(text);
    return rc;
}

int ermes__tags_from_json(const json_t *arr, char *buf, size_t cap, ermes_diag_t *d)
{
    size_t used = 0, i;
    json_t *t;

    if (cap == 0)
        return ERMES_ETOOBIG;
    buf[0] = '\0';
    if (json_is_string(arr)) {
        /* A comma-separated string is accepted as well as an array. */
        size_t n = json_string_length(arr);
        if (n >= cap || strlen(json_string_value(arr)) != n) {
            ermes_diag_set(d, "tags", "tags are too long or hold a NUL character");
            return ERMES_EINVAL;
        }
        memcpy(buf, json_string_value(arr), n + 1);
        return 0;
    }
    if (!json_is_array(arr)) {
        ermes_diag_set(d, "tags", "tags must be an array of strings");
        return ERMES_EINVAL;
    }
    json_array_foreach(arr, i, t)
    {
        const char *s = json_string_value(t);
        size_t n = s ? strlen(s) : 0;
        if (!s || n != json_string_length(t) || strchr(s, ',') || n == 0) {
            ermes_diag_set(d, "tags", "tag %zu must be a non-empty string without commas", i);
            return ERMES_EINVAL;
        }
        if (used + n + 2 > cap) {
            ermes_diag_set(d, "tags", "the tags are longer than %zu bytes", cap - 1);
            return ERMES_EINVAL;
        }
        if (used)
            buf[used++] = ',';
        memcpy(buf + used, s, n);
        used += n;
        buf[used] = '\0';
    }
    return 0;
}
