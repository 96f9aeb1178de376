/* Tests of the tailer (src/detect/tail.c): growth, partial lines, rotation, truncation, saved
 * positions across restarts, matcher swaps and the thread's stop. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "ermes/detect.h"

#define MAX_SEEN 64

typedef struct seen {
    char source[512];
    char value[128];
    char indicator[128];
    char field[64];
    int64_t offset;
    long line;
} seen_t;

typedef struct sink {
    seen_t s[MAX_SEEN];
    volatile int n;
    int fail_next; /* the next call fails (then succeeds) */
} sink_t;

static int sink_cb(void *ctx, const ermes_detect_hit_t *s)
{
    sink_t *k = ctx;
    seen_t *e;

    if (k->fail_next) {
        k->fail_next = 0;
        return -1;
    }
    if (k->n == MAX_SEEN)
        return 0;
    e = &k->s[k->n];
    snprintf(e->source, sizeof(e->source), "%s", s->source);
    snprintf(e->value, sizeof(e->value), "%.*s", (int)s->value_len, s->value);
    snprintf(e->field, sizeof(e->field), "%s", s->field);
    ermes_matcher_value(s->matcher, s->indicator, e->indicator, sizeof(e->indicator));
    e->offset = s->offset;
    e->line = s->line;
    k->n++;
    return 0;
}

typedef struct fixture {
    char dir[64];
    char log[128];
    char state[128];
    ermes_matcher_slot_t *slot;
    sink_t sink;
} fixture_t;

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

static int setup(void **state)
{
    static const char *const inds[] = {"evil.example", "203.0.113.9", NULL};
    fixture_t *f = calloc(1, sizeof(*f));
    ermes_matcher_t *m;

    snprintf(f->dir, sizeof(f->dir), "/tmp/ermes-test-tail-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->log, sizeof(f->log), "%s/eve.json", f->dir);
    snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
    assert_int_equal(mkdir(f->state, 0700), 0);
    m = build(inds);
    assert_int_equal(ermes_matcher_slot_new(m, &f->slot), 0);
    ermes_matcher_release(m);
    *state = f;
    return 0;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture_t *f = *state;

    nftw(f->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    ermes_matcher_slot_free(f->slot);
    free(f);
    return 0;
}

static void append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

#define DNS(name) "{\"event_type\":\"dns\",\"dns\":{\"rrname\":\"" name "\"}}\n"
#define FLOW(ip) "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"" ip "\"}\n"

static ermes_tail_t *tailer(fixture_t *f, const char *state_dir, int start_at_end)
{
    ermes_tail_file_t file = {f->log, ERMES_LOG_EVE};
    ermes_tail_options_t o = {0};
    ermes_tail_t *t;
    ermes_diag_t d;

    o.state_dir = state_dir;
    o.poll_ms = 20;
    o.start_at_end = start_at_end;
    assert_int_equal(ermes_tail_new(f->slot, &file, 1, &o, sink_cb, &f->sink, &t, &d), 0);
    return t;
}

static void test_append_and_partial_line(void **state)
{
    fixture_t *f = *state;
    ermes_tail_t *t;
    long off;

    append(f->log, DNS("www.benign.example") DNS("a.evil.example"));
    t = tailer(f, NULL, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    assert_string_equal(f->sink.s[0].value, "a.evil.example");
    assert_string_equal(f->sink.s[0].indicator, "evil.example");
    assert_string_equal(f->sink.s[0].field, "dns.rrname");
    assert_int_equal(f->sink.s[0].line, 2);
    assert_int_equal(f->sink.s[0].offset, strlen(DNS("www.benign.example")));
    assert_string_equal(f->sink.s[0].source, f->log);

    /* A line being written: not a record until its newline arrives. */
    off = file_size(f->log);
    append(f->log, "{\"event_type\":\"flow\",\"dest_ip\":\"203.0.113.9\"");
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    append(f->log, "}\n");
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[1].value, "203.0.113.9");
    assert_int_equal(f->sink.s[1].offset, off);
    assert_int_equal(f->sink.s[1].line, 3);

    /* Nothing new: nothing reported again. */
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    ermes_tail_free(t);
}

static void test_rotation(void **state)
{
    fixture_t *f = *state;
    char old[160];
    ermes_tail_t *t;
    ermes_tail_stats_t st;

    snprintf(old, sizeof(old), "%s.1", f->log);
    append(f->log, DNS("one.evil.example"));
    t = tailer(f, NULL, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);

    /* logrotate: rename; the writer still appends to the old file (its last line without a
     * newline), then opens a new one. */
    assert_int_equal(rename(f->log, old), 0);
    append(old, DNS("two.evil.example") "{\"event_type\":\"flow\",\"dest_ip\":\"203.0.113.9\"}");
    assert_int_equal(ermes_tail_poll(t), 0); /* no new file yet: the old one is read on */
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[1].value, "two.evil.example");
    append(f->log, DNS("three.evil.example"));
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 4);
    assert_string_equal(f->sink.s[2].value, "203.0.113.9"); /* finished by the rotation */
    assert_int_equal(f->sink.s[2].line, 3);
    assert_string_equal(f->sink.s[3].value, "three.evil.example");
    assert_int_equal(f->sink.s[3].offset, 0);
    assert_int_equal(f->sink.s[3].line, 1);
    ermes_tail_stats(t, &st);
    assert_int_equal(st.rotations, 1);
    assert_int_equal(st.sightings, 4);
    ermes_tail_free(t);
}

static void test_truncation(void **state)
{
    fixture_t *f = *state;
    ermes_tail_t *t;
    ermes_tail_stats_t st;

    append(f->log, DNS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example") DNS("one.evil.example"));
    t = tailer(f, NULL, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    assert_int_equal(truncate(f->log, 0), 0);
    append(f->log, FLOW("203.0.113.9"));
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[1].value, "203.0.113.9");
    assert_int_equal(f->sink.s[1].offset, 0);
    assert_int_equal(f->sink.s[1].line, 1);
    ermes_tail_stats(t, &st);
    assert_int_equal(st.rotations, 1);
    ermes_tail_free(t);
}

static void test_restart_resumes(void **state)
{
    fixture_t *f = *state;
    char old[160];
    ermes_tail_t *t;

    snprintf(old, sizeof(old), "%s.1", f->log);
    append(f->log, DNS("one.evil.example") DNS("x.benign.example"));
    t = tailer(f, f->state, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    ermes_tail_free(t);

    /* Down while the file grew: the new tailer reports only what came after. */
    append(f->log, DNS("two.evil.example"));
    t = tailer(f, f->state, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[1].value, "two.evil.example");
    assert_int_equal(f->sink.s[1].line, 3);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    ermes_tail_free(t);

    /* Down while the file grew and was rotated: the rotated file is finished first. */
    append(f->log, DNS("three.evil.example"));
    assert_int_equal(rename(f->log, old), 0);
    append(f->log, DNS("four.evil.example"));
    t = tailer(f, f->state, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 4);
    assert_string_equal(f->sink.s[2].value, "three.evil.example");
    assert_string_equal(f->sink.s[2].source, old);
    assert_int_equal(f->sink.s[2].line, 4);
    assert_string_equal(f->sink.s[3].value, "four.evil.example");
    assert_int_equal(f->sink.s[3].line, 1);
    ermes_tail_free(t);

    /* And with nothing new, a restart reports nothing. */
    t = tailer(f, f->state, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 4);
    ermes_tail_free(t);
}

static void test_sink_failure_redelivers(void **state)
{
    fixture_t *f = *state;
    ermes_tail_t *t;
    ermes_tail_stats_t st;

    append(f->log, DNS("one.evil.example") DNS("two.evil.example"));
    t = tailer(f, f->state, 0);
    f->sink.fail_next = 1;
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 0);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[0].value, "one.evil.example");
    ermes_tail_stats(t, &st);
    assert_int_equal(st.sink_failures, 1);
    ermes_tail_free(t);
}

static void test_start_at_end_and_swap(void **state)
{
    static const char *const inds[] = {"other.example", NULL};
    fixture_t *f = *state;
    ermes_tail_t *t;
    ermes_matcher_t *m;

    append(f->log, DNS("old.evil.example") DNS("b.other.example"));
    t = tailer(f, NULL, 1);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 0);
    /* A new matcher takes effect with the next batch. */
    m = build(inds);
    ermes_matcher_slot_swap(f->slot, m);
    ermes_matcher_release(m);
    append(f->log, DNS("new.evil.example") DNS("c.other.example"));
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    assert_string_equal(f->sink.s[0].value, "c.other.example");
    assert_int_equal(f->sink.s[0].line, 4);
    ermes_tail_free(t);
}

static void test_overlong_lines(void **state)
{
    fixture_t *f = *state;
    ermes_tail_file_t file = {f->log, ERMES_LOG_EVE};
    ermes_tail_options_t o = {0};
    ermes_tail_stats_t st;
    ermes_tail_t *t;
    ermes_diag_t d;
    size_t big = 2u << 20, small = 1000;
    char *line = malloc(big + 1);
    long off;

    o.max_line = 300u * 1024;
    assert_int_equal(ermes_tail_new(f->slot, &file, 1, &o, sink_cb, &f->sink, &t, &d), 0);
    /* Longer than max_line but within the buffer: the reader skips it. */
    memset(line, 'a', small);
    line[small] = '\0';
    append(f->log, line);
    append(f->log, "\n" DNS("one.evil.example"));
    /* Longer than the buffer, arriving in two parts across polls: dropped as it comes. */
    memset(line, 'b', big);
    line[big] = '\0';
    append(f->log, line);
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 1);
    append(f->log, line);
    off = file_size(f->log) + 1;
    append(f->log, "\n" DNS("two.evil.example"));
    assert_int_equal(ermes_tail_poll(t), 0);
    assert_int_equal(f->sink.n, 2);
    assert_string_equal(f->sink.s[1].value, "two.evil.example");
    assert_int_equal(f->sink.s[1].offset, off);
    assert_int_equal(f->sink.s[1].line, 4);
    ermes_tail_stats(t, &st);
    assert_int_equal(st.skipped, 2); /* the 1000-byte line (not JSON) and the 2 MiB one */
    ermes_tail_free(t);
    free(line);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_thread_follows_and_stops(void **state)
{
    fixture_t *f = *state;
    ermes_tail_t *t;
    double t0;

    append(f->log, DNS("x.example"));
    t = tailer(f, f->state, 0);
    assert_int_equal(ermes_tail_start(t), 0);
    assert_int_equal(ermes_tail_start(t), ERMES_EINVAL);
    assert_int_equal(ermes_tail_poll(t), ERMES_EINVAL);
    append(f->log, DNS("one.evil.example"));
    for (int i = 0; i < 1000 && f->sink.n < 1; i++)
        usleep(10000);
    assert_int_equal(f->sink.n, 1);
    t0 = now();
    ermes_tail_stop(t);
    assert_true(now() - t0 < 2.0);
    ermes_tail_free(t);
}

static void test_files_parse(void **state)
{
    ermes_tail_file_t *files = NULL;
    size_t n = 0;
    ermes_diag_t d;

    (void)state;
    assert_int_equal(ermes_tail_files_parse("eve:/var/log/suricata/eve.json,zeek:/opt/zeek/"
                                            "logs/current/dns.log,/var/log/x.log",
                                            &files, &n, &d),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(files[0].path, "/var/log/suricata/eve.json");
    assert_int_equal(files[0].format, ERMES_LOG_EVE);
    assert_int_equal(files[1].format, ERMES_LOG_ZEEK);
    assert_string_equal(files[2].path, "/var/log/x.log");
    assert_int_equal(files[2].format, ERMES_LOG_AUTO);
    ermes_tail_files_free(files, n);
    assert_int_equal(ermes_tail_files_parse("csv:/x.csv", &files, &n, &d), ERMES_EINVAL);
    {
        /* The setting, as the daemon reads it. */
        ermes__config_t cfg;
        assert_int_equal(ermes__config_init(&cfg), 0);
        assert_null(cfg.detect_logs);
        assert_int_equal(ermes__config_set(&cfg, "detect_logs", "lines:/var/log/a.log", &d), 0);
        assert_int_equal(ermes__config_set(&cfg, "detect_archive", "/srv/archive", &d), 0);
        assert_int_equal(ermes_tail_files_parse(cfg.detect_logs, &files, &n, &d), 0);
        assert_int_equal(n, 1);
        assert_int_equal(files[0].format, ERMES_LOG_LINES);
        assert_string_equal(cfg.detect_archive, "/srv/archive");
        ermes_tail_files_free(files, n);
        ermes__config_cleanup(&cfg);
    }
    assert_int_equal(ermes_tail_files_parse("eve:,lines:/a", &files, &n, &d), ERMES_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_and_partial_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_failure_redelivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_at_end_and_swap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_follows_and_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlong_lines, setup, teardown),
        cmocka_unit_test(test_files_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
