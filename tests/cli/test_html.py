"""The HTML report in a real browser: Debian's chromium, headless, loads the
gap report for SOC 2 from acme's ISO 27001 controls from a file:// URL with
networking features off, and the DOM it builds must hold the SVG chart
(stacked bars per group), the summary, the provenance and the report
tables, with the candidates folded per gap.  A screenshot must render too.
Skipped, with a message, only when chromium is absent (scripts/deps.sh
installs it).  test_reports.py reads the reports as documents."""
import os
import re
import tempfile
import unittest

import browser
from clitest import CliCase
import fixture


class HeadlessBrowser(CliCase):
    @classmethod
    def setUpClass(cls):
        if not browser.chromium():
            raise unittest.SkipTest("chromium is not installed (scripts/deps.sh installs Debian's chromium)")
        super().setUpClass()
        fixture.load_fixture(cls("test_dom_has_chart_and_tables"))

    def browse(self, tmp, *mode):
        return browser.run(tmp, os.path.join(tmp, "report.html"), *mode, timeout=90)

    def report(self, tmp):
        self.ok("gap", "--org", fixture.ORG, "--target", "soc2-2017", "--source", "iso27001-2022",
                "--as-of", fixture.AS_OF, "--format", "html", "-o", os.path.join(tmp, "report.html"))

    def test_dom_has_chart_and_tables(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.report(tmp)
            r = self.browse(tmp, "--dump-dom")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            dom = r.stdout
        self.assertIn("<svg", dom)
        self.assertRegex(dom, r'<svg[^>]*id="coverage-chart"')
        bars = re.findall(r'<rect class="bar"', dom)
        self.assertGreaterEqual(len(bars), 18, "one bar segment or more per SOC 2 group")
        self.assertIn("CC6: met 1 of 8", dom)
        self.assertIn('<section id="summary" class="summary">', dom)
        self.assertIn('<section id="provenance">', dom)
        tables = re.findall(r'<section class="table"', dom)
        self.assertEqual(len(tables), 5, "what is missing, plan, groups, candidates, joint rows")
        self.assertIn("needs ISO/IEC 27001:2022 A.5.16, A.5.17 and A.5.18", dom)
        # ids are kept whole; a status cell has its icon and its word
        self.assertRegex(dom, r'<td class="nw">CC7\.2</td>')
        self.assertRegex(dom, r'<td class="st st-gap"><svg class="ic"[^>]*><use href="#ic-gap"></use></svg>gap</td>')
        # the candidates are folded per gap, each with its path in words
        self.assertRegex(dom, r'<details class="fold"><summary>CC7\.2 [^<]*: \d+ candidates, in full: A\.8\.15')
        self.assertIn("<td class=\"nw\">A.8.15</td>", dom)
        self.assertIn("ISO/IEC 27001:2022 A.8.15 covers all of CC7.2", dom)
        self.assertNotIn("<script", dom)

    def test_screenshot_renders(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.report(tmp)
            shot = os.path.join(tmp, "shot.png")
            r = self.browse(tmp, "--screenshot=" + shot, "--window-size=1280,2000")
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            with open(shot, "rb") as f:
                png = f.read()
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(png), 10000, "a rendered page, not a blank image")


if __name__ == "__main__":
    unittest.main()
