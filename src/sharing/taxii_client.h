/* A TAXII 2.1 client (OASIS TAXII Version 2.1): GET and POST with the TAXII media type over
 * libcurl, TLS verified, with size and time limits, and the reader of the envelopes the
 * server answers. The federation (federation.h) pulls and pushes with it. */
#ifndef ERMES_SHARING_TAXII_CLIENT_H
#define ERMES_SHARING_TAXII_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "ermes/error.h"

#define ERMES__TAXII_MEDIA "application/taxii+json;version=2.1"
#define ERMES__TAXII_RESPONSE_MAX (64u << 20) /* bytes of one response */
#define ERMES__TAXII_PAGE 1000                /* objects asked for per page */
#define ERMES__TAXII_PAGES_MAX 10000          /* pages in one pull */
#define ERMES__TAXII_TIMEOUT 120L             /* seconds for one request */
#define ERMES__TAXII_CONNECT_TIMEOUT 15L
#define ERMES__TAXII_NEXT_MAX 1024 /* bytes of a "next" token */

typedef struct ermes__taxii_client ermes__taxii_client_t;

/* A client for the server whose API root is url (kept), authenticating with auth ("none",
 * "token": credentials is a bearer token, "basic": credentials is "user:password").
 * Connections are reused between requests. stop (may be NULL): while *stop is set, requests
 * under way give up. */
int ermes__taxii_client_new(const char *url, const char *auth, const char *credentials,
                            const int *stop, ermes__taxii_client_t **out);
void ermes__taxii_client_free(ermes__taxii_client_t *c);

/* The answer to one request. */
typedef struct ermes__taxii_response {
    long status;
    ermes__strbuf_t body;
    char added_first[40], added_last[40]; /* X-TAXII-Date-Added-First/Last, "" when absent */
    int64_t date_ms;                      /* the server's Date header (ms), 0 when absent */
} ermes__taxii_response_t;

void ermes__taxii_response_init(ermes__taxii_response_t *r);
void ermes__taxii_response_cleanup(ermes__taxii_response_t *r);

/* GET (body NULL) or POST body (len bytes) to path under the API root (path with its query,
 * without the leading '/'). Returns 0 whatever the HTTP status (in r->status), ERMES_EIO when
 * the exchange failed (the reason in d), ERMES_ETOOBIG past ERMES__TAXII_RESPONSE_MAX. */
int ermes__taxii_request(ermes__taxii_client_t *c, const char *path, const char *body, size_t len,
                         ermes__taxii_response_t *r, ermes_diag_t *d);

/* An envelope (TAXII 2.1 section 3.7) read: "objects" (a new reference to an array, empty
 * when absent), "more", "next" (into next, cap bytes; "" when absent). Returns 0, or
 * ERMES_EPARSE with the reason in d (not JSON, not an object, a member of the wrong type,
 * next too long). */
int ermes__taxii_envelope_read(const char *data, size_t len, json_t **objects, int *more,
                               char *next, size_t cap, ermes_diag_t *d);

/* A status resource (section 4.3.1) read: "status" is "complete" (*complete = 1) or
 * "pending", and its success, failure and pending counts. ERMES_EPARSE when it is none. */
int ermes__taxii_status_read(const char *data, size_t len, int *complete, long *successes,
                             long *failures, long *pendings, ermes_diag_t *d);

#endif
