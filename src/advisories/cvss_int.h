/* Internals shared by the CVSS files: the 4.0 MacroVector table (cvss4_lookup.c). */
#ifndef ERMES_ADVISORIES_CVSS_INT_H
#define ERMES_ADVISORIES_CVSS_INT_H

#include <stdint.h>

#include "ermes/cvss.h"

extern const int8_t ermes__cvss4_lookup[324];

#endif
