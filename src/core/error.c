/* The error table: ermes_strerror(), ermes_errname() and diagnostics. */
#include "ermes/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *ermes_strerror(int err)
{
    switch (err) {
#define ERMES__ERRMSG(name, code, msg)                                                             \
    case code:                                                                                     \
        return msg;
        ERMES_ERRORS(ERMES__ERRMSG)
#undef ERMES__ERRMSG
    }
    return "unknown error";
}

const char *ermes_errname(int err)
{
    switch (err) {
#define ERMES__ERRNAME(name, code, msg)                                                            \
    case code:                                                                                     \
        return #name;
        ERMES_ERRORS(ERMES__ERRNAME)
#undef ERMES__ERRNAME
    }
    return "UNKNOWN";
}

void ermes_diag_clear(ermes_diag_t *d)
{
    if (!d)
        return;
    /* The strings are read up to their NUL only: emptying them is enough, and the intake
     * clears one per row (the whole struct was half a kilobyte of memset each time). */
    d->source[0] = '\0';
    d->field[0] = '\0';
    d->reason[0] = '\0';
    d->line = 0;
    d->column = 0;
    d->offset = -1;
}

void ermes_diag_set(ermes_diag_t *d, const char *field, const char *fmt, ...)
{
    va_list ap;

    if (!d)
        return;
    if (field)
        snprintf(d->field, sizeof(d->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
}
