"""Durability: a SIGKILL in the middle of a large import leaves all of it or none of it; SIGTERM
stops the daemon promptly and cleanly; what was acknowledged survives a kill -9."""

import json
import os
import random
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import HOST, Ermes, db_connect, main, read_response, status_of, wait_until  # noqa: E402

ORGS = "/api/v1/organisations"
N_IMPORT = int(os.environ.get("ERMES_DURABILITY_ORGS", "20000"))
SEED = int(os.environ.get("ERMES_DURABILITY_SEED", str(int(time.time()))))


def big_import(n):
    """n organisations, each with an IPv4 /24 in 10.0.0.0/8 and an IPv6 /48 in 2001:db8::/32."""
    orgs = []
    for i in range(n):
        orgs.append({"short_name": "DUR%05d" % i, "name": "Durable organisation %d" % i,
                     "country": "NL", "type": "agency", "tlp": "AMBER",
                     "networks": ["10.%d.%d.0/24" % (i >> 8 & 255, i & 255),
                                  "2001:db8:%x::/48" % i],
                     "contacts": [{"email": "abuse@dur%05d.example" % i, "role": "abuse",
                                   "language": "en"}]})
    return json.dumps({"organisations": orgs}, indent=1).encode()


def count_orgs(e):
    return len(e.list_all(ORGS, limit=1000))


def integrity_check(path):
    con = db_connect(path, readonly=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


class DurabilityTest(unittest.TestCase):
    maxDiff = 2000

    @classmethod
    def setUpClass(cls):
        cls.payload = big_import(N_IMPORT)
        print("\n[durability] seed %d, %d organisations, %.1f MB import"
              % (SEED, N_IMPORT, len(cls.payload) / 1e6), file=sys.stderr)

    def post_import(self, e, result):
        """Sends the big import; records ('ok', status, body) or ('error', exception)."""
        try:
            s, _, b = e.request("POST", ORGS + "/import", self.payload, timeout=600)
            result.append(("ok", s, b))
        except Exception as exc:  # noqa: BLE001
            result.append(("error", repr(exc)))

    def check_all_or_nothing(self, e, acknowledged):
        """After a restart: 1 + N or 1 organisations, and the lookup index agrees."""
        s, _, b = e.healthz()
        self.assertEqual(s, 200, b)
        self.assertEqual(b["status"], "ok")
        self.assertEqual(integrity_check(os.path.join(e.dir, "ermes.db")), "ok")
        n = count_orgs(e)
        self.assertIn(n, (1, 1 + N_IMPORT), "a half import survived: %d organisations" % n)
        if acknowledged:
            self.assertEqual(n, 1 + N_IMPORT, "an acknowledged import was lost")
        last = N_IMPORT - 1
        probes = [(0, "10.0.0.1"), (last, "10.%d.%d.9" % (last >> 8 & 255, last & 255)),
                  (last, "2001:db8:%x::1" % last)]
        for i, ip in probes:
            r = e.ok("GET", "/api/v1/lookup?ip=" + ip)
            if n == 1:
                self.assertFalse(r["found"], r)
            else:
                self.assertTrue(r["found"], r)
                self.assertEqual(r["organisation"]["short_name"], "DUR%05d" % i)
        if n > 1:
            o = e.ok("GET", ORGS + "/DUR%05d" % last)
            self.assertEqual(len(o["networks"]), 2)
            self.assertEqual(len(o["contacts"]), 1)
        return n

    def test_a_kill_during_import(self):
        rng = random.Random(SEED)
        # One undisturbed import first, to learn how long one takes here.
        with Ermes() as e:
            t0 = time.monotonic()
            result = []
            self.post_import(e, result)
            took = time.monotonic() - t0
            self.assertEqual(result[0][0], "ok", result)
            self.assertEqual(result[0][1], 200, str(result[0])[:500])
            rep = result[0][2]
            self.assertEqual((rep["rows"], rep["imported"], rep["failed"]),
                             (N_IMPORT, N_IMPORT, 0), {k: rep[k] for k in rep if k != "errors"})
            e.kill9()
            e.start()
            self.assertEqual(self.check_all_or_nothing(e, True), 1 + N_IMPORT)
        print("[durability] one import takes %.2f s" % took, file=sys.stderr)

        # spread over the whole request, denser near the end where the commit happens
        fractions = [0.02, 0.15, 0.35, 0.55, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1.02]
        fractions += [rng.uniform(0.0, 1.1) for _ in range(3)]
        fractions += [rng.uniform(0.75, 1.05) for _ in range(4)]
        outcomes = []
        for k, frac in enumerate(fractions):
            delay = frac * took
            with self.subTest(trial=k, delay=round(delay, 3)):
                with Ermes() as e:
                    result = []
                    t = threading.Thread(target=self.post_import, args=(e, result))
                    t.start()
                    time.sleep(delay)
                    e.kill9()
                    t.join(120)
                    self.assertFalse(t.is_alive(), "the client hung after the kill")
                    acked = bool(result) and result[0][0] == "ok" and result[0][1] == 200
                    e.start()
                    n = self.check_all_or_nothing(e, acked)
                    outcomes.append((round(delay, 3), "all" if n > 1 else "none",
                                     "acked" if acked else "-"))
        print("[durability] kill outcomes: %s" % outcomes, file=sys.stderr)

    def test_b_sigterm(self):
        with Ermes() as e:
            e.ok("POST", ORGS, {"short_name": "TERM1", "name": "Term"}, expect=201)
            rc, took = e.stop()
            self.assertEqual(rc, 0, e.log())
            self.assertLess(took, 2.0, "SIGTERM took %.2f s" % took)

            # with an idle keep-alive connection open
            e.start()
            s = socket.create_connection((HOST, e.port), timeout=30)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Connection: keep-alive\r\n\r\n")
                resp = read_response(s)
                self.assertEqual(status_of(resp), 200, resp[:200])
                # a second connection that has sent nothing at all
                s2 = socket.create_connection((HOST, e.port), timeout=30)
                try:
                    rc, took = e.stop(timeout=30)
                finally:
                    s2.close()
            finally:
                s.close()
            self.assertEqual(rc, 0, e.log())
            self.assertLess(took, 2.0, "SIGTERM with an idle keep-alive took %.2f s" % took)

            # while a client is in the middle of sending a request head
            e.start()
            s = socket.create_connection((HOST, e.port), timeout=30)
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 1")
                time.sleep(0.2)
                rc, took = e.stop(timeout=30)
            finally:
                s.close()
            self.assertEqual(rc, 0, e.log())
            self.assertLess(took, 2.0, "SIGTERM with a half request took %.2f s" % took)

            # and it comes back with the data
            e.start()
            self.assertEqual(e.ok("GET", ORGS + "/TERM1")["name"], "Term")
            rc, took = e.stop()
            self.assertEqual(rc, 0)

    def test_c_acknowledged_survives_kill9(self):
        with Ermes() as e:
            created = []
            for i in range(50):
                b = e.ok("POST", ORGS, {"short_name": "ACK%02d" % i, "name": "Ack %d" % i,
                                        "networks": ["10.200.%d.0/24" % i]}, expect=201)
                created.append(b)
            upd = e.ok("PATCH", ORGS + "/ACK00", {"name": "Ack zero"}, expect=200)
            e.ok("DELETE", ORGS + "/ACK49", expect=204)
            u = e.create_user("durable", "analyst")
            tok = e.create_token(u["id"])
            dead = e.create_token(u["id"])
            e.ok("DELETE", "/api/v1/tokens/%d" % dead["id"], expect=204)
            e.kill9()  # right after the last acknowledgement
            e.start()
            wait_until(lambda: e.healthz()[0] == 200, 20, what="healthz after restart")
            names = {o["short_name"]: o for o in e.list_all(ORGS, limit=1000)}
            for b in created[:49]:
                self.assertIn(b["short_name"], names)
                self.assertEqual(names[b["short_name"]]["id"], b["id"])
            self.assertNotIn("ACK49", names)
            self.assertEqual(names["ACK00"]["name"], "Ack zero")
            self.assertEqual(names["ACK00"]["updated_at"], upd["updated_at"])
            r = e.ok("GET", "/api/v1/lookup?ip=10.200.7.1")
            self.assertEqual(r["organisation"]["short_name"], "ACK07")
            self.assertFalse(e.ok("GET", "/api/v1/lookup?ip=10.200.49.1")["found"])
            self.assertEqual(e.request("GET", "/api/v1/me", token=tok["token"])[0], 200)
            self.assertEqual(e.request("GET", "/api/v1/me", token=dead["token"])[0], 401)
            self.assertEqual(integrity_check(os.path.join(e.dir, "ermes.db")), "ok")


if __name__ == "__main__":
    main()
