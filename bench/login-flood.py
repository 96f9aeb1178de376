#!/usr/bin/python3
"""login-flood: how the daemon serves others while unauthenticated clients flood the login.

    bench/login-flood.py [BUILD_DIR]      (ERMES_BIN overrides BUILD_DIR/ermes)

Starts `ermes serve` on a throwaway data directory (default settings), then for DURATION
seconds (default 20) a separate process keeps CONNECTIONS (default 64) keep-alive connections
busy with `POST /api/v1/sessions` for unknown user names and wrong passwords, a new name each
time, reconnecting whenever the server closes. Meanwhile this process times, one after the
other, `GET /healthz` and an authenticated `GET /api/v1/me` (bearer token), each on its own
keep-alive connection, every 20 ms. It prints the probes' p50/p99/max, the logins answered
(by status), the daemon's peak RSS (VmHWM) and the audit rows the flood wrote.
Goal (issue 10): both p99 under 50 ms. Stdlib only (it reuses tests/integration/ermeslib.py).
"""

import asyncio
import json
import multiprocessing
import os
import socket
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import ermeslib  # noqa: E402

DURATION = float(os.environ.get("DURATION", "20"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
GOAL_MS = 50.0


async def flood_one(port, k, stop_at, counts):
    n = 0
    reader = writer = None
    while time.monotonic() < stop_at:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body = json.dumps({"username": "flood-%d-%d" % (k, n),
                               "password": "wrong password %d" % n}).encode()
            n += 1
            writer.write(b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            close = False
            for line in head.split(b"\r\n"):
                low = line.lower()
                if low.startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                elif low.startswith(b"connection:") and b"close" in low:
                    close = True
            if length:
                await reader.readexactly(length)
            counts[str(status)] = counts.get(str(status), 0) + 1
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["errors"] = counts.get("errors", 0) + 1
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


def flood(port, duration, connections, out):
    async def main():
        counts = {}
        stop_at = time.monotonic() + duration
        await asyncio.gather(*(flood_one(port, k, stop_at, counts) for k in range(connections)))
        return counts
    out.put(asyncio.run(main()))


class Probe:
    """One keep-alive connection timing a GET."""

    def __init__(self, port, path, token=None):
        self.port, self.path, self.token = port, path, token
        self.s = None
        self.times = []
        self.failures = 0

    def once(self):
        req = "GET %s HTTP/1.1\r\nHost: x\r\n" % self.path
        if self.token:
            req += "Authorization: Bearer %s\r\n" % self.token
        req = (req + "\r\n").encode()
        t0 = time.monotonic()
        try:
            if self.s is None:
                self.s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.s.sendall(req)
            resp = ermeslib.read_response(self.s)
            if ermeslib.status_of(resp) != 200:
                raise OSError("status %r" % ermeslib.status_of(resp))
        except OSError:
            self.failures += 1
            if self.s:
                self.s.close()
            self.s = None
            return
        self.times.append((time.monotonic() - t0) * 1000.0)

    def summary(self):
        t = sorted(self.times)
        if not t:
            return "no answer"
        pick = lambda q: t[min(len(t) - 1, int(q * len(t)))]  # noqa: E731
        return "n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms failures=%d" % (
            len(t), pick(0.50), pick(0.99), t[-1], self.failures)

    def p99(self):
        t = sorted(self.times)
        return t[min(len(t) - 1, int(0.99 * len(t)))] if t else float("inf")


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    ermeslib.ERMES_BIN = os.environ.get("ERMES_BIN", os.path.join(build, "ermes"))
    with ermeslib.Ermes() as e:
        audit_before = len(e.list_all("/api/v1/audit"))
        idle = [Probe(e.port, "/healthz"), Probe(e.port, "/api/v1/me", e.token)]
        for _ in range(50):
            for p in idle:
                p.once()
        print("idle:  /healthz %s" % idle[0].summary())
        print("idle:  /api/v1/me %s" % idle[1].summary())
        out = multiprocessing.Queue()
        proc = multiprocessing.Process(target=flood, args=(e.port, DURATION, CONNECTIONS, out))
        proc.start()
        time.sleep(1.0)  # let the flood build up
        probes = [Probe(e.port, "/healthz"), Probe(e.port, "/api/v1/me", e.token)]
        stop_at = time.monotonic() + DURATION - 2.0
        while time.monotonic() < stop_at:
            for p in probes:
                p.once()
            time.sleep(0.02)
        counts = out.get(timeout=DURATION + 60)
        proc.join(60)
        hwm = vm_hwm_kib(e.proc.pid)
        # A stopping daemon writes the counts of its unfinished audit intervals.
        e.stop()
        db = sqlite3.connect(os.path.join(e.dir, "ermes.db"))
        audit_rows = db.execute("SELECT count(*) FROM audit").fetchone()[0] - audit_before
        db.close()
        print("flood: %d connections, %.0f s: logins answered %s" % (
            CONNECTIONS, DURATION, json.dumps(counts, sort_keys=True, default=str)))
        print("flood: /healthz %s" % probes[0].summary())
        print("flood: /api/v1/me %s" % probes[1].summary())
        print("flood: daemon peak RSS %.0f MiB, audit rows written %d" % (hwm / 1024.0,
                                                                          audit_rows))
        ok = all(p.p99() < GOAL_MS for p in probes)
        print("goal: p99 of /healthz and /api/v1/me under %.0f ms during the flood: %s"
              % (GOAL_MS, "met" if ok else "GOAL MISSED"))


if __name__ == "__main__":
    main()
