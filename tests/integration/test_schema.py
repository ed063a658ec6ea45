"""server.schema: the method table as the server declares it
(server/methods.def).  It must describe exactly what the server accepts:
every method answers, every declared argument is accepted and every other
refused, and server/PROTOCOL.md's argument tables are made from it."""
import os
import subprocess
import unittest

from cwtest import INVALID_PARAMS, METHOD_NOT_FOUND, ServerTest, method_table

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "protocol-schema.py")


class SchemaTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)
        self.schema = self.c.ok("server.schema")

    def test_methods_sorted_and_known(self):
        names = [m["name"] for m in self.schema["methods"]]
        self.assertEqual(names, sorted(set(names)))
        self.assertIn("server.schema", names)
        for m in self.schema["methods"]:
            with self.subTest(method=m["name"]):
                self.assertTrue(m["doc"])
                self.assertEqual(set(m["access"]),
                                 {"write", "admin", "org", "open", "editor", "positional"})
                for a in m["args"]:
                    self.assertIn(a["type"], self.schema["types"])
                    self.assertTrue(a["doc"])
                    if a["type"] in ("LIST", "ITEM_OR_LIST"):
                        self.assertIn(a["item"], self.schema["items"])
        err, _ = self.c.call("server.schemas")
        self.assertEqual(err[0], METHOD_NOT_FOUND)

    def test_keys_are_what_the_server_accepts(self):
        """The published keys are exactly the argument names the server
        takes: each is accepted as a name, anything else is refused."""
        for name, (_, keys, args) in method_table(self.c).items():
            with self.subTest(method=name):
                declared = [a["name"] for a in args]
                for a in args:
                    if a["type"] == "ITEM_OR_LIST":
                        declared += self.schema["items"][a["item"]]["keys"].split()
                self.assertEqual(sorted(keys), sorted(declared))
                err, _ = self.c.call(name, {"surely_not_an_argument": 1})
                self.assertEqual(err[0], INVALID_PARAMS, err)
                self.assertIn("accepted: %s" % (" ".join(keys) or "none"), err[1])

    def test_items_keys_match_fields(self):
        for name, it in self.schema["items"].items():
            with self.subTest(item=name):
                self.assertEqual(it["keys"].split(), [f["name"] for f in it["fields"]])

    def test_protocol_md_is_made_from_the_schema(self):
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--check", "--server",
                            "tcp://127.0.0.1:%d" % self.srv.tcp_port],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
