"""crosswalk load / export against a real crosswalkd: every sample format
(CSV catalogue, crosswalk, controls, evidence; OSCAL catalog and
mapping-collection JSON; GRC YAML framework and mappings) validated with
--dry-run and then loaded; a file with problems is reported as
`where: field: message` and nothing at all is loaded; the progress bar
appears only on a terminal; export writes CSV and OSCAL that load back.
Skipped in a build without the importers."""
import json
import os
import re
import tempfile
import unittest

from clitest import CliCase, Server
import fixture

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "samples")
# Catalogues before the crosswalks that name them, controls before evidence.
ORDER = ["acme-isms.catalog.csv", "oscal-catalog.json", "grc-framework.yaml",
         "acme-isms__iso27001-2022.crosswalk.csv", "oscal-mapping.json", "grc-mapping.yaml",
         "controls.csv", "evidence.csv"]


@unittest.skipUnless(fixture.HAVE_IMPORT, "this build has no importers (tools/cli/import_*.c)")
class Load(CliCase):
    def samples(self):
        paths = [os.path.join(SAMPLES, n) for n in ORDER]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            self.skipTest(f"samples missing: {missing}")
        return paths

    def orgs(self):
        return {o["org"] for o in json.loads(self.ok("call", "org.list"))}

    def test_1_dry_run_writes_nothing(self):
        """The server checks every batch, each seeing what the files and
        the organisation before it would have stored; nothing is kept."""
        before = json.loads(self.ok("call", "server.info"))["counts"]
        out = self.ok("load", "--org", "dry", "--dry-run", *self.samples())
        for name in ORDER:
            self.assertRegex(out, re.escape(name) + r": [a-z-]+, \d+ items in \d+ batch(es)?: "
                             r"would create [1-9]\d*, update 0, leave 0 unchanged")
        self.assertRegex(out, r"dry run: 8 files valid, \d+ items in \d+ batches checked by the "
                              r"server \(would create \d+, update 0, leave 0 unchanged\); "
                              r"nothing written")
        self.assertNotIn("dry", self.orgs())
        self.assertEqual(json.loads(self.ok("call", "server.info"))["counts"], before)

    def test_2_load_every_format(self):
        r = self.run_cli("load", "--org", "beta", *self.samples())
        self.assertEqual(r.returncode, 0, r.stderr)
        m = re.search(r"loaded (\d+) of (\d+) items from 8 files in [\d.]+ s: created (\d+), "
                      r"updated 0, unchanged 0, rejected 0", r.stdout)
        self.assertTrue(m, r.stdout)
        self.assertEqual(m.group(1), m.group(2))
        self.assertNotIn("\r", r.stderr, "no progress bar when stderr is not a terminal")
        self.assertIn("beta", self.orgs(), "--org created the organisation")
        fws = {f["framework"] for f in json.loads(self.ok("call", "framework.list"))}
        self.assertIn("acme-isms", fws)
        ctl = json.loads(self.ok("call", "control.get", '{"org": "beta", "id": "POL-1"}'))
        self.assertEqual(ctl["links"][0]["id"], "A.5.1")
        # Loading again finds every item as it is: nothing created or updated.
        out = self.ok("load", "--org", "beta", *self.samples())
        self.assertRegex(out, r"created 0, updated 0, unchanged %s, rejected 0" % m.group(1))

    def test_3_problems_load_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "good.csv")
            bad = os.path.join(tmp, "bad.csv")
            with open(good, "w") as f:
                f.write(fixture.CROSSWALK_CSV.replace("cli-test", "cli-good"))
            with open(bad, "w") as f:
                f.write("source_framework,source_id,target_framework,target_id,relationship,strength,"
                        "rationale,origin\n"
                        "iso27001-2022,A.5.1,soc2-2017,CC1.1,kinda_like,5,semantic,cli-bad\n"
                        "iso27001-2022,A.5.2,soc2-2017,CC1.2,equal,42,semantic,cli-bad\n")
            r = self.run_cli("load", good, bad)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.escape(bad) + r":2: relationship: .*kinda_like")
        self.assertRegex(r.stderr, re.escape(bad) + r":3: strength: ")
        self.assertIn("nothing loaded", r.stderr)
        self.assertEqual(r.stdout, "")
        rows = json.loads(self.ok("call", "mapping.list", '{"framework": "iso27001-2022", "id": "A.5.15"}'))
        self.assertNotIn("cli-good", json.dumps(rows), "the valid file was not loaded either")

    def test_4_progress_bar_on_a_terminal(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, tty, stdout = self.run_tty("load", "--org", "tty", "--batch-size", "1",
                                           *fixture.write_csv_files(tmp), stdout_pipe=True)
        self.assertEqual(rc, 0)
        # a validation phase per file, then the bar with rate, time taken
        # and time left, redrawn in place
        self.assertRegex(tty, r"\rreading and checking 1/3 \S*crosswalk\.csv")
        self.assertRegex(tty, r"\rreading and checking 3/3 \S*evidence\.csv")
        self.assertRegex(tty, r"\rsending \[#* *\] \d/9 items, [\d.]+k?/s, 0:\d\d(, 0:\d\d left)?")
        self.assertRegex(tty, r"\rsending \[#{20}\] 9/9 items, [\d.]+k?/s, 0:\d\d ")
        self.assertIn("\033[K", tty, "each redraw clears the rest of the line")
        self.assertRegex(stdout, r"^loaded 9 of 9 items from 3 files in [\d.]+ s: "
                                            r"created 10, updated 0, unchanged 0, rejected 0\n$")

    def test_6_refused_batch_reported_and_rerun_converges(self):
        """A batch the server refuses stops the load; the report says per
        batch what is stored, refused and not sent, and running the same
        command on the fixed file stores everything (issue 16)."""
        self.ok("call", "org.put", '{"org": "fates"}')
        self.ok("call", "control.put", '{"org": "fates", "id": "C1", "links": []}')
        head = "id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result\n"
        rows = ["F-%02d,%s,log,t,s,,,2026-10-01T09:00:00Z,,pass\n" % (i, "NOPE" if i == 5 else "C1")
                for i in range(1, 11)]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "ev.csv")
            with open(path, "w") as f:
                f.write(head + "".join(rows))
            r = self.run_cli("load", "--org", "fates", "--batch-size", "2", path)
            self.assertEqual(r.returncode, 1)
            # named by the file and line of the refused row (F-05, line 6)
            self.assertIn("crosswalk: %s:6: not_found: controls[0]: no control 'NOPE' in "
                          "organisation 'fates' (batch 3 of 5, evidence.load, item 1 of 2)" % path,
                          r.stderr)
            m = re.search(re.escape(path) + r": batches of 5: (.*)", r.stdout)
            self.assertTrue(m, r.stdout)
            self.assertRegex(m.group(1), r"^1-2 stored; 3 refused;")
            stored = len(json.loads(self.ok("call", "evidence.list", '{"org": "fates"}')))
            later = re.findall(r"(\d+)(?:-(\d+))? stored;", m.group(1))[1:]
            extra = sum(int(b or a) - int(a) + 1 for a, b in later)
            self.assertEqual(stored, 2 * (2 + extra), r.stdout)
            self.assertIn("run the same command again", r.stdout)
            with open(path, "w") as f:
                f.write(head + "".join(rows).replace("NOPE", "C1"))
            self.ok("load", "--org", "fates", "--batch-size", "2", path)
        self.assertEqual(len(json.loads(self.ok("call", "evidence.list", '{"org": "fates"}'))), 10)

    def test_7_shipped_catalogue_not_merged_into_silently(self):
        """A library of another publisher whose slug is a shipped one is
        refused, saying what would change; --framework loads it under its
        own slug, --replace merges it on purpose (issue 16)."""
        with open(os.path.join(SAMPLES, "grc-framework.yaml")) as f:
            text = f.read()
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "lib.yaml")
            with open(path, "w") as f:
                f.write(re.sub(r"(urn:acme:risk:framework:)[a-z0-9-]+", r"\1soc2-2017", text))
            before = json.loads(self.ok("call", "framework.get", '{"framework": "soc2-2017"}'))
            r = self.run_cli("load", path)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("framework 'soc2-2017' already holds AICPA Trust Services Criteria (SOC 2), "
                          "published by AICPA (81 requirements)", r.stderr)
            self.assertIn("give --replace to merge it into 'soc2-2017'", r.stderr)
            self.assertEqual(json.loads(self.ok("call", "framework.get", '{"framework": "soc2-2017"}')),
                             before, "nothing was merged")
            out = self.ok("load", "--framework", "acme-soc2-lib", path)
            self.assertRegex(out, r"loaded \d+ of \d+ items")
            self.assertEqual(json.loads(self.ok("call", "framework.get", '{"framework": "soc2-2017"}')),
                             before)
            self.ok("load", "--replace", path)
            after = json.loads(self.ok("call", "framework.get", '{"framework": "soc2-2017"}'))
            self.assertGreater(after["requirements"], before["requirements"])

    def test_8_urn_only_mapping_library(self):
        """CISO Assistant's mapping libraries name requirements by URN whose
        last segment is lower case ('ac-1' for AC-1, 'a.5.1' for A.5.1):
        resolved at load among the stored URNs and ids (issue 16)."""
        fw = os.path.join(SAMPLES, "ciso-framework.yaml")
        mp = os.path.join(SAMPLES, "ciso-mapping.yaml")
        r = self.run_cli("load", fw, mp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("ciso-mapping.yaml: 4 of 4 requirement URNs of other libraries found", r.stderr)
        ctl = json.loads(self.ok("call", "requirement.get",
                                 '{"framework": "demo-800-53", "id": "AC-1"}'))
        self.assertEqual(ctl["id"], "AC-1")
        rows = json.loads(self.ok("call", "mapping.list",
                                  '{"framework": "demo-800-53", "id": "AC-2"}'))
        self.assertEqual([p["steps"][-1]["id"] for p in rows], ["A.5.16"])

    def test_9_files_as_published(self):
        """Issue 16: one real-shaped sample of each published form, loaded
        into the real server, with what arrives counted: an OSCAL catalog in
        XML, a trestle-layout mapping-collection with statement items, a
        profile resolved against its catalog, a cp1252 CSV."""
        def load(*args):
            r = self.run_cli("load", *args)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            return r

        def reqs(fw):
            return json.loads(self.ok("call", "framework.get", '{"framework": "%s"}' % fw))
        load("--framework", "nist-800-53-rev5", os.path.join(SAMPLES, "oscal-catalog.xml"))
        from_json = reqs("nist-800-53-rev5")["requirements"]
        self.assertEqual(from_json, 7)
        load(os.path.join(SAMPLES, "trestle-layout.oscal-mapping.json"))
        rows = json.loads(self.ok("call", "mapping.list",
                                  '{"framework": "nist-800-53-rev5", "id": "ac-2"}'))
        self.assertEqual([p["steps"][-1]["id"] for p in rows], ["PR.AA-05"])
        self.assertEqual(rows[0]["steps"][-1]["note"], "statement parts: ac-2_smt.a, ac-2_smt.b")
        load("--catalog", os.path.join(SAMPLES, "oscal-catalog.json"), "--framework", "acme-low",
             os.path.join(SAMPLES, "low-baseline.oscal-profile.json"))
        self.assertEqual(reqs("acme-low")["requirements"], 6)
        load("--encoding", "cp1252", "--framework", "acme-fr",
             os.path.join(SAMPLES, "cp1252.catalog.csv"))
        self.assertEqual(reqs("acme-fr")["requirements"], 2)
        got = json.loads(self.ok("call", "requirement.get", '{"framework": "acme-fr", "id": "CP"}'))
        self.assertEqual(got["title"], "Contrôle d’accès")

    def test_10_dry_run_refusals_at_file_and_line(self):
        """--dry-run asks the server: a file whose references the server
        would refuse fails the dry run, at the file and line of the row;
        references to what earlier files of the same command provide pass;
        nothing is written either way."""
        head_c = "id,title,owner,status,links\n"
        head_e = "id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result\n"
        head_x = ("source_framework,source_id,target_framework,target_id,relationship,strength,"
                  "rationale,origin\n")
        before = json.loads(self.ok("call", "server.info"))["counts"]
        with tempfile.TemporaryDirectory() as tmp:
            def write(name, text):
                path = os.path.join(tmp, name)
                with open(path, "w") as f:
                    f.write(text)
                return path
            cat = write("dry-fw.catalog.csv", "id,parent,kind,title,description,attributes\n"
                        "G,,theme,Group,,\nG.1,G,control,One,,\nG.2,G,control,Two,,\n")
            ctl = write("ctl.csv", head_c + "D-1,t,o,implemented,dry-fw/G.1:full\n"
                        "D-2,t,o,implemented,iso27001-2022/A.5.1\n")
            ev = write("ev.csv", head_e + "DE-1,D-1,log,t,s,,,2026-01-01T00:00:00Z,,pass\n"
                       "DE-2,D-2|D-1,log,t,s,,,2026-01-01T00:00:00Z,,pass\n")
            xw = write("xw.csv", head_x + "dry-fw,G.2,iso27001-2022,A.5.1,subset_of,5,,dry-test\n")
            # a new organisation, a new catalogue, controls linking it, their
            # evidence and a crosswalk from it: all valid together
            out = self.ok("load", "--dry-run", "--org", "dry-new", cat, ctl, ev, xw)
            self.assertIn("dry run: 4 files valid", out)
            # a link to a requirement nobody has
            bad_ctl = write("bad-ctl.csv", head_c + "D-1,t,o,implemented,dry-fw/G.1:full\n"
                            "\n"
                            "D-3,t,o,implemented,iso27001-2022/A.99\n")
            r = self.run_cli("load", "--dry-run", "--org", "dry-new", cat, bad_ctl)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn(f"crosswalk: {bad_ctl}:4: invalid_params: links[0].id: no requirement "
                          "'A.99' in framework 'iso27001-2022' (batch 1 of 1, control.put, item 2 "
                          "of 2)", r.stderr)
            self.assertIn("dry run: the server refused a batch (above); nothing written", r.stdout)
            # evidence for a control neither stored nor in the command
            bad_ev = write("bad-ev.csv", head_e + "DE-1,D-1,log,t,s,,,2026-01-01T00:00:00Z,,pass\n"
                           "DE-3,GHOST,log,t,s,,,2026-01-01T00:00:00Z,,pass\n")
            r = self.run_cli("load", "--dry-run", "--org", "dry-new", cat, ctl, bad_ev)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"crosswalk: {bad_ev}:3: not_found: controls[0]: no control 'GHOST' in "
                          "organisation 'dry-new'", r.stderr)
            # the same file without the controls file before it: its first row fails
            r = self.run_cli("load", "--dry-run", "--org", "dry-new", ev)
            self.assertIn(f"crosswalk: {ev}:2: not_found: controls[0]: no control 'D-1'", r.stderr)
            # a crosswalk row to a framework that is nowhere, and the name meant
            bad_xw = write("bad-xw.csv", head_x + "dry-fw,G.2,iso27001-2021,A.5.1,equal,,,dt\n")
            r = self.run_cli("load", "--dry-run", cat, bad_xw)
            self.assertIn(f"crosswalk: {bad_xw}:2: invalid_params: target_framework: no framework "
                          "'iso27001-2021'", r.stderr)
            self.assertIn("did you mean 'iso27001-2022'?", r.stderr)
            # a JSON file's refused item is named by its position and ends
            with open(os.path.join(SAMPLES, "oscal-mapping.json")) as f:
                doc = json.load(f)
            maps = doc["mapping-collection"]["mappings"][0]["maps"]
            maps[1]["targets"][0]["id-ref"] = "A.99.9"
            js = write("m.json", json.dumps(doc))
            r = self.run_cli("load", "--dry-run", "--source-framework", "acme-cloud-baseline",
                             os.path.join(SAMPLES, "oscal-catalog.json"), js)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertRegex(r.stderr, re.escape(js) + r": item 2 of the file: \{[^}]+\} -> A\.99\.9: "
                             r"invalid_params: mappings\[1\]\.target: no requirement 'A\.99\.9' in "
                             r"framework 'iso27001-2022' \(batch 1 of 1, mapping\.load\)")
        self.assertEqual(json.loads(self.ok("call", "server.info"))["counts"], before,
                         "no dry run wrote anything")
        self.assertNotIn("dry-new", self.orgs())

    def test_5_export_round_trip(self):
        # acme-isms rows are stored with acme-isms as source, so exporting
        # from it writes them in their stored direction.
        self.ok("load", "--org", "beta", *self.samples())
        with tempfile.TemporaryDirectory() as tmp:
            out_csv = os.path.join(tmp, "x.csv")
            out_json = os.path.join(tmp, "x.json")
            self.ok("export", "--framework", "acme-isms", "--target-framework", "iso27001-2022", "-o", out_csv)
            with open(out_csv) as f:
                text = f.read()
            self.assertTrue(text.startswith("source_framework,source_id,target_framework,target_id,"))
            self.assertIn("acme-isms,GOV-1,iso27001-2022,A.5.1,equal", text)
            self.ok("export", "--framework", "acme-isms", "--target-framework", "iso27001-2022", "-o", out_json)
            with open(out_json) as f:
                doc = json.load(f)
            self.assertIn("GOV-1", json.dumps(doc))
            for path in (out_csv, out_json):
                out = self.ok("load", path)
                self.assertRegex(out, r"created 0, updated 0, unchanged \d+, rejected 0")
        # An unknown framework is refused.
        r = self.run_cli("export", "--framework", "nope-fw")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^crosswalk: (not_found|invalid_params)")

    def test_10_oscal_export_valid_and_byte_stable(self):
        """The OSCAL export passes NIST's OSCAL 1.2.2 JSON schema, and loading
        it into an empty server and exporting again gives the same bytes: an
        equal row stays equal-to, a joint row stays one map with several
        sources, a row without rationale stays without one; the same for a
        crosswalk with no rows at all."""
        validate = oscal_validator()
        env = {"SOURCE_DATE_EPOCH": "1765000000"}
        first_server, second_server = Server(), Server()
        try:
            def on(server, *args):
                return self.run_cli(*args, env={**env, "CROSSWALK_SERVER": server.addr})

            def ok(server, *args):
                r = on(server, *args)
                self.assertEqual(r.returncode, 0, f"crosswalk {' '.join(args)}: {r.stderr}")
                return r

            with tempfile.TemporaryDirectory() as tmp:
                first, empty = os.path.join(tmp, "first.json"), os.path.join(tmp, "empty.json")
                again = os.path.join(tmp, "again.json")
                again_empty = os.path.join(tmp, "again-empty.json")
                ok(first_server, "load", *(os.path.join(SAMPLES, n) for n in (
                    "acme-isms.catalog.csv", "acme-isms__iso27001-2022.crosswalk.csv",
                    "acme-joint__iso27001-2022.crosswalk.csv")))
                ok(first_server, "export", "--framework", "acme-isms", "-o", first)
                r = ok(first_server, "export", "--framework", "acme-isms",
                       "--target-framework", "soc2-2017", "-o", empty)
                self.assertIn("no crosswalk rows to write", r.stderr)
                with open(first) as f:
                    doc = json.load(f)
                self.assertEqual(validate(doc), [])
                maps = [m for g in doc["mapping-collection"]["mappings"] for m in g["maps"]]
                self.assertGreaterEqual(len(maps), 5)
                self.assertIn("equal-to", {m["relationship"] for m in maps})
                self.assertTrue(any(len(m["sources"]) > 1 for m in maps), "a joint row")
                self.assertEqual(doc["mapping-collection"]["metadata"]["last-modified"],
                                 "2025-12-06T05:46:40Z")
                with open(empty) as f:
                    self.assertEqual(json.load(f)["mapping-collection"]["mappings"], [])

                r = ok(second_server, "load", os.path.join(SAMPLES, "acme-isms.catalog.csv"),
                       first, empty)
                with open(os.path.join(SAMPLES, "acme-isms.catalog.csv")) as f:
                    n_reqs = len(f.read().splitlines()) - 1
                n = n_reqs + len(maps)
                self.assertRegex(r.stdout, rf"loaded {n} of {n} items from 3 files in [\d.]+ s: "
                                 rf"created {n}, updated 0, unchanged 0, rejected 0")
                ok(second_server, "export", "--framework", "acme-isms", "-o", again)
                ok(second_server, "export", "--framework", "acme-isms", "--target-framework",
                   "soc2-2017", "-o", again_empty)
                for a, b in ((first, again), (empty, again_empty)):
                    with open(a, "rb") as f, open(b, "rb") as g:
                        self.assertEqual(f.read(), g.read(), f"{b} differs from {a}")
        finally:
            self.assertEqual(first_server.stop(), 0)
            self.assertEqual(second_server.stop(), 0)

    def test_11_oscal_ids_in_another_case(self):
        """OSCAL writes ids in lower case: an id its framework stores in
        another case (one only) is taken as that id, and the load says how
        many."""
        server = Server()  # its own, whatever order the tests run in
        try:
            env = {"CROSSWALK_SERVER": server.addr}
            self.ok("load", os.path.join(SAMPLES, "acme-isms.catalog.csv"), env=env)
            r = self.run_cli("load", os.path.join(SAMPLES, "lowercase-ids.oscal-mapping.json"),
                             env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("2 requirement ids found in the stored frameworks in another case "
                          "(gov-1 -> GOV-1, ...)", r.stderr)
            rows = json.loads(self.ok("call", "mapping.list",
                                      '{"framework": "iso27001-2022", "id": "A.5.1"}', env=env))
        finally:
            self.assertEqual(server.stop(), 0)
        text = json.dumps(rows)
        self.assertIn("lower case", text)
        self.assertIn('"GOV-1"', text)
        self.assertIn('"GOV-2"', text)
        self.assertNotIn('"gov-1"', text)

def oscal_validator():
    """A function giving the schema errors of a document against the
    mapping-collection root of NIST's OSCAL 1.2.2 complete schema."""
    import jsonschema
    import regex
    from jsonschema import validators

    def pattern(v, patrn, instance, schema):
        if isinstance(instance, str) and not regex.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    with open(os.path.join(HERE, "schema", "oscal_complete_schema-1.2.2.json")) as f:
        schema = json.load(f)
    cls = validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})
    v = cls(schema, format_checker=jsonschema.FormatChecker())

    def errors(doc):
        return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in v.iter_errors(doc)]
    return errors


if __name__ == "__main__":
    unittest.main()
