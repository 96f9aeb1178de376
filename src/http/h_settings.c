/* GET /api/v1/settings: the settings this daemon runs with, for its administrators: each with
 * its value (never a secret's: only whether it is set), default and meaning. They are read at
 * start-up (config file < environment < flags) and change with a restart; what can change
 * while ermes runs has its own routes (notification policies, warninglist switches), named in
 * the answer. */
#include "core/config.h"
#include "http/http.h"

static int setting_cb(void *ctx, const ermes__setting_view_t *s)
{
    json_t *j = json_pack("{s:s,s:s?,s:s?,s:s,s:b,s:b,s:s}", "name", s->name, "value", s->value,
                          "default", s->def, "help", s->help, "secret", s->secret, "set", s->set,
                          "applies", "restart");

    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_settings(ermes__req_t *req)
{
    json_t *data = json_array(), *live;

    if (!data)
        return MHD_NO;
    if (ermes__config_each(req->srv->cfg, setting_cb, data)) {
        json_decref(data);
        return MHD_NO;
    }
    live =
        json_pack("[{s:s,s:s},{s:s,s:s}]", "what", "notification policies (review before sending)",
                  "path", "/api/v1/notification-policies", "what", "warninglist switches", "path",
                  "/api/v1/warninglists");
    return ermes__reply_json(req, 200, json_pack("{s:o,s:o?}", "data", data, "live", live));
}
