#include "model/mail.h"

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

/* A string from a message, meant to be UTF-8 (parse.c converts it): null when absent or
 * empty, and a byte that is no UTF-8 made '?' rather than losing the whole value. */
static json_t *text(const char *s)
{
    json_t *j;
    char *copy;
    size_t n;

    if (!s || !*s)
        return json_null();
    if ((j = json_string(s)))
        return j;
    n = strlen(s);
    if (!(copy = strdup(s)))
        return NULL;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)copy[k] >= 0x80)
            copy[k] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer((json_int_t)id) : json_null();
}

json_t *ermes__mail_row_to_json(const ermes__mail_row_t *m)
{
    return json_pack("{s:I,s:s,s:I,s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o,s:o,s:o,s:s,s:o,"
                     "s:o}",
                     "id", (json_int_t)m->id, "sha256", m->sha256, "size", (json_int_t)m->size,
                     "source", m->source, "received_at", time_or_null(m->received_at), "state",
                     m->state, "kind", text(m->kind), "reason", text(m->reason), "message_id",
                     text(m->message_id), "from", text(m->from_addr), "subject", text(m->subject),
                     "signature", m->signature[0] ? m->signature : "none", "encryption",
                     m->encryption[0] ? m->encryption : "none", "notification_id",
                     id_or_null(m->notification_id), "report_id", id_or_null(m->report_id),
                     "incident_report_id", id_or_null(m->incident_report_id), "tlp",
                     ermes_tlp_name(m->tlp), "created_at", time_or_null(m->created_at),
                     "updated_at", time_or_null(m->updated_at));
}

json_t *ermes__correspondence_to_json(const ermes__correspondence_t *c)
{
    return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:s,s:o}", "id", (json_int_t)c->id,
                     "notification_id", (json_int_t)c->notification_id, "mail_id",
                     (json_int_t)c->mail_id, "from", text(c->from_addr), "subject",
                     text(c->subject), "body", text(c->body), "state", c->state, "received_at",
                     time_or_null(c->created_at));
}

json_t *ermes__incident_report_to_json(const ermes__incident_report_t *r, int with_body)
{
    json_t *j = json_pack("{s:I,s:o,s:o,s:o,s:o,s:b,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)r->id,
                          "mail_id", id_or_null(r->mail_id), "reporter", text(r->reporter),
                          "received_at", time_or_null(r->received_at), "subject", text(r->subject),
                          "tlp_marked", r->tlp_marked, "org_id", id_or_null(r->org_id), "org",
                          text(r->org), "tlp", ermes_tlp_name(r->tlp), "created_at",
                          time_or_null(r->created_at), "updated_at", time_or_null(r->updated_at));

    if (j && with_body)
        json_object_set_new(j, "body", text(r->body));
    if (j && !with_body) {
        json_object_set_new(j, "observables", json_integer((json_int_t)r->observables));
        json_object_set_new(j, "known_bad", json_integer((json_int_t)r->known_bad));
    }
    /* Linked to an incident (by a rule or by triage), or still waiting for triage (null). */
    if (j)
        json_object_set_new(j, "incident_id", id_or_null(r->incident_id));
    return j;
}

json_t *ermes__report_observable_to_json(const ermes__report_observable_t *o)
{
    return json_pack("{s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:I,s:I,s:b}", "id", (json_int_t)o->id,
                     "type", o->type, "value", text(o->value), "found_in", text(o->found_in),
                     "org_id", id_or_null(o->org_id), "org", text(o->org), "indicator_id",
                     id_or_null(o->indicator_id), "known_bad", o->indicator_id != 0, "events",
                     (json_int_t)o->events, "sightings", (json_int_t)o->sightings, "seen_before",
                     o->events > 0 || o->sightings > 0);
}
