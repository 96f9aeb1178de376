/* Tests of the allocation-failure injection (src/core/alloc.c): it reaches jansson, and a
 * jansson allocation failing under it is an error, not a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "ermes/error.h"
#include "ermes/event.h"

/* With every allocation failing, jansson cannot make a value: the injection reaches it. */
static void test_reaches_jansson(void **state)
{
    json_error_t err;
    json_t *v;

    (void)state;
    ermes__alloc_fail_after(0);
    v = json_object();
    ermes__alloc_fail_after(-1);
    assert_null(v);
    ermes__alloc_fail_after(0);
    v = json_loads("{\"a\": [1, 2, \"x\"]}", 0, &err);
    ermes__alloc_fail_after(-1);
    assert_null(v);
    /* And with the injection off again, jansson works as before. */
    v = json_loads("{\"a\": [1, 2, \"x\"]}", 0, &err);
    assert_non_null(v);
    json_decref(v);
}

/* Reading an event fails at each of its allocations in turn, jansson's included: every time
 * an error code, never a crash (ASan/UBSan check the frees), until it succeeds. ENOMEM when
 * jansson says it ran out of memory; jansson reports some of its failed allocations as a
 * syntax error instead, so those come back as the parse error they look like. */
static void test_event_from_json_every_failure(void **state)
{
    static const char doc[] = "{\"source.ip\": \"192.0.2.1\", \"classification.type\": "
                              "\"scanner\", \"extra.tags\": [\"a\", \"b\"], \"source.port\": 22}";
    ermes_event_t *ev;
    ermes_diag_t d;
    long n;
    int rc = -1, failures = 0;

    (void)state;
    assert_int_equal(ermes_event_new(&ev), 0);
    for (n = 0; n < 10000; n++) {
        ermes_diag_clear(&d);
        ermes__alloc_fail_after(n);
        rc = ermes_event_from_json(ev, doc, sizeof(doc) - 1, &d);
        ermes__alloc_fail_after(-1);
        if (rc == 0)
            break;
        assert_true(rc < 0);
        if (rc != ERMES_ENOMEM) /* a parse error says what it took for one */
            assert_true(d.reason[0] != '\0');
        failures++;
    }
    assert_int_equal(rc, 0);
    /* The first failures are jansson's (the document is parsed before anything else). */
    assert_true(failures > 0);
    assert_string_equal(ermes_event_get(ev, ERMES_F_SOURCE_IP, NULL), "192.0.2.1");
    ermes_event_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reaches_jansson),
        cmocka_unit_test(test_event_from_json_every_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
