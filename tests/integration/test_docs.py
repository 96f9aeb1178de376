"""Documents say only what the binary does (issue 10 item 15): every `ermes COMMAND` that
README.md and docs/*.md name is a command whose --help works, the subcommand and the flags
written after it are in that --help, every --flag and ERMES_* variable they name exists, every
src/ path they name exists, and docs/SETTINGS.md is exactly what `ermes settings` prints, so
every setting of the table is documented. Runs the binary only: no daemon, no database."""

import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ermeslib import ERMES_BIN, SOURCE_DIR, main  # noqa: E402

DOCS = [os.path.join(SOURCE_DIR, "README.md")] + sorted(
    glob.glob(os.path.join(SOURCE_DIR, "docs", "*.md")))


# Every command takes these (src/cli/main.c), whether or not its --help says so.
UNIVERSAL = {"--help", "--version"}


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def has_flag(text, flag):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag), text) is not None


def run(*args):
    p = subprocess.run([ERMES_BIN] + list(args), capture_output=True, text=True, timeout=60,
                       cwd=SOURCE_DIR)
    return p.returncode, p.stdout + p.stderr


def code_of(text):
    """The code in a Markdown text: each fenced block's lines and each `span`, as strings."""
    out = []
    fenced = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
    for m in fenced.finditer(text):
        out.extend(m.group(1).splitlines())
    rest = fenced.sub("", text)
    # A span may hold an escaped pipe (tables): "\|" is "|".
    out.extend(s.replace("\\|", "|") for s in re.findall(r"`([^`\n]+)`", rest))
    return out


class Docs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(ERMES_BIN):
            raise RuntimeError("ermes binary not found at %s (set ERMES_BIN)" % ERMES_BIN)
        rc, out = run("--help")
        assert rc == 0, out
        part = out.split("commands:", 1)[1].split("\n\n", 1)[0]
        cls.commands = [line.split()[0] for line in part.splitlines() if line.strip()]
        cls.help = {}
        for c in cls.commands:
            rc, text = run(c, "--help")
            assert rc == 0, "ermes %s --help: exit %d\n%s" % (c, rc, text)
            cls.help[c] = text
        rc, out = run("settings", "--list")
        assert rc == 0, out
        cls.settings = out.split()
        cls.docs = {os.path.relpath(p, SOURCE_DIR): read(p) for p in DOCS}
        cls.code = {name: code_of(text) for name, text in cls.docs.items()}

    def test_each_help_shows_its_own_options_first(self):
        # A command's --help starts with its own usage; the daemon's settings (--listen and
        # the like) are serve's alone, where every setting is listed.
        for c, text in self.help.items():
            with self.subTest(c):
                self.assertTrue(text.startswith("usage: ermes "), text[:80])
                if c != "serve":
                    self.assertNotIn("--listen", text)
        for name in self.settings:
            self.assertIn("--" + name.replace("_", "-"), self.help["serve"])

    def test_commands_and_their_words(self):
        """`ermes CMD [SUB] [--flag]...` in a document: CMD is a command, SUB and each flag
        are in its --help."""
        seen = 0
        for name, spans in self.code.items():
            for span in spans:
                for m in re.finditer(r"(?:^|[\s/(|;&])ermes\s+([a-z][a-z-]*)((?:[^|;&`]|\|)*)",
                                     span):
                    cmd, args = m.group(1), m.group(2)
                    seen += 1
                    self.assertIn(cmd, self.commands, "%s: `%s`: no command %s" % (name, span, cmd))
                    words = args.split()
                    if words and re.fullmatch(r"[a-z]+(\|[a-z]+)*", words[0]):
                        for sub in words[0].split("|"):
                            self.assertTrue(re.search(r"\b%s\b" % sub, self.help[cmd]),
                                        "%s: `%s`: %s is not in `ermes %s --help`"
                                        % (name, span, sub, cmd))
                    for flag in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", args):
                        if flag in UNIVERSAL:
                            continue
                        self.assertTrue(has_flag(self.help[cmd], flag),
                                        "%s: `%s`: %s is not in `ermes %s --help`"
                                        % (name, span, flag, cmd))
        self.assertGreater(seen, 20, "the documents name hardly any command: is the parser right?")

    def test_flags_and_variables_exist(self):
        """A `--flag` or ERMES_* variable a document names alone is one the binary knows."""
        every_help = "\n".join(self.help.values())
        known_env = {"ERMES_" + s.upper() for s in self.settings} | {"ERMES_CONFIG"}
        # Variables read by the tools around the binary (tests, scripts), not settings.
        tree = []
        for d in ("src", "tests", "scripts", "bench", "fuzz"):
            for p in glob.glob(os.path.join(SOURCE_DIR, d, "**", "*"), recursive=True):
                if os.path.isfile(p) and p.endswith((".c", ".h", ".py", ".sh", ".mjs", ".cmake")):
                    tree.append(read(p))
        tree.append(read(os.path.join(SOURCE_DIR, "Makefile")))
        tree.append(read(os.path.join(SOURCE_DIR, "CMakeLists.txt")))
        tree = "\n".join(tree)
        for name, spans in self.code.items():
            for span in spans:
                if re.fullmatch(r"--[a-z][a-z0-9-]*( [A-Z:]+)?", span):
                    flag = span.split()[0]
                    self.assertTrue(flag in UNIVERSAL or has_flag(every_help, flag),
                                    "%s: %s is no flag of any command" % (name, flag))
            for var in set(re.findall(r"\bERMES_[A-Z0-9_]+\b", self.docs[name])):
                if var in known_env:
                    continue
                self.assertTrue(re.search(r"[\"']%s[\"']" % var, tree),
                                "%s: %s is neither a setting nor read by anything" % (name, var))

    def test_source_paths_exist(self):
        """Every src/, tests/, web/ ... path a document names is there."""
        for name, text in self.docs.items():
            for m in re.finditer(r"\b((?:src|tests|web|fuzz|bench|scripts|data|include)"
                                 r"/[A-Za-z0-9_./-]*[A-Za-z0-9_])(.?)", text):
                path = m.group(1)
                if m.group(2) in ("<", "*", "{"):
                    continue  # a pattern (fuzz/fuzz_<name>.c), not a file
                self.assertTrue(os.path.exists(os.path.join(SOURCE_DIR, path)),
                                "%s names %s, which does not exist" % (name, path))

    def test_architecture_names_files_alone(self):
        """In ARCHITECTURE.md's flows table a bare file name (`auth.c`) is one that exists in
        the tree, so a moved or invented file shows."""
        text = self.docs[os.path.join("docs", "ARCHITECTURE.md")]
        names = {os.path.basename(p) for p in glob.glob(
            os.path.join(SOURCE_DIR, "src", "**", "*.[ch]"), recursive=True)}
        for f in set(re.findall(r"(?<![/\w])([a-z_]+\.[ch])\b", text)):
            self.assertIn(f, names, "ARCHITECTURE.md names %s: no such file under src/" % f)

    def test_settings_page_is_the_table(self):
        """docs/SETTINGS.md holds `ermes settings` word for word, and names every setting."""
        text = self.docs[os.path.join("docs", "SETTINGS.md")]
        m = re.search(r"<!-- ermes settings: begin -->\n```\n(.*?)```\n<!-- ermes settings: end -->",
                      text, re.S)
        self.assertIsNotNone(m, "docs/SETTINGS.md has no generated block")
        rc, out = run("settings")
        self.assertEqual(rc, 0)
        self.assertEqual(m.group(1), out,
                         "docs/SETTINGS.md is not what `ermes settings` prints: regenerate it")
        for s in self.settings:
            self.assertIn("ERMES_" + s.upper(), m.group(1))
        self.assertGreater(len(self.settings), 30)


if __name__ == "__main__":
    main()
