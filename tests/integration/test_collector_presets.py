"""The feed catalogue: `ermes collectors presets [--json]` and GET /api/v1/collector-presets list
the same presets; `ermes collectors add --preset NAME --to-config` appends a [collector] section to
DATA_DIR/ermes.conf (made owner-only when a key goes in) that `ermes collectors` then lists, asks
for the key a preset needs, refuses a key a preset does not need, an unknown preset and a name
already taken, and leaves the file as it was when refusing. (Each preset's parser on its sample:
tests/unit/test_presets.c. No collector is run here: the presets point at the real providers.)"""

import json
import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import Ermes, main  # noqa: E402

REQUIRED = {"abusech-feodo", "abusech-urlhaus", "abusech-threatfox", "spamhaus-drop",
            "spamhaus-edrop", "spamhaus-asndrop", "dshield-block", "blocklistde-all",
            "blocklistde-ssh", "openphish", "openphish-commercial", "phishtank",
            "cymru-fullbogons-ipv4", "cznic-turris-greylist", "shadowserver-reports-api",
            "microsoft-ctip-azure", "microsoft-ctip-interflow"}


class Presets(unittest.TestCase):
    def test_list_cli_and_api(self):
        with Ermes() as e:
            rc, out, err = e.cli("collectors", "presets", "--json")
            self.assertEqual(rc, 0, err)
            cli = [json.loads(line) for line in out.splitlines()]
            names = {p["name"] for p in cli}
            self.assertTrue(REQUIRED <= names, REQUIRED - names)
            for p in cli:
                self.assertIn(p["needs"], ("nothing", "api_key", "credentials", "asn",
                                           "api_key_secret", "container_url"))
                self.assertTrue(p["documentation"].startswith("https://"), p)
                self.assertGreater(p["interval"], 0)
            st, _, body = e.request("GET", "/api/v1/collector-presets")
            self.assertEqual(st, 200, body)
            self.assertEqual(body["data"], cli)
            st, _, _ = e.request("GET", "/api/v1/collector-presets", token=None)
            self.assertEqual(st, 401)
            rc, out, err = e.cli("collectors", "presets")
            self.assertEqual(rc, 0, err)
            self.assertIn("abusech-feodo", out)
            self.assertIn("needs api_key", out)
            self.assertIn("needs api_key_secret", out)
            self.assertIn("needs container_url", out)

    def test_add(self):
        with Ermes(start=False) as e:
            conf = os.path.join(e.dir, "ermes.conf")
            with open(conf) as f:
                first = f.read()  # what the test harness wrote
            os.chmod(conf, 0o644)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "phishtank")
            self.assertEqual(rc, 2, out + err)
            self.assertIn("needs its api_key", err)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "no-such")
            self.assertEqual(rc, 2)
            self.assertIn("no preset", err)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "spamhaus-drop", "--api-key",
                                 "k")
            self.assertEqual(rc, 2)
            self.assertIn("needs no key", err)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "phishtank", "--api-key",
                                 "bad key")
            self.assertEqual(rc, 2)
            self.assertIn("not allowed", err)
            with open(conf) as f:
                self.assertEqual(f.read(), first)

            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "phishtank", "--api-key",
                                 "abc123")
            self.assertEqual(rc, 0, out + err)
            self.assertIn('collector "phishtank"', out)
            self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o600)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "dshield-asn", "--asn", "64500",
                                 "--name", "dshield-mine")
            self.assertEqual(rc, 0, out + err)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "spamhaus-drop")
            self.assertEqual(rc, 0, out + err)
            with open(conf) as f:
                text = f.read()
            self.assertIn("url = https://data.phishtank.com/data/abc123/online-valid.csv", text)
            self.assertIn("option = asn=64500", text)
            before = text
            # A name taken: refused, the file unchanged.
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "spamhaus-drop")
            self.assertEqual(rc, 2)
            self.assertIn("already", err)
            with open(conf) as f:
                self.assertEqual(f.read(), before)

            rc, out, err = e.cli("collectors", "--json")
            self.assertEqual(rc, 0, err)
            got = {j["name"]: j for j in map(json.loads, out.splitlines())}
            self.assertEqual(set(got), {"phishtank", "dshield-mine", "spamhaus-drop"})
            self.assertEqual(got["phishtank"]["feed"], "generic-csv")
            self.assertEqual(got["dshield-mine"]["feed"], "dshield-asn")
            self.assertEqual(got["spamhaus-drop"]["interval"], 43200)

    def test_add_signed_and_container(self):
        with Ermes(start=False) as e:
            conf = os.path.join(e.dir, "ermes.conf")
            for bad in ("keyonly", ":secret", "key:", "a:b:c"):
                rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "shadowserver-reports-api",
                                     "--api-key", bad)
                self.assertEqual(rc, 2, bad)
                self.assertIn("API_KEY:SECRET", err)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "shadowserver-reports-api",
                                 "--api-key", "KEY1:SECRET1")
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o600)
            for bad in ("ftp://x/c", "https://a b/c", "https://x/c?sig={value}"):
                rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "microsoft-ctip-azure",
                                     "--container-url", bad)
                self.assertEqual(rc, 2, bad)
            rc, out, err = e.cli("collectors", "add", "--to-config", "--preset", "microsoft-ctip-azure",
                                 "--container-url",
                                 "https://acct.blob.core.windows.net/ctip?sv=1&sig=a%2Bb")
            self.assertEqual(rc, 0, out + err)
            with open(conf) as f:
                text = f.read()
            self.assertIn("post = apikey=KEY1\n", text)
            self.assertIn("download_post = id={id}\n", text)
            self.assertIn("secret = SECRET1\n", text)
            self.assertIn("sign_header = HMAC2\n", text)
            self.assertIn("url = https://acct.blob.core.windows.net/ctip?sv=1&sig=a%2Bb\n", text)
            self.assertIn("list = azure-blob\n", text)
            rc, out, err = e.cli("collectors", "--json")
            self.assertEqual(rc, 0, err)
            self.assertNotIn("SECRET1", out)
            self.assertNotIn("sig=", out)
            got = {j["name"]: j for j in map(json.loads, out.splitlines())}
            self.assertEqual(got["shadowserver-reports-api"]["feed"], "shadowserver")
            self.assertEqual(got["microsoft-ctip-azure"]["feed"], "microsoft-ctip")


if __name__ == "__main__":
    main()
