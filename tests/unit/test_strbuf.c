/* Tests of the capped string buffer (src/core/strbuf.c), the arena (src/core/arena.c) and the
 * allocation wrappers they grow through (src/core/alloc.c), failure paths included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/strbuf.h"
#include "ermes/error.h"

/* Checks that b holds exactly the n bytes of want, NUL-terminated, within its capacity. */
static void check_content(const ermes__strbuf_t *b, const char *want, size_t n)
{
    assert_int_equal(b->len, n);
    assert_non_null(b->data);
    assert_memory_equal(b->data, want, n);
    assert_int_equal(b->data[n], '\0');
    assert_true(b->cap >= n + 1);
    assert_true(b->cap <= b->max + 1);
}

static void test_strbuf_empty(void **state)
{
    ermes__strbuf_t b;
    size_t len = 99;
    char *p;

    (void)state;
    ermes__strbuf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* Nothing added: take still hands out an allocated "". */
    p = ermes__strbuf_take(&b, &len);
    assert_non_null(p);
    assert_string_equal(p, "");
    assert_int_equal(len, 0);
    ermes__free(p);
    /* Reset and cleanup of an empty buffer, twice. */
    ermes__strbuf_reset(&b);
    ermes__strbuf_cleanup(&b);
    ermes__strbuf_cleanup(&b);
    assert_null(b.data);
}

static void test_strbuf_add(void **state)
{
    ermes__strbuf_t b;

    (void)state;
    ermes__strbuf_init(&b, 1000);
    assert_int_equal(ermes__strbuf_add(&b, "abc", 3), 0);
    check_content(&b, "abc", 3);
    assert_int_equal(ermes__strbuf_adds(&b, "def"), 0);
    assert_int_equal(ermes__strbuf_addc(&b, 'g'), 0);
    check_content(&b, "abcdefg", 7);
    /* Adding nothing is fine. */
    assert_int_equal(ermes__strbuf_add(&b, NULL, 0), 0);
    assert_int_equal(ermes__strbuf_adds(&b, ""), 0);
    check_content(&b, "abcdefg", 7);
    /* Binary data, NUL bytes included. */
    assert_int_equal(ermes__strbuf_add(&b, "\0\xff\0", 3), 0);
    check_content(&b, "abcdefg\0\xff\0", 10);
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_grow(void **state)
{
    ermes__strbuf_t b;
    char want[5000];

    (void)state;
    ermes__strbuf_init(&b, sizeof(want));
    for (size_t k = 0; k < sizeof(want); k++) {
        want[k] = (char)('a' + k % 26);
        assert_int_equal(ermes__strbuf_addc(&b, want[k]), 0);
    }
    check_content(&b, want, sizeof(want));
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_cap(void **state)
{
    ermes__strbuf_t b;
    char *before;

    (void)state;
    ermes__strbuf_init(&b, 10);
    assert_int_equal(ermes__strbuf_add(&b, "0123456", 7), 0);
    before = b.data;
    /* One byte too many: refused, and the buffer is as it was. */
    assert_int_equal(ermes__strbuf_add(&b, "7890", 4), ERMES_ETOOBIG);
    assert_ptr_equal(b.data, before);
    check_content(&b, "0123456", 7);
    assert_int_equal(ermes__strbuf_addf(&b, "%d", 1234), ERMES_ETOOBIG);
    check_content(&b, "0123456", 7);
    /* Up to the cap exactly is fine. */
    assert_int_equal(ermes__strbuf_add(&b, "789", 3), 0);
    check_content(&b, "0123456789", 10);
    assert_int_equal(ermes__strbuf_addc(&b, 'x'), ERMES_ETOOBIG);
    assert_int_equal(ermes__strbuf_adds(&b, "x"), ERMES_ETOOBIG);
    assert_int_equal(ermes__strbuf_add(&b, "", 0), 0);
    check_content(&b, "0123456789", 10);
    /* A length that would overflow len + n is refused, not wrapped. */
    assert_int_equal(ermes__strbuf_add(&b, "x", SIZE_MAX), ERMES_ETOOBIG);
    assert_int_equal(ermes__strbuf_add(&b, "x", SIZE_MAX - 5), ERMES_ETOOBIG);
    check_content(&b, "0123456789", 10);
    ermes__strbuf_cleanup(&b);

    /* A cap of zero holds nothing but the NUL. */
    ermes__strbuf_init(&b, 0);
    assert_int_equal(ermes__strbuf_addc(&b, 'x'), ERMES_ETOOBIG);
    assert_null(b.data);
    assert_int_equal(ermes__strbuf_add(&b, "", 0), 0);
    check_content(&b, "", 0);
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_big_cap(void **state)
{
    ermes__strbuf_t b;

    (void)state;
    /* The memory held never exceeds the cap (plus the NUL) even while doubling. */
    ermes__strbuf_init(&b, 100);
    for (int k = 0; k < 100; k++)
        assert_int_equal(ermes__strbuf_addc(&b, 'x'), 0);
    assert_int_equal(b.cap, 101);
    assert_int_equal(ermes__strbuf_addc(&b, 'x'), ERMES_ETOOBIG);
    ermes__strbuf_cleanup(&b);
}

/* A buffer without a practical limit (max = SIZE_MAX) must still grow correctly. The check
 * runs in a child process, because the bug it guards against overruns the heap. */
static void test_strbuf_unlimited_cap(void **state)
{
    pid_t pid;
    int status = 0;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        ermes__strbuf_t b;
        /* The child must die of a crash, not return into the test runner's handler. */
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        ermes__strbuf_init(&b, SIZE_MAX);
        /* Check the capacity first, so a wrong one is reported before anything is copied. */
        if (ermes__strbuf_add(&b, "", 0) != 0 || b.cap < 1)
            _exit(2);
        if (ermes__strbuf_add(&b, "hello", 5) != 0 || b.cap < 6 || b.len != 5 ||
            strcmp(b.data, "hello") != 0)
            _exit(3);
        /* len + n may reach SIZE_MAX without passing max, but then the NUL has no room:
         * refused, the buffer unchanged (len + n + 1 must not wrap to 0). */
        ermes__strbuf_reset(&b);
        if (ermes__strbuf_add(&b, "x", SIZE_MAX) != ERMES_ETOOBIG || b.len != 0)
            _exit(4);
        ermes__strbuf_cleanup(&b);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_strbuf_addf(void **state)
{
    ermes__strbuf_t b;

    (void)state;
    ermes__strbuf_init(&b, 1 << 20);
    assert_int_equal(ermes__strbuf_addf(&b, "%s=%d", "threads", 4), 0);
    assert_int_equal(ermes__strbuf_addf(&b, "%s", ""), 0);
    assert_int_equal(ermes__strbuf_addf(&b, ";%05.1f;%x;%c", 3.14159, 255u, 'z'), 0);
    check_content(&b, "threads=4;003.1;ff;z", 20);
    /* A long formatted piece grows the buffer in one go. */
    assert_int_equal(ermes__strbuf_addf(&b, "%1000s", "!"), 0);
    assert_int_equal(b.len, 1020);
    assert_int_equal(b.data[1019], '!');
    assert_int_equal(b.data[1020], '\0');
    ermes__strbuf_cleanup(&b);
    /* addf on an empty buffer producing nothing still leaves a valid string. */
    ermes__strbuf_init(&b, 10);
    assert_int_equal(ermes__strbuf_addf(&b, "%s", ""), 0);
    check_content(&b, "", 0);
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_take(void **state)
{
    ermes__strbuf_t b;
    size_t len = 0;
    char *p;

    (void)state;
    ermes__strbuf_init(&b, 100);
    assert_int_equal(ermes__strbuf_adds(&b, "report"), 0);
    p = ermes__strbuf_take(&b, &len);
    assert_string_equal(p, "report");
    assert_int_equal(len, 6);
    /* The buffer is left empty and usable, with its cap. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    assert_int_equal(ermes__strbuf_adds(&b, "next"), 0);
    check_content(&b, "next", 4);
    ermes__free(p);
    /* len is optional. */
    p = ermes__strbuf_take(&b, NULL);
    assert_string_equal(p, "next");
    ermes__free(p);
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_reset(void **state)
{
    ermes__strbuf_t b;
    char *mem;
    size_t cap;

    (void)state;
    ermes__strbuf_init(&b, 1000);
    assert_int_equal(ermes__strbuf_adds(&b, "a line that is long enough to matter"), 0);
    mem = b.data;
    cap = b.cap;
    ermes__strbuf_reset(&b);
    /* Length 0, same memory, still a string. */
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, mem);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "");
    /* The cap counts what is in the buffer now, not what ever was. */
    for (int k = 0; k < 10; k++) {
        ermes__strbuf_reset(&b);
        assert_int_equal(ermes__strbuf_add(&b, "0123456789", 10), 0);
    }
    assert_ptr_equal(b.data, mem);
    check_content(&b, "0123456789", 10);
    ermes__strbuf_cleanup(&b);
}

static void test_strbuf_out_of_memory(void **state)
{
    ermes__strbuf_t b;
    char big[300];
    char *mem;

    (void)state;
    memset(big, 'y', sizeof(big));
    /* The first allocation fails: ENOMEM, the buffer is untouched. */
    ermes__strbuf_init(&b, 1000);
    ermes__alloc_fail_after(0);
    assert_int_equal(ermes__strbuf_adds(&b, "x"), ERMES_ENOMEM);
    assert_int_equal(ermes__strbuf_addf(&b, "%d", 7), ERMES_ENOMEM);
    assert_null(ermes__strbuf_take(&b, NULL));
    ermes__alloc_fail_after(-1);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* Growing fails: the old contents stay as they were. */
    assert_int_equal(ermes__strbuf_adds(&b, "kept"), 0);
    mem = b.data;
    ermes__alloc_fail_after(0);
    assert_int_equal(ermes__strbuf_add(&b, big, sizeof(big)), ERMES_ENOMEM);
    assert_int_equal(ermes__strbuf_addf(&b, "%300s", "z"), ERMES_ENOMEM);
    /* What fits needs no allocation and still works. */
    assert_int_equal(ermes__strbuf_adds(&b, "!"), 0);
    ermes__alloc_fail_after(-1);
    assert_ptr_equal(b.data, mem);
    check_content(&b, "kept!", 5);
    assert_int_equal(ermes__strbuf_add(&b, big, sizeof(big)), 0);
    assert_int_equal(b.len, 305);
    ermes__strbuf_cleanup(&b);
}

/* ---- arena -------------------------------------------------------------------------------- */

static void test_arena_alignment(void **state)
{
    ermes__arena_t a;

    (void)state;
    ermes__arena_init(&a, 256, 0);
    for (size_t n = 0; n < 300; n++) {
        unsigned char *p = ermes__arena_alloc(&a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        /* The whole allocation is usable (ASan checks the bounds). */
        memset(p, 0xab, n);
    }
    ermes__arena_cleanup(&a);
    ermes__arena_cleanup(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
}

static void test_arena_packing(void **state)
{
    ermes__arena_t a;
    char *p1, *p2, *p3, *big;

    (void)state;
    ermes__arena_init(&a, 1024, 0);
    p1 = ermes__arena_alloc(&a, 1);
    p2 = ermes__arena_alloc(&a, 17);
    p3 = ermes__arena_alloc(&a, 16);
    /* Rounded to 16 bytes, carved one after the other. */
    assert_ptr_equal(p2, p1 + 16);
    assert_ptr_equal(p3, p2 + 32);
    assert_int_equal(a.used, 64);
    /* A large allocation gets a block of its own; the current block goes on serving. */
    big = ermes__arena_alloc(&a, 10000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    memset(big, 1, 10000);
    assert_ptr_equal(ermes__arena_alloc(&a, 8), p3 + 16);
    assert_int_equal(a.used, 64 + 10000 + 16);
    ermes__arena_cleanup(&a);
}

static void test_arena_large(void **state)
{
    ermes__arena_t a;
    char *p[20];

    (void)state;
    ermes__arena_init(&a, 0, 0); /* default block size */
    assert_true(a.block_size > 0);
    for (int k = 0; k < 20; k++) {
        size_t n = (size_t)(k + 1) * 7919;
        p[k] = ermes__arena_alloc(&a, n);
        assert_non_null(p[k]);
        memset(p[k], k, n);
    }
    /* Nothing overlaps: every block still holds what was written. */
    for (int k = 0; k < 20; k++) {
        size_t n = (size_t)(k + 1) * 7919;
        for (size_t j = 0; j < n; j += 101)
            assert_int_equal((unsigned char)p[k][j], k);
    }
    /* Sizes that cannot be rounded up are refused. */
    assert_null(ermes__arena_alloc(&a, SIZE_MAX));
    assert_null(ermes__arena_alloc(&a, SIZE_MAX - 14));
    ermes__arena_cleanup(&a);
}

static void test_arena_limit(void **state)
{
    ermes__arena_t a;

    (void)state;
    ermes__arena_init(&a, 64, 100);
    assert_non_null(ermes__arena_alloc(&a, 48));
    assert_non_null(ermes__arena_alloc(&a, 48));
    assert_int_equal(a.used, 96);
    /* 96 + 16 > 100 */
    assert_null(ermes__arena_alloc(&a, 1));
    assert_null(ermes__arena_alloc(&a, 1000));
    assert_null(ermes__arena_alloc(&a, SIZE_MAX - 100));
    assert_int_equal(a.used, 96);
    ermes__arena_cleanup(&a);
    /* After cleanup the limit applies afresh. */
    assert_non_null(ermes__arena_alloc(&a, 96));
    ermes__arena_cleanup(&a);
    /* An allocation larger than the whole limit is refused at once. */
    ermes__arena_init(&a, 64, 100);
    assert_null(ermes__arena_alloc(&a, 101));
    assert_null(a.head);
    ermes__arena_cleanup(&a);
}

static void test_arena_strings(void **state)
{
    ermes__arena_t a;
    char *s;

    (void)state;
    ermes__arena_init(&a, 64, 0);
    s = ermes__arena_strdup(&a, "constituent");
    assert_string_equal(s, "constituent");
    s = ermes__arena_strndup(&a, "sighting and more", 8);
    assert_string_equal(s, "sighting");
    s = ermes__arena_strndup(&a, "", 0);
    assert_string_equal(s, "");
    assert_null(ermes__arena_strndup(&a, "x", SIZE_MAX));
    ermes__arena_cleanup(&a);
}

static void test_arena_out_of_memory(void **state)
{
    ermes__arena_t a;
    char *p, *q;

    (void)state;
    ermes__arena_init(&a, 128, 0);
    ermes__alloc_fail_after(0);
    assert_null(ermes__arena_alloc(&a, 1));
    assert_null(ermes__arena_strdup(&a, "x"));
    ermes__alloc_fail_after(-1);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
    /* With a block in hand, small allocations need no memory; a new block does. */
    p = ermes__arena_alloc(&a, 16);
    assert_non_null(p);
    ermes__alloc_fail_after(0);
    q = ermes__arena_alloc(&a, 16);
    assert_ptr_equal(q, p + 16);
    assert_null(ermes__arena_alloc(&a, 1000));
    assert_null(ermes__arena_alloc(&a, 128));
    ermes__alloc_fail_after(-1);
    assert_int_equal(a.used, 32);
    assert_non_null(ermes__arena_alloc(&a, 1000));
    ermes__arena_cleanup(&a);
}

/* ---- allocation wrappers ------------------------------------------------------------------ */

static void test_alloc_fail_after(void **state)
{
    void *p[3];
    char *s;

    (void)state;
    ermes__alloc_fail_after(2);
    p[0] = ermes__malloc(8);
    p[1] = ermes__calloc(2, 8);
    p[2] = ermes__malloc(8);
    assert_non_null(p[0]);
    assert_non_null(p[1]);
    assert_null(p[2]);
    /* Every allocation fails until reset. */
    assert_null(ermes__strdup("x"));
    assert_null(ermes__realloc(NULL, 8));
    assert_null(ermes__realloc(p[0], 64));
    ermes__alloc_fail_after(-1);
    /* A failed realloc left the old block alone. */
    ermes__free(p[0]);
    ermes__free(p[1]);
    s = ermes__strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    ermes__free(s);
    ermes__free(NULL);
}

static void test_alloc_zero_and_overflow(void **state)
{
    void *p;

    (void)state;
    /* Zero-sized requests still give a pointer to free. */
    p = ermes__malloc(0);
    assert_non_null(p);
    ermes__free(p);
    p = ermes__calloc(0, 0);
    assert_non_null(p);
    ermes__free(p);
    p = ermes__reallocarray(NULL, 4, 4);
    assert_non_null(p);
    ermes__free(p);
    /* count * size overflowing is refused, not wrapped. */
    assert_null(ermes__reallocarray(NULL, SIZE_MAX / 2 + 1, 2));
    assert_null(ermes__reallocarray(NULL, SIZE_MAX, SIZE_MAX));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_empty),     cmocka_unit_test(test_strbuf_add),
        cmocka_unit_test(test_strbuf_grow),      cmocka_unit_test(test_strbuf_cap),
        cmocka_unit_test(test_strbuf_big_cap),   cmocka_unit_test(test_strbuf_unlimited_cap),
        cmocka_unit_test(test_strbuf_addf),      cmocka_unit_test(test_strbuf_take),
        cmocka_unit_test(test_strbuf_reset),     cmocka_unit_test(test_strbuf_out_of_memory),
        cmocka_unit_test(test_arena_alignment),  cmocka_unit_test(test_arena_packing),
        cmocka_unit_test(test_arena_large),      cmocka_unit_test(test_arena_limit),
        cmocka_unit_test(test_arena_strings),    cmocka_unit_test(test_arena_out_of_memory),
        cmocka_unit_test(test_alloc_fail_after), cmocka_unit_test(test_alloc_zero_and_overflow),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
