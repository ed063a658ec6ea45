"""Token authentication and roles, the refusal to serve a non-loopback
address without --auth, and that tokens never reach the log."""
import os
import subprocess
import unittest

from cwtest import (FORBIDDEN, INVALID_PARAMS, NOT_FOUND, UNAUTHENTICATED, SLOW, Server,
                    ServerTest, crosswalkd, evidence, hash_token, server_env)

ADMIN = "adm-7f3c9e1b2d4a-secret-token"
EDITOR = "edt-acme-55aa0c7e91-secret"
AUDITOR = "aud-acme-0b8d2f64c3-secret"
OTHER_EDITOR = "edt-beta-9c1e77a0d2-secret"
TOKENS = (ADMIN, EDITOR, AUDITOR, OTHER_EDITOR)


class AuthTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.auth = os.path.join(self.tmp, "tokens")
        with open(self.auth, "w") as f:
            f.write("# crosswalk tokens\n")
            f.write("%s admin ops-admin\n" % hash_token(ADMIN))
            f.write("%s editor acme acme-editor\n" % hash_token(EDITOR))
            f.write("%s auditor acme\n" % hash_token(AUDITOR))
            f.write("\n%s editor beta\n" % hash_token(OTHER_EDITOR))
        self.srv = self.start("--auth", self.auth)
        with self.srv.client() as c:
            self.assertEqual(c.ok("auth", {"token": ADMIN}), {"role": "admin", "org": None})
            for org in ("acme", "beta"):
                c.ok("org.put", {"org": org})
                c.ok("control.put", {"org": org, "id": "C1", "links": [
                    {"framework": "iso27001-2022", "id": "A.5.1"}]})
                c.ok("evidence.put", dict(evidence("E1", "C1"), org=org))

    def client(self, token=None, unix=False):
        c = self.srv.client(unix=unix)
        self.addCleanup(c.close)
        if token:
            res = c.ok("auth", {"token": token})
            self.assertIn(res["role"], ("admin", "editor", "auditor"))
        return c

    def test_hash_token_matches(self):
        p = subprocess.run([crosswalkd(), "--hash-token"], input=(EDITOR + "\n").encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30 * SLOW,
                           env=server_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().strip(), hash_token(EDITOR))

    def test_unauthenticated_before_auth(self):
        c = self.client()
        info = c.ok("server.info")  # open methods
        self.assertTrue(info["auth_required"])
        self.assertEqual(c.call("ping"), (None, "pong"))
        for method, args in [("framework.list", None),
                             ("framework.get", {"framework": "iso27001-2022"}),
                             ("org.list", None),
                             ("evidence.list", {"org": "acme"}),
                             ("evidence.put", dict(evidence("X", "C1"), org="acme")),
                             ("catalog.load", {"framework": "x", "requirements": []}),
                             ("server.stats", None),
                             ("store.check", None)]:
            with self.subTest(method=method):
                self.assertCallError(c, method, args, UNAUTHENTICATED)
        # unknown arguments are still reported first, as invalid_params
        self.assertCallError(c, "framework.list", {"x": 1}, INVALID_PARAMS, field="x")
        # a wrong token: unauthenticated; after three the connection is closed
        self.assertCallError(c, "auth", {"token": "wrong-1"}, UNAUTHENTICATED, field="token")
        self.assertCallError(c, "auth", {"token": "wrong-2"}, UNAUTHENTICATED)
        self.assertCallError(c, "framework.list", None, UNAUTHENTICATED)
        self.assertCallError(c, "auth", {"token": "wrong-3"}, UNAUTHENTICATED)
        self.assertTrue(c.is_closed(5))
        # a good token afterwards on a new connection works
        c2 = self.client(EDITOR)
        self.assertTrue(c2.ok("framework.list"))

    def test_roles(self):
        adm = self.client(ADMIN)
        ed = self.client(EDITOR, unix=True)
        au = self.client(AUDITOR)
        self.assertEqual(ed.ok("auth", {"token": EDITOR}), {"role": "editor", "org": "acme"})
        self.assertEqual(au.ok("auth", {"token": AUDITOR}), {"role": "auditor", "org": "acme"})
        # auditor: reads its org, never writes
        self.assertEqual(len(au.ok("evidence.list", {"org": "acme"})), 1)
        self.assertTrue(au.ok("coverage.get", {"org": "acme", "framework": "iso27001-2022"}))
        self.assertTrue(au.ok("framework.list"))
        for method, args in [("evidence.put", dict(evidence("A2", "C1"), org="acme")),
                             ("evidence.delete", {"org": "acme", "id": "E1"}),
                             ("control.put", {"org": "acme", "id": "C9"}),
                             ("org.put", {"org": "acme", "name": "x"}),
                             ("scope.put", {"org": "acme", "framework": "iso27001-2022",
                                            "id": "A.7.5"})]:
            with self.subTest(auditor=method):
                self.assertCallError(au, method, args, FORBIDDEN)
        self.assertCallError(au, "evidence.list", {"org": "beta"}, FORBIDDEN, field="org")
        self.assertEqual([o["org"] for o in au.ok("org.list")], ["acme"])
        # editor: writes its org only
        self.assertEqual(ed.ok("evidence.put", dict(evidence("E2", "C1"), org="acme"))["created"],
                         1)
        self.assertEqual(len(ed.ok("evidence.list", {"org": "acme"})), 2)
        for method, args in [("evidence.put", dict(evidence("E2", "C1"), org="beta")),
                             ("evidence.list", {"org": "beta"}),
                             ("evidence.get", {"org": "beta", "id": "E1"}),
                             ("control.get", {"org": "beta", "id": "C1"}),
                             ("control.delete", {"org": "beta", "id": "C1"}),
                             ("coverage.get", {"org": "beta", "framework": "iso27001-2022"}),
                             ("gap.report", {"org": "beta", "target": "soc2-2017"}),
                             ("soa.get", {"org": "beta"}),
                             ("org.get", {"org": "beta"}),
                             ("org.put", {"org": "beta"}),
                             ("org.put", {"org": "gamma"}),
                             ("scope.list", {"org": "beta"})]:
            with self.subTest(editor_other_org=method):
                self.assertCallError(ed, method, args, FORBIDDEN, field="org")
        self.assertEqual([o["org"] for o in ed.ok("org.list")], ["acme"])
        # non-admins: no catalogues, crosswalks, org deletion or store check
        for c in (ed, au):
            for method, args in [("catalog.load", {"framework": "x", "requirements": [
                                     {"id": "X1"}]}),
                                 ("catalog.delete", {"framework": "soc2-2017"}),
                                 ("mapping.load", {"mappings": []}),
                                 ("mapping.delete", {"framework": "soc2-2017"}),
                                 ("org.delete", {"org": "acme"}),
                                 ("store.check", None)]:
                with self.subTest(non_admin=method):
                    self.assertCallError(c, method, args, FORBIDDEN, contains="admin")
        self.assertCallError(adm, "framework.get", {"framework": "x"}, NOT_FOUND)
        self.assertIn("soc2-2017", [f["framework"] for f in adm.ok("framework.list")])
        # the beta data is untouched; admin sees every org
        self.assertEqual(len(adm.ok("evidence.list", {"org": "beta"})), 1)
        self.assertEqual(sorted(o["org"] for o in adm.ok("org.list")), ["acme", "beta"])
        self.assertTrue(adm.ok("store.check")["consistent"])
        adm.ok("catalog.load", {"framework": "x", "requirements": [{"id": "X1"}]})
        adm.ok("catalog.delete", {"framework": "x"})
        # re-auth on a connection switches role
        self.assertEqual(au.ok("auth", {"token": OTHER_EDITOR}),
                         {"role": "editor", "org": "beta"})
        self.assertEqual(len(au.ok("evidence.list", {"org": "beta"})), 1)
        self.assertCallError(au, "evidence.list", {"org": "acme"}, FORBIDDEN)

    def test_tokens_never_logged(self):
        for tok in TOKENS:
            self.client(tok).ok("ping")
        c = self.client()
        c.call("auth", {"token": "not-a-valid-token-xyz"})
        c.close()
        self.assertTrue(self.srv.wait_log("acme-editor", 5))  # labels are logged
        self.srv.stop()
        log = self.srv.log()
        for tok in TOKENS + ("not-a-valid-token-xyz",):
            self.assertNotIn(tok, log)
            self.assertNotIn(hash_token(tok), log)


class AuthStartupTest(ServerTest):
    def run_server(self, *args, env=None, timeout=30):
        p = subprocess.run([crosswalkd(), "--init", "--data", os.path.join(self.tmp, "data")]
                           + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout * SLOW, env=server_env(env))
        return p.returncode, p.stderr.decode()

    def test_non_loopback_without_auth_refused(self):
        for addr in ("tcp://0.0.0.0:0", "tcp://[::]:0", "tcp://10.1.2.3:0"):
            with self.subTest(addr=addr):
                rc, err = self.run_server("--listen", addr)
                self.assertNotEqual(rc, 0)
                self.assertIn("without authentication", err)
                self.assertIn(addr, err)
                self.assertNotIn("msg=listening", err)
        # the environment variable too
        rc, err = self.run_server(env={"CROSSWALK_LISTEN": "tcp://0.0.0.0:0"})
        self.assertNotEqual(rc, 0)
        self.assertIn("without authentication", err)

    def test_non_loopback_with_auth_starts(self):
        auth = os.path.join(self.tmp, "tokens")
        with open(auth, "w") as f:
            f.write("%s admin\n" % hash_token(ADMIN))
        srv = Server(self.tmp, "--auth", auth, listen=["tcp://0.0.0.0:0"])
        try:
            line = srv.wait_log(r"msg=listening addr=tcp://0\.0\.0\.0:\d+", 1)
            port = int(line.rsplit(":", 1)[1])
            from cwtest import Client
            with Client(port=port) as c:
                self.assertError(c.call("org.list")[0], UNAUTHENTICATED)
                c.ok("auth", {"token": ADMIN})
                self.assertEqual(c.ok("org.list"), [])
        finally:
            srv.stop()

    def test_bad_auth_file_refused(self):
        bad = os.path.join(self.tmp, "bad")
        for content, why in [("nothex " * 1 + "admin\n", "64-digit"),
                             ("%s superuser\n" % hash_token("x"), "role"),
                             ("%s editor\n" % hash_token("x"), "organisation"),
                             ("# only comments\n", "no tokens")]:
            with self.subTest(why=why):
                with open(bad, "w") as f:
                    f.write(content)
                rc, err = self.run_server("--auth", bad, "--listen", "tcp://127.0.0.1:0")
                self.assertNotEqual(rc, 0)
                self.assertIn(why, err)
        rc, err = self.run_server("--auth", os.path.join(self.tmp, "missing"),
                                  "--listen", "tcp://127.0.0.1:0")
        self.assertNotEqual(rc, 0)
        self.assertIn("cannot open", err)


if __name__ == "__main__":
    unittest.main()
