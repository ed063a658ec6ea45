"""The reports read as documents.  The coverage, gap and SoA reports in
HTML, rendered by headless Chromium, name the organisation and the
frameworks, open with a summary, carry the provenance (crosswalk and
crosswalkd versions, time, hops, the publishers' attributions, the
crosswalk rows' origins) and show no raw JSON key; evidence is given with
its result and dates; each status keeps its own shape, and its colour stays
apart from the others for readers with red-green colour blindness; the SOC
2 gap report for the example organisation of tools/cli/README.md prints to
at most 12 pages on Letter and on A4, and so does `--format pdf`, which
without a browser says what to do instead; the Markdown output names the
same things.  Skipped, with a message, when chromium is absent (scripts/deps.sh
installs it)."""
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import browser
from clitest import CliCase
import fixture

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
STATUSES = ("met", "partial", "unverified", "failing", "gap", "not_applicable")


def project_version():
    """The version CMakeLists.txt gives the project (and so the CLI)."""
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(crosswalk VERSION ([0-9.]+)", f.read()).group(1)


def needs_chromium():
    if not browser.chromium():
        raise unittest.SkipTest("chromium is not installed (scripts/deps.sh installs Debian's chromium)")


# ---- colour vision ---------------------------------------------------------
# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB; the
# distance is CIE 1976 Delta E in L*a*b* (D65).
CVD = {
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
}


def lab_seen(hexcolour, matrix):
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    rgb = [linear(int(hexcolour[i:i + 2], 16)) for i in (1, 3, 5)]
    r, g, b = [min(max(sum(m * v for m, v in zip(row, rgb)), 0.0), 1.0) for row in matrix]
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


class Documents(CliCase):
    """acme of fixture.py named "Acme Ltd", with an expired restore test and
    a scope exclusion in each framework, as of fixture.AS_OF."""

    @classmethod
    def setUpClass(cls):
        needs_chromium()
        super().setUpClass()
        case = cls("test_names_and_provenance")
        fixture.load_fixture(case)
        case.ok("call", "org.put", json.dumps({"org": fixture.ORG, "name": "Acme Ltd"}))
        case.ok("call", "control.put", json.dumps({"org": fixture.ORG, "controls": [
            {"id": "BCK-1", "title": "Backups", "status": "implemented",
             "links": [{"framework": "iso27001-2022", "id": "A.8.13", "level": "full"}]}]}))
        case.ok("call", "evidence.put", json.dumps({
            "org": fixture.ORG, "id": "EV-4", "controls": ["BCK-1"], "kind": "test", "title": "Restore test",
            "collected_at": "2025-11-03T09:00:00Z", "valid_until": "2026-05-01T00:00:00Z", "result": "pass"}))
        case.ok("call", "scope.put", json.dumps({"org": fixture.ORG, "items": [
            {"framework": "soc2-2017", "id": "P8.1", "justification": "no personal data of customers"},
            {"framework": "iso27001-2022", "id": "A.7.4", "justification": "no premises to monitor"}]}))
        cls.tmp = tempfile.mkdtemp(prefix="cwrep-")
        cls.dom = {}
        reports = {
            "coverage": ["coverage", "--org", fixture.ORG, "--framework", "soc2-2017", "--detail"],
            "gap": ["gap", "--org", fixture.ORG, "--target", "soc2-2017", "--source", "iso27001-2022"],
            "soa": ["soa", "--org", fixture.ORG],
        }
        for name, args in reports.items():
            path = os.path.join(cls.tmp, name + ".html")
            case.ok(*args, "--as-of", fixture.AS_OF, "-o", path)
            r = browser.run(cls.tmp, path, "--dump-dom")
            assert r.returncode == 0, r.stderr[-2000:]
            cls.dom[name] = r.stdout

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", ""), ignore_errors=True)
        super().tearDownClass()

    def test_names_and_provenance(self):
        info = json.loads(self.ok("call", "server.info"))
        names = {"coverage": ["AICPA Trust Services Criteria (SOC 2)", "published by AICPA", "\u00a9 AICPA"],
                 "gap": ["AICPA Trust Services Criteria (SOC 2)", "ISO/IEC 27001:2022 Information security",
                         "\u00a9 AICPA", "\u00a9 ISO/IEC", "Crosswalk rows cited, by origin",
                         "crosswalk-authored", "cli-test"],
                 "soa": ["ISO/IEC 27001:2022 Information security", "published by ISO/IEC", "\u00a9 ISO/IEC"]}
        for name, dom in self.dom.items():
            with self.subTest(report=name):
                text = browser.visible_text(dom)
                title = re.search(r"<h1>(.*?)</h1>", dom).group(1)
                self.assertIn("Acme Ltd", title)
                self.assertNotIn("acme", title, "the organisation's name, not its slug")
                prov = browser.visible_text(browser.section(dom, "provenance"))
                for want in ["Organisation", "Acme Ltd (known to crosswalkd as acme)",
                             "crosswalk %s from crosswalkd %s" % (project_version(), info["version"]),
                             "Assessed as of", "2026-11-20 00:00 UTC"] + names[name]:
                    self.assertIn(want, prov)
                if name != "soa":
                    self.assertIn("Crosswalk steps followed", prov)
                # the summary comes first, right under the title
                order = [dom.index(s) for s in ('<header>', '<section id="summary"',
                                                '<section id="provenance"', '<section id="legend"',
                                                '<section class="table"')]
                self.assertEqual(order, sorted(order))
                self.assertIn("Acme Ltd", text)

    def test_summary_sentence_and_actions(self):
        def lead(name):
            return browser.visible_text(re.search(r'<p class="lead">.*?</p>', self.dom[name]).group(0)).strip()
        self.assertRegex(lead("coverage"), r"^61 SOC 2 criteria: 1 met, \d+ partial, .*1 not applicable "
                                           r"\(1\.7% met\)\.$")
        self.assertRegex(lead("gap"), r"^61 SOC 2 criteria: .* \d+ are open \(not met, not excluded\); "
                                      r"the plan's \d+ steps close \d+ of them in full\.$")
        self.assertRegex(lead("soa"), r"^93 Annex A controls of ISO/IEC 27001:2022: 92 applicable, 1 excluded")
        summary = browser.visible_text(browser.section(self.dom["gap"], "summary"))
        self.assertIn("Top 5 actions", summary)
        self.assertRegex(summary, r"Satisfy ISO/IEC 27001:2022 A\.8\.15 Logging: closes CC7\.2 \(")

    def test_no_raw_json_in_visible_text(self):
        for name, dom in self.dom.items():
            with self.subTest(report=name):
                text = browser.visible_text(dom)
                for key in ("as_of", "max_hops", "not_applicable", "intersects_with", "superset_of"):
                    self.assertNotIn(key, text)
                self.assertEqual(re.findall(r"\b[a-z0-9]+_[a-z0-9_]+\b", text), [], "no snake_case keys")
                self.assertEqual(re.findall(r'[{}"]', text), [], "no braces or straight quotes")
                # slugs only where the provenance names what it read
                rest = browser.visible_text(dom.replace(browser.section(dom, "provenance"), ""))
                self.assertEqual(re.findall(r"\b(?:iso27001-20\d\d|soc2-2017|nist-csf-2\.0)\b", rest), [])
                self.assertNotIn("-&gt;", dom, "paths in words, not arrows")

    def test_evidence_with_its_dates(self):
        cov, gap, soa = (browser.visible_text(self.dom[n]) for n in ("coverage", "gap", "soa"))
        failed = "EV-3 \u201cNessus scan\u201d failed, collected 2026-11-03"
        expired = "EV-4 \u201cRestore test\u201d passed, collected 2025-11-03, expired 2026-05-01"
        self.assertRegex(cov, r"together cover all of CC3\.2 \(gives failing\): 0 of 11 in place: A\.8\.8 "
                              r"failing by VULN-1 \(Vulnerability scanning\), evidence " + re.escape(failed))
        self.assertIn("control VULN-1 (Vulnerability scanning) is failing (%s)" % failed, gap)
        self.assertIn("BCK-1 (Backups): unverified (%s)" % expired, gap)
        self.assertIn("EV-2 \u201cAccess review Q4\u201d passed, collected 2026-11-02, no expiry", soa)
        self.assertIn("A.8.13 Information backup is unverified: BCK-1 (Backups), stale; evidence " + expired,
                      soa)

    def test_statuses_keep_apart(self):
        dom = self.dom["coverage"]
        fills = dict(re.findall(r"\.st-([a-z_]+)\{--fill:(#[0-9A-Fa-f]{6})\}", dom))
        for vision, matrix in CVD.items():
            for a, b in itertools.combinations(STATUSES, 2):
                la, lb = lab_seen(fills[a], matrix), lab_seen(fills[b], matrix)
                delta = sum((x - y) ** 2 for x, y in zip(la, lb)) ** 0.5
                self.assertGreater(delta, 20, f"{a} and {b} look alike with {vision}: Delta E {delta:.1f}")
        # a shape of its own in every status cell and in the legend
        icons = {}
        for st, icon in re.findall(r'<td class="st st-([a-z_]+)"><svg class="ic"[^>]*><use href="#([a-z-]+)"',
                                   dom):
            icons.setdefault(st, set()).add(icon)
        legend = dict((label, icon) for icon, label in re.findall(
            r'<th scope="row"><svg class="ic"[^>]*><use href="#([a-z-]+)"></use></svg>([a-z ]+)</th>', dom))
        self.assertEqual(len(set(legend.values())), 6, legend)
        for st, seen in icons.items():
            self.assertEqual(seen, {legend[st.replace("_", " ")]})
        self.assertIn("met", icons)
        self.assertIn("partial", icons)
        # and a pattern in the chart for what is not plainly met or a gap
        for st in ("partial", "unverified", "failing", "not_applicable"):
            self.assertRegex(dom, r'fill="url\(#pt-%s\)"' % st.replace("not_applicable", "na"))

    def test_long_lists_fold_and_ids_stay_whole(self):
        dom = self.dom["gap"]
        folds = re.findall(r'<details class="fold"><summary>([^<]*)</summary>', dom)
        self.assertGreaterEqual(len(folds), 60, "candidates and joint rows of each gap")
        self.assertNotIn("<details open", dom, "closed, so a printout carries the summary lines")
        self.assertRegex(dom, r"thead\{display:table-header-group\}")
        self.assertRegex(dom, r"break-inside:avoid")
        self.assertRegex(dom, r'<td class="nw">CC7\.2</td>')
        self.assertIn("@page{margin:", dom)

    def test_markdown_names_and_provenance(self):
        out = self.ok("gap", "--org", fixture.ORG, "--target", "soc2-2017", "--source", "iso27001-2022",
                      "--as-of", fixture.AS_OF, "--format", "md")
        self.assertTrue(out.startswith("# Gap report: SOC 2 for Acme Ltd, from ISO/IEC 27001:2022\n"))
        self.assertRegex(out, r"\n61 SOC 2 criteria: ")
        self.assertIn("\n## Provenance\n", out)
        self.assertIn("- **Produced by**: crosswalk %s from crosswalkd" % project_version(), out)
        self.assertIn("\u00a9 AICPA", out)
        self.assertIn("- **not applicable**: 1", out)
        for key in ("as_of", "max_hops", "not_applicable"):
            self.assertNotIn(key, out)


class ReadmeExample(CliCase):
    """The organisation tools/cli/README.md builds (an ISO 27001 shop asking
    about SOC 2), loaded from the files the README writes."""

    @classmethod
    def setUpClass(cls):
        needs_chromium()
        if not fixture.HAVE_IMPORT:
            raise unittest.SkipTest("this build has no importers to load the README's CSV files")
        with open(os.path.join(ROOT, "tools", "cli", "README.md"), encoding="utf-8") as f:
            readme = f.read()
        example = readme.split("A gap report for SOC 2 from an organisation's ISO 27001 controls", 1)[1]
        files = {m[0]: m[2] for m in
                 re.findall(r"cat > (\S+) <<'(EOF|END)'\n(.*?\n)\2\n", example, re.S)}
        org_put = re.search(r"crosswalk call org\.put '(\{.*?\})'", example).group(1)
        files = {k: v for k, v in files.items() if k in ("controls.csv", "evidence.csv")}
        if set(files) != {"controls.csv", "evidence.csv"}:
            raise AssertionError(f"the README's example writes {sorted(files)}")
        super().setUpClass()
        case = cls("test_gap_report_prints_short")
        cls.tmp = tempfile.mkdtemp(prefix="cwreadme-")
        for name, text in files.items():
            with open(os.path.join(cls.tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        case.ok("call", "org.put", org_put)
        case.ok("load", "--org", "acme", *(os.path.join(cls.tmp, n) for n in ("controls.csv", "evidence.csv")))
        cls.org_name = json.loads(org_put)["name"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(getattr(cls, "tmp", ""), ignore_errors=True)
        super().tearDownClass()

    def test_gap_report_prints_short(self):
        html_path = os.path.join(self.tmp, "gap.html")
        self.ok("gap", "--org", "acme", "--target", "soc2-2017", "--source", "iso27001-2022",
                "--as-of", fixture.AS_OF, "-o", html_path)
        with open(html_path, encoding="utf-8") as f:
            page = f.read()
        a4_path = os.path.join(self.tmp, "gap-a4.html")
        with open(a4_path, "w", encoding="utf-8") as f:
            f.write(page.replace("</head>", "<style>@page{size:A4}</style></head>", 1))
        for paper, path in (("Letter", html_path), ("A4", a4_path)):
            with self.subTest(paper=paper):
                pdf = os.path.join(self.tmp, paper + ".pdf")
                r = browser.run(self.tmp, path, "--no-pdf-header-footer", "--print-to-pdf=" + pdf)
                self.assertEqual(r.returncode, 0, r.stderr[-2000:])
                pages = browser.pdf_pages(pdf)
                print(f"\nSOC 2 gap report of the README's example, {paper}: {pages} pages")
                self.assertGreaterEqual(pages, 3)
                self.assertLessEqual(pages, 12)
                if shutil.which("pdftotext"):
                    text = subprocess.run(["pdftotext", "-l", "1", pdf, "-"], capture_output=True,
                                          text=True, timeout=60).stdout
                    self.assertIn(self.org_name, text)
                    self.assertIn("Summary", text)
                    self.assertIn("Provenance", text)
                if shutil.which("pdftoppm"):
                    png = os.path.join(self.tmp, paper)
                    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", pdf,
                                    png], check=True, timeout=60)
                    with open(png + ".png", "rb") as f:
                        self.assertTrue(f.read(8).startswith(b"\x89PNG"))

    def test_format_pdf(self):
        """--format pdf is the same document printed by Chromium; without
        a browser it says what to do instead, before asking the server."""
        pdf = os.path.join(self.tmp, "cli.pdf")
        leftovers = [d for d in os.listdir(tempfile.gettempdir()) if d.startswith("crosswalk-pdf-")]
        # the sandbox may not start in a container; the other tests run the
        # browser without it too
        env = {"CROSSWALK_CHROMIUM_FLAGS": "--no-sandbox"}
        self.ok("gap", "--org", "acme", "--target", "soc2-2017", "--source", "iso27001-2022",
                "--as-of", fixture.AS_OF, "-o", pdf, env=env)
        with open(pdf, "rb") as f:
            self.assertEqual(f.read(5), b"%PDF-")
        self.assertLessEqual(browser.pdf_pages(pdf), 12)
        self.assertGreaterEqual(browser.pdf_pages(pdf), 3)
        missing = os.path.join(self.tmp, "none.pdf")
        r = self.run_cli("soa", "--org", "acme", "-o", missing,
                         env={"CROSSWALK_CHROMIUM": os.path.join(self.tmp, "no-browser")})
        self.assertEqual(r.returncode, 1)
        self.assertIn("CROSSWALK_CHROMIUM names", r.stderr)
        self.assertFalse(os.path.exists(missing))
        r = self.run_cli("soa", "--org", "acme", "--format", "pdf", env={"PATH": "/nonexistent"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("install Debian's chromium, or write --format html and print it from a browser",
                      r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual([d for d in os.listdir(tempfile.gettempdir()) if d.startswith("crosswalk-pdf-")],
                         leftovers, "the browser's temporary directory is removed")


if __name__ == "__main__":
    unittest.main()
