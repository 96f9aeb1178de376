/* The daemon's HTTP server: the REST API under /api/v1/, /healthz and /metrics, served by
 * libmicrohttpd with a thread pool, on loopback unless configured otherwise. */
#ifndef ERMES_HTTP_SERVER_H
#define ERMES_HTTP_SERVER_H

#include <stdint.h>

#include "constituency/registry.h"
#include "core/config.h"
#include "store/store.h"

typedef struct ermes__server ermes__server_t;

/* Starts serving; cfg, st, reg and intake are borrowed and must outlive the server. ERMES_ECONFIG
 * (reason in d) for a bad listen address or unreadable TLS files, ERMES_EIO when the address
 * cannot be bound. */
struct ermes__intake;
int ermes__server_start(const ermes__config_t *cfg, ermes__store_t *st, ermes__registry_t *reg,
                        struct ermes__intake *intake, ermes__server_t **out, ermes_diag_t *d);
/* The port actually bound (useful with port 0). */
uint16_t ermes__server_port(const ermes__server_t *s);
/* Hands the daemon's collectors (borrowed, outlive the server) to POST
 * /api/v1/collectors/{name}/run. */
struct ermes__collect;
void ermes__server_set_collect(ermes__server_t *s, struct ermes__collect *c);
/* The daemon's matcher of the stored indicators (the one POST /api/v1/logs uses; borrowed,
 * lives as long as the server). */
struct ermes__sightings;
struct ermes__sightings *ermes__server_sightings(ermes__server_t *s);
/* When the catalog was read and DATA_DIR/warninglists/ changed since (a file dropped, changed
 * or removed): reads it again, keeps the version in force of any list whose file is now
 * broken (logged, and listed with its error), swaps it in and rebuilds the matcher of the
 * stored indicators with it. *reloaded (may be NULL) says whether it did. Returns 0 or the
 * error that kept it from reloading (logged; the lists in force stay). */
int ermes__server_wl_reload(ermes__server_t *srv, int *reloaded);
/* Hands the daemon's retro-hunt (borrowed, outlives the server) to /api/v1/retrohunts. */
struct ermes__hunter;
void ermes__server_set_hunter(ermes__server_t *s, struct ermes__hunter *h);
/* Stops accepting, closes every connection, waits for the workers, frees. NULL is a no-op. */
void ermes__server_stop(ermes__server_t *s);

#endif
