/* Which connection an HTTP thread is working on, for libmicrohttpd's error log.
 *
 * libmicrohttpd 0.9.75 answers a request line too long (414), a head over max_header (431) or
 * a line that does not parse (400) itself, with an HTML page, and tells the application only
 * through its logger, which is given the daemon but not the connection. server.c answers those
 * in JSON on the right connection (refuse_mhd_error), so it must know which one erred, exactly:
 * a guess could close a neighbour's connection with an error meant for someone else.
 *
 * What libmicrohttpd does (daemon.c call_handlers, connection.c): a worker thread serves each of
 * its connections in turn, and for one connection runs its read step, then its idle step, where
 * the head is parsed and such an error is logged, before it goes to the next connection. So the
 * erring connection is the last one this thread read from, except in two cases handled here:
 *   - the idle step also runs after a response has been sent (write step), and a kept-alive
 *     connection then parses the pipelined bytes already in its buffer without reading: but it
 *     first calls our NOTIFY_COMPLETED callback for that connection, and any callback of a
 *     connection marks it (ermes__read_probe_mark), so the mark is right again;
 *   - a handler (on_request) may itself read other sockets (the store's, a feed's): the
 *     callbacks mark their connection again when they return.
 * The read step is recv() on the connection's socket over HTTP, gnutls_record_recv() on its
 * session over HTTPS (which may hand out plaintext GnuTLS buffered earlier, without a recv: so
 * it is the TLS call that is watched, its socket from gnutls_transport_get_int). Both are
 * called by libmicrohttpd through the dynamic linker, and a definition in the executable comes
 * first in its search order: these two wrappers record the descriptor in a thread-local and
 * call the real function (dlsym RTLD_NEXT). The cost is one thread-local store per read.
 *
 * The other ways weighed: a head reader of ours in front of libmicrohttpd (MSG_PEEK before
 * MHD_add_connection) sees neither a kept-alive connection's later requests nor TLS; telling
 * the erring connection from libmicrohttpd's connection state (MHD_get_connection_info) relies
 * on states the API does not promise, and a neighbour closing in the same round can look the
 * same. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "http/read_probe.h"

typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*tls_recv_fn)(gnutls_session_t, void *, size_t);

static _Thread_local int current_fd = -1;
static void *real_recv, *real_tls_recv; /* set once, then read without a lock */

/* The next definition in the dynamic linker's order (libc's, GnuTLS's): looked up once. */
static void *next_symbol(void **cache, const char *name)
{
    void *p = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

    if (!p) {
        p = dlsym(RTLD_NEXT, name);
        __atomic_store_n(cache, p, __ATOMIC_RELEASE);
    }
    return p;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    void *p = next_symbol(&real_recv, "recv");
    recv_fn f;

    if (!p) {
        errno = ENOSYS;
        return -1;
    }
    memcpy(&f, &p, sizeof(f));
    current_fd = fd;
    return f(fd, buf, len, flags);
}

ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t data_size)
{
    void *p = next_symbol(&real_tls_recv, "gnutls_record_recv");
    tls_recv_fn f;

    if (!p)
        return GNUTLS_E_INTERNAL_ERROR;
    memcpy(&f, &p, sizeof(f));
    /* Set before the call: GnuTLS's own recv() inside names the same socket. */
    current_fd = gnutls_transport_get_int(session);
    return f(session, data, data_size);
}

void ermes__read_probe_mark(int fd)
{
    current_fd = fd;
}

int ermes__read_probe_fd(void)
{
    return current_fd;
}
