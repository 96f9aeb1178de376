"""Federation under the one TLP policy (issue 12 items 5 and 8): three real ermes daemons on
loopback. A pushes its sharing group (up to RED, read by the organisations PEERB and PEERC) to B
and to C, each peer read as its account on A (a constituent of PEERB, of PEERC): a push carries
exactly what that account could pull from A's TAXII collection. A TLP:RED indicator naming
PEERB a recipient reaches B (pushed, then pulled) and never C; AMBER+STRICT owned by PEERB goes
to B only; RED naming no one and AMBER given to no one go nowhere; GREEN goes to both; a RED
STIX object imported naming PEERB, and a RED sighting named to PEERB, go to B only. A peer
whose account is unknown or may not read the group is pushed nothing, and says why.
Runs on SQLite and on PostgreSQL."""
import json
import os
import unittest

from ermeslib import Ermes, db_connect, main

COLL_A = "a1a1a1a1-1111-4111-8111-a1a1a1a1a1a1"
COLL = {"b": "b2b2b2b2-2222-4222-8222-b2b2b2b2b2b2", "c": "c3c3c3c3-3333-4333-8333-c3c3c3c3c3c3"}
# What each indicator of A is, and which of B and C may hold it.
INDICATORS = [
    # value, tlp, recipients, owner, reaches
    ("red-b.fedtlp.example", "RED", ["PEERB"], None, {"b"}),
    ("red-c.fedtlp.example", "RED", ["PEERC"], None, {"c"}),
    ("red-none.fedtlp.example", "RED", [], None, set()),
    ("strict-b.fedtlp.example", "AMBER+STRICT", [], "PEERB", {"b"}),
    ("strict-named-c.fedtlp.example", "AMBER+STRICT", ["PEERC"], None, {"c"}),
    ("amber-none.fedtlp.example", "AMBER", [], None, set()),
    ("green.fedtlp.example", "GREEN", [], None, {"b", "c"}),
]


def stix_text(e, **params):
    q = "&".join("%s=%s" % kv for kv in params.items())
    s, _, b = e.request("GET", "/api/v1/stix" + ("?" + q if q else ""))
    assert s == 200, (s, b)
    return json.dumps([o for o in b["objects"] if o["type"] == "indicator"])


class FederationTlp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a, cls.b, cls.c = Ermes(), Ermes(), Ermes()
        try:
            cls._setup()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _setup(cls):
        a = cls.a
        for short in ("PEERB", "PEERC", "OTHER"):
            a.ok("POST", "/api/v1/organisations",
                 {"short_name": short, "name": short + " CERT"}, expect=201)
        # The accounts the peers have on A: what they pull with, and what A pushes as.
        cls.pull_tokens = {}
        _, cls.pull_tokens["b"] = a.user_token("pb", "constituent", org="PEERB")
        _, cls.pull_tokens["c"] = a.user_token("pc", "constituent", org="PEERC")
        a.user_token("po", "constituent", org="OTHER")
        a.ok("POST", "/api/v1/sharing-groups",
             {"name": "fed", "collection_id": COLL_A, "max_tlp": "RED",
              "readers": ["staff", "PEERB", "PEERC"], "writers": ["staff"],
              "selection": {"all": True}}, expect=201)
        ids = {}
        for value, tlp, recipients, owner, _ in INDICATORS:
            ind = a.ok("POST", "/api/v1/indicators?force=true",
                       {"type": "domain", "value": value, "tlp": tlp, "source": "fedtlp"},
                       expect=201)
            ids[value] = ind["id"]
            if recipients:
                got = a.ok("PATCH", "/api/v1/indicators/%d" % ind["id"],
                           {"recipients": recipients}, expect=200)
                assert sorted(got["recipients"]) == sorted(recipients), got
        # Indicators take their owner from who adds them (the CERT's staff): the one owned by
        # PEERB is given to it in the database before anything is published, as an object
        # that organisation contributed would be.
        db = db_connect(os.path.join(a.dir, "ermes.db"))
        try:
            for value, _, _, owner, _ in INDICATORS:
                if owner:
                    db.execute("UPDATE indicators SET owner_org_id = (SELECT id FROM"
                               " organisations WHERE short_name = ?) WHERE id = ?",
                               (owner, ids[value]))
            db.commit()
        finally:
            db.close()
        # A STIX object imported with a recipient, and a sighting named to one: pushed as the
        # indicators are, by their STIX ids' recipients.
        now = "2026-12-07T10:00:00.000Z"
        got = a.ok("POST", "/api/v1/stix?recipients=PEERB", {
            "type": "bundle", "id": "bundle--0f0f0f0f-0000-4000-8000-0f0f0f0f0f0f",
            "objects": [{"type": "malware", "spec_version": "2.1",
                         "id": "malware--0e0e0e0e-0000-4000-8000-0e0e0e0e0e0e", "created": now,
                         "modified": now, "name": "fedtlp-red-malware-b", "is_family": False,
                         "object_marking_refs": [
                             "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}]},
            expect=200)
        assert got["stored"] == 1, got
        a.ok("POST", "/api/v1/indicators?force=true",
             {"type": "ipv4", "value": "203.0.113.50", "tlp": "RED"}, expect=201)
        r = a.ok("POST", "/api/v1/logs?format=eve&source=fedtlp",
                 (json.dumps({"timestamp": "2026-05-02T10:00:00+0000", "event_type": "flow",
                              "src_ip": "10.9.9.9", "dest_ip": "203.0.113.50", "host": "s1"})
                  + "\n").encode(), content_type="application/octet-stream")
        assert r["sightings"] == 1, r
        sg = a.ok("GET", "/api/v1/sightings?value=203.0.113.50")["data"]
        assert len(sg) == 1, sg
        got = a.ok("PATCH", "/api/v1/sightings/%d" % sg[0]["id"], {"recipients": ["PEERB"]},
                   expect=200)
        assert got["recipients"] == ["PEERB"], got
        # B and C: a collection A writes into with an analyst's token.
        cls.push_tokens = {}
        for name, e in (("b", cls.b), ("c", cls.c)):
            e.ok("POST", "/api/v1/sharing-groups",
                 {"name": "in", "collection_id": COLL[name], "max_tlp": "RED",
                  "readers": ["staff"], "writers": ["staff"], "selection": {"all": True}},
                 expect=201)
            _, cls.push_tokens[name] = e.user_token("a", "analyst")
        # A's peers: push only, run by hand (POST .../sync) so that each phase is one round.
        for name, e in (("b", cls.b), ("c", cls.c)):
            a.ok("POST", "/api/v1/peers",
                 {"name": name, "url": "http://127.0.0.1:%d/taxii2/ermes/" % e.port,
                  "collection": COLL[name], "credentials": cls.push_tokens[name],
                  "share_group": "fed", "local_user": "p" + name, "max_tlp": "RED",
                  "interval": 86400, "pull": False, "push": True}, expect=201)

    @classmethod
    def tearDownClass(cls):
        for e in (cls.a, cls.b, cls.c):
            e.close()

    def sync(self, e, peer):
        r = e.ok("POST", "/api/v1/peers/%s/sync" % peer, expect=200)
        self.assertIsNone(r.get("error"), r)
        return r

    def check(self, name, e, text, values, how):
        for value, tlp, recipients, owner, reaches in INDICATORS:
            if value not in values:
                continue
            if name in reaches:
                self.assertIn(value, text, "%s %s (recipients %s, owner %s) did not reach %s %s"
                              % (tlp, value, recipients, owner, name, how))
            else:
                self.assertNotIn(value, text, "%s %s (recipients %s, owner %s) reached %s %s"
                                 % (tlp, value, recipients, owner, name, how))

    def test_1_push_then_pull(self):
        values = {i[0] for i in INDICATORS}
        for name, e in (("b", self.b), ("c", self.c)):
            # The daemon's own first round may be under way too: whichever pushes an object
            # first, it is on e once this round is through.
            self.sync(self.a, name)
            # Received by the push: posted by A's account "a" on e.
            self.check(name, e, stix_text(e, source="taxii:a"), values, "by push")
            # Everything e holds, in every version, and its detection's indicators.
            self.check(name, e, stix_text(e, version="all"), values, "(STIX)")
            self.check(name, e, json.dumps(e.list_all("/api/v1/indicators")), values,
                       "(indicators)")
        # The malware and the sighting named to PEERB: on B, never on C.
        sightings = [o for o in self.a.ok("GET", "/api/v1/stix?type=sighting")["objects"]
                     if o["type"] == "sighting"]
        self.assertEqual(len(sightings), 1, sightings)
        for name, e in (("b", self.b), ("c", self.c)):
            s, _, body = e.request("GET", "/api/v1/stix?source=taxii:a", raw=True)
            self.assertEqual(s, 200)
            text = body.decode()
            for what in ("fedtlp-red-malware-b", sightings[0]["id"]):
                self.assertEqual(what in text, name == "b", "%s on %s" % (what, name))
        # A second round pushes nothing new: the cursor moved past every object.
        for name in ("b", "c"):
            self.assertEqual(self.sync(self.a, name)["pushed"], 0)

        # Pull: A stops pushing; B and C each pull A's collection with their account there.
        for name in ("b", "c"):
            self.a.ok("PATCH", "/api/v1/peers/%s" % name, {"push": False}, expect=200)
        later = [("red-b2.fedtlp.example", "RED", ["PEERB"], None, {"b"}),
                 ("green2.fedtlp.example", "GREEN", [], None, {"b", "c"})]
        INDICATORS.extend(later)
        for value, tlp, recipients, _, _ in later:
            ind = self.a.ok("POST", "/api/v1/indicators?force=true",
                            {"type": "domain", "value": value, "tlp": tlp}, expect=201)
            if recipients:
                self.a.ok("PATCH", "/api/v1/indicators/%d" % ind["id"],
                          {"recipients": recipients}, expect=200)
        for name, e in (("b", self.b), ("c", self.c)):
            e.ok("POST", "/api/v1/peers",
                 {"name": "a", "url": "http://127.0.0.1:%d/taxii2/ermes/" % self.a.port,
                  "collection": COLL_A, "credentials": self.pull_tokens[name],
                  "max_tlp": "RED", "interval": 86400, "pull": True}, expect=201)
            self.sync(e, "a")
            self.check(name, e, stix_text(e, source="peer:a"), {v for v, *_ in later},
                       "by pull")
            self.check(name, e, stix_text(e, version="all"), {i[0] for i in INDICATORS},
                       "(STIX, after the pull)")

    def test_2_peer_without_read_is_pushed_nothing(self):
        # An account of an organisation that may not read the group, and one that does not
        # exist: the round fails saying why, and pushes nothing.
        for peer, user, why in (("other", "po", "may not read"), ("ghost", "nobody",
                                                                   "no local user")):
            self.a.ok("POST", "/api/v1/peers",
                      {"name": peer, "url": "http://127.0.0.1:%d/taxii2/ermes/" % self.b.port,
                       "collection": COLL["b"], "credentials": self.push_tokens["b"],
                       "share_group": "fed", "local_user": user, "interval": 86400,
                       "pull": False, "push": True}, expect=201)
            r = self.a.ok("POST", "/api/v1/peers/%s/sync" % peer, expect=200)
            self.assertEqual(r["pushed"], 0, r)
            self.assertIn(why, r.get("error") or "", r)
            st = self.a.ok("GET", "/api/v1/peers/%s" % peer, expect=200)["state"]
            self.assertIn(why, st.get("last_error") or "", st)
            self.a.ok("DELETE", "/api/v1/peers/%s" % peer, expect=(200, 204))


if __name__ == "__main__":
    main()
