"""SLA policies and business-hour calendars through the API (issue 11 item 5):
/api/v1/sla-policies and /api/v1/calendars list what the clocks count with, an administrator
sets a constituent's policy and calendar (validated: 422 naming the member; analysts and
constituents may not), every change is audited, and a new incident's clocks follow them.
Runs on SQLite and on PostgreSQL."""

import os
import sys
import unittest
from datetime import datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, assert_error, main  # noqa: E402

POL = "/api/v1/sla-policies"
CAL = "/api/v1/calendars"


def when(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class SlaApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            cls.e.ok("POST", "/api/v1/organisations",
                     {"short_name": "ACME", "name": "ACME Ltd", "networks": ["192.0.2.0/28"]},
                     expect=201)
            _, cls.analyst = cls.e.user_token("ana", "analyst")
            _, cls.acme = cls.e.user_token("conny", "constituent", org="ACME")
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    def test_defaults_listed(self):
        pols = self.e.ok("GET", POL, token=self.analyst)["data"]
        default = {p["severity"]: p for p in pols if p["organisation"] is None}
        self.assertEqual(set(default), {"low", "medium", "high", "critical"})
        self.assertEqual((default["critical"]["response_minutes"],
                          default["critical"]["business_hours"]), (60, False))
        self.assertEqual(default["low"]["resolution_minutes"], 19200)
        cals = self.e.ok("GET", CAL, token=self.analyst)["data"]
        self.assertEqual(cals[0]["organisation"], None)
        self.assertEqual(cals[0]["days"], ["mon", "tue", "wed", "thu", "fri"])
        self.assertEqual(cals[0]["hours"], "09:00-17:00")

    def test_set_policy_and_calendar_the_clocks_follow(self):
        p = self.e.ok("PUT", POL + "/low?org=ACME",
                      {"response_minutes": 30, "containment_minutes": 60,
                       "resolution_minutes": 120, "business_hours": True})
        self.assertEqual((p["severity"], p["organisation"], p["response_minutes"]),
                         ("low", "ACME", 30))
        c = self.e.ok("PUT", CAL + "/ACME",
                      {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                       "hours": "00:00-24:00", "holidays": ["2027-01-01"]})
        self.assertEqual((c["organisation"], c["hours"], c["holidays"]),
                         ("ACME", "00:00-24:00", ["2027-01-01"]))
        self.assertIn({"severity": "low", "organisation": "ACME"},
                      [{"severity": x["severity"], "organisation": x["organisation"]}
                       for x in self.e.ok("GET", POL)["data"]])
        self.assertIn("ACME", [x["organisation"] for x in self.e.ok("GET", CAL)["data"]])
        inc = self.e.ok("POST", "/api/v1/incidents",
                        {"title": "low at ACME", "severity": "low", "constituents": ["ACME"]},
                        expect=201)
        first = [x for x in inc["clocks"] if x["name"] == "first_response"][0]
        self.assertTrue(first["business_hours"])
        # Every hour a working one (unless today is the holiday): 30 minutes after creation.
        if not inc["created_at"].startswith("2027-01-01"):
            self.assertEqual(when(first["due"]) - when(inc["created_at"]),
                             timedelta(minutes=30))
        # Only what is given changes: the hours stay.
        c = self.e.ok("PUT", CAL + "/ACME", {"utc_offset_minutes": 60})
        self.assertEqual((c["hours"], c["utc_offset_minutes"]), ("00:00-24:00", 60))
        audit = self.e.list_all("/api/v1/audit")
        kinds = {a["object_type"] for a in audit}
        self.assertIn("sla_policy", kinds)
        self.assertIn("calendar", kinds)

    def test_refusals(self):
        good = {"response_minutes": 30, "containment_minutes": 60, "resolution_minutes": 120}
        s, _, b = self.e.request("PUT", POL + "/urgent", good)
        assert_error(self, s, b, 422, "invalid", field="severity")
        for body, field in (({"response_minutes": 0, "containment_minutes": 60,
                              "resolution_minutes": 120}, "response_minutes"),
                            ({"response_minutes": 30, "containment_minutes": "60",
                              "resolution_minutes": 120}, "containment_minutes"),
                            ({"response_minutes": 30, "containment_minutes": 60}, "resolution_minutes"),
                            ({"response_minutes": 300, "containment_minutes": 60,
                              "resolution_minutes": 120}, "resolution_minutes"),
                            (dict(good, business_hours="yes"), "business_hours"),
                            (dict(good, colour="red"), None)):
            s, _, b = self.e.request("PUT", POL + "/high", body)
            assert_error(self, s, b, 422, "invalid", field=field)
        s, _, b = self.e.request("PUT", POL + "/high?org=NOPE", good)
        assert_error(self, s, b, 422, "invalid", field="org")
        for body, field in (({"hours": "18:00-08:00"}, "hours"), ({"hours": "9-17"}, "hours"),
                            ({"days": ["funday"]}, "days"), ({"days": []}, "days"),
                            ({"holidays": ["2026-13-40"]}, "holidays"),
                            ({"holidays": "2026-12-25"}, "holidays"),
                            ({"utc_offset_minutes": 900}, "utc_offset_minutes"),
                            ({"weekends": True}, None)):
            s, _, b = self.e.request("PUT", CAL + "/default", body)
            assert_error(self, s, b, 422, "invalid", field=field)
        s, _, b = self.e.request("PUT", CAL + "/NOPE", {"hours": "08:00-16:00"})
        assert_error(self, s, b, 404)
        # Analysts read, administrators set; constituents neither.
        s, _, b = self.e.request("PUT", POL + "/high", good, token=self.analyst)
        assert_error(self, s, b, 403)
        s, _, b = self.e.request("PUT", CAL + "/default", {"hours": "08:00-16:00"},
                                 token=self.analyst)
        assert_error(self, s, b, 403)
        for path in (POL, CAL):
            s, _, b = self.e.request("GET", path, token=self.acme)
            assert_error(self, s, b, 403)
        # Nothing of it was stored.
        self.assertEqual(self.e.ok("GET", CAL)["data"][0]["hours"], "09:00-17:00")


if __name__ == "__main__":
    main()
