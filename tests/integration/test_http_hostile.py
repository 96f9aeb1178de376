"""Hostile HTTP clients (issue 10, items 1 and 4): slow request heads that would hold every
connection, many connections from one address, and requests whose framing can be read two
ways or not at all. Each case is played over a raw socket, the way an attacker's tool would.

Slow clients come from other loopback addresses (127.0.0.2...) than the normal client
(127.0.0.1), as they would from another host."""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, main, read_response, status_of  # noqa: E402

HEAD_TIMEOUT = 2


def connect_from(port, source, timeout=10):
    """A TCP connection to the daemon from the loopback address source."""
    return socket.create_connection((HOST, port), timeout=timeout, source_address=(source, 0))


def send_until_refused(s, data):
    """Sends data; a server that answers and closes before the end refuses the rest (over TLS
    the client's write then fails): the answer is still there to read."""
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        pass


def read_all(s, limit=10.0):
    """Everything the server sends until it closes (or limit seconds pass): (bytes, closed)."""
    s.settimeout(limit)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out, True
            out += chunk
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return out, True
    except socket.timeout:
        return out, False


class SlowHeader(threading.Thread):
    """A client that sends a request line, then one header line a second, forever."""

    def __init__(self, port, source):
        super().__init__(daemon=True)
        self.port = port
        self.source = source
        self.stop = threading.Event()
        self.closed_after = None  # seconds from connecting to the server's close
        self.answer = b""

    def run(self):
        t0 = time.monotonic()
        try:
            s = connect_from(self.port, self.source)
        except OSError:
            self.closed_after = 0.0
            return
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            s.settimeout(1.0)
            k = 0
            while not self.stop.is_set():
                try:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    self.answer += chunk
                    continue
                except socket.timeout:
                    pass
                s.sendall(b"X-Slow-%d: %d\r\n" % (k, k))
                k += 1
        except OSError:
            pass
        finally:
            if self.closed_after is None and not self.stop.is_set():
                self.closed_after = time.monotonic() - t0
            s.close()


class SlowHeadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(serve_args=["--max-connections", "8", "--head-timeout", str(HEAD_TIMEOUT),
                                  "--threads", "2"])

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def timed_healthz(self):
        t0 = time.monotonic()
        s = socket.create_connection((HOST, self.e.port), timeout=5)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            resp = read_response(s)
        finally:
            s.close()
        return status_of(resp), time.monotonic() - t0

    def test_eight_slow_heads_do_not_starve_a_normal_client(self):
        # The case: --max-connections 8, eight sockets sending a header line a second.
        # They come from one address, which may hold a quarter of the connections; the normal
        # client is answered within 1 s, every time.
        slow = [SlowHeader(self.e.port, "127.0.0.2") for _ in range(8)]
        for t in slow:
            t.start()
        try:
            time.sleep(0.5)
            worst = 0.0
            for _ in range(12):
                status, took = self.timed_healthz()
                self.assertEqual(status, 200)
                self.assertLess(took, 1.0, "a normal client waited %.2f s" % took)
                worst = max(worst, took)
                time.sleep(0.4)
            # And none of the slow ones lived past the head deadline.
            for t in slow:
                t.join(HEAD_TIMEOUT + 5)
                self.assertFalse(t.is_alive(), "a slow head was never cut off")
                self.assertLess(t.closed_after, HEAD_TIMEOUT + 2.0, t.closed_after)
        finally:
            for t in slow:
                t.stop.set()

    def test_slow_heads_from_many_addresses_do_not_starve_a_normal_client(self):
        # Eight addresses, one slow socket each: together they hold every connection, and no
        # per-address cap stops them. A new connection past max_connections closes the one
        # that has waited longest without a request (a JSON 503), so the normal client is
        # answered within 1 s every time; the slow ones left are cut at the head deadline
        # with a JSON 408.
        slow = [SlowHeader(self.e.port, "127.0.0.%d" % (10 + k)) for k in range(8)]
        for t in slow:
            t.start()
            time.sleep(0.05)  # opened in order: the first is the oldest
        try:
            time.sleep(0.3)
            for _ in range(6):
                status, took = self.timed_healthz()
                self.assertEqual(status, 200)
                self.assertLess(took, 1.0, "a normal client waited %.2f s" % took)
            for t in slow:
                t.join(HEAD_TIMEOUT + 5)
                self.assertFalse(t.is_alive(), "a slow head was never cut off")
                self.assertLess(t.closed_after, HEAD_TIMEOUT + 2.0, t.closed_after)
            codes = []
            for t in slow:
                if t.answer:
                    codes.append(status_of(t.answer))
                    body = json.loads(t.answer.partition(b"\r\n\r\n")[2])
                    self.assertEqual(body["error"]["code"],
                                     {408: "request_timeout", 503: "unavailable"}[codes[-1]])
            # The first slow socket, the oldest, made room for the first normal client.
            self.assertEqual(status_of(slow[0].answer), 503, slow[0].answer[:200])
        finally:
            for t in slow:
                t.stop.set()

    def test_request_line_dripped_is_cut_too(self):
        # Not even the request line: a byte a second of it.
        s = connect_from(self.e.port, "127.0.0.30")
        t0 = time.monotonic()
        closed = False
        try:
            for ch in b"GET /healthz HTTP/1.1 and so on, very slowly":
                try:
                    s.sendall(bytes([ch]))
                except OSError:
                    closed = True
                    break
                s.settimeout(1.0)
                try:
                    s.recv(4096)  # an answer (408) or the close: cut off either way
                    closed = True
                    break
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
                    break
        finally:
            s.close()
        self.assertTrue(closed, "a dripped request line was kept")
        self.assertLess(time.monotonic() - t0, HEAD_TIMEOUT + 2.0)

    def test_body_deadline_covers_the_head(self):
        # request_deadline counts from the request's start: a slow head and a slow body
        # together are cut at it (here the head deadline comes first), and a client sending a
        # whole head at once then a body byte a second is cut at request_deadline.
        e = Ermes(serve_args=["--request-deadline", "3", "--head-timeout", "2"])
        try:
            s = connect_from(e.port, "127.0.0.31")
            t0 = time.monotonic()
            s.sendall(("POST /api/v1/organisations HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                       "Content-Length: 1000\r\n\r\n" % e.token).encode())
            closed = False
            try:
                for _ in range(30):
                    s.sendall(b" ")
                    s.settimeout(1.0)
                    try:
                        s.recv(4096)  # an answer (408) or the close
                        closed = True
                        break
                    except socket.timeout:
                        pass
            except OSError:
                closed = True
            s.close()
            self.assertTrue(closed)
            self.assertLess(time.monotonic() - t0, 3 + 2.0)
            self.assertEqual(e.healthz()[0], 200)
        finally:
            e.close()


class FramingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def connect(self, source="127.0.0.1"):
        return connect_from(self.e.port, source)

    def exchange(self, data, source="127.0.0.1"):
        s = self.connect(source)
        try:
            s.sendall(data)
            return read_all(s, 10.0)
        finally:
            s.close()

    def get(self, path):
        """GET path as the admin over this test's own kind of connection: (status, body)."""
        resp, _ = self.exchange(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                                 "Connection: close\r\n\r\n" % (path, self.e.token)).encode())
        return status_of(resp), resp.partition(b"\r\n\r\n")[2]

    def wait_connections(self, n):
        """Until the daemon counts n open connections besides the one asking (60 s at most)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, body = self.get("/metrics")
            m = re.search(rb"(?m)^ermes_http_connections (\d+)", body)
            if m and int(m.group(1)) >= n + 1:
                return
            time.sleep(0.05)
        self.fail("the daemon never counted %d connections" % n)

    def assert_one_json_error(self, resp, closed, status):
        self.assertTrue(closed, "the connection was left open: %r" % resp[:300])
        self.assertEqual(len(re.findall(rb"HTTP/1\.[01] \d{3}", resp)), 1,
                         "not exactly one response head: %r" % resp[:600])
        self.assertEqual(status_of(resp), status, resp[:300])
        head, _, body = resp.partition(b"\r\n\r\n")
        self.assertRegex(head, rb"(?i)\r\ncontent-type: application/json")
        err = json.loads(body)["error"]
        self.assertIsInstance(err["code"], str)
        self.assertIsInstance(err["message"], str)
        return err

    def post_head(self, extra):
        return ("POST /api/v1/organisations HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n%s\r\n"
                % (self.e.token, extra)).encode()

    def test_two_content_lengths(self):
        body = b'{"short_name": "TWOCL", "name": "x"}'
        resp, closed = self.exchange(self.post_head("Content-Length: %d\r\nContent-Length: 5\r\n"
                                                    % len(body)) + body)
        self.assert_one_json_error(resp, closed, 400)
        self.assertEqual(self.get("/api/v1/organisations/TWOCL")[0], 404)

    def test_content_length_with_chunked(self):
        body = b'{"short_name": "CLTE", "name": "x"}'
        resp, closed = self.exchange(
            self.post_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        self.assert_one_json_error(resp, closed, 400)
        self.assertEqual(self.get("/api/v1/organisations/CLTE")[0], 404)

    def test_negative_content_length(self):
        for cl in (b"-1", b"-0", b"12abc", b"+5", b" "):
            with self.subTest(content_length=cl):
                resp, closed = self.exchange(self.post_head("Content-Length: %s\r\n"
                                                            % cl.decode()))
                self.assert_one_json_error(resp, closed, 400)

    def test_overflowing_content_length(self):
        resp, closed = self.exchange(self.post_head("Content-Length: %s\r\n" % ("9" * 30)))
        self.assert_one_json_error(resp, closed, 413)

    def test_missing_host(self):
        resp, closed = self.exchange(b"GET /healthz HTTP/1.1\r\n\r\n")
        err = self.assert_one_json_error(resp, closed, 400)
        self.assertIn("Host", err["message"])

    def test_bad_heads_beside_heads_under_way(self):
        # Other connections (of the same worker thread, with --threads 1) in the middle of
        # their heads: the bad head is still told apart from them, and they are answered as if
        # nothing happened.
        for bad, status in ((self.post_head("Content-Length: -5\r\n"), 400),
                            (self.post_head("Content-Length: %s\r\n" % ("9" * 30)), 413),
                            (b"GET /healthz HTTP/1.1\r\nX-No-Host: 1\r\n\r\n", 400)):
            with self.subTest(request=bad[:60]):
                neighbours = []
                try:
                    for _ in range(3):
                        n = self.connect()
                        n.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Part: 1\r\n")
                        neighbours.append(n)
                    self.wait_connections(3)
                    resp, closed = self.exchange(bad)
                    self.assert_one_json_error(resp, closed, status)
                    for n in neighbours:
                        n.sendall(b"Connection: close\r\n\r\n")
                        resp, _ = read_all(n, 10.0)
                        self.assertEqual(status_of(resp), 200, resp[:300])
                finally:
                    for n in neighbours:
                        n.close()

    def one_bad_head_among_neighbours(self, bad, status, code, bad_first):
        """The bad request sent beside a connection in the middle of its head and an idle one
        (all on one worker thread with --threads 1); bad_first: its connection is opened
        before theirs. The bad one gets its JSON error, they then their answers."""
        socks = []
        try:
            if bad_first:
                b = self.connect()
                socks.append(b)
            half = self.connect()
            socks.append(half)
            half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            idle = self.connect()
            socks.append(idle)
            if not bad_first:
                b = self.connect()
                socks.append(b)
            self.wait_connections(3)
            # More of the neighbour's head, so that it is often read in the same round.
            half.sendall(b"X-Part: 1\r\n")
            send_until_refused(b, bad)
            resp, closed = read_all(b, 10.0)
            err = self.assert_one_json_error(resp, closed, status)
            self.assertEqual(err["code"], code)
            half.sendall(b"Connection: close\r\n\r\n")
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            for n in (half, idle):
                resp, _ = read_all(n, 10.0)
                self.assertEqual(status_of(resp), 200, resp[:300])
        finally:
            for s in socks:
                s.close()

    def test_too_long_beside_neighbours_reading_heads(self):
        # A request line longer than the head allows (414) and a head over max_header (431),
        # while the same worker thread serves a connection in the middle of its head and an
        # idle one: always ermes's JSON answer (libmicrohttpd's own is an HTML page), whichever
        # connection came first, and the neighbours are answered as if nothing happened.
        long_line = b"GET /healthz?" + b"a" * 60000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        big_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 60000 + b"\r\n\r\n"
        for bad, status, code in ((long_line, 414, "uri_too_long"),
                                  (big_head, 431, "header_too_large")):
            for trial in range(20):
                with self.subTest(code=code, trial=trial):
                    self.one_bad_head_among_neighbours(bad, status, code, trial % 2 == 1)

    def test_too_long_after_a_pipelined_request(self):
        # The over-long request line arrives behind a complete request on the same connection:
        # libmicrohttpd reaches it after answering the first, while a neighbour is mid-head
        # and another idle.
        half = self.connect()
        idle = self.connect()
        s = self.connect()
        try:
            half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            self.wait_connections(3)
            send_until_refused(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz?"
                               + b"a" * 60000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            resp, closed = read_all(s, 10.0)
            first, _, rest = resp.partition(b"\r\n\r\n")
            self.assertEqual(status_of(first), 200, resp[:300])
            rest = rest[int(re.search(rb"(?i)\r\ncontent-length: (\d+)", first).group(1)):]
            err = self.assert_one_json_error(rest, closed, 414)
            self.assertEqual(err["code"], "uri_too_long")
            half.sendall(b"Connection: close\r\n\r\n")
            idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            for n in (half, idle):
                self.assertEqual(status_of(read_all(n, 10.0)[0]), 200)
        finally:
            for c in (s, half, idle):
                c.close()

    def test_bad_content_length_on_a_kept_alive_connection(self):
        # The second request of a connection is checked as the first is.
        s = self.connect()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(read_response(s)), 200)
            s.sendall(self.post_head("Content-Length: -5\r\n"))
            resp, closed = read_all(s, 10.0)
        finally:
            s.close()
        self.assert_one_json_error(resp, closed, 400)

    def test_too_many_query_parameters(self):
        for n in (300, 500, 5000):
            with self.subTest(params=n):
                query = "&".join("a%d=1" % i for i in range(n))
                t0 = time.monotonic()
                resp, closed = self.exchange(("GET /healthz?%s HTTP/1.1\r\nHost: x\r\n\r\n"
                                              % query).encode())
                err = self.assert_one_json_error(resp, closed, 414)
                # 5000 do not even fit in a request line of max_header bytes.
                self.assertEqual(err["code"],
                                 "too_many_parameters" if n < 1000 else "uri_too_long")
                self.assertLess(time.monotonic() - t0, 2.0)
        # A few are fine.
        resp, _ = self.exchange(b"GET /healthz?a=1&b=2 HTTP/1.1\r\nHost: x\r\n"
                                b"Connection: close\r\n\r\n")
        self.assertEqual(status_of(resp), 200)

    def test_head_too_large(self):
        resp, closed = self.exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                     + b"a" * 60000 + b"\r\n\r\n")
        err = self.assert_one_json_error(resp, closed, 431)
        self.assertEqual(err["code"], "header_too_large")

    def test_daemon_stays_available(self):
        self.test_negative_content_length()
        self.test_too_many_query_parameters()
        self.assertEqual(self.get("/healthz")[0], 200)


class OneThreadFramingTest(FramingTest):
    """Every connection on one worker thread: the bad one must be told from its neighbours."""

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(serve_args=["--threads", "1"])


class TlsFramingTest(FramingTest):
    """The same over HTTPS: the JSON answer goes through the connection's TLS session."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise AssertionError("openssl is not installed (scripts/install-deps test)")
        cls.tmp = tempfile.mkdtemp(prefix="ermes-tls-")
        cert, key = os.path.join(cls.tmp, "c.pem"), os.path.join(cls.tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.e = Ermes(serve_args=["--tls-cert", cert, "--tls-key", key, "--threads", "1"])
        cls.ctx = ssl.create_default_context()
        cls.ctx.check_hostname = False
        cls.ctx.verify_mode = ssl.CERT_NONE

    @classmethod
    def tearDownClass(cls):
        cls.e.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def connect(self, source="127.0.0.1"):
        return self.ctx.wrap_socket(connect_from(self.e.port, source))


if __name__ == "__main__":
    main()
