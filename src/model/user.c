#include "model/user.h"

#include <string.h>

/* Indexed by ermes__role_t. */
static const char *const role_names[] = {"admin", "analyst", "constituent", "sensor"};
#define NROLES (sizeof(role_names) / sizeof(role_names[0]))

int ermes__role_parse(const char *s, ermes__role_t *out)
{
    for (unsigned k = 0; k < NROLES; k++)
        if (strcmp(s, role_names[k]) == 0) {
            *out = (ermes__role_t)k;
            return 0;
        }
    return ERMES_EINVAL;
}

const char *ermes__role_name(ermes__role_t r)
{
    return (unsigned)r < NROLES ? role_names[r] : "constituent";
}
