/* Users, roles, API tokens, the viewer of a request, and audit records. */
#ifndef ERMES_MODEL_USER_H
#define ERMES_MODEL_USER_H

#include <stdint.h>

#include "ermes/error.h"

typedef enum ermes__role {
    ERMES_ROLE_ADMIN = 0,   /* the CERT's administrators: everything */
    ERMES_ROLE_ANALYST,     /* the CERT's analysts: all data, no user administration */
    ERMES_ROLE_CONSTITUENT, /* a constituent's staff: its own organisation, and what TLP allows */
    /* A network sensor (Suricata, Zeek): submits logs with a token and reads nothing; its
     * organisation, when not the CERT's, is the one whose network it watches. */
    ERMES_ROLE_SENSOR
} ermes__role_t;

int ermes__role_parse(const char *s, ermes__role_t *out);
const char *ermes__role_name(ermes__role_t r);

#define ERMES_USER_NAME_MAX 64
#define ERMES_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */

typedef struct ermes__user {
    int64_t id;
    char name[ERMES_USER_NAME_MAX + 1];
    ermes__role_t role;
    int64_t org_id; /* the constituent's organisation; the CERT's own for staff */
    char password_hash[ERMES_PWHASH_MAX]; /* argon2id string, "" when no password set */
    int disabled;
    int totp_enabled; /* signs in with a one-time code too (read only: src/access/totp.c) */
    int64_t created_at, updated_at;
} ermes__user_t;

/* Who is asking. Every read and write in ermes is done on behalf of a viewer. */
typedef struct ermes__viewer {
    int64_t user_id;       /* 0 for the local administrator (CLI on the database) */
    const char *user_name; /* borrowed */
    ermes__role_t role;
    int64_t org_id;
    const char *remote; /* client address, or "cli" */
} ermes__viewer_t;

/* 1 for admin and analyst: the CERT's own staff see the whole registry. A sensor is not staff:
 * wherever it could read, it would read as little as a constituent (the router lets it read
 * nothing). */
static inline int ermes__viewer_is_staff(const ermes__viewer_t *v)
{
    return v->role == ERMES_ROLE_ADMIN || v->role == ERMES_ROLE_ANALYST;
}

typedef struct ermes__token {
    int64_t id;
    int64_t user_id;
    uint8_t hash[32]; /* BLAKE2b-256 of the secret */
    char prefix[16];  /* the first characters of the token, to recognise it in lists */
    char description[128];
    int64_t created_at, expires_at, revoked_at, last_used_at; /* 0 when not set */
} ermes__token_t;

/* A browser session: the cookie's secret is stored as its BLAKE2b-256 hash, like a token's. */
typedef struct ermes__session {
    int64_t id;
    int64_t user_id;
    uint8_t hash[32];
    char csrf[64]; /* sent back in X-CSRF-Token by the page on every change */
    int64_t created_at, last_seen, expires_at;
    char ip[64];
    char user_agent[256];
} ermes__session_t;

typedef struct ermes__audit {
    int64_t id;
    int64_t at;
    int64_t user_id;
    const char *actor;       /* user name, borrowed */
    const char *action;      /* "create", "update", "delete", "import", "revoke", "login"... */
    const char *object_type; /* "organisation", "user", "token"... */
    const char *object_id;
    const char *detail; /* JSON text, optional */
    const char *remote;
} ermes__audit_t;

typedef struct ermes__audit_filter {
    const char *actor;
    const char *object_type;
    const char *action;
    int64_t since, until; /* ms, 0 = open */
    int64_t before_id;    /* cursor: the log is listed newest first */
    long limit;
} ermes__audit_filter_t;

#endif
