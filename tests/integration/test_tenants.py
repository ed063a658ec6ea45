"""Tenant isolation: every method of the server's method table called by
every kind of caller (admin, an organisation's editor and auditor, no
token, a wrong token), for org-scoped methods once on the caller's own
organisation and once on another's.  Allowed calls must really succeed;
refused ones must be refused with exactly the documented code and leave
no trace; nothing of the other organisation may show in any answer.  Also:
failed auth closes the connection after the documented count, and tokens
never reach an answer or the log."""
import os
import unittest

from cwtest import (FORBIDDEN, UNAUTHENTICATED, ServerTest, evidence, hash_token,
                    method_table)

# Who may call what (PROTOCOL.md "Authentication and roles").
OPEN = "open"            # before auth: ping, auth, server.info
SHARED = "shared-read"   # any authenticated caller: catalogues, crosswalks
ADMIN = "admin"          # admin only
ORG_READ = "org-read"    # org-scoped read: own org for editor/auditor
ORG_WRITE = "org-write"  # org-scoped write: own org for editor only

CLASSES = {
    "auth": OPEN, "ping": OPEN, "server.info": OPEN, "server.schema": OPEN, "hello": OPEN,
    "framework.list": SHARED, "framework.get": SHARED, "framework.compare": SHARED,
    "requirement.get": SHARED, "requirement.list": SHARED, "requirement.search": SHARED,
    "mapping.list": SHARED, "mapping.export": SHARED, "mapping.check": SHARED,
    "org.list": SHARED,
    # every tenant's request counts: an admin's view (issue 17.10)
    "server.stats": ADMIN,
    "catalog.load": ADMIN, "catalog.delete": ADMIN, "mapping.load": ADMIN,
    "mapping.delete": ADMIN, "org.delete": ADMIN, "store.check": ADMIN,
    "store.set_map_max": ADMIN,
    # the change log: its head and chain are no tenant's data; compaction is
    # an operator's; entries and the status feed are an organisation's own
    "log.head": SHARED, "log.verify": SHARED, "watch.unsubscribe": SHARED,
    "log.compact": ADMIN, "history.compact": ADMIN,
    "log.list": ORG_READ, "watch.subscribe": ORG_READ, "evidence.expiring": ORG_READ,
    "status.changes": ORG_READ, "coverage.period": ORG_READ, "coverage.diff": ORG_READ,
    "org.get": ORG_READ, "control.get": ORG_READ, "control.list": ORG_READ,
    "evidence.get": ORG_READ, "evidence.list": ORG_READ, "scope.list": ORG_READ,
    "coverage.get": ORG_READ, "gap.report": ORG_READ, "soa.get": ORG_READ,
    "org.put": ORG_WRITE, "control.put": ORG_WRITE, "control.delete": ORG_WRITE,
    "evidence.put": ORG_WRITE, "evidence.load": ORG_WRITE, "evidence.delete": ORG_WRITE,
    "scope.put": ORG_WRITE, "scope.delete": ORG_WRITE,
    # the ISMS records: an organisation's risks, audits and findings are its own
    "asset.get": ORG_READ, "asset.list": ORG_READ, "risk.get": ORG_READ,
    "risk.list": ORG_READ, "risk.matrix": ORG_READ, "audit.get": ORG_READ,
    "audit.list": ORG_READ, "audit.checklist": ORG_READ, "finding.get": ORG_READ,
    "finding.list": ORG_READ,
    "asset.put": ORG_WRITE, "asset.delete": ORG_WRITE, "risk.put": ORG_WRITE,
    "risk.delete": ORG_WRITE, "audit.put": ORG_WRITE, "audit.delete": ORG_WRITE,
    "finding.put": ORG_WRITE, "finding.delete": ORG_WRITE, "soa.approve": ORG_WRITE,
}

# The flags each class must carry in the server's table.
CLASS_FLAGS = {
    OPEN: {"M_OPEN"},
    SHARED: set(),
    ORG_READ: {"M_ORG"},
    ORG_WRITE: {"M_WRITE", "M_ORG", "M_EDITOR"},
}

# Distinctive tokens, so that a leak anywhere is found by a plain search.
TOK_ADMIN = "tok-ADMIN-q8Zr41xVbN0c-do-not-log"
TOK_EDITOR = "tok-EDITOR-a-J3mW90pLk2-do-not-log"
TOK_AUDITOR = "tok-AUDITOR-a-u7Tq55sEe1-do-not-log"
TOK_EDITOR_B = "tok-EDITOR-b-Hh2y67RoZ4-do-not-log"
TOK_WRONG = "tok-WRONG-Xc9v03MnBq7-do-not-log"
ALL_TOKENS = (TOK_ADMIN, TOK_EDITOR, TOK_AUDITOR, TOK_EDITOR_B, TOK_WRONG)

ORG_A, ORG_B = "tenant-a", "tenant-b"
# Everything org B holds, in words nobody else uses.
SEED = {
    ORG_A: {"name": "Alpha Holdings", "control": "ctl-alpha-1", "title": "Alpha access policy",
            "owner": "alice@alpha", "evidence": "ev-alpha-1", "ev_title": "Alpha audit log",
            "scope": "A.5.10", "justification": "alpha has no such thing",
            "asset": "as-alpha-1", "asset_name": "Alpha CRM", "risk": "rk-alpha-1",
            "risk_title": "Alpha data leak", "audit": "au-alpha-1",
            "audit_title": "Alpha internal audit", "finding": "fd-alpha-1",
            "finding_text": "Alpha policy unsigned"},
    ORG_B: {"name": "Bravo Secretcorp", "control": "ctl-bravo-SECRET-1",
            "title": "Bravo hidden firewall", "owner": "bob@bravo-secret",
            "evidence": "ev-bravo-SECRET-1", "ev_title": "Bravo confidential pentest",
            "scope": "A.5.11", "justification": "bravo-secret-exclusion",
            "asset": "as-bravo-SECRET-1", "asset_name": "Bravo secret vault",
            "risk": "rk-bravo-SECRET-1", "risk_title": "Bravo hidden exposure",
            "audit": "au-bravo-SECRET-1", "audit_title": "Bravo secret audit",
            "finding": "fd-bravo-SECRET-1", "finding_text": "Bravo secret weakness"},
}
B_SECRETS = [v for k, v in SEED[ORG_B].items() if k != "scope"]

ROLES = ("admin", "editor", "auditor", "none", "wrong")
TEST_FW = "tenant-test-fw"
# Annex A leaves handed out to scope cells so that no two cells share one.
SCOPE_LEAVES = ["A.8.%d" % i for i in range(1, 35)]
# The arguments of the shared reads: no setup before, nothing to check after.
SHARED_READ_ARGS = {
    "framework.get": {"framework": "soc2-2017"},
    "framework.compare": {"source": "iso27001-2022", "target": "soc2-2017"},
    "requirement.get": {"framework": "iso27001-2022", "id": "A.5.1"},
    "requirement.list": {"framework": TEST_FW},
    "requirement.search": {"text": "access"},
    "mapping.list": {"framework": "iso27001-2022", "id": "A.5.1"},
    "mapping.export": {"framework": TEST_FW},
    "mapping.check": {"framework": "soc2-2017"},
}


def expected(role, cls, org):
    """'ok', FORBIDDEN or UNAUTHENTICATED for one cell of the matrix."""
    if cls == OPEN:
        return "ok"
    if role in ("none", "wrong"):
        return UNAUTHENTICATED
    if role == "admin":
        return "ok"
    if cls == ADMIN:
        return FORBIDDEN
    if cls == ORG_WRITE and role == "auditor":
        return FORBIDDEN
    if cls in (ORG_READ, ORG_WRITE) and org != ORG_A:
        return FORBIDDEN
    return "ok"


class TenantMatrixTest(ServerTest):
    def setUp(self):
        super().setUp()
        auth = os.path.join(self.tmp, "tokens")
        with open(auth, "w") as f:
            f.write("%s admin matrix-admin\n" % hash_token(TOK_ADMIN))
            f.write("%s editor %s editor-a\n" % (hash_token(TOK_EDITOR), ORG_A))
            f.write("%s auditor %s auditor-a\n" % (hash_token(TOK_AUDITOR), ORG_A))
            f.write("%s editor %s editor-b\n" % (hash_token(TOK_EDITOR_B), ORG_B))
        self.srv = self.start("--auth", auth)
        self.answers = []  # every answer and error any test client got
        self.admin = self.connect("admin")
        a = self.admin
        a.ok("catalog.load", {"framework": TEST_FW, "requirements": [
            {"id": "R1", "title": "test one"}, {"id": "R2", "title": "test two"}]})
        for org, d in SEED.items():
            a.ok("org.put", {"org": org, "name": d["name"]})
            a.ok("control.put", {"org": org, "id": d["control"], "title": d["title"],
                                 "owner": d["owner"], "links": [
                                     {"framework": "iso27001-2022", "id": "A.5.1"},
                                     {"framework": "soc2-2017", "id": "CC6.1"}]})
            a.ok("evidence.put", dict(evidence(d["evidence"], [d["control"]],
                                               title=d["ev_title"]), org=org))
            a.ok("scope.put", {"org": org, "framework": "iso27001-2022", "id": d["scope"],
                               "applicable": False, "justification": d["justification"]})
            a.ok("asset.put", {"org": org, "id": d["asset"], "name": d["asset_name"]})
            a.ok("risk.put", {"org": org, "id": d["risk"], "title": d["risk_title"],
                              "assets": [d["asset"]], "controls": [d["control"]],
                              "likelihood": 3, "impact": 4})
            a.ok("audit.put", {"org": org, "id": d["audit"], "title": d["audit_title"],
                               "framework": "iso27001-2022", "scope": ["A.5"]})
            a.ok("finding.put", {"org": org, "id": d["finding"], "audit": d["audit"],
                                 "framework": "iso27001-2022", "requirement": "A.5.1",
                                 "kind": "major_nc", "description": d["finding_text"],
                                 "raised_at": 1700000000})
            a.ok("soa.approve", {"org": org, "version": 1, "approver": "seed", "force": True})
        self.snapshot_b = self.org_snapshot(ORG_B)
        self.n = 0

    # -- clients that remember every answer --
    def connect(self, role):
        c = self.srv.client()
        self.addCleanup(c.close)
        tok = {"admin": TOK_ADMIN, "editor": TOK_EDITOR, "auditor": TOK_AUDITOR,
               "wrong": TOK_WRONG}.get(role)
        if tok:
            err, res = self.call(c, "auth", {"token": tok})
            if role == "wrong":
                self.assertError(err, UNAUTHENTICATED, field="token")
            else:
                self.assertIsNone(err, err)
                self.assertEqual(res["role"], role)
                self.assertEqual(res["org"], None if role == "admin" else ORG_A)
        return c

    def call(self, c, method, args=None):
        err, res = c.call(method, args)
        self.answers.append((method, err, res))
        return err, res

    def org_snapshot(self, org):
        """What an org holds apart from the cells' own tmp- items."""
        a = self.admin

        def keep(items):
            return sorted((i for i in items if not i["id"].startswith("tmp-") and
                           not (i.get("justification") or "").startswith("cell tmp-")),
                          key=lambda i: i["id"])
        return {"org": a.ok("org.get", {"org": org}),
                "controls": keep(a.ok("control.list", {"org": org})),
                "evidence": keep(a.ok("evidence.list", {"org": org})),
                "scope": keep(a.ok("scope.list", {"org": org})),
                "assets": keep(a.ok("asset.list", {"org": org})),
                "risks": keep(a.ok("risk.list", {"org": org, "as_of": 1800000000})),
                "audits": keep(a.ok("audit.list", {"org": org})),
                "findings": keep(a.ok("finding.list", {"org": org, "as_of": 1800000000})),
                "versions": [v for v in a.ok("soa.get", {"org": org})["versions"]
                             if not v["approver"].startswith("cell tmp-")]}

    def tag(self):
        self.n += 1
        return "tmp-%d" % self.n

    # -- one cell: args, and what must hold afterwards --
    def cell(self, method, org, exp):
        """(args, check) for one call; check(err, res) runs after it.  Setup
        goes through the admin connection, so every allowed call has
        something real to act on."""
        a, t = self.admin, self.tag()
        ok = exp == "ok"
        d = SEED.get(org)

        def gone(m, args):  # a refused create left nothing behind
            return lambda err, res: self.assertIsNotNone(
                self.admin.call(m, args)[0], "%s %r exists after a refused call" % (m, args))

        def there(m, args):  # a refused delete deleted nothing
            return lambda err, res: self.admin.ok(m, args)

        def deleted(err, res):
            self.assertEqual(res["deleted"], 1, res)

        def created(err, res):
            self.assertEqual(res["created"], 1, res)

        if method in ("ping", "server.info", "server.schema", "server.stats", "framework.list",
                      "org.list", "store.check", "log.head", "log.verify"):
            return None, None
        if method in ("log.compact", "history.compact"):
            return {"before": "2000-01-01T00:00:00Z"}, None
        if method in ("coverage.period", "coverage.diff"):
            return {"org": org, "framework": "iso27001-2022", "from": 1700000000,
                    "as_recorded": False}, None
        if method == "watch.unsubscribe":
            return {"subscription": 1 << 40}, lambda err, res: self.assertEqual(
                res, {"unsubscribed": False} if ok else None)
        if method == "log.list":
            def own_entries(err, res):
                if ok:
                    self.assertTrue(res["entries"], res)
                    for e in res["entries"]:
                        self.assertEqual(e["orgs"], [org], e)
                        for key in e["keys"]:
                            self.assertEqual(key["org"], org, e)
            return {"org": org}, own_entries
        if method == "watch.subscribe":
            return {"org": org, "frameworks": ["iso27001-2022"]}, None
        if method == "evidence.expiring":
            return {"org": org, "within": "1d", "frameworks": ["iso27001-2022"]}, None
        if method == "status.changes":
            return {"org": org, "framework": "iso27001-2022", "from": 1700000000}, None
        if method in SHARED_READ_ARGS:
            return dict(SHARED_READ_ARGS[method]), None
        if method == "hello":
            return {"client": "tenant-matrix", "errors": "standard"}, None
        row = {"source_framework": TEST_FW, "source": "R1", "target_framework": "iso27001-2022",
               "target": "A.5.1", "relationship": "subset_of", "origin": t}

        def row_there(present):
            def chk(err, res):
                origins = {r["origin"] for r in self.admin.ok("mapping.export",
                                                              {"framework": TEST_FW})}
                self.assertEqual(t in origins, present)
            return chk
        if method == "mapping.load":
            return {"mappings": [row]}, created if ok else row_there(False)
        if method == "mapping.delete":
            a.ok("mapping.load", {"mappings": [row]})
            return {"origin": t}, deleted if ok else row_there(True)
        if method == "catalog.load":
            return ({"framework": t, "requirements": [{"id": "X1"}]},
                    created if ok else gone("framework.get", {"framework": t}))
        if method == "catalog.delete":
            a.ok("catalog.load", {"framework": t, "requirements": [{"id": "X1"}]})
            return {"framework": t}, deleted if ok else there("framework.get", {"framework": t})
        if method == "org.delete":
            a.ok("org.put", {"org": t})
            return {"org": t}, None if ok else there("org.get", {"org": t})
        if method == "store.set_map_max":
            cap = a.ok("server.info")["storage"]["map_size_max"]
            return {"bytes": cap}, None
        # org-scoped
        if method == "org.get":
            def same(err, res):
                if ok:
                    self.assertEqual(res, {"org": org, "name": d["name"], "risk_scale": 5})
            return {"org": org}, same
        if method == "org.put":
            # allowed: rewrite the same name; refused: try to rename
            name = d["name"] if ok else "pwned"
            return {"org": org, "name": name}, lambda err, res: self.assertEqual(
                self.admin.ok("org.get", {"org": org})["name"], d["name"])
        if method == "control.get":
            def own(err, res):
                if ok:
                    self.assertEqual((res["id"], res["title"]), (d["control"], d["title"]))
            return {"org": org, "id": d["control"]}, own
        if method == "control.list":
            def listed(err, res):
                if ok:
                    self.assertIn(d["control"], [x["id"] for x in res])
            return {"org": org}, listed
        if method == "control.put":
            args = {"org": org, "id": t, "title": "cell " + t}
            return args, created if ok else gone("control.get", {"org": org, "id": t})
        if method == "control.delete":
            a.ok("control.put", {"org": org, "id": t})
            return ({"org": org, "id": t},
                    deleted if ok else there("control.get", {"org": org, "id": t}))
        if method == "evidence.get":
            return {"org": org, "id": d["evidence"]}, None
        if method == "evidence.list":
            def evs(err, res):
                if ok:
                    self.assertIn(d["evidence"], [x["id"] for x in res])
            return {"org": org, "control": d["control"]}, evs
        if method in ("evidence.put", "evidence.load"):
            item = evidence(t, [d["control"]])
            args = dict(item, org=org) if method == "evidence.put" else {"org": org,
                                                                          "items": [item]}
            return args, created if ok else gone("evidence.get", {"org": org, "id": t})
        if method == "evidence.delete":
            a.ok("evidence.put", dict(evidence(t, [d["control"]]), org=org))
            return ({"org": org, "id": t},
                    deleted if ok else there("evidence.get", {"org": org, "id": t}))
        if method == "scope.list":
            def scoped(err, res):
                if ok:
                    self.assertIn(d["scope"], [x["id"] for x in res])
            return {"org": org, "framework": "iso27001-2022"}, scoped
        if method in ("scope.put", "scope.delete"):
            leaf = SCOPE_LEAVES[self.n % len(SCOPE_LEAVES)]
            key = {"org": org, "framework": "iso27001-2022", "id": leaf}
            a.call("scope.delete", key)

            def has_leaf():
                return leaf in [x["id"] for x in self.admin.ok(
                    "scope.list", {"org": org, "framework": "iso27001-2022"})]
            if method == "scope.put":
                return dict(key, justification="cell " + t), (
                    created if ok else lambda err, res: self.assertFalse(has_leaf()))
            a.ok("scope.put", dict(key, justification="cell " + t))
            return key, deleted if ok else lambda err, res: self.assertTrue(has_leaf())
        if method == "coverage.get":
            return {"org": org, "framework": "iso27001-2022", "detail": True}, None
        if method == "gap.report":
            return {"org": org, "target": "soc2-2017", "source": "iso27001-2022"}, None
        if method == "soa.get":
            return {"org": org}, None
        isms = self.isms_cell(method, org, ok, t)
        if isms:
            return isms
        raise AssertionError("no cell arguments for %s: classify it in test_tenants.py" % method)

    def isms_cell(self, method, org, ok, t):
        """(args, check) for the ISMS methods, or None."""
        a, d = self.admin, SEED[org]

        def created(err, res):
            self.assertEqual(res["created"], 1, res)

        def deleted(err, res):
            self.assertEqual(res["deleted"], 1, res)

        def gone(m):  # a refused create left nothing behind
            return lambda err, res: self.assertIsNotNone(
                self.admin.call(m, {"org": org, "id": t})[0], "%s %s exists" % (m, t))

        def there(m):  # a refused delete deleted nothing
            return lambda err, res: self.admin.ok(m, {"org": org, "id": t})

        def own(key, field, value):
            def chk(err, res):
                if ok:
                    self.assertEqual(res[field], d[value], res)
            return chk

        def listed(value):
            def chk(err, res):
                if ok:
                    self.assertIn(d[value], [x["id"] for x in res])
            return chk
        new = {"asset": {"name": "cell " + t},
               "risk": {"title": "cell " + t, "likelihood": 1, "impact": 1},
               "audit": {"title": "cell " + t, "framework": "iso27001-2022", "scope": ["A.6"]},
               "finding": {"audit": d["audit"], "framework": "iso27001-2022",
                           "requirement": "A.5.2", "kind": "observation",
                           "raised_at": 1700000000}}
        kind, _, verb = method.partition(".")
        if kind in new and verb == "put":
            return dict(new[kind], org=org, id=t), created if ok else gone(kind + ".get")
        if kind in new and verb == "delete":
            a.ok(kind + ".put", dict(new[kind], org=org, id=t))
            return {"org": org, "id": t}, deleted if ok else there(kind + ".get")
        if kind in new and verb == "get":
            field = {"asset": "name", "risk": "title", "audit": "title",
                     "finding": "description"}[kind]
            value = {"asset": "asset_name", "risk": "risk_title", "audit": "audit_title",
                     "finding": "finding_text"}[kind]
            return {"org": org, "id": d[kind]}, own(kind, field, value)
        if kind in new and verb == "list":
            return {"org": org}, listed(kind)
        if method == "risk.matrix":
            def counted(err, res):
                if ok:
                    self.assertGreaterEqual(res["inherent"][2][3], 1)
            return {"org": org}, counted
        if method == "audit.checklist":
            def checked(err, res):
                if ok:
                    a51 = [i for i in res["items"] if i["id"] == "A.5.1"][0]
                    self.assertEqual(a51["status"], "failing")
                    self.assertEqual(a51["finding"]["id"], d["finding"])
            return {"org": org, "audit": d["audit"]}, checked
        if method == "soa.approve":
            def approved(err, res):
                if ok:
                    self.assertEqual(res["version"], self.n + 1)
            return ({"org": org, "version": self.n + 1, "approver": "cell " + t, "force": True},
                    approved)
        return None

    def auth_cell(self, role):
        """auth is open: it answers every caller, rightly or not."""
        if role == "wrong":
            c = self.connect("none")
            err, res = self.call(c, "auth", {"token": TOK_WRONG})
            self.assertError(err, UNAUTHENTICATED, field="token")
            return
        tok = {"admin": TOK_ADMIN, "editor": TOK_EDITOR, "auditor": TOK_AUDITOR,
               "none": TOK_AUDITOR}[role]
        c = self.connect(role)
        err, res = self.call(c, "auth", {"token": tok})
        self.assertIsNone(err, err)
        self.assertEqual(res["role"], {"none": "auditor"}.get(role, role))

    # -- the tests --
    def test_method_table_is_classified(self):
        table = method_table(self.srv.client())
        self.assertEqual(set(table), set(CLASSES),
                         "methods added to or removed from server/methods.def must be "
                         "classified here")
        for name, (flags, _, _) in table.items():
            cls = CLASSES[name]
            flags = flags - {"M_POS"}  # how arguments may come, not who may call
            with self.subTest(method=name):
                if cls == ADMIN:
                    self.assertIn("M_ADMIN", flags)
                    self.assertNotIn("M_OPEN", flags)
                    self.assertFalse(flags & {"M_ORG", "M_EDITOR"}, flags)
                else:
                    self.assertEqual(flags, CLASS_FLAGS[cls])
                # an org-scoped method must take the org it is scoped by
                if cls in (ORG_READ, ORG_WRITE):
                    self.assertIn("org", table[name][1])

    def test_matrix(self):
        table = method_table(self.srv.client())
        self.assertEqual(set(table), set(CLASSES))
        clients = {role: self.connect(role) for role in ROLES}
        cells = 0
        for method in sorted(table):
            cls = CLASSES[method]
            orgs = (ORG_A, ORG_B) if cls in (ORG_READ, ORG_WRITE) else (None,)
            for role in ROLES:
                for org in orgs:
                    cells += 1
                    with self.subTest(method=method, role=role, org=org):
                        if method == "auth":
                            self.auth_cell(role)
                            continue
                        exp = expected(role, cls, org)
                        args, check = self.cell(method, org, exp)
                        err, res = self.call(clients[role], method, args)
                        if exp == "ok":
                            self.assertIsNone(err, "%s by %s on %s refused: %r"
                                              % (method, role, org, err))
                        else:
                            self.assertError(err, exp)
                            self.assertIsNone(res)
                            if exp == FORBIDDEN and cls in (ORG_READ, ORG_WRITE) and \
                                    org == ORG_B and role in ("editor", "auditor") and \
                                    not (cls == ORG_WRITE and role == "auditor"):
                                self.assertError(err, FORBIDDEN, field="org")
                        if check:
                            check(err, res)
                        if role != "admin":
                            self.assertNoSecrets(method, err, res)
        n_org = sum(CLASSES[m] in (ORG_READ, ORG_WRITE) for m in table)
        self.assertEqual(cells, (len(table) + n_org) * len(ROLES))
        # every client is still connected and in its role
        for role, c in clients.items():
            self.assertEqual(c.call("ping"), (None, "pong"), role)
        for role in ("none", "wrong"):
            self.assertError(clients[role].call("org.list")[0], UNAUTHENTICATED)
        # refused calls left org B as it was
        self.assertEqual(self.org_snapshot(ORG_B), self.snapshot_b)
        self.assertTrue(self.admin.ok("store.check")["consistent"])
        self.assertNoTokens()

    def assertNoSecrets(self, method, err, res):
        text = repr(err) + repr(res)
        for s in B_SECRETS:
            self.assertNotIn(s, text, "%s answered org B's data to an org A token" % method)

    def assertNoTokens(self):
        text = repr(self.answers)
        for tok in ALL_TOKENS:
            self.assertNotIn(tok, text)
            self.assertNotIn(hash_token(tok), text)

    def test_org_scoped_views(self):
        """What an org A token sees of the shared lists, and that org B's
        own editor sees org B only."""
        for role in ("editor", "auditor"):
            c = self.connect(role)
            err, res = self.call(c, "org.list")
            self.assertIsNone(err)
            self.assertEqual(res, [{"org": ORG_A, "name": SEED[ORG_A]["name"]}])
            for method in ("server.info", "mapping.check", "framework.list"):
                self.assertNoSecrets(method, *self.call(c, method))
            # the organisations' counts are not an org token's to see
            self.assertNotIn("evidence", self.call(c, "server.info")[1]["counts"])
            self.assertError(self.call(c, "server.stats")[0], FORBIDDEN)
        b = self.srv.client()
        self.addCleanup(b.close)
        self.assertEqual(self.call(b, "auth", {"token": TOK_EDITOR_B})[1],
                         {"role": "editor", "org": ORG_B})
        self.assertEqual([o["org"] for o in self.call(b, "org.list")[1]], [ORG_B])
        self.assertError(self.call(b, "control.list", {"org": ORG_A})[0], FORBIDDEN, field="org")
        # a non-string org is a bad argument, never a way past the check
        for bad in (b"tenant-a", ["tenant-a"], {"org": "tenant-a"}, 7):
            err, res = self.call(b, "control.list", {"org": bad})
            self.assertError(err, 4, field="org")
        self.assertError(self.call(b, "control.list", {})[0], 4, field="org")
        ctl = self.call(b, "control.list", {"org": ORG_B})[1]
        self.assertEqual([x["id"] for x in ctl], [SEED[ORG_B]["control"]])
        self.assertNoTokens()

    def test_failed_auth_drops_identity_and_closes(self):
        """A wrong token leaves the connection unauthenticated, whatever it
        was before; the third failure on one connection (successes in
        between do not reset the count) is answered and then the
        connection is closed without answering what follows."""
        c = self.connect("editor")
        self.assertIsNone(self.call(c, "control.list", {"org": ORG_A})[0])
        self.assertError(self.call(c, "auth", {"token": TOK_WRONG})[0], UNAUTHENTICATED,
                         field="token")
        # the earlier editor identity is gone
        self.assertError(self.call(c, "control.list", {"org": ORG_A})[0], UNAUTHENTICATED)
        self.assertEqual(self.call(c, "ping"), (None, "pong"))
        self.assertEqual(self.call(c, "auth", {"token": TOK_AUDITOR})[1],
                         {"role": "auditor", "org": ORG_A})
        self.assertError(self.call(c, "auth", {"token": TOK_WRONG + "2"})[0], UNAUTHENTICATED)
        # a malformed token is a bad argument, not a failed attempt
        self.assertError(self.call(c, "auth", {"token": 12345})[0], 4, field="token")
        self.assertError(self.call(c, "auth", {})[0], 4, field="token")
        self.assertEqual(self.call(c, "auth", {"token": TOK_ADMIN})[1],
                         {"role": "admin", "org": None})
        # third failure: answered, then closed; pipelined requests behind it
        # get no answer
        msgs = []
        for i, (m, args) in enumerate([("auth", {"token": TOK_WRONG + "3"}), ("ping", None),
                                       ("org.list", None)]):
            msgs.append(c.pack_request(m, args, msgid=900 + i)[1])
        c.send_raw(b"".join(msgs))
        got = c.read_until_closed(10)
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0][1], 900)
        self.assertError(got[0][2], UNAUTHENTICATED)
        self.answers.append(("auth", got[0][2], got[0][3]))
        self.assertTrue(self.srv.wait_log(r"3 failed auth attempts, closing", 5))
        # other connections are unaffected
        self.assertIsNone(self.call(self.admin, "org.list")[0])
        self.assertNoTokens()

    def test_tokens_never_logged(self):
        # every token, good and bad, through every path that sees one
        for tok in (TOK_ADMIN, TOK_EDITOR, TOK_AUDITOR, TOK_EDITOR_B):
            c = self.srv.client()
            self.call(c, "auth", {"token": tok})
            self.call(c, "org.list")
            c.close()
        for tok in (TOK_WRONG, TOK_WRONG + "-again", TOK_WRONG * 200, ""):
            c = self.srv.client()
            err, res = self.call(c, "auth", {"token": tok})
            self.assertError(err, UNAUTHENTICATED, field="token")
            c.close()
        c = self.srv.client()
        for _ in range(3):
            self.call(c, "auth", {"token": TOK_WRONG})
        self.assertTrue(c.is_closed(5))
        c.close()
        self.assertTrue(self.srv.wait_log("editor-b", 5))  # labels are logged
        self.srv.stop()
        log = self.srv.log()
        self.assertIn("matrix-admin", log)
        for tok in ALL_TOKENS:
            with self.subTest(token=tok[:12]):
                self.assertNotIn(tok, log)
                self.assertNotIn(hash_token(tok), log)
        # nor a recognisable piece of one
        for line in log.splitlines():
            self.assertNotIn("do-not-log", line)
        self.assertNoTokens()


if __name__ == "__main__":
    unittest.main()
