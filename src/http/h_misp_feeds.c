/* GET /feeds/misp/{group}/{file}: the MISP feed published for a sharing group
 * (src/sharing/misp_feed.h): manifest.json, hashes.csv and one <uuid>.json per event, for the
 * group's readers (a bearer token, or Basic NAME:TOKEN as a MISP instance or `ermes misp
 * import-feed http://NAME:TOKEN@host/feeds/misp/GROUP/` sends it), under the group's highest
 * TLP. */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "sharing/misp_feed.h"
#include "sharing/sharing_groups.h"

/* What the feed needs of its group, copied out of the store's callback. */
typedef struct feed_group {
    ermes__sharing_group_t g;
    char *readers, *member_tlp;
    char name[128];
    int found;
} feed_group_t;

static int group_cb(void *ctx, const ermes__sharing_group_t *g)
{
    feed_group_t *f = ctx;

    f->g = *g;
    f->readers = strdup(g->readers ? g->readers : "[]");
    f->member_tlp = strdup(g->member_tlp ? g->member_tlp : "{}");
    snprintf(f->name, sizeof(f->name), "%s", g->name ? g->name : "");
    f->g.readers = f->readers;
    f->g.member_tlp = f->member_tlp;
    f->g.name = f->name;
    f->g.collection_id = f->g.title = f->g.description = f->g.writers = f->g.selection = NULL;
    f->found = 1;
    return f->readers && f->member_tlp ? 1 : ERMES_ENOMEM; /* the first match */
}

enum MHD_Result ermes__h_misp_feed(ermes__req_t *req)
{
    feed_group_t f;
    char ref[128], file[64], *body = NULL;
    const char *type;
    size_t len = 0;
    enum MHD_Result ret;
    int rc;

    memset(&f, 0, sizeof(f));
    if (ermes__param(req, 0, ref, sizeof(ref)) || ermes__param(req, 1, file, sizeof(file)))
        return ermes__reply_error(req, 404, "not_found", NULL, "no such feed file");
    rc = ermes__store_sharing_group_each(req->srv->store, ref, group_cb, &f);
    if (rc < 0 && rc != ERMES_ENOTFOUND) {
        free(f.readers);
        free(f.member_tlp);
        return ermes__reply_failure(req, rc, NULL);
    }
    /* A group the caller may not read is answered as one that does not exist. */
    if (!f.found || !ermes__sharing_group_can(req->srv->store, &f.g, &req->viewer, 0)) {
        free(f.readers);
        free(f.member_tlp);
        return ermes__reply_error(req, 404, "not_found", NULL, "no MISP feed \"%s\"", ref);
    }
    rc = ermes__misp_feed_publish(req->srv->store, &req->viewer, f.g.max_tlp,
                                  ermes__sharing_group_grant(req->srv->store, &f.g, &req->viewer),
                                  file, &body, &len, &type);
    free(f.readers);
    free(f.member_tlp);
    if (rc == ERMES_ENOTFOUND)
        return ermes__reply_error(req, 404, "not_found", NULL,
                                  "a MISP feed has manifest.json, hashes.csv and <uuid>.json");
    if (rc)
        return ermes__reply_failure(req, rc, NULL);
    ret = ermes__reply_bytes(req, 200, type, body, len);
    free(body);
    return ret;
}
