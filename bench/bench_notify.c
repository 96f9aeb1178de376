/* Notification benchmark: preparing and encrypting notifications (issue 15).
 *
 *   bench_notify [--notifications N] [--encrypt N] [--keep]
 *
 * In a throwaway data directory (SQLite) with a throwaway GnuPG home: one constituent whose
 * abuse desk has an OpenPGP key (made with gpg, ed25519/cv25519), N events (default 10,000),
 * each of its own feed, so that grouping makes N notifications. It measures
 *   1. preparing: ermes__notify_group over the N events (read, group, render the text from
 *      the template, store the notification and its events, mark them) -> notifications/s;
 *   2. encrypting: for the first --encrypt of them (default: all N), the complete message as
 *      the sender makes it: the CSV attachment, the recipients' keys (encrypt.c: the key read
 *      and checked), signed with the CERT's key and encrypted to the contact's (PGP/MIME, RFC
 *      3156 section 6.1) -> messages/s; no SMTP.
 * Peer: none (absolute figures). gpgme runs gpg for each signature, key check and encryption,
 * so the encrypting figure is mostly process starts. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, mkdtemp, setenv */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "access/access.h"
#include "core/strbuf.h"
#include "core/time.h"
#include "model/org.h"
#include "notify/notify.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *cmd)
{
    int rc = system(cmd);

    if (rc != 0)
        fprintf(stderr, "bench_notify: failed (%d): %s\n", rc, cmd);
    return rc;
}

/* The whole of file path into a new string; NULL on failure. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    long count = 10000, encrypt = -1, keep = 0;
    char dir[64] = "/tmp/ermes-bench-notify-XXXXXX", home[128], contacts[128], cmd[2048],
         keyfile[160];
    ermes__store_options_t so = {0, 1, 0, NULL};
    ermes__notify_options_t o;
    ermes__notify_stats_t stats;
    ermes__store_t *st = NULL;
    ermes__report_t r;
    ermes__org_t *org;
    ermes_diag_t d;
    char *contact_key = NULL;
    json_t *j;
    double t0, t1;
    int64_t home_org = 0, org_id, first_id = 0, last_id = 0;
    long done = 0, bytes = 0;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--notifications") == 0 && i + 1 < argc)
            count = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--encrypt") == 0 && i + 1 < argc)
            encrypt = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: bench_notify [--notifications N] [--encrypt N] [--keep]\n");
            return 2;
        }
    }
    if (count < 1 || count > 10000000)
        return 2;
    if (encrypt < 0 || encrypt > count)
        encrypt = count;
    if (!mkdtemp(dir) || ermes__access_init())
        return 1;
    snprintf(home, sizeof(home), "%s/gnupg", dir);
    snprintf(contacts, sizeof(contacts), "%s/contact-gnupg", dir);
    snprintf(keyfile, sizeof(keyfile), "%s/contact.asc", dir);
    /* The CERT's signing key and the contact's key, as an operator and a constituent would
     * make them. */
    snprintf(cmd, sizeof(cmd),
             "mkdir -m 700 %s %s && gpg --homedir %s --batch --quiet --passphrase '' "
             "--quick-gen-key 'UCERT <cert@ucert.example>' ed25519 sign never && "
             "gpg --homedir %s --batch --quiet --passphrase '' --quick-gen-key "
             "'Abuse <abuse@org.example>' default default never && "
             "gpg --homedir %s --batch --armor --export abuse@org.example > %s",
             home, contacts, home, contacts, contacts, keyfile);
    if (run(cmd) || !(contact_key = slurp(keyfile)))
        goto out;
    if (ermes__store_open(dir, &so, &st))
        goto out;
    /* The CERT and one constituent with an abuse desk that has a key. */
    j = json_pack("{s:s,s:s,s:s}", "short_name", "CERT", "name", "The CERT", "type", "cert");
    org = ermes__org_new();
    ermes_diag_clear(&d);
    if (!j || !org || ermes__org_from_json(org, j, 0, &d) || ermes__store_org_insert(st, org, &d))
        goto out;
    home_org = org->meta.id;
    ermes__org_free(org);
    json_decref(j);
    j = json_pack("{s:s,s:s,s:[{s:s,s:s,s:s,s:s}]}", "short_name", "ORG", "name", "An Org",
                  "contacts", "email", "abuse@org.example", "role", "abuse", "language", "en",
                  "pgp_key", contact_key);
    org = ermes__org_new();
    if (!j || !org || ermes__org_from_json(org, j, 0, &d) || ermes__store_org_insert(st, org, &d)) {
        fprintf(stderr, "bench_notify: the constituent: %s\n", d.reason);
        goto out;
    }
    org_id = org->meta.id;
    ermes__org_free(org);
    json_decref(j);
    memset(&r, 0, sizeof(r));
    snprintf(r.feed, sizeof(r.feed), "bench");
    snprintf(r.path, sizeof(r.path), "reports/x");
    snprintf(r.sha256, sizeof(r.sha256), "00");
    snprintf(r.submitted_by, sizeof(r.submitted_by), "bench");
    r.tlp = ERMES_TLP_AMBER;
    r.owner_org_id = home_org;
    if (ermes__store_report_insert(st, &r))
        goto out;
    /* N events, each of its own feed: N groups, N notifications. */
    t0 = now_s();
    if (ermes__store_begin(st))
        goto out;
    for (long k = 0; k < count; k++) {
        ermes__event_row_t e;
        char json[512], feed[32], ip[32];
        snprintf(feed, sizeof(feed), "feed-%ld", k);
        snprintf(ip, sizeof(ip), "192.0.%ld.%ld", (k / 250) % 250, k % 250 + 1);
        snprintf(json, sizeof(json),
                 "{\"classification.type\":\"scanner\",\"feed.name\":\"%s\",\"source.ip\":"
                 "\"%s\",\"time.source\":\"2026-03-01T10:00:00+00:00\",\"tlp\":\"AMBER\"}",
                 feed, ip);
        memset(&e, 0, sizeof(e));
        e.report_id = r.id;
        e.row = k + 1;
        e.line = k + 2;
        e.time_source = 1772359200000LL;
        e.time_observation = e.time_source;
        e.feed = feed;
        e.type = "scanner";
        e.org_id = org_id;
        e.data = json;
        e.data_len = strlen(json);
        e.tlp = ERMES_TLP_AMBER;
        e.owner_org_id = home_org;
        e.created_at = ermes__time_now_ms();
        if (ermes__store_event_insert(st, &e))
            goto out;
    }
    if (ermes__store_commit(st))
        goto out;
    printf("setup: %ld events stored in %.2f s\n", count, now_s() - t0);

    /* 1. Preparing. */
    memset(&o, 0, sizeof(o));
    o.window_ms = 3600 * 1000LL;
    o.retry_base_ms = 60000;
    o.max_attempts = 10;
    o.rate_per_hour = 30;
    o.mail_from = "UCERT <cert@ucert.example>";
    o.pgp_key = "cert@ucert.example";
    o.pgp_home = home;
    o.encrypt = 1;
    o.skip_waiting = 1;
    snprintf(o.pgp_contacts_home, sizeof(o.pgp_contacts_home), "%s/pgp-contacts", dir);
    memset(&stats, 0, sizeof(stats));
    t0 = now_s();
    if (ermes__notify_group(st, &o, ermes__time_now_ms(), 1, &stats))
        goto out;
    t1 = now_s();
    printf("preparing: %ld notifications (%ld events) in %.2f s: %.0f notifications/s\n",
           stats.notifications, stats.events, t1 - t0, (double)stats.notifications / (t1 - t0));
    if (stats.notifications != count) {
        fprintf(stderr, "bench_notify: %ld notifications made, %ld expected\n", stats.notifications,
                count);
        goto out;
    }

    /* 2. Encrypting: the message of each, as the sender makes it. */
    {
        ermes__notification_t n;
        /* The ids are consecutive from the first. */
        if (ermes__store_notification_find(st, "1", &first_id))
            goto out;
        last_id = first_id + count - 1;
        t0 = now_s();
        for (int64_t id = first_id; id <= last_id && done < encrypt; id++) {
            const char *rcpts[ERMES_NOTIFY_MAX_RECIPIENTS];
            ermes__notify_crypt_t crypt;
            ermes__strbuf_t csv, msg;
            json_t *list;
            size_t nr = 0;
            char err[512] = "";
            if (ermes__store_notification_get(st, id, &n))
                goto out;
            list = json_loads(n.recipients, 0, NULL);
            for (size_t k = 0; k < json_array_size(list) && nr < ERMES_NOTIFY_MAX_RECIPIENTS; k++)
                rcpts[nr++] = json_string_value(json_array_get(list, k));
            ermes__strbuf_init(&csv, 64u << 20);
            ermes__strbuf_init(&msg, 64u << 20);
            rc = ermes__notify_crypt_plan(st, &o, &n, rcpts, &nr, ermes__time_now_ms(), &crypt);
            if (!rc && !crypt.encrypt) {
                fprintf(stderr, "bench_notify: not encrypted: %s\n", crypt.note);
                rc = 1;
            }
            if (!rc)
                rc = ermes__notify_csv(st, id, &csv);
            if (!rc)
                rc = ermes__notify_build_message_to(&o, &n, csv.data, csv.len, &crypt, &msg, err,
                                                    sizeof(err));
            if (!rc && !strstr(msg.data, "multipart/encrypted"))
                rc = 1;
            bytes += (long)msg.len;
            ermes__notify_crypt_cleanup(&crypt);
            ermes__strbuf_cleanup(&csv);
            ermes__strbuf_cleanup(&msg);
            json_decref(list);
            ermes__notification_cleanup(&n);
            if (rc) {
                fprintf(stderr, "bench_notify: notification %lld: %s\n", (long long)id,
                        err[0] ? err : ermes_strerror(rc));
                rc = 1;
                goto out;
            }
            done++;
        }
        t1 = now_s();
    }
    printf("encrypting: %ld messages signed and encrypted (PGP/MIME, %ld bytes on average) in "
           "%.2f s: %.1f messages/s\n",
           done, done ? bytes / done : 0, t1 - t0, (double)done / (t1 - t0));
    rc = 0;
out:
    ermes__store_close(st);
    free(contact_key);
    snprintf(cmd, sizeof(cmd),
             "gpgconf --homedir %s --kill all 2>/dev/null; gpgconf --homedir %s --kill all "
             "2>/dev/null; gpgconf --homedir %s/pgp-contacts --kill all 2>/dev/null",
             home, contacts, dir);
    if (system(cmd) < 0)
        fprintf(stderr, "bench_notify: cannot stop gpg-agent\n");
    if (!keep) {
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_notify: cannot remove %s\n", dir);
    } else {
        printf("kept %s\n", dir);
    }
    return rc;
}
