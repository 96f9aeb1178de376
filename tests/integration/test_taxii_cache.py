"""The TAXII server's rendered-page cache (src/http/page_cache.c) against two real daemons on
one database (SQLite: one data directory; PostgreSQL: one schema), as test_two_daemons runs
them: a page is served as kept only to a viewer whose rights give the same query, and never
after a write that changes what it shows, whichever daemon wrote it.
  bound        taxii_page_cache auto: the size chosen, in the settings, /metrics and the log;
  viewers      staff and a constituent request the same URL in turn: each always gets its own
               page (staff the AMBER object, the constituent not), served from the cache the
               second time (GET /metrics counts the hits);
  daemons      a page read (and kept) on B, an object posted on A: B's next read has it at once;
               deleted on A: gone at once from B's page and from A's own kept page;
  recipients   an AMBER indicator names the constituent a recipient (tlp_recipients, the same
               query for the constituent): its kept page shows the object at once; the
               recipient removed, it goes again;
  manifest     the manifest page follows a write as the objects page does;
  collections  a write into collection A (on daemon A) leaves the page of collection B kept on
               daemon B served as kept (the hits rise), while A's page is rendered again with
               the new object; an organisation's membership changed (it becomes a client of
               another) leaves both served as kept to staff, whose rights it does not touch;
  groups       a sharing group deleted and made again (its readers now staff only): the
               constituent who lost access is refused, never sent the kept page, staff get the
               group's new (empty) page, and the other collection's pages stay kept for both;
  organisations  an organisation becomes a client of the recipient of an AMBER indicator: its
               people's kept page is not served, the next shows the indicator, while the pages
               of staff and of the recipient on the same collection stay kept;
  restore      the database set back to an older copy under the running daemons (the rows and
               the counters as they were), then written again: daemon B's page is the restored
               database's plus the new object, never the page it kept before the restore, even
               though the counters are back at the same step; a daemon started on a restored
               database shows the restored content;
  large        a page of over 64 KiB is the same bytes and headers on the first render, as
               kept, and from the other daemon, a whole TAXII envelope of every object posted."""
import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, db_connect, main  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
TLP2_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP2_AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


def indicator(tlp_ref, addr):
    return {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid4(),
            "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
            "pattern_type": "stix", "pattern": "[ipv4-addr:value = '%s']" % addr,
            "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [tlp_ref]}


class TaxiiCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Ermes(start=False)
        cls.b = Ermes(data_dir=cls.a.dir, init=False, start=False)
        # One data directory, two daemons: each its own port file and logs.
        cls.b.port_file = os.path.join(cls.a.dir, "port-b")
        cls.b._nlog = 1000
        cls.b.token = cls.a.token
        cls.a.start()
        cls.b.start()
        cls.a.ok("POST", "/api/v1/organisations",
                 {"short_name": "acme", "name": "ACME", "networks": ["10.20.0.0/16"]},
                 expect=201)
        _, cls.acme = cls.a.user_token("acme-user", "constituent", org="acme")
        _, cls.ana = cls.a.user_token("cache-analyst", "analyst")

    @classmethod
    def tearDownClass(cls):
        cls.b.close()
        cls.a.close()

    def collection(self, name, **extra):
        cid = str(uuid.uuid4())
        body = {"name": name, "max_tlp": "AMBER", "readers": ["staff", "constituents"],
                "writers": ["staff"], "collection_id": cid}
        body.update(extra)
        self.a.ok("POST", "/api/v1/sharing-groups", body, expect=201)
        return "/taxii2/ermes/collections/%s/" % cid

    def page(self, e, url, token=None):
        s, h, body = e.request("GET", url, token=token or self.a.token, raw=True,
                               headers={"Accept": TAXII})
        self.assertEqual(s, 200, body)
        self.assertEqual(h["content-type"], TAXII)
        return body

    def ids(self, body):
        return set(re.findall(rb'"id":"(indicator--[0-9a-f-]+)"', body))

    def post(self, e, url, objects):
        s, _, st = e.request("POST", url + "objects/", {"objects": objects},
                             content_type=TAXII, headers={"Accept": TAXII})
        self.assertEqual(s, 202, st)
        self.assertEqual(st["success_count"], len(objects), st)

    def hits(self, e):
        _, _, body = e.request("GET", "/metrics", raw=True)
        m = re.search(rb"(?m)^ermes_taxii_page_cache_hits_total (\d+)$", body)
        self.assertIsNotNone(m, body[:2000])
        return int(m.group(1))

    def test_bound(self):
        """taxii_page_cache is auto by default: the size it stands for is in the settings'
        effective value, in /metrics and in the start's log line, the same on both."""
        s, _, body = self.a.request("GET", "/api/v1/settings")
        self.assertEqual(s, 200, body)
        row = [r for r in body["data"] if r["name"] == "taxii_page_cache"][0]
        self.assertEqual(row["value"], "auto")
        self.assertEqual(row["default"], "auto")
        mib = int(row["effective"])
        self.assertGreaterEqual(mib, 1)
        self.assertLessEqual(mib, 4096)
        _, _, metrics = self.a.request("GET", "/metrics", raw=True)
        m = re.search(rb"(?m)^ermes_taxii_page_cache_bytes_max (\d+)$", metrics)
        self.assertIsNotNone(m, metrics[:2000])
        self.assertEqual(int(m.group(1)), mib << 20)
        self.assertIn("rendered pages kept up to %d MiB (taxii_page_cache auto)" % mib,
                      self.b.log())

    def test_viewers(self):
        url = self.collection("cache-viewers")
        green, amber = indicator(TLP2_GREEN, "198.51.100.11"), indicator(TLP2_AMBER,
                                                                          "198.51.100.12")
        self.post(self.a, url, [green, amber])
        objects = url + "objects/?limit=10"
        staff_ids = {green["id"].encode(), amber["id"].encode()}
        first_staff = self.page(self.a, objects)
        first_acme = self.page(self.a, objects, self.acme)
        self.assertEqual(self.ids(first_staff), staff_ids)
        self.assertEqual(self.ids(first_acme), {green["id"].encode()})
        before = self.hits(self.a)
        # The same URL in turn, each viewer its own page every time, the same bytes as first.
        for _ in range(3):
            self.assertEqual(self.page(self.a, objects, self.acme), first_acme)
            self.assertEqual(self.page(self.a, objects), first_staff)
        self.assertGreaterEqual(self.hits(self.a) - before, 6)
        # Another staff member (an analyst, same rights as the admin) is given the staff page.
        self.assertEqual(self.page(self.a, objects, self.ana), first_staff)

    def test_write_on_a_read_on_b(self):
        url = self.collection("cache-daemons")
        one = indicator(TLP2_GREEN, "198.51.100.21")
        self.post(self.a, url, [one])
        objects = url + "objects/?limit=10"
        kept_b = self.page(self.b, objects)
        kept_a = self.page(self.a, objects)
        before = self.hits(self.b)
        self.assertEqual(self.page(self.b, objects), kept_b)
        self.assertEqual(self.hits(self.b), before + 1)  # served as kept
        self.assertEqual(self.ids(kept_b), {one["id"].encode()})
        # A write on A, a read on B at once: B's kept page is not served.
        two = indicator(TLP2_GREEN, "198.51.100.22")
        self.post(self.a, url, [two])
        self.assertEqual(self.ids(self.page(self.b, objects)),
                         {one["id"].encode(), two["id"].encode()})
        self.assertEqual(self.ids(self.page(self.a, objects)),
                         {one["id"].encode(), two["id"].encode()})
        self.assertNotEqual(self.page(self.a, objects), kept_a)
        # Deleted on A: gone from A's and B's kept pages at once.
        s, _, body = self.a.request("DELETE", url + "objects/%s/" % one["id"],
                                    headers={"Accept": TAXII})
        self.assertEqual(s, 200, body)
        self.assertEqual(self.ids(self.page(self.b, objects)), {two["id"].encode()})
        self.assertEqual(self.ids(self.page(self.a, objects)), {two["id"].encode()})
        # Deleted on B: gone on A.
        s, _, body = self.b.request("DELETE", url + "objects/%s/" % two["id"],
                                    headers={"Accept": TAXII})
        self.assertEqual(s, 200, body)
        self.assertEqual(self.page(self.a, objects), b'{"more":false}')

    def test_recipients(self):
        url = self.collection("cache-recipients", selection={"all": True})
        s, _, ind = self.a.request("POST", "/api/v1/indicators?force=true",
                                   {"type": "domain", "value": "cache-recipient.example",
                                    "tlp": "AMBER"}, token=self.ana)
        self.assertEqual(s, 201, ind)
        objects = url + "objects/?match[type]=indicator&limit=1000"

        def acme_sees():
            return b"cache-recipient.example" in self.page(self.b, objects, self.acme)

        self.assertTrue(b"cache-recipient.example" in self.page(self.a, objects))
        self.assertFalse(acme_sees())
        self.assertFalse(acme_sees())  # kept
        self.a.ok("PATCH", "/api/v1/indicators/%d" % ind["id"], {"recipients": ["acme"]},
                  token=self.ana)
        self.assertTrue(acme_sees())
        self.assertTrue(acme_sees())
        self.a.ok("PATCH", "/api/v1/indicators/%d" % ind["id"], {"recipients": []},
                  token=self.ana)
        self.assertFalse(acme_sees())

    def test_manifest(self):
        url = self.collection("cache-manifest")
        one = indicator(TLP2_GREEN, "198.51.100.31")
        self.post(self.a, url, [one])
        manifest = url + "manifest/?limit=5"
        kept = self.page(self.b, manifest)
        self.assertEqual(self.page(self.b, manifest), kept)
        self.assertEqual(self.ids(kept), {one["id"].encode()})
        two = indicator(TLP2_GREEN, "198.51.100.32")
        self.post(self.a, url, [two])
        self.assertEqual(self.ids(self.page(self.b, manifest)),
                         {one["id"].encode(), two["id"].encode()})

    def test_collections(self):
        url_a, url_b = self.collection("cache-coll-a"), self.collection("cache-coll-b")
        one, two = indicator(TLP2_GREEN, "198.51.100.41"), indicator(TLP2_GREEN, "198.51.100.42")
        four = indicator(TLP2_GREEN, "198.51.100.44")
        self.post(self.a, url_a, [one])
        self.post(self.a, url_b, [two, four])
        objects_a, objects_b = url_a + "objects/?limit=10", url_b + "objects/?limit=10"
        kept_a, kept_b = self.page(self.b, objects_a), self.page(self.b, objects_b)
        self.assertEqual(self.ids(kept_a), {one["id"].encode()})
        self.assertEqual(self.ids(kept_b), {two["id"].encode(), four["id"].encode()})
        kept_b_on_a = self.page(self.a, objects_b)
        # A write into A on daemon A: B's pages kept on either daemon are served as kept.
        three = indicator(TLP2_GREEN, "198.51.100.43")
        self.post(self.a, url_a, [three])
        before_b, before_a = self.hits(self.b), self.hits(self.a)
        self.assertEqual(self.page(self.b, objects_b), kept_b)
        self.assertEqual(self.hits(self.b), before_b + 1)
        self.assertEqual(self.page(self.a, objects_b), kept_b_on_a)
        self.assertEqual(self.hits(self.a), before_a + 1)
        # A's page is rendered again (no hit) and has the new object.
        self.assertEqual(self.ids(self.page(self.b, objects_a)),
                         {one["id"].encode(), three["id"].encode()})
        self.assertEqual(self.hits(self.b), before_b + 1)
        kept_a = self.page(self.b, objects_a)
        self.assertEqual(self.hits(self.b), before_b + 2)
        # A deletion from B on daemon B: A's page kept on daemon A is served.
        kept_a_on_a = self.page(self.a, objects_a)
        s, _, body = self.b.request("DELETE", url_b + "objects/%s/" % two["id"],
                                    headers={"Accept": TAXII})
        self.assertEqual(s, 200, body)
        before_a = self.hits(self.a)
        self.assertEqual(self.page(self.a, objects_a), kept_a_on_a)
        self.assertEqual(self.hits(self.a), before_a + 1)
        self.assertEqual(self.ids(self.page(self.a, objects_b)), {four["id"].encode()})
        kept_b = self.page(self.b, objects_b)
        self.assertEqual(self.ids(kept_b), {four["id"].encode()})
        # A membership change (an organisation becomes acme's client): staff's rights do not
        # change, so both pages stay served as kept on daemon B.
        self.a.ok("POST", "/api/v1/organisations",
                  {"short_name": "cache-branch", "name": "Branch"}, expect=201)
        self.page(self.b, objects_a)
        self.page(self.b, objects_b)
        self.a.ok("PATCH", "/api/v1/organisations/cache-branch", {"parent": "acme"})
        before_b = self.hits(self.b)
        self.assertEqual(self.page(self.b, objects_a), kept_a)
        self.assertEqual(self.page(self.b, objects_b), kept_b)
        self.assertEqual(self.hits(self.b), before_b + 2)

    def status(self, e, url, token):
        s, _, body = e.request("GET", url, token=token, raw=True, headers={"Accept": TAXII})
        return s, body

    def test_groups(self):
        # B first: A, made last, has the highest id, which SQLite may give its successor.
        url_b = self.collection("cache-grp-b")
        cid_a = str(uuid.uuid4())
        body_a = {"name": "cache-grp-a", "max_tlp": "AMBER", "readers": ["staff", "constituents"],
                  "writers": ["staff"], "collection_id": cid_a}
        self.a.ok("POST", "/api/v1/sharing-groups", body_a, expect=201)
        url_a = "/taxii2/ermes/collections/%s/" % cid_a
        one, two = indicator(TLP2_GREEN, "198.51.100.51"), indicator(TLP2_GREEN, "198.51.100.52")
        self.post(self.a, url_a, [one])
        self.post(self.a, url_b, [two])
        objects_a, objects_b = url_a + "objects/?limit=10", url_b + "objects/?limit=10"
        kept = {}
        for url in (objects_a, objects_b):
            for who, token in (("staff", self.a.token), ("acme", self.acme)):
                kept[url, who] = self.page(self.b, url, token)
                self.assertEqual(self.page(self.b, url, token), kept[url, who])
        self.assertEqual(self.ids(kept[objects_a, "acme"]), {one["id"].encode()})
        # Group A deleted and made again under its collection id, read by staff only now.
        self.a.ok("DELETE", "/api/v1/sharing-groups/cache-grp-a", expect=(200, 204))
        body_a["readers"] = ["staff"]
        self.a.ok("POST", "/api/v1/sharing-groups", body_a, expect=201)
        before = self.hits(self.b)
        s, body = self.status(self.b, objects_a, self.acme)
        self.assertEqual(s, 403, body)
        self.assertNotIn(one["id"].encode(), body)
        # Staff: the new group's page (its objects were the old group's), not the kept one.
        self.assertEqual(self.page(self.b, objects_a), b'{"more":false}')
        self.assertEqual(self.hits(self.b), before)
        # Collection B: both viewers' pages served as kept.
        self.assertEqual(self.page(self.b, objects_b), kept[objects_b, "staff"])
        self.assertEqual(self.page(self.b, objects_b, self.acme), kept[objects_b, "acme"])
        self.assertEqual(self.hits(self.b), before + 2)

    def test_organisations(self):
        url = self.collection("cache-orgs", selection={"all": True})
        self.a.ok("POST", "/api/v1/organisations",
                  {"short_name": "cache-client", "name": "Client"}, expect=201)
        _, client = self.a.user_token("cache-client-user", "constituent", org="cache-client")
        s, _, ind = self.a.request("POST", "/api/v1/indicators?force=true",
                                   {"type": "domain", "value": "cache-client.example",
                                    "tlp": "AMBER"}, token=self.ana)
        self.assertEqual(s, 201, ind)
        self.a.ok("PATCH", "/api/v1/indicators/%d" % ind["id"], {"recipients": ["acme"]},
                  token=self.ana)
        objects = url + "objects/?match[type]=indicator&limit=1000"
        kept = {}
        for who, token in (("staff", self.a.token), ("acme", self.acme), ("client", client)):
            kept[who] = self.page(self.b, objects, token)
            self.assertEqual(self.page(self.b, objects, token), kept[who])
        self.assertIn(b"cache-client.example", kept["staff"])
        self.assertIn(b"cache-client.example", kept["acme"])
        self.assertNotIn(b"cache-client.example", kept["client"])
        # The client organisation becomes acme's client (TLP:AMBER reaches a recipient's
        # clients): its people's page shows the indicator at once, on the other daemon.
        self.a.ok("PATCH", "/api/v1/organisations/cache-client", {"parent": "acme"})
        before = self.hits(self.b)
        self.assertIn(b"cache-client.example", self.page(self.b, objects, client))
        self.assertEqual(self.hits(self.b), before)
        # Staff's and acme's pages stay kept: that change cannot alter them.
        self.assertEqual(self.page(self.b, objects), kept["staff"])
        self.assertEqual(self.page(self.b, objects, self.acme), kept["acme"])
        self.assertEqual(self.hits(self.b), before + 2)
        # Back: the client's page loses the indicator at once.
        self.a.ok("PATCH", "/api/v1/organisations/cache-client", {"parent": None})
        self.assertNotIn(b"cache-client.example", self.page(self.b, objects, client))

    def restore(self, counters, gone):
        """The database set back to an older copy under the daemons: the objects stored since
        deleted, then the counters as they were (a restored copy's)."""
        db = db_connect(os.path.join(self.a.dir, "ermes.db"))
        try:
            for stix_id in gone:
                db.execute("DELETE FROM stix_objects WHERE stix_id = ?", (stix_id,))
            db.commit()
            for name, value in counters:
                db.execute("UPDATE counters SET value = ? WHERE name = ?", (value, name))
            db.commit()
        finally:
            db.close()

    def counters(self):
        db = db_connect(os.path.join(self.a.dir, "ermes.db"))
        try:
            return [(str(n), int(v)) for n, v in
                    db.execute("SELECT name, value FROM counters WHERE name LIKE 'stix%'")]
        finally:
            db.close()

    def test_restore(self):
        url = self.collection("cache-restore")
        one = indicator(TLP2_GREEN, "198.51.100.61")
        self.post(self.a, url, [one])
        objects = url + "objects/?limit=10"
        self.assertEqual(self.ids(self.page(self.b, objects)), {one["id"].encode()})
        older = self.counters()  # the copy taken now
        two = indicator(TLP2_GREEN, "198.51.100.62")
        self.post(self.a, url, [two])
        kept = self.page(self.b, objects)
        self.assertEqual(self.ids(kept), {one["id"].encode(), two["id"].encode()})
        before = self.hits(self.b)
        self.assertEqual(self.page(self.b, objects), kept)
        self.assertEqual(self.hits(self.b), before + 1)
        # Restored under the running daemons, then written again before any read: the
        # collection's counter is back at the step it had when B kept its page.
        self.restore(older, [two["id"]])
        older = self.counters()
        three = indicator(TLP2_GREEN, "198.51.100.63")
        self.post(self.a, url, [three])
        self.assertEqual(self.ids(self.page(self.b, objects)),
                         {one["id"].encode(), three["id"].encode()})
        # A daemon started on a restored database: the restored content.
        self.b.stop()
        self.restore(older, [three["id"]])
        self.b.start()
        self.assertEqual(self.ids(self.page(self.b, objects)), {one["id"].encode()})

    def test_large(self):
        url = self.collection("cache-large")
        objects = [indicator(TLP2_GREEN, "203.0.113.%d" % (i % 250)) for i in range(300)]
        for i in range(0, 300, 100):
            self.post(self.a, url, objects[i:i + 100])
        page = url + "objects/?limit=1000"

        def get(e):
            s, h, body = e.request("GET", page, raw=True, headers={"Accept": TAXII})
            self.assertEqual(s, 200, body[:200])
            return {k: h[k] for k in ("content-type", "content-length", "x-taxii-date-added-first",
                                      "x-taxii-date-added-last")}, body

        h1, first = get(self.a)
        self.assertGreater(len(first), 64 * 1024)
        self.assertEqual(int(h1["content-length"]), len(first))
        self.assertEqual(h1["content-type"], TAXII)
        env = json.loads(first)
        self.assertFalse(env["more"])
        self.assertEqual(sorted(o["id"] for o in env["objects"]), sorted(o["id"] for o in objects))
        before = self.hits(self.a)
        for _ in range(3):
            self.assertEqual(get(self.a), (h1, first))
        self.assertEqual(self.hits(self.a), before + 3)
        self.assertEqual(get(self.b), (h1, first))
        self.assertEqual(get(self.b), (h1, first))


if __name__ == "__main__":
    main()
