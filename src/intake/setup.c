/* Intake settings, from the settings table to the pipeline's options. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "intake/intake.h"

/* dedup_keys (only these) or dedup_ignore (all but these): IntelMQ field names, extra.NAME
 * for an extra. The extras' names are kept as the setting spells them, checked here. */
static int dedup_fields(const ermes__config_t *cfg, ermes__intake_options_t *o, ermes_diag_t *d)
{
    const char *list = cfg->dedup_keys ? cfg->dedup_keys : cfg->dedup_ignore;
    const char *setting = cfg->dedup_keys ? "dedup_keys" : "dedup_ignore";
    int only = cfg->dedup_keys != NULL;
    const char *p = list ? list : "";

    memset(o->dedup_field, only ? 0 : 1, sizeof(o->dedup_field));
    /* No extra.* named: no per-event name search (all extras, or none with dedup_keys). */
    o->dedup_extras = list && strstr(list, "extra.") ? list : NULL;
    o->dedup_extras_only = only;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        ermes_field_t f;

        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 6 && memcmp(p, "extra.", 6) == 0) {
            /* matched by name in the pipeline */
        } else if (len && (f = ermes_field_lookup(p, len)) != ERMES_F_COUNT) {
            o->dedup_field[f] = (unsigned char)only;
        } else if (len) {
            ermes_diag_set(d, setting,
                           "%s: \"%.*s\" is no IntelMQ field (extra.NAME for an "
                           "extra)",
                           setting, (int)len, p);
            return ERMES_ECONFIG;
        }
        p += len;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',')
            p++;
    }
    if (only) {
        int any = 0;
        for (int f = 0; f < ERMES_F_COUNT; f++)
            any |= o->dedup_field[f];
        if (!any && !strstr(list, "extra.")) {
            ermes_diag_set(d, setting, "dedup_keys names no field");
            return ERMES_ECONFIG;
        }
    }
    return 0;
}

int ermes__intake_options_from_config(const ermes__config_t *cfg, ermes__intake_options_t *o,
                                      char *schema_buf, size_t schema_cap, ermes_diag_t *d)
{
    int rc;

    memset(o, 0, sizeof(*o));
    o->data_dir = cfg->data_dir;
    o->dedup_window_ms = (int64_t)cfg->dedup_window * 1000;
    o->batch_rows = cfg->batch_rows;
    o->max_report = (size_t)cfg->max_report << 20;
    o->incoming_max_age = cfg->incoming_max_age;
    if ((rc = dedup_fields(cfg, o, d)))
        return rc;
    if (ermes_tlp_parse(cfg->event_tlp, strlen(cfg->event_tlp), &o->default_tlp)) {
        ermes_diag_set(d, "event_tlp",
                       "event_tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or "
                       "RED");
        return ERMES_ECONFIG;
    }
    if (cfg->shadowserver_schema) {
        o->schema_path = cfg->shadowserver_schema;
    } else {
        snprintf(schema_buf, schema_cap, "%s/shadowserver-schema.json", cfg->data_dir);
        if (access(schema_buf, R_OK) == 0)
            o->schema_path = schema_buf;
    }
    o->geoip.asn_db = cfg->geoip_asn_db;
    o->geoip.country_db = cfg->geoip_country_db;
    o->geoip.overwrite = cfg->geoip_overwrite;
    /* A database that does not open is a mistake in the settings: said here, where the
     * caller reports it, rather than as a bare error code from ermes__intake_new(). */
    {
        ermes__geoip_t *g;
        if ((rc = ermes__geoip_new(&o->geoip, &g, d)))
            return rc;
        ermes__geoip_free(g);
    }
    return 0;
}
