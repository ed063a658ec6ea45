"""Every ```sh block of tools/cli/README.md, run as the page says to run
them: in order, in one bash, from the top of the source tree, with the
built crosswalk first on PATH and CROSSWALK_SERVER naming a crosswalkd
this test starts (and stops) on a Unix socket in a temporary directory.
Each command must succeed, the blocks must do what they say (loading
twice finds everything unchanged, the dry run writes nothing), and
nothing in the source tree may change: the examples write their files in
a scratch directory of their own (under this test's TMPDIR)."""
import hashlib
import json
import os
import re
import subprocess
import tempfile
import unittest

from clitest import CliCase
import fixture

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
README = os.path.join(ROOT, "tools", "cli", "README.md")


def tree_state():
    """Path -> hash of every file of the source tree outside build
    directories and .git: what the examples must leave alone."""
    state = {}
    for top, dirs, files in os.walk(ROOT):
        rel = os.path.relpath(top, ROOT)
        if rel == ".":
            dirs[:] = [d for d in dirs if not d.startswith(("build", ".git"))]
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = os.path.join(top, name)
            try:
                with open(path, "rb") as f:
                    state[os.path.relpath(path, ROOT)] = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                pass
    return state


@unittest.skipUnless(fixture.HAVE_IMPORT, "this build has no importers (the examples load files)")
class Readme(CliCase):
    def blocks(self):
        with open(README, encoding="utf-8") as f:
            text = f.read()
        return re.findall(r"^```sh\n(.*?)^```$", text, re.M | re.S)

    def test_every_example_runs(self):
        blocks = self.blocks()
        self.assertGreaterEqual(len(blocks), 5)
        # a marker before each block says which one failed
        script = "set -euo pipefail\n" + "".join(
            f"echo '### block {i + 1}' >&2\n{b}" for i, b in enumerate(blocks))
        before = tree_state()
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, CROSSWALK_SERVER=self.server.addr, TMPDIR=tmp,
                       PATH=os.path.dirname(self.cli) + os.pathsep + os.environ.get("PATH", ""))
            for k in ("CROSSWALK_TOKEN", "PAGER", "COLUMNS"):
                env.pop(k, None)
            r = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=600)
            scratch = [os.path.join(top, f) for top, _, files in os.walk(tmp) for f in files]
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(r.stderr.count("### block"), len(blocks))
        self.assertEqual(tree_state(), before, "the examples changed the source tree")
        # what the examples wrote, they wrote in their scratch directory
        names = {os.path.basename(p) for p in scratch}
        for written in ("controls.csv", "evidence.csv", "gap.csv", "gap.html", "gap.json",
                        "scope.csv", "soa.csv", "soc2.html", "acme.csv", "acme-mapping.json"):
            self.assertIn(written, names)
        out = r.stdout
        self.assertRegex(out, r"dry run: 2 files valid, 9 items in 2 batches checked by the server")
        self.assertRegex(out, r"loaded 9 of 9 items from 2 files in [\d.]+ s: created 0, updated 0, "
                              r"unchanged 9, rejected 0")
        self.assertIn("acme: scope decisions: would create 2", out)
        self.assertIn("Gap report: SOC 2 for Acme Ltd, from ISO/IEC 27001:2022", out)
        # the sample organisation and the example's are two
        orgs = {o["org"] for o in json.loads(self.ok("call", "org.list"))}
        self.assertEqual(orgs, {"acme", "sample-org"})


if __name__ == "__main__":
    unittest.main()
