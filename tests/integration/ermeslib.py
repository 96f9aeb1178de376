"""Helpers for the ermes integration tests: stdlib only (/usr/bin/python3).

    with Ermes(demo=True) as e:
        status, headers, body = e.request("GET", "/api/v1/organisations")
        rc, out, err = e.cli("lookup", "198.51.100.7")

An Ermes instance owns a temporary data directory, runs `ermes init` in it, and starts
`ermes serve` on 127.0.0.1 with an ephemeral port. Every daemon started here is killed when the
instance is closed, and again at interpreter exit as a last resort, so no test leaves one behind.
"""

import atexit
import email
import email.policy
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ERMES_BIN = os.environ.get("ERMES_BIN", "/tmp/build-it/ermes")
SOURCE_DIR = os.environ.get(
    "ERMES_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")))

HOST = "127.0.0.1"
# What AddressSanitizer, LeakSanitizer and UBSan print; a test fails when ermes printed any.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
START_TIMEOUT = 20.0      # seconds to wait for the port file
REQUEST_TIMEOUT = 60.0    # generous: slow machines, sanitizer builds
CLI_TIMEOUT = 120.0

TOKEN_RE = re.compile(r"ermes_[A-Za-z0-9_-]{20,}")

_DEFAULT = object()
_live_procs = set()

# With ERMES_TEST_DATABASE_URL (a postgresql:// URL of the server the test run started,
# scripts/pg-test-server), every Ermes instance keeps its rows in a schema of its own on that
# server instead of DATA_DIR/ermes.db: its processes get ERMES_DATABASE_URL.
PG_URL = os.environ.get("ERMES_TEST_DATABASE_URL") or None


def postgresql():
    """True when the integration tests run on PostgreSQL."""
    return PG_URL is not None


def _psql(sql):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_URL, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise ErmesError("psql failed: %s" % p.stderr.decode("utf-8", "replace"))


_pg_urls = {}


def db_env(data_dir):
    """The environment a process started by hand on data_dir needs to find its rows."""
    url = _pg_urls.get(os.path.realpath(data_dir))
    return {"ERMES_DATABASE_URL": url} if url else {}


class _PgCursor:
    def __init__(self, rows):
        self._rows = rows

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self):
        return list(self._rows)

    def __iter__(self):
        return iter(self._rows)


class _PgConnection:
    """What the tests do with sqlite3 on DATA_DIR/ermes.db, on the instance's PostgreSQL
    schema instead, through psql: execute with '?' parameters, fetch, iterate."""

    _NULL = "\x1d"

    def __init__(self, url):
        self.url = url

    @staticmethod
    def _literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, (bytes, bytearray)):
            return "'\\x%s'::bytea" % bytes(v).hex()
        if isinstance(v, (int, float)):
            return repr(v)
        return "'" + str(v).replace("'", "''") + "'"

    @staticmethod
    def _value(t):
        if t == _PgConnection._NULL:
            return None
        if t.startswith("\\x"):
            return bytes.fromhex(t[2:])
        if re.fullmatch(r"-?[0-9]+", t):
            return int(t)
        return t

    def _psql(self, sql):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
                            "-R", "\x1e", "-P", "null=" + self._NULL, "-d", self.url, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if p.returncode != 0:
            raise ErmesError("psql: %s" % p.stderr.decode("utf-8", "replace"))
        out = p.stdout.decode("utf-8", "replace")
        if out.endswith("\n"):
            out = out[:-1]  # psql ends its output with a newline after the last record
        return [tuple(self._value(v) for v in rec.split("\x1f"))
                for rec in out.split("\x1e") if rec.strip("\n")]

    def execute(self, sql, params=()):
        sql = sql.strip()
        if sql.upper() == "PRAGMA INTEGRITY_CHECK":
            # PostgreSQL's own check of every B-tree index of the schema (amcheck): an
            # error is a corrupt index; none is "ok", as SQLite says.
            self._psql("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public;"
                       " SELECT public.bt_index_check(i.indexrelid, true) FROM pg_index i"
                       " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
                       " WHERE a.amname = 'btree' AND c.relkind = 'i'"
                       " AND c.relnamespace = current_schema()::regnamespace")
            return _PgCursor([("ok",)])
        if sql.upper() == "PRAGMA FOREIGN_KEY_CHECK":
            return _PgCursor([])  # PostgreSQL checks them at every commit
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ErmesError("%d parameters for %r" % (len(params), sql))
        text = parts[0] + "".join(self._literal(v) + rest for v, rest in zip(params, parts[1:]))
        return _PgCursor(self._psql(text))

    def commit(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def db_connect(path, readonly=False):
    """A connection to DATA_DIR/ermes.db (path), or, on PostgreSQL, to the schema of the
    instance whose data directory holds path."""
    import sqlite3
    url = _pg_urls.get(os.path.realpath(os.path.dirname(path)))
    if url:
        return _PgConnection(url)
    if readonly:
        return sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=30)
    return sqlite3.connect(path, timeout=30)


def _pg_schema(data_dir, fresh):
    """The database URL of the schema that holds data_dir's rows; fresh: made empty."""
    import hashlib
    name = "t_" + hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:20]
    if fresh:
        _psql("SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE;"
              " CREATE SCHEMA %s" % (name, name))
    else:
        _psql("CREATE SCHEMA IF NOT EXISTS %s" % name)
    sep = "&" if "?" in PG_URL else "?"
    url = PG_URL + sep + "options=-csearch_path%3D" + name
    _pg_urls[os.path.realpath(data_dir)] = url
    return url, name


def _kill_leftovers():
    for p in list(_live_procs):
        try:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        except Exception:
            pass
        _live_procs.discard(p)


atexit.register(_kill_leftovers)


def wait_until(pred, timeout=10.0, interval=0.02, what="condition", steady=False):
    """Polls pred() until it returns something truthy; returns that value or raises. The
    interval grows to a quarter second, unless steady: a state that may last only a moment
    (a job under way on a quiet machine) is polled at the interval given throughout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)
        if not steady:
            interval = min(interval * 1.5, 0.25)


# The shipped warninglists that cover the documentation values the tests use (see Ermes).
TEST_WARNINGLISTS_OFF = "rfc5735,rfc6761,rfc3849,rfc1918"


class ErmesError(Exception):
    pass


class Ermes:
    """One data directory and (at most) one running daemon on it."""

    def __init__(self, demo=False, serve_args=(), env=None, start=True, init=True,
                 data_dir=None):
        if not os.path.exists(ERMES_BIN):
            raise ErmesError("ermes binary not found at %s (set ERMES_BIN)" % ERMES_BIN)
        self._own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="ermes-it-")
        self.token_file = os.path.join(self.dir, "admin.token")
        self.port_file = os.path.join(self.dir, "port")
        self.serve_args = list(serve_args)
        self.env = dict(env or {})
        self.proc = None
        self.port = None
        self.token = None
        self._logs = []
        self._nlog = 0
        self.database_url = None
        self._schema = None
        # The tests' data is made of documentation addresses and names (RFC 5737, 3849, 6761)
        # and private ranges, which shipped warninglists cover: those lists are off in each
        # test's configuration, the others on as in a real deployment (test_warninglists
        # checks them all).
        conf = os.path.join(self.dir, "ermes.conf")
        have = ""
        if os.path.exists(conf):
            with open(conf) as f:
                have = f.read()
        if "warninglists_off" not in have:
            with open(conf, "a") as f:
                f.write("warninglists_off = %s\n" % TEST_WARNINGLISTS_OFF)
        if postgresql():
            self.database_url, self._schema = _pg_schema(self.dir, fresh=self._own_dir)
            self.env.setdefault("ERMES_DATABASE_URL", self.database_url)
            # Also in the data directory's ermes.conf, for the processes a test starts by
            # hand with just --data-dir (a test that rewrites the file still has the
            # environment for the daemon and the CLI it runs through this class).
            with open(conf) as f:
                have = f.read()
            if "database_url" not in have:
                with open(conf, "a") as f:
                    f.write("database_url = %s\n" % self.database_url)
        try:
            if init:
                self.init(demo=demo)
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    # ---- lifecycle ------------------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def init(self, demo=False):
        args = ["init", "--data-dir", self.dir, "--admin-token-file", self.token_file]
        if demo:
            args.append("--demo")
        rc, out, err = self.cli(*args, data_dir=False)
        if rc != 0:
            raise ErmesError("ermes init failed (rc %d)\nstdout: %s\nstderr: %s" % (rc, out, err))
        self.token = self.read_token()

    def read_token(self):
        with open(self.token_file) as f:
            tok = f.read().strip()
        if not tok:
            raise ErmesError("empty admin token file %s" % self.token_file)
        return tok

    def start(self, extra_args=None, env=None):
        if self.proc is not None and self.proc.poll() is None:
            raise ErmesError("daemon already running")
        try:
            os.unlink(self.port_file)
        except FileNotFoundError:
            pass
        args = [ERMES_BIN, "serve", "--data-dir", self.dir, "--listen", HOST + ":0",
                "--port-file", self.port_file]
        args += self.serve_args if extra_args is None else list(extra_args)
        penv = dict(os.environ)
        penv.update(self.env)
        if env:
            penv.update(env)
        self._nlog += 1
        log_path = os.path.join(self.dir, "serve-%d.log" % self._nlog)
        self._logs.append(log_path)
        log = open(log_path, "wb")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=penv)
        finally:
            log.close()
        _live_procs.add(self.proc)
        self.port = None
        deadline = time.monotonic() + START_TIMEOUT
        interval = 0.01
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ErmesError("ermes serve exited with %s before listening:\n%s"
                                 % (self.proc.returncode, self.log()))
            port = self._read_port()
            if port:
                self.port = port
                return port
            time.sleep(interval)
            interval = min(interval * 1.5, 0.2)
        self.kill9()
        raise ErmesError("ermes serve wrote no port file within %.0f s:\n%s"
                         % (START_TIMEOUT, self.log()))

    def _read_port(self):
        try:
            with open(self.port_file) as f:
                s = f.read().strip()
        except (FileNotFoundError, PermissionError):
            return None
        if not s.isdigit():
            return None
        p = int(s)
        return p if 0 < p < 65536 else None

    def log(self):
        """The output of the most recent daemon."""
        if not self._logs:
            return ""
        try:
            with open(self._logs[-1], "rb") as f:
                return f.read().decode("utf-8", "replace")[-8000:]
        except OSError:
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=30.0):
        """SIGTERM; returns (exit code, seconds it took). Kills with SIGKILL after timeout."""
        if self.proc is None:
            return None, 0.0
        p = self.proc
        t0 = time.monotonic()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        took = time.monotonic() - t0
        _live_procs.discard(p)
        self.proc = None
        return p.returncode, took

    def kill9(self):
        if self.proc is None:
            return None
        p = self.proc
        if p.poll() is None:
            try:
                p.kill()
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        _live_procs.discard(p)
        self.proc = None
        return p.returncode

    def restart(self, extra_args=None, env=None):
        if self.running():
            self.stop()
        return self.start(extra_args=extra_args, env=env)

    def sanitizer_reports(self):
        """Sanitizer findings in any daemon log of this instance (ASan/UBSan builds)."""
        found = []
        for path in self._logs:
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            for marker in SANITIZER_MARKERS:
                if marker in text:
                    found.append("%s: %s" % (path, text[text.index(marker) - 200:][:4000]))
                    break
        return found

    def close(self):
        try:
            # A graceful stop, so that leak checking runs at exit in sanitizer builds.
            if self.proc is not None:
                self.stop()
            reports = self.sanitizer_reports()
            if reports:
                raise ErmesError("sanitizer reports from ermes serve:\n" + "\n".join(reports))
        finally:
            if self._own_dir and os.environ.get("ERMES_KEEP_DIRS") != "1":
                shutil.rmtree(self.dir, ignore_errors=True)
                if self._schema:
                    try:
                        _psql("SET client_min_messages = warning;"
                              " DROP SCHEMA IF EXISTS %s CASCADE" % self._schema)
                    except Exception:
                        pass

    # ---- HTTP -----------------------------------------------------------------------------

    def connect(self, timeout=REQUEST_TIMEOUT):
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def request(self, method, path, body=None, token=_DEFAULT, headers=None, raw=False,
                timeout=REQUEST_TIMEOUT, content_type=None):
        """Returns (status, headers as a dict with lower-case names, body).

        body: dict/list (sent as JSON), str or bytes (sent as is). token: the admin token by
        default, None for no Authorization header. raw=True returns the body as bytes; else
        JSON bodies are parsed (bytes are returned for anything that is not JSON)."""
        if token is _DEFAULT:
            token = self.token
        hdrs = {}
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
                hdrs["Content-Type"] = "application/json"
            elif isinstance(body, str):
                data = body.encode()
                hdrs["Content-Type"] = "application/json"
            else:
                data = bytes(body)
                hdrs["Content-Type"] = "application/json"
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if headers:
            for k, v in headers.items():
                # let a caller remove a default header by passing None
                for existing in list(hdrs):
                    if existing.lower() == k.lower():
                        del hdrs[existing]
                if v is not None:
                    hdrs[k] = v
        conn = self.connect(timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            payload = resp.read()
            rh = {}
            for k, v in resp.getheaders():
                k = k.lower()
                rh[k] = v if k not in rh else rh[k] + ", " + v
            status = resp.status
        finally:
            conn.close()
        if raw:
            return status, rh, payload
        ctype = rh.get("content-type", "")
        if "json" in ctype and payload:
            try:
                return status, rh, json.loads(payload)
            except ValueError:
                return status, rh, payload
        return status, rh, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def healthz(self):
        return self.request("GET", "/healthz", token=None)

    def ok(self, method, path, body=None, expect=(200, 201, 204), **kw):
        """request() that fails loudly on an unexpected status; returns the body."""
        status, h, b = self.request(method, path, body=body, **kw)
        if isinstance(expect, int):
            expect = (expect,)
        if status not in expect:
            raise AssertionError("%s %s -> %d (expected %s): %r" % (method, path, status,
                                                                   expect, b))
        return b

    def list_all(self, path, token=_DEFAULT, limit=None, max_pages=100000):
        """Follows next_cursor; returns every item."""
        base = path
        if limit:
            base += ("&" if "?" in base else "?") + "limit=%d" % limit
        sep = "&" if "?" in base else "?"
        url = base
        items = []
        for _ in range(max_pages):
            b = self.ok("GET", url, token=token, expect=200)
            items.extend(b["data"])
            cur = b.get("next_cursor")
            if cur is None:
                return items
            url = base + sep + "cursor=" + _quote(str(cur))
        raise AssertionError("pagination of %s did not end" % path)

    # ---- users and tokens -----------------------------------------------------------------

    def create_user(self, name, role, org=None, password=None):
        body = {"name": name, "role": role}
        if org is not None:
            body["org"] = org
        if password is not None:
            body["password"] = password
        return self.ok("POST", "/api/v1/users", body, expect=201)

    def create_token(self, user_id=None, token=_DEFAULT, **extra):
        body = dict(extra)
        if user_id is not None:
            body["user"] = user_id
        return self.ok("POST", "/api/v1/tokens", body, expect=201, token=token)

    def user_token(self, name, role, org=None):
        """Creates a user and a token for it; returns (user, secret)."""
        u = self.create_user(name, role, org=org)
        t = self.create_token(u["id"])
        return u, t["token"]

    # ---- CLI ------------------------------------------------------------------------------

    def cli(self, *args, data_dir=True, input=None, env=None, timeout=CLI_TIMEOUT):
        """Runs `ermes ARGS [--data-dir DIR]`; returns (rc, stdout, stderr) as text."""
        argv = [ERMES_BIN] + [str(a) for a in args]
        if data_dir:
            argv += ["--data-dir", self.dir]
        penv = {"ERMES_DATABASE_URL": self.database_url} if self.database_url else {}
        penv.update(env or {})
        return run(argv, input=input, env=penv, timeout=timeout)


def run(argv, input=None, env=None, timeout=CLI_TIMEOUT):
    penv = dict(os.environ)
    # A command on an instance's data directory reads that instance's rows.
    for k, a in enumerate(argv[:-1]):
        if a == "--data-dir":
            penv.update(db_env(str(argv[k + 1])))
    if env:
        penv.update(env)
    p = subprocess.run(argv, input=input if input is None or isinstance(input, bytes)
                       else input.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=penv, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    for marker in SANITIZER_MARKERS:
        if marker in err:
            raise ErmesError("sanitizer report from %s:\n%s" % (" ".join(argv), err[-4000:]))
    return (p.returncode, p.stdout.decode("utf-8", "replace"), err)


def cli(*args, **kw):
    """Runs the binary without a data directory (for --help, usage errors)."""
    return run([ERMES_BIN] + [str(a) for a in args], **kw)


def _quote(s):
    from urllib.parse import quote
    return quote(s, safe="")


def quote(s):
    return _quote(s)


def raw_exchange(port, data, timeout=REQUEST_TIMEOUT):
    """Sends raw bytes, reads until the server closes or one full response arrives.
    Returns the bytes read."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(data)
        return read_response(s)
    finally:
        s.close()


def read_response(s):
    """Reads one HTTP/1.1 response from socket s (Content-Length or close-delimited)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if m:
        n = int(m.group(1))
        while len(rest) < n:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head + b"\r\n\r\n" + rest
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def status_of(resp_bytes):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp_bytes)
    return int(m.group(1)) if m else None


def assert_error(tc, status, body, want_status, want_code=None, field=_DEFAULT):
    """Checks the JSON error body of the contract."""
    tc.assertEqual(status, want_status, "body: %r" % (body,))
    tc.assertIsInstance(body, dict, "error body is not JSON: %r" % (body,))
    tc.assertIn("error", body)
    err = body["error"]
    tc.assertIsInstance(err, dict)
    tc.assertIsInstance(err.get("code"), str)
    tc.assertIsInstance(err.get("message"), str)
    tc.assertIn("field", err)
    if want_code is not None:
        tc.assertEqual(err["code"], want_code, "error: %r" % (err,))
    if field is not _DEFAULT:
        tc.assertEqual(err["field"], field, "error: %r" % (err,))
    return err


# ---- mail: a real SMTP server (aiosmtpd) ------------------------------------------------------

MAIL_FROM = "UCERT <cert@ucert.example>"
# make check installs it (scripts/install-deps test): a missing one fails the tests that need
# it, saying which, never skips them.
NEED_AIOSMTPD = "python3-aiosmtpd is not installed (scripts/install-deps test)"


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Mailbox:
    """An aiosmtpd handler that keeps what it received; it can refuse, or run a hook."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.refuse = None      # an SMTP reply for DATA, e.g. "554 5.7.1 refused"
        self.on_data = None     # called with the raw message before the reply

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        raw = envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "rcpts": sorted(envelope.rcpt_tos),
                                  "msg": msg, "raw": raw, "tls": session.ssl is not None})
        hook = self.on_data
        if hook:
            hook(raw)
        return "250 Message accepted for delivery"

    def count(self):
        with self.lock:
            return len(self.messages)

    def all(self):
        with self.lock:
            return list(self.messages)

    def since(self, n):
        with self.lock:
            return list(self.messages[n:])


class SmtpServer:
    """aiosmtpd on a fixed port, so it can be stopped and started again at the same place."""

    def __init__(self, tls_context=None):
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise AssertionError(NEED_AIOSMTPD) from None
        self._controller_class = Controller
        self.port = free_port()
        self.mailbox = Mailbox()
        self.tls_context = tls_context
        self.controller = None

    def url(self):
        return "smtp://%s:%d" % (HOST, self.port)

    def start(self):
        kw = {}
        if self.tls_context is not None:
            kw["tls_context"] = self.tls_context
        self.controller = self._controller_class(self.mailbox, hostname=HOST, port=self.port,
                                                 **kw)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def body_text(msg):
    """The text/plain body of a received message."""
    return msg.get_body(preferencelist=("plain",)).get_content()


def normal(text):
    """text with CRLF line ends (mail, pages served as sent) made LF."""
    return text.replace("\r\n", "\n")


# ---- one daemon per test class ----------------------------------------------------------------


class DaemonTest(unittest.TestCase):
    """A test class whose tests share one daemon, cls.e, started in setUpClass with what the
    class asks for below; it, and all else set up here, is stopped when the class ends and also
    when a step of the set-up fails (class cleanups, the last started first: the daemon
    (its data directory, its PostgreSQL schema), then the SMTP server, then temporary
    directories).

        class Example(DaemonTest):
            demo = True                           # ermes init --demo
            mail = True                           # a real SMTP server: cls.smtp, cls.mailbox
            daemon_env = {"ERMES_NOTIFY_WINDOW": "1"}
            orgs = {"ACME": "Acme"}               # organisations made first (short: name)
            users = (("alice", "analyst"), ("conny", "constituent", "ACME"))
            tmp_prefix = "ermes-example-"         # cls.tmp, a temporary directory

    Each user is cls.NAME (as created) and cls.NAME_t (a token of it); req() acts as the first
    user, or with the admin token when there is none. cls.env is the daemon's environment as
    set here (mail's settings, then daemon_env); self.cli() runs commands with it. A class
    that needs more overrides setUpClass, prepares what the daemon needs with temp_dir(),
    smtp_server() or addClassCleanup(), and calls super().setUpClass() (or daemon() itself).
    """

    demo = False
    # A real SMTP server for the class (aiosmtpd): the daemon's ERMES_MAIL_FROM is MAIL_FROM,
    # it retries after a second (ERMES_NOTIFY_RETRY_BASE=1), and, with send, it sends through
    # the server (ERMES_SMTP_URL); without send, the server waits for a test that restarts the
    # daemon with ERMES_SMTP_URL = cls.smtp.url().
    mail = False
    send = True
    daemon_env = {}
    serve_args = ()
    orgs = {}
    users = ()
    tmp_prefix = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.tmp_prefix:
            cls.tmp = cls.temp_dir(cls.tmp_prefix)
        env = {}
        if cls.mail:
            cls.smtp = cls.smtp_server()
            cls.mailbox = cls.smtp.mailbox
            env = {"ERMES_MAIL_FROM": MAIL_FROM, "ERMES_NOTIFY_RETRY_BASE": "1"}
            if cls.send:
                env["ERMES_SMTP_URL"] = cls.smtp.url()
        env.update(cls.daemon_env)
        cls.env = env
        cls.e = cls.daemon(demo=cls.demo, env=env, serve_args=cls.serve_args)
        for short, name in cls.orgs.items():
            cls.e.ok("POST", "/api/v1/organisations", {"short_name": short, "name": name},
                     expect=201)
        cls.req_token = cls.e.token
        for k, (name, role, *org) in enumerate(cls.users):
            user, token = cls.e.user_token(name, role, org=org[0] if org else None)
            setattr(cls, name, user)
            setattr(cls, name + "_t", token)
            if k == 0:
                cls.req_token = token

    # ---- what set-up starts, each stopped at the end ------------------------------------------

    @classmethod
    def daemon(cls, **kw):
        """An Ermes(**kw), closed when the class ends."""
        e = Ermes(**kw)
        cls.addClassCleanup(e.close)
        return e

    @classmethod
    def smtp_server(cls, tls_context=None):
        """A started SmtpServer, stopped when the class ends."""
        smtp = SmtpServer(tls_context=tls_context)
        smtp.start()
        cls.addClassCleanup(smtp.stop)
        return smtp

    @classmethod
    def temp_dir(cls, prefix):
        """A temporary directory, removed when the class ends."""
        path = tempfile.mkdtemp(prefix=prefix)
        cls.addClassCleanup(shutil.rmtree, path, ignore_errors=True)
        return path

    # ---- helpers of the tests -----------------------------------------------------------------

    @classmethod
    def req(cls, method, path, body=None, token=None, expect=(200, 201)):
        """A request as the first user (or token); fails unless its status is in expect;
        returns the body. A class method, so that set-up can use it too."""
        s, _, b = cls.e.request(method, path, body, token=token or cls.req_token)
        if isinstance(expect, int):
            expect = (expect,)
        if s not in expect:
            raise cls.failureException("%d not found in %r : %s %s -> %d %r"
                                       % (s, expect, method, path, s, b))
        return b

    def cli(self, *args, env=None):
        """`ermes ARGS` on the daemon's data directory with cls.env (and env)."""
        full = dict(self.env)
        full.update(env or {})
        return self.e.cli(*args, env=full)

    def cli_ok(self, *args):
        """cli() that fails unless the command exits 0; returns its standard output."""
        rc, out, err = self.cli(*args)
        self.assertEqual(rc, 0, out + err)
        return out

    def mails_to(self, needle):
        """The messages the SMTP server got for a recipient containing needle."""
        return [m for m in self.mailbox.all() if any(needle in r for r in m["rcpts"])]

    def mails_by_org(self):
        """The messages the SMTP server got, by the organisation of their notification."""
        made = {n["reference"]: n for n in self.e.list_all("/api/v1/notifications")}
        out = {}
        for m in self.mailbox.all():
            n = made[str(m["msg"]["X-ERMES-Reference"])]
            out.setdefault(n["org"], []).append(m)
        return out


# A skipped test is a failure: make check installs every dependency (scripts/install-deps test)
# and CI has ../shared beside the checkout, so a skip could only hide a test that never ran.
# Benchmarks are programs under bench/, never tests.


def main():
    """unittest.main() that exits non-zero on failure or on any skip, and always cleans up."""
    try:
        prog = unittest.main(verbosity=2, exit=False)
        result = prog.result
        hidden = [(str(t), why) for t, why in result.skipped]
        for t, why in hidden:
            print("SKIPPED, which fails the run: %s: %s" % (t, why), file=sys.stderr)
        sys.exit(0 if result.wasSuccessful() and not hidden else 1)
    finally:
        _kill_leftovers()
