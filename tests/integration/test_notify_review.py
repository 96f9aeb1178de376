"""Review before sending (issue 15, item 8), end to end over real SMTP (aiosmtpd).

A backlog: notifications made while sending was off, and one a notification policy holds
for review. Sending is then enabled (the daemon restarted with smtp_url) with
notify_review_age shorter than the backlog's age: nothing leaves. A reviewer edits one
(subject, recipients) and approves it: exactly that one arrives, as edited. Another is held,
a third cancelled; a bulk approval lets the held one go and refuses the cancelled one, which
never arrives. The CLI does the same (hold, approve, list by approval, policies), every
decision and edit is in the audit log, and constituents may call none of it.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import DaemonTest, body_text, main, wait_until  # noqa: E402
from test_notify import UMA_ABUSE, ingest_report  # noqa: E402

NOTIFICATIONS = "/api/v1/notifications"
POLICIES = "/api/v1/notification-policies"
REVIEW_AGE = 2  # seconds: the backlog below is older than that when sending starts


class ReviewTest(DaemonTest):
    maxDiff = 4000
    demo = True
    mail = True
    send = False  # Sending is off at first: notifications are made and wait.
    daemon_env = {"ERMES_NOTIFY_WINDOW": "3600", "ERMES_NOTIFY_REVIEW_AGE": str(REVIEW_AGE)}

    def ingest(self, rows, feed_name):
        ingest_report(self, rows, feed_name)

    def notifications(self, query=""):
        return self.e.list_all(NOTIFICATIONS + query, limit=50)

    def one(self, ref):
        return self.e.ok("GET", NOTIFICATIONS + "/" + str(ref))

    def cli(self, *args):
        rc, out, err = self.e.cli(*args, env=self.env)
        return rc, out, err

    def test_review_before_sending(self):
        e = self.e
        # A policy: notifications about vulnerable systems wait for a reviewer.
        status, _, pol = e.request("POST", POLICIES, {"mode": "review",
                                                      "classification": "vulnerable",
                                                      "note": "checked by the duty officer"})
        self.assertEqual(status, 201, pol)
        self.assertEqual((pol["mode"], pol["classification"], pol["feed"], pol["org"]),
                         ("review", "vulnerable", None, None))
        status, _, b = e.request("POST", POLICIES, {"mode": "sometimes"})
        self.assertEqual((status, b["error"]["field"]), (422, "mode"), b)
        status, _, b = e.request("POST", POLICIES, {"mode": "review", "classification": "bogus"})
        self.assertEqual((status, b["error"]["field"]), (422, "classification"), b)
        listed = e.ok("GET", POLICIES)
        self.assertEqual([p["id"] for p in listed["data"]], [pol["id"]])
        self.assertEqual(listed["default"], "auto")

        # The backlog: UMA (scanner: abuse desk), DG-DIGIT (scanner), UMA again (vulnerable:
        # the policy holds it at once).
        self.ingest([("198.51.100.7", "2026-03-01T10:00:00Z", "scanner", "AMBER"),
                     ("192.0.2.5", "2026-03-01T11:00:00Z", "scanner", "AMBER")], "scan-feed")
        self.ingest([("198.51.100.8", "2026-03-01T10:05:00Z", "vulnerable-system", "GREEN")],
                    "vuln-feed")
        stats = e.ok("POST", NOTIFICATIONS + "/run?now=true")
        self.assertEqual((stats["notifications"], stats["for_review"], stats["sent"]), (3, 1, 0),
                         stats)
        made = {(n["org"], n["group"]): n for n in self.notifications()}
        self.assertEqual(len(made), 3, made)
        uma_scan = made[("UMA", "feed:scan-feed")]
        digit_scan = made[("DG-DIGIT", "feed:scan-feed")]
        uma_vuln = made[("UMA", "feed:vuln-feed")]
        self.assertEqual(uma_scan["approval"], "none")
        self.assertEqual(uma_vuln["approval"], "waiting")
        self.assertIn("notification policy %d" % pol["id"], uma_vuln["approval_reason"])
        # Linked both ways: the notification names its events, each event its notification;
        # the text a reviewer edits is there too. A constituent's view of its own event has
        # no notifications member (they are the staff's).
        full = self.one(uma_vuln["id"])
        self.assertIn("vulnerable system", full["body"])
        self.assertEqual(len(full["event_ids"]), 1, full)
        ev = e.ok("GET", "/api/v1/events/%d" % full["event_ids"][0])
        self.assertEqual([(n["id"], n["reference"], n["approval"], n["org"])
                          for n in ev["notifications"]],
                         [(uma_vuln["id"], uma_vuln["reference"], "waiting", "UMA")])
        _, ctok = e.user_token("review-link-constituent", "constituent", org="UMA")
        status, _, cev = e.request("GET", "/api/v1/events/%d" % full["event_ids"][0], token=ctok)
        self.assertEqual(status, 200, cev)
        self.assertNotIn("notifications", cev)

        # Sending is enabled once the backlog is older than notify_review_age: nothing leaves.
        time.sleep(REVIEW_AGE + 0.5)
        env = dict(self.env, ERMES_SMTP_URL=self.smtp.url())
        e.restart(env=env)
        wait_until(lambda: all(n["approval"] == "waiting" for n in self.notifications()),
                   timeout=15, what="the backlog waiting for approval")
        time.sleep(3)  # a worker round or two more
        self.assertEqual(self.mailbox.count(), 0, "a notification left without approval")
        waiting = self.notifications("?approval=waiting")
        self.assertEqual({n["id"] for n in waiting},
                         {uma_scan["id"], digit_scan["id"], uma_vuln["id"]})
        self.assertIn("notify_review_age", self.one(uma_scan["id"])["approval_reason"])
        self.assertEqual({n["state"] for n in waiting}, {"pending"})
        # A manual send is not an approval.
        status, _, b = e.request("POST", NOTIFICATIONS + "/%d/send" % uma_scan["id"])
        self.assertEqual((status, b["error"]["field"]), (409, "approval"), b)
        self.assertEqual(self.mailbox.count(), 0)

        # Edit: checked fields; then the new subject and recipients.
        path = NOTIFICATIONS + "/" + uma_scan["reference"]
        for bad, field in (({"subject": "two\r\nBcc: x@evil.example"}, "subject"),
                           ({"recipients": ["not an address"]}, "recipients"),
                           ({"recipients": []}, "recipients"),
                           ({"state": "sent"}, "state")):
            status, _, b = e.request("PATCH", path, bad)
            self.assertEqual((status, b["error"]["field"]), (422, field), (bad, b))
        subject = "[%s] Checked: a scanner at the Union Medicines Agency" % uma_scan["reference"]
        edited = e.ok("PATCH", path, {"subject": subject,
                                      "recipients": [UMA_ABUSE, "Duty@Medicines.example"]})
        self.assertEqual(edited["subject"], subject)
        self.assertEqual(edited["recipients"], [UMA_ABUSE, "duty@medicines.example"])
        self.assertIn("Subject: ", self.one(uma_scan["id"])["preview"])

        # Approve it: exactly it arrives, as edited.
        approved = e.ok("POST", path + "/approve")
        self.assertEqual(approved["approval"], "approved")
        wait_until(lambda: self.mailbox.count() >= 1, timeout=15, what="the approved message")
        time.sleep(2.5)
        got = self.mailbox.all()
        self.assertEqual(len(got), 1, [m["msg"]["Subject"] for m in got])
        self.assertEqual(got[0]["rcpts"], sorted([UMA_ABUSE, "duty@medicines.example"]))
        self.assertEqual(str(got[0]["msg"]["Subject"]), subject)
        self.assertEqual(got[0]["msg"]["X-ERMES-Reference"], uma_scan["reference"])
        self.assertIn(uma_scan["reference"], body_text(got[0]["msg"]))
        self.assertEqual(self.one(uma_scan["id"])["state"], "sent")
        # Sent: no longer reviewable or editable.
        status, _, b = e.request("POST", path + "/hold")
        self.assertEqual(status, 409, b)
        status, _, b = e.request("PATCH", path, {"subject": "late"})
        self.assertEqual(status, 409, b)

        # The CLI holds DG-DIGIT's; the API cancels UMA's vulnerable one.
        rc, out, err = self.cli("notify", "hold", digit_scan["reference"])
        self.assertEqual(rc, 0, err)
        self.assertIn("1 notifications held", out)
        self.assertEqual(self.one(digit_scan["id"])["approval"], "held")
        self.assertEqual(e.ok("POST", NOTIFICATIONS + "/%d/cancel" % uma_vuln["id"])["approval"],
                         "cancelled")
        rc, out, err = self.cli("notify", "list", "--approval", "cancelled", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual([json.loads(x)["id"] for x in out.splitlines()], [uma_vuln["id"]])
        time.sleep(2.5)
        self.assertEqual(self.mailbox.count(), 1)

        # Bulk: approve both; the held one goes, the cancelled one is refused.
        status, _, b = e.request("POST", NOTIFICATIONS + "/review",
                                 {"action": "approve", "ids": [digit_scan["id"], uma_vuln["id"]]})
        self.assertEqual(status, 200, b)
        self.assertEqual(b["changed"], [digit_scan["id"]])
        self.assertEqual([r["id"] for r in b["refused"]], [uma_vuln["id"]])
        self.assertIn("cancelled", b["refused"][0]["reason"])
        status, _, b = e.request("POST", NOTIFICATIONS + "/review", {"action": "send", "ids": [1]})
        self.assertEqual((status, b["error"]["field"]), (422, "action"), b)
        wait_until(lambda: self.mailbox.count() >= 2, timeout=15, what="the held one, approved")
        time.sleep(2.5)
        got = self.mailbox.all()
        self.assertEqual(len(got), 2)
        self.assertEqual(got[1]["msg"]["X-ERMES-Reference"], digit_scan["reference"])
        self.assertEqual(self.one(uma_vuln["id"])["state"], "pending")
        self.assertEqual(self.one(uma_vuln["id"])["approval"], "cancelled")

        # A new event of a vulnerable system: the policy holds it; approving every waiting
        # one from the CLI sends it.
        self.ingest([("198.51.100.9", "2026-03-02T10:05:00Z", "vulnerable-system", "GREEN")],
                    "vuln-feed")
        e.ok("POST", NOTIFICATIONS + "/run?now=true")
        fresh = self.notifications("?approval=waiting")
        self.assertEqual(len(fresh), 1, fresh)
        time.sleep(2.5)
        self.assertEqual(self.mailbox.count(), 2)
        rc, out, err = self.cli("notify", "approve", "--waiting", "--org", "UMA")
        self.assertEqual(rc, 0, err)
        self.assertIn("1 notifications approved", out)
        wait_until(lambda: self.mailbox.count() >= 3, timeout=15, what="the CLI-approved one")
        self.assertEqual(self.mailbox.all()[2]["msg"]["X-ERMES-Reference"], fresh[0]["reference"])

        # Policies from the CLI; deleting through the API.
        rc, out, err = self.cli("notify", "policy", "add", "--mode", "auto", "--feed",
                                "vuln-feed", "--org", "UMA", "--json")
        self.assertEqual(rc, 0, err)
        added = json.loads(out)
        self.assertEqual((added["mode"], added["feed"], added["org"]), ("auto", "vuln-feed", "UMA"))
        rc, out, err = self.cli("notify", "policy")
        self.assertEqual(rc, 0, err)
        self.assertIn("classification=vulnerable", out)
        self.assertIn("feed=vuln-feed", out)
        status, _, _ = e.request("DELETE", POLICIES + "/%d" % added["id"])
        self.assertEqual(status, 204)
        status, _, _ = e.request("DELETE", POLICIES + "/%d" % added["id"])
        self.assertEqual(status, 404)

        # Every decision and edit is audited, with who made it.
        audit = [a for a in e.list_all("/api/v1/audit", limit=200)
                 if a["object_type"] in ("notification", "notification_policy")]
        seen = {(a["action"], a["object_type"], a["object_id"]) for a in audit}
        for want in (("create", "notification_policy", str(pol["id"])),
                     ("edit", "notification", str(uma_scan["id"])),
                     ("approve", "notification", str(uma_scan["id"])),
                     ("hold", "notification", str(digit_scan["id"])),
                     ("cancel", "notification", str(uma_vuln["id"])),
                     ("approve", "notification", str(digit_scan["id"])),
                     ("approve", "notification", str(fresh[0]["id"])),
                     ("delete", "notification_policy", str(added["id"]))):
            self.assertIn(want, seen)
        edit = [a for a in audit if a["action"] == "edit"][0]
        self.assertEqual(edit["detail"]["recipients"], [UMA_ABUSE, "duty@medicines.example"])

    def test_staff_only(self):
        _, tok = self.e.user_token("review-constituent", "constituent", org="UMA")
        for method, path, body in (("GET", POLICIES, None), ("POST", POLICIES, {"mode": "auto"}),
                                   ("DELETE", POLICIES + "/1", None),
                                   ("PATCH", NOTIFICATIONS + "/1", {"subject": "x"}),
                                   ("POST", NOTIFICATIONS + "/1/approve", None),
                                   ("POST", NOTIFICATIONS + "/1/hold", None),
                                   ("POST", NOTIFICATIONS + "/1/cancel", None),
                                   ("POST", NOTIFICATIONS + "/review",
                                    {"action": "approve", "ids": [1]}),
                                   ("GET", "/api/v1/notification-keys", None)):
            status, _, b = self.e.request(method, path, body, token=tok)
            self.assertEqual(status, 403, "%s %s: %r" % (method, path, b))
        status, _, b = self.e.request("GET", NOTIFICATIONS + "?approval=maybe")
        self.assertEqual((status, b["error"]["field"]), (400, "approval"), b)
        status, _, b = self.e.request("POST", NOTIFICATIONS + "/999999/approve")
        self.assertEqual(status, 404, b)


if __name__ == "__main__":
    main()
