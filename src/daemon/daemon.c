/* The daemon (`ermes serve` starts it). The calling thread waits for signals and does the
 * housekeeping; the HTTP server's own threads answer requests. SIGTERM or SIGINT stop it
 * cleanly: no new connections, the open ones closed, the workers joined.
 *
 * Several daemons may run on one database, on one machine or on several (docs/ARCHITECTURE.md,
 * "Several daemons"): every background job is leased to one daemon instance at a time
 * (src/store/lease.c), and the followed logs of a data directory are followed by one daemon, the
 * holder of the lease named after that directory. On PostgreSQL a listener thread hears the
 * counters' notifications and wakes this thread (SIGUSR1) to rebuild the ownership index and
 * the matcher at once; the once-a-second look at the counters stays, for SQLite and for
 * whatever the listener missed. */
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "advisories/advisory.h"
#include "core/config_live.h"
#include "core/log.h"
#include "core/time.h"
#include "http/server.h"
#include "incidents/incidents.h"
#include "intake/collect.h"
#include "intake/intake.h"
#include "intake/retention.h"
#include "intake/spooldir.h"
#include "mail/mail.h"
#include "notify/notify.h"
#include "sharing/federation.h"
#include "daemon/vuln_sync.h"
#include "sightings/sightings.h"
#include "store/advisory_warnings.h"

/* The listener thread: a notification from the database wakes the main thread. */
typedef struct listener {
    ermes__store_listener_t *l;
    pthread_t thread, main;
    atomic_int stop;
} listener_t;

static void *listen_main(void *arg)
{
    listener_t *ls = arg;

    while (!atomic_load(&ls->stop)) {
        int changed = 0;
        if (ermes__store_listen_wait(ls->l, 500, &changed) == 0 && changed)
            pthread_kill(ls->main, SIGUSR1);
    }
    return NULL;
}

/* The name of the lease on following the logs: one per tail directory (where the positions
 * are), which a random id written in it names, so that daemons sharing a data directory
 * share the lease and daemons with their own each have one. */
static int tail_lease_name(const char *tail_dir, char *out, size_t cap)
{
    char path[4200], id[33] = "";
    unsigned char rnd[16];
    ssize_t n;
    int fd;

    if (mkdir(tail_dir, 0700) != 0 && errno != EEXIST)
        return ERMES_EIO;
    snprintf(path, sizeof(path), "%s/.lease-id", tail_dir);
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
    /* The first daemon writes it; the others (and later starts) read it. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        int ok = write(fd, id, 32) == 32 && fsync(fd) == 0;
        close(fd);
        if (!ok)
            return ERMES_EIO;
    } else if (errno == EEXIST) {
        for (int tries = 0; tries < 50; tries++) {
            fd = open(path, O_RDONLY | O_CLOEXEC);
            n = fd >= 0 ? read(fd, id, 32) : -1;
            if (fd >= 0)
                close(fd);
            if (n == 32)
                break;
            usleep(20000); /* being written by another daemon */
        }
        if (strlen(id) != 32)
            return ERMES_EIO;
        id[32] = '\0';
    } else {
        return ERMES_EIO;
    }
    snprintf(out, cap, "tail:%s", id);
    return 0;
}

int ermes__daemon_run(const ermes__config_t *cfg, ermes__store_t *store,
                      const ermes__viewer_t *admin, const char *port_file, ermes_diag_t *err)
{
    ermes__registry_t *reg = NULL;
    ermes__server_t *srv = NULL;
    ermes__intake_t *intake = NULL;
    ermes__intake_options_t io;
    ermes__notifier_t *notifier = NULL;
    char pgp_contacts[1024];
    ermes__notify_options_t no;
    ermes__spooldir_t *spooldir = NULL;
    ermes__collect_t *collect = NULL;
    ermes__federation_t *federation = NULL;
    ermes__vuln_sync_t *vuln_sync = NULL;
    ermes__viewer_t spool_viewer;
    ermes__follow_t *follow = NULL;
    ermes__hunter_t *hunter = NULL;
    ermes__sightings_t *engine = NULL;
    ermes__mail_t *mail = NULL;
    ermes__mail_options_t mo;
    ermes__mail_poller_t *poller = NULL;
    char spool[4096], tail_dir[4096], tail_lease[64] = "";
    char schema[4096];
    listener_t ls;
    int listening = 0, following = 0;
    int64_t lease_checked = 0, retention_next = 0, partitions_next = 0;
    int retention_more = 0;
    ermes_diag_t d;
    sigset_t set;
    int rc, status = ERMES_EIO;

    /* Signals are taken by this thread alone: block them before any thread starts so every
     * worker inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    memset(&ls, 0, sizeof(ls));

    /* This daemon's instance row, before it claims anything outside the database (spool
     * files): other daemons read there that it is alive. */
    if ((rc = ermes__store_lease_heartbeat(store))) {
        ermes_diag_set(err, NULL, "cannot register this daemon in the database: %s",
                       ermes_strerror(rc));
        return rc;
    }

    if ((rc = ermes__registry_open(store, &reg))) {
        ermes_diag_set(err, NULL, "cannot build the ownership index: %s", ermes_strerror(rc));
        return rc;
    }
    /* Contacts' OpenPGP keys are checked when they are entered (src/notify/pgp.c), in the
     * keyring notifications encrypt with. */
    snprintf(pgp_contacts, sizeof(pgp_contacts), "%s/pgp-contacts",
             cfg->data_dir && *cfg->data_dir ? cfg->data_dir : ".");
    ermes__registry_set_key_check(reg, ermes__notify_key_check_cb, pgp_contacts);
    ermes_diag_clear(&d);
    if ((rc = ermes__intake_options_from_config(cfg, &io, schema, sizeof(schema), &d)) ||
        (rc = ermes__intake_new(store, reg, &io, &intake))) {
        ermes_diag_set(err, NULL, "cannot set up intake: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Reports acknowledged before a crash are finished first, in the background. */
    if ((rc = ermes__intake_start(intake))) {
        ermes_diag_set(err, NULL, "cannot start intake: %s", ermes_strerror(rc));
        goto out;
    }
    ermes__intake_kick(intake);
    /* The spool directory: files dropped into SPOOL/<feed>/ become reports. */
    if (cfg->spool_dir)
        snprintf(spool, sizeof(spool), "%s", cfg->spool_dir);
    else
        snprintf(spool, sizeof(spool), "%s/spool", cfg->data_dir);
    spool_viewer = *admin;
    spool_viewer.user_name = "spool";
    if ((rc = ermes__spooldir_new(store, intake, &spool_viewer, spool, cfg->spool_rescan,
                                  &spooldir)) ||
        (rc = ermes__spooldir_start(spooldir))) {
        ermes_diag_set(err, NULL, "cannot watch the spool directory %s: %s", spool,
                       ermes_strerror(rc));
        goto out;
    }
    /* Collectors: feeds fetched over HTTP(S) on a schedule. */
    ermes_diag_clear(&d);
    if ((rc = ermes__collect_new(cfg, store, intake, &collect, &d)) ||
        (rc = ermes__collect_start(collect))) {
        ermes_diag_set(err, NULL, "cannot start the collectors: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Mail in: the [mailbox "NAME"] sections polled, and messages a stop left unread read. */
    ermes__mail_options_from_config(cfg, &mo);
    if ((rc = ermes__mail_new(store, reg, intake, &mo, &mail)) ||
        (rc = ermes__mail_poller_new(cfg, mail, &poller)) ||
        (rc = ermes__mail_poller_start(poller))) {
        ermes_diag_set(err, NULL, "cannot start mail in: %s", ermes_strerror(rc));
        goto out;
    }
    /* Notifications: events become e-mails to their constituents (src/notify/). */
    ermes_diag_clear(&d);
    if ((rc = ermes__notify_options_from_config(cfg, &no, &d)) ||
        (rc = ermes__notifier_new(store, &no, &notifier)) ||
        (rc = ermes__notifier_start(notifier))) {
        ermes_diag_set(err, NULL, "cannot start notifications: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    if ((rc = ermes__server_start(cfg, store, reg, intake, &srv, &d))) {
        ermes_diag_set(err, NULL, "%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    ermes__server_set_collect(srv, collect);
    /* Detection: the followed logs (detect_logs) matched as they grow, and the archive
     * (detect_archive) rescanned for indicators as they are added. Both record sightings
     * with the matcher machinery POST /api/v1/logs uses. */
    engine = ermes__server_sightings(srv);
    if (cfg->detect_logs && *cfg->detect_logs) {
        if ((rc = ermes__sightings_refresh(engine, 0)))
            ermes__log(ERMES_LOG_WARNING, "cannot build the indicator matcher: %s",
                       ermes_strerror(rc));
        snprintf(tail_dir, sizeof(tail_dir), "%s/tail", cfg->data_dir);
        if ((rc = tail_lease_name(tail_dir, tail_lease, sizeof(tail_lease)))) {
            ermes_diag_set(err, NULL, "cannot follow detect_logs: cannot write %s/.lease-id",
                           tail_dir);
            goto out;
        }
        /* Checked now: a detect_logs that cannot be followed stops the start, whichever
         * daemon will follow it. */
        ermes_diag_clear(&d);
        if ((rc = ermes__follow_new(store, reg, engine, cfg->detect_logs, tail_dir, &follow, &d))) {
            ermes_diag_set(err, NULL, "cannot follow detect_logs: %s",
                           d.reason[0] ? d.reason : ermes_strerror(rc));
            goto out;
        }
    }
    if (cfg->detect_archive && *cfg->detect_archive) {
        if ((rc = ermes__hunter_new(store, reg, cfg->detect_archive, &hunter)) ||
            (rc = ermes__hunter_start(hunter))) {
            ermes_diag_set(err, NULL, "cannot start the retro-hunt of %s: %s", cfg->detect_archive,
                           ermes_strerror(rc));
            goto out;
        }
        ermes__server_set_hunter(srv, hunter);
    }
    /* Federation: the peers pulled from and pushed to on their schedules. */
    if ((rc = ermes__federation_start(store, &federation))) {
        ermes_diag_set(err, NULL, "cannot start the federation: %s", ermes_strerror(rc));
        goto out;
    }
    /* Vulnerability intelligence: the vuln_sources imported every vuln_sync_interval. */
    if ((rc = ermes__vuln_sync_start(store, cfg, &no, &vuln_sync))) {
        ermes_diag_set(err, NULL, "cannot start the vulnerability sync: %s", ermes_strerror(rc));
        goto out;
    }
    ermes__log(ERMES_LOG_NOTICE, "ermes %s listening on %s://%s (port %u), data in %s",
               ERMES_VERSION, cfg->tls_cert ? "https" : "http", cfg->listen,
               ermes__server_port(srv), cfg->data_dir);
    if (port_file) {
        char tmp[4096];
        FILE *f;
        /* Written whole then renamed, so a reader never sees half a number. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", ermes__server_port(srv)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            ermes_diag_set(err, NULL, "cannot write %s", port_file);
            goto out;
        }
    }
    /* PostgreSQL tells of changes at once; SQLite's counters are polled below. */
    if (ermes__store_listen(store, &ls.l) == 0) {
        ls.main = pthread_self();
        if (pthread_create(&ls.thread, NULL, listen_main, &ls) == 0)
            listening = 1;
        else
            ermes__store_listen_close(ls.l);
    }
    retention_next = ermes__time_now_ms() + 3000;
    for (unsigned ticks = 0;; ticks++) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            ermes__log(ERMES_LOG_NOTICE, "signal %d: stopping", sig);
            break;
        }
        /* The followed logs: by the daemon that holds their lease, taken over by another
         * when it stops; looked at every third of a lease time. */
        if (follow && ermes__time_now_ms() - lease_checked >= ermes__lease_ms() / 3) {
            int held = 0;
            lease_checked = ermes__time_now_ms();
            if (ermes__store_lease_take(store, tail_lease, &held) == 0 && held && !following) {
                if ((rc = ermes__follow_start(follow)))
                    ermes__log(ERMES_LOG_ERROR, "cannot follow detect_logs: %s",
                               ermes_strerror(rc));
                else
                    following = 1;
                if (following)
                    ermes__log(ERMES_LOG_NOTICE, "following detect_logs (lease %s)", tail_lease);
            }
        }
        /* Every second, and at once on SIGHUP: pick up registry changes other processes
         * (the CLI) made directly in the database. */
        if ((rc = ermes__registry_refresh(reg, sig == SIGHUP)))
            ermes__log(ERMES_LOG_WARNING, "cannot refresh the ownership index: %s",
                       ermes_strerror(rc));
        /* Every 3 seconds: warninglist files dropped into DATA_DIR/warninglists/ (new or
         * changed) are read again and the matcher rebuilt with them, without a restart; each
         * daemon watches its own data directory. */
        if (ticks % 3 == 2 && (rc = ermes__server_wl_reload(srv, NULL)))
            ermes__log(ERMES_LOG_WARNING, "warninglists: %s", ermes_strerror(rc));
        /* The followed logs match with the current indicators: rebuilt when they changed. */
        if (follow && (rc = ermes__sightings_refresh(engine, 0)))
            ermes__log(ERMES_LOG_WARNING, "cannot rebuild the indicator matcher: %s",
                       ermes_strerror(rc));
        /* Every 2 seconds: the settings an administrator changed (in this daemon's API,
         * another's, or the CLI) are in force from the next batch of each worker. */
        if (ticks % 2 == 1) {
            int changed = 0;
            if ((rc = ermes__store_settings_apply(store, NULL, &changed)))
                ermes__log(ERMES_LOG_WARNING, "cannot read the stored settings: %s",
                           ermes_strerror(rc));
            else if (changed) {
                ermes__log(ERMES_LOG_NOTICE, "settings: the stored settings changed; in force now");
                retention_next = 0;  /* retention_days may be one of them */
                partitions_next = 0; /* and event_partition_width */
                ermes__notifier_kick(notifier);
            }
        }
        /* Every 5 seconds: incidents whose deadlines come near (incident_warn_before) or pass
         * get a warning on their timeline (and in the API's warnings) and an e-mail to their
         * assignee, once per deadline; by the daemon that holds the lease "incident-warnings"
         * (several daemons on one database warn once). */
        if (ticks % 5 == 0) {
            size_t warned = 0, sent = 0, failed = 0;
            int held = 0;
            const ermes__config_t *now = ermes__live_acquire(cfg);
            ermes__notify_options_t nn = no;
            ermes_diag_clear(&d);
            if (now != cfg && ermes__notify_options_from_config(now, &nn, &d))
                nn = no;
            if ((rc = ermes__store_lease_take(store, "incident-warnings", &held)))
                ermes__log(ERMES_LOG_WARNING, "cannot take the incident warnings' lease: %s",
                           ermes_strerror(rc));
            if (held && (rc = ermes__incidents_warn(
                             store, ermes__time_now_ms(), (int64_t)now->incident_warn_before * 1000,
                             nn.smtp_url != NULL, now->incident_warn_mail, &warned)))
                ermes__log(ERMES_LOG_WARNING, "cannot check the incidents' deadlines: %s",
                           ermes_strerror(rc));
            else if (warned)
                ermes__log(ERMES_LOG_NOTICE, "%zu incident deadline warning(s)", warned);
            if (held && (rc = ermes__incidents_warn_mail_send(store, &nn, ermes__time_now_ms(),
                                                              &sent, &failed)))
                ermes__log(ERMES_LOG_WARNING, "cannot send the deadline warnings: %s",
                           ermes_strerror(rc));
            else if (sent || failed)
                ermes__log(ERMES_LOG_NOTICE, "deadline warnings mailed: %zu sent, %zu failed", sent,
                           failed);
            /* Incidents stored before their measures were kept (migration 49), or whose SLA
             * policy or calendar changed, are measured a few thousand at a time, so that the
             * metrics' first request after an upgrade does not do it all. */
            int64_t measured = 0;
            if (held && (rc = ermes__incident_measure_pending(store, 5000, &measured)))
                ermes__log(ERMES_LOG_WARNING, "cannot measure the incidents: %s",
                           ermes_strerror(rc));
            else if (measured)
                ermes__log(ERMES_LOG_INFO, "%lld incident(s) measured for the metrics",
                           (long long)measured);
            ermes__live_release(now);
        }
        /* Every 5 seconds: scheduled advisories whose time has come are published (validated
         * again; one that no longer validates or whose key cannot sign stays approved and
         * scheduled, the reason recorded with it and logged once per new reason). */
        if (ticks % 5 == 2) {
            size_t published = 0;
            char home[1024];
            ermes__csaf_signer_t signer;

            ermes__csaf_signer_from_config(cfg, home, sizeof(home), &signer);
            if ((rc =
                     ermes__advisory_publish_due(store, &signer, ermes__time_now_ms(), &published)))
                ermes__log(ERMES_LOG_WARNING, "cannot publish the scheduled advisories: %s",
                           ermes_strerror(rc));
            else if (published)
                ermes__log(ERMES_LOG_NOTICE, "%zu scheduled advisory(ies) published", published);
            /* Once an hour (and soon after the start): the admins are told in the log when the
             * signing key expires within ERMES_CSAF_KEY_WARN_DAYS days or has expired. */
            if (ticks % 3600 == 7) {
                char text[512];
                if (ermes__csaf_key_warning(&signer, ermes__time_now_ms(), text, sizeof(text)))
                    ermes__log(ERMES_LOG_WARNING, "%s", text);
            }
        }
        /* Every second: the correlation index follows the tables (what was added since),
         * up to 100,000 rows a second, by the daemon that holds the lease "correlation", so
         * that a lookup finds it current instead of indexing a backlog itself. */
        {
            int held = 0, more = 0;
            int64_t pending = 0;

            if (ermes__store_corr_pending(store, 1, &pending) == 0 && pending &&
                ermes__store_lease_take(store, "correlation", &held) == 0 && held &&
                (rc = ermes__store_corr_sync_some(store, 100000, NULL, &more)))
                ermes__log(ERMES_LOG_WARNING, "cannot index for correlation: %s",
                           ermes_strerror(rc));
            (void)more;
        }
        /* PostgreSQL: a partition of events made ahead of the next id, every minute, by the
         * daemon that holds the lease "partitions" (src/store/event_partitions.c). When
         * event_partition_width is set (not its default), that daemon first stores it as the
         * width of the partitions made next, the intake's too; unset, event_partitioning keeps
         * the width it has. On SQLite it sizes the time map's next blocks. */
        {
            int64_t t = ermes__time_now_ms();

            if (t >= partitions_next) {
                const ermes__config_t *now = ermes__live_acquire(cfg);
                int64_t width = now->event_partition_width;
                char text[32];
                int held = 0, made = 0, src = ERMES__SRC_DEFAULT;

                ermes__config_get(now, "event_partition_width", text, sizeof(text), &src);
                ermes__live_release(now);
                partitions_next = t + 60000;
                ermes__store_event_width(store, width, 0);
                if (ermes__store_lease_take(store, "partitions", &held) == 0 && held &&
                    ((src != ERMES__SRC_DEFAULT &&
                      (rc = ermes__store_event_width(store, width, 1))) ||
                     (rc = ermes__store_event_partitions_ahead(store, &made))))
                    ermes__log(ERMES_LOG_WARNING, "cannot make partitions of events: %s",
                               ermes_strerror(rc));
                else if (made)
                    ermes__log(ERMES_LOG_INFO, "%d partition(s) of events made ahead", made);
            }
        }
        /* Retention (retention_days): a run an hour, the first a few seconds after the start
         * and after a change of the settings, by the daemon that holds the lease "retention";
         * at most 50,000 events a second, so that a long backlog does not stop this loop. */
        {
            const ermes__config_t *now = ermes__live_acquire(cfg);
            long days = now->retention_days;
            int64_t t = ermes__time_now_ms();

            ermes__live_release(now);
            if (days > 0 && (retention_more || t >= retention_next)) {
                int held = 0;

                retention_more = 0;
                if (ermes__store_lease_take(store, "retention", &held) == 0 && held) {
                    ermes__viewer_t daemon = {0, "daemon", ERMES_ROLE_ADMIN, 0, "daemon"};
                    ermes__retention_stats_t rs;

                    if ((rc = ermes__retention_run(store, cfg->data_dir, days, t, 0, 50000, &daemon,
                                                   &rs)))
                        ermes__log(ERMES_LOG_WARNING, "retention: %s", ermes_strerror(rc));
                    else
                        retention_more = rs.more;
                }
                if (!retention_more)
                    retention_next = t + (int64_t)3600 * 1000;
            }
        }
        /* Every second: published advisories (the API's, the CLI's, the scheduled ones) warn
         * the constituents whose assets they concern, by the daemon that holds the lease
         * "advisory-warnings" (several daemons on one database warn once); the lease is taken
         * only when a publication waits (a read), not written every second. */
        {
            int64_t pending;
            size_t npending = 0;
            int held = 0;
            if (ermes__store_advisory_unwarned(store, &pending, 1, &npending) == 0 && npending &&
                ermes__store_lease_take(store, "advisory-warnings", &held) == 0 && held) {
                ermes__notify_stats_t ns;
                size_t warned = 0;
                /* With the settings in force now (src/core/config_live.h). */
                const ermes__config_t *now = ermes__live_acquire(cfg);
                ermes__notify_options_t nn = no;
                ermes_diag_clear(&d);
                if (now != cfg && ermes__notify_options_from_config(now, &nn, &d))
                    nn = no;
                memset(&ns, 0, sizeof(ns));
                if ((rc = ermes__notify_advisories(store, &nn, &ns, &warned)))
                    ermes__log(ERMES_LOG_WARNING, "cannot warn of the published advisories: %s",
                               ermes_strerror(rc));
                else if (ns.notifications) {
                    ermes__log(ERMES_LOG_NOTICE, "advisories: %ld warning(s), %zu asset(s)",
                               ns.notifications, warned);
                    ermes__notifier_kick(notifier);
                }
                ermes__live_release(now);
            }
        }
        /* Every second: assets created, changed or imported since the stored vulnerabilities
         * were last matched against them are matched now (the lease "advisory-warnings"
         * again); only an (asset, CVE) never warned of warns (asset_vulns). */
        {
            int64_t changed = 0, seen = 0;
            int held = 0;
            if (ermes__store_assets_changed_at(store, &changed) == 0 &&
                ermes__store_asset_match_mark(store, "vulnerabilities", &seen) == 0 &&
                changed > seen && ermes__store_lease_take(store, "advisory-warnings", &held) == 0 &&
                held) {
                ermes__notify_stats_t ns;
                size_t matches = 0;
                const ermes__config_t *now = ermes__live_acquire(cfg);
                ermes__notify_options_t nn = no;
                ermes_diag_clear(&d);
                if (now != cfg && ermes__notify_options_from_config(now, &nn, &d))
                    nn = no;
                memset(&ns, 0, sizeof(ns));
                if ((rc = ermes__notify_vulns(store, &nn, NULL, 0, &ns, &matches)))
                    ermes__log(ERMES_LOG_WARNING, "cannot match the changed assets: %s",
                               ermes_strerror(rc));
                else {
                    ermes__store_asset_match_mark_set(store, "vulnerabilities", changed,
                                                      ermes__time_now_ms());
                    if (ns.notifications) {
                        ermes__log(ERMES_LOG_NOTICE,
                                   "changed assets: %ld vulnerability warning(s), %zu match(es)",
                                   ns.notifications, matches);
                        ermes__notifier_kick(notifier);
                    }
                }
                ermes__live_release(now);
            }
        }
    }
    status = 0;
out:
    if (listening) {
        atomic_store(&ls.stop, 1);
        pthread_join(ls.thread, NULL);
        ermes__store_listen_close(ls.l);
    }
    ermes__follow_free(follow); /* positions saved */
    if (following)
        ermes__store_lease_drop(store, tail_lease);
    ermes__store_lease_drop(store, "incident-warnings");
    ermes__store_lease_drop(store, "advisory-warnings");
    ermes__store_lease_drop(store, "retention");
    ermes__store_lease_drop(store, "partitions");
    ermes__store_lease_drop(store, "correlation");
    ermes__vuln_sync_stop(vuln_sync); /* before the notifier options it borrows go */
    if (vuln_sync)
        ermes__store_lease_drop(store, "vuln-sync");
    ermes__federation_stop(federation); /* a round under way gives up; its state is kept */
    ermes__hunter_stop(hunter);         /* a job under way is queued again */
    ermes__collect_stop(collect);       /* transfers under way (the API's too) give up */
    ermes__mail_poller_stop(poller);    /* an IMAP exchange under way gives up */
    ermes__spooldir_stop(spooldir);
    ermes__notifier_stop(notifier); /* first: SMTP exchanges of API requests give up too */
    ermes__server_stop(srv);
    ermes__hunter_free(hunter);
    ermes__notifier_free(notifier);
    ermes__collect_free(collect);
    ermes__spooldir_free(spooldir);
    ermes__mail_poller_free(poller);
    ermes__mail_free(mail);
    ermes__intake_free(intake); /* stops the worker at its next row */
    ermes__registry_close(reg);
    if (status == 0)
        ermes__log(ERMES_LOG_NOTICE, "stopped");
    /* A failure says its reason in err; a step without an error code of its own (the port
     * file) is an I/O error. */
    return status == 0 ? 0 : rc < 0 ? rc : ERMES_EIO;
}
