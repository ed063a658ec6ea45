"""crosswalk org|control|evidence|scope list|get|put|delete against a real
crosswalkd: every action writes or shows what the server then holds (read
back with `crosswalk call`), put --dry-run writes nothing, the controls
and evidence files go through the importers, the scope CSV is checked row
by row with every problem at file:line, and the server's refusals reach
the user named (with the names meant, for an unknown framework)."""
import csv
import io
import json
import os
import tempfile
import unittest

from clitest import CliCase
import fixture

ISO = "iso27001-2022"


class Verbs(CliCase):
    def call(self, method, args):
        return json.loads(self.ok("call", method, json.dumps(args)))

    def fails(self, *args, code=1):
        r = self.run_cli(*args)
        self.assertEqual(r.returncode, code, f"{args}: {r.stdout} {r.stderr}")
        return r.stderr

    def test_org(self):
        out = self.ok("org", "put", "verbs-org", "--name", "Verbs Ltd")
        self.assertEqual(out, "verbs-org: organisation created\n")
        self.assertEqual(self.call("org.get", {"org": "verbs-org"})["name"], "Verbs Ltd")
        out = self.ok("org", "put", "--org", "verbs-org", "--name", "Verbs plc", "--dry-run")
        self.assertIn("would be updated (dry run; nothing written)", out)
        self.assertEqual(self.call("org.get", {"org": "verbs-org"})["name"], "Verbs Ltd")
        out = self.ok("org", "list", "--format", "csv")
        self.assertIn("verbs-org,Verbs Ltd", out.splitlines())
        out = self.ok("org", "get", "verbs-org")
        self.assertRegex(out, r"\nname\s+Verbs Ltd\n")
        self.assertEqual(json.loads(self.ok("org", "get", "verbs-org", "--format", "json")),
                         {"org": "verbs-org", "name": "Verbs Ltd", "risk_scale": 5})
        self.ok("control", "put", "--org", "verbs-org", "C1")
        out = self.ok("org", "delete", "verbs-org")
        self.assertEqual(out, "verbs-org: organisation deleted, with 1 records\n")
        err = self.fails("org", "get", "verbs-org")
        self.assertIn("not_found: org: no organisation 'verbs-org'", err)
        # usage: one ORG, by argument or --org
        self.assertIn("give one ORG", self.fails("org", "put", code=2))
        self.fails("org", "put", "a", "b", code=2)

    def test_controls(self):
        self.ok("org", "put", "ctl-org")
        out = self.ok("control", "put", "--org", "ctl-org", "AC-1", "--title", "Access control",
                      "--owner", "it", "--status", "implemented", "--link", f"{ISO}/A.5.15",
                      "--link", "soc2-2017/CC6.1:partial")
        self.assertEqual(out, "ctl-org: controls: created 1, updated 0, unchanged 0, rejected 0\n")
        got = self.call("control.get", {"org": "ctl-org", "id": "AC-1"})
        self.assertEqual(got["title"], "Access control")
        self.assertEqual(got["owner"], "it")
        self.assertEqual(got["links"], [{"framework": ISO, "id": "A.5.15", "level": "full"},
                                        {"framework": "soc2-2017", "id": "CC6.1",
                                         "level": "partial"}])
        # the same again: unchanged; a dry run of a change writes nothing
        out = self.ok("control", "put", "--org", "ctl-org", "AC-1", "--title", "Access control",
                      "--owner", "it", "--link", f"{ISO}/A.5.15", "--link",
                      "soc2-2017/CC6.1:partial")
        self.assertIn("created 0, updated 0, unchanged 1", out)
        out = self.ok("control", "put", "--org", "ctl-org", "AC-1", "--title", "Renamed",
                      "--dry-run")
        self.assertIn("would create 0, update 1, leave 0 unchanged (dry run; nothing written)",
                      out)
        self.assertEqual(self.call("control.get", {"org": "ctl-org", "id": "AC-1"})["title"],
                         "Access control")
        # list and get, as a table and as CSV
        out = self.ok("control", "list", "--org", "ctl-org")
        self.assertIn("Controls of ctl-org", out)
        self.assertRegex(out, r"AC-1\s+Access control\s+it\s+implemented\s+"
                              r"iso27001-2022/A\.5\.15:full, soc2-2017/CC6\.1:partial")
        rows = list(csv.reader(io.StringIO(self.ok("control", "list", "--org", "ctl-org",
                                                   "--format", "csv"))))
        self.assertEqual(rows[0], ["id", "title", "owner", "status", "links"])
        self.assertEqual(rows[1][0], "AC-1")
        out = self.ok("control", "get", "--org", "ctl-org", "AC-1", "--as-of", "2026-01-01")
        self.assertRegex(out, r"\nstate\s+unverified\n")
        # refusals: the server's message, and the framework meant
        err = self.fails("control", "put", "--org", "ctl-org", "X", "--link", f"{ISO}/A.99")
        self.assertIn("invalid_params: links[0].id: no requirement 'A.99' in framework "
                      "'iso27001-2022'", err)
        err = self.fails("control", "put", "--org", "ctl-org", "X", "--link", "iso27001/A.5.1")
        self.assertIn("no framework 'iso27001'", err)
        self.assertIn("did you mean 'iso27001-2013' or 'iso27001-2022'?", err)
        err = self.fails("control", "put", "--org", "ctl-org", "X", "--link", "A.5.1", code=2)
        self.assertIn("--link: expected FRAMEWORK/ID[:full|:partial], got 'A.5.1'", err)
        self.fails("control", "put", "--org", "ctl-org", code=2)
        self.fails("control", "put", "AC-2", code=2)  # no --org
        err = self.fails("control", "get", "--org", "no-such-org", "AC-1")
        self.assertIn("not_found", err)
        # delete, then it is gone
        self.assertEqual(self.ok("control", "delete", "--org", "ctl-org", "AC-1"),
                         "ctl-org: control AC-1 deleted\n")
        self.fails("control", "get", "--org", "ctl-org", "AC-1")

    def test_controls_and_evidence_from_files(self):
        self.ok("org", "put", "file-org")
        with tempfile.TemporaryDirectory() as tmp:
            ctl = os.path.join(tmp, "controls.csv")
            ev = os.path.join(tmp, "evidence.csv")
            with open(ctl, "w") as f:
                f.write(fixture.CONTROLS_CSV)
            with open(ev, "w") as f:
                f.write(fixture.EVIDENCE_CSV)
            out = self.ok("control", "put", "--org", "file-org", "--file", ctl, "--dry-run")
            self.assertIn("would create 4, update 0, leave 0 unchanged", out)
            self.assertEqual(self.call("control.list", {"org": "file-org"}), [])
            out = self.ok("control", "put", "--org", "file-org", "--file", ctl)
            self.assertIn("created 4, updated 0, unchanged 0", out)
            out = self.ok("evidence", "put", "--org", "file-org", "--file", "-",
                          input=fixture.EVIDENCE_CSV)
            self.assertIn("created 3", out)
            # a file of the other kind is refused before anything is sent
            err = self.fails("control", "put", "--org", "file-org", "--file", ev)
            self.assertIn("is csv-evidence, not a controls CSV", err)
            self.fails("control", "put", "--org", "file-org", "--file", ctl, "C9", code=2)
        self.assertEqual(len(self.call("evidence.list", {"org": "file-org"})), 3)

    def test_evidence(self):
        self.ok("org", "put", "ev-org")
        self.ok("control", "put", "--org", "ev-org", "C1", "--link", f"{ISO}/A.5.1")
        self.ok("control", "put", "--org", "ev-org", "C2")
        out = self.ok("evidence", "put", "--org", "ev-org", "E1", "--control", "C1", "--control",
                      "C2", "--collected-at", "2026-11-01", "--result", "pass", "--kind",
                      "document", "--title", "Policy v3", "--valid-until",
                      "2027-01-01T00:00:00+01:00", "--sha256", "ab" * 32)
        self.assertIn("created 1", out)
        got = self.call("evidence.get", {"org": "ev-org", "id": "E1"})
        self.assertEqual(got["controls"], ["C1", "C2"])
        self.assertEqual(got["collected_at"], "2026-11-01T00:00:00Z")
        self.assertEqual(got["valid_until"], "2026-12-31T23:00:00Z")
        self.assertEqual(got["kind"], "document")
        self.ok("evidence", "put", "--org", "ev-org", "E2", "--control", "C2", "--collected-at",
                "1790000000", "--result", "fail")
        out = self.ok("evidence", "list", "--org", "ev-org", "--control", "C1", "--format", "json")
        self.assertEqual([e["id"] for e in json.loads(out)], ["E1"])
        rows = list(csv.reader(io.StringIO(self.ok("evidence", "list", "--org", "ev-org",
                                                   "--format", "csv"))))
        self.assertEqual([r[0] for r in rows[1:]], ["E1", "E2"])
        out = self.ok("evidence", "get", "--org", "ev-org", "E1")
        self.assertRegex(out, r"\ncontrols\s+C1, C2\n")
        self.assertEqual(self.ok("control", "get", "--org", "ev-org", "C1", "--as-of",
                                 "2026-12-01", "--format", "json").count("effective"), 1)
        # what is required, and what the server refuses
        err = self.fails("evidence", "put", "--org", "ev-org", "E3", "--control", "C1", code=2)
        self.assertIn("--control, --collected-at and --result are required", err)
        err = self.fails("evidence", "put", "--org", "ev-org", "E3", "--control", "C1",
                         "--collected-at", "2026-02-30", "--result", "pass", code=2)
        self.assertIn("--collected-at: '2026-02-30' is not a time", err)
        err = self.fails("evidence", "put", "--org", "ev-org", "E3", "--control", "NOPE",
                         "--collected-at", "2026-01-02", "--result", "pass")
        self.assertIn("not_found: controls[0]: no control 'NOPE' in organisation 'ev-org'", err)
        err = self.fails("evidence", "put", "--org", "ev-org", "E3", "--control", "C1",
                         "--collected-at", "2026-01-02", "--result", "maybe")
        self.assertIn("invalid_params: result: 'maybe' is not pass, fail or unknown", err)
        self.ok("evidence", "delete", "--org", "ev-org", "E1", "E2")
        self.assertEqual(self.call("evidence.list", {"org": "ev-org"}), [])

    def test_scope(self):
        self.ok("org", "put", "soa-org")
        out = self.ok("scope", "put", "--org", "soa-org", "--framework", ISO, "--exclude",
                      "--justification", "No software is developed in house", "A.8.25", "A.8.26")
        self.assertEqual(out, "soa-org: scope decisions: created 2, updated 0, unchanged 0, "
                              "rejected 0\n")
        out = self.ok("scope", "put", "--org", "soa-org", "--framework", ISO, "--include",
                      "--justification", "Cloud first", "A.5.23")
        self.assertIn("created 1", out)
        decided = {d["id"]: d for d in self.call("scope.list", {"org": "soa-org"})}
        self.assertEqual(decided["A.8.25"], {"framework": ISO, "id": "A.8.25", "applicable": False,
                                             "justification": "No software is developed in house",
                                             "reasons": []})
        self.assertTrue(decided["A.5.23"]["applicable"])
        # why a requirement is in: reasons the SoA shows beside its risks
        out = self.ok("scope", "put", "--org", "soa-org", "--framework", ISO, "--include",
                      "--justification", "Contracts require it", "--reason", "contractual",
                      "--reason", "legal", "A.5.31")
        self.assertIn("created 1", out)
        got = {d["id"]: d for d in self.call("scope.list", {"org": "soa-org"})}["A.5.31"]
        self.assertEqual(sorted(got["reasons"]), ["contractual", "legal"])
        r = self.run_cli("scope", "put", "--org", "soa-org", "--framework", ISO, "--exclude",
                         "--reason", "legal", "A.5.32")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--reason says why a requirement is in", r.stderr)
        r = self.run_cli("scope", "put", "--org", "soa-org", "--framework", ISO, "--include",
                         "--reason", "whim", "A.5.32")
        self.assertEqual(r.returncode, 1)
        self.assertIn("reasons", r.stderr)
        out = self.ok("scope", "get", "--org", "soa-org", "--framework", ISO, "A.8.25")
        self.assertRegex(out, r"\napplicable\s+false\n")
        self.fails("scope", "get", "--org", "soa-org", "--framework", ISO, "A.5.1")
        # the SoA shows the decisions
        soa = json.loads(self.ok("soa", "--org", "soa-org", "--format", "json"))
        row = {c["id"]: c for c in soa["controls"]}["A.8.25"]
        self.assertFalse(row["applicable"])
        self.assertEqual(row["justification"], "No software is developed in house")
        # refusals: mandatory clauses, groups; the decision meant
        err = self.fails("scope", "put", "--org", "soa-org", "--framework", ISO, "--exclude",
                         "A.8.27", "5.1")
        self.assertIn("iso27001-2022 5.1: invalid_params: id: clause 5.1 of iso27001-2022 is "
                      "mandatory", err)
        self.assertNotIn("A.8.27", {d["id"] for d in self.call("scope.list", {"org": "soa-org"})},
                         "a refused call writes none of its decisions")
        err = self.fails("scope", "put", "--org", "soa-org", "--framework", ISO, "A.8.27",
                         code=2)
        self.assertIn("give --exclude (not applicable) or --include", err)
        self.fails("scope", "put", "--org", "soa-org", "--framework", ISO, "--exclude",
                   "--include", "A.8.27", code=2)
        self.ok("scope", "delete", "--org", "soa-org", "--framework", ISO, "A.8.25")
        self.assertNotIn("A.8.25", {d["id"] for d in self.call("scope.list", {"org": "soa-org"})})

    def test_scope_csv(self):
        self.ok("org", "put", "csv-org")
        good = ("Justification, ID ,Framework,applicable\n"
                "No development,A.8.25,iso27001-2022,false\n"
                "\n"
                "\"Cloud, first\",A.5.23,iso27001-2022,YES\n")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "scope.csv")
            with open(path, "w") as f:
                f.write(good)
            out = self.ok("scope", "put", "--org", "csv-org", "--file", path, "--dry-run")
            self.assertIn("would create 2, update 0, leave 0 unchanged (dry run", out)
            self.assertEqual(self.call("scope.list", {"org": "csv-org"}), [])
            out = self.ok("scope", "put", "--org", "csv-org", "--file", path)
            self.assertIn("created 2", out)
            out = self.ok("scope", "put", "--org", "csv-org", "--file", "-", input=good)
            self.assertIn("created 0, updated 0, unchanged 2", out)
            decided = {d["id"]: d for d in self.call("scope.list", {"org": "csv-org"})}
            self.assertEqual(decided["A.5.23"]["justification"], "Cloud, first")
            self.assertTrue(decided["A.5.23"]["applicable"])
            # every problem, at its line; nothing is sent
            bad = ("framework,id,applicable,justification\n"
                   "iso27001-2022,A.8.28,false,ok\n"
                   "iso 27001,A.8.29,false,x\n"
                   "iso27001-2022,,true,x\n"
                   "iso27001-2022,A.8.30,perhaps,x\n"
                   "iso27001-2022,A.8.28,true,again\n"
                   "iso27001-2022,A.8.31,false\n")
            with open(path, "w") as f:
                f.write(bad)
            r = self.run_cli("scope", "put", "--org", "csv-org", "--file", path)
            self.assertEqual(r.returncode, 1)
            for line, field in ((3, "framework"), (4, "id"), (5, "applicable"), (6, "id"),
                                (7, "row")):
                self.assertRegex(r.stderr, rf"{path}:{line}: {field}: ")
            self.assertIn("iso27001-2022 A.8.28 is decided already on line 2", r.stderr)
            self.assertIn("5 problems; nothing written", r.stderr)
            self.assertNotIn("A.8.28", {d["id"] for d in self.call("scope.list",
                                                                   {"org": "csv-org"})})
            with open(path, "w") as f:
                f.write("framework,identifier,applicable\nx,y,true\n")
            r = self.run_cli("scope", "put", "--org", "csv-org", "--file", path)
            self.assertIn(f"{path}:1: header: has no column id", r.stderr)
            # a row the server refuses is named by its line
            with open(path, "w") as f:
                f.write("framework,id,applicable\niso27001-2022,A.8.28,false\n"
                        "iso27001-2022,5.2,false\n")
            r = self.run_cli("scope", "put", "--org", "csv-org", "--file", path, "--dry-run")
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"crosswalk: {path}:3: invalid_params: id: clause 5.2 of "
                          "iso27001-2022 is mandatory", r.stderr)

    def test_help_and_usage(self):
        for noun in ("org", "control", "evidence", "scope"):
            out = self.ok(noun, "--help", server=False)
            self.assertTrue(out.startswith(f"Usage: crosswalk {noun} ACTION"), out)
            for action in ("list", "get", "put", "delete"):
                out = self.ok("help", noun, action, server=False)
                self.assertTrue(out.startswith(f"Usage: crosswalk {noun} {action}"), out)
                self.assertEqual(self.ok(noun, action, "--help", server=False), out)
        err = self.fails("control", "lsit", code=2)
        self.assertIn("unknown action 'lsit'; did you mean 'list'?", err)
        err = self.fails("scope", code=2)
        self.assertIn("give an action", err)
        err = self.fails("control", "list", "--org", "x", "--framework", "y", code=2)
        self.assertIn("unknown option '--framework'", err)


if __name__ == "__main__":
    unittest.main()
