"""The HTML report in a real browser: Debian's chromium, headless, loads the
gap report for SOC 2 from acme's ISO 27001 controls from a file:// URL with
networking features off, and the DOM it builds must hold the SVG chart
(stacked bars per group), the summary and the report tables.  A screenshot
must render too.  Skipped, with a message, only when chromium is absent
(scripts/deps.sh installs it)."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from clitest import CliCase
import fixture


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class HeadlessBrowser(CliCase):
    @classmethod
    def setUpClass(cls):
        if not chromium():
            raise unittest.SkipTest("chromium is not installed (scripts/deps.sh installs Debian's chromium)")
        super().setUpClass()
        fixture.load_fixture(cls("test_dom_has_chart_and_tables"))

    def browse(self, tmp, *mode):
        profile = os.path.join(tmp, "profile")
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
               "--disable-dev-shm-usage", "--user-data-dir=" + profile, *mode,
               "file://" + os.path.join(tmp, "report.html")]
        env = dict(os.environ, HOME=tmp)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=env)

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
        self.assertIn('<table class="summary" id="summary">', dom)
        tables = re.findall(r'<table class="data"', dom)
        self.assertEqual(len(tables), 6, "what is missing, groups, gaps, candidates, joint rows, plan")
        self.assertIn("needs A.5.16, A.5.17 and A.5.18", dom)
        self.assertRegex(dom, r"<td>CC7\.2</td>")
        self.assertRegex(dom, r'<td class="st st-gap">gap</td>')
        self.assertIn("<td>A.8.15</td>", dom)
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
