/* The list of feed parsers. A new parser: a file in src/intake/parsers/, a line here. */
#include "intake/parser.h"

#include <string.h>

extern const ermes__parser_def_t ermes__parser_shadowserver;
extern const ermes__parser_def_t ermes__parser_spamhaus_drop;
extern const ermes__parser_def_t ermes__parser_spamhaus_asndrop;
extern const ermes__parser_def_t ermes__parser_spamhaus_cert;
extern const ermes__parser_def_t ermes__parser_dshield_block;
extern const ermes__parser_def_t ermes__parser_dshield_asn;
extern const ermes__parser_def_t ermes__parser_dataplane;
extern const ermes__parser_def_t ermes__parser_blocklistde;
extern const ermes__parser_def_t ermes__parser_openphish;
extern const ermes__parser_def_t ermes__parser_openphish_commercial;
extern const ermes__parser_def_t ermes__parser_cymru_cap;
extern const ermes__parser_def_t ermes__parser_microsoft_ctip;
extern const ermes__parser_def_t ermes__parser_certeu_csv;
extern const ermes__parser_def_t ermes__parser_bambenek_c2_domains;
extern const ermes__parser_def_t ermes__parser_bambenek_c2_ips;
extern const ermes__parser_def_t ermes__parser_bambenek_dga;
extern const ermes__parser_def_t ermes__parser_zoneh;
extern const ermes__parser_def_t ermes__parser_misp_event;
extern const ermes__parser_def_t ermes__parser_generic_csv;
extern const ermes__parser_def_t ermes__parser_generic_json;
extern const ermes__parser_def_t ermes__parser_xarf;
extern const ermes__parser_def_t ermes__parser_arf;
extern const ermes__parser_def_t ermes__parser_threatfox;
extern const ermes__parser_def_t ermes__parser_fraunhofer_dga;
extern const ermes__parser_def_t ermes__parser_n6;

const ermes__parser_def_t *const ermes__parsers[] = {
    &ermes__parser_shadowserver,
    &ermes__parser_spamhaus_drop,
    &ermes__parser_spamhaus_asndrop,
    &ermes__parser_spamhaus_cert,
    &ermes__parser_dshield_block,
    &ermes__parser_dshield_asn,
    &ermes__parser_dataplane,
    &ermes__parser_blocklistde,
    &ermes__parser_openphish,
    &ermes__parser_cymru_cap,
    &ermes__parser_microsoft_ctip,
    &ermes__parser_certeu_csv,
    &ermes__parser_bambenek_c2_domains,
    &ermes__parser_bambenek_c2_ips,
    &ermes__parser_bambenek_dga,
    &ermes__parser_zoneh,
    &ermes__parser_misp_event,
    &ermes__parser_generic_csv,
    &ermes__parser_generic_json,
    &ermes__parser_xarf,
    &ermes__parser_arf,
    &ermes__parser_openphish_commercial,
    &ermes__parser_threatfox,
    &ermes__parser_fraunhofer_dga,
    &ermes__parser_n6,
    NULL,
};

const ermes__parser_def_t *ermes__parser_find(const char *name)
{
    for (size_t k = 0; ermes__parsers[k]; k++)
        if (strcmp(ermes__parsers[k]->name, name) == 0)
            return ermes__parsers[k];
    return NULL;
}

const char *ermes__parser_option(const ermes__report_info_t *info, const char *key)
{
    size_t n = strlen(key);

    if (!info || !info->options)
        return NULL;
    for (const char *const *o = info->options; *o; o++)
        if (strncmp(*o, key, n) == 0 && (*o)[n] == '=')
            return *o + n + 1;
    return NULL;
}
