/* Which connection an HTTP worker thread is serving at this moment, for libmicrohttpd's error
 * log (read_probe.c explains how and why). */
#ifndef ERMES_HTTP_READ_PROBE_H
#define ERMES_HTTP_READ_PROBE_H

/* The socket of the connection this thread last read from or last ran a callback for. */
int ermes__read_probe_fd(void);
/* Says that this thread now works on the connection of socket fd (its callbacks call it). */
void ermes__read_probe_mark(int fd);

#endif
