"""A constituent's view of another organisation (issue 15, item 16), enforced by the API.

Contacts: another organisation's contacts are shown to a constituent only when they are
published to the community (`published`, false by default), whatever their TLP says; its own
organisation's contacts it always sees; staff see all, with the flag. Events: GET
/api/v1/events/count tells a constituent `hidden` (events match that it may not see) rather
than leave "0" to read as "nothing happened", without saying how many.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402
from test_notify import COLUMNS, quote, report  # noqa: E402

ORGS = "/api/v1/organisations"


class ConstituentViewTest(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.e = Ermes(demo=True)
        # UP (the parliament) is TLP:GREEN: UMA's people may look at it.
        _, cls.other = cls.e.user_token("view-uma", "constituent", org="UMA")
        _, cls.own = cls.e.user_token("view-up", "constituent", org="UP")

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def contacts(self, *token):
        status, _, org = self.e.request("GET", ORGS + "/UP", token=token[0]) if token else \
            self.e.request("GET", ORGS + "/UP")
        self.assertEqual(status, 200, org)
        return org["contacts"]

    def test_contacts_published_only(self):
        e = self.e
        staff_view = self.contacts()
        self.assertGreaterEqual(len(staff_view), 2, staff_view)
        self.assertEqual({c["published"] for c in staff_view}, {False})
        # Nothing published yet: UMA sees none of UP's contacts, UP sees all of its own.
        self.assertEqual(self.contacts(self.other), [])
        self.assertEqual([c["email"] for c in self.contacts(self.own)],
                         [c["email"] for c in staff_view])
        # The flag is checked: a boolean or nothing.
        edit = [{k: v for k, v in c.items() if k in ("email", "name", "role", "language", "tlp")}
                for c in staff_view]
        edit[0]["published"] = "yes"
        status, _, b = e.request("PATCH", ORGS + "/UP", {"contacts": edit})
        self.assertEqual((status, b["error"]["field"]), (422, "contacts[0].published"), b)
        # One published: exactly that one is seen by the other constituent.
        edit[0]["published"] = True
        e.ok("PATCH", ORGS + "/UP", {"contacts": edit})
        seen = self.contacts(self.other)
        self.assertEqual([(c["email"], c["published"]) for c in seen],
                         [(edit[0]["email"], True)])
        self.assertEqual(len(self.contacts(self.own)), len(staff_view))
        # In the JSON export, and read back by its import.
        exported = e.ok("GET", ORGS + "/export?format=json")
        uma = [o for o in exported["organisations"] if o["short_name"] == "UP"][0]
        self.assertEqual([c["published"] for c in uma["contacts"]],
                         [True] + [False] * (len(staff_view) - 1))

    def test_events_hidden_said_not_counted(self):
        e = self.e
        path = ("/api/v1/reports?feed=generic-csv&wait=true&file_name=v.csv"
                "&option=" + quote("columns=" + COLUMNS) + "&option=" + quote("skip_header=true")
                + "&option=" + quote("feed_name=view-feed"))
        status, _, body = e.request("POST", path, report([
            ("192.0.2.130", "2026-03-02T10:00:00Z", "scanner", "GREEN")]),
            content_type="text/csv")
        self.assertIn(status, (200, 201), body)
        q = "/api/v1/events/count?org=UP&feed=view-feed"
        # UMA: none it may see, but some exist.
        status, _, c = e.request("GET", q, token=self.other)
        self.assertEqual(status, 200, c)
        self.assertEqual((c["count"], c["hidden"]), (0, True))
        status, _, lst = e.request("GET", "/api/v1/events?org=UP&feed=view-feed",
                                   token=self.other)
        self.assertEqual((status, lst["data"]), (200, []))
        # UP: it sees them all, nothing hidden.
        status, _, c = e.request("GET", q, token=self.own)
        self.assertEqual((status, c["count"], c["hidden"]), (200, 1, False))
        # Nothing exists at all: not hidden either.
        status, _, c = e.request("GET", q.replace("view-feed", "no-such-feed"), token=self.other)
        self.assertEqual((status, c["count"], c["hidden"]), (200, 0, False))
        # Staff see everything: no such member.
        c = e.ok("GET", q)
        self.assertEqual(c["count"], 1)
        self.assertNotIn("hidden", c)


if __name__ == "__main__":
    main()
