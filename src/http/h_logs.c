/* POST /api/v1/logs: a sensor's or an analyst's log, matched against the daemon's matcher of
 * the active stored indicators; the sightings are recorded before the answer. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "sightings/sightings.h"

enum MHD_Result ermes__h_log_submit(ermes__req_t *req)
{
    const char *format = ermes__query(req, "format"), *source = ermes__query(req, "source");
    const char *sensor = ermes__query(req, "sensor");
    const char *enc = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Encoding");
    const unsigned char *body = (const unsigned char *)(req->body.data ? req->body.data : "");
    ermes_log_options_t lo;
    ermes__scan_options_t so;
    ermes__scan_report_t rep;
    ermes_log_reader_t *r = NULL;
    ermes_scanner_t *scanner = NULL;
    ermes_matcher_t *m = NULL;
    ermes_ownership_t *owners = NULL;
    char name[48], detail[256], own_sensor[ERMES_USER_NAME_MAX + 1 + 257];
    json_t *skipped, *out;
    ermes_diag_t d;
    int rc;

    memset(&lo, 0, sizeof(lo));
    memset(&so, 0, sizeof(so));
    memset(&rep, 0, sizeof(rep));
    if (format) {
        static const struct {
            const char *name;
            ermes_log_format_t f;
        } names[] = {{"auto", ERMES_LOG_AUTO},   {"eve", ERMES_LOG_EVE},
                     {"zeek", ERMES_LOG_ZEEK},   {"zeek-json", ERMES_LOG_ZEEK},
                     {"plain", ERMES_LOG_LINES}, {"lines", ERMES_LOG_LINES},
                     {"csv", ERMES_LOG_CSV}};
        size_t k;
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (strcmp(format, names[k].name) == 0)
                break;
        if (k == sizeof(names) / sizeof(names[0]))
            return ermes__reply_error(req, 400, "bad_request", "format",
                                      "format must be eve, zeek, zeek-json, plain or csv");
        lo.format = names[k].f;
    }
    if ((source && (!*source || strlen(source) > 256)) ||
        (sensor && (!*sensor || strlen(sensor) > 256)))
        return ermes__reply_error(req, 400, "bad_request",
                                  source && strlen(source) > 256 ? "source" : "sensor",
                                  "source and sensor must be 1 to 256 bytes");
    /* The readers recognise gzip and zstd by their magic; the header must agree with it. */
    if (enc && strcasecmp(enc, "identity") != 0) {
        int gz = strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0;
        int zs = strcasecmp(enc, "zstd") == 0;
        if (!gz && !zs)
            return ermes__reply_error(req, 415, "unsupported_media_type", "Content-Encoding",
                                      "Content-Encoding must be gzip or zstd");
        if ((gz && (req->body.len < 2 || body[0] != 0x1f || body[1] != 0x8b)) ||
            (zs && (req->body.len < 4 || body[0] != 0x28 || body[1] != 0xb5 || body[2] != 0x2f ||
                    body[3] != 0xfd)))
            return ermes__reply_error(req, 400, "bad_request", "Content-Encoding",
                                      "the body is not %s data", gz ? "gzip" : "zstd");
    }
    /* A sensor user names its own sightings: by its user name, or USER/NAME for a ?sensor=
     * of its own choosing (one box may report for several interfaces), and never by the
     * record's host field. So a sensor cannot make its hits look like another's. Its
     * organisation, when it has one, does not filter the hits: the registry decides whose
     * network an address is, as for any other log (docs/API.md, POST /api/v1/logs). */
    if (req->viewer.role == ERMES_ROLE_SENSOR) {
        if (sensor)
            snprintf(own_sensor, sizeof(own_sensor), "%s/%s", req->viewer.user_name, sensor);
        else
            snprintf(own_sensor, sizeof(own_sensor), "%s", req->viewer.user_name);
        sensor = own_sensor;
    }
    if (!source) {
        /* Without a name, the log is named by its content: posting it again is recognised
         * (its sightings are not counted twice), another log is another. */
        unsigned char h[8];
        crypto_generichash_state hs;
        crypto_generichash_init(&hs, NULL, 0, sizeof(h));
        /* A sensor's name is part of it: the same bytes from two sensors are two logs. */
        if (req->viewer.role == ERMES_ROLE_SENSOR)
            crypto_generichash_update(&hs, (const unsigned char *)sensor, strlen(sensor) + 1);
        crypto_generichash_update(&hs, body, req->body.len);
        crypto_generichash_final(&hs, h, sizeof(h));
        snprintf(name, sizeof(name), "upload-");
        sodium_bin2hex(name + 7, sizeof(name) - 7, h, sizeof(h));
        source = name;
    }
    so.source = source;
    so.sensor = sensor;
    so.record = 1;
    so.max_bytes = (uint64_t)req->srv->cfg->max_log << 20;
    ermes_diag_clear(&d);
    if ((rc = ermes__sightings_refresh(req->srv->sightings, 0)))
        return ermes__reply_failure(req, rc, NULL);
    ermes__registry_refresh(req->srv->registry, 0);
    m = ermes_matcher_slot_acquire(ermes__sightings_slot(req->srv->sightings));
    owners = ermes__registry_ownership(req->srv->registry);
    if ((rc = ermes_scanner_new(m, &scanner)) ||
        (rc = ermes_log_reader_open_mem((const char *)body, req->body.len, &lo, &r, &d)))
        goto out;
    rc = ermes__sightings_scan(req->srv->store, owners, scanner,
                               ermes__sightings_slot(req->srv->sightings), r, &so, &rep, NULL, NULL,
                               &d);
out:
    ermes_log_reader_free(r);
    ermes_scanner_free(scanner);
    ermes_matcher_release(m);
    ermes_ownership_release(owners);
    if (rc == ERMES_ETOOBIG)
        return ermes__reply_error(req, 413, "payload_too_large", NULL, "%s", d.reason);
    if (rc == ERMES_EIO)
        return ermes__reply_error(req, 400, "bad_request", NULL, "the log cannot be read: %s",
                                  d.reason[0] ? d.reason : "corrupt data");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    snprintf(detail, sizeof(detail),
             "{\"records\":%llu,\"matched\":%llu,\"sightings\":%llu,\"skipped\":%llu}",
             (unsigned long long)rep.records, (unsigned long long)rep.matched,
             (unsigned long long)rep.sightings, (unsigned long long)rep.skipped);
    ermes__audit_write(req->srv->store, &req->viewer, "submit", "log", source, detail);
    /* A sensor learns what it sent was taken, nothing of what matched: with match counts
     * it could post any value and learn whether it is on the indicator list, TLP:RED ones
     * included (issue 10, item 9). */
    if (req->viewer.role == ERMES_ROLE_SENSOR)
        return ermes__reply_json(req, 200,
                                 json_pack("{s:s,s:I,s:I}", "source", source, "accepted",
                                           (json_int_t)rep.records, "rejected",
                                           (json_int_t)rep.skipped));
    skipped = json_object();
    for (size_t k = 0; skipped && k < rep.nreasons; k++)
        json_object_set_new(skipped, rep.reasons[k].reason,
                            json_integer((json_int_t)rep.reasons[k].count));
    out = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "source", source, "accepted",
                    (json_int_t)rep.records, "rejected", (json_int_t)rep.skipped, "records",
                    (json_int_t)rep.records, "matched", (json_int_t)rep.matched, "hits",
                    (json_int_t)rep.hits, "sightings", (json_int_t)rep.sightings, "duplicates",
                    (json_int_t)rep.duplicates, "skipped", skipped);
    if (out && rep.skipped)
        json_object_set_new(out, "first_skipped",
                            json_pack("{s:I,s:s}", "line", (json_int_t)rep.first_skip_line,
                                      "reason", rep.first_skip_reason));
    return ermes__reply_json(req, 200, out);
}
