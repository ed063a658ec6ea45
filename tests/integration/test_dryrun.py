"""Bulk writes and dry runs (PROTOCOL.md, "Bulk writes and dry runs"):
every bulk method with dry_run answers the counts or the error the real
call gives and stores nothing; assume stands in for what earlier calls of
a load would write, and only for that call; an item equal to what is
stored is counted unchanged, not updated, on every bulk method."""
import unittest

from cwtest import FORBIDDEN, INVALID_PARAMS, NOT_FOUND, ServerTest, evidence, hash_token

ROW = {"source_framework": "dry-fw", "source": "D1", "target_framework": "iso27001-2022",
       "target": "A.5.1", "relationship": "subset_of", "origin": "dry-test"}
CATALOG = {"framework": "dry-fw", "name": "Dry", "requirements": [
    {"id": "D", "title": "group"}, {"id": "D1", "parent": "D", "title": "one"},
    {"id": "D2", "parent": "D", "title": "two"}]}


def counts(res):
    return {k: res[k] for k in ("created", "updated", "deleted", "rejected", "unchanged")}


class DryRunTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)

    def snapshot(self):
        """Everything a write could change, as the server answers it."""
        c = self.c
        info = c.ok("server.info")["counts"]
        orgs = c.ok("org.list")
        per_org = {o["org"]: (c.ok("control.list", {"org": o["org"]}),
                              c.ok("evidence.list", {"org": o["org"]}),
                              c.ok("scope.list", {"org": o["org"]})) for o in orgs}
        return info, orgs, per_org, c.ok("framework.list")

    def same_as_real(self, method, args):
        """The dry run answers what the real call then answers, and the
        store is unchanged in between."""
        before = self.snapshot()
        err, dry = self.c.call(method, dict(args, dry_run=True))
        self.assertEqual(self.snapshot(), before, "%s dry run wrote something" % method)
        err_real, real = self.c.call(method, args)
        if err_real is not None:
            self.assertEqual(err, err_real)
            return err_real
        self.assertIsNone(err, err)
        self.assertTrue(dry.pop("dry_run"))
        self.assertEqual(dry, real)
        return real

    def test_every_bulk_method(self):
        c = self.c
        res = self.same_as_real("catalog.load", CATALOG)
        self.assertEqual(counts(res)["created"], 3)
        res = self.same_as_real("mapping.load", {"mappings": [ROW]})
        self.assertEqual(res["created"], 1)
        res = self.same_as_real("org.put", {"org": "dry", "name": "Dry Ltd"})
        self.assertEqual(res, {"org": "dry", "created": True})
        res = self.same_as_real("control.put", {"org": "dry", "controls": [
            {"id": "C1", "links": [{"framework": "dry-fw", "id": "D1"}]}, {"id": "C2"}]})
        self.assertEqual(res["created"], 2)
        res = self.same_as_real("evidence.load", {"org": "dry", "items": [
            evidence("E1", ["C1"]), evidence("E2", ["C1", "C2"])]})
        self.assertEqual(res["created"], 2)
        res = self.same_as_real("evidence.put", dict(evidence("E3", ["C2"]), org="dry"))
        self.assertEqual(res["created"], 1)
        res = self.same_as_real("scope.put", {"org": "dry", "framework": "dry-fw", "id": "D2",
                                              "justification": "not used"})
        self.assertEqual(res["created"], 1)
        # the same again: unchanged everywhere, dry or not
        for method, args in (("catalog.load", CATALOG), ("mapping.load", {"mappings": [ROW]}),
                             ("control.put", {"org": "dry", "id": "C2"}),
                             ("evidence.put", dict(evidence("E3", ["C2"]), org="dry")),
                             ("scope.put", {"org": "dry", "framework": "dry-fw", "id": "D2",
                                            "justification": "not used"})):
            with self.subTest(method=method):
                res = self.same_as_real(method, args)
                self.assertEqual(res["updated"], 0)
                self.assertGreater(res["unchanged"], 0)
                self.assertEqual(res["created"], 0)
        self.assertFalse(self.same_as_real("org.put", {"org": "dry", "name": "Dry Ltd"})
                         ["created"])
        # a changed item is updated, beside an unchanged one
        res = c.ok("control.put", {"org": "dry", "controls": [{"id": "C1", "title": "new", "links": [
            {"framework": "dry-fw", "id": "D1"}]}, {"id": "C2"}]})
        self.assertEqual((res["updated"], res["unchanged"]), (1, 1))

    def test_dry_run_refusals_are_the_real_ones(self):
        c = self.c
        c.ok("org.put", {"org": "dry"})
        c.ok("control.put", {"org": "dry", "id": "C1"})
        cases = [
            ("control.put", {"org": "dry", "controls": [
                {"id": "C2"}, {"id": "C3", "links": [{"framework": "iso27001-2022",
                                                      "id": "A.99"}]}]}),
            ("evidence.load", {"org": "dry", "items": [evidence("E1", ["C1"]),
                                                       evidence("E2", ["NOPE"])]}),
            ("mapping.load", {"mappings": [dict(ROW, source_framework="iso27001-2022",
                                                source="A.5.2"), ROW]}),
            ("scope.put", {"org": "dry", "framework": "iso27001-2022", "id": "5.1"}),
            ("catalog.load", {"framework": "x", "requirements": [{"id": "a", "parent": "b"}]}),
            ("control.put", {"org": "nobody", "id": "C1"}),
        ]
        for method, args in cases:
            with self.subTest(method=method):
                err = self.same_as_real(method, args)
                self.assertIsNotNone(err)
        self.assertEqual([x["id"] for x in c.ok("control.list", {"org": "dry"})], ["C1"])

    def test_assume_stands_in_for_earlier_calls(self):
        c = self.c
        # a load of a new organisation, a new catalogue, controls naming it
        # and evidence backing them, each call dry: refused alone...
        ctl = {"org": "fresh", "controls": [{"id": "C1", "links": [
            {"framework": "dry-fw", "id": "D1"}]}], "dry_run": True}
        err, _ = c.call("control.put", ctl)
        self.assertError(err, NOT_FOUND, field="controls[0].org")
        # ...and passed with what the earlier calls provide
        assume = {"org": True, "requirements": [{"framework": "dry-fw", "id": "D"},
                                                {"framework": "dry-fw", "id": "D1"}]}
        res = c.ok("control.put", dict(ctl, assume=assume))
        self.assertEqual((res["created"], res["dry_run"]), (1, True))
        ev = {"org": "fresh", "items": [evidence("E1", ["C1"])], "dry_run": True}
        res = c.ok("evidence.load", dict(ev, assume={"org": True, "controls": ["C1"]}))
        self.assertEqual(res["created"], 1)
        # the checks stay the real ones for what is not assumed
        err, _ = c.call("evidence.load", dict(ev, assume={"org": True, "controls": ["C2"]}))
        self.assertError(err, NOT_FOUND, field="items[0].controls[0]")
        err, _ = c.call("control.put", dict(ctl, assume={"org": True}))
        self.assertError(err, INVALID_PARAMS, field="controls[0].links[0].framework")
        res = c.ok("mapping.load", {"mappings": [ROW], "dry_run": True,
                                    "assume": {"requirements": [{"framework": "dry-fw",
                                                                 "id": "D1"}]}})
        self.assertEqual(res["created"], 1)
        # nothing of it was written
        self.assertNotIn("fresh", [o["org"] for o in c.ok("org.list")])
        self.assertNotIn("dry-fw", [f["framework"] for f in c.ok("framework.list")])
        # assume only beside dry_run, and checked like any argument
        err, _ = c.call("mapping.load", {"mappings": [ROW], "assume": {}})
        self.assertError(err, INVALID_PARAMS, field="assume")
        err, _ = c.call("mapping.load", {"mappings": [ROW], "dry_run": True,
                                         "assume": {"requirements": [{"framework": "x"}]}})
        self.assertError(err, INVALID_PARAMS, field="assume.requirements[0].id")
        err, _ = c.call("control.put", dict(ctl, assume={"org": True, "controls": [""]}))
        self.assertError(err, INVALID_PARAMS, field="assume.controls[0]")

    def test_a_dry_run_needs_the_rights_of_the_write(self):
        auth = self.tmp + "/tokens"
        with open(auth, "w") as f:
            f.write("%s auditor acme aud\n" % hash_token("tok-auditor"))
            f.write("%s editor acme ed\n" % hash_token("tok-editor"))
        srv = self.start("--auth", auth, tmpdir=self.tmp + "/a")
        aud = srv.client()
        self.addCleanup(aud.close)
        aud.ok("auth", {"token": "tok-auditor"})
        err, _ = aud.call("control.put", {"org": "acme", "id": "C1", "dry_run": True,
                                          "assume": {"org": True}})
        self.assertError(err, FORBIDDEN)
        ed = srv.client()
        self.addCleanup(ed.close)
        ed.ok("auth", {"token": "tok-editor"})
        err, _ = ed.call("mapping.load", {"mappings": [ROW], "dry_run": True})
        self.assertError(err, FORBIDDEN)
        res = ed.ok("control.put", {"org": "acme", "id": "C1", "dry_run": True,
                                    "assume": {"org": True}})
        self.assertEqual(res["created"], 1)


if __name__ == "__main__":
    unittest.main()
