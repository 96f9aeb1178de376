/* ermes serve: the daemon. The main thread waits for signals and does the housekeeping; the
 * HTTP server's own threads answer requests. SIGTERM or SIGINT stop it cleanly: no new
 * connections, the open ones closed, the workers joined, the database closed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/log.h"
#include "http/server.h"
#include "intake/collect.h"
#include "intake/intake.h"
#include "intake/spooldir.h"
#include "notify/notify.h"
#include "sightings/sightings.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ermes serve [--listen ADDR:PORT] [--data-dir DIR] [--port-file FILE]\n\n"
               "Runs the daemon on the database in DATA_DIR (run `ermes init` first).\n"
               "It listens on loopback unless --listen says otherwise; port 0 picks a free\n"
               "port, written to --port-file once listening. HTTPS with --tls-cert and\n"
               "--tls-key. SIGTERM or SIGINT stop it; SIGHUP rebuilds the ownership index.\n");
    cli_usage_settings(f);
}

int ermes_cmd_serve(cli_t *c)
{
    const char *port_file = NULL, *v;
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
    int rc, n, status = CLI_ERROR;

    for (int i = 0; i < c->nargs; i += n) {
        n = 1;
        if (cli_flag(c, i, "--help", NULL)) {
            help(stdout);
            return CLI_OK;
        } else if ((n = cli_flag(c, i, "--port-file", &v)) > 0) {
            port_file = v;
        } else {
            if (n == 0)
                cli_error("serve: unknown argument \"%s\"", cli_arg(c, i));
            help(stderr);
            return CLI_USAGE;
        }
    }
    /* Signals are taken by this thread alone: block them before any thread starts so every
     * worker inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if ((rc = cli_open_store(c, 0)))
        return rc;
    if (c->viewer.org_id == 0) {
        cli_error("the database in %s is not initialised: run `ermes init`", c->cfg.data_dir);
        return CLI_ERROR;
    }
    if ((rc = ermes_registry_open(c->store, &reg))) {
        cli_error("cannot build the ownership index: %s", ermes_strerror(rc));
        return CLI_ERROR;
    }
    ermes_diag_clear(&d);
    if ((rc = ermes_intake_options_from_config(&c->cfg, &io, schema, sizeof(schema), &d)) ||
        (rc = ermes_intake_new(c->store, reg, &io, &intake))) {
        cli_error("cannot set up intake: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Reports acknowledged before a crash are finished first, in the background. */
    if ((rc = ermes_intake_start(intake))) {
        cli_error("cannot start intake: %s", ermes_strerror(rc));
        goto out;
    }
    ermes_intake_kick(intake);
    /* The spool directory: files dropped into SPOOL/<feed>/ become reports. */
    if (c->cfg.spool_dir)
        snprintf(spool, sizeof(spool), "%s", c->cfg.spool_dir);
    else
        snprintf(spool, sizeof(spool), "%s/spool", c->cfg.data_dir);
    spool_viewer = c->viewer;
    spool_viewer.user_name = "spool";
    if ((rc = ermes_spooldir_new(c->store, intake, &spool_viewer, spool, c->cfg.spool_rescan,
                                 &spooldir)) ||
        (rc = ermes_spooldir_start(spooldir))) {
        cli_error("cannot watch the spool directory %s: %s", spool, ermes_strerror(rc));
        goto out;
    }
    /* Collectors: feeds fetched over HTTP(S) on a schedule. */
    ermes_diag_clear(&d);
    if ((rc = ermes_collect_new(&c->cfg, c->store, intake, &collect, &d)) ||
        (rc = ermes_collect_start(collect))) {
        cli_error("cannot start the collectors: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    /* Notifications: events become e-mails to their constituents (src/notify/). */
    ermes_diag_clear(&d);
    if ((rc = ermes_notify_options_from_config(&c->cfg, &no, &d)) ||
        (rc = ermes_notifier_new(c->store, &no, &notifier)) ||
        (rc = ermes_notifier_start(notifier))) {
        cli_error("cannot start notifications: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    if ((rc = ermes_server_start(&c->cfg, c->store, reg, intake, &srv, &d))) {
        cli_error("%s", d.reason[0] ? d.reason : ermes_strerror(rc));
        goto out;
    }
    ermes_server_set_collect(srv, collect);
    /* Detection: the followed logs (detect_logs) matched as they grow, and the archive
     * (detect_archive) rescanned for indicators as they are added. Both record sightings
     * with the matcher machinery POST /api/v1/logs uses. */
    engine = ermes_server_sightings(srv);
    if (c->cfg.detect_logs && *c->cfg.detect_logs) {
        if ((rc = ermes_sightings_refresh(engine, 0)))
            ermes_log(ERMES_LOG_WARNING, "cannot build the indicator matcher: %s",
                      ermes_strerror(rc));
        snprintf(tail_dir, sizeof(tail_dir), "%s/tail", c->cfg.data_dir);
        ermes_diag_clear(&d);
        if ((rc = ermes_follow_new(c->store, reg, engine, c->cfg.detect_logs, tail_dir, &follow,
                                   &d)) ||
            (rc = ermes_follow_start(follow))) {
            cli_error("cannot follow detect_logs: %s", d.reason[0] ? d.reason : ermes_strerror(rc));
            goto out;
        }
    }
    if (c->cfg.detect_archive && *c->cfg.detect_archive) {
        if ((rc = ermes_hunter_new(c->store, reg, c->cfg.detect_archive, &hunter)) ||
            (rc = ermes_hunter_start(hunter))) {
            cli_error("cannot start the retro-hunt of %s: %s", c->cfg.detect_archive,
                      ermes_strerror(rc));
            goto out;
        }
        ermes_server_set_hunter(srv, hunter);
    }
    ermes_log(ERMES_LOG_NOTICE, "ermes %s listening on %s://%s (port %u), data in %s",
              ERMES_VERSION, c->cfg.tls_cert ? "https" : "http", c->cfg.listen,
              ermes_server_port(srv), c->cfg.data_dir);
    if (port_file) {
        char tmp[4096];
        FILE *f;
        /* Written whole then renamed, so a reader never sees half a number. */
        snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", ermes_server_port(srv)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            cli_error("cannot write %s", port_file);
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
    status = CLI_OK;
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
    if (status == CLI_OK)
        ermes_log(ERMES_LOG_NOTICE, "stopped");
    return status;
}
