/* Intake settings, from the settings table to the pipeline's options. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "intake/intake.h"

int ermes_intake_options_from_config(const ermes_config_t *cfg, ermes_intake_options_t *o,
                                     char *schema_buf, size_t schema_cap, ermes_diag_t *d)
{
    memset(o, 0, sizeof(*o));
    o->data_dir = cfg->data_dir;
    o->dedup_window_ms = (int64_t)cfg->dedup_window * 1000;
    o->batch_rows = cfg->batch_rows;
    o->max_report = (size_t)cfg->max_report << 20;
    if (ermes_tlp_parse(cfg->event_tlp, strlen(cfg->event_tlp), &o->default_tlp)) {
        ermes_diag_set(d, "event_tlp", "event_tlp must be CLEAR, GREEN, AMBER, AMBER+STRICT or "
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
    return 0;
}
