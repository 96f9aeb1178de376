"""The sensor role over HTTP and the CLI: a sensor user (a Suricata or Zeek box) posts logs with
its token and its sightings are named by it (its ?sensor= only as USER/NAME); it gets 403 on
every other route, cannot have a password nor use a session; a sensor scoped to an organisation
still records the hits the registry gives to another; analysts still post logs."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import TOKEN_RE, Ermes, assert_error, db_connect, main  # noqa: E402

PASSWORD = "correct horse battery staple"


def eve(ts, src, dst, host="forged-host"):
    return json.dumps({"timestamp": ts, "event_type": "flow", "src_ip": src, "src_port": 50000,
                       "dest_ip": dst, "dest_port": 443, "proto": "TCP", "host": host}) + "\n"


class SensorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.e = Ermes()
        try:
            e = cls.e
            cls.acme = e.ok("POST", "/api/v1/organisations",
                            {"short_name": "acme", "name": "ACME",
                             "networks": ["10.20.0.0/16"]}, expect=201)
            cls.beta = e.ok("POST", "/api/v1/organisations",
                            {"short_name": "beta", "name": "Beta",
                             "networks": ["10.30.0.0/16"]}, expect=201)
            e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.66", "tlp": "AMBER"},
                 expect=201)
            # The sensor as an operator makes it: with the CLI, on the running daemon's data.
            rc, out, err = e.cli("user", "add", "s1", "--role", "sensor")
            assert rc == 0, err
            cls.s1 = cls.cli_token("s1")
        except BaseException:
            cls.e.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.e.close()

    @classmethod
    def cli_token(cls, name):
        rc, out, err = cls.e.cli("token", "create", name)
        assert rc == 0, err
        m = TOKEN_RE.search(out)
        assert m, "no token in %r" % out
        return m.group(0)

    def post_log(self, body, token, query="", expect=200):
        return self.e.ok("POST", "/api/v1/logs?format=eve" + query, body.encode(),
                         content_type="application/octet-stream", token=token, expect=expect)

    def sightings_of(self, source):
        return [s for s in self.e.list_all("/api/v1/sightings") if s["log_source"] == source]

    def test_sensor_posts_eve_and_names_its_sightings(self):
        log = eve("2024-05-02T10:00:00+0000", "10.20.0.9", "203.0.113.66")
        r = self.post_log(log, self.s1, "&source=s1-eve-1")
        self.assertEqual(r, {"source": "s1-eve-1", "accepted": 1, "rejected": 0})
        got = self.sightings_of("s1-eve-1")
        self.assertEqual(len(got), 1, got)
        # The record's own host field does not name it: the sensor's user does.
        self.assertEqual(got[0]["sensor"], "s1")
        self.assertEqual(got[0]["org_id"], self.acme["id"])
        self.assertEqual(got[0]["internal_ip"], "10.20.0.9")
        self.assertEqual([s["log_source"] for s in
                          self.e.list_all("/api/v1/sightings?sensor=s1")
                          if s["log_source"] == "s1-eve-1"], ["s1-eve-1"])
        # ?sensor= names a part of this sensor, never another sensor.
        log = eve("2024-05-02T10:05:00+0000", "10.20.0.10", "203.0.113.66")
        r = self.post_log(log, self.s1, "&source=s1-eve-2&sensor=analyst-box")
        self.assertEqual(r["accepted"], 1, r)
        self.assertEqual([s["sensor"] for s in self.sightings_of("s1-eve-2")],
                         ["s1/analyst-box"])
        self.assertEqual(self.e.list_all("/api/v1/sightings?sensor=analyst-box"), [])
        # The submission is in the audit log under the sensor's name.
        audit = self.e.list_all("/api/v1/audit?object_type=log")
        self.assertIn(("s1", "s1-eve-2"), [(a["actor"], a["object_id"]) for a in audit])

    def test_the_same_bytes_from_two_sensors_are_two_logs(self):
        rc, _, err = self.e.cli("user", "add", "s3", "--role", "sensor")
        self.assertEqual(rc, 0, err)
        s3 = self.cli_token("s3")
        log = eve("2024-05-03T00:00:00+0000", "10.20.3.3", "203.0.113.66")
        a = self.post_log(log, self.s1)
        b = self.post_log(log, s3)
        self.assertNotEqual(a["source"], b["source"])
        self.assertEqual([s["sensor"] for s in self.sightings_of(a["source"])], ["s1"])
        self.assertEqual([s["sensor"] for s in self.sightings_of(b["source"])], ["s3"])
        # The same sensor posting them again is recognised: no second sighting.
        again = self.post_log(log, s3)
        self.assertEqual(again["source"], b["source"])
        self.assertEqual(len(self.sightings_of(b["source"])), 1)

    def test_sensor_is_refused_everything_else(self):
        me = self.e.ok("GET", "/api/v1/me", token=self.s1)
        self.assertEqual(me["user"]["role"], "sensor")
        self.assertEqual(me["user"]["name"], "s1")
        s, _, _ = self.e.request("GET", "/healthz", token=self.s1)
        self.assertEqual(s, 200)
        uid = me["user"]["id"]
        for method, path, body in [
            ("GET", "/api/v1/organisations", None),
            ("GET", "/api/v1/organisations/acme", None),
            ("GET", "/api/v1/organisations/export", None),
            ("POST", "/api/v1/organisations", {"short_name": "x", "name": "X"}),
            ("GET", "/api/v1/lookup?q=10.20.0.1", None),
            ("GET", "/api/v1/events", None),
            ("GET", "/api/v1/indicators", None),
            ("POST", "/api/v1/indicators", {"value": "198.51.100.9"}),
            ("GET", "/api/v1/users", None),
            ("GET", "/api/v1/users/%d" % uid, None),
            ("PATCH", "/api/v1/users/%d" % uid, {"role": "admin"}),
            ("POST", "/api/v1/users/%d/password" % uid, {"password": PASSWORD}),
            ("GET", "/api/v1/tokens", None),
            ("POST", "/api/v1/tokens", {}),
            ("GET", "/api/v1/reports", None),
            ("GET", "/api/v1/sightings", None),
            ("GET", "/api/v1/sightings?sensor=s1", None),
            ("GET", "/api/v1/feeds", None),
            ("GET", "/api/v1/stats", None),
            ("GET", "/api/v1/notifications", None),
            ("GET", "/api/v1/retrohunts", None),
            ("GET", "/api/v1/sessions/current", None),
            ("GET", "/metrics", None),
        ]:
            s, _, b = self.e.request(method, path, body, token=self.s1)
            err = assert_error(self, s, b, 403, "forbidden")
            self.assertIn("sensor", err["message"], (method, path))
        # The role it has was not changed by the PATCH it tried.
        self.assertEqual(self.e.ok("GET", "/api/v1/me", token=self.s1)["user"]["role"], "sensor")

    def test_sensor_cannot_sign_in(self):
        # No password for a sensor, by the API or the CLI.
        s, _, b = self.e.request("POST", "/api/v1/users",
                                 {"name": "s-pw", "role": "sensor", "password": PASSWORD})
        assert_error(self, s, b, 422, field="password")
        rc, _, err = self.e.cli("user", "add", "s-pw", "--role", "sensor", "--password-stdin",
                                input=PASSWORD + "\n")
        self.assertEqual(rc, 2, err)
        rc, _, err = self.e.cli("user", "passwd", "s1", input=PASSWORD + "\n")
        self.assertEqual(rc, 2, err)
        sid = self.e.ok("GET", "/api/v1/me", token=self.s1)["user"]["id"]
        s, _, b = self.e.request("POST", "/api/v1/users/%d/password" % sid,
                                 {"new_password": PASSWORD})
        assert_error(self, s, b, 422, field="new_password")
        s, _, b = self.e.request("PATCH", "/api/v1/users/%d" % sid, {"password": PASSWORD})
        assert_error(self, s, b, 422, field="password")
        s, _, b = self.e.request("POST", "/api/v1/sessions",
                                 {"username": "s1", "password": PASSWORD}, token=None)
        assert_error(self, s, b, 401)
        # A sensor that has a password anyway (written into the database by hand) is refused
        # a session even with the right one.
        self.e.create_user("pw-donor", "analyst", password=PASSWORD)
        db = db_connect(os.path.join(self.e.dir, "ermes.db"))
        with db:
            db.execute("UPDATE users SET password_hash = (SELECT password_hash FROM users"
                       " WHERE name = 'pw-donor') WHERE name = 's1'")
        db.close()
        try:
            s, h, b = self.e.request("POST", "/api/v1/sessions",
                                     {"username": "s1", "password": PASSWORD}, token=None)
            assert_error(self, s, b, 403, "forbidden")
            self.assertNotIn("set-cookie", h)
        finally:
            db = db_connect(os.path.join(self.e.dir, "ermes.db"))
            with db:
                db.execute("UPDATE users SET password_hash = '' WHERE name = 's1'")
            db.close()
        # An analyst signed in and then made a sensor loses the session at once.
        u = self.e.create_user("ana-to-sensor", "analyst", password=PASSWORD)
        s, h, b = self.e.request("POST", "/api/v1/sessions",
                                 {"username": "ana-to-sensor", "password": PASSWORD}, token=None)
        self.assertEqual(s, 201, b)
        cookie = h["set-cookie"].split(";")[0]
        s, _, b = self.e.request("GET", "/api/v1/sessions/current", token=None,
                                 headers={"Cookie": cookie})
        self.assertEqual(s, 200, b)
        b = self.e.ok("PATCH", "/api/v1/users/%d" % u["id"], {"role": "sensor"}, expect=200)
        self.assertEqual((b["role"], b["has_password"]), ("sensor", False))
        s, _, b = self.e.request("GET", "/api/v1/sessions/current", token=None,
                                 headers={"Cookie": cookie})
        assert_error(self, s, b, 401, "unauthorized")

    def test_sensor_by_api_and_scoped_to_an_organisation(self):
        s, _, b = self.e.request("POST", "/api/v1/users", {"name": "robot", "role": "robot"})
        err = assert_error(self, s, b, 422, field="role")
        self.assertIn("sensor", err["message"])
        home = self.e.ok("GET", "/api/v1/me")["organisation"]
        plain = self.e.create_user("zeek-1", "sensor")
        self.assertEqual((plain["role"], plain["org"], plain["has_password"]),
                         ("sensor", home, False))
        scoped = self.e.create_user("acme-ids", "sensor", org="acme")
        self.assertEqual(scoped["org"], "acme")
        tok = self.e.create_token(scoped["id"])["token"]
        self.assertEqual(self.e.ok("GET", "/api/v1/me", token=tok)["organisation"], "acme")
        # It watches ACME's network, but a hit on Beta's address is recorded as Beta's: the
        # registry, not the sensor, says whose address it is.
        log = (eve("2024-05-04T00:00:00+0000", "10.20.4.4", "203.0.113.66") +
               eve("2024-05-04T00:00:01+0000", "10.30.4.4", "203.0.113.66"))
        r = self.post_log(log, tok, "&source=acme-ids-1")
        self.assertEqual(r["accepted"], 2, r)
        got = {s["internal_ip"]: s for s in self.sightings_of("acme-ids-1")}
        self.assertEqual(got["10.20.4.4"]["org_id"], self.acme["id"])
        self.assertEqual(got["10.30.4.4"]["org_id"], self.beta["id"])
        self.assertEqual({s["sensor"] for s in got.values()}, {"acme-ids"})
        # The CLI makes scoped sensors too, and lists them.
        rc, out, err = self.e.cli("user", "add", "beta-ids", "--role", "sensor", "--org", "beta")
        self.assertEqual(rc, 0, err)
        rc, out, err = self.e.cli("user", "list", "--json")
        self.assertEqual(rc, 0, err)
        rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
        self.assertEqual((rows["beta-ids"]["role"], rows["beta-ids"]["org"]), ("sensor", "beta"))
        self.assertEqual(rows["s1"]["role"], "sensor")
        # A constituent still needs its organisation; only a sensor's is optional.
        s, _, b = self.e.request("POST", "/api/v1/users", {"name": "c-no-org",
                                                           "role": "constituent"})
        assert_error(self, s, b, 422, field="org")

    def test_sensor_answer_tells_nothing_of_matches(self):
        """Issue 10, item 9: a sensor cannot use POST /api/v1/logs to test whether a value is on
        the indicator list (TLP:RED included): its answer counts records accepted and rejected,
        the same whether anything matched or not."""
        self.e.ok("POST", "/api/v1/indicators", {"value": "192.0.2.250", "tlp": "RED"},
                  expect=201)
        probe = eve("2024-05-06T00:00:00+0000", "10.20.6.6", "192.0.2.250") + "{broken\n"
        blank = eve("2024-05-06T00:00:00+0000", "10.20.6.6", "192.0.2.251") + "{broken\n"
        a = self.post_log(probe, self.s1, "&source=probe-red")
        b = self.post_log(blank, self.s1, "&source=probe-none")
        self.assertEqual(a, {"source": "probe-red", "accepted": 1, "rejected": 1})
        self.assertEqual(b, {"source": "probe-none", "accepted": 1, "rejected": 1})
        # The hit is still recorded, for the CERT to see.
        self.assertEqual(len(self.sightings_of("probe-red")), 1)
        self.assertEqual(self.sightings_of("probe-none"), [])
        # Staff still get the match counts.
        staff = self.post_log(probe, self.e.token, "&source=probe-staff")
        self.assertEqual((staff["accepted"], staff["rejected"], staff["matched"],
                          staff["sightings"]), (1, 1, 1, 1), staff)

    def test_analyst_still_posts_logs_and_constituent_does_not(self):
        _, analyst = self.e.user_token("ana-logs", "analyst")
        log = eve("2024-05-05T00:00:00+0000", "10.20.5.5", "203.0.113.66", host="suricata-a")
        r = self.post_log(log, analyst, "&source=analyst-1")
        self.assertEqual(r["sightings"], 1, r)
        # Staff keep naming the sensor by the record or by ?sensor= as before.
        self.assertEqual([s["sensor"] for s in self.sightings_of("analyst-1")], ["suricata-a"])
        r = self.post_log(log, analyst, "&source=analyst-2&sensor=edge-7")
        self.assertEqual([s["sensor"] for s in self.sightings_of("analyst-2")], ["edge-7"])
        _, ctok = self.e.user_token("acme-staff", "constituent", org="acme")
        s, _, b = self.e.request("POST", "/api/v1/logs?format=eve", log.encode(),
                                 content_type="application/octet-stream", token=ctok)
        assert_error(self, s, b, 403, "forbidden")


if __name__ == "__main__":
    main()
