"""Joint crosswalk rows, assessable parents and withdrawn requirements
over the protocol: the new arguments of catalog.load, requirement.list and
mapping.load/delete, their bad input (each answered invalid_params naming
the field, nothing written, the connection still serving), and the answers
that explain them: coverage detail, gap report joint rows and plan steps,
framework.compare, mapping.list/export/check."""
from cwtest import CONFLICT, INVALID_PARAMS, NOT_FOUND, SharedServerTest, evidence


def req(rid, parent=None, **kw):
    r = {"id": rid, "title": rid}
    if parent:
        r["parent"] = parent
    r.update(kw)
    return r


def joint(sources, target, rel="superset_of", origin="test", sfw="jsrc", tfw="jdst", **kw):
    m = {"source_framework": sfw, "source": sources, "target_framework": tfw,
         "target": target, "relationship": rel, "origin": origin}
    m.update(kw)
    return m


class JointTest(SharedServerTest):
    TMP_PREFIX = "cwit-j-"
    SERVER_ARGS = ("--no-bootstrap",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.c
        c.ok("catalog.load", {"framework": "jsrc", "requirements": [
            req("G"), req("G.1", "G"), req("G.2", "G"), req("A"), req("B"),
            req("W", status="withdrawn"), req("N", assessable=False)]})
        c.ok("catalog.load", {"framework": "jdst", "requirements": [
            req("S1"), req("S2"), req("SG"), req("SG.1", "SG"), req("SG.2", "SG")]})
        c.ok("catalog.load", {"framework": "nist", "requirements": [
            req("AC", kind="category"), req("AC-2", "AC", assessable=True),
            req("AC-2(1)", "AC-2"), req("AC-2(2)", "AC-2", status="withdrawn"),
            req("AC-3", "AC")]})

    def mapping_count(self):
        return self.c.ok("server.info")["counts"]["mappings"]

    def effective(self, org, cid, links):
        self.c.ok("control.put", {"org": org, "id": cid, "status": "implemented",
                                  "links": [{"framework": f, "id": i, "level": "full"}
                                            for f, i in links]})
        self.c.ok("evidence.put", dict(evidence("ev-" + cid, [cid]), org=org))

    # ---- catalogues ----

    def test_requirement_flags(self):
        r = self.c.ok("requirement.get", {"framework": "nist", "id": "AC-2"})
        self.assertIs(r["assessable"], True)
        self.assertIs(r["leaf"], False)
        self.assertEqual(r["status"], "active")
        self.assertEqual(r["children"], ["AC-2(1)", "AC-2(2)"])
        r = self.c.ok("requirement.get", {"framework": "nist", "id": "AC-2(2)"})
        self.assertEqual(r["status"], "withdrawn")
        r = self.c.ok("requirement.get", {"framework": "nist", "id": "AC"})
        self.assertIs(r["assessable"], False)
        ids = [x["id"] for x in self.c.ok("requirement.list", {"framework": "nist",
                                                               "assessable_only": True})]
        self.assertEqual(ids, ["AC-2", "AC-2(1)", "AC-3"])
        ids = [x["id"] for x in self.c.ok("requirement.list", {"framework": "nist",
                                                               "leaves_only": True})]
        self.assertEqual(ids, ["AC-2(1)", "AC-2(2)", "AC-3"])
        fw = self.c.ok("framework.get", {"framework": "nist"})
        self.assertEqual((fw["requirements"], fw["assessable"], fw["withdrawn"]), (5, 3, 1))
        self.assertCallError(self.c, "requirement.list", {"framework": "nist",
                                                          "assessable_only": "yes"},
                             INVALID_PARAMS, field="assessable_only")

    def test_catalog_bad_flags_write_nothing(self):
        cases = [
            ({"assessable": "yes"}, "requirements[1].assessable"),
            ({"assessable": 1}, "requirements[1].assessable"),
            ({"status": "retired"}, "requirements[1].status"),
            ({"status": True}, "requirements[1].status"),
            ({"withdrawn": True}, "requirements[1].withdrawn"),
        ]
        for extra, field in cases:
            self.assertCallError(self.c, "catalog.load", {
                "framework": "bad-flags", "requirements": [req("X1"), dict(req("X2"), **extra)]},
                INVALID_PARAMS, field=field)
            self.assertCallError(self.c, "framework.get", {"framework": "bad-flags"}, NOT_FOUND)
        self.assertEqual(self.c.ok("ping"), "pong")

    # ---- joint rows: bad input ----

    def test_joint_bad_input_writes_nothing(self):
        before = self.mapping_count()
        many = ["A", "B"] * 33  # 66 ids
        cases = [
            (joint(["A"], "S1"), "mappings[0].source", "2..64"),
            (joint(["A", "B", "G.1", "G.2"] * 16 + ["G"], "S1"), "mappings[0].source", "got 65"),
            (joint(many, "S1"), "mappings[0].source", "2..64"),
            (joint(["A", "A"], "S1"), "mappings[0].source[1]", "appears twice"),
            (joint(["S1", "S2"], "S1", sfw="jdst"), "mappings[0].source[0]", "own target"),
            (joint(["A", {"framework": "jdst", "id": "S2"}], "S1"),
             "mappings[0].source[1].framework", "one framework"),
            (joint(["A", {"id": "B", "x": 1}], "S1"), "mappings[0].source[1].x", "unknown"),
            (joint(["A", 7], "S1"), "mappings[0].source[1]", "expected a string"),
            (joint(["A", ""], "S1"), "mappings[0].source[1]", "non-empty"),
            (joint(["A", "nope"], "S1"), "mappings[0].source[1]", "no requirement"),
            (joint(["A", "B"], "S1", note=5), "mappings[0].note", None),
            (joint(["A", "B"], "S1", note="x" * 1025), "mappings[0].note", "1024"),
            (joint(["A", "B"], "S1", rel="bigger"), "mappings[0].relationship", None),
        ]
        for m, field, contains in cases:
            self.assertCallError(self.c, "mapping.load", {"mappings": [m]},
                                 INVALID_PARAMS, field=field, contains=contains)
        # and inside a batch: the good row before it is not written either
        err, _ = self.c.call("mapping.load", {"mappings": [
            joint(["G.1", "G.2"], "S2", origin="ok"), joint(["A", "A"], "S1")]})
        self.assertError(err, INVALID_PARAMS, field="mappings[1].source[1]")
        self.assertEqual(self.mapping_count(), before)
        # the same set, target and origin twice in one call is a conflict
        err, _ = self.c.call("mapping.load", {"mappings": [
            joint(["A", "B"], "S2", origin="twice"), joint(["B", "A"], "S2", origin="twice")]})
        self.assertError(err, CONFLICT)
        self.assertEqual(self.mapping_count(), before)
        self.assertEqual(self.c.ok("ping"), "pong")

    # ---- joint rows: storage and listing ----

    def test_joint_rows_listed_exported_deleted(self):
        res = self.c.ok("mapping.load", {"mappings": [
            joint(["B", "A"], "S2", origin="list", note="A and B together")]})
        self.assertEqual(res["created"], 1)
        res = self.c.ok("mapping.load", {"mappings": [
            joint([{"framework": "jsrc", "id": "A"}, {"id": "B"}], "S2", origin="list",
                  rel="equal", note="A and B together")]})
        self.assertEqual((res["created"], res["updated"]), (0, 1))
        listed = self.c.ok("mapping.list", {"framework": "jsrc", "id": "A"})
        js = [x for x in listed if x.get("via") == "joint"]
        self.assertEqual(len(js), 1)
        self.assertEqual(js[0]["role"], "member")
        self.assertEqual(js[0]["row"]["source"], ["A", "B"])
        self.assertEqual(js[0]["row"]["relationship"], "equal")
        self.assertEqual(js[0]["row"]["note"], "A and B together")
        listed = self.c.ok("mapping.list", {"framework": "jdst", "id": "S2"})
        self.assertEqual([x["role"] for x in listed if x.get("via") == "joint"], ["target"])
        rows = [r for r in self.c.ok("mapping.export", {"framework": "jdst"})
                if r["origin"] == "list"]
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["source"], ["A", "B"])
        # loading the export back finds the same row as it is
        res = self.c.ok("mapping.load", {"mappings": [{k: v for k, v in rows[0].items()
                                                       if v is not None}]})
        self.assertEqual((res["created"], res["updated"], res["unchanged"]), (0, 0, 1))
        # a single id names single rows only; the set names the joint row
        st = self.c.ok("mapping.delete", {"source_framework": "jsrc", "source": "A",
                                          "origin": "list"})
        self.assertEqual(st["deleted"], 0)
        self.assertCallError(self.c, "mapping.delete", {"source": ["A"]}, INVALID_PARAMS,
                             field="source")
        self.assertCallError(self.c, "mapping.delete", {"source": ["A", 3]}, INVALID_PARAMS,
                             field="source[1]")
        st = self.c.ok("mapping.delete", {"source": ["B", "A"], "target": "S2", "origin": "list"})
        self.assertEqual(st["deleted"], 1)
        self.assertEqual(self.c.ok("store.check")["problems"], 0)

    def test_mapping_check_joint_findings(self):
        self.c.ok("mapping.load", {"mappings": [
            joint(["A", "W"], "SG.1", origin="chk"),
            joint(["G", "G.1"], "SG.2", origin="chk")]})
        chk = self.c.ok("mapping.check", {"framework": "jsrc"})
        kinds = {(f["kind"], f["a"]["id"]) for f in chk["findings"]}
        self.assertIn(("withdrawn_member", "W"), kinds)
        self.assertIn(("duplicate_member", "G.1"), kinds)
        self.c.ok("mapping.delete", {"origin": "chk"})

    # ---- answers ----

    def test_coverage_gap_compare_explain_joint_rows(self):
        org = "acme-joint"
        self.c.ok("org.put", {"org": org})
        self.c.ok("mapping.load", {"mappings": [
            joint(["A", "B"], "S1", origin="ans", note="A and B cover S1"),
            joint(["G", "A"], "SG", origin="ans")]})
        self.effective(org, "CA", [("jsrc", "A")])
        cov = self.c.ok("coverage.get", {"org": org, "framework": "jdst", "detail": True,
                                         "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        s1 = {r["id"]: r for r in cov["requirements"]}["S1"]
        self.assertEqual(s1["status"], "partial")
        best = s1["contributions"][s1["decided_by"]]
        self.assertEqual(best["via"], "joint")
        self.assertEqual(best["gives"], "partial")
        members = {m["id"]: m for m in best["joint"]["members"]}
        self.assertEqual(members["A"]["status"], "met")
        self.assertEqual(members["A"]["contribution"]["control"], "CA")
        self.assertEqual(members["A"]["contribution"]["evidence"], ["ev-CA"])
        self.assertEqual(members["B"]["status"], "gap")
        self.assertNotIn("note", best["joint"]["row"])  # the gap report and listings carry it
        self.assertNotIn("reached_group", best)  # the row names S1 itself
        gap = self.c.ok("gap.report", {"org": org, "target": "jdst", "source": "jsrc",
                                       "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        g1 = {g["id"]: g for g in gap["gaps"]}["S1"]
        self.assertEqual(len(g1["joints"]), 1)
        self.assertEqual((g1["joints"][0]["in_place"], g1["joints"][0]["of"]), (1, 2))
        self.assertEqual(g1["joints"][0]["missing"], ["B"])
        self.assertEqual(g1["joints"][0]["row"]["note"], "A and B cover S1")
        # SG.1 and SG.2 are reached through the joint row to their group
        sg1 = {g["id"]: g for g in gap["gaps"]}["SG.1"]
        self.assertEqual(sg1["joints"][0]["row"]["target"], "SG")
        self.assertEqual(sg1["joints"][0]["missing"], ["G"])
        steps = {tuple(a["id"] for a in p["adds"]): p for p in gap["plan"]}
        self.assertEqual(steps[("B",)]["closes"], ["S1"])
        self.assertEqual(steps[("G",)]["closes"], ["SG.1", "SG.2"])
        self.assertEqual(gap["plan"][0]["id"], "G")  # two gaps for one requirement
        self.assertEqual(steps[("G",)]["joint"]["target"], "SG")
        cmp = self.c.ok("framework.compare", {"source": "jsrc", "target": "jdst"})
        lv = {r["id"]: r for r in cmp["requirements"]}
        self.assertEqual(lv["S1"]["level"], "full")
        self.assertEqual(lv["S1"]["joints"][0]["row"]["source"], ["A", "B"])
        self.assertEqual(lv["SG.2"]["level"], "full")
        # once G is in place the row into group SG meets SG.1 and SG.2,
        # each naming the group it was reached through
        self.effective(org, "CG", [("jsrc", "G")])
        cov = self.c.ok("coverage.get", {"org": org, "framework": "jdst", "detail": True,
                                         "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        for rid in ("SG.1", "SG.2"):
            r = {r["id"]: r for r in cov["requirements"]}[rid]
            self.assertEqual(r["status"], "met")
            c = r["contributions"][r["decided_by"]]
            self.assertEqual((c["via"], c["reached_group"], c["gives"]), ("joint", "SG", "met"))
            self.assertEqual(c["joint"]["row"]["target"], "SG")
        self.c.ok("mapping.delete", {"origin": "ans"})

    def test_scope_on_assessed_requirements_only(self):
        org = "acme-scope"
        self.c.ok("org.put", {"org": org})
        self.c.ok("scope.put", {"org": org, "framework": "nist", "id": "AC-2", "applicable": False,
                                "justification": "no accounts"})
        for rid in ("AC", "AC-2(2)"):
            self.assertCallError(self.c, "scope.put", {"org": org, "framework": "nist", "id": rid,
                                                       "applicable": False},
                                 INVALID_PARAMS, field="id", contains="not assessed")
        self.effective(org, "C", [("nist", "AC")])
        cov = self.c.ok("coverage.get", {"org": org, "framework": "nist", "detail": True,
                                         "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        st = {r["id"]: r["status"] for r in cov["requirements"]}
        self.assertEqual(st, {"AC-2": "not_applicable", "AC-2(1)": "met", "AC-3": "met"})
        self.assertEqual(cov["assessable"], 3)
