/* /api/v1/collector-presets: the feed catalogue (src/intake/presets.c) for the CERT's staff
 * and the collectors screen, which turns a chosen preset into the `ermes collectors add`
 * command (collectors live in the config file, which the daemon does not write). */
#include "http/http.h"
#include "intake/presets.h"

enum MHD_Result ermes__h_collector_presets(ermes__req_t *req)
{
    json_t *data = json_array();

    if (!data)
        return MHD_NO;
    for (size_t k = 0; ermes__presets[k]; k++) {
        json_t *j = ermes__preset_to_json(ermes__presets[k]);
        if (!j || json_array_append_new(data, j)) {
            json_decref(data);
            return ermes__reply_failure(req, ERMES_ENOMEM, NULL);
        }
    }
    return ermes__reply_json(req, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
}
