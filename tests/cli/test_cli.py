"""crosswalk CLI: usage errors (exit 2), server errors (exit 1 with the
server's named message), `call`, --help of every command, and the report
commands against a real crosswalkd, including the gap report for SOC 2
from an organisation's ISO 27001 controls in all five formats."""
import csv
import io
import json
import os
import re
import tempfile
import unittest

from clitest import CliCase
import fixture

HAVE_IMPORT = os.environ.get("CW_HAVE_IMPORT", "").upper() in ("ON", "1", "TRUE")
# load/export parse their arguments only in a build with the importers.
IMPORT_USAGE = ((["export"], ["load"], ["load", "--batch-size", "0", "x.csv"],
                 ["export", "--framework", "x", "--format", "xml"]) if HAVE_IMPORT else ())
COMMANDS = ["call", "load", "export", "coverage", "gap", "compare", "soa", "check", "org",
            "control", "evidence", "scope", "version", "help"]


class Usage(CliCase):
    def test_no_command(self):
        r = self.run_cli()
        self.assertEqual(r.returncode, 2)
        self.assertIn("no command", r.stderr)

    def test_unknown_command_and_options(self):
        for args in (["frobnicate"], ["--bogus", "call", "ping"], ["gap", "--org", "acme"],
                     ["gap", "--org", "acme", "--target", "soc2-2017", "--format", "docx"],
                     ["coverage", "--org", "a", "--framework", "f", "--max-hops", "two"],
                     ["coverage", "--org", "a", "--framework", "f", "--nope"],
                     ["compare", "--source", "a"], ["soa"], ["soa", "--org", "a", "extra"],
                     ["call"], ["call", "ping", "{not json"], ["call", "ping", "[1]"],
                     ["call", "a", "{}", "b"], ["gap", "--org"], ["--server"]) + IMPORT_USAGE:
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stdout} {r.stderr}")
            self.assertIn("crosswalk", r.stderr)
            self.assertEqual(r.stdout, "", args)

    def test_help(self):
        r = self.run_cli("--help", server=False)
        self.assertEqual(r.returncode, 0)
        for c in COMMANDS:
            self.assertIn(c, r.stdout)
        for c in COMMANDS:
            r = self.run_cli(c, "--help", server=False)
            self.assertEqual(r.returncode, 0, c)
            self.assertIn("Usage: crosswalk " + c, r.stdout)

    def test_unreachable_server_is_exit_1(self):
        r = self.run_cli("call", "ping", env={"CROSSWALK_SERVER": "unix:" + self.server.tmp + "/none"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect", r.stderr)


class Calls(CliCase):
    def test_ping_and_server_flag(self):
        self.assertEqual(json.loads(self.ok("call", "ping")), "pong")
        out = self.ok("--server", self.server.addr, "call", "ping", server=False)
        self.assertEqual(json.loads(out), "pong")
        out = self.ok("--server=" + self.server.addr, "call", "server.info", server=False)
        info = json.loads(out)
        self.assertIn("limits", info)
        self.assertTrue(out.startswith("{\n  "), "indented JSON")

    def test_call_with_arguments(self):
        req = json.loads(self.ok("call", "requirement.get", '{"framework": "soc2-2017", "id": "CC6.1"}'))
        self.assertEqual(req["id"], "CC6.1")
        self.assertEqual(req["framework"], "soc2-2017")

    def test_server_errors_exit_1_with_message(self):
        cases = [
            (["call", "no.such.method"], "method_not_found"),
            (["call", "requirement.get", '{"framework": "soc2-2017", "id": "ZZ9"}'], "not_found"),
            (["call", "framework.get", '{"framework": 7}'], "invalid_params: framework"),
            (["coverage", "--org", "nobody", "--framework", "soc2-2017"], "not_found"),
            (["gap", "--org", "acme", "--target", "soc2-2017", "--max-hops", "9"], "invalid_params"),
            (["compare", "--source", "nope", "--target", "soc2-2017"], "not_found"),
        ]
        for args, msg in cases:
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 1, f"{args}: {r.stderr}")
            self.assertRegex(r.stderr, r"^crosswalk: " + re.escape(msg), args)

    def test_missing_token_file(self):
        r = self.run_cli("--token-file", "/nonexistent/tok", "call", "ping")
        self.assertEqual(r.returncode, 1)


class Reports(CliCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        case = cls("test_compare")
        fixture.load_fixture(case)

    def gap(self, fmt, *extra):
        return self.ok("gap", "--org", fixture.ORG, "--target", "soc2-2017", "--source", "iso27001-2022",
                       "--as-of", fixture.AS_OF, "--format", fmt, *extra)

    def test_gap_json_is_the_server_answer(self):
        d = json.loads(self.gap("json"))
        self.assertEqual(d["target"], "soc2-2017")
        self.assertEqual(d["source"], "iso27001-2022")
        ids = {g["id"]: g for g in d["gaps"]}
        self.assertNotIn("CC6.1", ids, "met through the equal row from A.5.15")
        self.assertEqual(d["counts"]["met"], 1)
        self.assertIn("CC7.2", ids)
        self.assertEqual({c["control"] for c in ids["CC7.2"]["controls"]}, {"LOG-1"})
        self.assertEqual(d["plan"][0]["id"], "A.8.15")
        self.assertIn("CC7.2", d["plan"][0]["closes"])

    def test_gap_table(self):
        out = self.gap("table")
        self.assertNotIn("\033[", out, "no colour when piped")
        self.assertRegex(out, r"Gap report: SOC 2 for (acme|Acme Ltd), from ISO/IEC 27001:2022\n")
        self.assertRegex(out, r"met:\s+1\n")
        self.assertRegex(out, r"percent:\s+1\.6%")
        self.assertRegex(out, r"\nCC6\s+Logical and Physical Access Controls\s+8\s+1\s")
        self.assertRegex(out, r"\nCC7\.2\s+.*\s+gap\s+LOG-1 \(Central logging\): planned")
        self.assertRegex(out, r"\n1\s+ISO/IEC 27001:2022 A\.8\.15\s+.*\s1\s+CC7\.2")
        # Aligned: every row of the gaps table starts its status column at
        # the same offset as the header.
        block = out.split("What is missing, requirement by requirement")[1].split("\n\n")[0].splitlines()
        col = block[1].index("status")
        for line in block[3:]:
            self.assertRegex(line[col:], r"^(gap|partial|failing|unverified) ", line)

    def test_gap_markdown(self):
        out = self.gap("md")
        self.assertRegex(out, r"^# Gap report: SOC 2 for (acme|Acme Ltd), from ISO/IEC 27001:2022\n")
        self.assertIn("- **met**: 1", out)
        self.assertIn("| id | title | group | status | controls | candidates | what is missing |", out)
        self.assertRegex(out, r"## Plan: satisfy these, in order, to close gaps in full \(\d+\)")
        self.assertRegex(out, r"\| 1 \| ISO/IEC 27001:2022 A\.8\.15 \| Logging \| 1 \| CC7\.2 \|")
        # a joint step adds several requirements together
        self.assertRegex(out, r"\| \d+ \| ISO/IEC 27001:2022 A\.5\.16, A\.5\.17 and A\.5\.18 \(together, "
                              r"for CC6\.2\) \|")
        self.assertIn("## What each status means", out)
        # after the provenance, the report leads with one line per unmet
        # requirement
        sections = out.split("\n## ")
        self.assertTrue(sections[1].startswith("Provenance"), sections[1][:80])
        self.assertTrue(sections[2].startswith("What is missing, requirement by requirement"),
                        sections[2][:80])
        self.assertRegex(out, r"\| CC6\.2 \| .* \| partial \| .* \| needs ISO/IEC 27001:2022 A\.5\.16, "
                              r"A\.5\.17 and A\.5\.18 \(1 of the 4 that together cover all of it in place\) \|")
        self.assertRegex(out, r"\| P1\.1 \| .* \| gap \| .* \| ISO/IEC 27001:2022 only partly covers it: "
                              r"link a control to it directly \|")
        self.assertIn("## Joint rows: requirements that together cover a gap", out)

    def test_gap_csv_one_row_per_requirement(self):
        d = json.loads(self.gap("json"))
        rows = list(csv.reader(io.StringIO(self.gap("csv"))))
        self.assertEqual(rows[0], ["id", "title", "group", "status", "controls", "candidates",
                                   "what is missing"])
        self.assertEqual([r[0] for r in rows[1:]], [g["id"] for g in d["gaps"]])
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id["CC7.2"][3], "gap")
        self.assertIn("ISO/IEC 27001:2022 A.8.15 (full)", by_id["CC7.2"][5])
        self.assertIn("needs ISO/IEC 27001:2022 A.8.15 (Logging), which covers all of it",
                      by_id["CC7.2"][6])
        self.assertEqual(by_id["CC6.6"][3] if "CC6.6" in by_id else "failing",
                         by_id.get("CC6.6", ["", "", "", "failing"])[3])

    def test_gap_html(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "gap.html")
            out = self.ok("gap", "--org", fixture.ORG, "--target", "soc2-2017", "--source", "iso27001-2022",
                          "--as-of", fixture.AS_OF, "-o", path)
            self.assertEqual(out, "")
            with open(path, encoding="utf-8") as f:
                html = f.read()
        self.assertTrue(html.startswith("<!DOCTYPE html>"))
        self.assertIn('<svg id="coverage-chart"', html)
        self.assertEqual(html.count('<svg id="coverage-chart"'), 1)
        self.assertIn('<rect class="bar"', html)
        self.assertIn("CC6: met 1 of 8", html)
        for caption in ("What is missing, requirement by requirement", "Candidates: related requirements",
                        "Plan: satisfy these", "Per-group breakdown", "What each status means"):
            self.assertIn(caption, html)
        self.assertNotIn("<script", html)
        self.assertNotRegex(html, r"(src|href)=\"https?:")
        self.assertNotIn("@import", html)
        self.assertNotIn("@font-face", html)
        self.assertIn("ISO/IEC 27001:2022 A.8.15 covers all of CC7.2", html, "paths in words")

    def test_coverage_detail(self):
        out = self.ok("coverage", "--org", fixture.ORG, "--framework", "soc2-2017", "--as-of", fixture.AS_OF,
                      "--detail")
        self.assertIn("Explanation: every contribution", out)
        self.assertRegex(out, r"CC6\.1\s+met\s+AC-1\s+effective\s+full\s+mapping\s+ISO/IEC 27001:2022 "
                              r"A\.5\.15 matches CC6\.1 \(strength 8/10\)\s+EV-2 \u201cAccess review Q4\u201d "
                              r"passed, collected 2026-11-02")
        rows = list(csv.reader(io.StringIO(self.ok(
            "coverage", "--org", fixture.ORG, "--framework", "soc2-2017", "--as-of", fixture.AS_OF,
            "--format", "csv"))))
        self.assertEqual(len(rows), 1 + 61)
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id["CC6.1"][3], "met")
        self.assertIn("AC-1 (Access control), effective: ISO/IEC 27001:2022 A.5.15 matches CC6.1",
                      by_id["CC6.1"][4])
        self.assertIn("evidence EV-2 \u201cAccess review Q4\u201d passed, collected 2026-11-02",
                      by_id["CC6.1"][4])
        d = json.loads(self.ok("coverage", "--org", fixture.ORG, "--framework", "iso27001-2022",
                               "--as-of", fixture.AS_OF, "--format", "json"))
        self.assertNotIn("requirements", d, "json is the answer to what was asked (no detail)")
        # the CLI asks for the compact form and gives the full one: the same
        # as calling coverage.get with detail: true
        for fw in ("soc2-2017", "iso27001-2022", "nist-csf-2.0"):
            args = ["--org", fixture.ORG, "--framework", fw, "--as-of", fixture.AS_OF]
            got = json.loads(self.ok("coverage", *args, "--max-hops", "3", "--detail",
                                     "--format", "json"))
            want = json.loads(self.ok("call", "coverage.get", json.dumps(
                {"org": fixture.ORG, "framework": fw, "as_of": fixture.AS_OF, "max_hops": 3,
                 "detail": True, "as_recorded": False})))
            self.assertEqual(got, want)
            self.assertNotIn("paths", got)

    def test_compare(self):
        out = self.ok("compare", "--source", "iso27001-2022", "--target", "soc2-2017", "--format", "md")
        self.assertIn("# ISO/IEC 27001:2022 compared with SOC 2", out)
        self.assertRegex(out, r"- \*\*assessed\*\*: 61")

    def test_soa(self):
        rows = list(csv.reader(io.StringIO(self.ok("soa", "--org", fixture.ORG, "--as-of", fixture.AS_OF,
                                                   "--format", "csv"))))
        self.assertEqual(len(rows), 1 + 93)
        by_id = {r[0]: r for r in rows[1:]}
        self.assertEqual(by_id["A.5.1"][6], "POL-1")
        self.assertEqual(by_id["A.5.1"][7], "EV-1")

    def test_check(self):
        out = self.ok("check")
        self.assertRegex(out, r"store consistent:\s+yes")
        d = json.loads(self.ok("check", "--format", "json"))
        self.assertIn("findings", d["mapping_check"])
        self.assertTrue(d["store_check"]["consistent"])

    def test_html_escapes_server_text(self):
        self.ok("call", "catalog.load", json.dumps({
            "framework": "esc-test", "name": "Escaping <test>",
            "requirements": [{"id": "G1", "kind": "group", "title": "Group & <one>"},
                             {"id": "R1", "parent": "G1", "kind": "leaf",
                              "title": "<script>alert('x')</script> \"quoted\""}]}))
        html = self.ok("coverage", "--org", fixture.ORG, "--framework", "esc-test", "--format", "html")
        self.assertNotIn("<script", html)
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;quoted&quot;", html)
        self.assertIn("Group &amp; &lt;one&gt;", html)


class AuthAndTcp(CliCase):
    """A server with --auth listening on TCP port 0 and a Unix socket."""
    server_args = ("--listen", "tcp://127.0.0.1:0")
    tokens = (("admin-secret", "admin", None), ("editor-secret", "editor", "acme"))

    def test_tcp(self):
        out = self.ok("--server", self.server.tcp, "call", "ping", server=False)
        self.assertEqual(json.loads(out), "pong")

    def test_token_file_and_env(self):
        r = self.run_cli("call", "org.list")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^crosswalk: unauthenticated")
        with tempfile.TemporaryDirectory() as tmp:
            tok = os.path.join(tmp, "token")
            with open(tok, "w") as f:
                f.write("admin-secret\n")
            self.ok("--token-file", tok, "call", "org.put", '{"org": "acme"}')
            self.ok("--token-file=" + tok, "--server", self.server.tcp, "call", "org.list", server=False)
        who = json.loads(self.ok("call", "auth", '{"token": "editor-secret"}'))
        self.assertEqual(who["role"], "editor")
        # The editor may not read another organisation ...
        r = self.run_cli("coverage", "--org", "other", "--framework", "soc2-2017",
                         env={"CROSSWALK_TOKEN": "editor-secret"})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^crosswalk: forbidden")
        # ... and `check` reports the store check as not permitted.
        out = self.ok("check", env={"CROSSWALK_TOKEN": "editor-secret"})
        self.assertIn("not permitted", out)
        out = self.ok("check", env={"CROSSWALK_TOKEN": "admin-secret"})
        self.assertRegex(out, r"store consistent:\s+yes")
        r = self.run_cli("call", "ping", env={"CROSSWALK_TOKEN": "wrong"})
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^crosswalk: unauthenticated")


if __name__ == "__main__":
    unittest.main()
