/* Federation between ermes nodes and other TAXII 2.1 servers (federation.h). */
#include "sharing/federation.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/time.h"
#include "intake/collect.h"
#include "sharing/sharing_groups.h"
#include "sharing/stix.h"
#include "sharing/taxii_client.h"

#define STATUS_WAIT_MS 30000 /* how long a push follows a pending status resource */
#define PUSH_BATCH 1000      /* objects in one POST */
/* How long a peer's write may take to commit: its date_added is set when it starts, so a row
 * may become visible after later ones were served. The cursor stays this far behind the peer's
 * clock (its Date header) and what falls in between is asked again (and found a duplicate). */
#define COMMIT_MARGIN_MS 10000

/* A peer copied out of the store, for a round that outlives the callback. */
typedef struct peer_own {
    ermes__peer_t p;
    char name[ERMES__PEER_NAME_MAX + 1], url[ERMES__PEER_URL_MAX + 1], collection_id[129];
    char auth[8], credentials[ERMES__PEER_CREDENTIALS_MAX + 1], share_group[129];
    char local_user[129], added_after[40], last_error[512];
    int64_t ask_ms; /* the added_after the round asks with (ms), -1: none */
} peer_own_t;

static void copy_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static void peer_own(peer_own_t *o, const ermes__peer_t *p)
{
    o->p = *p;
    copy_text(o->name, sizeof(o->name), p->name);
    copy_text(o->url, sizeof(o->url), p->url);
    copy_text(o->collection_id, sizeof(o->collection_id), p->collection_id);
    copy_text(o->auth, sizeof(o->auth), p->auth);
    copy_text(o->credentials, sizeof(o->credentials), p->credentials);
    copy_text(o->share_group, sizeof(o->share_group), p->share_group);
    copy_text(o->local_user, sizeof(o->local_user), p->local_user);
    copy_text(o->added_after, sizeof(o->added_after), p->added_after);
    copy_text(o->last_error, sizeof(o->last_error), p->last_error);
    o->p.name = o->name;
    o->p.url = o->url;
    o->p.collection_id = o->collection_id;
    o->p.auth = o->auth;
    o->p.credentials = o->credentials;
    o->p.share_group = o->share_group;
    o->p.local_user = o->local_user;
    o->p.added_after = o->added_after;
    o->p.last_error = o->last_error;
}

static int own_cb(void *ctx, const ermes__peer_t *p)
{
    peer_own((peer_own_t *)ctx, p);
    return 1;
}

/* ---- configuration ------------------------------------------------------------------------ */

json_t *ermes__peer_to_json(const ermes__peer_t *p)
{
    char t[6][32];
    int64_t times[6] = {p->last_pull_at, p->last_push_at, p->next_at,
                        p->created_at,   p->updated_at,   0};
    json_t *j;

    for (int i = 0; i < 5; i++)
        if (times[i])
            ermes__time_format(times[i], t[i]);
    j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b,s:s?,s:s?,s:s,s:I,s:b,s:b}", "id", (json_int_t)p->id,
                  "name", p->name, "url", p->url, "collection", p->collection_id, "auth", p->auth,
                  "credentials_set", p->credentials && p->credentials[0], "share_group",
                  p->share_group && p->share_group[0] ? p->share_group : NULL, "local_user",
                  p->local_user && p->local_user[0] ? p->local_user : NULL, "max_tlp",
                  ermes_tlp_name(p->max_tlp), "interval", (json_int_t)p->interval_s, "pull",
                  p->pull, "push", p->push);
    if (!j)
        return NULL;
    json_object_set_new(
        j, "state",
        json_pack("{s:s?,s:s?,s:s?,s:s?,s:I,s:I,s:I,s:s?}", "added_after",
                  p->added_after && p->added_after[0] ? p->added_after : NULL, "last_pull_at",
                  p->last_pull_at ? t[0] : NULL, "last_push_at", p->last_push_at ? t[1] : NULL,
                  "next_at", p->next_at ? t[2] : NULL, "failures", (json_int_t)p->failures,
                  "pulled", (json_int_t)p->pulled, "pushed", (json_int_t)p->pushed, "last_error",
                  p->last_error && p->last_error[0] ? p->last_error : NULL));
    json_object_set_new(j, "tlp", json_string(ermes_tlp_name(p->tlp)));
    if (p->owner_org_id)
        json_object_set_new(j, "owner_org_id", json_integer(p->owner_org_id));
    else
        json_object_set_new(j, "owner_org_id", json_null());
    json_object_set_new(j, "created_at", json_string(t[3]));
    json_object_set_new(j, "updated_at", json_string(t[4]));
    return j;
}

/* 1 if s (len bytes) is made of characters safe in a name or a URL path segment. */
static int plain(const char *s, size_t len, int dots)
{
    if (!len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || (dots && c == '.')))
            return 0;
    }
    return 1;
}

/* The text member key of body into *out (borrowed), checked; 1 when present, 0 when absent,
 * ERMES_EINVAL. */
static int text_member(const json_t *body, const char *key, size_t max, const char **out,
                       ermes_diag_t *d)
{
    const json_t *v = json_object_get(body, key);

    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        ermes_diag_set(d, key, "a text of at most %zu bytes", max);
        return ERMES_EINVAL;
    }
    *out = json_string_value(v);
    return 1;
}

/* Applies body's members to p (strings borrowed from body) and checks the whole. *reset is
 * set when where the peer is changed. */
static int peer_apply(ermes__peer_t *p, const json_t *body, int *reset, ermes_diag_t *d)
{
    const char *s = NULL;
    const json_t *v;
    int rc;

    if (!json_is_object(body)) {
        ermes_diag_set(d, NULL, "a JSON object");
        return ERMES_EINVAL;
    }
    {
        /* Unknown members are refused, so a misspelt one is not silently ignored. */
        const char *k;
        json_t *x;
        static const char *const known[] = {"name",        "url",         "collection", "auth",
                                            "credentials", "share_group", "local_user", "max_tlp",
                                            "interval",    "pull",        "push",       NULL};
        json_object_foreach((json_t *)body, k, x)
        {
            int ok = 0;
            (void)x;
            for (size_t i = 0; known[i] && !ok; i++)
                ok = !strcmp(k, known[i]);
            if (!ok) {
                ermes_diag_set(d, k, "unknown member");
                return ERMES_EINVAL;
            }
        }
    }
    if ((rc = text_member(body, "name", ERMES__PEER_NAME_MAX, &p->name, d)) < 0)
        return rc;
    if ((rc = text_member(body, "url", ERMES__PEER_URL_MAX, &s, d)) < 0)
        return rc;
    if (rc) {
        *reset = *reset || !p->url || strcmp(p->url, s) != 0;
        p->url = s;
    }
    if ((rc = text_member(body, "collection", 128, &s, d)) < 0)
        return rc;
    if (rc) {
        *reset = *reset || !p->collection_id || strcmp(p->collection_id, s) != 0;
        p->collection_id = s;
    }
    if ((rc = text_member(body, "auth", 8, &p->auth, d)) < 0)
        return rc;
    if ((rc = text_member(body, "credentials", ERMES__PEER_CREDENTIALS_MAX, &p->credentials, d)) <
        0)
        return rc;
    if ((rc = text_member(body, "share_group", 128, &p->share_group, d)) < 0)
        return rc;
    if ((rc = text_member(body, "local_user", 128, &p->local_user, d)) < 0)
        return rc;
    if ((rc = text_member(body, "max_tlp", 16, &s, d)) < 0)
        return rc;
    if (rc && ermes_tlp_parse(s, strlen(s), &p->max_tlp)) {
        ermes_diag_set(d, "max_tlp", "CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
        return ERMES_EINVAL;
    }
    if ((v = json_object_get(body, "interval"))) {
        if (!json_is_integer(v) || json_integer_value(v) < ERMES__PEER_INTERVAL_MIN ||
            json_integer_value(v) > ERMES__PEER_INTERVAL_MAX) {
            ermes_diag_set(d, "interval", "seconds, from %d to %d", ERMES__PEER_INTERVAL_MIN,
                           ERMES__PEER_INTERVAL_MAX);
            return ERMES_EINVAL;
        }
        p->interval_s = (long)json_integer_value(v);
    }
    if ((v = json_object_get(body, "pull"))) {
        if (!json_is_boolean(v)) {
            ermes_diag_set(d, "pull", "true or false");
            return ERMES_EINVAL;
        }
        p->pull = json_is_true(v);
    }
    if ((v = json_object_get(body, "push"))) {
        if (!json_is_boolean(v)) {
            ermes_diag_set(d, "push", "true or false");
            return ERMES_EINVAL;
        }
        p->push = json_is_true(v);
    }
    /* The whole. */
    if (!p->name || !plain(p->name, strlen(p->name), 1)) {
        ermes_diag_set(d, "name", "required: letters, digits, '.', '-' and '_'");
        return ERMES_EINVAL;
    }
    if (!p->url || (strncmp(p->url, "https://", 8) != 0 && strncmp(p->url, "http://", 7) != 0)) {
        ermes_diag_set(d, "url", "required: the peer's TAXII API root, http:// or https://");
        return ERMES_EINVAL;
    }
    {
        CURLU *u = curl_url();
        int bad = !u || curl_url_set(u, CURLUPART_URL, p->url, 0) != CURLUE_OK ||
                  strpbrk(p->url, "?# \t\r\n") != NULL;
        curl_url_cleanup(u);
        if (bad) {
            ermes_diag_set(d, "url", "not a URL without query or fragment");
            return ERMES_EINVAL;
        }
    }
    if (!p->collection_id || !plain(p->collection_id, strlen(p->collection_id), 1)) {
        ermes_diag_set(d, "collection", "required: the peer's collection id");
        return ERMES_EINVAL;
    }
    if (!p->auth)
        p->auth = p->credentials && p->credentials[0] ? "token" : "none";
    if (strcmp(p->auth, "none") != 0 && strcmp(p->auth, "token") != 0 &&
        strcmp(p->auth, "basic") != 0) {
        ermes_diag_set(d, "auth", "none, token (bearer) or basic");
        return ERMES_EINVAL;
    }
    if (p->credentials && strpbrk(p->credentials, "\r\n")) {
        ermes_diag_set(d, "credentials", "one line");
        return ERMES_EINVAL;
    }
    if (strcmp(p->auth, "none") != 0 && (!p->credentials || !p->credentials[0])) {
        ermes_diag_set(d, "credentials", "required with auth %s", p->auth);
        return ERMES_EINVAL;
    }
    if (!strcmp(p->auth, "basic") && !strchr(p->credentials, ':')) {
        ermes_diag_set(d, "credentials", "USER:PASSWORD with auth basic");
        return ERMES_EINVAL;
    }
    if (p->push && (!p->share_group || !p->share_group[0])) {
        ermes_diag_set(d, "share_group", "required to push: the local sharing group to send");
        return ERMES_EINVAL;
    }
    if (p->interval_s <= 0)
        p->interval_s = 300;
    return 0;
}

static void peer_defaults(ermes__peer_t *p)
{
    memset(p, 0, sizeof(*p));
    p->max_tlp = ERMES_TLP_AMBER;
    p->interval_s = 300;
    p->pull = 1;
}

int ermes__peer_body_check(const json_t *body, ermes_diag_t *d)
{
    ermes__peer_t p;
    int reset = 0;

    peer_defaults(&p);
    return peer_apply(&p, body, &reset, d);
}

static int group_exists_cb(void *ctx, const ermes__sharing_group_t *g)
{
    (void)ctx;
    (void)g;
    return 1;
}

static int check_group(ermes__store_t *st, const ermes__peer_t *p, ermes_diag_t *d)
{
    int rc;

    if (!p->share_group || !p->share_group[0])
        return 0;
    rc = ermes__store_sharing_group_each(st, p->share_group, group_exists_cb, NULL);
    if (rc == ERMES_ENOTFOUND) {
        ermes_diag_set(d, "share_group", "no sharing group \"%.128s\"", p->share_group);
        return ERMES_EINVAL;
    }
    return rc < 0 ? rc : 0;
}

int ermes__peer_create(ermes__store_t *st, const ermes__viewer_t *v, const json_t *body,
                       int64_t *id, ermes_diag_t *d)
{
    ermes__peer_t p;
    int reset = 0, rc;

    peer_defaults(&p);
    if ((rc = peer_apply(&p, body, &reset, d)) || (rc = check_group(st, &p, d)))
        return rc;
    p.owner_org_id = v ? v->org_id : 0;
    if (!p.owner_org_id)
        ermes__store_home_org(st, &p.owner_org_id);
    rc = ermes__store_peer_put(st, &p);
    if (rc == ERMES_EEXISTS)
        ermes_diag_set(d, "name", "a peer \"%s\" exists", p.name);
    if (!rc)
        *id = p.id;
    return rc;
}

int ermes__peer_update(ermes__store_t *st, const char *key, const json_t *body, ermes_diag_t *d)
{
    peer_own_t *o = ermes__calloc(1, sizeof(*o));
    int reset = 0, rc;

    if (!o)
        return ERMES_ENOMEM;
    rc = ermes__store_peer_each(st, key, own_cb, o);
    if (rc >= 0)
        rc = 0;
    if (!rc && (rc = peer_apply(&o->p, body, &reset, d)) == 0 &&
        (rc = check_group(st, &o->p, d)) == 0) {
        rc = ermes__store_peer_update(st, &o->p, reset);
        if (rc == ERMES_EEXISTS)
            ermes_diag_set(d, "name", "a peer \"%s\" exists", o->p.name);
    }
    ermes__free(o);
    return rc;
}

/* ---- a round ------------------------------------------------------------------------------ */

static int stopped(const int *stop)
{
    return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE);
}

/* An error of the peer's: the round stops with it (-1). */
static int fail(ermes__peer_round_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(ermes__peer_round_t *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    return -1;
}

/* The peer's error resource's title, for the reason of a failure (into buf). */
static const char *error_title(const ermes__taxii_response_t *resp, char *buf, size_t cap)
{
    json_t *doc = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, NULL);
    const char *t = json_string_value(json_object_get(doc, "title"));

    snprintf(buf, cap, "%.200s", t ? t : "");
    /* Printable characters only: it goes to the log and the API. */
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    json_decref(doc);
    return buf;
}

/* Keeps the cursor at least COMMIT_MARGIN_MS behind the peer's now (but never moves it back
 * past where the round started). */
static void clamp_cursor(peer_own_t *o, int64_t peer_now)
{
    int64_t at, safe = peer_now - COMMIT_MARGIN_MS;

    if (!o->added_after[0] ||
        ermes__time_parse(o->added_after, strlen(o->added_after), &at, NULL) || at <= safe)
        return;
    if (o->ask_ms >= 0 && safe < o->ask_ms)
        safe = o->ask_ms;
    ermes__time_format(safe, o->added_after);
}

static int pull(ermes__store_t *st, peer_own_t *o, ermes__taxii_client_t *tc, const int *stop,
                ermes__peer_round_t *r)
{
    ermes__taxii_response_t resp;
    ermes__stix_import_opts_t io;
    ermes__viewer_t viewer;
    ermes__strbuf_t path;
    char next[ERMES__TAXII_NEXT_MAX], source[ERMES__PEER_NAME_MAX + 8], title[256];
    char ask[40], prev_last[40] = "";
    ermes_diag_t d;
    int64_t home = 0;
    int rc = 0, more = 1, cut = 0;

    ermes__store_home_org(st, &home);
    memset(&viewer, 0, sizeof(viewer));
    viewer.user_name = "federation";
    viewer.role = ERMES_ROLE_ADMIN;
    viewer.org_id = home;
    viewer.remote = "federation";
    snprintf(source, sizeof(source), "peer:%s", o->name);
    memset(&io, 0, sizeof(io));
    io.viewer = &viewer;
    /* What the peer does not mark is taken at the highest TLP it may send: the cautious
     * reading. */
    io.default_tlp = o->p.max_tlp;
    io.max_tlp = o->p.max_tlp;
    io.source = source;
    ermes__taxii_response_init(&resp);
    ermes__strbuf_init(&path, 8192);
    next[0] = '\0';
    copy_text(ask, sizeof(ask), o->added_after);
    if (!ask[0] || ermes__time_parse(ask, strlen(ask), &o->ask_ms, NULL))
        o->ask_ms = -1;
    for (long page = 0; more && page < ERMES__TAXII_PAGES_MAX; page++) {
        json_t *objects = NULL;
        ermes__stix_import_result_t res;
        long got;
        char *esc;

        if (stopped(stop)) {
            rc = fail(r, "pull: stopped");
            break;
        }
        ermes__strbuf_reset(&path);
        rc = ermes__strbuf_addf(&path, "collections/%s/objects/?limit=%d", o->collection_id,
                                ERMES__TAXII_PAGE);
        if (!rc && ask[0]) {
            /* The same added_after on every page of the round: next says where in it. */
            esc = curl_easy_escape(NULL, ask, 0);
            rc = !esc || ermes__strbuf_addf(&path, "&added_after=%s", esc) ? ERMES_ENOMEM : 0;
            curl_free(esc);
        }
        if (!rc && next[0]) {
            esc = curl_easy_escape(NULL, next, 0);
            rc = !esc || ermes__strbuf_addf(&path, "&next=%s", esc) ? ERMES_ENOMEM : 0;
            curl_free(esc);
        }
        if (rc)
            break;
        ermes_diag_clear(&d);
        if ((rc = ermes__taxii_request(tc, path.data, NULL, 0, &resp, &d))) {
            rc = fail(r, "pull: %s", d.reason);
            break;
        }
        if (resp.status != 200) {
            rc =
                fail(r, "pull: HTTP %ld %s", resp.status, error_title(&resp, title, sizeof(title)));
            break;
        }
        ermes_diag_clear(&d);
        if (ermes__taxii_envelope_read(resp.body.data, resp.body.len, &objects, &more, next,
                                       sizeof(next), &d)) {
            rc = fail(r, "pull: not a TAXII envelope: %s", d.reason);
            break;
        }
        if (more && !next[0]) {
            /* TAXII 2.1 section 3.7: more without next cannot be followed; the next round
             * asks again from the cursor kept. */
            more = 0;
            cut = 1;
        }
        if (json_array_size(objects) > ERMES__STIX_BUNDLE_MAX) {
            json_decref(objects);
            rc = fail(r, "pull: more than %d objects in one page", ERMES__STIX_BUNDLE_MAX);
            break;
        }
        got = (long)json_array_size(objects);
        ermes__stix_import_result_init(&res);
        rc = ermes__stix_import_objects(st, objects, &io, &res);
        r->pages++;
        r->received += (long)json_array_size(objects);
        r->stored += (long)res.stored;
        r->duplicates += (long)res.duplicates;
        r->failed += (long)res.failed;
        r->indicators += (long)res.indicators;
        json_decref(objects);
        ermes__stix_import_result_cleanup(&res);
        if (rc)
            break;
        o->p.pulled += got;
        o->p.last_pull_at = ermes__time_now_ms();
        /* The cursor: the pages come in date_added order, so everything added before this
         * page's first object is in. Objects sharing a date_added may straddle two pages, so
         * the previous page's last is kept only when it is older than this page's first, and
         * this page's last only at the real end; a round cut short resumes from there (what
         * is taken twice is a duplicate, never a loss). */
        if (resp.added_first[0] && resp.added_last[0]) {
            int64_t first_ms, prev_ms;
            if (!more && !cut)
                copy_text(o->added_after, sizeof(o->added_after), resp.added_last);
            else if (prev_last[0] &&
                     !ermes__time_parse(prev_last, strlen(prev_last), &prev_ms, NULL) &&
                     !ermes__time_parse(resp.added_first, strlen(resp.added_first), &first_ms,
                                        NULL) &&
                     prev_ms < first_ms)
                copy_text(o->added_after, sizeof(o->added_after), prev_last);
            copy_text(prev_last, sizeof(prev_last), resp.added_last);
            clamp_cursor(o, resp.date_ms ? resp.date_ms : ermes__time_now_ms());
        }
        if ((rc = ermes__store_peer_state(st, &o->p)))
            break;
    }
    if (!rc)
        o->p.last_pull_at = ermes__time_now_ms();
    ermes__strbuf_cleanup(&path);
    ermes__taxii_response_cleanup(&resp);
    return rc;
}

/* ---- push --------------------------------------------------------------------------------- */

typedef struct push_ctx {
    ermes__strbuf_t env;
    const char *skip1, *skip2; /* sources not sent back: "peer:NAME", "taxii:USER" */
    long n;
    int64_t last_added, last_id;
} push_ctx_t;

static int push_cb(void *ctx, const ermes__stix_row_t *row)
{
    push_ctx_t *c = ctx;
    int rc;

    c->last_added = row->date_added;
    c->last_id = row->id;
    /* Loop prevention: what came from the peer does not go back to it. */
    if (row->source && ((c->skip1 && !strcmp(row->source, c->skip1)) ||
                        (c->skip2 && !strcmp(row->source, c->skip2))))
        return 0;
    if ((rc = ermes__strbuf_adds(&c->env, c->n ? "," : "")) ||
        (rc = ermes__strbuf_adds(&c->env, row->object)))
        return rc;
    c->n++;
    return 0;
}

static int group_cb(void *ctx, const ermes__sharing_group_t *g)
{
    ermes__sharing_group_t *out = ctx;

    *out = *g;
    out->name = out->collection_id = out->title = out->description = out->writers = NULL;
    /* What the policy asks of the group for the peer's account: who reads it, what its
     * members are granted, what it selects. NULL members are read as empty. */
    out->readers = g->readers ? strdup(g->readers) : NULL;
    out->member_tlp = g->member_tlp ? strdup(g->member_tlp) : NULL;
    out->selection = strdup(g->selection ? g->selection : "{}");
    return 1;
}

static void free_group(ermes__sharing_group_t *g)
{
    free((char *)g->readers);
    free((char *)g->member_tlp);
    free((char *)g->selection);
    g->readers = g->member_tlp = g->selection = NULL;
}

/* The viewer the push reads for peer o, and the grant g gives it: the peer's account here
 * (local_user), exactly as the TAXII server would see that account pull from g, so that
 * what is pushed and what the peer could pull are the same objects (named recipients, owner
 * organisation, member_tlp). A peer without an account here is a member of the community with
 * no organisation (CLEAR and GREEN under the cap). 0, -1 (the peer's failure, in r: its
 * account is unknown, disabled or may not read g), or a store error. */
static int peer_viewer(ermes__store_t *st, const peer_own_t *o, const ermes__sharing_group_t *g,
                       ermes__viewer_t *v, ermes__user_t *u, int *grant, ermes__peer_round_t *r)
{
    int rc;

    memset(v, 0, sizeof(*v));
    v->remote = "federation";
    *grant = -1;
    if (!o->local_user[0]) {
        v->user_name = o->name;
        v->role = ERMES_ROLE_CONSTITUENT;
        return 0;
    }
    memset(u, 0, sizeof(*u));
    rc = ermes__store_user_get(st, 0, o->local_user, u);
    if (rc == ERMES_ENOTFOUND)
        return fail(r, "push: no local user \"%.64s\" (the peer's account)", o->local_user);
    if (rc < 0)
        return rc;
    if (u->disabled)
        return fail(r, "push: the peer's account \"%.64s\" is disabled", o->local_user);
    v->user_id = u->id;
    v->user_name = u->name;
    v->role = u->role;
    v->org_id = u->org_id;
    if (!ermes__sharing_group_can(st, g, v, 0))
        return fail(r, "push: the peer's account \"%.64s\" may not read sharing group \"%.128s\"",
                    o->local_user, o->share_group);
    *grant = ermes__sharing_group_grant(st, g, v);
    return 0;
}

/* Follows the status resource of a POST until it is complete (or STATUS_WAIT_MS passed). */
static int follow_status(ermes__taxii_client_t *tc, const ermes__taxii_response_t *posted,
                         const int *stop, long *successes, long *failures, char *why, size_t cap)
{
    ermes__taxii_response_t resp;
    json_t *doc = json_loadb(posted->body.data ? posted->body.data : "", posted->body.len, 0, NULL);
    const char *sid = json_string_value(json_object_get(doc, "id"));
    int64_t until = ermes__time_now_ms() + STATUS_WAIT_MS;
    long pendings = 0;
    int complete = 0, rc;
    ermes_diag_t d;

    ermes_diag_clear(&d);
    rc = ermes__taxii_status_read(posted->body.data, posted->body.len, &complete, successes,
                                  failures, &pendings, &d);
    if (rc || !sid || !plain(sid, strlen(sid), 1)) {
        snprintf(why, cap, "push: the answer is not a status resource");
        json_decref(doc);
        return -1;
    }
    ermes__taxii_response_init(&resp);
    while (!complete && !stopped(stop) && ermes__time_now_ms() < until) {
        char path[256];
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        snprintf(path, sizeof(path), "status/%s/", sid);
        ermes_diag_clear(&d);
        if (ermes__taxii_request(tc, path, NULL, 0, &resp, &d) || resp.status != 200 ||
            ermes__taxii_status_read(resp.body.data, resp.body.len, &complete, successes, failures,
                                     &pendings, &d)) {
            snprintf(why, cap, "push: status %s: %s", sid, d.reason[0] ? d.reason : "unreadable");
            rc = -1;
            break;
        }
    }
    if (!rc && !complete) {
        snprintf(why, cap, "push: status %s still pending", sid);
        rc = -1;
    }
    ermes__taxii_response_cleanup(&resp);
    json_decref(doc);
    return rc;
}

static int push(ermes__store_t *st, peer_own_t *o, ermes__taxii_client_t *tc, const int *stop,
                ermes__peer_round_t *r)
{
    ermes__sharing_group_t g;
    ermes__taxii_response_t resp;
    ermes__viewer_t viewer;
    ermes__user_t user;
    push_ctx_t pc;
    json_t *sel = NULL;
    char skip1[ERMES__PEER_NAME_MAX + 8], skip2[160], path[256], title[256];
    int rc, more = 1, none = 0, grant = -1;

    memset(&g, 0, sizeof(g));
    rc = ermes__store_sharing_group_each(st, o->share_group, group_cb, &g);
    if (rc == ERMES_ENOTFOUND)
        return fail(r, "push: no sharing group \"%.128s\"", o->share_group);
    if (rc < 0)
        return rc;
    sel = json_loads(g.selection ? g.selection : "{}", 0, NULL);
    /* The peer reads what the TAXII server would give its account: the same policy, masks
     * and grant (named recipient, owner, member_tlp), or nothing when it may not read. */
    if ((rc = peer_viewer(st, o, &g, &viewer, &user, &grant, r)) != 0) {
        json_decref(sel);
        free_group(&g);
        return rc;
    }
    if ((rc = ermes__stix_publish(st))) {
        json_decref(sel);
        free_group(&g);
        return rc;
    }
    snprintf(skip1, sizeof(skip1), "peer:%s", o->name);
    snprintf(skip2, sizeof(skip2), "taxii:%s", o->local_user);
    snprintf(path, sizeof(path), "collections/%s/objects/", o->collection_id);
    ermes__taxii_response_init(&resp);
    memset(&pc, 0, sizeof(pc));
    ermes__strbuf_init(&pc.env, ERMES__TAXII_RESPONSE_MAX);
    pc.skip1 = skip1;
    pc.skip2 = o->local_user[0] ? skip2 : NULL;
    while (more && !rc) {
        ermes__stix_filter_t f;
        long successes = 0, failures = 0;
        ermes_diag_t d;

        if (stopped(stop)) {
            rc = fail(r, "push: stopped");
            break;
        }
        memset(&f, 0, sizeof(f));
        f.added_after = -1;
        f.after_added = o->p.push_after_added;
        f.after_id = o->p.push_after_id;
        f.versions = ERMES__STIX_VERSION_ALL;
        f.limit = PUSH_BATCH;
        ermes__sharing_group_filter(&g, sel, &viewer, grant, &f, &none);
        if (none)
            break;
        ermes__strbuf_reset(&pc.env);
        pc.n = 0;
        pc.last_added = 0;
        if ((rc = ermes__strbuf_adds(&pc.env, "{\"objects\":[")) ||
            (rc = ermes__store_stix_each(st, &f, push_cb, &pc, &more)) ||
            (rc = ermes__strbuf_adds(&pc.env, "]}")))
            break;
        if (pc.n) {
            ermes_diag_clear(&d);
            if (ermes__taxii_request(tc, path, pc.env.data, pc.env.len, &resp, &d)) {
                rc = fail(r, "push: %s", d.reason);
                break;
            }
            if (resp.status != 202 && resp.status != 200) {
                rc = fail(r, "push: HTTP %ld %s", resp.status,
                          error_title(&resp, title, sizeof(title)));
                break;
            }
            if (follow_status(tc, &resp, stop, &successes, &failures, r->error, sizeof(r->error))) {
                rc = -1;
                break;
            }
            r->pushed += successes;
            r->push_failures += failures;
            o->p.pushed += successes;
        }
        if (pc.last_added) {
            o->p.push_after_added = pc.last_added;
            o->p.push_after_id = pc.last_id;
            o->p.last_push_at = ermes__time_now_ms();
            if ((rc = ermes__store_peer_state(st, &o->p)))
                break;
        }
    }
    if (!rc)
        o->p.last_push_at = ermes__time_now_ms();
    ermes__strbuf_cleanup(&pc.env);
    ermes__taxii_response_cleanup(&resp);
    json_decref(sel);
    free_group(&g);
    return rc;
}

int ermes__peer_sync(ermes__store_t *st, const char *key, const int *stop, ermes__peer_round_t *r)
{
    peer_own_t *o = ermes__calloc(1, sizeof(*o));
    ermes__taxii_client_t *tc = NULL;
    int rc;

    memset(r, 0, sizeof(*r));
    if (!o)
        return ERMES_ENOMEM;
    rc = ermes__store_peer_each(st, key, own_cb, o);
    if (rc < 0)
        goto out;
    if ((rc = ermes__taxii_client_new(o->url, o->auth, o->credentials, stop, &tc)))
        goto out;
    if (o->p.pull)
        rc = pull(st, o, tc, stop, r);
    if (rc >= 0 && o->p.push)
        rc = push(st, o, tc, stop, r);
    if (rc > 0)
        rc = 0;
    if (rc == -1) {
        /* The peer's failure: kept in its state, retried after the back-off. */
        o->p.failures++;
        copy_text(o->last_error, sizeof(o->last_error), r->error);
        rc = 0;
    } else if (rc == 0) {
        o->p.failures = 0;
        o->last_error[0] = '\0';
    } else {
        snprintf(r->error, sizeof(r->error), "%s", ermes_strerror(rc));
        o->p.failures++;
        copy_text(o->last_error, sizeof(o->last_error), r->error);
    }
    o->p.next_at = ermes__time_now_ms() + ermes__collect_delay_ms(o->p.interval_s, o->p.failures);
    {
        int src = ermes__store_peer_state(st, &o->p);
        if (!rc)
            rc = src;
    }
out:
    ermes__taxii_client_free(tc);
    ermes__free(o);
    return rc;
}

/* ---- the scheduler ------------------------------------------------------------------------ */

struct ermes__federation {
    ermes__store_t *store;
    pthread_t thread;
    int stop; /* atomic */
};

typedef struct due_ctx {
    char names[64][ERMES__PEER_NAME_MAX + 1];
    size_t n;
    int64_t now;
} due_ctx_t;

static int due_cb(void *ctx, const ermes__peer_t *p)
{
    due_ctx_t *c = ctx;

    if ((p->pull || p->push) && p->next_at <= c->now && c->n < 64)
        copy_text(c->names[c->n++], sizeof(c->names[0]), p->name);
    return 0;
}

static void *federation_main(void *arg)
{
    ermes__federation_t *f = arg;

    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        due_ctx_t *due = ermes__calloc(1, sizeof(*due));
        struct timespec ts = {0, 250 * 1000000L}; /* a due peer waits at most this */

        if (due) {
            due->now = ermes__time_now_ms();
            if (ermes__store_peer_each(f->store, NULL, due_cb, due) < 0)
                due->n = 0;
            for (size_t i = 0; i < due->n && !__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE); i++) {
                char lease[ERMES__PEER_NAME_MAX + 8];
                ermes__peer_round_t r;
                int held = 0, rc;
                /* One daemon at a time pulls from a peer. */
                snprintf(lease, sizeof(lease), "peer:%s", due->names[i]);
                if (ermes__store_lease_take(f->store, lease, &held) || !held)
                    continue;
                rc = ermes__peer_sync(f->store, due->names[i], &f->stop, &r);
                if (rc)
                    ermes__log(ERMES_LOG_WARNING, "peer %s: %s", due->names[i], ermes_strerror(rc));
                else if (r.error[0])
                    ermes__log(ERMES_LOG_WARNING, "peer %s: %s", due->names[i], r.error);
                else if (r.stored || r.pushed)
                    ermes__log(ERMES_LOG_INFO, "peer %s: %ld received, %ld new, %ld pushed",
                               due->names[i], r.received, r.stored, r.pushed);
            }
            ermes__free(due);
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int ermes__federation_start(ermes__store_t *st, ermes__federation_t **out)
{
    ermes__federation_t *f = ermes__calloc(1, sizeof(*f));

    *out = NULL;
    if (!f)
        return ERMES_ENOMEM;
    f->store = st;
    if (pthread_create(&f->thread, NULL, federation_main, f) != 0) {
        ermes__free(f);
        return ERMES_EINTERNAL;
    }
    *out = f;
    return 0;
}

void ermes__federation_stop(ermes__federation_t *f)
{
    if (!f)
        return;
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    pthread_join(f->thread, NULL);
    ermes__free(f);
}
