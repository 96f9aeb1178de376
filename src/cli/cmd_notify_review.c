/* ermes notify approve|hold|cancel|edit|policy: review before sending from the command line
 * (src/notify/review.c): decide on notifications waiting for approval, one by one or all of
 * them, change their text or recipients, and keep the policies that say which wait. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/time.h"
#include "notify/notify.h"

/* A value option at i: n args consumed into *v; 0 when it is not name; -1 on a missing value. */
static int value_flag(cli_t *c, int i, const char *name, const char **v)
{
    return cli_flag(c, i, name, v);
}

static int resolve(cli_t *c, const char *ref, int64_t *id)
{
    if (ermes__store_notification_find(c->store, ref, id)) {
        cli_error("notify: no notification %s", ref);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int review(cli_t *c, ermes__review_action_t action, const char *verb)
{
    const char *org = NULL, *refs[ERMES_REVIEW_BULK_MAX];
    int64_t *ids = NULL, org_id = 0;
    size_t nrefs = 0, n = 0, changed = 0, refused = 0;
    int waiting = 0, json = 0, rc = CLI_OK, k;

    for (int i = 1; i < c->nargs; i += k) {
        const char *v;
        k = 1;
        if (cli_flag(c, i, "--waiting", NULL))
            waiting = 1;
        else if (cli_flag(c, i, "--json", NULL))
            json = 1;
        else if ((k = value_flag(c, i, "--org", &v)) > 0)
            org = v;
        else if (k == 0 && cli_arg(c, i)[0] != '-' && nrefs < ERMES_REVIEW_BULK_MAX)
            refs[nrefs++] = cli_arg(c, i), k = 1;
        else {
            if (k == 0)
                cli_error("notify %s: unexpected argument \"%s\"", verb, cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if ((nrefs == 0) == !waiting || (org && !waiting)) {
        cli_error("notify %s: give notification ids or references, or --waiting [--org ORG]", verb);
        return CLI_USAGE;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (!(ids = ermes__calloc(ERMES_REVIEW_BULK_MAX, sizeof(*ids))))
        return CLI_ERROR;
    if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &org_id)) {
        cli_error("notify %s: no organisation %s", verb, org);
        rc = CLI_ERROR;
        goto out;
    }
    if (waiting) {
        if (ermes__store_notification_waiting(c->store, org_id, ids, ERMES_REVIEW_BULK_MAX, &n)) {
            cli_error("notify %s: cannot list the notifications waiting for approval", verb);
            rc = CLI_ERROR;
            goto out;
        }
    } else {
        for (size_t j = 0; j < nrefs; j++)
            if ((rc = resolve(c, refs[j], &ids[n++])))
                goto out;
    }
    for (size_t j = 0; j < n; j++) {
        char why[160];
        int r = ermes__notify_review(c->store, &c->viewer, ids[j], action, why, sizeof(why));
        if (r == 0) {
            changed++;
            if (json)
                printf("{\"id\":%lld,\"changed\":true}\n", (long long)ids[j]);
        } else if (r == ERMES_ECONFLICT) {
            refused++;
            if (json)
                printf("{\"id\":%lld,\"changed\":false}\n", (long long)ids[j]);
            else
                cli_error("notify %s %lld: %s", verb, (long long)ids[j], why);
        } else {
            cli_error("notify %s %lld: %s", verb, (long long)ids[j], ermes_strerror(r));
            rc = CLI_ERROR;
            goto out;
        }
    }
    if (!json)
        printf("%zu notifications %s%s%s\n", changed,
               action == ERMES_REVIEW_APPROVE ? "approved"
               : action == ERMES_REVIEW_HOLD  ? "held"
                                              : "cancelled",
               refused ? ", refused: " : "", refused ? "see above" : "");
    rc = refused ? CLI_ERROR : CLI_OK;
out:
    ermes__free(ids);
    return rc;
}

static int edit(cli_t *c)
{
    const char *target = NULL, *subject = NULL, *body_file = NULL, *rcpts = NULL;
    ermes__notification_edit_t e;
    json_t *obj = NULL, *list = NULL;
    char *body = NULL;
    ermes_diag_t d;
    int64_t id;
    size_t len = 0;
    int rc = CLI_OK, k;

    for (int i = 1; i < c->nargs; i += k) {
        const char *v;
        k = 1;
        if ((k = value_flag(c, i, "--subject", &v)) > 0)
            subject = v;
        else if (k == 0 && (k = value_flag(c, i, "--body-file", &v)) > 0)
            body_file = v;
        else if (k == 0 && (k = value_flag(c, i, "--recipients", &v)) > 0)
            rcpts = v;
        else if (k == 0 && !target && cli_arg(c, i)[0] != '-')
            target = cli_arg(c, i), k = 1;
        else {
            if (k == 0)
                cli_error("notify edit: unexpected argument \"%s\"", cli_arg(c, i));
            return CLI_USAGE;
        }
    }
    if (!target || (!subject && !body_file && !rcpts)) {
        cli_error("notify edit: give the notification and --subject, --body-file or "
                  "--recipients");
        return CLI_USAGE;
    }
    /* The same checks as PATCH /api/v1/notifications/{ref}: the edit goes through JSON. */
    if (!(obj = json_object()))
        return CLI_ERROR;
    if (subject && json_object_set_new(obj, "subject", json_string(subject)))
        goto bad_text;
    if (body_file) {
        if (!(body = cli_read_file(body_file, ERMES_NOTIFICATION_BODY_MAX, &len))) {
            rc = CLI_ERROR;
            goto out;
        }
        if (json_object_set_new(obj, "body", json_stringn(body, len)))
            goto bad_text;
    }
    if (rcpts) {
        char *copy = ermes__strdup(rcpts), *p = copy, *next;
        if (!copy || !(list = json_array())) {
            ermes__free(copy);
            rc = CLI_ERROR;
            goto out;
        }
        /* Comma-separated; spaces around an address are not part of it. */
        for (; p; p = next) {
            char *end;
            next = strchr(p, ',');
            if (next)
                *next++ = '\0';
            while (*p == ' ')
                p++;
            end = p + strlen(p);
            while (end > p && end[-1] == ' ')
                *--end = '\0';
            if (*p && json_array_append_new(list, json_string(p)))
                break;
        }
        ermes__free(copy);
        json_object_set(obj, "recipients", list);
    }
    ermes_diag_clear(&d);
    if (ermes__notification_edit_read(obj, &e, &d)) {
        cli_error("notify edit: %s", d.reason);
        rc = CLI_USAGE;
        goto out;
    }
    if ((rc = cli_open_store(c, 0)) || (rc = resolve(c, target, &id)))
        goto out;
    switch (ermes__notify_edit(c->store, &c->viewer, id, &e)) {
    case 0:
        printf("%s: changed\n", cli_safe(target));
        rc = CLI_OK;
        break;
    case ERMES_ECONFLICT:
        cli_error("notify edit %s: only a notification waiting for approval or held can be "
                  "edited (ermes notify hold %s first)",
                  target, target);
        rc = CLI_ERROR;
        break;
    default:
        cli_error("notify edit %s: cannot change it", target);
        rc = CLI_ERROR;
    }
    goto out;
bad_text:
    cli_error("notify edit: the text must be UTF-8");
    rc = CLI_USAGE;
out:
    ermes__free(body);
    json_decref(list);
    json_decref(obj);
    return rc;
}

static int print_policy(void *ctx, const ermes__notify_policy_t *p)
{
    if (*(int *)ctx) {
        json_t *j = ermes__notify_policy_to_json(p);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        return 0;
    }
    printf("%-5lld %-6s feed=%s classification=%s org=%s%s%s\n", (long long)p->id, p->mode,
           p->feed[0] ? cli_safe(p->feed) : "*",
           p->classification[0] ? cli_safe(p->classification) : "*",
           p->org[0] ? cli_safe(p->org) : "*", p->note[0] ? "  " : "", cli_safe(p->note));
    return 0;
}

static int policy(cli_t *c)
{
    const char *sub = cli_arg(c, 1), *target = NULL;
    json_t *obj = json_object();
    ermes__notify_policy_t p;
    const char *org = NULL;
    ermes_diag_t d;
    int json = 0, rc = CLI_OK, k, first = 2;
    char id_text[32];

    if (!obj)
        return CLI_ERROR;
    if (!sub || sub[0] == '-')
        sub = "list", first = 1;
    for (int i = first; i < c->nargs; i += k) {
        static const char *const members[] = {"mode", "feed", "classification", "org", "note"};
        const char *v;
        size_t m;
        k = 1;
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
            continue;
        }
        for (m = 0; m < 5; m++) {
            char flag[32];
            snprintf(flag, sizeof(flag), "--%s", members[m]);
            if ((k = value_flag(c, i, flag, &v)) != 0)
                break;
        }
        if (k > 0 && m < 5 && strcmp(sub, "add") == 0) {
            json_object_set_new(obj, members[m], json_string(v));
        } else if (k == 0 && !target && strcmp(sub, "delete") == 0 && cli_arg(c, i)[0] != '-') {
            target = cli_arg(c, i);
            k = 1;
        } else {
            if (k == 0)
                cli_error("notify policy: unexpected argument \"%s\"", cli_arg(c, i));
            json_decref(obj);
            return CLI_USAGE;
        }
    }
    if ((rc = cli_open_store(c, 0)))
        goto out;
    if (strcmp(sub, "list") == 0) {
        if (ermes__store_notify_policy_each(c->store, print_policy, &json))
            rc = CLI_ERROR;
        if (!json)
            printf("default (no policy matches): notify_approval = %s\n",
                   c->cfg.notify_approval ? cli_safe(c->cfg.notify_approval) : "auto");
    } else if (strcmp(sub, "add") == 0) {
        int64_t home = 0;
        ermes_diag_clear(&d);
        if (ermes__notify_policy_read(obj, &p, &org, &d)) {
            cli_error("notify policy add: %s", d.reason);
            rc = CLI_USAGE;
            goto out;
        }
        if (org && ermes__store_org_resolve(c->store, &c->viewer, org, &p.org_id)) {
            cli_error("notify policy add: no organisation %s", org);
            rc = CLI_ERROR;
            goto out;
        }
        if (org)
            snprintf(p.org, sizeof(p.org), "%s", org);
        ermes__store_home_org(c->store, &home);
        if (ermes__store_notify_policy_put(c->store, &p, home)) {
            cli_error("notify policy add: cannot store it");
            rc = CLI_ERROR;
            goto out;
        }
        snprintf(id_text, sizeof(id_text), "%lld", (long long)p.id);
        ermes__audit_write(c->store, &c->viewer, "create", "notification_policy", id_text, NULL);
        print_policy(&json, &p);
    } else if (strcmp(sub, "delete") == 0) {
        long long id;
        if (!target || cli_number("policy id", target, 1, LLONG_MAX, &id)) {
            rc = CLI_USAGE;
            goto out;
        }
        if (ermes__store_notify_policy_delete(c->store, (int64_t)id)) {
            cli_error("notify policy delete: no policy %s", target);
            rc = CLI_ERROR;
            goto out;
        }
        ermes__audit_write(c->store, &c->viewer, "delete", "notification_policy", target, NULL);
        printf("policy %lld deleted\n", id);
    } else {
        cli_error("notify policy: unknown subcommand \"%s\" (list, add, delete)", sub);
        rc = CLI_USAGE;
    }
out:
    json_decref(obj);
    return rc;
}

static int key_line_cb(void *ctx, const ermes__org_t *org, const ermes__contact_t *ct,
                       const ermes__pgp_key_info_t *info, const char *err)
{
    char until[ERMES_TIME_STRLEN] = "never";

    if (info->expires_at)
        ermes__time_format(info->expires_at, until);
    if (*(int *)ctx) {
        json_t *j =
            json_pack("{s:s,s:s?,s:s?,s:b,s:s?,s:s?}", "org", org->short_name, "email", ct->email,
                      "fingerprint", info->fingerprint[0] ? info->fingerprint : NULL, "usable",
                      !err && info->usable, "expires_at",
                      info->usable && info->expires_at ? until : NULL, "problem",
                      err            ? err
                      : info->usable ? NULL
                                     : info->problem);
        char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(j);
        return 0;
    }
    printf("%-12s %-40s %-40s %s%s\n", cli_safe(org->short_name), cli_safe(ct->email),
           info->fingerprint[0] ? info->fingerprint : "-",
           err || !info->usable ? "unusable: " : "usable until ",
           err            ? cli_safe(err)
           : info->usable ? until
                          : cli_safe(info->problem));
    return 0;
}

/* ermes notify keys: every contact's OpenPGP key and whether notifications can be encrypted
 * to it. */
static int keys(cli_t *c)
{
    ermes__notify_options_t o;
    ermes_diag_t d;
    int json = 0, rc;

    for (int i = 1; i < c->nargs; i++) {
        if (cli_flag(c, i, "--json", NULL)) {
            json = 1;
            continue;
        }
        cli_error("notify keys: unexpected argument \"%s\"", cli_arg(c, i));
        return CLI_USAGE;
    }
    ermes_diag_clear(&d);
    if (ermes__notify_options_from_config(&c->cfg, &o, &d)) {
        cli_error("%s", d.reason);
        return CLI_ERROR;
    }
    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (ermes__notify_keys_each(c->store, &o, ermes__time_now_ms(), key_line_cb, &json)) {
        cli_error("notify keys: cannot read the contacts");
        return CLI_ERROR;
    }
    return CLI_OK;
}

int ermes__cmd_notify_review(cli_t *c, const char *sub)
{
    if (strcmp(sub, "keys") == 0)
        return keys(c);
    if (strcmp(sub, "approve") == 0)
        return review(c, ERMES_REVIEW_APPROVE, sub);
    if (strcmp(sub, "hold") == 0)
        return review(c, ERMES_REVIEW_HOLD, sub);
    if (strcmp(sub, "cancel") == 0)
        return review(c, ERMES_REVIEW_CANCEL, sub);
    if (strcmp(sub, "edit") == 0)
        return edit(c);
    return policy(c);
}
