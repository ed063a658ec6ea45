"""Every method of crosswalkd, success and error paths, against the real
server with the shipped frameworks loaded on first start."""
import csv
import os
import re
import unittest

import msgpack

from cwtest import (CONFLICT, INVALID_PARAMS, METHOD_NOT_FOUND,
                    NOT_FOUND, SHIPPED, SharedServerTest, evidence)

T2025 = "2025-06-01T00:00:00Z"


def shipped_rows(name):
    """Rows of a shipped crosswalk file (frameworks/NAME.crosswalk.csv)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "frameworks",
                        name + ".crosswalk.csv")
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def natural(ident):
    """Requirement ids order naturally: A.5.9 before A.5.10."""
    return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", ident)]


def expand_compact(answer):
    """The full form of a detail: "compact" coverage answer (PROTOCOL.md,
    "Compact detail"), for comparing with detail: true."""
    a = dict(answer)
    steps, paths, rows = a.pop("steps"), a.pop("paths"), a.pop("rows")

    def step(s):
        d = {"framework": s[0], "id": s[1], "relationship": s[2], "strength": s[3],
             "origin": s[4], "rationale": s[5]}
        if s[6] is not None:
            d["note"] = s[6]
        return d

    def path(i):
        if i is None:
            return None
        p = paths[i]
        return {"from": {"framework": p[0], "id": p[1]}, "steps": [step(steps[k]) for k in p[2]],
                "composed": p[3], "strength": p[4], "inferred": p[5], "hops": len(p[2])}

    def member_contribution(m):
        if m is None:
            return None
        d = {"control": m[0], "state": m[1], "via": m[2]}
        if m[3] is not None:
            d["path"] = path(m[3])
        d["evidence"] = m[4]
        return d

    def contribution(c):
        if c[0] == "joint":
            d = {"level": c[1], "via": "joint"}
            if c[2] is not None:
                d["reached_group"] = c[2]
            d["gives"] = c[3]
            members = []
            for m in c[8]:
                md = {"id": m[0], "status": m[1]}
                if m[2] is not None:
                    md["why"] = m[2]
                if m[3] is not None:
                    md["lowest"] = m[3]
                md["contribution"] = member_contribution(m[4])
                members.append(md)
            d["joint"] = {"row": rows[c[4]], "gives": c[5], "in_place": c[6], "of": c[7],
                          "members": members}
            return d
        d = {"control": c[1], "state": c[2], "level": c[3], "via": c[0],
             "link": None if c[4] is None else {"framework": c[4][0], "id": c[4][1],
                                                 "level": c[4][2]},
             "path": path(c[5])}
        if c[7] is not None:
            d["reached_group"] = c[7]
        d["evidence"] = c[6]
        return d

    a["requirements"] = [dict(r, contributions=[contribution(c) for c in r["contributions"]])
                         for r in a["requirements"]]
    return a


class MethodsTest(SharedServerTest):
    """One server for the class; the tests use distinct organisations so
    that their order does not matter."""
    TMP_PREFIX = "cwit-m-"

    def org(self, slug, name=None):
        res = self.c.ok("org.put", {"org": slug, "name": name or slug.title()})
        self.assertEqual(res["org"], slug)
        return slug

    # ---- server ----
    def test_ping(self):
        self.assertEqual(self.c.call("ping"), (None, "pong"))
        self.assertEqual(self.c.call("ping", {}), (None, "pong"))
        self.assertCallError(self.c, "ping", {"x": 1}, INVALID_PARAMS, field="x",
                             contains="unknown argument")

    def test_method_not_found(self):
        err = self.assertCallError(self.c, "no.such.method", None, METHOD_NOT_FOUND)
        self.assertIn("no.such.method", err[1])
        self.assertCallError(self.c, "pin", None, METHOD_NOT_FOUND)
        self.assertCallError(self.c, "pingg", None, METHOD_NOT_FOUND)
        self.assertCallError(self.c, "", None, METHOD_NOT_FOUND)
        self.assertEqual(self.c.call("ping"), (None, "pong"))

    def test_server_info(self):
        info = self.c.ok("server.info")
        self.assertIsInstance(info["version"], str)
        self.assertIsInstance(info["schema_version"], int)
        self.assertGreaterEqual(info["uptime_s"], 0)
        self.assertFalse(info["auth_required"])
        lim = info["limits"]
        self.assertEqual(lim["max_message"], 16 << 20)
        self.assertEqual(lim["max_depth"], 32)
        self.assertEqual(lim["max_connections"], 4096)
        self.assertEqual(lim["max_output"], 64 << 20)
        self.assertEqual(lim["max_hops"], 3)
        self.assertEqual(info["counts"]["frameworks"] >= 5, True)
        self.assertGreater(info["counts"]["requirements"], 500)
        self.assertGreater(info["counts"]["mappings"], 100)
        codes = {e["code"]: e["name"] for e in info["errors"]}
        self.assertEqual(codes, {1: "parse_error", 2: "invalid_request", 3: "method_not_found",
                                 4: "invalid_params", 5: "not_found", 6: "conflict",
                                 7: "unauthenticated", 8: "forbidden", 9: "too_large",
                                 10: "overloaded", 11: "storage_full", 12: "internal"})
        for e in info["errors"]:
            self.assertTrue(e["meaning"])
        # every key of every map in the answer is a string
        def keys_are_str(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    self.assertIsInstance(k, str)
                    keys_are_str(v)
            elif isinstance(o, list):
                for v in o:
                    keys_are_str(v)
        keys_are_str(info)
        self.assertCallError(self.c, "server.info", {"verbose": True}, INVALID_PARAMS,
                             field="verbose")

    def test_server_stats(self):
        with self.srv.client() as c2:
            c2.ok("ping")
            c2.call("framework.get", {"framework": "nope"})
            st = c2.ok("server.stats")
        self.assertGreaterEqual(st["methods"]["ping"]["requests"], 1)
        self.assertGreaterEqual(st["methods"]["framework.get"]["errors"], 1)
        self.assertTrue(st["latency_us"])
        for k, v in st["latency_us"].items():
            self.assertTrue(k.startswith("le_"), k)
            self.assertGreater(v, 0)
        self.assertGreaterEqual(st["connections"], 2)
        self.assertGreaterEqual(st["connections_total"], 2)
        self.assertGreater(st["bytes_in"], 0)
        self.assertGreater(st["bytes_out"], 0)
        for k in ("commits", "writes_committed", "unknown_methods", "protocol_errors"):
            self.assertIsInstance(st[k], int)
        self.assertCallError(self.c, "server.stats", {"x": 1}, INVALID_PARAMS, field="x")

    def test_auth_without_auth_config(self):
        res = self.c.ok("auth", {"token": "anything"})
        self.assertEqual(res["role"], "admin")
        self.assertCallError(self.c, "auth", None, INVALID_PARAMS, field="token")
        self.assertCallError(self.c, "auth", {"token": 42}, INVALID_PARAMS, field="token")

    # ---- catalogues ----
    def test_framework_list(self):
        fws = self.c.ok("framework.list")
        slugs = [f["framework"] for f in fws]
        for s in SHIPPED:
            self.assertIn(s, slugs)
        self.assertEqual(slugs, sorted(slugs))
        for f in fws:
            if f["framework"] in SHIPPED:
                self.assertGreater(f["requirements"], 0)
                self.assertGreater(f["leaves"], 0)
                self.assertLessEqual(f["leaves"], f["requirements"])
                self.assertTrue(f["name"])
        self.assertCallError(self.c, "framework.list", {"framework": "x"}, INVALID_PARAMS,
                             field="framework")

    def test_framework_get(self):
        f = self.c.ok("framework.get", {"framework": "iso27001-2022"})
        self.assertEqual(f["framework"], "iso27001-2022")
        self.assertEqual(f["leaves"], 123)
        self.assertCallError(self.c, "framework.get", {"framework": "nope"}, NOT_FOUND,
                             field="framework")
        self.assertCallError(self.c, "framework.get", None, INVALID_PARAMS, field="framework")
        self.assertCallError(self.c, "framework.get", {}, INVALID_PARAMS, field="framework")
        self.assertCallError(self.c, "framework.get", {"framework": 7}, INVALID_PARAMS,
                             field="framework", contains="expected a string")
        self.assertCallError(self.c, "framework.get", {"framework": ["a"]}, INVALID_PARAMS,
                             field="framework")

    def test_requirement_get(self):
        r = self.c.ok("requirement.get", {"framework": "iso27001-2022", "id": "A.5.1"})
        self.assertEqual((r["framework"], r["id"], r["parent"]), ("iso27001-2022", "A.5.1", "A.5"))
        self.assertTrue(r["leaf"])
        self.assertEqual(r["children"], [])
        self.assertIn("Preventive", r["attributes"]["control_type"])
        g = self.c.ok("requirement.get", {"framework": "iso27001-2022", "id": "A.5"})
        self.assertFalse(g["leaf"])
        self.assertIn("A.5.1", g["children"])
        self.assertCallError(self.c, "requirement.get",
                             {"framework": "iso27001-2022", "id": "A.99.99"}, NOT_FOUND)
        self.assertCallError(self.c, "requirement.get", {"framework": "nope", "id": "A.5.1"},
                             NOT_FOUND)
        self.assertCallError(self.c, "requirement.get", {"framework": "iso27001-2022"},
                             INVALID_PARAMS, field="id")
        self.assertCallError(self.c, "requirement.get", {"framework": "iso27001-2022", "id": 1},
                             INVALID_PARAMS, field="id")

    def test_requirement_search(self):
        r = self.c.ok("requirement.search", {"text": "a.5.1"})
        # the whole id first (both ISO editions have an A.5.1), then ids
        # starting with it, then the rest
        self.assertEqual([(m["framework"], m["id"]) for m in r["matches"][:2]],
                         [("iso27001-2013", "A.5.1"), ("iso27001-2022", "A.5.1")])
        self.assertEqual(r["matches"][1]["match"], "id")
        kinds = [m["match"] for m in r["matches"]]
        order = ["id", "id_start", "id_part", "title", "description"]
        self.assertEqual(kinds, sorted(kinds, key=order.index))
        self.assertIn(("iso27001-2022", "A.5.10"),
                      [(m["framework"], m["id"]) for m in r["matches"] if m["match"] == "id_start"])
        # titles, any case, within one framework; count is every match
        r = self.c.ok("requirement.search", {"text": "ACCESS", "framework": "iso27001-2022",
                                             "limit": 2})
        self.assertEqual(len(r["matches"]), 2)
        self.assertGreater(r["count"], 2)
        self.assertTrue(all(m["framework"] == "iso27001-2022" for m in r["matches"]))
        self.assertTrue(all("access" in (m["title"] or "").lower() or m["match"].startswith("id")
                            for m in r["matches"]))
        every = self.c.ok("requirement.search", {"text": "access", "framework": "iso27001-2022",
                                                 "limit": 10000})
        self.assertEqual(len(every["matches"]), every["count"])
        self.assertEqual(self.c.ok("requirement.search", {"text": "no such words here"}),
                         {"count": 0, "matches": []})
        # bad input
        self.assertCallError(self.c, "requirement.search", {}, INVALID_PARAMS, field="text")
        self.assertCallError(self.c, "requirement.search", {"text": ""}, INVALID_PARAMS,
                             field="text")
        self.assertCallError(self.c, "requirement.search", {"text": "x", "limit": 0},
                             INVALID_PARAMS, field="limit")
        self.assertCallError(self.c, "requirement.search", {"text": "x", "framework": "nope"},
                             NOT_FOUND)

    def test_requirement_list_filters(self):
        fw = "iso27001-2022"
        every = self.c.ok("requirement.list", {"framework": fw})
        self.assertEqual(len(every), 138)
        leaves = self.c.ok("requirement.list", {"framework": fw, "leaves_only": True})
        self.assertEqual(len(leaves), 123)
        self.assertTrue(all(r["leaf"] for r in leaves))
        kids = self.c.ok("requirement.list", {"framework": fw, "parent": "A.5"})
        self.assertTrue(kids)
        self.assertTrue(all(r["parent"] == "A.5" for r in kids))
        self.assertIn("A.5.1", [r["id"] for r in kids])
        clauses = self.c.ok("requirement.list", {"framework": fw, "kind": "clause"})
        self.assertTrue(clauses)
        self.assertTrue(all(r["kind"] == "clause" for r in clauses))
        prev = self.c.ok("requirement.list",
                         {"framework": fw, "attribute": "control_type=Preventive"})
        self.assertTrue(prev)
        self.assertLess(len(prev), len(leaves))
        for r in prev:
            self.assertIn("Preventive", r["attributes"]["control_type"])
        anyct = self.c.ok("requirement.list", {"framework": fw, "attribute": "control_type"})
        self.assertGreaterEqual(len(anyct), len(prev))
        none = self.c.ok("requirement.list",
                         {"framework": fw, "attribute": "control_type=NoSuchValue"})
        self.assertEqual(none, [])
        cobit = self.c.ok("requirement.list", {"framework": "cobit-2019"})
        self.assertEqual(len(cobit), 276)
        self.assertCallError(self.c, "requirement.list", {"framework": "nope"}, NOT_FOUND)
        self.assertCallError(self.c, "requirement.list", {}, INVALID_PARAMS, field="framework")
        self.assertCallError(self.c, "requirement.list", {"framework": fw, "leaves_only": "yes"},
                             INVALID_PARAMS, field="leaves_only")
        self.assertCallError(self.c, "requirement.list", {"framework": fw, "depth": 2},
                             INVALID_PARAMS, field="depth")

    def test_catalog_load_delete(self):
        reqs = [
            {"id": "T", "kind": "domain", "title": "Top"},
            {"id": "T.1", "parent": "T", "kind": "control", "title": "One",
             "attributes": {"colour": ["red", "blue"]}},
            {"id": "T.2", "parent": "T", "kind": "control", "title": "Two",
             "description": "second"},
        ]
        st = self.c.ok("catalog.load", {"framework": "test-cat", "name": "Test catalogue",
                                        "version": "1", "publisher": "us",
                                        "requirements": reqs})
        self.assertEqual(st["created"], 3)
        self.assertEqual(st["rejected"], 0)
        f = self.c.ok("framework.get", {"framework": "test-cat"})
        self.assertEqual((f["requirements"], f["leaves"]), (3, 2))
        self.assertIn("test-cat", [x["framework"] for x in self.c.ok("framework.list")])
        r = self.c.ok("requirement.get", {"framework": "test-cat", "id": "T.1"})
        self.assertEqual(r["attributes"], {"colour": ["red", "blue"]})
        # idempotent upsert
        st = self.c.ok("catalog.load", {"framework": "test-cat", "requirements": reqs})
        self.assertEqual(st["created"], 0)
        # replace drops what is not in the new list
        st = self.c.ok("catalog.load", {"framework": "test-cat", "replace": True,
                                        "requirements": reqs[:2]})
        f = self.c.ok("framework.get", {"framework": "test-cat"})
        self.assertEqual(f["requirements"], 2)
        # errors name the item and the field; a bad bulk changes nothing
        self.assertCallError(self.c, "catalog.load",
                             {"framework": "test-cat", "requirements": [{"title": "x"}]},
                             INVALID_PARAMS, field=r"requirements[0].id")
        self.assertCallError(self.c, "catalog.load",
                             {"framework": "test-cat", "requirements": [{"id": "Z"}, 5]},
                             INVALID_PARAMS, field="requirements[1]")
        self.assertCallError(self.c, "catalog.load", {"framework": "test-cat"},
                             INVALID_PARAMS, field="requirements")
        self.assertCallError(self.c, "catalog.load",
                             {"framework": "test-cat", "requirements": "T"},
                             INVALID_PARAMS, field="requirements")
        self.assertCallError(self.c, "catalog.load",
                             {"framework": "test-cat", "requirements": [], "replace": 1},
                             INVALID_PARAMS, field="replace")
        self.assertCallError(self.c, "catalog.load",
                             {"framework": "test-cat", "requirements": [
                                 {"id": "Q", "attributes": {"a": 5}}]},
                             INVALID_PARAMS, field="requirements[0].attributes.a")
        self.assertIsNotNone(self.c.call("requirement.get",
                                         {"framework": "test-cat", "id": "Z"})[0])
        st = self.c.ok("catalog.delete", {"framework": "test-cat"})
        self.assertGreaterEqual(st["deleted"], 1)
        self.assertCallError(self.c, "framework.get", {"framework": "test-cat"}, NOT_FOUND)
        self.assertCallError(self.c, "catalog.delete", {"framework": "test-cat"}, NOT_FOUND)
        self.assertCallError(self.c, "catalog.delete", {}, INVALID_PARAMS, field="framework")

    # ---- crosswalks ----
    def test_mappings(self):
        self.c.ok("catalog.load", {"framework": "map-a", "requirements": [
            {"id": "M1", "title": "m1"}, {"id": "M2", "title": "m2"}]})
        m = {"source_framework": "map-a", "source": "M1", "target_framework": "iso27001-2022",
             "target": "A.5.1", "relationship": "equal", "origin": "test", "strength": 7,
             "rationale": "semantic"}
        st = self.c.ok("mapping.load", {"mappings": [m]})
        self.assertEqual(st["created"], 1)
        paths = self.c.ok("mapping.list", {"framework": "map-a", "id": "M1"})
        direct = [p for p in paths if not p["inferred"]]
        self.assertEqual(len(direct), 1)
        self.assertEqual(direct[0]["steps"][0]["id"], "A.5.1")
        self.assertEqual(direct[0]["composed"], "equal")
        self.assertEqual(direct[0]["strength"], 7)
        # readable from the other end, inverse relationship
        back = self.c.ok("mapping.list", {"framework": "iso27001-2022", "id": "A.5.1",
                                          "target_framework": "map-a"})
        self.assertEqual([(p["steps"][-1]["id"], p["composed"]) for p in back
                          if not p["inferred"]], [("M1", "equal")])
        # inferred two-hop paths through the shipped crosswalks
        two = self.c.ok("mapping.list", {"framework": "map-a", "id": "M1", "max_hops": 2})
        inferred = [p for p in two if p["inferred"]]
        self.assertTrue(inferred)
        self.assertTrue(all(p["hops"] == 2 and len(p["steps"]) == 2 for p in inferred))
        self.assertCallError(self.c, "mapping.list", {"framework": "map-a", "max_hops": 4},
                             INVALID_PARAMS, field="max_hops")
        self.assertCallError(self.c, "mapping.list", {"framework": "map-a", "max_hops": 0},
                             INVALID_PARAMS, field="max_hops")
        self.assertCallError(self.c, "mapping.list", {"framework": "map-a", "max_hops": "2"},
                             INVALID_PARAMS, field="max_hops")
        self.assertCallError(self.c, "mapping.list", {"framework": "no-fw"}, NOT_FOUND)
        self.assertCallError(self.c, "mapping.list", {}, INVALID_PARAMS, field="framework")
        # bad rows, atomic
        bad = dict(m, relationship="same_as")
        self.assertCallError(self.c, "mapping.load", {"mappings": [bad]}, INVALID_PARAMS,
                             field="mappings[0].relationship")
        self.assertCallError(self.c, "mapping.load", {"mappings": [dict(m, strength=11)]},
                             INVALID_PARAMS, field="mappings[0].strength")
        nosrc = dict(m)
        del nosrc["source"]
        self.assertCallError(self.c, "mapping.load", {"mappings": [nosrc]}, INVALID_PARAMS,
                             field="mappings[0].source")
        dangling = dict(m, source="M1", target="A.77.1")
        m2 = dict(m, source="M2", relationship="subset_of")
        err, _ = self.c.call("mapping.load", {"mappings": [m2, dangling]})
        self.assertIsNotNone(err)
        self.assertIn(err[0], (INVALID_PARAMS, NOT_FOUND))
        self.assertIn("mappings[1]", err[1])
        self.assertEqual([p for p in self.c.ok("mapping.list", {"framework": "map-a",
                                                                "id": "M2"})], [])
        self.assertCallError(self.c, "mapping.load", {"mappings": {}}, INVALID_PARAMS,
                             field="mappings")
        # check: the shipped crosswalks are consistent; a conflict is found
        chk = self.c.ok("mapping.check", {"framework": "map-a"})
        self.assertEqual(chk["count"], len(chk["findings"]))
        self.c.ok("mapping.load", {"mappings": [dict(m, relationship="subset_of",
                                                     origin="other")]})
        chk = self.c.ok("mapping.check", {"framework": "map-a"})
        self.assertGreaterEqual(chk["count"], 1)
        self.assertIn("conflict", [f["kind"] for f in chk["findings"]])
        self.assertCallError(self.c, "mapping.check", {"framework": 3}, INVALID_PARAMS,
                             field="framework")
        # delete by origin, then all of map-a
        st = self.c.ok("mapping.delete", {"source_framework": "map-a", "origin": "other"})
        self.assertEqual(st["deleted"], 1)
        st = self.c.ok("mapping.delete", {"framework": "map-a"})
        self.assertEqual(st["deleted"], 1)
        self.assertEqual(self.c.ok("mapping.list", {"framework": "map-a"}), [])
        self.assertCallError(self.c, "mapping.delete", {"source": 1}, INVALID_PARAMS,
                             field="source")
        self.c.ok("catalog.delete", {"framework": "map-a"})

    def test_mapping_check_shipped(self):
        chk = self.c.ok("mapping.check")
        self.assertEqual(chk["count"], len(chk["findings"]))
        for f in chk["findings"]:
            self.assertIn("kind", f)

    def test_mapping_export_round_trip(self):
        # Rows come back as stored (SOC 2 -> ISO), one per origin, whichever
        # end is asked for; loading them again only updates.
        rows = self.c.ok("mapping.export", {"framework": "iso27001-2022",
                                            "target_framework": "soc2-2017"})
        want = shipped_rows("soc2-2017__iso27001-2022") + shipped_rows("iso27001-2022__soc2-2017")
        self.assertEqual(len(rows), want)
        self.assertTrue(all(r["origin"] for r in rows))
        self.assertTrue(any(isinstance(r["source"], list) for r in rows), "joint rows too")
        res = self.c.ok("mapping.load", {"mappings": [
            {k: v for k, v in r.items() if v is not None} for r in rows]})
        self.assertEqual((res["created"], res["updated"], res["unchanged"]), (0, 0, want))
        err, _ = self.c.call("mapping.export", {"framework": "nope"})
        self.assertError(err, NOT_FOUND)
        err, _ = self.c.call("mapping.export", {"framework": 7})
        self.assertError(err, INVALID_PARAMS)

    # ---- organisations ----
    def test_org(self):
        res = self.c.ok("org.put", {"org": "org-t", "name": "Org T"})
        self.assertEqual(res, {"org": "org-t", "created": True})
        res = self.c.ok("org.put", {"org": "org-t", "name": "Org T renamed"})
        self.assertFalse(res["created"])
        self.assertEqual(self.c.ok("org.get", {"org": "org-t"}),
                         {"org": "org-t", "name": "Org T renamed", "risk_scale": 5})
        self.assertIn({"org": "org-t", "name": "Org T renamed"}, self.c.ok("org.list"))
        self.assertCallError(self.c, "org.get", {"org": "org-none"}, NOT_FOUND, field="org")
        self.assertCallError(self.c, "org.put", {"name": "x"}, INVALID_PARAMS, field="org")
        self.assertCallError(self.c, "org.put", {"org": 5}, INVALID_PARAMS, field="org")
        self.assertCallError(self.c, "org.put", {"org": "x", "nmae": "typo"}, INVALID_PARAMS,
                             field="nmae")
        self.c.ok("org.delete", {"org": "org-t"})
        self.assertCallError(self.c, "org.get", {"org": "org-t"}, NOT_FOUND)
        self.assertNotIn("org-t", [o["org"] for o in self.c.ok("org.list")])
        self.assertCallError(self.c, "org.delete", {"org": "org-t"}, NOT_FOUND)

    def test_controls(self):
        org = self.org("org-c")
        st = self.c.ok("control.put", {"org": org, "id": "C1", "title": "Policy",
                                       "owner": "ciso", "links": [
                                           {"framework": "iso27001-2022", "id": "A.5.1"},
                                           {"framework": "nist-csf-2.0", "id": "GV.PO-01",
                                            "level": "partial"}]})
        self.assertEqual(st["created"], 1)
        st = self.c.ok("control.put", {"org": org, "controls": [
            {"id": "C2", "status": "planned",
             "links": [{"framework": "iso27001-2022", "id": "A.5.2"}]},
            {"id": "C3", "status": "not_implemented"}]})
        self.assertEqual(st["created"], 2)
        st = self.c.ok("control.put", {"org": org, "id": "C1", "title": "Policy v2",
                                       "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]})
        self.assertEqual((st["created"], st["updated"]), (0, 1))
        c1 = self.c.ok("control.get", {"org": org, "id": "C1"})
        self.assertEqual(c1["title"], "Policy v2")
        self.assertEqual(c1["status"], "implemented")
        self.assertEqual(c1["links"], [{"framework": "iso27001-2022", "id": "A.5.1",
                                        "level": "full"}])
        self.assertEqual(c1["state"], "unverified")
        self.assertEqual(c1["evidence"], [])
        lst = self.c.ok("control.list", {"org": org})
        self.assertEqual([c["id"] for c in lst], ["C1", "C2", "C3"])
        self.assertEqual(lst[1]["status"], "planned")
        # errors
        self.assertCallError(self.c, "control.put",
                             {"org": org, "id": "C4", "links": [
                                 {"framework": "iso27001-2022", "id": "A.9.9"}]},
                             INVALID_PARAMS, field="links[0].id", contains="A.9.9")
        self.assertCallError(self.c, "control.put",
                             {"org": org, "controls": [{"id": "C5"}, {"id": "C6", "links": [
                                 {"framework": "iso27001-2022", "id": "A.9.9"}]}]},
                             INVALID_PARAMS, field="controls[1].links[0].id")
        self.assertCallError(self.c, "control.get", {"org": org, "id": "C5"}, NOT_FOUND)
        self.assertCallError(self.c, "control.put", {"org": org, "id": "C4", "status": "done"},
                             INVALID_PARAMS, field="status")
        self.assertCallError(self.c, "control.put",
                             {"org": org, "id": "C4",
                              "links": [{"framework": "iso27001-2022", "id": "A.5.1",
                                         "level": "most"}]},
                             INVALID_PARAMS, field="links[0].level")
        self.assertCallError(self.c, "control.put", {"org": org, "id": "C4", "links": "A.5.1"},
                             INVALID_PARAMS, field="links")
        self.assertCallError(self.c, "control.put", {"org": org}, INVALID_PARAMS, field="id")
        self.assertCallError(self.c, "control.put", {"org": org, "controls": [{"id": "D"},
                                                                              {"id": "D"}]},
                             CONFLICT)
        self.assertCallError(self.c, "control.put", {"org": "org-none", "id": "C1"}, NOT_FOUND,
                             field="org")
        self.assertCallError(self.c, "control.get", {"org": org, "id": "C9"}, NOT_FOUND,
                             field="id")
        self.assertCallError(self.c, "control.get", {"org": org}, INVALID_PARAMS, field="id")
        self.assertCallError(self.c, "control.get", {"org": org, "id": "C1", "as_recorded": False, "as_of": "soon"},
                             INVALID_PARAMS, field="as_of")
        self.assertCallError(self.c, "control.list", {"org": "org-none"}, NOT_FOUND)
        self.assertEqual(self.c.ok("control.delete", {"org": org, "id": "C3"}), {"deleted": 1})
        self.assertCallError(self.c, "control.delete", {"org": org, "id": "C3"}, NOT_FOUND)
        self.assertEqual([c["id"] for c in self.c.ok("control.list", {"org": org})],
                         ["C1", "C2"])

    def test_evidence(self):
        org = self.org("org-e")
        self.c.ok("control.put", {"org": org, "controls": [
            {"id": "C1", "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]},
            {"id": "C2", "links": [{"framework": "iso27001-2022", "id": "A.5.2"}]}]})
        st = self.c.ok("evidence.put", evidence(
            "E1", ["C1", "C2"], collected_at=T2025, kind="document", title="Policy",
            source="wiki", uri="https://x/y", sha256="ab" * 32, valid_until=2000000000,
            org=org))
        self.assertEqual(st["created"], 1)
        e1 = self.c.ok("evidence.get", {"org": org, "id": "E1"})
        self.assertEqual(e1["controls"], ["C1", "C2"])
        self.assertEqual(e1["collected_at"], T2025)
        self.assertEqual(e1["valid_until"], "2033-05-18T03:33:20Z")
        self.assertEqual((e1["kind"], e1["result"], e1["org"]), ("document", "pass", org))
        st = self.c.ok("evidence.load", {"org": org, "items": [
            evidence("E2", "C1", result="fail", collected_at=1600000000),
            evidence("E3", ["C2"], result="unknown", collected_at="2024-01-01T10:00:00+02:00")]})
        self.assertEqual(st["created"], 2)
        self.assertEqual(self.c.ok("evidence.get", {"org": org, "id": "E3"})["collected_at"],
                         "2024-01-01T08:00:00Z")
        self.assertEqual(len(self.c.ok("evidence.list", {"org": org})), 3)
        by_c1 = self.c.ok("evidence.list", {"org": org, "control": "C1"})
        self.assertEqual(sorted(e["id"] for e in by_c1), ["E1", "E2"])
        c1 = self.c.ok("control.get", {"org": org, "id": "C1"})
        self.assertEqual(c1["state"], "effective")
        self.assertIn("E1", c1["evidence"])
        # as_of before E1: the failing E2 decides
        c1 = self.c.ok("control.get", {"org": org, "id": "C1", "as_recorded": False, "as_of": 1650000000})
        self.assertEqual(c1["state"], "failing")
        # errors; a bad bulk is all or nothing
        self.assertCallError(self.c, "evidence.load", {"org": org, "items": [
            evidence("E4", "C1"), evidence("E5", ["CX"])]}, NOT_FOUND,
            field="items[1].controls[0]")
        self.assertCallError(self.c, "evidence.get", {"org": org, "id": "E4"}, NOT_FOUND,
                             field="id")
        self.assertCallError(self.c, "evidence.put", dict(evidence("E6", "C1", result="maybe"),
                                                          org=org),
                             INVALID_PARAMS, field="result")
        self.assertCallError(self.c, "evidence.put", {"org": org, "id": "E6", "controls": "C1",
                                                      "result": "pass"},
                             INVALID_PARAMS, field="collected_at")
        self.assertCallError(self.c, "evidence.put", dict(evidence("E6", "C1",
                                                                   collected_at="yesterday"),
                                                          org=org),
                             INVALID_PARAMS, field="collected_at")
        self.assertCallError(self.c, "evidence.put", {"org": org, "id": "E6", "result": "pass",
                                                      "collected_at": 1},
                             INVALID_PARAMS, field="controls")
        self.assertCallError(self.c, "evidence.put", dict(evidence("E6", 5), org=org),
                             INVALID_PARAMS, field="controls")
        self.assertCallError(self.c, "evidence.load", {"org": org}, INVALID_PARAMS,
                             field="items")
        self.assertCallError(self.c, "evidence.load", {"org": org, "items": [7]},
                             INVALID_PARAMS, field="items[0]")
        self.assertCallError(self.c, "evidence.put", dict(evidence("E6", "C1"), org="org-none"),
                             NOT_FOUND)
        self.assertCallError(self.c, "evidence.list", {"org": org, "control": 1},
                             INVALID_PARAMS, field="control")
        self.assertEqual(self.c.ok("evidence.delete", {"org": org, "id": "E2"}), {"deleted": 1})
        self.assertCallError(self.c, "evidence.delete", {"org": org, "id": "E2"}, NOT_FOUND)
        self.assertEqual(sorted(e["id"] for e in self.c.ok("evidence.list", {"org": org})),
                         ["E1", "E3"])

    def test_bulk_items_refuse_unknown_fields(self):
        """A misspelt field inside a bulk item is refused, named with its
        path, and nothing of the batch is written."""
        org = self.org("org-typo")
        self.c.ok("control.put", {"org": org, "controls": [{"id": "C1"}]})
        err, _ = self.c.call("evidence.load", {"org": org, "items": [
            evidence("T1", "C1", collected_at=T2025),
            dict(evidence("T2", "C1", collected_at=T2025), titel="x")]})
        self.assertError(err, INVALID_PARAMS, contains="items[1].titel: unknown argument")
        err, _ = self.c.call("control.put", {"org": org, "controls": [
            {"id": "C2"}, {"id": "C3", "links": [
                {"framework": "iso27001-2022", "id": "A.5.1", "lvl": "full"}]}]})
        self.assertError(err, INVALID_PARAMS, contains="controls[1].links[0].lvl")
        err, _ = self.c.call("scope.put", {"org": org, "items": [
            {"framework": "iso27001-2022", "id": "A.5.1", "applicable": False,
             "justificaton": "typo"}]})
        self.assertError(err, INVALID_PARAMS, contains="items[0].justificaton")
        self.assertEqual(self.c.ok("evidence.list", {"org": org}), [])
        self.assertEqual([c["id"] for c in self.c.ok("control.list", {"org": org})], ["C1"])
        self.assertEqual(self.c.call("ping"), (None, "pong"))

    def test_scope(self):
        org = self.org("org-s")
        st = self.c.ok("scope.put", {"org": org, "framework": "iso27001-2022", "id": "A.5.7",
                                     "justification": "no threat intelligence needed"})
        self.assertEqual(st["created"], 1)
        st = self.c.ok("scope.put", {"org": org, "items": [
            {"framework": "iso27001-2022", "id": "A.7.5", "justification": "cloud only"},
            {"framework": "soc2-2017", "id": "CC1.1", "applicable": True,
             "justification": "in scope"}]})
        self.assertEqual(st["created"], 2)
        lst = self.c.ok("scope.list", {"org": org})
        self.assertEqual(len(lst), 3)
        iso = self.c.ok("scope.list", {"org": org, "framework": "iso27001-2022"})
        self.assertEqual(sorted(s["id"] for s in iso), ["A.5.7", "A.7.5"])
        self.assertTrue(all(s["applicable"] is False for s in iso))
        # ISO 27001 clauses 4-10 are mandatory
        err = self.assertCallError(self.c, "scope.put",
                                   {"org": org, "framework": "iso27001-2022", "id": "4.1",
                                    "justification": "n/a"},
                                   INVALID_PARAMS, field="id", contains="mandatory")
        self.assertIn("4.1", err[1])
        self.assertCallError(self.c, "scope.put", {"org": org, "items": [
            {"framework": "iso27001-2022", "id": "A.8.1"},
            {"framework": "iso27001-2022", "id": "9.1"}]}, INVALID_PARAMS,
            field="items[1].id", contains="mandatory")
        self.assertEqual(len(self.c.ok("scope.list", {"org": org})), 3)  # atomic
        # groups cannot be excluded; unknown ids are not found
        err, _ = self.c.call("scope.put", {"org": org, "framework": "iso27001-2022",
                                           "id": "A.5"})
        self.assertIsNotNone(err)
        err, _ = self.c.call("scope.put", {"org": org, "framework": "iso27001-2022",
                                           "id": "A.99.1"})
        self.assertIsNotNone(err)
        self.assertIn(err[0], (NOT_FOUND, INVALID_PARAMS))
        self.assertCallError(self.c, "scope.put", {"org": org, "framework": "iso27001-2022",
                                                   "id": "A.5.8", "applicable": "no"},
                             INVALID_PARAMS, field="applicable")
        self.assertCallError(self.c, "scope.put", {"org": org, "id": "A.5.8"}, INVALID_PARAMS,
                             field="framework")
        self.assertEqual(self.c.ok("scope.delete", {"org": org, "framework": "iso27001-2022",
                                                    "id": "A.7.5"}), {"deleted": 1})
        self.assertCallError(self.c, "scope.delete", {"org": org, "framework": "iso27001-2022",
                                                      "id": "A.7.5"}, NOT_FOUND)
        self.assertCallError(self.c, "scope.delete", {"org": org, "framework": "iso27001-2022"},
                             INVALID_PARAMS, field="id")
        self.assertEqual(len(self.c.ok("scope.list", {"org": org})), 2)

    # ---- queries ----
    def setup_covered_org(self, org):
        """org with controls met, failing and planned and an exclusion;
        returns org."""
        self.org(org)
        self.c.ok("control.put", {"org": org, "controls": [
            {"id": "POL", "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]},
            {"id": "ROLES", "links": [{"framework": "iso27001-2022", "id": "A.5.2"}]},
            {"id": "PLAN", "status": "planned",
             "links": [{"framework": "iso27001-2022", "id": "A.5.3"}]}]})
        self.c.ok("evidence.load", {"org": org, "items": [
            evidence("EV-POL", "POL", collected_at=T2025),
            evidence("EV-ROLES", "ROLES", result="fail", collected_at=T2025)]})
        self.c.ok("scope.put", {"org": org, "framework": "iso27001-2022", "id": "A.7.5",
                                "justification": "cloud only"})
        return org

    def test_large_detail_answers_pipelined(self):
        """A detailed answer above the server's copy threshold (16 KiB) is
        sent from its render cache by reference, between the small answers
        packed around it: pipelined together, every answer must arrive
        whole, in order, and equal to the same call made alone."""
        org = self.org("org-bigdetail")
        leaves = [r["id"] for r in self.c.ok("requirement.list", {"framework": "nist-csf-2.0",
                                                                   "leaves_only": True})]
        ctls = [{"id": "BD-%03d" % i, "title": "big detail %d" % i,
                 "links": [{"framework": "nist-csf-2.0", "id": leaves[(i * 4 + k) % len(leaves)],
                            "level": "full" if k % 2 == 0 else "partial"} for k in range(4)]}
                for i in range(80)]
        self.c.ok("control.put", {"org": org, "controls": ctls})
        self.c.ok("evidence.load", {"org": org, "items": [
            evidence("BDE-%03d" % i, ["BD-%03d" % i], "pass" if i % 5 else "fail")
            for i in range(80)]})
        q = {"org": org, "framework": "nist-csf-2.0", "detail": True, "as_of": T2025,
             "as_recorded": False}
        q2 = dict(q, max_hops=2, framework="iso27001-2022")
        alone, alone2 = self.c.ok("coverage.get", q), self.c.ok("coverage.get", q2)
        self.assertGreater(len(msgpack.packb(alone)), 16384)
        self.assertGreater(len(msgpack.packb(alone2)), 16384)
        small = {"framework": "nist-csf-2.0", "id": leaves[0]}
        reqs = [("ping", None), ("coverage.get", q), ("requirement.get", small),
                ("coverage.get", q), ("coverage.get", q2), ("ping", None),
                ("coverage.get", dict(q, detail=False)), ("coverage.get", q2),
                ("coverage.get", dict(q, org="org-none")), ("coverage.get", q)]
        for _ in range(3):
            got = self.c.pipeline(reqs)
            self.assertEqual([e for e, _ in got[:8]], [None] * 8)
            self.assertEqual(got[0][1], "pong")
            self.assertEqual(got[1][1], alone)
            self.assertEqual(got[2][1]["id"], leaves[0])
            self.assertEqual(got[3][1], alone)
            self.assertEqual(got[4][1], alone2)
            self.assertEqual(got[5][1], "pong")
            self.assertNotIn("requirements", got[6][1])
            self.assertEqual(got[7][1], alone2)
            self.assertEqual(got[8][0][0], NOT_FOUND)
            self.assertEqual(got[9][1], alone)
        # a write changes the answer: the cached body is not reused
        self.c.ok("evidence.put", {"org": org, **evidence("BDE-000", ["BD-000"], "pass")})
        after = self.c.ok("coverage.get", q)
        self.assertTrue(after != alone, "the answer did not change after a write")
        self.assertEqual(self.c.pipeline([("coverage.get", q)] * 4), [(None, after)] * 4)

    def test_coverage_compact_detail(self):
        """detail: "compact" gives the same answer as detail: true, with each
        distinct step, path and joint row once in a table and contributions
        as arrays naming them by index: expanded by the rules PROTOCOL.md
        gives, it equals the full answer, in fewer bytes."""
        org = self.setup_covered_org("org-compact")
        for fw, hops in (("iso27001-2022", 1), ("nist-csf-2.0", 2), ("soc2-2017", 3)):
            q = {"org": org, "framework": fw, "max_hops": hops, "as_of": "2026-01-01T00:00:00Z",
                 "as_recorded": False}
            full = self.c.ok("coverage.get", dict(q, detail=True))
            self.assertEqual(self.c.ok("coverage.get", dict(q, detail="full")), full)
            compact = self.c.ok("coverage.get", dict(q, detail="compact"))
            self.assertLess(len(msgpack.packb(compact)), len(msgpack.packb(full)))
            self.assertEqual(expand_compact(compact), full)
        if fw == "soc2-2017":
            self.assertTrue(compact["paths"], "the soc2 answer walks crosswalk paths")
        self.assertNotIn("paths", self.c.ok("coverage.get", dict(q, detail=False)))
        self.assertCallError(self.c, "coverage.get", dict(q, detail="tiny"), INVALID_PARAMS,
                             field="detail")
        self.assertCallError(self.c, "coverage.get", dict(q, detail=1), INVALID_PARAMS,
                             field="detail")

    def test_coverage(self):
        org = self.setup_covered_org("org-cov")
        cv = self.c.ok("coverage.get", {"org": org, "framework": "iso27001-2022",
                                        "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        self.assertEqual(cv["assessable"], 123)
        self.assertEqual(cv["max_hops"], 1)
        self.assertEqual(cv["as_of"], "2026-01-01T00:00:00Z")
        counts = cv["counts"]
        self.assertEqual(counts["met"], 1)
        self.assertEqual(counts["failing"], 1)
        self.assertEqual(counts["not_applicable"], 1)
        self.assertEqual(sum(counts.values()), 123)
        self.assertAlmostEqual(cv["percent"], 100.0 / 122, places=6)
        self.assertNotIn("requirements", cv)
        self.assertEqual([g["id"] for g in cv["groups"]][:1], ["4"])
        self.assertEqual(sum(g["assessable"] for g in cv["groups"]), 123)
        # before the evidence was collected: unverified
        early = self.c.ok("coverage.get", {"org": org, "framework": "iso27001-2022",
                                           "as_recorded": False, "as_of": 1600000000})
        self.assertEqual(early["counts"]["met"], 0)
        self.assertEqual(early["counts"]["unverified"], 2)
        det = self.c.ok("coverage.get", {"org": org, "framework": "iso27001-2022",
                                         "detail": True, "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        reqs = {r["id"]: r for r in det["requirements"]}
        self.assertEqual(len(reqs), 123)
        a51 = reqs["A.5.1"]
        self.assertEqual(a51["status"], "met")
        self.assertEqual(a51["contributions"][a51["decided_by"]]["control"], "POL")
        self.assertEqual(a51["contributions"][0]["evidence"], ["EV-POL"])
        self.assertEqual(a51["contributions"][0]["via"], "direct")
        self.assertEqual(reqs["A.5.2"]["status"], "failing")
        self.assertEqual(reqs["A.7.5"]["status"], "not_applicable")
        self.assertEqual(reqs["A.7.5"]["justification"], "cloud only")
        self.assertEqual(reqs["A.5.3"]["status"], "gap")  # planned control: nothing
        # crosswalk propagation into another framework
        csf = self.c.ok("coverage.get", {"org": org, "framework": "nist-csf-2.0",
                                         "detail": True, "max_hops": 2,
                                         "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        via = [c for r in csf["requirements"] for c in r["contributions"]]
        self.assertTrue(via)
        self.assertTrue(all(c["path"] is not None for c in via if c["via"] == "mapping"))
        # a path that starts at the linked requirement names the link itself:
        # "link" is nil then, and given when the path starts under a group
        for c in via:
            if c["via"] == "mapping":
                if c["link"] is None:
                    self.assertEqual(c["path"]["from"]["framework"], "iso27001-2022")
                else:
                    self.assertNotEqual(c["path"]["from"]["id"], c["link"]["id"])
            if c["via"] != "joint":
                self.assertNotIn("joint", c)
                self.assertNotIn("gives", c)
        # and joint rows from ISO 27001: every member explained
        joints = [c for c in via if c["via"] == "joint"]
        self.assertTrue(joints)
        for c in joints:
            self.assertNotIn("control", c)  # its members carry the controls
            self.assertTrue(all("status" in m for m in c["joint"]["members"]))
            # the row's target framework is the answer's own
            self.assertNotIn("target_framework", c["joint"]["row"])
            self.assertIn(c["gives"], ("met", "partial", "unverified", "failing"))
        # errors
        self.assertCallError(self.c, "coverage.get", {"org": org, "framework": "nope"},
                             NOT_FOUND)
        self.assertCallError(self.c, "coverage.get", {"org": "org-none",
                                                      "framework": "iso27001-2022"}, NOT_FOUND)
        self.assertCallError(self.c, "coverage.get", {"org": org}, INVALID_PARAMS,
                             field="framework")
        self.assertCallError(self.c, "coverage.get", {"org": org, "framework": "iso27001-2022",
                                                      "max_hops": 9}, INVALID_PARAMS,
                             field="max_hops")
        self.assertCallError(self.c, "coverage.get", {"org": org, "framework": "iso27001-2022",
                                                      "detail": "yes"}, INVALID_PARAMS,
                             field="detail")
        self.assertCallError(self.c, "coverage.get", {"org": org, "framework": "iso27001-2022",
                                                      "as_recorded": False, "as_of": "2026-13-01T00:00:00Z"},
                             INVALID_PARAMS, field="as_of")

    def test_gap_report_with_plan(self):
        org = self.setup_covered_org("org-gap")
        r = self.c.ok("gap.report", {"org": org, "target": "soc2-2017",
                                     "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        self.assertEqual(r["max_hops"], 2)
        self.assertIsNone(r["source"])
        self.assertGreater(r["assessable"], 0)
        self.assertTrue(r["gaps"])
        self.assertLessEqual(len(r["gaps"]), r["assessable"])
        for g in r["gaps"]:
            self.assertNotEqual(g["status"], "met")
            self.assertNotEqual(g["status"], "not_applicable")
        for g in r["gaps"]:
            for cd in g["candidates"]:
                self.assertNotEqual(cd["framework"], "soc2-2017")
                self.assertIn(cd["gives"], ("full", "partial"))
                self.assertEqual(cd["path"]["steps"][-1]["id"], g["id"])
        # The shipped ISO 27001 -> SOC 2 joint rows close criteria once their
        # missing members are satisfied: plan steps add several together.
        self.assertTrue(r["plan"])
        joint_steps = [p for p in r["plan"] if p["joint"]]
        self.assertTrue(joint_steps)
        for p in joint_steps:
            self.assertEqual(p["joint"]["target_framework"], "soc2-2017")
            self.assertEqual([a["id"] for a in p["adds"]][0], p["id"])
            self.assertTrue(set(a["id"] for a in p["adds"]) <= set(p["joint"]["source"]))
        # ISO 27001:2013 is reached by equal/subset mappings: a real plan.
        r = self.c.ok("gap.report", {"org": org, "target": "iso27001-2013",
                                     "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        self.assertTrue(r["plan"])
        self.assertEqual([p["rank"] for p in r["plan"]], list(range(1, len(r["plan"]) + 1)))
        gap_ids = {g["id"] for g in r["gaps"]}
        seen = set()
        prev = None
        for p in r["plan"]:
            self.assertNotEqual(p["framework"], "iso27001-2013")
            self.assertTrue(p["closes"])
            self.assertTrue(set(p["closes"]) <= gap_ids, p)
            self.assertFalse(set(p["closes"]) & seen, "a gap closed twice: %r" % p)
            seen |= set(p["closes"])
            key = (-len(p["closes"]), p["framework"], natural(p["id"]))
            if prev is not None:
                self.assertLess(prev, key, "plan not ranked greedily with ties by id")
            prev = key
        self.assertEqual(r["closable"], len(seen))
        # deterministic
        r2 = self.c.ok("gap.report", {"org": org, "target": "iso27001-2013",
                                      "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        self.assertEqual(r["plan"], r2["plan"])
        # source restricts the plan
        rs = self.c.ok("gap.report", {"org": org, "target": "iso27001-2013",
                                      "source": "iso27001-2022", "max_hops": 1,
                                      "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        self.assertEqual(rs["source"], "iso27001-2022")
        self.assertTrue(all(p["framework"] == "iso27001-2022" for p in rs["plan"]))
        self.assertNotIn("A.5.1", [p["id"] for p in rs["plan"]])  # already satisfied
        # a planned control touching a gap is listed with it
        iso = self.c.ok("gap.report", {"org": org, "target": "iso27001-2022",
                                       "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        gaps = {g["id"]: g for g in iso["gaps"]}
        self.assertNotIn("A.5.1", gaps)
        self.assertNotIn("A.7.5", gaps)
        self.assertIn("PLAN", [c["control"] for c in gaps["A.5.3"]["controls"]])
        self.assertCallError(self.c, "gap.report", {"org": org}, INVALID_PARAMS, field="target")
        self.assertCallError(self.c, "gap.report", {"org": org, "target": "nope"}, NOT_FOUND)
        self.assertCallError(self.c, "gap.report", {"org": "org-none", "target": "soc2-2017"},
                             NOT_FOUND)
        self.assertCallError(self.c, "gap.report", {"org": org, "target": "soc2-2017",
                                                    "max_hops": -1}, INVALID_PARAMS,
                             field="max_hops")

    def test_framework_compare(self):
        r = self.c.ok("framework.compare", {"source": "iso27001-2022",
                                            "target": "nist-csf-2.0"})
        self.assertEqual(r["max_hops"], 1)
        self.assertEqual(r["assessable"], r["full"] + r["partial"] + r["unreached"])
        self.assertEqual(len(r["requirements"]), r["assessable"])
        for it in r["requirements"]:
            self.assertIn(it["level"], ("full", "partial", "unreached"))
            self.assertLessEqual(len(it["paths"]), it["paths_total"])
            if it["level"] != "unreached":
                self.assertTrue(it["paths"] or it["joints"])
        r2 = self.c.ok("framework.compare", {"source": "iso27001-2013", "target": "soc2-2017",
                                             "max_hops": 2})
        self.assertEqual(r2["max_hops"], 2)
        self.assertTrue(any(p["inferred"] for it in r2["requirements"] for p in it["paths"]))
        self.assertCallError(self.c, "framework.compare", {"source": "iso27001-2022",
                                                           "target": "nope"}, NOT_FOUND)
        self.assertCallError(self.c, "framework.compare", {"source": "iso27001-2022"},
                             INVALID_PARAMS, field="target")
        self.assertCallError(self.c, "framework.compare", {"source": "iso27001-2022",
                                                           "target": "soc2-2017",
                                                           "max_hops": 4},
                             INVALID_PARAMS, field="max_hops")

    def test_soa(self):
        org = self.setup_covered_org("org-soa")
        r = self.c.ok("soa.get", {"org": org, "as_recorded": False, "as_of": "2026-01-01T00:00:00Z"})
        items = {i["id"]: i for i in r["controls"]}
        self.assertEqual(len(items), 93)
        self.assertTrue(all(i.startswith("A.") for i in items))
        self.assertEqual(r["excluded"], 1)
        self.assertEqual(r["applicable"], 92)
        self.assertEqual(items["A.5.1"]["implementing_controls"], ["POL"])
        self.assertEqual(items["A.5.1"]["evidence"], ["EV-POL"])
        self.assertEqual(items["A.5.1"]["status"], "met")
        self.assertTrue(items["A.5.1"]["applicable"])
        self.assertFalse(items["A.7.5"]["applicable"])
        self.assertEqual(items["A.7.5"]["justification"], "cloud only")
        self.assertCallError(self.c, "soa.get", {"org": "org-none"}, NOT_FOUND)
        self.assertCallError(self.c, "soa.get", {}, INVALID_PARAMS, field="org")
        self.assertCallError(self.c, "soa.get", {"org": org, "as_recorded": False, "as_of": [1]}, INVALID_PARAMS,
                             field="as_of")

    def test_store_check(self):
        r = self.c.ok("store.check")
        self.assertEqual(r, {"consistent": True, "problems": 0, "first": None})
        self.assertCallError(self.c, "store.check", {"deep": True}, INVALID_PARAMS,
                             field="deep")

    def test_unix_socket(self):
        with self.srv.client(unix=True) as u:
            self.assertEqual(u.call("ping"), (None, "pong"))
            self.assertIn("iso27001-2022",
                          [f["framework"] for f in u.ok("framework.list")])

    def test_wrong_request_keeps_connection(self):
        self.assertCallError(self.c, "framework.get", {"framework": None}, INVALID_PARAMS)
        self.assertEqual(self.c.call("ping"), (None, "pong"))


if __name__ == "__main__":
    unittest.main()
