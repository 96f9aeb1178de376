/* ermes public error codes.
 *
 * Every fallible ermes function returns int: 0 on success, one of the negative ERMES_E* codes
 * below on failure. The table is the single source of truth: it yields the enum, the symbolic
 * names and the messages of ermes_strerror(). */
#ifndef ERMES_ERROR_H
#define ERMES_ERROR_H

#include <stddef.h>

#define ERMES_ERRORS(X)                                                                            \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(PARSE, -3, "malformed input")                                                                \
    X(NOTFOUND, -4, "not found")                                                                   \
    X(EXISTS, -5, "already exists")                                                                \
    X(TOOBIG, -6, "input exceeds a size limit")                                                    \
    X(IO, -7, "input/output error")                                                                \
    X(STORE, -8, "database error")                                                                 \
    X(BUSY, -9, "database busy")                                                                   \
    X(AUTH, -10, "authentication failed")                                                          \
    X(DENIED, -11, "permission denied")                                                            \
    X(CONFIG, -12, "configuration error")                                                          \
    X(RANGE, -13, "value out of range")                                                            \
    X(CONFLICT, -14, "conflicting state")                                                          \
    X(UNSUPPORTED, -15, "not supported")                                                           \
    X(INTERNAL, -16, "internal error")

enum ermes_error {
#define ERMES__ERRENUM(name, code, msg) ERMES_E##name = (code),
    ERMES_ERRORS(ERMES__ERRENUM)
#undef ERMES__ERRENUM
};

/* Human-readable message for an ERMES_E* code; never NULL. */
const char *ermes_strerror(int err);

/* Symbolic name ("NOTFOUND") for an ERMES_E* code; never NULL. */
const char *ermes_errname(int err);

/* Detail of a failure in a parser or importer, filled by the callee, owned by the caller.
 * Libraries never print: they describe the problem here and main or the daemon decides who
 * sees it. Fields are empty strings / 0 when they do not apply. */
typedef struct ermes_diag {
    char source[128]; /* file name, "request body", ... */
    long line;        /* 1-based line, 0 if unknown */
    long column;      /* 1-based column, 0 if unknown */
    long offset;      /* 0-based byte offset, -1 if unknown */
    char field[64];   /* field or column name the problem is in */
    char reason[256]; /* one sentence */
} ermes_diag_t;

/* Clears a diagnostic (offset to -1, strings empty). */
void ermes_diag_clear(ermes_diag_t *d);

/* Sets the field and the printf-style reason of d (d may be NULL: nothing happens). */
void ermes_diag_set(ermes_diag_t *d, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
