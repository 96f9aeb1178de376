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
#include "http/server.h"
#include "intake/collect.h"
#include "intake/intake.h"
#include "intake/spooldir.h"
#include "notify/notify.h"
#include "sightings/sightings.h"

int ermes__daemon_run(const ermes_config_t *cfg, ermes_store_t *store, const ermes_viewer_t *admin,
                      const char *port_file, ermes_diag_t *err)
{
    ermes_registry_t *reg = NULL;
    ermes_server_t *srv = NULL;
    ermes_intake_t *intake = NULL;
    ermes_intake_options_t io;
    ermes_notifier_t *notifier = NULL;
    ermes_notify_options_t no;
    ermes_spooldir_t *spooldir = NULL;
    ermes_collect_t *collect = NULL;
    ermes_viewer_t spool_viewer;
    ermes_follow_t *follow = NULL;
    ermes_hunter_t *hunter = NULL;
    ermes_sightings_t *engine = NULL;
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

    if ((rc = ermes_registry_open(store, &reg))) {
        ermes_diag_set(err, NULL, "cannot build the ownership index: %s", ermes_strerror(rc));
        return rc;
    }
    ermes_diag_clear(&d);
    if ((rc = ermes_intake_options_from_config(cfg, &io, schema, sizeof(schema), &d)) ||
        (rc = ermes_intake_new(store, reg, &io, &intake))) {
        ermes_diag_set(err, NULL, "cannot set up intake: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Reports acknowledged before a crash are finished first, in the background. */
    if ((rc = ermes_intake_start(intake))) {
        ermes_diag_set(err, NULL, "cannot start intake: %s", ermes_strerror(rc));
        goto out;
    }
    ermes_intake_kick(intake);
    /* The spool directory: files dropped into SPOOL/<feed>/ become reports. */
    if (cfg->spool_dir)
        snprintf(spool, sizeof(spool), "%s", cfg->spool_dir);
    else
        snprintf(spool, sizeof(spool), "%s/spool", cfg->data_dir);
    spool_viewer = *admin;
    spool_viewer.user_name = "spool";
    if ((rc = ermes_spooldir_new(store, intake, &spool_viewer, spool, cfg->spool_rescan,
                                 &spooldir)) ||
        (rc = ermes_spooldir_start(spooldir))) {
        ermes_diag_set(err, NULL, "cannot watch the spool directory %s: %s", spool,
                       ermes_strerror(rc));
        goto out;
    }
    /* Collectors: feeds fetched over HTTP(S) on a schedule. */
    ermes_diag_clear(&d);
    if ((rc = ermes_collect_new(cfg, store, intake, &collect, &d)) ||
        (rc = ermes_collect_start(collect))) {
        ermes_diag_set(err, NULL, "cannot start the collectors: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Notifications: events become e-mails to their constituents (src/notify/). */
    ermes_diag_clear(&d);
    if ((rc = ermes_notify_options_from_config(cfg, &no, &d)) ||
        (rc = ermes_notifier_new(store, &no, &notifier)) || (rc = ermes_notifier_start(notifier))) {
        ermes_diag_set(err, NULL, "cannot start notifications: %s",
                       d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    if ((rc = ermes_server_start(cfg, store, reg, intake, &srv, &d))) {
        ermes_diag_set(err, NULL, "%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    ermes_server_set_collect(srv, collect);
    /* Detection: the followed logs (detect_logs) matched as they grow, and the archive
     * (detect_archive) rescanned for indicators as they are added. Both record sightings
     * with the matcher machinery POST /api/v1/logs uses. */
    engine = ermes_server_sightings(srv);
    if (cfg->detect_logs && *cfg->detect_logs) {
        if ((rc = ermes_sightings_refresh(engine, 0)))
            ermes_log(ERMES_LOG_WARNING, "cannot build the indicator matcher: %s",
                      ermes_strerror(rc));
        snprintf(tail_dir, sizeof(tail_dir), "%s/tail", cfg->data_dir);
        ermes_diag_clear(&d);
        if ((rc = ermes_follow_new(store, reg, engine, cfg->detect_logs, tail_dir, &follow, &d)) ||
            (rc = ermes_follow_start(follow))) {
            ermes_diag_set(err, NULL, "cannot follow detect_logs: %s",
                           d.reason[0] ? d.reason : ermes_strerror(rc));
            goto out;
        }
    }
    if (cfg->detect_archive && *cfg->detect_archive) {
        if ((rc = ermes_hunter_new(store, reg, cfg->detect_archive, &hunter)) ||
            (rc = ermes_hunter_start(hunter))) {
            ermes_diag_set(err, NULL, "cannot start the retro-hunt of %s: %s", cfg->detect_archive,
                           ermes_strerror(rc));
            goto out;
        }
        ermes_server_set_hunter(srv, hunter);
    }
    ermes_log(ERMES_LOG_NOTICE, "ermes %s listening on %s://%s (port %u), data in %s",
              ERMES_VERSION, cfg->tls_cert ? "https" : "http", cfg->listen, ermes_server_port(srv),
              cfg->data_dir);
    if (port_file) {
        char tmp[4096];
        FILE *f;
        /* Written whole then renamed, so a reader never sees half a number. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", ermes_server_port(srv)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            ermes_diag_set(err, NULL, "cannot write %s", port_file);
            goto out;
        }
    }
    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            ermes_log(ERMES_LOG_NOTICE, "signal %d: stopping", sig);
            break;
        }
        /* Every second, and at once on SIGHUP: pick up registry changes other processes
         * (the CLI) made directly in the database. */
        if ((rc = ermes_registry_refresh(reg, sig == SIGHUP)))
            ermes_log(ERMES_LOG_WARNING, "cannot refresh the ownership index: %s",
                      ermes_strerror(rc));
        /* The followed logs match with the current indicators: rebuilt when they changed. */
        if (follow && (rc = ermes_sightings_refresh(engine, 0)))
            ermes_log(ERMES_LOG_WARNING, "cannot rebuild the indicator matcher: %s",
                      ermes_strerror(rc));
    }
    status = 0;
out:
    ermes_follow_free(follow);   /* positions saved */
    ermes_hunter_stop(hunter);   /* a job under way is queued again */
    ermes_collect_stop(collect); /* transfers under way (the API's too) give up */
    ermes_spooldir_stop(spooldir);
    ermes_notifier_stop(notifier); /* first: SMTP exchanges of API requests give up too */
    ermes_server_stop(srv);
    ermes_hunter_free(hunter);
    ermes_notifier_free(notifier);
    ermes_collect_free(collect);
    ermes_spooldir_free(spooldir);
    ermes_intake_free(intake); /* stops the worker at its next row */
    ermes_registry_close(reg);
    if (status == 0)
        ermes_log(ERMES_LOG_NOTICE, "stopped");
    /* A failure says its reason in err; a step without an error code of its own (the port
     * file) is an I/O error. */
    return status == 0 ? 0 : rc < 0 ? rc : ERMES_EIO;
}
