"""Sightings notify too (issue 15, item 10), over real SMTP (aiosmtpd).

Indicators (GREEN with a source, RED) are seen in logs posted by a sensor: UMA's system
198.51.100.7 contacted them. Making notifications warns UMA's security team (the contacts
for a compromise) in one e-mail per indicator source: the GREEN indicator and what was seen
are in the text and the attached CSV; the RED one is reported as a sighting at a time, its
indicator and value withheld. A sighting of nobody's system warns nobody; a second run sends
nothing new; a review policy for sightings holds them like events.
"""

import csv
import io
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402
from test_notify import UMA_SECURITY  # noqa: E402

NOTIFICATIONS = "/api/v1/notifications"


def flow(ts, src, dest):
    return json.dumps({"timestamp": ts, "event_type": "flow", "src_ip": src, "dest_ip": dest,
                       "host": "sensor-1"})


class SightingNotifyTest(DaemonTest):
    maxDiff = 4000
    demo = True
    mail = True
    daemon_env = {"ERMES_NOTIFY_WINDOW": "3600"}

    def post_log(self, lines, source="fw"):
        body = ("\n".join(lines) + "\n").encode()
        return self.e.ok("POST", "/api/v1/logs?format=eve&source=" + source, body,
                         content_type="application/octet-stream", expect=200)

    def test_sighting_warns_the_owner(self):
        e = self.e
        e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.66", "tlp": "GREEN",
                                            "source": "botnet-c2"}, expect=201)
        e.ok("POST", "/api/v1/indicators", {"value": "203.0.113.99", "tlp": "RED",
                                            "source": "partner-x"}, expect=201)
        r = self.post_log([flow("2026-03-05T10:00:00Z", "198.51.100.7", "203.0.113.66"),
                           flow("2026-03-05T10:05:00Z", "198.51.100.7", "203.0.113.99"),
                           # 10.9.9.9 is nobody's: no warning for it
                           flow("2026-03-05T10:06:00Z", "10.9.9.9", "203.0.113.66")])
        self.assertEqual(r["sightings"], 3, r)
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual(stats["notifications"], 2, stats)
        wait_until(lambda: self.mailbox.count() >= 2, timeout=20, what="two warnings")
        got = {str(m["msg"]["Subject"]).split("from ")[-1]: m for m in self.mailbox.all()}
        self.assertEqual(len(self.mailbox.all()), 2)
        made = {n["group"]: n for n in e.list_all(NOTIFICATIONS)}
        self.assertEqual(set(made), {"sighting:botnet-c2", "sighting:partner-x"})
        for n in made.values():
            self.assertEqual((n["org"], n["state"], n["events"]), ("UMA", "sent", 1))
            self.assertEqual(n["recipients"], [UMA_SECURITY])

        green = [m for m in self.mailbox.all()
                 if m["msg"]["X-ERMES-Reference"] == made["sighting:botnet-c2"]["reference"]][0]
        self.assertEqual(green["rcpts"], [UMA_SECURITY])
        self.assertIn("TLP:GREEN", str(green["msg"]["Subject"]))
        text = body_text(green["msg"])
        self.assertIn("198.51.100.7 contacted ipv4 203.0.113.66", text)
        self.assertIn("seen by sensor-1", text)
        part = list(green["msg"].iter_attachments())[0]
        rows = list(csv.DictReader(io.StringIO(part.get_payload(decode=True).decode())))
        self.assertEqual([(r["internal_ip"], r["indicator.value"], r["tlp"]) for r in rows],
                         [("198.51.100.7", "203.0.113.66", "GREEN")])

        red = [m for m in self.mailbox.all()
               if m["msg"]["X-ERMES-Reference"] == made["sighting:partner-x"]["reference"]][0]
        self.assertNotIn(b"203.0.113.99", red["raw"])
        self.assertIn("TLP:AMBER+STRICT", str(red["msg"]["Subject"]))
        text = body_text(red["msg"])
        self.assertIn("198.51.100.7 contacted ipv4 (withheld: TLP:RED)", text)
        part = list(red["msg"].iter_attachments())[0]
        rows = list(csv.DictReader(io.StringIO(part.get_payload(decode=True).decode())))
        self.assertEqual([(r["indicator.value"], r["value"]) for r in rows],
                         [("(withheld: TLP:RED)", "(withheld: TLP:RED)")])

        # Nothing new: nothing more.
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual(stats["notifications"], 0, stats)

        # The same approval policy: sightings of botnet-c2 wait for a reviewer.
        e.ok("POST", "/api/v1/notification-policies", {"mode": "review", "feed": "botnet-c2"},
             expect=201)
        r = self.post_log([flow("2026-03-06T10:00:00Z", "198.51.100.8", "203.0.113.66")],
                          source="fw-2")
        self.assertEqual(r["sightings"], 1, r)
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual((stats["notifications"], stats["for_review"]), (1, 1), stats)
        waiting = e.list_all(NOTIFICATIONS + "?approval=waiting")
        self.assertEqual([n["group"] for n in waiting], ["sighting:botnet-c2"])
        e.ok("POST", NOTIFICATIONS + "/%d/approve" % waiting[0]["id"])
        wait_until(lambda: self.mailbox.count() >= 3, timeout=20, what="the approved warning")
        self.assertIn("198.51.100.8", body_text(self.mailbox.all()[2]["msg"]))


if __name__ == "__main__":
    main()
