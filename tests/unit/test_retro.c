/* Tests of the retro-hunt (src/detect/retro.c) and its literal prefilter (prefilter.c): an
 * archive of plain, gzip and zstd files, exact sightings with their offsets, the same answers
 * with and without the prefilter, progress, failures and cancellation. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "ermes/detect.h"

#define MAX_SEEN 256

typedef struct seen {
    char source[256];
    char value[160];
    char indicator[160];
    int64_t offset;
    long line;
} seen_t;

typedef struct sink {
    seen_t s[MAX_SEEN];
    int n;
    ermes_retro_t *cancel_job; /* cancelled at the first sighting */
    int fail;
} sink_t;

static int sink_cb(void *ctx, const ermes_detect_hit_t *s)
{
    sink_t *k = ctx;
    seen_t *e;

    if (k->fail)
        return -1;
    if (k->cancel_job)
        ermes_retro_cancel(k->cancel_job);
    if (k->n == MAX_SEEN)
        return 0;
    e = &k->s[k->n++];
    snprintf(e->source, sizeof(e->source), "%s", s->source);
    snprintf(e->value, sizeof(e->value), "%.*s", (int)s->value_len, s->value);
    ermes_matcher_value(s->matcher, s->indicator, e->indicator, sizeof(e->indicator));
    e->offset = s->offset;
    e->line = s->line;
    return 0;
}

static ermes_matcher_t *build(const char *const *values)
{
    ermes_indicator_set_t *set;
    ermes_matcher_t *m;

    assert_int_equal(ermes_indicator_set_new(&set), 0);
    for (; *values; values++) {
        ermes_indicator_t ind;
        ermes_diag_t d;
        ermes_indicator_init(&ind);
        ind.value = *values;
        ind.len = strlen(*values);
        assert_int_equal(ermes_indicator_set_add(set, &ind, NULL, &d), 0);
    }
    assert_int_equal(ermes_matcher_build(set, 0, &m), 0);
    ermes_indicator_set_free(set);
    return m;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_gz(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    gzclose(g);
}

static void write_zst(const char *path, const char *text)
{
    size_t cap = ZSTD_compressBound(strlen(text));
    char *out = malloc(cap);
    size_t n = ZSTD_compress(out, cap, text, strlen(text), 3);

    assert_false(ZSTD_isError(n));
    write_file(path, out, n);
    free(out);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* The archive: EVE in three encodings, a plain log, a Zeek TSV log in a subdirectory. */
#define L1 "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"www.benign.example\"}}\n"
#define L2 "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"A.EVIL.Example\"}}\n"
#define L3 "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"203.0.113.9\"}\n"
#define L4 "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"b.evil\\u002eexample\"}}\n"
#define L5 "{\"event_type\":\"flow\",\"src_ip\":\"::ffff:cb00:7109\",\"dest_ip\":\"10.0.0.2\"}\n"
#define L6 "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.3\",\"dest_ip\":\"198.51.100.77\"}\n"
#define EVE L1 L2 L3 L1 L4 L5 L6 L1
#define PLAIN "# comment\nnothing.example\n203.0.113.9\n"
#define ZEEK                                                                                       \
    "#separator \\x09\n#fields\tts\tuid\tquery\n#types\ttime\tstring\tstring\n"                    \
    "1.0\tC1\tbenign.example\n2.0\tC2\tzz.evil.example\n"

typedef struct fixture {
    char dir[64];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char p[160];

    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-retro-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(p, sizeof(p), "%s/eve-1.json", f->dir);
    write_file(p, EVE, strlen(EVE));
    snprintf(p, sizeof(p), "%s/eve-2.json.gz", f->dir);
    write_gz(p, EVE);
    snprintf(p, sizeof(p), "%s/eve-3.json.zst", f->dir);
    write_zst(p, EVE);
    snprintf(p, sizeof(p), "%s/syslog", f->dir);
    write_file(p, PLAIN, strlen(PLAIN));
    snprintf(p, sizeof(p), "%s/zeek", f->dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/zeek/dns.log", f->dir);
    write_file(p, ZEEK, strlen(ZEEK));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static const char *const INDS[] = {"evil.example", "203.0.113.9", "198.51.100.0/24", NULL};

static int find(const sink_t *k, const char *suffix, const char *value, int64_t offset, long line)
{
    int count = 0;
    size_t sl = strlen(suffix);

    for (int i = 0; i < k->n; i++) {
        size_t l = strlen(k->s[i].source);
        if (l >= sl && strcmp(k->s[i].source + l - sl, suffix) == 0 &&
            strcmp(k->s[i].value, value) == 0 && k->s[i].offset == offset && k->s[i].line == line)
            count++;
    }
    return count;
}

static void check_archive(fixture_t *f, int no_prefilter)
{
    static const char *const eves[] = {"/eve-1.json", "/eve-2.json.gz", "/eve-3.json.zst"};
    ermes_matcher_t *m = build(INDS);
    ermes_retro_options_t o = {0};
    ermes_retro_progress_t p;
    ermes_retro_t *job;
    sink_t *k = calloc(1, sizeof(*k));
    long total = 0;
    char path[160];

    o.no_prefilter = no_prefilter;
    assert_int_equal(ermes_retro_new(f->dir, m, &o, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_QUEUED);
    assert_int_equal(ermes_retro_run(job), 0);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_DONE);
    assert_string_equal(ermes_retro_state_name(p.state), "done");
    assert_int_equal(p.files_total, 5);
    assert_int_equal(p.files_done, 5);
    assert_int_equal(p.files_failed, 0);
    snprintf(path, sizeof(path), "%s/eve-1.json", f->dir);
    total += file_size(path);
    snprintf(path, sizeof(path), "%s/eve-2.json.gz", f->dir);
    total += file_size(path);
    snprintf(path, sizeof(path), "%s/eve-3.json.zst", f->dir);
    total += file_size(path);
    snprintf(path, sizeof(path), "%s/syslog", f->dir);
    total += file_size(path);
    snprintf(path, sizeof(path), "%s/zeek/dns.log", f->dir);
    total += file_size(path);
    assert_int_equal(p.bytes_total, total);
    assert_int_equal(p.bytes_done, total);
    assert_int_equal(p.bytes_scanned, 3 * strlen(EVE) + strlen(PLAIN) + strlen(ZEEK));
    assert_int_equal(p.records, 3 * 8 + 3 + 5);

    /* Per EVE file: the upper-case name, the IP, the escaped name, the mapped address, the
     * network; offsets are in the decompressed stream. */
    for (int i = 0; i < 3; i++) {
        size_t o2 = strlen(L1), o3 = o2 + strlen(L2), o5 = o3 + strlen(L3) + strlen(L1);
        size_t o6 = o5 + strlen(L4), o7 = o6 + strlen(L5);
        assert_int_equal(find(k, eves[i], "A.EVIL.Example", (int64_t)o2, 2), 1);
        assert_int_equal(find(k, eves[i], "203.0.113.9", (int64_t)o3, 3), 1);
        assert_int_equal(find(k, eves[i], "b.evil.example", (int64_t)o5, 5), 1);
        assert_int_equal(find(k, eves[i], "::ffff:cb00:7109", (int64_t)o6, 6), 1);
        assert_int_equal(find(k, eves[i], "198.51.100.77", (int64_t)o7, 7), 1);
    }
    assert_int_equal(
        find(k, "/syslog", "203.0.113.9", (int64_t)strlen("# comment\nnothing.example\n"), 3), 1);
    assert_int_equal(find(k, "/zeek/dns.log", "zz.evil.example",
                          (int64_t)(strlen(ZEEK) - strlen("2.0\tC2\tzz.evil.example\n")), 5),
                     1);
    assert_int_equal(k->n, 3 * 5 + 2);
    assert_int_equal(p.matches, 17);
    ermes_retro_free(job);
    free(k);
}

static void test_archive_with_prefilter(void **state)
{
    check_archive(*state, 0);
}

static void test_archive_without_prefilter(void **state)
{
    check_archive(*state, 1);
}

static void test_indicator_without_literal(void **state)
{
    /* An IPv6 indicator turns the prefilter off; the answers stay right. */
    static const char *const inds[] = {"2001:db8::1", "evil.example", NULL};
    fixture_t *f = *state;
    ermes_matcher_t *m = build(inds);
    ermes_retro_progress_t p;
    ermes_retro_t *job;
    sink_t *k = calloc(1, sizeof(*k));
    char path[160];
    const char *v6 = "{\"event_type\":\"flow\",\"src_ip\":\"2001:0DB8:0:0::1\"}\n";

    snprintf(path, sizeof(path), "%s/eve-4.json", f->dir);
    write_file(path, v6, strlen(v6));
    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    assert_int_equal(ermes_retro_run(job), 0);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.matches, 3 * 2 + 1 + 1);
    assert_int_equal(find(k, "/eve-4.json", "2001:0DB8:0:0::1", 0, 1), 1);
    ermes_retro_free(job);
    free(k);
}

static void test_bad_file_and_missing_dir(void **state)
{
    fixture_t *f = *state;
    ermes_matcher_t *m = build(INDS);
    ermes_retro_progress_t p;
    ermes_retro_t *job;
    sink_t *k = calloc(1, sizeof(*k));
    char path[160];
    /* A zstd frame header followed by garbage. */
    static const unsigned char bad[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    snprintf(path, sizeof(path), "%s/eve-0.json.zst", f->dir);
    write_file(path, bad, sizeof(bad));
    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    assert_int_equal(ermes_retro_run(job), 0);
    assert_int_equal(ermes_retro_run(job), ERMES_EINVAL); /* once only */
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_DONE);
    assert_int_equal(p.files_done, 6);
    assert_int_equal(p.files_failed, 1);
    assert_non_null(strstr(p.error, "eve-0.json.zst"));
    assert_int_equal(p.matches, 17);
    ermes_retro_free(job);

    /* A sink that fails ends the job as failed. */
    k->fail = 1;
    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    assert_int_equal(ermes_retro_run(job), ERMES_EIO);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_FAILED);
    assert_non_null(strstr(p.error, "sink"));
    ermes_retro_free(job);

    snprintf(path, sizeof(path), "%s/nonexistent", f->dir);
    assert_int_equal(ermes_retro_new(path, m, NULL, sink_cb, k, &job), 0);
    assert_int_equal(ermes_retro_run(job), ERMES_EIO);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_FAILED);
    assert_non_null(strstr(p.error, "nonexistent"));
    ermes_retro_free(job);
    ermes_matcher_release(m);
    free(k);
}

static void test_cancel(void **state)
{
    fixture_t *f = *state;
    ermes_matcher_t *m = build(INDS);
    ermes_retro_progress_t p;
    ermes_retro_t *job;
    sink_t *k = calloc(1, sizeof(*k));

    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    k->cancel_job = job;
    assert_int_equal(ermes_retro_start(job), 0);
    assert_int_equal(ermes_retro_start(job), ERMES_EINVAL);
    assert_int_equal(ermes_retro_wait(job), 0);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_CANCELLED);
    assert_int_equal(p.files_total, 5);
    assert_int_equal(p.files_done, 0); /* cancelled inside the first file */
    assert_true(k->n >= 1 && k->n <= 5);
    ermes_retro_free(job);

    /* Freeing a running job cancels it. */
    m = build(INDS);
    k->cancel_job = NULL;
    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    assert_int_equal(ermes_retro_start(job), 0);
    ermes_retro_free(job);
    free(k);
}

static void test_no_indicators(void **state)
{
    static const char *const none[] = {NULL};
    fixture_t *f = *state;
    ermes_matcher_t *m = build(none);
    ermes_retro_progress_t p;
    ermes_retro_t *job;
    sink_t *k = calloc(1, sizeof(*k));

    assert_int_equal(ermes_retro_new(f->dir, m, NULL, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    assert_int_equal(ermes_retro_run(job), 0);
    ermes_retro_progress(job, &p);
    assert_int_equal(p.state, ERMES_RETRO_DONE);
    assert_int_equal(p.matches, 0);
    assert_int_equal(p.records, 3 * 8 + 3 + 5);
    assert_int_equal(k->n, 0);
    ermes_retro_free(job);
    free(k);
}

static void run_dir(const char *dir, int no_prefilter, sink_t *k)
{
    ermes_matcher_t *m = build(INDS);
    ermes_retro_options_t o = {0};
    ermes_retro_t *job;

    o.no_prefilter = no_prefilter;
    assert_int_equal(ermes_retro_new(dir, m, &o, sink_cb, k, &job), 0);
    ermes_matcher_release(m);
    assert_int_equal(ermes_retro_run(job), 0);
    ermes_retro_free(job);
}

static void test_prefilter_agrees_at_every_alignment(void **state)
{
    /* Matches at every position relative to the 32-byte windows, in a file of many lines:
     * the prefilter finds exactly what parsing every line finds, at the same offsets. */
    fixture_t *f = *state;
    char dir[128], path[160];
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    sink_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

    snprintf(dir, sizeof(dir), "%s/big", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (int i = 0; i < 4000; i++) {
        const char *name = i % 37 == 0   ? "x.Evil.example"
                           : i % 53 == 0 ? "evil.example.org"
                                         : "benign.example";
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"event_type\":\"dns\",\"pad\":\"%.*s\",\"dns\":{\"rrname\":"
                                "\"%s\"}}\n",
                                i % 41, "........................................", name);
        if (i % 101 == 0)
            len += (size_t)snprintf(text + len, cap - len,
                                    "{\"event_type\":\"flow\",\"dest_ip\":\"198.51.100.%d\"}\n",
                                    i % 250);
    }
    snprintf(path, sizeof(path), "%s/eve.json.zst", dir);
    text[len] = '\0';
    write_zst(path, text);
    run_dir(dir, 1, b);
    assert_true(b->n > 100);
    /* Every instruction set the prefilter may use on this machine. */
    for (int isa = 0; isa < 5; isa++) {
        static const char *const names[] = {"", "avx2", "scalar", "pairs", "pairs-avx2"};
        setenv("ERMES_DETECT_ISA", names[isa], 1);
        memset(a, 0, sizeof(*a));
        run_dir(dir, 0, a);
        assert_int_equal(a->n, b->n);
        for (int i = 0; i < a->n; i++) {
            assert_int_equal(a->s[i].offset, b->s[i].offset);
            assert_int_equal(a->s[i].line, b->s[i].line);
            assert_string_equal(a->s[i].value, b->s[i].value);
        }
    }
    unsetenv("ERMES_DETECT_ISA");
    free(text);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_archive_with_prefilter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_archive_without_prefilter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_indicator_without_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_and_missing_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_indicators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefilter_agrees_at_every_alignment, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
