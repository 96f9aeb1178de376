#include "model/user.h"

#include <string.h>

static const char *const role_names[] = {"admin", "analyst", "constituent"};

int ermes__role_parse(const char *s, ermes_role_t *out)
{
    for (int k = 0; k < 3; k++)
        if (strcmp(s, role_names[k]) == 0) {
            *out = (ermes_role_t)k;
            return 0;
        }
    return ERMES_EINVAL;
}

const char *ermes__role_name(ermes_role_t r)
{
    return (unsigned)r < 3 ? role_names[r] : "constituent";
}
