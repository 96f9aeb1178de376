/* Traffic Light Protocol 2.0 labels (FIRST, TLP version 2.0, August 2022). */
#ifndef ERMES_TLP_H
#define ERMES_TLP_H

#include <stddef.h>

/* Ordered from least to most restrictive. */
typedef enum ermes_tlp {
    ERMES_TLP_CLEAR = 0,    /* TLP:CLEAR  disclosure is not limited */
    ERMES_TLP_GREEN,        /* TLP:GREEN  the community: here, the whole constituency */
    ERMES_TLP_AMBER,        /* TLP:AMBER  the recipient organisation and its clients */
    ERMES_TLP_AMBER_STRICT, /* TLP:AMBER+STRICT  the recipient organisation only */
    ERMES_TLP_RED           /* TLP:RED  the named recipients only */
} ermes_tlp_t;

/* Parses "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", with or without the "TLP:" prefix,
 * case-insensitive. "WHITE" (TLP 1.0) is read as CLEAR. Returns 0 or ERMES_EINVAL. */
int ermes_tlp_parse(const char *s, size_t len, ermes_tlp_t *out);

/* "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"; never NULL. */
const char *ermes_tlp_name(ermes_tlp_t tlp);

#endif
