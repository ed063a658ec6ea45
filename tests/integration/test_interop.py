"""What editors' msgpack-RPC clients send and read (PROTOCOL.md,
"Positional arguments" and "Errors in Neovim and pynvim"): arguments by
position, in the order server.schema publishes, answered exactly as the
same arguments by name; refused with the order for a method that takes
names only; and the error shape a Neovim client asks for with `hello`,
for reads and writes alike, with the message unchanged.  Requests are
built by hand, as pynvim and Neovim build them."""
import unittest

from cwtest import (FORBIDDEN, INVALID_PARAMS, NOT_FOUND, UNAUTHENTICATED, ServerTest,
                    evidence, hash_token)

# Neovim's API error kinds (src/nvim/api/private/defs.h): what
# vim.rpcrequest() shows instead of "unknown error".
NVIM_EXCEPTION, NVIM_VALIDATION = 0, 1


class PositionalTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)
        self.schema = {m["name"]: m for m in self.c.ok("server.schema")["methods"]}

    def test_reads_by_position_answer_as_by_name(self):
        c = self.c
        c.ok("org.put", {"org": "pos"})
        c.ok("control.put", {"org": "pos", "id": "C1",
                             "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]})
        for method, named in (
                ("requirement.get", {"framework": "iso27001-2022", "id": "A.5.1"}),
                ("framework.get", {"framework": "soc2-2017"}),
                ("control.get", {"org": "pos", "id": "C1", "as_of": "2026-01-01T00:00:00Z",
                                 "as_recorded": False}),
                ("coverage.get", {"org": "pos", "framework": "iso27001-2022",
                                  "as_of": 1800000000, "max_hops": 1, "detail": True}),
                ("mapping.list", {"framework": "iso27001-2022", "id": "A.5.15"})):
            with self.subTest(method=method):
                order = [a["name"] for a in self.schema[method]["args"]]
                self.assertTrue(self.schema[method]["access"]["positional"])
                self.assertEqual(order[:len(named)], list(named), "declared order")
                err, by_pos = c.call_params(method, [named[k] for k in order if k in named])
                self.assertIsNone(err, err)
                self.assertEqual(by_pos, c.ok(method, named))

    def test_nil_leaves_an_argument_out(self):
        # mapping.list(framework, id, target_framework): id left out by nil
        err, res = self.c.call_params("mapping.list", ["iso27001-2022", None, "soc2-2017"])
        self.assertIsNone(err, err)
        self.assertEqual(res, self.c.ok("mapping.list", {"framework": "iso27001-2022",
                                                         "target_framework": "soc2-2017"}))

    def test_writes_by_position(self):
        c = self.c
        err, res = c.call_params("org.put", ["posw", "Positional Ltd"])
        self.assertIsNone(err, err)
        self.assertEqual(res, {"org": "posw", "created": True})
        self.assertEqual(c.ok("org.get", {"org": "posw"})["name"], "Positional Ltd")
        err, res = c.call_params("control.put", ["posw", [{"id": "C1"}, {"id": "C2"}]])
        self.assertIsNone(err, err)
        self.assertEqual((res["created"], res["unchanged"]), (2, 0))
        # the list form only: one item's fields do not come by position
        err, _ = c.call_params("control.put", ["posw", {"id": "C3"}])
        self.assertError(err, INVALID_PARAMS, field="controls")
        # a dry run by position, then the real one
        err, res = c.call_params("evidence.load", ["posw", [evidence("E1", ["C1"])], True])
        self.assertIsNone(err, err)
        self.assertTrue(res["dry_run"])
        self.assertEqual(c.ok("evidence.list", {"org": "posw"}), [])
        err, res = c.call_params("evidence.load", ["posw", [evidence("E1", ["C1"])]])
        self.assertIsNone(err, err)
        self.assertEqual(res["created"], 1)
        err, res = c.call_params("control.delete", ["posw", "C2"])
        self.assertEqual((err, res), (None, {"deleted": 1}))

    def test_wrong_positional_calls_are_named(self):
        c = self.c
        err, _ = c.call_params("requirement.get", ["iso27001-2022", "A.5.1", 1, 2])
        self.assertError(err, INVALID_PARAMS, field="params",
                         contains="requirement.get takes at most 3 positional arguments "
                                  "(framework, id, as_of), got 4")
        err, _ = c.call_params("requirement.get", ["iso27001-2022"])
        self.assertError(err, INVALID_PARAMS, field="id")
        err, _ = c.call_params("requirement.get", [7, "A.5.1"])
        self.assertError(err, INVALID_PARAMS, field="framework")
        err, _ = c.call_params("requirement.get", ["iso27001-2022", "Z.9"])
        self.assertError(err, NOT_FOUND)
        # names only: the error says so and gives the order anyway
        self.assertFalse(self.schema["catalog.load"]["access"]["positional"])
        err, _ = c.call_params("catalog.load", ["fw", []])
        self.assertError(err, INVALID_PARAMS, field="params", contains="named arguments only")
        err, _ = c.call_params("ping", ["x"])
        self.assertError(err, INVALID_PARAMS, field="params", contains="ping takes no arguments")
        self.assertEqual(c.call("ping"), (None, "pong"))

    def test_positional_org_is_checked_like_a_named_one(self):
        """An org-scoped token cannot reach another organisation by
        giving its name by position."""
        auth = self.tmp + "/tokens"
        with open(auth, "w") as f:
            f.write("%s admin adm\n" % hash_token("tok-admin"))
            f.write("%s editor mine ed\n" % hash_token("tok-editor"))
        srv = self.start("--auth", auth, tmpdir=self.tmp + "/a")
        admin = srv.client()
        self.addCleanup(admin.close)
        admin.ok("auth", {"token": "tok-admin"})
        for org in ("mine", "theirs"):
            admin.ok("org.put", {"org": org})
        ed = srv.client()
        self.addCleanup(ed.close)
        err, _ = ed.call_params("org.get", ["mine"])
        self.assertError(err, UNAUTHENTICATED)
        self.assertEqual(ed.call_params("auth", ["tok-editor"])[0], None)
        self.assertEqual(ed.call_params("org.get", ["mine"]), (None, {"org": "mine",
                                                                      "name": "mine",
                                                                      "risk_scale": 5}))
        err, _ = ed.call_params("org.get", ["theirs"])
        self.assertError(err, FORBIDDEN, field="org")
        err, _ = ed.call_params("control.put", ["theirs", [{"id": "X"}]])
        self.assertError(err, FORBIDDEN, field="org")


class NvimErrorsTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)

    def test_hello_switches_the_error_shape(self):
        c = self.c
        standard = c.call_params("requirement.get", ["iso27001-2022", "Z.9"])[0]
        self.assertEqual(standard[0], NOT_FOUND)
        # as vim.rpcrequest(chan, "hello", "nvim-test", "nvim") sends it
        err, res = c.call_params("hello", ["nvim-test 0.1", "nvim"])
        self.assertIsNone(err, err)
        self.assertEqual(res["errors"], "nvim")
        self.assertEqual(res["server"], "crosswalkd")
        # a read refused: Neovim's exception kind, the same message
        err, _ = c.call_params("requirement.get", ["iso27001-2022", "Z.9"])
        self.assertEqual(err, [NVIM_EXCEPTION, standard[1]])
        # the request's own mistakes: the validation kind
        err, _ = c.call_params("requirement.get", [7])
        self.assertEqual(err[0], NVIM_VALIDATION)
        self.assertTrue(err[1].startswith("invalid_params: framework:"), err)
        err, _ = c.call_params("no.such.method", [])
        self.assertEqual(err[0], NVIM_VALIDATION)
        self.assertTrue(err[1].startswith("method_not_found: "), err)
        # a write refused by the writer thread: the same shapes
        err, _ = c.call_params("control.put", ["nobody", [{"id": "C1"}]])
        self.assertEqual(err[0], NVIM_EXCEPTION)
        self.assertTrue(err[1].startswith("not_found: controls[0].org:"), err)
        c.ok("org.put", {"org": "nv"})
        err, _ = c.call_params("control.put", ["nv", [{"id": "C1", "links": [
            {"framework": "iso27001-2022", "id": "Z.9"}]}]])
        self.assertEqual(err[0], NVIM_VALIDATION)
        self.assertIn("controls[0].links[0].id", err[1])
        # other connections keep the usual shape
        other = self.srv.client()
        self.addCleanup(other.close)
        self.assertEqual(other.call("requirement.get", {"framework": "iso27001-2022",
                                                        "id": "Z.9"})[0], standard)
        # and this one can have it back
        self.assertEqual(c.ok("hello", {"errors": "standard"})["errors"], "standard")
        self.assertEqual(c.call_params("requirement.get", ["iso27001-2022", "Z.9"])[0],
                         standard)

    def test_hello_arguments_are_checked(self):
        self.assertCallError(self.c, "hello", {"errors": "vim"}, INVALID_PARAMS, field="errors")
        self.assertCallError(self.c, "hello", {"client": ""}, INVALID_PARAMS, field="client")
        self.assertEqual(self.c.ok("hello")["errors"], "standard")
        # the client's name reaches the log
        self.c.ok("hello", {"client": "nvim-plugin 2.1"})
        self.assertIsNotNone(
            self.srv.wait_log(r"hello conn=\d+ client=nvim-plugin 2.1 errors=standard"))


if __name__ == "__main__":
    unittest.main()
