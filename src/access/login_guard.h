/* The daemon's defences of the browser login (POST /api/v1/sessions): the password checks
 * (argon2id, 64 MiB and tens of milliseconds each) run on a small fixed pool of threads with a
 * bounded queue, never on the HTTP threads; failed logins are counted per client address; and a
 * flood of failures is audited as counts, not as a row per attempt. */
#ifndef ERMES_ACCESS_LOGIN_GUARD_H
#define ERMES_ACCESS_LOGIN_GUARD_H

#include <stdint.h>

#include "access/access.h"
#include "core/config.h"
#include "store/store.h"

typedef struct ermes__login_guard ermes__login_guard_t;

/* A login waiting for its password check. The caller owns it; the guard borrows it from
 * ermes__login_guard_submit until it calls done_cb (on a pool thread), and never touches it
 * afterwards. */
typedef struct ermes__login_job {
    char name[ERMES_USER_NAME_MAX + 1];
    char password[ERMES_PASSWORD_MAX + 1]; /* wiped once checked */
    char ip[64];
    char totp[16];          /* the second factor, "" when none was given; wiped once checked */
    char recovery_code[48]; /* (the ermes__login_factor_t the check gets) */
    /* ermes__login's results */
    int rc;
    int locked;
    int64_t retry_after_s;
    ermes__user_t user;
    ermes__factor_state_t factor_state;
    int64_t recovery_left;
    void (*done_cb)(struct ermes__login_job *job);
    void *cls; /* the caller's, for done_cb */
    struct ermes__login_job *next;
} ermes__login_job_t;

/* What happened to a login attempt, for the per-address counts and the audit. */
typedef enum {
    ERMES_LOGIN_FAILED,  /* wrong name or password (a failure of the address) */
    ERMES_LOGIN_LOCKED,  /* refused: the name is locked for this address */
    ERMES_LOGIN_LIMITED, /* refused: the address has used up its failures */
    ERMES_LOGIN_BUSY,    /* refused: the password checks are all taken */
    ERMES_LOGIN_NKINDS
} ermes__login_outcome_t;

/* Starts cfg->login_workers threads checking passwords against st (both borrowed, and must
 * outlive the guard). */
int ermes__login_guard_new(ermes__store_t *st, const ermes__config_t *cfg,
                           ermes__login_guard_t **out);
/* Stops the threads after the jobs they run; a job still queued is done with rc ERMES_EBUSY,
 * and later ones at once. Idempotent; NULL is a no-op. */
void ermes__login_guard_stop(ermes__login_guard_t *g);
/* Stops the guard if it runs, writes the pending audit counts and frees it. NULL: no-op. */
void ermes__login_guard_free(ermes__login_guard_t *g);

/* Promises a place for one job: 0, or ERMES_EBUSY when every thread is busy and
 * cfg->login_queue jobs already wait. A promise must be followed by one submit. */
int ermes__login_guard_reserve(ermes__login_guard_t *g);
/* Queues job in the place reserved for it; a pool thread checks it (expired sessions and old
 * failures are pruned first) and calls job->done_cb. When the guard is stopping, done_cb is
 * called at once with rc ERMES_EBUSY. */
void ermes__login_guard_submit(ermes__login_guard_t *g, ermes__login_job_t *job);

/* 1 when ip has made cfg->login_address_failures failed logins within the last 15 minutes
 * (counted in memory since the daemon started), with the seconds until it may try again in
 * *retry_after_s; else 0. */
int ermes__login_guard_blocked(ermes__login_guard_t *g, const char *ip, int64_t now_ms,
                               int64_t *retry_after_s);

/* Counts an outcome of ip. Returns 1 when the caller should write its usual audit row (the
 * first of its kind from ip in the current audit interval), 0 when it is only counted: the
 * counts go to the audit log as one "login_failures" row per address and interval. */
int ermes__login_guard_record(ermes__login_guard_t *g, const char *ip,
                              ermes__login_outcome_t outcome, int64_t now_ms);

/* Writes the "login_failures" rows of the audit intervals that have ended by now_ms (all of
 * them when all is set). Called about once a second by the daemon. */
void ermes__login_guard_flush(ermes__login_guard_t *g, int64_t now_ms, int all);

#endif
