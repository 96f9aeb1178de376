/* ermes org prefs: a constituent's notification preferences (src/notify/prefs.c) from the
 * command line; the flags become the API's JSON body, so both share one validator. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/number.h"
#include "core/time.h"
#include "notify/notify.h"

/* "a,b,c" as a JSON array ("" is the empty list: every one). */
static json_t *list_of(const char *text)
{
    json_t *a = json_array();
    const char *p = text;

    while (a && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n)
            json_array_append_new(a, json_stringn(p, n));
        p += n + (comma ? 1 : 0);
    }
    return a;
}

static void print_list(const char *name, const char (*items)[ERMES_NOTIFY_PREFS_ITEM_MAX], size_t n)
{
    printf("%-16s", name);
    if (!n)
        printf("all");
    for (size_t k = 0; k < n; k++)
        printf("%s%s", k ? ", " : "", cli_safe(items[k]));
    printf("\n");
}

int ermes__cli_org_prefs(cli_t *c, int first)
{
    static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
    const char *ref = NULL, *v;
    json_t *body = json_object(), *j = NULL;
    ermes__notify_prefs_t *p = ermes__calloc(1, sizeof(*p));
    ermes__notify_prefs_t *before = ermes__calloc(1, sizeof(*before));
    int json = 0, n, rc, status = CLI_USAGE, changes = 0;
    int64_t id, home = 0, now = ermes__time_now_ms();
    ermes_diag_t d;

    if (!body || !p || !before)
        goto out;
    ermes_diag_clear(&d);
    for (int i = first; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if ((n = cli_flag(c, i, "--feeds", &v)) > 0)
            json_object_set_new(body, "feeds", list_of(v));
        else if (n == 0 && (n = cli_flag(c, i, "--classifications", &v)) > 0)
            json_object_set_new(body, "classifications", list_of(v));
        else if (n == 0 && (n = cli_flag(c, i, "--frequency", &v)) > 0)
            json_object_set_new(body, "frequency", json_string(v));
        else if (n == 0 && (n = cli_flag(c, i, "--attachment", &v)) > 0)
            json_object_set_new(body, "attachment", json_string(v));
        else if (n == 0 && ((n = cli_flag(c, i, "--digest-hour", &v)) > 0 ||
                            (n == 0 && (n = cli_flag(c, i, "--digest-weekday", &v)) > 0))) {
            int hour = strncmp(cli_arg(c, i), "--digest-hour", 13) == 0, x;
            if (ermes__parse_int(v, hour ? "--digest-hour" : "--digest-weekday", 0, hour ? 23 : 6,
                                 &x, &d)) {
                cli_error("org prefs: %s", d.reason);
                goto out;
            }
            json_object_set_new(body, hour ? "digest_hour" : "digest_weekday", json_integer(x));
        } else if (n == 0 && !ref && cli_arg(c, i)[0] != '-') {
            ref = cli_arg(c, i);
            n = 1;
        } else {
            if (n == 0)
                cli_error("org prefs: unexpected argument \"%s\"", cli_safe(cli_arg(c, i)));
            goto out;
        }
    }
    if (!ref) {
        cli_error("org prefs: which organisation? (short name or id)");
        goto out;
    }
    status = CLI_ERROR;
    changes = json_object_size(body) > 0;
    if ((rc = cli_open_store(c, 0)))
        goto out_rc;
    if ((rc = ermes__store_org_resolve(c->store, &c->viewer, ref, &id)) ||
        (rc = ermes__store_notify_prefs_get(c->store, id, p))) {
        cli_error("org prefs %s: %s", cli_safe(ref),
                  rc == ERMES_ENOTFOUND ? "no such organisation" : ermes_strerror(rc));
        goto out;
    }
    if (changes) {
        char id_text[32], *detail;
        *before = *p;
        if (ermes__notify_prefs_read(body, p, &d)) {
            cli_error("org prefs: %s: %s", d.field[0] ? d.field : "body", d.reason);
            status = CLI_USAGE;
            goto out;
        }
        ermes__store_home_org(c->store, &home);
        if ((rc = ermes__store_notify_prefs_put(c->store, p, home, now))) {
            cli_error("org prefs %s: %s", cli_safe(ref), ermes_strerror(rc));
            goto out;
        }
        snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
        detail = ermes__notify_prefs_audit_detail(before, p, now);
        ermes__audit_write(c->store, &c->viewer, "update", "notification_preferences", id_text,
                           detail);
        ermes__free(detail);
    }
    j = ermes__notify_prefs_to_json(p, now);
    if (json) {
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        ermes__free(s);
    } else {
        const char *next = json_string_value(json_object_get(j, "next_digest_at"));
        int off = p->utc_offset_minutes, a = off < 0 ? -off : off;
        char zone[16];
        /* The hour is in the organisation's time: its calendar's offset from UTC. */
        if (off)
            snprintf(zone, sizeof(zone), "UTC%c%02d:%02d", off < 0 ? '-' : '+', a / 60 % 100,
                     a % 60);
        else
            snprintf(zone, sizeof(zone), "UTC");
        print_list("feeds", (const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p->feeds, p->nfeeds);
        print_list("classifications",
                   (const char(*)[ERMES_NOTIFY_PREFS_ITEM_MAX])p->classifications,
                   p->nclassifications);
        if (p->frequency == ERMES_NOTIFY_DAILY)
            printf("%-16sdaily digest at %02d:00 %s\n", "frequency", p->digest_hour, zone);
        else if (p->frequency == ERMES_NOTIFY_WEEKLY)
            printf("%-16sweekly digest on %s at %02d:00 %s\n", "frequency",
                   days[p->digest_weekday % 7], p->digest_hour, zone);
        else
            printf("%-16sas they come\n", "frequency");
        if (next)
            printf("%-16s%s\n", "next digest", next);
        printf("%-16s%s\n", "attachment", ermes__notify_attachment_name(p->attachment));
    }
    json_decref(j);
    status = CLI_OK;
    goto out;
out_rc:
    status = rc;
out:
    json_decref(body);
    ermes__free(p);
    ermes__free(before);
    return status;
}
