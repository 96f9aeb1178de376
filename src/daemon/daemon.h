/* The daemon: intake, spool directory, collectors, notifications, the HTTP server, followed
 * logs and retro-hunts, started together and stopped together. The CLI only starts it
 * (`ermes serve`, src/cli/cmd_serve.c). */
#ifndef ERMES_DAEMON_DAEMON_H
#define ERMES_DAEMON_DAEMON_H

#include "core/config.h"
#include "model/user.h"
#include "store/store.h"

/* Runs the daemon on an open store until SIGTERM or SIGINT; SIGHUP rebuilds the ownership
 * index at once. The calling thread takes the signals (they are blocked before any thread
 * starts) and does the housekeeping once a second. cfg, store and admin (the local
 * administrator's viewer, for files taken from the spool directory) are borrowed. With
 * port_file non-NULL, the port listened on is written there once listening (written whole,
 * then renamed). Returns 0 after a clean stop, or a negative ERMES_E* code with the reason in
 * err when a part could not start. */
int ermes__daemon_run(const ermes__config_t *cfg, ermes__store_t *store,
                      const ermes__viewer_t *admin, const char *port_file, ermes_diag_t *err);

#endif
