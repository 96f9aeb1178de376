"""Federation between two real ermes daemons on loopback, peered both ways through
`ermes peers` (each pulls the other's TAXII collection every second and pushes its own
sharing group): an indicator added on A is matched by B's detection within 10 s; a sighting
made on B reaches A; a TLP:RED indicator on A never appears on B by any path (API, TAXII,
STIX export); B stopped and restarted loses nothing; nothing loops (the counts stay the
same over several rounds); the peers' state in the API and the CLI, credentials never shown
back; a peer that fails is retried with back-off and says why."""
import json
import time
import unittest
import urllib.error
import urllib.request

from ermeslib import ERMES_BIN, Ermes, main, wait_until

TAXII = "application/taxii+json;version=2.1"
# The bound; a binary built with the sanitizers (make test-asan) runs several times
# slower, and is held to three times as much.
with open(ERMES_BIN, "rb") as _f:
    SANITIZED = b"__asan_init" in _f.read()
DETECT_WITHIN = 30.0 if SANITIZED else 10.0
COLL_A = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa"
COLL_B = "bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb"


def taxii_get(e, path, token):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (e.port, path),
                                 headers={"Accept": TAXII, "Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def eve(ip):
    # Seen now: an indicator received is valid from its STIX valid_from on, as it says.
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (json.dumps({"timestamp": now, "event_type": "flow",
                        "src_ip": "10.20.3.3", "dest_ip": ip, "host": "s1"}) + "\n").encode()


def stix_objects(e, **params):
    q = "&".join("%s=%s" % kv for kv in params.items())
    s, _, b = e.request("GET", "/api/v1/stix" + ("?" + q if q else ""))
    assert s == 200, (s, b)
    return [o for o in b["objects"] if o["type"] != "marking-definition"]


def from_peer(e, **params):
    """What e received from its peer: pulled (source peer:other) or pushed to it by the peer's
    account (taxii:peer), whichever came first (the other is then a duplicate)."""
    return (stix_objects(e, source="peer:other", **params) +
            stix_objects(e, source="taxii:peer", **params))


class Federation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Ermes()
        cls.b = Ermes()
        cls.tokens = {}
        for e, coll in ((cls.a, COLL_A), (cls.b, COLL_B)):
            e.ok("POST", "/api/v1/sharing-groups",
                 {"name": "fed", "collection_id": coll, "max_tlp": "AMBER",
                  "readers": ["staff"], "writers": ["staff"], "selection": {"all": True}},
                 expect=201)
            # The account the other node reads and writes with.
            _, cls.tokens[e] = e.user_token("peer", "analyst")
        for me, other, coll in ((cls.a, cls.b, COLL_B), (cls.b, cls.a, COLL_A)):
            rc, out, err = me.cli("peers", "add", "other",
                         "http://127.0.0.1:%d/taxii2/ermes/" % other.port,
                         "--collection", coll, "--credentials", cls.tokens[other],
                         "--interval", "1", "--push", "--share-group", "fed",
                         "--local-user", "peer")
            assert rc == 0 and "other" in out, (rc, out, err)

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()

    def peer(self, e):
        return e.ok("GET", "/api/v1/peers/other", expect=200)

    def rounds_after(self, e, n=2):
        """Waits until e's peer has made n more rounds from now that went through."""
        start = self.peer(e)["state"].get("last_pull_at") or ""
        seen = [start]

        def done():
            st = self.peer(e)["state"]
            t = st.get("last_pull_at") or ""
            if t != seen[-1] and not st.get("last_error"):
                seen.append(t)
            return len(seen) > n
        wait_until(done, timeout=60, what="%d rounds of the peer" % n)

    def test_1_indicator_on_a_detected_on_b(self):
        t0 = time.monotonic()
        self.a.ok("POST", "/api/v1/indicators",
                  {"type": "ipv4", "value": "198.51.100.7", "tlp": "GREEN",
                   "source": "fed-test"}, expect=201)

        def matched():
            r = self.b.ok("POST", "/api/v1/logs?format=eve&source=fed-%d" % time.monotonic_ns(),
                          eve("198.51.100.7"), content_type="application/x-ndjson",
                          expect=200)
            return r["sightings"] >= 1
        wait_until(matched, timeout=60, interval=0.2, what="B to match A's indicator")
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, DETECT_WITHIN,
                        "A's indicator reached B's detection in %.1f s" % elapsed)
        # Provenance: the STIX object on B says where it came from.
        got = [o for o in from_peer(self.b, type="indicator")
               if "198.51.100.7" in o.get("pattern", "")]
        self.assertEqual(len(got), 1, got)
        mine = [o for o in stix_objects(self.a, type="indicator")
                if "198.51.100.7" in o.get("pattern", "")]
        self.assertEqual(got[0]["id"], mine[0]["id"])
        self.assertEqual(got[0]["modified"], mine[0]["modified"])
        # The sighting made on B reaches A, as B's.
        def sighting_on_a():
            return [o for o in from_peer(self.a, type="sighting")
                    if o.get("sighting_of_ref") == mine[0]["id"]]
        wait_until(sighting_on_a, timeout=60, what="B's sighting on A")

    def test_2_red_never_leaves(self):
        self.a.ok("POST", "/api/v1/indicators",
                  {"type": "ipv4", "value": "198.51.100.99", "tlp": "RED",
                   "source": "fed-test"}, expect=201)
        self.a.ok("POST", "/api/v1/indicators",
                  {"type": "ipv4", "value": "198.51.100.98", "tlp": "GREEN",
                   "source": "fed-test"}, expect=201)
        # Once the GREEN one added after it is on B, the RED one had every chance to be.
        wait_until(lambda: any("198.51.100.98" in o.get("pattern", "")
                               for o in stix_objects(self.b, type="indicator")),
                   timeout=60, what="the GREEN indicator on B")
        self.rounds_after(self.b, 2)
        self.rounds_after(self.a, 2)
        inds = self.b.list_all("/api/v1/indicators")
        self.assertNotIn("198.51.100.99", [i["value"] for i in inds])
        self.assertIn("198.51.100.98", [i["value"] for i in inds])
        text = json.dumps(stix_objects(self.b, version="all"))
        self.assertNotIn("198.51.100.99", text)
        env = taxii_get(self.b, "/taxii2/ermes/collections/%s/objects/?match[version]=all&limit=1000"
                        % COLL_B, self.b.token)
        self.assertNotIn("198.51.100.99", json.dumps(env))
        r = self.b.ok("POST", "/api/v1/logs?format=eve&source=red-check", eve("198.51.100.99"),
                      content_type="application/x-ndjson", expect=200)
        self.assertEqual(r["sightings"], 0, r)

    def test_3_no_loops(self):
        self.rounds_after(self.a, 1)
        self.rounds_after(self.b, 1)

        def counts():
            return (len(stix_objects(self.a, version="all")),
                    len(stix_objects(self.b, version="all")))
        before = counts()
        self.rounds_after(self.a, 3)
        self.rounds_after(self.b, 3)
        self.assertEqual(counts(), before)
        # Every (id, version) once on each side.
        for e in (self.a, self.b):
            objs = stix_objects(e, version="all")
            keys = [(o["id"], o.get("modified", o.get("created", ""))) for o in objs]
            self.assertEqual(len(keys), len(set(keys)))
        # Nothing received from a peer was sent back to it: what A pushed to B, and what B
        # pulled from A, are A's; B pushed none of them back (B's pushes are B's own).
        st = self.peer(self.a)["state"]
        self.assertFalse(st.get("last_error"), st)

    def test_4_restart_loses_nothing(self):
        before = {o["id"] for o in stix_objects(self.b, version="all")}
        self.b.stop()
        self.a.ok("POST", "/api/v1/indicators",
                  {"type": "domain", "value": "while-b-was-down.example", "tlp": "GREEN",
                   "source": "fed-test"}, expect=201)
        self.b.start()
        wait_until(lambda: any("while-b-was-down.example" in o.get("pattern", "")
                               for o in stix_objects(self.b, type="indicator")),
                   timeout=60, what="what A added while B was down")
        after = {o["id"] for o in stix_objects(self.b, version="all")}
        self.assertTrue(before <= after, before - after)

    def test_5_state_api_and_cli(self):
        p = self.peer(self.a)
        self.assertTrue(p["credentials_set"])
        self.assertNotIn("credentials", p)
        self.assertNotIn(self.tokens[self.b], json.dumps(p))
        self.assertGreater(p["state"]["pulled"], 0)
        self.assertGreater(p["state"]["pushed"], 0)
        self.assertTrue(p["state"]["added_after"])
        lst = self.a.ok("GET", "/api/v1/peers", expect=200)["data"]
        self.assertEqual([x["name"] for x in lst], ["other"])
        rc, out, err = self.a.cli("peers", "show", "other", "--json")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(self.tokens[self.b], out)
        self.assertEqual(json.loads(out)["name"], "other")
        rc, out, err = self.a.cli("peers", "list")
        self.assertEqual(rc, 0, err)
        self.assertNotIn(self.tokens[self.b], out)
        # A peer that answers 401 fails, says why, and backs off.
        self.a.ok("POST", "/api/v1/peers",
                  {"name": "wrong", "url": "http://127.0.0.1:%d/taxii2/ermes/" % self.b.port,
                   "collection": COLL_B, "credentials": "not-a-token", "interval": 1},
                  expect=201)
        wait_until(lambda: self.a.ok("GET", "/api/v1/peers/wrong")["state"]["failures"] >= 2,
                   timeout=60, what="the wrong peer to fail twice")
        w = self.a.ok("GET", "/api/v1/peers/wrong")["state"]
        self.assertIn("401", w["last_error"])
        r = self.a.ok("POST", "/api/v1/peers/wrong/sync", expect=200)
        self.assertIn("401", r["error"])
        # Invalid input is refused with the field named.
        for body, field in (({"name": "x", "url": "ftp://h/", "collection": "c"}, "url"),
                            ({"name": "x", "url": "http://h/", "collection": "c/d"},
                             "collection"),
                            ({"name": "x y", "url": "http://h/", "collection": "c"}, "name"),
                            ({"name": "x", "url": "http://h/", "collection": "c",
                              "auth": "basic", "credentials": "nocolon"}, "credentials"),
                            ({"name": "x", "url": "http://h/", "collection": "c",
                              "interval": 0}, "interval"),
                            ({"name": "x", "url": "http://h/", "collection": "c",
                              "push": True}, "share_group")):
            s, _, b = self.a.request("POST", "/api/v1/peers", body)
            self.assertEqual(s, 422, (body, b))
            self.assertEqual(b["error"]["field"], field, b)
        self.a.ok("DELETE", "/api/v1/peers/wrong", expect=204)
        s, _, _ = self.a.request("GET", "/api/v1/peers/wrong")
        self.assertEqual(s, 404)


if __name__ == "__main__":
    main()
