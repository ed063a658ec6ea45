"""The ISMS loop over the protocol: assets and risks (scores on the
organisation's scale, treating controls, the heat map and its flags), the
Statement of Applicability with its reasons and approved versions,
internal audits with their checklist, and findings whose open
nonconformities change coverage (docs/SEMANTICS.md §6).  Each method's
answers and its bad input (invalid_params, not_found or conflict naming
the field, nothing written), then one test that walks the whole loop:
risks -> treating controls -> SoA with reasons -> approve v1 -> audit
checklist -> a major nonconformity turns a met requirement failing ->
corrective action verified -> closed -> met again."""
from cwtest import CONFLICT, INVALID_PARAMS, NOT_FOUND, SharedServerTest, evidence

ISO = "iso27001-2022"
T0 = "2026-03-01T00:00:00Z"  # every control's evidence is collected by then
T1 = "2026-06-01T00:00:00Z"


def annex_a(c):
    return [r["id"] for r in c.ok("requirement.list", {"framework": ISO, "assessable_only": True})
            if r["id"].startswith("A.")]


def req_of(cov, rid):
    return [r for r in cov["requirements"] if r["id"] == rid][0]


def soa_row(soa, rid):
    return [r for r in soa["controls"] if r["id"] == rid][0]


class IsmsTest(SharedServerTest):
    TMP_PREFIX = "cwit-isms-"

    def org(self, name, scale=None):
        args = {"org": name}
        if scale:
            args["risk_scale"] = scale
        self.c.ok("org.put", args)
        return name

    def effective(self, org, cid, *reqs):
        self.c.ok("control.put", {"org": org, "id": cid, "title": cid,
                                  "links": [{"framework": ISO, "id": r} for r in reqs]})
        self.c.ok("evidence.put", dict(evidence("EV-" + cid, [cid],
                                                collected_at="2026-01-01T00:00:00Z"), org=org))

    def count(self, method, args):
        return len(self.c.ok(method, args))

    # ---- the register ----

    def test_assets(self):
        org = self.org("isms-assets")
        st = self.c.ok("asset.put", {"org": org, "items": [
            {"id": "A1", "name": "CRM", "owner": "sales", "classification": "confidential"},
            {"id": "A2", "name": "Laptops"}]})
        self.assertEqual((st["created"], st["updated"]), (2, 0))
        self.assertEqual(self.c.ok("asset.put", {"org": org, "id": "A2", "name": "Laptops v2"})
                         ["updated"], 1)
        self.assertEqual(self.c.ok("asset.get", {"org": org, "id": "A1"}),
                         {"org": org, "id": "A1", "name": "CRM", "owner": "sales",
                          "classification": "confidential"})
        self.assertEqual([a["id"] for a in self.c.ok("asset.list", {"org": org})], ["A1", "A2"])
        self.assertCallError(self.c, "asset.get", {"org": org, "id": "A9"}, NOT_FOUND, field="id")
        self.assertCallError(self.c, "asset.put", {"org": org, "items": [{"id": "A3"},
                                                                          {"id": "A3"}]},
                             CONFLICT, field="items[1].id")
        self.assertCallError(self.c, "asset.put", {"org": "nobody", "id": "A1"}, NOT_FOUND,
                             field="org")
        # an asset a risk names stays
        self.c.ok("risk.put", {"org": org, "id": "R1", "title": "t", "assets": "A1",
                               "likelihood": 1, "impact": 1})
        self.assertCallError(self.c, "asset.delete", {"org": org, "id": "A1"}, CONFLICT,
                             field="id", contains="named by risk 'R1'")
        self.assertEqual(self.c.ok("asset.delete", {"org": org, "id": "A2"}), {"deleted": 1})
        self.assertEqual(self.count("asset.list", {"org": org}), 1)

    def test_risks_and_matrix(self):
        org = self.org("isms-risks")
        self.effective(org, "C1", "A.5.1")
        self.c.ok("asset.put", {"org": org, "id": "CRM"})
        risk = {"org": org, "id": "R1", "title": "Customer data leak", "assets": ["CRM"],
                "threat": "insider", "owner": "ciso", "likelihood": 4, "impact": 5,
                "residual_likelihood": 2, "residual_impact": 3, "treatment": "mitigate",
                "controls": ["C1"], "review_at": "2026-05-01T00:00:00Z"}
        self.assertEqual(self.c.ok("risk.put", risk)["created"], 1)
        r = self.c.ok("risk.get", {"org": org, "id": "R1", "as_of": T0})
        self.assertEqual((r["inherent"], r["residual"], r["treatment"]), (20, 6, "mitigate"))
        self.assertEqual((r["controls"], r["assets"], r["flags"]), (["C1"], ["CRM"], []))
        self.assertEqual(self.c.ok("risk.get", {"org": org, "id": "R1", "as_of": T1})["flags"],
                         ["review_overdue"])
        # bad input: off the scale, a treating control or asset that is not
        # the organisation's, an acceptance that ends before it began
        self.assertCallError(self.c, "risk.put", dict(risk, impact=6), INVALID_PARAMS,
                             field="impact", contains="outside the organisation's scale 1..5")
        self.assertCallError(self.c, "risk.put", dict(risk, likelihood=11), INVALID_PARAMS,
                             field="likelihood")
        self.assertCallError(self.c, "risk.put", dict(risk, controls=["C1", "C404"]),
                             INVALID_PARAMS, field="controls[1]",
                             contains="no control 'C404' in organisation")
        item = {k: v for k, v in risk.items() if k != "org"}
        self.assertCallError(self.c, "risk.put", {"org": org, "items": [
            dict(item, id="R2"), dict(item, id="R3", assets=["nope"])]},
            INVALID_PARAMS, field="items[1].assets[0]")
        self.assertCallError(self.c, "risk.put", dict(risk, accepted_by="ciso",
                                                      accepted_at="2026-02-01T00:00:00Z",
                                                      acceptance_expires="2026-01-01T00:00:00Z"),
                             INVALID_PARAMS, field="acceptance_expires")
        self.assertCallError(self.c, "risk.put", dict(risk, treatment="ignore"), INVALID_PARAMS,
                             field="treatment")
        self.assertEqual(self.count("risk.list", {"org": org}), 1)  # nothing of them written
        # an accepted risk whose acceptance expires; one nobody accepted
        self.c.ok("risk.put", {"org": org, "items": [
            {"id": "R2", "title": "Supplier outage", "likelihood": 2, "impact": 2,
             "treatment": "accept", "accepted_by": "board", "accepted_at": "2026-01-01T00:00:00Z",
             "acceptance_expires": "2026-04-01T00:00:00Z"},
            {"id": "R3", "title": "Flood", "likelihood": 1, "impact": 5, "treatment": "accept"}]})
        m = self.c.ok("risk.matrix", {"org": org, "as_of": T1})
        self.assertEqual((m["scale"], m["risks"]), (5, 3))
        self.assertEqual(m["inherent"][3][4], 1)  # R1: likelihood 4, impact 5
        self.assertEqual(m["residual"][1][2], 1)  # R1 after treatment: 2, 3
        self.assertEqual(m["residual"][1][1], 1)  # R2 unassessed: at its inherent cell
        self.assertEqual(m["residual_unassessed"], 2)
        self.assertEqual(m["flagged"], {"review_overdue": 1, "acceptance_expired": 1,
                                        "acceptance_pending": 1})
        self.assertEqual(sum(map(sum, m["inherent"])), 3)
        # the scale: a narrower one than a stored score is refused, a wider
        # one rescales the matrix
        self.assertCallError(self.c, "org.put", {"org": org, "risk_scale": 4}, CONFLICT,
                             field="risk_scale", contains="risk 'R1'")
        self.assertCallError(self.c, "org.put", {"org": org, "risk_scale": 11}, INVALID_PARAMS,
                             field="risk_scale")
        self.c.ok("org.put", {"org": org, "risk_scale": 7})
        self.assertEqual(self.c.ok("org.get", {"org": org})["risk_scale"], 7)
        self.c.ok("org.put", {"org": org, "name": "renamed"})  # keeps the scale
        self.assertEqual(len(self.c.ok("risk.matrix", {"org": org})["inherent"]), 7)
        self.c.ok("risk.put", dict(risk, impact=7))
        self.assertEqual(self.c.ok("risk.delete", {"org": org, "id": "R3"}), {"deleted": 1})
        self.assertCallError(self.c, "risk.delete", {"org": org, "id": "R3"}, NOT_FOUND,
                             field="id")

    # ---- audits and findings ----

    def test_audits_and_findings(self):
        org = self.org("isms-audits")
        audit = {"org": org, "id": "IA-1", "title": "Organisational controls",
                 "framework": ISO, "scope": ["A.5", "A.6.3"], "planned_start": T0,
                 "planned_end": T1, "auditor": "internal audit", "status": "planned"}
        self.assertEqual(self.c.ok("audit.put", audit)["created"], 1)
        got = self.c.ok("audit.get", {"org": org, "id": "IA-1"})
        self.assertEqual((got["scope"], got["status"], got["planned_end"]),
                         (["A.5", "A.6.3"], "planned", T1))
        self.assertCallError(self.c, "audit.put", dict(audit, scope=["A.5", "A.99"]),
                             NOT_FOUND, field="scope[1]")
        self.assertCallError(self.c, "audit.put", dict(audit, scope=[]), INVALID_PARAMS,
                             field="scope")
        self.assertCallError(self.c, "audit.put", dict(audit, framework="nope"), NOT_FOUND,
                             field="framework")
        self.assertCallError(self.c, "audit.put", dict(audit, planned_end="2026-01-01T00:00:00Z"),
                             INVALID_PARAMS, field="planned_end")
        finding = {"org": org, "id": "F1", "audit": "IA-1", "framework": ISO,
                   "requirement": "A.5.1", "kind": "minor_nc", "raised_at": T0,
                   "description": "policy not reviewed", "owner": "ciso"}
        self.c.ok("finding.put", finding)
        # a finding outside the audit's scope, on a group, not in the
        # catalogue, for another framework or audit: refused, naming it
        self.assertCallError(self.c, "finding.put", dict(finding, id="F2", requirement="A.8.1"),
                             INVALID_PARAMS, field="requirement",
                             contains="outside the scope of audit 'IA-1' (A.5, A.6.3)")
        self.assertCallError(self.c, "finding.put", dict(finding, id="F2", requirement="A.5"),
                             INVALID_PARAMS, field="requirement", contains="not assessed")
        self.assertCallError(self.c, "finding.put", dict(finding, id="F2", requirement="A.5.99"),
                             NOT_FOUND, field="requirement")
        self.assertCallError(self.c, "finding.put", dict(finding, id="F2", framework="soc2-2017"),
                             INVALID_PARAMS, field="framework")
        self.assertCallError(self.c, "finding.put", dict(finding, id="F2", audit="IA-9"),
                             INVALID_PARAMS, field="audit")
        # what each status asks
        self.assertCallError(self.c, "finding.put", dict(finding, status="action_planned"),
                             INVALID_PARAMS, field="corrective_action")
        self.assertCallError(self.c, "finding.put", dict(finding, closed_at=T1), INVALID_PARAMS,
                             field="status")
        self.assertCallError(self.c, "finding.put", dict(finding, status="verified",
                                                         corrective_action="fix"),
                             INVALID_PARAMS, field="effectiveness_checked_at")
        self.assertCallError(self.c, "finding.put", dict(finding, status="closed",
                                                         corrective_action="fix",
                                                         closed_at="2026-01-01T00:00:00Z"),
                             INVALID_PARAMS, field="closed_at")
        self.assertCallError(self.c, "finding.put", dict(finding, kind="grave"), INVALID_PARAMS,
                             field="kind")
        self.c.ok("finding.put", dict(finding, id="F3", requirement="A.6.3", kind="observation",
                                      due_at="2026-04-01T00:00:00Z"))
        f = self.c.ok("finding.get", {"org": org, "id": "F1", "as_of": T1})
        self.assertEqual((f["kind"], f["status"], f["open"], f["overdue"]),
                         ("minor_nc", "open", True, False))
        self.assertIs(self.c.ok("finding.get", {"org": org, "id": "F3", "as_of": T1})["overdue"],
                      True)
        self.assertIs(self.c.ok("finding.get", {"org": org, "id": "F1",
                                                "as_of": "2026-02-01T00:00:00Z"})["open"], False)
        self.assertEqual([x["id"] for x in self.c.ok("finding.list", {"org": org})], ["F1", "F3"])
        self.assertEqual([x["id"] for x in self.c.ok("finding.list", {
            "org": org, "requirement": "A.6.3"})], ["F3"])
        self.assertEqual(self.c.ok("finding.list", {"org": org, "audit": "IA-9"}), [])
        # the audit keeps what its findings need; with findings it stays
        self.assertCallError(self.c, "audit.put", dict(audit, scope=["A.5"]), CONFLICT,
                             field="scope", contains="finding 'F3'")
        self.assertCallError(self.c, "audit.delete", {"org": org, "id": "IA-1"}, CONFLICT,
                             field="id", contains="2 findings")
        self.assertEqual(self.c.ok("finding.delete", {"org": org, "id": "F1"}), {"deleted": 1})
        self.c.ok("finding.delete", {"org": org, "id": "F3"})
        self.assertEqual(self.c.ok("audit.delete", {"org": org, "id": "IA-1"}), {"deleted": 1})
        self.assertEqual(self.c.ok("audit.list", {"org": org}), [])
        self.assertCallError(self.c, "audit.checklist", {"org": org, "audit": "IA-1"}, NOT_FOUND,
                             field="audit")

    # ---- the Statement of Applicability ----

    def test_soa_reasons_and_versions(self):
        org = self.org("isms-soa")
        self.effective(org, "POL-1", "A.5.1")
        self.effective(org, "MOB-1", "A.6.7")
        self.c.ok("risk.put", {"org": org, "id": "R1", "title": "t", "likelihood": 2,
                               "impact": 2, "controls": ["POL-1"]})
        self.c.ok("scope.put", {"org": org, "items": [
            {"framework": ISO, "id": "A.5.2", "applicable": True, "justification": "law",
             "reasons": ["legal", "contractual"]},
            {"framework": ISO, "id": "A.7.1", "applicable": False,
             "justification": "no premises"},
            {"framework": ISO, "id": "A.7.2", "applicable": False}]})
        self.assertEqual(self.c.ok("scope.list", {"org": org})[0]["reasons"],
                         ["legal", "contractual"])
        self.assertCallError(self.c, "scope.put", {"org": org, "framework": ISO, "id": "A.7.3",
                                                   "applicable": False, "reasons": "legal"},
                             INVALID_PARAMS, field="applicable")
        self.assertCallError(self.c, "scope.put", {"org": org, "framework": ISO, "id": "A.7.3",
                                                   "applicable": True, "reasons": ["whim"]},
                             INVALID_PARAMS, field="reasons[0]")
        s = self.c.ok("soa.get", {"org": org})
        self.assertEqual((s["version"], s["versions"]), (None, []))
        a51 = soa_row(s, "A.5.1")
        self.assertEqual((a51["reasons"], a51["risks"]), (["risk"], ["R1"]))
        self.assertEqual(soa_row(s, "A.5.2")["reasons"], ["legal", "contractual"])
        self.assertEqual(soa_row(s, "A.6.7")["reasons"], [])
        why = {u["id"]: u["why"] for u in s["unjustified"]}
        self.assertEqual(why["A.6.7"], "included without a reason")
        self.assertEqual(why["A.7.2"], "excluded without a justification")
        self.assertNotIn("A.5.1", why)
        self.assertNotIn("A.7.1", why)
        self.assertEqual(s["controls_treating_no_risk"], ["MOB-1"])
        # refused over unjustified rows unless forced; versions go up
        self.assertCallError(self.c, "soa.approve", {"org": org, "version": 1,
                                                     "approver": "ciso"},
                             CONFLICT, field="force", contains="rows of the Statement")
        v1 = self.c.ok("soa.approve", {"org": org, "version": 1, "approver": "ciso",
                                       "force": True})
        self.assertEqual((v1["version"], v1["forced"], v1["unjustified"]),
                         (1, True, len(s["unjustified"])))
        self.assertCallError(self.c, "soa.approve", {"org": org, "version": 1, "approver": "x",
                                                     "force": True}, CONFLICT, field="version")
        self.assertCallError(self.c, "soa.approve", {"org": org, "version": 0, "approver": "x"},
                             INVALID_PARAMS, field="version")
        self.assertCallError(self.c, "soa.get", {"org": org, "version": 2}, NOT_FOUND,
                             field="version")
        self.assertCallError(self.c, "soa.get", {"org": org, "version": 1, "as_recorded": False, "as_of": T0},
                             INVALID_PARAMS, field="as_of")
        # a frozen version answers as approved, whatever comes after
        self.c.ok("risk.delete", {"org": org, "id": "R1"})
        frozen = self.c.ok("soa.get", {"org": org, "version": 1})
        self.assertEqual((frozen["version"], frozen["approver"], frozen["forced"]),
                         (1, "ciso", True))
        self.assertEqual(soa_row(frozen, "A.5.1")["risks"], ["R1"])
        self.assertEqual(len(frozen["controls"]), 93)
        self.assertEqual(frozen["sequence"], v1["sequence"])
        self.assertEqual(soa_row(self.c.ok("soa.get", {"org": org}), "A.5.1")["risks"], [])

    # ---- the whole loop ----

    def test_the_isms_loop(self):
        c = self.c
        org = self.org("isms-loop")
        # 1. assets and risks, treated by controls
        self.effective(org, "POL-1", "A.5.1")
        self.effective(org, "ACC-1", "A.5.15", "A.5.18")
        c.ok("asset.put", {"org": org, "items": [{"id": "CRM", "classification": "confidential"},
                                                 {"id": "IAM", "classification": "internal"}]})
        st = c.ok("risk.put", {"org": org, "items": [
            {"id": "R-LEAK", "title": "Customer data leak", "assets": ["CRM"], "likelihood": 4,
             "impact": 5, "residual_likelihood": 2, "residual_impact": 3,
             "treatment": "mitigate", "controls": ["ACC-1"]},
            {"id": "R-POLICY", "title": "Staff ignore the rules", "likelihood": 3, "impact": 3,
             "treatment": "mitigate", "controls": ["POL-1"]}]})
        self.assertEqual(st["created"], 2)
        self.assertEqual(c.ok("risk.matrix", {"org": org})["inherent"][3][4], 1)
        # 2. the SoA: the treated controls' rows carry "risk"; the rest need
        # a recorded reason or an exclusion before an approval stands
        soa = c.ok("soa.get", {"org": org})
        self.assertEqual(soa_row(soa, "A.5.15")["risks"], ["R-LEAK"])
        self.assertEqual(soa_row(soa, "A.5.1")["reasons"], ["risk"])
        self.assertEqual(soa["controls_treating_no_risk"], [])
        self.assertEqual(len(soa["unjustified"]), 90)
        self.assertCallError(c, "soa.approve", {"org": org, "version": 1, "approver": "ciso"},
                             CONFLICT, field="force")
        rest = [r for r in annex_a(c) if r not in ("A.5.1", "A.5.15", "A.5.18")]
        c.ok("scope.put", {"org": org, "items": [
            {"framework": ISO, "id": r, "applicable": r != "A.7.4",
             "justification": "no premises to monitor" if r == "A.7.4" else "policy",
             "reasons": [] if r == "A.7.4" else ["business"]} for r in rest]})
        soa = c.ok("soa.get", {"org": org})
        self.assertEqual(soa["unjustified"], [])
        self.assertEqual((soa["applicable"], soa["excluded"]), (92, 1))
        # 3. approve v1
        v1 = c.ok("soa.approve", {"org": org, "version": 1, "approver": "board"})
        self.assertEqual((v1["version"], v1["forced"], v1["unjustified"]), (1, False, 0))
        self.assertEqual([v["version"] for v in c.ok("soa.get", {"org": org})["versions"]], [1])
        # 4. the internal audit and its checklist
        c.ok("audit.put", {"org": org, "id": "IA-2026", "framework": ISO, "scope": ["A.5"],
                           "auditor": "internal audit", "status": "in_progress"})
        cl = c.ok("audit.checklist", {"org": org, "audit": "IA-2026", "as_of": T0})
        items = {i["id"]: i for i in cl["items"]}
        self.assertEqual(len(items), 37)  # the A.5 theme
        self.assertEqual((items["A.5.1"]["status"], items["A.5.1"]["controls"],
                          items["A.5.1"]["evidence"]), ("met", ["POL-1"], ["EV-POL-1"]))
        self.assertTrue(items["A.5.1"]["look_for"])
        self.assertEqual(items["A.5.2"]["status"], "gap")
        self.assertEqual(cl["counts"]["met"], 3)
        cov = c.ok("coverage.get", {"org": org, "framework": ISO, "as_recorded": False, "as_of": T0, "detail": True})
        met_before = cov["counts"]["met"]
        self.assertEqual(req_of(cov, "A.5.1")["status"], "met")
        # 5. a major nonconformity turns the met requirement failing
        nc = {"org": org, "id": "NC-1", "audit": "IA-2026", "framework": ISO,
              "requirement": "A.5.1", "kind": "major_nc", "raised_at": T0,
              "description": "policy not approved by management", "owner": "ciso"}
        c.ok("finding.put", nc)
        cov = c.ok("coverage.get", {"org": org, "framework": ISO, "as_recorded": False, "as_of": T0, "detail": True})
        a51 = req_of(cov, "A.5.1")
        self.assertEqual(a51["status"], "failing")
        self.assertEqual(a51["finding"], {"id": "NC-1", "audit": "IA-2026", "kind": "major_nc",
                                          "status": "open"})
        self.assertEqual(a51["findings"], ["NC-1"])
        self.assertIsNone(a51["decided_by"])
        self.assertEqual(cov["counts"]["met"], met_before - 1)
        # the day before it was raised, nothing had changed
        self.assertEqual(req_of(c.ok("coverage.get", {
            "org": org, "framework": ISO, "as_recorded": False, "as_of": "2026-02-28T23:59:59Z", "detail": True}),
            "A.5.1")["status"], "met")
        cl = c.ok("audit.checklist", {"org": org, "audit": "IA-2026", "as_of": T0})
        self.assertEqual([i["finding"]["id"] for i in cl["items"] if i["finding"]], ["NC-1"])
        gap = c.ok("gap.report", {"org": org, "target": ISO, "as_recorded": False, "as_of": T0, "max_hops": 1})
        g51 = [g for g in gap["gaps"] if g["id"] == "A.5.1"][0]
        self.assertEqual((g51["status"], g51["held"], [f["id"] for f in g51["findings"]]),
                         ("failing", True, ["NC-1"]))
        self.assertNotIn("A.5.1", [x for s in gap["plan"] for x in s["closes"]])
        # 6. the corrective action: planned, then overdue in the gap report
        nc.update(status="action_planned", corrective_action="board approves the policy",
                  root_cause="no approval step", due_at="2026-04-01T00:00:00Z")
        c.ok("finding.put", nc)
        gap = c.ok("gap.report", {"org": org, "target": ISO, "as_recorded": False, "as_of": T1, "max_hops": 1})
        self.assertEqual([f["id"] for f in gap["overdue_actions"]], ["NC-1"])
        self.assertIs(gap["overdue_actions"][0]["overdue"], True)
        self.assertEqual(c.ok("gap.report", {"org": org, "target": ISO, "as_recorded": False, "as_of": T0,
                                             "max_hops": 1})["overdue_actions"], [])
        # 7. verified: no longer overdue, but still open, so still failing
        nc.update(status="verified", effectiveness_checked_at="2026-05-01T00:00:00Z",
                  effectiveness="effective")
        c.ok("finding.put", nc)
        gap = c.ok("gap.report", {"org": org, "target": ISO, "as_recorded": False, "as_of": T1, "max_hops": 1})
        self.assertEqual(gap["overdue_actions"], [])
        self.assertEqual(req_of(c.ok("coverage.get", {"org": org, "framework": ISO,
                                                      "as_recorded": False, "as_of": T1, "detail": True}),
                                "A.5.1")["status"], "failing")
        # 8. closed: met again from the closing date on
        nc.update(status="closed", closed_at="2026-05-15T00:00:00Z")
        c.ok("finding.put", nc)
        cov = c.ok("coverage.get", {"org": org, "framework": ISO, "as_recorded": False, "as_of": T1, "detail": True})
        a51 = req_of(cov, "A.5.1")
        self.assertEqual((a51["status"], a51["finding"], a51["findings"]), ("met", None, []))
        self.assertEqual(cov["counts"]["met"], met_before)
        self.assertEqual(req_of(c.ok("coverage.get", {
            "org": org, "framework": ISO, "as_recorded": False, "as_of": "2026-05-14T00:00:00Z", "detail": True}),
            "A.5.1")["status"], "failing")
        # framework.compare never looked at findings
        self.assertGreater(c.ok("framework.compare", {"source": ISO, "target": ISO})["full"], 90)
        # and the SoA, approved again, shows the control implemented
        v2 = c.ok("soa.approve", {"org": org, "version": 2, "approver": "board"})
        self.assertGreater(v2["sequence"], v1["sequence"])
        self.assertEqual(soa_row(c.ok("soa.get", {"org": org, "version": 2}),
                                 "A.5.1")["status"], "met")
        self.assertEqual(soa_row(c.ok("soa.get", {"org": org, "version": 1}),
                                 "A.5.1")["status"], "met")
        self.assertTrue(c.ok("store.check")["consistent"])


if __name__ == "__main__":
    import unittest
    unittest.main()
