/* TLP markings in STIX 2.1, and STIX timestamps as version keys. */
#include "sharing/stix.h"

#include <ctype.h>
#include <string.h>

static const struct {
    const char *id;
    ermes_tlp_t tlp;
    const char *name, *value;
} tlp2[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", ERMES_TLP_CLEAR, "TLP:CLEAR",
     "clear"},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", ERMES_TLP_GREEN, "TLP:GREEN",
     "green"},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", ERMES_TLP_AMBER, "TLP:AMBER",
     "amber"},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", ERMES_TLP_AMBER_STRICT,
     "TLP:AMBER+STRICT", "amber+strict"},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", ERMES_TLP_RED, "TLP:RED", "red"},
};

/* STIX 2.1 section 7.2.1.4: TLP 1.0's four marking definitions. */
static const struct {
    const char *id;
    ermes_tlp_t tlp;
} tlp1[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", ERMES_TLP_CLEAR}, /* WHITE */
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", ERMES_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", ERMES_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", ERMES_TLP_RED},
};

int ermes__stix_marking_tlp(const char *id, ermes_tlp_t *out)
{
    for (size_t i = 0; i < sizeof(tlp2) / sizeof(tlp2[0]); i++)
        if (!strcmp(id, tlp2[i].id)) {
            *out = tlp2[i].tlp;
            return 0;
        }
    for (size_t i = 0; i < sizeof(tlp1) / sizeof(tlp1[0]); i++)
        if (!strcmp(id, tlp1[i].id)) {
            *out = tlp1[i].tlp;
            return 0;
        }
    return ERMES_ENOTFOUND;
}

const char *ermes__stix_marking_id(ermes_tlp_t tlp)
{
    return (unsigned)tlp <= ERMES_TLP_RED ? tlp2[tlp].id : tlp2[ERMES_TLP_RED].id;
}

json_t *ermes__stix_marking_object(ermes_tlp_t tlp)
{
    unsigned k = (unsigned)tlp <= ERMES_TLP_RED ? (unsigned)tlp : ERMES_TLP_RED;

    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:{s:s,s:s}}}", "type", "marking-definition",
                     "spec_version", "2.1", "id", tlp2[k].id, "created", "2022-10-01T00:00:00.000Z",
                     "name", tlp2[k].name, "extensions", ERMES__TLP2_EXTENSION, "extension_type",
                     "property-extension", "tlp_2_0", tlp2[k].value);
}

int ermes__stix_version_key(const char *ts, char key[32])
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i, k;

    if (!ts || strlen(ts) < sizeof(shape))
        return ERMES_EPARSE;
    for (i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)ts[i]) : ts[i] != shape[i])
            return ERMES_EPARSE;
    }
    memcpy(key, ts, i);
    key[i] = '.';
    k = i + 1;
    if (ts[i] == '.') {
        i++;
        if (!isdigit((unsigned char)ts[i]))
            return ERMES_EPARSE;
        while (isdigit((unsigned char)ts[i])) {
            if (k < 29)
                key[k++] = ts[i];
            i++;
        }
    }
    if (ts[i] != 'Z' || ts[i + 1] != '\0')
        return ERMES_EPARSE;
    while (k < 29)
        key[k++] = '0';
    key[k++] = 'Z';
    key[k] = '\0';
    return 0;
}
