/* Logs in, sightings out: every hit of the matcher on a log record becomes a sighting of the
 * indicator, attributed to the constituent owning the record's internal address. */
#include "sightings/sightings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "model/harmonize.h"

#define BATCH_SIGHTINGS 1000 /* sightings per transaction */
#define TEXT_MAX 8192        /* longest value, field, source or sensor stored */

/* ---- the constituent side of a record ---- */

static int is_private(const char *s, size_t n)
{
    ermes_ip_t ip;

    if (!s || ermes_ip_parse(s, n, &ip, NULL))
        return 0;
    if (ip.family == ERMES_AF_INET)
        return ip.bytes[0] == 10 || (ip.bytes[0] == 172 && (ip.bytes[1] & 0xf0) == 16) ||
               (ip.bytes[0] == 192 && ip.bytes[1] == 168) || ip.bytes[0] == 127 ||
               (ip.bytes[0] == 100 && (ip.bytes[1] & 0xc0) == 64);
    return (ip.bytes[0] & 0xfe) == 0xfc || (ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80);
}

static int owner_of(const ermes_ownership_t *owners, const char *s, size_t n, ermes_owner_t *o)
{
    ermes_ip_t ip;

    if (!owners || !s || ermes_ip_parse(s, n, &ip, NULL))
        return 0;
    return ermes_ownership_ip(owners, &ip, 0, o);
}

void ermes__sightings_internal_side(const ermes_ownership_t *owners, const ermes_log_record_t *rec,
                                    const ermes_hit_t *hits, size_t nhits, const char **ip,
                                    size_t *len, ermes_owner_t *owner)
{
    int src_hit = 0, dst_hit = 0;
    ermes_owner_t o;

    memset(owner, 0, sizeof(*owner));
    *ip = NULL;
    *len = 0;
    for (size_t i = 0; i < nhits; i++) {
        const char *f = rec->fields[hits[i].field].name;
        src_hit |= strcmp(f, "src_ip") == 0 || strcmp(f, "id.orig_h") == 0;
        dst_hit |= strcmp(f, "dest_ip") == 0 || strcmp(f, "id.resp_h") == 0;
    }
    if (!src_hit && owner_of(owners, rec->src_ip, rec->src_ip_len, &o)) {
        *ip = rec->src_ip, *len = rec->src_ip_len, *owner = o;
        return;
    }
    if (!dst_hit && owner_of(owners, rec->dest_ip, rec->dest_ip_len, &o)) {
        *ip = rec->dest_ip, *len = rec->dest_ip_len, *owner = o;
        return;
    }
    if (!src_hit && is_private(rec->src_ip, rec->src_ip_len))
        *ip = rec->src_ip, *len = rec->src_ip_len;
    else if (!dst_hit && is_private(rec->dest_ip, rec->dest_ip_len))
        *ip = rec->dest_ip, *len = rec->dest_ip_len;
    else if (src_hit && !dst_hit && rec->dest_ip)
        *ip = rec->dest_ip, *len = rec->dest_ip_len;
    else if (rec->src_ip && !src_hit)
        *ip = rec->src_ip, *len = rec->src_ip_len;
}

/* The record's own time in ms (Zeek: epoch seconds; EVE: RFC 3339-like), else now. */
static int64_t event_time(const ermes_log_record_t *rec)
{
    const char *t = rec->time;
    size_t n = rec->time_len, i = 0;
    int64_t us, ms;

    if (t && n) {
        while (i < n && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'))
            i++;
        /* A ts too large for any date (1e300 seconds) is no time at all: "now", as for an
         * unreadable one, instead of an undefined float-to-integer conversion. */
        if (i == n)
            return ermes__epoch_seconds_ms(t, n, &ms) ? ermes__time_now_ms() : ms;
        if (ermes__datetime_parse_us(t, n, &us, NULL) == 0)
            return us / 1000;
    }
    return ermes__time_now_ms();
}

/* A NUL-terminated copy of s[0..n), cut at TEXT_MAX bytes. */
static char *dup_text(const char *s, size_t n)
{
    return s ? ermes__strndup(s, n > TEXT_MAX ? TEXT_MAX : n) : NULL;
}

/* Stores one hit (indicator id in m, field of rec) named source at line and offset, the
 * internal side and owner as found for the record. rep counts it. */
static int store_hit(ermes__store_t *st, const ermes_matcher_t *m, const ermes_log_record_t *rec,
                     const ermes_hit_t *hit, const char *source, long line, int64_t offset,
                     int64_t when, const char *sensor, const char *internal,
                     const ermes_owner_t *owner, char *ind_value, ermes__scan_report_t *rep)
{
    const ermes_log_field_t *f = &rec->fields[hit->field];
    ermes_matcher_indicator_t mi;
    ermes__sighting_t sg;
    char *value;
    int inserted = 0, rc;

    if (ermes_matcher_indicator(m, hit->indicator, &mi) ||
        !ermes_matcher_value(m, hit->indicator, ind_value, TEXT_MAX + 8))
        return 0;
    if (!(value = dup_text(f->value, f->len)))
        return ERMES_ENOMEM;
    /* A value an analyst marked false positive (triage, with the allow-list) is seen but not
     * recorded again. */
    {
        int allowed = 0;
        if ((rc = ermes__store_allowlist_has(st, value, &allowed)) || allowed) {
            ermes__free(value);
            rep->allowed += allowed;
            return rc;
        }
    }
    memset(&sg, 0, sizeof(sg));
    sg.indicator_type = ermes_ind_type_name(mi.type);
    sg.indicator_value = ind_value;
    sg.indicator_exact = (mi.flags & ERMES_IND_EXACT) != 0;
    sg.value = value;
    sg.field = f->name;
    sg.log_source = source;
    sg.line = line;
    sg.offset = offset;
    sg.event_time = when;
    sg.sensor = sensor;
    sg.internal_ip = internal;
    sg.org_id = owner->rule != ERMES_OWNER_NONE ? owner->org_id : 0;
    rc = ermes__store_sighting_record(st, &sg, &inserted);
    ermes__free(value);
    if (rc == ERMES_ENOTFOUND) {
        rep->gone++;
        return 0;
    }
    if (rc)
        return rc;
    if (inserted)
        rep->sightings++;
    else
        rep->duplicates++;
    return 0;
}

int ermes__sightings_record(ermes__store_t *st, const ermes_ownership_t *owners,
                            const ermes_matcher_t *m, const ermes_log_record_t *rec,
                            const ermes_hit_t *hits, size_t n, const ermes__scan_options_t *o,
                            ermes__scan_report_t *rep, ermes__scan_hit_cb cb, void *ctx)
{
    const char *ip;
    size_t iplen;
    ermes_owner_t owner;
    char *ind_value = NULL, *internal = NULL, *sensor = NULL;
    int64_t when;
    int rc = 0;

    rep->matched++;
    rep->hits += n;
    ermes__sightings_internal_side(owners, rec, hits, n, &ip, &iplen, &owner);
    if (o->record) {
        when = event_time(rec);
        internal = dup_text(ip, iplen);
        sensor = o->sensor ? ermes__strdup(o->sensor) : dup_text(rec->sensor, rec->sensor_len);
        if (!(ind_value = ermes__malloc(TEXT_MAX + 8)) || (ip && !internal) ||
            ((o->sensor || rec->sensor) && !sensor)) {
            rc = ERMES_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            if ((rc =
                     store_hit(st, m, rec, &hits[i], o->source ? o->source : rec->source, rec->line,
                               rec->offset, when, sensor, internal, &owner, ind_value, rep)))
                goto out;
    }
    if (cb)
        cb(ctx, m, rec, hits, n, ip, iplen, &owner);
out:
    ermes__free(ind_value);
    ermes__free(internal);
    ermes__free(sensor);
    return rc;
}

int ermes__sightings_record_hit(ermes__store_t *st, const ermes_ownership_t *owners,
                                const ermes_detect_hit_t *h, const char *sensor,
                                ermes__scan_report_t *rep)
{
    const ermes_log_record_t *rec = h->record;
    ermes_hit_t hit;
    const char *ip;
    size_t iplen;
    ermes_owner_t owner;
    char *ind_value = NULL, *internal = NULL, *own_sensor = NULL;
    int rc = 0;

    /* The hit names its field by pointer; the record's index of it is what the rest wants. */
    hit.indicator = h->indicator;
    for (hit.field = 0; hit.field < rec->nfields; hit.field++)
        if (rec->fields[hit.field].name == h->field)
            break;
    if (hit.field == rec->nfields)
        return ERMES_EINVAL;
    rep->matched++;
    rep->hits++;
    ermes__sightings_internal_side(owners, rec, &hit, 1, &ip, &iplen, &owner);
    internal = dup_text(ip, iplen);
    if (!sensor)
        sensor = own_sensor = dup_text(rec->sensor, rec->sensor_len);
    if (!(ind_value = ermes__malloc(TEXT_MAX + 8)) || (ip && !internal) ||
        (rec->sensor && !sensor)) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    rc = store_hit(st, h->matcher, rec, &hit, h->source, h->line, h->offset, event_time(rec),
                   sensor, internal, &owner, ind_value, rep);
out:
    ermes__free(ind_value);
    ermes__free(internal);
    ermes__free(own_sensor);
    return rc;
}

/* A stable name for why a record was skipped, from the reader's reason. */
static const char *skip_reason(const char *reason)
{
    static const struct {
        const char *needle, *name;
    } map[] = {
        {"malformed JSON", "malformed_json"},     {"not a JSON object", "not_an_object"},
        {"line longer than", "line_too_long"},    {"binary data", "binary_data"},
        {"before any #fields", "no_zeek_header"}, {"#fields names", "wrong_column_count"},
    };

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strstr(reason, map[i].needle))
            return map[i].name;
    return "malformed";
}

static void count_skip(ermes__scan_report_t *rep, const ermes_diag_t *d)
{
    const char *name = skip_reason(d->reason);
    size_t i;

    if (rep->skipped++ == 0) {
        rep->first_skip_line = d->line;
        snprintf(rep->first_skip_reason, sizeof(rep->first_skip_reason), "%s", d->reason);
    }
    for (i = 0; i < rep->nreasons; i++)
        if (strcmp(rep->reasons[i].reason, name) == 0)
            break;
    if (i == rep->nreasons) {
        if (i == ERMES_SCAN_REASONS)
            i--; /* never reached with the names above; keeps the count honest regardless */
        else
            rep->nreasons++;
        snprintf(rep->reasons[i].reason, sizeof(rep->reasons[i].reason), "%s", name);
    }
    rep->reasons[i].count++;
}

int ermes__sightings_scan(ermes__store_t *st, const ermes_ownership_t *owners,
                          ermes_scanner_t *scanner, ermes_matcher_slot_t *slot,
                          ermes_log_reader_t *r, const ermes__scan_options_t *o,
                          ermes__scan_report_t *rep, ermes__scan_hit_cb cb, void *ctx,
                          ermes_diag_t *d)
{
    ermes_log_record_t rec;
    uint64_t batch = 0;
    int rc = 0, in_tx = 0;

    for (;;) {
        const ermes_hit_t *hits;
        size_t n;

        ermes_diag_clear(d);
        rc = ermes_log_reader_next(r, &rec, d);
        if (rc == 0)
            break;
        if (rc == ERMES_EPARSE) {
            count_skip(rep, d);
            rc = 0;
            continue;
        }
        if (rc < 0)
            break;
        rc = 0;
        rep->records++;
        if (o->max_bytes && (uint64_t)rec.offset > o->max_bytes) {
            ermes_diag_set(d, NULL, "the log is longer than %llu bytes decompressed",
                           (unsigned long long)o->max_bytes);
            rc = ERMES_ETOOBIG;
            break;
        }
        /* A new matcher (indicators changed) is picked up between records. */
        if (slot && (rep->records & 1023) == 0)
            ermes_scanner_refresh(scanner, slot);
        n = ermes_scanner_scan(scanner, &rec, &hits);
        if (!n)
            continue;
        if (o->record && !in_tx) {
            if ((rc = ermes__store_begin(st)))
                break;
            in_tx = 1;
        }
        if ((rc = ermes__sightings_record(st, owners, ermes_scanner_matcher(scanner), &rec, hits, n,
                                          o, rep, cb, ctx)))
            break;
        batch += n;
        if (in_tx && batch >= BATCH_SIGHTINGS) {
            if ((rc = ermes__store_commit(st)))
                break;
            in_tx = 0;
            batch = 0;
        }
    }
    if (in_tx) {
        if (rc)
            ermes__store_rollback(st);
        else
            rc = ermes__store_commit(st);
    }
    return rc;
}
