"""The ISMS commands of the crosswalk CLI against a real crosswalkd: `soa`
(reasons, risks, unjustified rows, versions), `risks` (the register, its
heat map, the asset register; the CSV loads back with `load --org` and
exports the same bytes), `audit checklist` and `audit list` (the working
paper in CSV with an empty result column, in HTML with boxes to tick),
`findings`, usage errors, and the HTML risk matrix and checklist in
headless Chromium (DOM and screenshot; skipped without chromium)."""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from clitest import CliCase

HAVE_IMPORT = os.environ.get("CW_HAVE_IMPORT", "").upper() in ("ON", "1", "TRUE")
ORG = "acme"
AS_OF = "2026-11-20T00:00:00Z"


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


class Isms(CliCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        case = cls("test_soa")
        call = case.call
        call("org.put", {"org": ORG, "name": "Acme Ltd"})
        call("control.put", {"org": ORG, "controls": [
            {"id": "POL-1", "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]},
            {"id": "ACC-1", "links": [{"framework": "iso27001-2022", "id": "A.5.15"}]},
            {"id": "MOB-1", "links": [{"framework": "iso27001-2022", "id": "A.6.7"}]}]})
        call("evidence.load", {"org": ORG, "items": [
            {"id": "EV-1", "controls": ["POL-1"], "collected_at": "2026-11-01T09:00:00Z",
             "result": "pass"},
            {"id": "EV-2", "controls": ["ACC-1"], "collected_at": "2026-11-02T09:00:00Z",
             "result": "pass"}]})
        call("asset.put", {"org": ORG, "items": [
            {"id": "CRM", "name": "Customer database, EU", "owner": "sales",
             "classification": "confidential"},
            {"id": "LAP", "name": "Laptops", "owner": "it", "classification": "internal"}]})
        call("risk.put", {"org": ORG, "items": [
            {"id": "R-LEAK", "title": "Customer data leak", "assets": ["CRM"],
             "threat": "insider, or a stolen laptop", "owner": "ciso", "likelihood": 4,
             "impact": 5, "residual_likelihood": 2, "residual_impact": 3,
             "treatment": "mitigate", "controls": ["ACC-1"],
             "review_at": "2026-10-01T00:00:00Z"},
            {"id": "R-POL", "title": "Rules ignored", "likelihood": 3, "impact": 3,
             "treatment": "mitigate", "controls": ["POL-1"]},
            {"id": "R-FLOOD", "title": "Flood", "likelihood": 1, "impact": 5,
             "treatment": "accept", "accepted_by": "board",
             "accepted_at": "2026-01-01T00:00:00Z",
             "acceptance_expires": "2026-10-01T00:00:00Z"}]})
        call("audit.put", {"org": ORG, "id": "IA-2026", "title": "Organisational controls",
                           "framework": "iso27001-2022", "scope": ["A.5"],
                           "auditor": "J. Smith", "status": "in_progress"})
        call("finding.put", {"org": ORG, "id": "NC-1", "audit": "IA-2026",
                             "framework": "iso27001-2022", "requirement": "A.5.1",
                             "kind": "major_nc", "raised_at": "2026-11-10T10:00:00Z",
                             "status": "action_planned", "corrective_action": "approve it",
                             "owner": "ciso", "due_at": "2026-11-15T00:00:00Z"})
        call("soa.approve", {"org": ORG, "version": 1, "approver": "board", "force": True})

    def call(self, method, args):
        return json.loads(self.ok("call", method, json.dumps(args)))

    def csv_rows(self, *args):
        return list(csv.reader(io.StringIO(self.ok(*args, "--format", "csv"))))

    # ---- soa ----

    def test_soa(self):
        out = self.ok("soa", "--org", ORG, "--as-of", AS_OF)
        self.assertIn("version:", out)
        self.assertIn("as it stands (not an approved version)", out)
        self.assertIn("latest approved:  version 1 by board", out)
        self.assertRegex(out, r"Controls that treat no risk \(1\)\ncontrol\n-+\nMOB-1")
        rows = self.csv_rows("soa", "--org", ORG, "--as-of", AS_OF)
        head = rows[0]
        self.assertEqual(head[-2:], ["reasons", "risks"])
        by = {r[0]: dict(zip(head, r)) for r in rows[1:]}
        self.assertEqual(len(by), 93)
        self.assertEqual((by["A.5.15"]["reasons"], by["A.5.15"]["risks"]), ("risk", "R-LEAK"))
        self.assertEqual(by["A.5.1"]["status"], "failing")  # NC-1 holds it
        self.assertEqual(by["A.6.7"]["reasons"], "")
        frozen = self.ok("soa", "--org", ORG, "--version", "1")
        self.assertIn("version:          1, approved by board", frozen)
        self.assertIn("(forced)", frozen)
        md = self.ok("soa", "--org", ORG, "--format", "md")
        self.assertIn("## Rows that need a reason or a justification (", md)
        self.assertIn("## Approved versions (1)", md)

    # ---- risks ----

    def test_risks(self):
        out = self.ok("risks", "--org", ORG, "--as-of", AS_OF)
        self.assertIn("Risk register of acme", out)
        self.assertRegex(out, r"review overdue: +1")
        self.assertRegex(out, r"acceptance expired: +1")
        self.assertRegex(out, r"R-LEAK +Customer data leak +20 +6 +mitigate +ACC-1 +review_overdue")
        # the heat map as a table: likelihood 4, impact 5 holds R-LEAK
        heat = out[out.index("Heat map, inherent"):]
        self.assertRegex(heat, r"\n4 +- +- +- +- +1\n")
        rows = self.csv_rows("risks", "--org", ORG)
        self.assertEqual(rows[0][:3], ["id", "title", "description"])
        self.assertEqual([r[0] for r in rows[1:]], ["R-FLOOD", "R-LEAK", "R-POL"])
        leak = dict(zip(rows[0], rows[2]))
        self.assertEqual((leak["assets"], leak["controls"], leak["residual_impact"]),
                         ("CRM", "ACC-1", "3"))
        assets = self.csv_rows("risks", "--org", ORG, "--assets")
        self.assertEqual(assets[0], ["id", "name", "owner", "classification"])
        self.assertEqual(assets[1][1], "Customer database, EU")
        data = json.loads(self.ok("risks", "--org", ORG, "--format", "json"))
        self.assertEqual(data["matrix"]["inherent"][3][4], 1)
        self.assertEqual(len(data["register"]), 3)

    def test_markdown_keeps_html_in_text_as_text(self):
        # an organisation of its own: the others' registers stay as they are
        self.call("org.put", {"org": "html-org"})
        self.call("risk.put", {"org": "html-org", "id": "R-HTML", "likelihood": 1, "impact": 1,
                               "title": "<script>alert(1)</script> & <b>co</b>"})
        md = self.ok("risks", "--org", "html-org", "--as-of", AS_OF, "--format", "md")
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;", md)
        self.assertNotIn("<script>", md)
        self.assertNotIn("<b>", md)

    @unittest.skipUnless(HAVE_IMPORT, "built without the importers")
    def test_risk_csv_loads_back(self):
        """The register and the asset register written as CSV load into
        another organisation and export the same bytes."""
        self.call("org.put", {"org": "copy"})
        self.call("control.put", {"org": "copy", "controls": [
            {"id": "POL-1"}, {"id": "ACC-1"}, {"id": "MOB-1"}]})
        with tempfile.TemporaryDirectory() as tmp:
            risks, assets = os.path.join(tmp, "r.csv"), os.path.join(tmp, "a.csv")
            self.ok("risks", "--org", ORG, "-o", risks)
            self.ok("risks", "--org", ORG, "--assets", "-o", assets)
            out = self.ok("load", "--org", "copy", assets, risks)
            self.assertIn("loaded 5 of 5 items from 2 files", out)
            again = os.path.join(tmp, "again.csv")
            self.ok("risks", "--org", "copy", "-o", again)
            with open(risks) as a, open(again) as b:
                self.assertEqual(a.read(), b.read())
            # a risk file wants --org, and its rows are checked before
            # anything is sent
            r = self.run_cli("load", risks)
            self.assertEqual(r.returncode, 1)
            self.assertIn("org: a risk file needs --org", r.stderr)
            bad = os.path.join(tmp, "bad.csv")
            with open(bad, "w") as f:
                f.write("ID,Title,likelihood,impact,description,assets,threat,owner,"
                        "residual_likelihood,residual_impact,treatment,controls,accepted_by,"
                        "accepted_at,acceptance_expires,review_at\n"
                        "R9,,0,3,,,,,,,cure,A|A,,,soon,\n")
            r = self.run_cli("load", "--org", "copy", bad)
            self.assertEqual(r.returncode, 1)
            for want in ("bad.csv:2: title:", "bad.csv:2: likelihood: '0' is not a score",
                         "bad.csv:2: treatment: 'cure'", "bad.csv:2: controls: 'A' is named twice",
                         "bad.csv:2: acceptance_expires:", "nothing loaded"):
                self.assertIn(want, r.stderr)
            self.assertEqual(len(self.call("risk.list", {"org": "copy"})), 3)

    # ---- audits and findings ----

    def test_audit_checklist_and_list(self):
        rows = self.csv_rows("audit", "checklist", "--org", ORG, "--audit", "IA-2026",
                             "--as-of", AS_OF)
        self.assertEqual(rows[0], ["requirement", "title", "group", "what to look for", "status",
                                   "controls", "current evidence", "open findings", "result",
                                   "auditor's notes"])
        self.assertEqual(len(rows), 38)  # the 37 controls of A.5
        a51 = dict(zip(rows[0], rows[1]))
        self.assertEqual((a51["requirement"], a51["status"], a51["controls"],
                          a51["current evidence"], a51["open findings"], a51["result"]),
                         ("A.5.1", "failing", "POL-1", "EV-1", "NC-1", ""))
        self.assertTrue(a51["what to look for"])
        out = self.ok("audit", "checklist", "--org", ORG, "--audit", "IA-2026", "--as-of", AS_OF)
        self.assertRegex(out, r"auditor: +J\. Smith")
        self.assertRegex(out, r"failing: +1")
        # an audit without dates says so rather than "? to ?"; one with its
        # start only says from when
        self.assertRegex(out, r"planned: +not scheduled")
        self.call("org.put", {"org": "plan-org"})
        self.call("audit.put", {"org": "plan-org", "id": "IA-X", "framework": "iso27001-2022",
                                "scope": ["A.5"], "planned_start": "2027-02-01T00:00:00Z"})
        out = self.ok("audit", "checklist", "--org", "plan-org", "--audit", "IA-X")
        self.assertRegex(out, r"planned: +from 2027-02-01T00:00:00Z")
        audits = self.csv_rows("audit", "list", "--org", ORG)
        self.assertEqual(audits[1][:4], ["IA-2026", "Organisational controls", "iso27001-2022",
                                         "A.5"])
        html = self.ok("audit", "checklist", "--org", ORG, "--audit", "IA-2026",
                       "--format", "html")
        self.assertIn("\u2610\u00a0conforms", html)

    def test_coverage_names_the_finding(self):
        rows = self.csv_rows("coverage", "--org", ORG, "--framework", "iso27001-2022",
                             "--as-of", AS_OF)
        a51 = [dict(zip(rows[0], r)) for r in rows[1:] if r[0] == "A.5.1"][0]
        self.assertEqual(a51["status"], "failing")
        self.assertIn("held by open major_nc NC-1 of audit IA-2026", ",".join(a51.values()))

    def test_findings(self):
        out = self.ok("findings", "--org", ORG, "--as-of", AS_OF)
        self.assertRegex(out, r"open major nonconformities: +1")
        self.assertRegex(out, r"corrective actions overdue: +1")
        rows = self.csv_rows("findings", "--org", ORG, "--audit", "IA-2026", "--as-of", AS_OF)
        nc = dict(zip(rows[0], rows[1]))
        self.assertEqual((nc["id"], nc["kind"], nc["status"], nc["open"], nc["overdue"]),
                         ("NC-1", "major_nc", "action_planned", "yes", "yes"))
        self.assertEqual(self.csv_rows("findings", "--org", ORG, "--requirement", "A.5.2"),
                         [rows[0]])

    def test_usage_and_server_errors(self):
        for args in (["risks"], ["risks", "--org", "acme", "--bogus"], ["audit"],
                     ["audit", "frob", "--org", "acme"], ["audit", "checklist", "--org", "acme"],
                     ["findings"], ["soa", "--org", "acme", "--version", "x"],
                     ["soa", "--org", "acme", "--version", "1", "--as-of", AS_OF],
                     ["risks", "--org", "acme", "--format", "docx"]):
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 2, f"{args}: {r.stdout} {r.stderr}")
            self.assertEqual(r.stdout, "")
        for args, want in ((["soa", "--org", ORG, "--version", "9"], "not_found: version:"),
                           (["audit", "checklist", "--org", ORG, "--audit", "IA-9"],
                            "not_found: audit:"),
                           (["risks", "--org", "nobody"], "not_found: org:")):
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(want, r.stderr)
        for cmd in ("soa", "risks", "audit", "findings"):
            self.assertIn("Usage: crosswalk " + cmd, self.ok(cmd, "--help"))

    # ---- in a browser ----

    def browse(self, tmp, page, *mode):
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage",
               "--user-data-dir=" + os.path.join(tmp, "profile"), *mode, "file://" + page]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=90,
                              env=dict(os.environ, HOME=tmp))

    @unittest.skipUnless(chromium(), "chromium is not installed (scripts/deps.sh installs it)")
    def test_html_in_chromium(self):
        with tempfile.TemporaryDirectory() as tmp:
            risks = os.path.join(tmp, "risks.html")
            checklist = os.path.join(tmp, "checklist.html")
            self.ok("risks", "--org", ORG, "--as-of", AS_OF, "-o", risks)
            self.ok("audit", "checklist", "--org", ORG, "--audit", "IA-2026", "--as-of", AS_OF,
                    "-o", checklist)
            r = self.browse(tmp, risks, "--dump-dom")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dom = r.stdout
            self.assertRegex(dom, r'<svg[^>]*id="heatmap-inherent"')
            self.assertRegex(dom, r'<svg[^>]*id="heatmap-residual"')
            self.assertEqual(len(re.findall(r'<rect class="cell"', dom)), 50)  # 2 x 5 x 5
            self.assertIn("likelihood 4, impact 5: 1 risk</title>", dom)
            self.assertIn("likelihood 2, impact 3: 1 risk</title>", dom)
            self.assertNotIn("<script", dom)
            r = self.browse(tmp, checklist, "--dump-dom")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            # a status cell: its icon, then its word
            self.assertRegex(r.stdout, r'<td class="st st-failing">(<svg[^>]*>.*?</svg>)?failing</td>')
            self.assertIn("\u2610&nbsp;major&nbsp;NC", r.stdout)
            for page in (risks, checklist):
                shot = page + ".png"
                r = self.browse(tmp, page, "--screenshot=" + shot, "--window-size=1280,1600")
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                with open(shot, "rb") as f:
                    png = f.read()
                self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
                self.assertGreater(len(png), 10000, "a rendered page, not a blank image")


if __name__ == "__main__":
    unittest.main()
