/* The mailboxes of the config file ([mailbox "NAME"]), polled for mail in (mail.h).
 *
 * IMAP through libcurl: UID SEARCH UNSEEN in the folder, then each message fetched by UID
 * (its whole body, under mail_max_size), received (stored durably, then processed), and only
 * then marked as the section says: \Seen, moved (UID MOVE, RFC 6851) or deleted (\Deleted and
 * EXPUNGE). A message that could not be stored is marked unseen again, so the next poll takes
 * it again: nothing leaves the server before ermes has it on disk.
 *
 * A maildir: each file of new/ is received, then renamed into cur/ with the seen flag (or
 * into move_to's cur/, or removed), the maildir way of saying it was read. */
#include "mail/mail.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/number.h"
#include "core/strbuf.h"
#include "core/time.h"

#define MAX_UIDS 1000 /* messages taken from one folder in one poll; the rest next time */

struct ermes__mail_poller {
    const ermes__config_t *cfg;
    ermes__mail_t *mail;
    size_t max_size;
    int64_t *next; /* next poll per mailbox (ms) */
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stopping;
};

int ermes__mail_poller_new(const ermes__config_t *cfg, ermes__mail_t *m, ermes__mail_poller_t **out)
{
    ermes__mail_poller_t *p = ermes__calloc(1, sizeof(*p));

    if (!p)
        return ERMES_ENOMEM;
    p->cfg = cfg;
    p->mail = m;
    p->max_size = (size_t)cfg->mail_max_size << 20;
    if (cfg->nmailboxes && !(p->next = ermes__calloc(cfg->nmailboxes, sizeof(*p->next)))) {
        ermes__free(p);
        return ERMES_ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    *out = p;
    return 0;
}

void ermes__mail_poller_free(ermes__mail_poller_t *p)
{
    if (!p)
        return;
    ermes__mail_poller_stop(p);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    ermes__free(p->next);
    ermes__free(p);
}

/* ---- IMAP -------------------------------------------------------------------------------- */

typedef struct sink {
    ermes__strbuf_t buf;
    int too_big;
} sink_t;

static size_t write_cb(char *data, size_t size, size_t n, void *ctx)
{
    sink_t *s = ctx;

    if (ermes__strbuf_add(&s->buf, data, size * n)) {
        s->too_big = 1;
        return 0;
    }
    return size * n;
}

static int stopping(ermes__mail_poller_t *p)
{
    int s;

    pthread_mutex_lock(&p->lock);
    s = p->stopping;
    pthread_mutex_unlock(&p->lock);
    return s;
}

static int progress_cb(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    return ctx && stopping(ctx) ? 1 : 0;
}

/* Appends the folder to the URL as libcurl wants it: imap://host/FOLDER (percent-encoded). */
static int folder_url(const ermes__mailbox_conf_t *mb, const char *suffix, ermes__strbuf_t *out)
{
    const char *folder = mb->folder ? mb->folder : "INBOX";
    size_t n = strlen(mb->url);
    char *esc;
    int rc;

    ermes__strbuf_reset(out);
    while (n && mb->url[n - 1] == '/')
        n--;
    if (!(esc = curl_easy_escape(NULL, folder, 0)))
        return ERMES_ENOMEM;
    rc = ermes__strbuf_add(out, mb->url, n) || ermes__strbuf_addf(out, "/%s%s", esc, suffix)
             ? ERMES_ENOMEM
             : 0;
    curl_free(esc);
    return rc;
}

/* One IMAP exchange: url, and a custom command or NULL (a fetch). */
static int imap_do(ermes__mail_poller_t *p, const ermes__mailbox_conf_t *mb, const char *url,
                   const char *command, size_t max, sink_t *out, char *err, size_t errcap)
{
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode cc;

    ermes__strbuf_init(&out->buf, max);
    if (!c)
        return ERMES_ENOMEM;
    out->too_big = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
    if (mb->user)
        curl_easy_setopt(c, CURLOPT_USERNAME, mb->user);
    if (mb->password)
        curl_easy_setopt(c, CURLOPT_PASSWORD, mb->password);
    if (mb->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, mb->ca_file);
    /* imap://: STARTTLS when the server offers it; imaps:// is TLS from the start. */
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (command)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, command);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, mb->timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, mb->timeout < 30 ? mb->timeout : 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
    cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (out->too_big) {
        snprintf(err, errcap, "larger than %zu bytes", max);
        return ERMES_ETOOBIG;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errcap, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return ERMES_EIO;
    }
    return 0;
}

/* The UIDs of "* SEARCH 3 7 12" (RFC 3501 section 7.2.5). */
static size_t parse_search(const char *text, int64_t *uids, size_t cap)
{
    const char *p = text ? strstr(text, "* SEARCH") : NULL;
    size_t n = 0;

    if (!p)
        return 0;
    p += 8;
    while (*p && *p != '\r' && *p != '\n' && n < cap) {
        size_t len = 0;
        int64_t v;
        while (*p == ' ')
            p++;
        while (p[len] >= '0' && p[len] <= '9')
            len++;
        /* A UID is a non-zero 32-bit number (RFC 3501 section 2.3.1.1). */
        if (!len || ermes__parse_int64_n(p, len, "uid", 1, 4294967295, &v, NULL))
            break;
        uids[n++] = v;
        p += len;
    }
    return n;
}

static int imap_command(ermes__mail_poller_t *p, const ermes__mailbox_conf_t *mb,
                        const char *command, char *err, size_t errcap)
{
    ermes__strbuf_t url;
    sink_t s;
    int rc;

    memset(&s, 0, sizeof(s));
    ermes__strbuf_init(&url, 8192);
    if (!(rc = folder_url(mb, "", &url)))
        rc = imap_do(p, mb, url.data, command, 1 << 20, &s, err, errcap);
    ermes__strbuf_cleanup(&s.buf);
    ermes__strbuf_cleanup(&url);
    return rc;
}

static int poll_imap(ermes__mail_poller_t *p, const ermes__mailbox_conf_t *mb, size_t *received,
                     ermes_diag_t *d)
{
    int64_t *uids = ermes__calloc(MAX_UIDS, sizeof(*uids));
    ermes__strbuf_t url;
    char err[CURL_ERROR_SIZE + 64], source[80], cmd[4200];
    const char *action = mb->processed ? mb->processed : "seen";
    size_t n = 0;
    int rc, expunge = 0;
    sink_t s;

    if (!uids)
        return ERMES_ENOMEM;
    ermes__strbuf_init(&url, 8192);
    snprintf(source, sizeof(source), "imap:%s", mb->name);
    if ((rc = folder_url(mb, "", &url)) ||
        (rc = imap_do(p, mb, url.data, "UID SEARCH UNSEEN", 1 << 20, &s, err, sizeof(err)))) {
        ermes_diag_set(d, NULL, "mailbox \"%s\": cannot search %s: %s", mb->name,
                       mb->folder ? mb->folder : "INBOX",
                       rc == ERMES_ENOMEM ? "out of memory" : err);
        goto out;
    }
    n = parse_search(s.buf.data, uids, MAX_UIDS);
    ermes__strbuf_cleanup(&s.buf);
    for (size_t k = 0; k < n && !stopping(p); k++) {
        char suffix[64];
        ermes__mail_row_t row;
        ermes_diag_t md;
        snprintf(suffix, sizeof(suffix), "/;UID=%lld", (long long)uids[k]);
        if ((rc = folder_url(mb, suffix, &url)))
            goto out;
        rc = imap_do(p, mb, url.data, NULL, p->max_size, &s, err, sizeof(err));
        if (rc == ERMES_ETOOBIG) {
            /* Left on the server, unseen: ermes keeps nothing it cannot take whole, and says
             * so every time it polls. */
            ermes__log(ERMES_LOG_WARNING,
                       "mailbox \"%s\": message UID %lld is larger than "
                       "mail_max_size; left on the server",
                       mb->name, (long long)uids[k]);
            ermes__strbuf_cleanup(&s.buf);
            snprintf(cmd, sizeof(cmd), "UID STORE %lld -FLAGS (\\Seen)", (long long)uids[k]);
            imap_command(p, mb, cmd, err, sizeof(err));
            rc = 0;
            continue;
        }
        if (rc) {
            ermes_diag_set(d, NULL, "mailbox \"%s\": cannot fetch UID %lld: %s", mb->name,
                           (long long)uids[k], err);
            goto out;
        }
        ermes_diag_clear(&md);
        rc = ermes__mail_receive_mem(p->mail, source, s.buf.data ? s.buf.data : "", s.buf.len, 0,
                                     &row, &md);
        ermes__strbuf_cleanup(&s.buf);
        if (rc) {
            /* Not stored: unseen again for the next poll. */
            snprintf(cmd, sizeof(cmd), "UID STORE %lld -FLAGS (\\Seen)", (long long)uids[k]);
            imap_command(p, mb, cmd, err, sizeof(err));
            ermes_diag_set(d, NULL, "mailbox \"%s\": message UID %lld not stored: %s", mb->name,
                           (long long)uids[k], md.reason[0] ? md.reason : ermes_strerror(rc));
            goto out;
        }
        (*received)++;
        if (!strcmp(action, "move")) {
            snprintf(cmd, sizeof(cmd), "UID MOVE %lld \"%s\"", (long long)uids[k], mb->move_to);
        } else if (!strcmp(action, "delete")) {
            snprintf(cmd, sizeof(cmd), "UID STORE %lld +FLAGS (\\Deleted)", (long long)uids[k]);
            expunge = 1;
        } else {
            snprintf(cmd, sizeof(cmd), "UID STORE %lld +FLAGS (\\Seen)", (long long)uids[k]);
        }
        if (imap_command(p, mb, cmd, err, sizeof(err)))
            ermes__log(ERMES_LOG_WARNING, "mailbox \"%s\": %s failed: %s (the message is stored)",
                       mb->name, cmd, err);
    }
    if (expunge && imap_command(p, mb, "EXPUNGE", err, sizeof(err)))
        ermes__log(ERMES_LOG_WARNING, "mailbox \"%s\": EXPUNGE failed: %s", mb->name, err);
    rc = 0;
out:
    ermes__strbuf_cleanup(&url);
    ermes__free(uids);
    return rc;
}

/* ---- maildir ----------------------------------------------------------------------------- */

static int poll_maildir(ermes__mail_poller_t *p, const ermes__mailbox_conf_t *mb, size_t *received,
                        ermes_diag_t *d)
{
    char dir[4200], path[4600], dest[4600], source[80];
    const char *action = mb->processed ? mb->processed : "seen";
    struct dirent *e;
    DIR *dh;
    int rc = 0;

    snprintf(dir, sizeof(dir), "%s/new", mb->maildir);
    snprintf(source, sizeof(source), "maildir:%s", mb->name);
    if (!(dh = opendir(dir))) {
        ermes_diag_set(d, NULL, "mailbox \"%s\": cannot read %s", mb->name, dir);
        return ERMES_EIO;
    }
    while ((e = readdir(dh)) && !stopping(p)) {
        ermes__mail_row_t row;
        ermes_diag_t md;
        struct stat sb;
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (!(f = fopen(path, "rb")))
            continue;
        ermes_diag_clear(&md);
        rc = ermes__mail_receive_file(p->mail, source, f, 0, &row, &md);
        fclose(f);
        if (rc == ERMES_ETOOBIG) {
            ermes__log(ERMES_LOG_WARNING,
                       "mailbox \"%s\": %s is larger than mail_max_size; left "
                       "in new/",
                       mb->name, e->d_name);
            rc = 0;
            continue;
        }
        if (rc) {
            ermes_diag_set(d, NULL, "mailbox \"%s\": %s not stored: %s", mb->name, e->d_name,
                           md.reason[0] ? md.reason : ermes_strerror(rc));
            break;
        }
        (*received)++;
        if (!strcmp(action, "delete")) {
            unlink(path);
            continue;
        }
        /* Maildir: a message read is in cur/ with the info ":2,S" (seen). */
        snprintf(dest, sizeof(dest), "%s/cur/%s:2,S",
                 !strcmp(action, "move") && mb->move_to ? mb->move_to : mb->maildir, e->d_name);
        if (rename(path, dest) != 0)
            ermes__log(ERMES_LOG_WARNING, "mailbox \"%s\": cannot move %s to cur/ (stored)",
                       mb->name, e->d_name);
    }
    closedir(dh);
    return rc;
}

int ermes__mail_poll(ermes__mail_poller_t *p, const char *name, size_t *received, ermes_diag_t *d)
{
    int rc = 0, found = 0;

    *received = 0;
    for (size_t k = 0; k < p->cfg->nmailboxes; k++) {
        const ermes__mailbox_conf_t *mb = &p->cfg->mailboxes[k];
        int one;
        if (name && strcmp(name, mb->name) != 0)
            continue;
        if (!name && !mb->enabled)
            continue;
        found = 1;
        one = mb->url ? poll_imap(p, mb, received, d) : poll_maildir(p, mb, received, d);
        if (one && !rc)
            rc = one;
    }
    if (name && !found) {
        ermes_diag_set(d, NULL, "no mailbox \"%s\" in the config file", name);
        return ERMES_ENOTFOUND;
    }
    return rc;
}

static void *run(void *arg)
{
    ermes__mail_poller_t *p = arg;
    size_t n = 0;
    int64_t swept = INT64_MIN / 2;

    if (ermes__mail_process_pending(p->mail, &n) == 0 && n)
        ermes__log(ERMES_LOG_NOTICE, "mail: %zu messages left by a stop processed", n);
    while (!stopping(p)) {
        int64_t now = ermes__time_now_ms(), soonest = now + 60000;
        struct timespec ts;
        /* A message a stopped process was receiving (piped, from a maildir or IMAP) is never
         * acknowledged: its partial file goes after incoming_max_age, checked every minute. */
        int64_t every =
            p->cfg->incoming_max_age * 500 < 60000 ? p->cfg->incoming_max_age * 500 : 60000;
        if (now - swept >= every) {
            ermes__mail_sweep_incoming(p->mail, p->cfg->incoming_max_age);
            swept = now;
        }
        if (swept + every < soonest)
            soonest = swept + every;
        for (size_t k = 0; k < p->cfg->nmailboxes && !stopping(p); k++) {
            const ermes__mailbox_conf_t *mb = &p->cfg->mailboxes[k];
            ermes_diag_t d;
            size_t got = 0;
            if (!mb->enabled)
                continue;
            if (p->next[k] <= now) {
                ermes_diag_clear(&d);
                if (mb->url ? poll_imap(p, mb, &got, &d) : poll_maildir(p, mb, &got, &d))
                    ermes__log(ERMES_LOG_WARNING, "%s", d.reason);
                else if (got)
                    ermes__log(ERMES_LOG_INFO, "mailbox \"%s\": %zu messages", mb->name, got);
                p->next[k] = ermes__time_now_ms() + (int64_t)mb->interval * 1000;
            }
            if (p->next[k] < soonest)
                soonest = p->next[k];
        }
        pthread_mutex_lock(&p->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        {
            int64_t wait = soonest - ermes__time_now_ms();
            if (wait < 100)
                wait = 100;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
        }
        if (!p->stopping)
            pthread_cond_timedwait(&p->wake, &p->lock, &ts);
        pthread_mutex_unlock(&p->lock);
    }
    return NULL;
}

int ermes__mail_poller_start(ermes__mail_poller_t *p)
{
    if (pthread_create(&p->thread, NULL, run, p) != 0)
        return ERMES_EIO;
    p->started = 1;
    return 0;
}

void ermes__mail_poller_stop(ermes__mail_poller_t *p)
{
    if (!p || !p->started)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->started = 0;
}
