"""The man pages against the programs they describe.

Every long option a program's --help prints (and, for the client and the
bench tool, each command's --help) must appear in its man page outside
comments, and every command in the page's COMMANDS section, so a new flag
cannot ship undocumented.  With groff installed (Debian: groff-base) each
page must also render without a single warning at -ww, and the rendered
text must carry the same options.  The programs' paths come from ctest's
environment (CROSSWALKD, CROSSWALK, CROSSWALK_BENCH), the pages' folder
from CW_MAN_DIR.
"""
import os
import re
import shutil
import subprocess
import unittest

MAN_DIR = os.environ.get("CW_MAN_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "man")

# An option as a word: not the tail of a longer one (--max-output inside
# --max-output-soft would not count) and not part of a path.
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def crosswalk_commands(text):
    """The command names listed under "Commands:" in crosswalk --help."""
    names, inside = [], False
    for line in text.splitlines():
        if line.startswith("Commands:"):
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            m = re.match(r"  ([a-z][a-z0-9-]*)\b", line)
            if m:
                names.append(m.group(1))
    return names


def bench_commands(text):
    """The commands of the usage lines in crosswalk-bench --help."""
    return list(dict.fromkeys(re.findall(r"^\s+crosswalk-bench ([a-z][a-z0-9-]*)", text, re.M)))


def roff_text(source):
    """The page's words as a reader sees them, from its roff source:
    comments dropped, escaped hyphens and quotes plain, font changes and
    zero-width escapes removed."""
    lines = [l for l in source.splitlines() if not l.startswith('.\\"')]
    text = "\n".join(lines)
    text = text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
    text = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", text)
    text = re.sub(r"\\[&%c]", "", text)
    return text


def section(text, name):
    """The text of the section .SH NAME up to the next .SH."""
    m = re.search(r"^\.SH " + re.escape(name) + r"\s*$(.*?)(?=^\.SH |\Z)", text, re.M | re.S)
    return m.group(1) if m else ""


class ManPages(unittest.TestCase):
    def program(self, env):
        path = os.environ.get(env)
        if not path or not os.access(path, os.X_OK):
            self.skipTest(f"{env} is not set to a built program")
        return path

    def helps(self, prog, commands_of):
        """{where: help text} for the program and each of its commands."""
        top = run([prog, "--help"])
        out = {"--help": top}
        if commands_of:
            commands = commands_of(top)
            self.assertTrue(commands, f"no commands found in {prog} --help")
            for c in commands:
                out[f"{c} --help"] = run([prog, c, "--help"])
        return out

    def check_page(self, page, prog, commands_of=None):
        path = os.path.join(MAN_DIR, page)
        with open(path, encoding="utf-8") as f:
            source = f.read()
        text = roff_text(source)
        helps = self.helps(prog, commands_of)

        missing = {}
        for where, help_text in helps.items():
            for opt in sorted(set(OPTION.findall(help_text))):
                if not re.search(r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])", text):
                    missing.setdefault(opt, where)
        self.assertEqual(missing, {}, f"{page}: options printed by --help (seen in) "
                         f"that the page does not document")

        if commands_of:
            listed = section(text, "COMMANDS")
            self.assertTrue(listed, f"{page}: no COMMANDS section")
            absent = [c for c in commands_of(helps["--help"])
                      if not re.search(r"(?<![\w-])" + re.escape(c) + r"(?![\w-])", listed)]
            self.assertEqual(absent, [], f"{page}: commands missing from COMMANDS")

        self.check_render(path, page, helps)

    def check_render(self, path, page, helps):
        groff = shutil.which("groff")
        if not groff:
            print(f"{page}: groff not installed (Debian groff-base): rendering not checked")
            return
        # -ww: every warning; -z: format but print nothing.
        p = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stderr), (0, ""), f"{page}: groff warnings")
        # Plain ASCII text (no overstriking, no SGR) to find the options in.
        p = subprocess.run([groff, "-man", "-Tascii", "-P-cbou", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        shown = p.stdout
        for help_text in helps.values():
            for opt in set(OPTION.findall(help_text)):
                self.assertRegex(shown, r"(?<![\w-])" + re.escape(opt) + r"(?![\w-])",
                                 f"{page}: {opt} is in the source but not in the rendered page")

    def test_crosswalkd(self):
        self.check_page("crosswalkd.8", self.program("CROSSWALKD"))

    def test_crosswalk(self):
        self.check_page("crosswalk.1", self.program("CROSSWALK"), crosswalk_commands)

    def test_crosswalk_bench(self):
        self.check_page("crosswalk-bench.1", self.program("CROSSWALK_BENCH"), bench_commands)

    def test_option_finder(self):
        """The finder the checks rely on: whole options only."""
        self.assertEqual(OPTION.findall("  --max-output BYTES (--idle-timeout, x--y, ---z)"),
                         ["--max-output", "--idle-timeout"])
        text = roff_text('.\\" --hidden\n.BI \\-\\-max\\-output " BYTES"\n\\fB\\-\\-a\\fR')
        self.assertNotIn("--hidden", text)
        self.assertIn("--max-output", text)
        self.assertIn("--a", text)


if __name__ == "__main__":
    unittest.main()
