/* Mailbox sections of the config file: [mailbox "NAME"] or [mailbox.NAME], each an IMAP
 * folder or a maildir the daemon polls for mail in (src/mail/poll.c). Checked where the file
 * is read, so a mistake is reported with the file's name before the daemon starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/number.h"

#define MAX_MAILBOXES 64
#define MAX_VALUE 4096

static int name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.';
}

int ermes__mailbox_section(const char *section, char *name, size_t cap)
{
    const char *p, *end;
    size_t n;

    if (strncmp(section, "mailbox", 7) != 0)
        return 0;
    p = section + 7;
    if (*p == '.') {
        p++;
        end = p + strlen(p);
    } else if (*p == ' ' || *p == '\t') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '"')
            return -1;
        p++;
        end = strchr(p, '"');
        if (!end || end[1] != '\0')
            return -1;
    } else {
        return 0;
    }
    n = (size_t)(end - p);
    if (n == 0 || n >= cap)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (!name_char(p[k]))
            return -1;
    memcpy(name, p, n);
    name[n] = '\0';
    return 1;
}

const ermes__mailbox_conf_t *ermes__mailbox_conf_find(const ermes__config_t *cfg, const char *name)
{
    for (size_t k = 0; k < cfg->nmailboxes; k++)
        if (strcmp(cfg->mailboxes[k].name, name) == 0)
            return &cfg->mailboxes[k];
    return NULL;
}

static int get_or_add(ermes__config_t *cfg, const char *name, ermes__mailbox_conf_t **out,
                      ermes_diag_t *d)
{
    ermes__mailbox_conf_t *c = (ermes__mailbox_conf_t *)ermes__mailbox_conf_find(cfg, name);

    if (c) {
        *out = c;
        return 0;
    }
    if (cfg->nmailboxes >= MAX_MAILBOXES) {
        ermes_diag_set(d, NULL, "at most %d mailboxes", MAX_MAILBOXES);
        return ERMES_ERANGE;
    }
    c = ermes__reallocarray(cfg->mailboxes, cfg->nmailboxes + 1, sizeof(*c));
    if (!c)
        return ERMES_ENOMEM;
    cfg->mailboxes = c;
    c = &cfg->mailboxes[cfg->nmailboxes++];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->interval = 60;
    c->timeout = 60;
    c->enabled = 1;
    *out = c;
    return 0;
}

static int set_string(char **slot, const char *value)
{
    char *copy = ermes__strdup(value);

    if (!copy)
        return ERMES_ENOMEM;
    ermes__free(*slot);
    *slot = copy;
    return 0;
}

static int number(const char *mb, const char *key, const char *value, long min, long max, long *out,
                  ermes_diag_t *d)
{
    int64_t v;

    if (ermes__parse_int64(value, key, min, max, &v, NULL)) {
        ermes_diag_set(d, key, "mailbox \"%s\": %s must be a whole number from %ld to %ld", mb, key,
                       min, max);
        return ERMES_EINVAL;
    }
    *out = (long)v;
    return 0;
}

int ermes__mailbox_conf_set(ermes__config_t *cfg, const char *name, const char *key,
                            const char *value, ermes_diag_t *d)
{
    ermes__mailbox_conf_t *c;
    int rc;

    if ((rc = get_or_add(cfg, name, &c, d)))
        return rc;
    if (strlen(value) > MAX_VALUE || strpbrk(value, "\r\n")) {
        ermes_diag_set(d, key, "mailbox \"%s\": %s is not one line of at most %d bytes", name, key,
                       MAX_VALUE);
        return ERMES_ERANGE;
    }
    if (strcmp(key, "url") == 0) {
        if (strncasecmp(value, "imap://", 7) != 0 && strncasecmp(value, "imaps://", 8) != 0) {
            ermes_diag_set(d, key, "mailbox \"%s\": url must start with imap:// or imaps://", name);
            return ERMES_EINVAL;
        }
        if (strpbrk(value, " \t")) {
            ermes_diag_set(d, key, "mailbox \"%s\": url has white space", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->url, value);
    }
    if (strcmp(key, "maildir") == 0) {
        if (!value[0]) {
            ermes_diag_set(d, key, "mailbox \"%s\": maildir must name a directory", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->maildir, value);
    }
    if (strcmp(key, "user") == 0)
        return set_string(&c->user, value);
    if (strcmp(key, "password") == 0)
        return set_string(&c->password, value);
    if (strcmp(key, "ca_file") == 0)
        return set_string(&c->ca_file, value);
    if (strcmp(key, "folder") == 0 || strcmp(key, "move_to") == 0) {
        /* Folder names go into IMAP commands: no quotes, backslashes or control bytes. */
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f) {
                ermes_diag_set(d, key,
                               "mailbox \"%s\": %s has a character IMAP would need "
                               "quoted",
                               name, key);
                return ERMES_EINVAL;
            }
        if (!value[0]) {
            ermes_diag_set(d, key, "mailbox \"%s\": %s is empty", name, key);
            return ERMES_EINVAL;
        }
        return set_string(strcmp(key, "folder") == 0 ? &c->folder : &c->move_to, value);
    }
    if (strcmp(key, "processed") == 0) {
        if (strcmp(value, "seen") && strcmp(value, "move") && strcmp(value, "delete")) {
            ermes_diag_set(d, key, "mailbox \"%s\": processed must be seen, move or delete", name);
            return ERMES_EINVAL;
        }
        return set_string(&c->processed, value);
    }
    if (strcmp(key, "interval") == 0)
        return number(name, key, value, 1, 86400, &c->interval, d);
    if (strcmp(key, "timeout") == 0)
        return number(name, key, value, 1, 3600, &c->timeout, d);
    if (strcmp(key, "enabled") == 0) {
        if (!strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "1") ||
            !strcmp(value, "on"))
            c->enabled = 1;
        else if (!strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "0") ||
                 !strcmp(value, "off"))
            c->enabled = 0;
        else {
            ermes_diag_set(d, key, "mailbox \"%s\": enabled must be true or false", name);
            return ERMES_EINVAL;
        }
        return 0;
    }
    ermes_diag_set(d, key, "mailbox \"%s\": unknown key \"%.64s\"", name, key);
    return ERMES_ENOTFOUND;
}

int ermes__mailbox_conf_check(const ermes__config_t *cfg, ermes_diag_t *d)
{
    for (size_t k = 0; k < cfg->nmailboxes; k++) {
        const ermes__mailbox_conf_t *c = &cfg->mailboxes[k];
        if (!c->url == !c->maildir) {
            ermes_diag_set(d, "url", "mailbox \"%s\" needs a url or a maildir (one of them)",
                           c->name);
            return ERMES_ECONFIG;
        }
        if (c->processed && !strcmp(c->processed, "move") && !c->move_to && c->url) {
            ermes_diag_set(d, "move_to", "mailbox \"%s\": processed = move needs move_to", c->name);
            return ERMES_ECONFIG;
        }
    }
    return 0;
}

void ermes__mailbox_conf_cleanup(ermes__config_t *cfg)
{
    for (size_t k = 0; k < cfg->nmailboxes; k++) {
        ermes__mailbox_conf_t *c = &cfg->mailboxes[k];
        ermes__free(c->url);
        ermes__free(c->maildir);
        ermes__free(c->user);
        if (c->password)
            memset(c->password, 0, strlen(c->password));
        ermes__free(c->password);
        ermes__free(c->folder);
        ermes__free(c->processed);
        ermes__free(c->move_to);
        ermes__free(c->ca_file);
    }
    ermes__free(cfg->mailboxes);
    cfg->mailboxes = NULL;
    cfg->nmailboxes = 0;
}
