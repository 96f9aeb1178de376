/* JSON form of a retro-hunt job. */
#include "model/retrohunt.h"

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

int ermes__retrohunt_state_parse(const char *s)
{
    for (int k = ERMES_RETRO_QUEUED; k <= ERMES_RETRO_CANCELLED; k++)
        if (s && strcmp(s, ermes_retro_state_name((ermes_retro_state_t)k)) == 0)
            return k;
    return -1;
}

json_t *ermes__retrohunt_to_json(const ermes__retrohunt_t *r)
{
    json_error_t err;
    json_t *ids = r->indicator_ids ? json_loads(r->indicator_ids, 0, &err) : NULL;
    json_t *j, *progress;

    progress = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?}", "files_total",
                         (json_int_t)r->files_total, "files_done", (json_int_t)r->files_done,
                         "files_failed", (json_int_t)r->files_failed, "bytes_total",
                         (json_int_t)r->bytes_total, "bytes_done", (json_int_t)r->bytes_done,
                         "bytes_scanned", (json_int_t)r->bytes_scanned, "records",
                         (json_int_t)r->records, "matches", (json_int_t)r->matches, "sightings",
                         (json_int_t)r->sightings, "current_file", r->current_file);
    if (progress)
        json_object_set_new(progress, "percent",
                            json_real(r->bytes_total
                                          ? 100.0 * (double)r->bytes_done / (double)r->bytes_total
                                          : (r->state == ERMES_RETRO_DONE ? 100.0 : 0.0)));
    j = json_pack("{s:I,s:s,s:o,s:o,s:I,s:s,s:I,s:o,s:s?,s:b,s:o,s:s,s:o,s:o,s:o}", "id",
                  (json_int_t)r->id, "state", ermes_retro_state_name(r->state), "indicator_ids",
                  ids ? ids : json_null(), "indicator_range",
                  ids ? json_null()
                      : json_pack("{s:I,s:I}", "after", (json_int_t)r->min_indicator_id, "through",
                                  (json_int_t)r->max_indicator_id),
                  "indicators", (json_int_t)r->indicators, "archive", r->archive ? r->archive : "",
                  "retry_of", (json_int_t)r->retry_of, "progress",
                  progress ? progress : json_null(), "error", r->error, "cancel_requested",
                  r->cancel_requested, "created_at", time_or_null(r->created_at), "requested_by",
                  r->requested_by ? r->requested_by : "", "started_at", time_or_null(r->started_at),
                  "finished_at", time_or_null(r->finished_at), "updated_at",
                  time_or_null(r->updated_at));
    if (j && !r->retry_of)
        json_object_set_new(j, "retry_of", json_null());
    return j;
}
