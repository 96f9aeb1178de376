/* Fraunhofer FKIE DGArchive (https://dgarchive.caad.fkie.fraunhofer.de/today and similar
 * endpoints): one JSON object mapping each DGA family ("bamital_dga", ...) to the domains its
 * generator makes for the day. Each domain is a row: a c2-server event with the domain in
 * source.fqdn (source.ip when the generator made an address), the family without its "_dga"
 * suffix as malware.name and as given in extra.dga_family. The document is read whole (bounded
 * by the report size limit). */
#include "intake/parsers/feedparse.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

typedef struct dga {
    ermes__fp_feed_t feed;
    json_t *root;
    void *iter;  /* over the families */
    size_t elem; /* next domain of the current family */
    long row;
    char raw[1024];
    char family[256];
} dga_t;

static int dga_open(const ermes__report_info_t *info, const char *data, size_t len, void **state,
                    ermes_diag_t *d)
{
    dga_t *s;
    json_error_t err;
    int rc;

    if (!ermes__fp_starts_with_char(data, len, '{')) {
        ermes_diag_set(d, NULL, "not a DGArchive JSON object (it starts with '{')");
        return ERMES_EPARSE;
    }
    if (!(s = ermes__calloc(1, sizeof(*s))))
        return ERMES_ENOMEM;
    if (!(s->root = json_loadb(data, len, 0, &err)) || !json_is_object(s->root)) {
        ermes_diag_set(d, NULL, "not a DGArchive JSON object: %s",
                       s->root ? "not an object" : err.text);
        json_decref(s->root);
        ermes__free(s);
        return ERMES_EPARSE;
    }
    if ((rc = ermes__fp_feed_init(&s->feed, info, "Fraunhofer DGA", NULL, d))) {
        json_decref(s->root);
        ermes__free(s);
        return rc;
    }
    s->iter = json_object_iter(s->root);
    *state = s;
    return 0;
}

static int dga_next(void *state, ermes_event_t *ev, ermes__row_t *row, ermes_diag_t *d)
{
    dga_t *s = state;
    const char *family = NULL;
    json_t *dom = NULL;
    ermes__fp_str_t t, name;
    size_t n;
    int rc;

    while (s->iter && !dom) {
        json_t *arr = json_object_iter_value(s->iter);
        family = json_object_iter_key(s->iter);
        if (json_is_array(arr) && s->elem < json_array_size(arr)) {
            dom = json_array_get(arr, s->elem++);
        } else if (!json_is_array(arr) && s->elem == 0) {
            dom = arr; /* not a list: a row to reject */
            s->elem++;
        } else {
            s->iter = json_object_iter_next(s->root, s->iter);
            s->elem = 0;
        }
    }
    if (!dom)
        return 0;
    s->row++;
    snprintf(s->raw, sizeof(s->raw), "%s: %s", family,
             json_is_string(dom) ? json_string_value(dom) : "(not a string)");
    t.p = s->raw;
    t.len = strlen(s->raw);
    ermes__fp_row(row, d, s->row, t);
    if (!json_is_string(dom) || !json_string_length(dom))
        return ermes__fp_reject(d, "family %.64s: a domain is not a non-empty string", family);
    t.p = json_string_value(dom);
    t.len = json_string_length(dom);
    snprintf(s->family, sizeof(s->family), "%s", family);
    name.p = s->family;
    name.len = strlen(s->family);
    n = strlen("_dga");
    if (name.len > n && strcmp(s->family + name.len - n, "_dga") == 0)
        name.len -= n;
    if ((rc = ermes__fp_feed_apply(&s->feed, ev, d)) ||
        (rc = ermes__fp_setc(ev, ERMES_F_CLASSIFICATION_TYPE, "c2-server", d)) ||
        (rc =
             ermes__fp_set(ev, ermes__fp_is_ip(t) ? ERMES_F_SOURCE_IP : ERMES_F_SOURCE_FQDN, t, d)))
        return rc;
    if (name.len && (rc = ermes__fp_set(ev, ERMES_F_MALWARE_NAME, name, d)))
        return rc;
    t.p = s->family;
    t.len = strlen(s->family);
    if ((rc = ermes__fp_extra(ev, "dga_family", t, ERMES_EXTRA_STRING, d)))
        return rc;
    return 1;
}

static void dga_close(void *state)
{
    dga_t *s = state;

    if (!s)
        return;
    json_decref(s->root);
    ermes__free(s);
}

const ermes__parser_def_t ermes__parser_fraunhofer_dga = {
    "fraunhofer-dga", "Fraunhofer FKIE DGArchive (family -> [domain])", dga_open, dga_next,
    dga_close};
