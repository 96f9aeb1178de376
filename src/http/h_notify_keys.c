/* /api/v1/notification-keys: every contact's OpenPGP key as the notifier sees it (usable for
 * encryption or not, why, and until when), for the staff who decide whether a constituent must
 * be asked for a new key before a TLP:AMBER+STRICT notification can go. */
#include "http/http.h"
#include "notify/notify.h"

#include "core/time.h"

static int key_cb(void *ctx, const ermes__org_t *org, const ermes__contact_t *ct,
                  const ermes__pgp_key_info_t *info, const char *err)
{
    char until[ERMES_TIME_STRLEN];
    int usable = !err && info->usable;
    json_t *j;

    if (usable && info->expires_at)
        ermes__time_format(info->expires_at, until);
    j = json_pack("{s:s,s:s?,s:s?,s:s?,s:b,s:s?,s:s?}", "org", org->short_name, "email", ct->email,
                  "fingerprint", info->fingerprint[0] ? info->fingerprint : NULL, "uid",
                  info->uid[0] ? info->uid : NULL, "usable", usable, "expires_at",
                  usable && info->expires_at ? until : NULL, "problem",
                  err      ? err
                  : usable ? NULL
                           : info->problem);
    return j && json_array_append_new(ctx, j) == 0 ? 0 : ERMES_ENOMEM;
}

enum MHD_Result ermes__h_notify_keys(ermes__req_t *req)
{
    ermes__notify_options_t o;
    ermes_diag_t d;
    json_t *data;
    int rc;

    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(ermes__req_cfg(req), &o, &d))
        return ermes__reply_error(req, 500, "internal", d.field[0] ? d.field : NULL, "%s",
                                  d.reason);
    if (!(data = json_array()))
        return MHD_NO;
    if ((rc = ermes__notify_keys_each(req->srv->store, &o, ermes__time_now_ms(), key_cb, data))) {
        json_decref(data);
        return ermes__reply_failure(req, rc, NULL);
    }
    return ermes__reply_json(req, 200, json_pack("{s:o}", "data", data));
}
