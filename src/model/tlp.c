#include "ermes/tlp.h"

#include <strings.h>

#include "ermes/error.h"

static const char *const names[] = {"CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"};

int ermes_tlp_parse(const char *s, size_t len, ermes_tlp_t *out)
{
    if (len >= 4 && strncasecmp(s, "TLP:", 4) == 0) {
        s += 4;
        len -= 4;
    }
    for (int k = 0; k < 5; k++)
        if (len == __builtin_strlen(names[k]) && strncasecmp(s, names[k], len) == 0) {
            *out = (ermes_tlp_t)k;
            return 0;
        }
    /* TLP 1.0's WHITE became CLEAR in 2.0. */
    if (len == 5 && strncasecmp(s, "WHITE", 5) == 0) {
        *out = ERMES_TLP_CLEAR;
        return 0;
    }
    return ERMES_EINVAL;
}

const char *ermes_tlp_name(ermes_tlp_t tlp)
{
    return (unsigned)tlp < 5 ? names[tlp] : "RED";
}
