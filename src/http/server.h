/* The daemon's HTTP server: the REST API under /api/v1/, /healthz and /metrics, served by
 * libmicrohttpd with a thread pool, on loopback unless configured otherwise. */
#ifndef ERMES_HTTP_SERVER_H
#define ERMES_HTTP_SERVER_H

#include <stdint.h>

#include "constituency/registry.h"
#include "core/config.h"
#include "store/store.h"

typedef struct ermes_server ermes_server_t;

/* Starts serving; cfg, st, reg and intake are borrowed and must outlive the server. ERMES_ECONFIG
 * (reason in d) for a bad listen address or unreadable TLS files, ERMES_EIO when the address
 * cannot be bound. */
struct ermes_intake;
int ermes_server_start(const ermes_config_t *cfg, ermes_store_t *st, ermes_registry_t *reg,
                       struct ermes_intake *intake, ermes_server_t **out, ermes_diag_t *d);
/* The port actually bound (useful with port 0). */
uint16_t ermes_server_port(const ermes_server_t *s);
/* Hands the daemon's collectors (borrowed, outlive the server) to POST
 * /api/v1/collectors/{name}/run. */
struct ermes_collect;
void ermes_server_set_collect(ermes_server_t *s, struct ermes_collect *c);
/* The daemon's matcher of the stored indicators (the one POST /api/v1/logs uses; borrowed,
 * lives as long as the server). */
struct ermes_sightings;
struct ermes_sightings *ermes_server_sightings(ermes_server_t *s);
/* Hands the daemon's retro-hunt (borrowed, outlives the server) to /api/v1/retrohunts. */
struct ermes_hunter;
void ermes_server_set_hunter(ermes_server_t *s, struct ermes_hunter *h);
/* Stops accepting, closes every connection, waits for the workers, frees. NULL is a no-op. */
void ermes_server_stop(ermes_server_t *s);

#endif
