/* The HTTP threads' read probe (src/http/read_probe.c): reads are seen where libmicrohttpd
 * makes them, i.e. also when a shared library (GnuTLS here, as for HTTPS) calls recv() or
 * gnutls_record_recv() is called on a session; the mark is per thread; the data read is the
 * real one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/read_probe.h"

static void test_recv_is_seen_and_forwarded(void **state)
{
    int sv[2];
    char buf[8] = {0};

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ermes__read_probe_mark(-1);
    assert_int_equal(write(sv[1], "hello", 5), 5);
    assert_int_equal(recv(sv[0], buf, sizeof(buf), 0), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(ermes__read_probe_fd(), sv[0]);
    close(sv[0]);
    close(sv[1]);
}

static void *other_thread(void *arg)
{
    *(int *)arg = ermes__read_probe_fd();
    return NULL;
}

static void test_mark_is_per_thread(void **state)
{
    pthread_t t;
    int seen = 0;

    (void)state;
    ermes__read_probe_mark(42);
    assert_int_equal(pthread_create(&t, NULL, other_thread, &seen), 0);
    pthread_join(t, NULL);
    assert_int_equal(seen, -1);
    assert_int_equal(ermes__read_probe_fd(), 42);
}

/* A TLS client handshake against a peer that answers garbage: GnuTLS reads the answer with
 * its own recv() (as it does for libmicrohttpd's HTTPS connections), which must be seen. */
static void test_reads_inside_gnutls_are_seen(void **state)
{
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
    int sv[2], rc;
    char hello[4096];

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
    assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT), 0);
    assert_int_equal(gnutls_set_default_priority(s), 0);
    assert_int_equal(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
    gnutls_transport_set_int(s, sv[0]);
    /* Garbage waits for the client's first read: not a TLS record. */
    memset(hello, 'x', 64);
    assert_int_equal(write(sv[1], hello, 64), 64);
    ermes__read_probe_mark(-1);
    rc = gnutls_handshake(s);
    assert_true(rc < 0);
    assert_int_equal(ermes__read_probe_fd(), sv[0]);
    /* And gnutls_record_recv() names its session's socket before it reads anything. */
    ermes__read_probe_mark(-1);
    (void)gnutls_record_recv(s, hello, sizeof(hello));
    assert_int_equal(ermes__read_probe_fd(), sv[0]);
    gnutls_deinit(s);
    gnutls_certificate_free_credentials(cred);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recv_is_seen_and_forwarded),
        cmocka_unit_test(test_mark_is_per_thread),
        cmocka_unit_test(test_reads_inside_gnutls_are_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
