"""The conventions every crosswalk command follows, checked as a user meets
them: times in the forms people write them, the names a mistyped command,
option, framework or organisation was meant to be, -o - and standard
input, `version` and `help`, tables fitted to the terminal's width in
display cells (Japanese titles included), the pager and colour on a
pseudo-terminal, and CSV cells that a spreadsheet would run as formulas."""
import csv
import io
import json
import os
import re
import tempfile
import unicodedata
import unittest

from clitest import CliCase
import fixture

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cells(s):
    """Display cells of s as a terminal draws it."""
    n = 0
    for ch in ANSI.sub("", s):
        if unicodedata.combining(ch):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


class Conventions(CliCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        case = cls("test_times")
        fixture.load_with_call(case)
        # a catalogue with Japanese titles, long English ones and ids and
        # titles a spreadsheet would take for formulas
        reqs = [{"id": "J1", "title": "情報セキュリティのための方針群"},
                {"id": "J2", "title": "アクセス制御 (access control), a title long enough to need "
                                      "wrapping on any terminal narrower than a hundred columns"},
                {"id": "=HYPERLINK(\"http://evil.example/\",\"x\")", "title": "+SUM(A1:A9)"},
                {"id": "@cmd", "title": "-2+3"},
                {"id": "K1", "title": "\tTabbed"},
                {"id": "K2", "title": "\rReturned"},
                {"id": "K3", "title": "Café crème"}]
        case.ok("call", "catalog.load", json.dumps({"framework": "conv-jp", "requirements": reqs}))
        case.ok("call", "control.put", json.dumps({"org": fixture.ORG, "controls": [
            {"id": "JP-1", "links": [{"framework": "conv-jp", "id": r["id"]} for r in reqs]}]}))

    def coverage(self, *extra, framework="conv-jp", options=()):
        """A coverage report's arguments; options are global ones (before
        the command)."""
        return (*options, "coverage", "--org", fixture.ORG, "--framework", framework, "--as-of",
                fixture.AS_OF, *extra)

    # ---- times ----

    def test_times(self):
        def as_of(value, env=None):
            out = self.ok("soa", "--org", fixture.ORG, "--as-of", value, "--format", "json",
                          env=env)
            return json.loads(out)["as_of"]
        self.assertEqual(as_of("2026-12-01"), "2026-12-01T00:00:00Z")
        self.assertEqual(as_of("2026-12-01T01:30:00+01:00"), "2026-12-01T00:30:00Z")
        self.assertEqual(as_of("2026-12-01 09:30:00-05:00"), "2026-12-01T14:30:00Z")
        self.assertEqual(as_of("1796083200"), "2026-12-01T00:00:00Z")
        # no offset: the local time of the machine (TZ), seconds optional
        self.assertEqual(as_of("2026-12-01 10:00", {"TZ": "UTC"}), "2026-12-01T10:00:00Z")
        self.assertEqual(as_of("2026-12-01T10:00:15", {"TZ": "CET-1"}), "2026-12-01T09:00:15Z")
        for bad in ("2026-02-30", "yesterday", "2026-12-01T25:00", "12/01/2026", ""):
            r = self.run_cli("soa", "--org", fixture.ORG, "--as-of", bad)
            self.assertEqual(r.returncode, 2, bad)
            self.assertIn(f"--as-of: '{bad}' is not a time", r.stderr)

    # ---- names meant ----

    def test_did_you_mean(self):
        r = self.run_cli("covrage", server=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command 'covrage'; did you mean 'coverage'?", r.stderr)
        r = self.run_cli("gap", "--org", fixture.ORG, "--traget", "soc2-2017")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--traget'; did you mean '--target'?", r.stderr)
        r = self.run_cli("gap", "--org", fixture.ORG, "--target", "soc2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not_found: target: no framework 'soc2'", r.stderr)
        self.assertIn("did you mean 'soc2-2017'?", r.stderr)
        r = self.run_cli("coverage", "--org", "acm", "--framework", "soc2-2017")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean 'acme'?", r.stderr)
        r = self.run_cli("compare", "--source", "nist-csf", "--target", "soc2-2017")
        self.assertIn("did you mean 'nist-csf-2.0'?", r.stderr)
        # nothing near: no guess
        r = self.run_cli("xyzzy", server=False)
        self.assertNotIn("did you mean", r.stderr)

    # ---- -o -, standard input, version, help ----

    def test_dash_is_standard_output_and_input(self):
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                out = self.ok("gap", "--org", fixture.ORG, "--target", "soc2-2017", "--as-of",
                              fixture.AS_OF, "--format", "csv", "-o", "-")
                self.assertEqual(os.listdir(tmp), [], "no file named -")
                self.assertTrue(out.startswith("id,title,group,status"))
                out = self.ok("export", "--framework", "iso27001-2022", "--target-framework",
                              "soc2-2017", "-o", "-")
                self.assertTrue(out.startswith("source_framework,source_id,"))
                self.assertEqual(os.listdir(tmp), [])
            finally:
                os.chdir(cwd)
        if fixture.HAVE_IMPORT:
            self.ok("load", "-", input=fixture.CROSSWALK_CSV)
            out = self.ok("load", "-", input=fixture.CROSSWALK_CSV)
            self.assertRegex(out, r"loaded 2 of 2 items from 1 file in [\d.]+ s: created 0, "
                                  r"updated 0, unchanged 2, rejected 0")
            r = self.run_cli("load", "--org", fixture.ORG, "-",
                             input=fixture.CONTROLS_CSV.replace("A.8.8", "A.99"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("crosswalk: -:5: invalid_params: links[0].id: no requirement 'A.99'",
                          r.stderr)

    def test_version_and_help(self):
        out = self.ok("--version", server=False)
        self.assertRegex(out, r"^crosswalk \d+\.\d+\.\d+\n$")
        self.assertEqual(self.ok("version", "--client", server=False), out)
        both = self.ok("version")
        self.assertTrue(both.startswith(out))
        self.assertRegex(both, r"\ncrosswalkd \d+\.\d+\.\d+ \(store schema \d+\) at unix:")
        r = self.run_cli("version", env={"CROSSWALK_SERVER": "unix:/nonexistent/s"})
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, out, "the client's version even without a server")
        self.assertEqual(self.ok("help", server=False), self.ok("--help", server=False))
        self.assertEqual(self.ok("help", "gap", server=False),
                         self.ok("gap", "--help", server=False))
        r = self.run_cli("help", "gapp", server=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("did you mean 'gap'?", r.stderr)
        # --source picks the plan's steps; the candidates come from everywhere
        gap_help = self.ok("help", "gap", server=False)
        self.assertIn("--source FW         propose plan steps from FW only", gap_help)
        self.assertNotIn("(or in --source)", gap_help)

    # ---- tables on a terminal ----

    def test_table_fits_the_terminal(self):
        # 100 columns: every table fits (the per-group counts need 95)
        rc, out = self.run_tty(*self.coverage(options=["--no-pager"]), cols=100)
        self.assertEqual(rc, 0, out)
        lines = out.split("\n")
        self.assertTrue(all(cells(l) <= 100 for l in lines),
                        [l for l in lines if cells(l) > 100][:3])
        # 72: the tables of text fit (columns are not narrowed below their
        # header, so the counts table stays as wide as its headers)
        rc, out = self.run_tty(*self.coverage(options=["--no-pager"]), cols=72)
        self.assertEqual(rc, 0, out)
        lines = out.split("Requirements (7)\n")[1].split("\n\n")[0].split("\n")
        self.assertTrue(all(cells(l) <= 72 for l in lines),
                        [l for l in lines if cells(l) > 72][:3])
        # the long title is wrapped, not cut: every word is there
        text = " ".join(lines)
        for word in ("wrapping", "hundred", "columns"):
            self.assertIn(word, text)
        # columns line up in display cells: each row's status starts where
        # the header's does, after Japanese and accented titles alike
        block = out.split("Requirements (7)\n")[1].split("\n\n")[0].split("\n")
        at = cells(block[0][:block[0].index("status")])
        statuses = 0
        for line in block[2:]:
            m = re.search(r"(met|partial|unverified|failing|gap)\b", ANSI.sub("", line))
            plain = ANSI.sub("", line)
            if m and cells(plain[:m.start()]) == at:
                statuses += 1
        self.assertEqual(statuses, 7, "\n".join(block))
        # piped, the same table keeps its whole width (one line a row)
        piped = self.ok(*self.coverage())
        self.assertTrue(any(cells(l) > 100 for l in piped.split("\n")))
        self.assertEqual(
            len(piped.split("Requirements (7)\n")[1].split("\n\n")[0].rstrip("\n").split("\n")),
            2 + 7)
        # COLUMNS asks for a width when piped
        narrow = self.ok(*self.coverage(), env={"COLUMNS": "60"})
        req = narrow.split("Requirements (7)\n")[1].split("\n\n")[0].split("\n")
        self.assertTrue(all(cells(l) <= 60 for l in req), req)

    def test_no_control_characters_reach_the_terminal(self):
        rc, out = self.run_tty(*self.coverage(options=["--no-pager", "--color", "never"]), cols=200)
        self.assertEqual(rc, 0)
        self.assertNotIn("\t", out)
        self.assertNotIn("\r", out)
        self.assertIn(" Tabbed", out)

    # ---- pager ----

    def test_pager(self):
        with tempfile.TemporaryDirectory() as tmp:
            paged = os.path.join(tmp, "paged.txt")
            pager = {"PAGER": f"cat > {paged}"}
            long_report = self.coverage(framework="iso27001-2022")
            rc, out = self.run_tty(*long_report, rows=24, env=pager)
            self.assertEqual(rc, 0, out)
            with open(paged) as f:
                text = f.read()
            self.assertIn("A.5.1 ", text)
            self.assertGreater(text.count("\n"), 24)
            self.assertNotIn("A.5.1 ", out, "the report went to the pager, not the terminal")
            os.unlink(paged)
            # short output, --no-pager and pipes are never paged
            rc, out = self.run_tty("call", "ping", env=pager)
            self.assertIn('"pong"', out)
            rc, out = self.run_tty("--no-pager", *long_report, env=pager)
            self.assertIn("A.5.1 ", out)
            self.ok(*long_report, env=pager)
            self.assertFalse(os.path.exists(paged))
            # an empty PAGER or cat means none
            rc, out = self.run_tty(*long_report, env={"PAGER": ""})
            self.assertIn("A.5.1 ", out)

    # ---- colour ----

    def test_colour(self):
        report = self.coverage(options=["--no-pager"])
        rc, out = self.run_tty(*report)
        self.assertIn("\x1b[33munverified\x1b[0m", out, "statuses coloured on a terminal")
        rc, out = self.run_tty(*report, env={"NO_COLOR": ""})
        self.assertIn("\x1b[33m", out, "an empty NO_COLOR does not count")
        rc, out = self.run_tty(*report, env={"NO_COLOR": "1"})
        self.assertNotIn("\x1b[3", out)
        rc, out = self.run_tty("--color=never", *report)
        self.assertNotIn("\x1b[3", out)
        rc, out = self.run_tty(*report, env={"TERM": "dumb"})
        self.assertNotIn("\x1b[3", out)
        self.assertNotIn("\x1b[", self.ok(*self.coverage()), "no colour when piped")
        self.assertIn("\x1b[33munverified\x1b[0m", self.ok("--color", "always", *self.coverage()))
        r = self.run_cli("--color=sometimes", "call", "ping")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--color: expected auto, always or never", r.stderr)

    # ---- CSV cells a spreadsheet would run ----

    def test_csv_formula_cells_are_neutralised(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cov.csv")
            self.ok(*self.coverage("-o", path))
            with open(path, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f))
        values = [c for r in rows for c in r]
        self.assertIn("'=HYPERLINK(\"http://evil.example/\",\"x\")", values)
        self.assertIn("'+SUM(A1:A9)", values)
        self.assertIn("'@cmd", values)
        self.assertIn("'-2+3", values)
        self.assertIn("'\tTabbed", values)
        self.assertIn("'\rReturned", values)
        self.assertIn("Café crème", values, "other cells are as they were")
        for v in values:
            self.assertFalse(v[:1] in ("=", "+", "-", "@", "\t", "\r"), repr(v))
        # a list written as CSV too
        out = self.ok("control", "get", "--org", fixture.ORG, "JP-1", "--format", "csv")
        for v in (c for r in csv.reader(io.StringIO(out)) for c in r):
            self.assertFalse(v[:1] in ("=", "+", "-", "@", "\t", "\r"), repr(v))


if __name__ == "__main__":
    unittest.main()
