/* The daemon (`ermes serve` starts it). The calling thread waits for signals and does the
 * housekeeping; the HTTP server's own threads answer requests. SIGTERM or SIGINT stop it
 * cleanly: no new connections, the open ones closed, the workers joined. */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/time.h"
#include "http/server.h"
#include "incidents/incidents.h"
#include "intake/collect.h"
#include "intake/intake.h"
#include "intake/spooldir.h"
#include "mail/mail.h"
#include "notify/notify.h"
#include "sightings/sightings.h"

int ermes__daemon_run(const ermes__config_t *cfg, ermes__store_t *store,
                      const ermes__viewer_t *admin, const char *port_file, ermes_diag_t *err)
{
    ermes__registry_t *reg = NULL;
    ermes__server_t *srv = NULL;
    ermes__intake_t *intake = NULL;
    ermes__intake_options_t io;
    ermes__notifier_t *notifier = NULL;
    ermes__notify_options_t no;
    ermes__spooldir_t *spooldir = NULL;
    ermes__collect_t *collect = NULL;
    ermes__viewer_t spool_viewer;
    ermes__follow_t *follow = NULL;
    ermes__hunter_t *hunter = NULL;
    ermes__sightings_t *engine = NULL;
    ermes__mail_t *mail = NULL;
    ermes__mail_options_t mo;
    ermes__mail_poller_t *poller = NULL;
    char spool[4096], tail_dir[4096];
    char schema[4096];
    ermes_diag_t d;
    sigset_t set;
    int rc, status = ERMES_EIO;

    /* Signals are taken by this thread alone: block them before any thread starts so every
     * worker inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((rc = ermes__registry_open(store, &reg))) {
        ermes_diag_set(err, NULL, "cannot build the ownership index: %s", ermes_strerror(rc));
        return rc;
    }
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
        ermes_diag_clear(&d);
        if ((rc = ermes__follow_new(store, reg, engine, cfg->detect_logs, tail_dir, &follow, &d)) ||
            (rc = ermes__follow_start(follow))) {
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
    for (unsigned ticks = 0;; ticks++) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            ermes__log(ERMES_LOG_NOTICE, "signal %d: stopping", sig);
            break;
        }
        /* Every second, and at once on SIGHUP: pick up registry changes other processes
         * (the CLI) made directly in the database. */
        if ((rc = ermes__registry_refresh(reg, sig == SIGHUP)))
            ermes__log(ERMES_LOG_WARNING, "cannot refresh the ownership index: %s",
                       ermes_strerror(rc));
        /* The followed logs match with the current indicators: rebuilt when they changed. */
        if (follow && (rc = ermes__sightings_refresh(engine, 0)))
            ermes__log(ERMES_LOG_WARNING, "cannot rebuild the indicator matcher: %s",
                       ermes_strerror(rc));
        /* Every 5 seconds: incidents whose deadlines come near or pass get a warning on their
         * timeline (and in the API's warnings), once per deadline. */
        if (ticks % 5 == 0) {
            size_t warned = 0;
            if ((rc = ermes__incidents_warn(store, ermes__time_now_ms(), ERMES_INCIDENT_WARN_MS,
                                            &warned)))
                ermes__log(ERMES_LOG_WARNING, "cannot check the incidents' deadlines: %s",
                           ermes_strerror(rc));
            else if (warned)
                ermes__log(ERMES_LOG_NOTICE, "%zu incident deadline warning(s)", warned);
        }
    }
    status = 0;
out:
    ermes__follow_free(follow);      /* positions saved */
    ermes__hunter_stop(hunter);      /* a job under way is queued again */
    ermes__collect_stop(collect);    /* transfers under way (the API's too) give up */
    ermes__mail_poller_stop(poller); /* an IMAP exchange under way gives up */
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
