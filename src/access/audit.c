/* The audit log's writer: who (user or the local administrator), what, from where. */
#include "access/access.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"

int ermes__audit_write(ermes__store_t *st, const ermes__viewer_t *v, const char *action,
                       const char *object_type, const char *object_id, const char *detail)
{
    ermes__audit_t a;

    memset(&a, 0, sizeof(a));
    a.at = ermes__time_now_ms();
    a.user_id = v ? v->user_id : 0;
    a.actor = v && v->user_name ? v->user_name : "local administrator";
    a.action = action;
    a.object_type = object_type;
    a.object_id = object_id;
    a.detail = detail;
    a.remote = v && v->remote ? v->remote : "cli";
    return ermes__store_audit(st, &a);
}

int ermes__audit_setting(ermes__store_t *st, const ermes__viewer_t *v, const char *name, int secret,
                         const char *old, const char *new_value, int removed)
{
    json_t *j =
        secret ? json_pack("{s:s}", "value", "changed")
               : json_pack("{s:s,s:s}", "old", old ? old : "", "new", new_value ? new_value : "");
    char *detail = NULL;
    int rc = ERMES_ENOMEM;

    if (j && removed && json_object_set_new(j, "stored", json_string("removed")))
        goto out;
    if (!j || !(detail = json_dumps(j, JSON_COMPACT)))
        goto out;
    rc = ermes__audit_write(st, v, removed ? "delete" : "update", "setting", name, detail);
out:
    free(detail);
    json_decref(j);
    return rc;
}
