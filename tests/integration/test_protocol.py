"""msgpack-RPC framing against the real crosswalkd: pipelining, split
input, str/bin method names, notifications and client responses, limits
on message size and nesting, malformed bytes, and well-formed but wrong
requests."""
import os
import socket
import struct
import threading
import time
import unittest

import msgpack

from cwtest import (INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, NOT_FOUND,
                    PARSE_ERROR, SLOW, TOO_LARGE, ServerTest, evidence)

MAX_MESSAGE = 65536


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class ProtocolTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start("--max-message", str(MAX_MESSAGE))
        self.c = self.srv.client()
        self.addCleanup(self.c.close)

    def test_pipeline_1000_answered_by_msgid(self):
        reqs = []
        for i in range(1000):
            k = i % 5
            if k == 0:
                reqs.append(("ping", None))
            elif k == 1:
                reqs.append(("framework.get", {"framework": "iso27001-2022"}))
            elif k == 2:
                reqs.append(("requirement.get", {"framework": "iso27001-2022",
                                                 "id": "A.5.%d" % (1 + i % 37)}))
            elif k == 3:
                reqs.append(("framework.get", {"framework": "nope-%d" % i}))
            else:
                reqs.append(("no.such.method", None))
        t0 = time.monotonic()
        answers = self.c.pipeline(reqs)
        self.assertLess(time.monotonic() - t0, 30 * SLOW)
        self.assertEqual(len(answers), 1000)
        for i, ((method, args), (err, res)) in enumerate(zip(reqs, answers)):
            k = i % 5
            if k == 0:
                self.assertEqual((err, res), (None, "pong"))
            elif k == 1:
                self.assertIsNone(err)
                self.assertEqual(res["framework"], "iso27001-2022")
            elif k == 2:
                self.assertIsNone(err)
                self.assertEqual(res["id"], args["id"])
            elif k == 3:
                self.assertError(err, NOT_FOUND)
                self.assertIn(args["framework"], err[1])
            else:
                self.assertError(err, METHOD_NOT_FOUND)
        self.assertEqual(self.c.call("ping"), (None, "pong"))

    def test_pipeline_more_bytes_than_max_message(self):
        # The limit is per message: 6,000 pipelined pings (~90 KB) are fine.
        answers = self.c.pipeline([("ping", None)] * 6000)
        self.assertEqual(answers, [(None, "pong")] * 6000)

    def test_pipelined_writes_then_reads_see_them(self):
        self.c.ok("org.put", {"org": "pipe"})
        self.c.ok("control.put", {"org": "pipe", "id": "C"})
        reqs = []
        for i in range(200):
            reqs.append(("evidence.put", dict(evidence("P%d" % i, "C"), org="pipe")))
            reqs.append(("evidence.get", {"org": "pipe", "id": "P%d" % i}))
        answers = self.c.pipeline(reqs)
        for i in range(200):
            self.assertIsNone(answers[2 * i][0], answers[2 * i])
            err, res = answers[2 * i + 1]
            self.assertIsNone(err, "a read after an acknowledged write must see it: %r" % err)
            self.assertEqual(res["id"], "P%d" % i)
        self.assertEqual(len(self.c.ok("evidence.list", {"org": "pipe"})), 200)

    def test_split_byte_by_byte(self):
        data = b""
        ids = []
        for method, args in [("ping", None),
                             ("framework.get", {"framework": "soc2-2017"}),
                             ("requirement.get", {"framework": "iso27001-2022", "id": "A.8.1"})]:
            i, d = self.c.pack_request(method, args)
            ids.append(i)
            data += d
        for n, b in enumerate(data):
            self.c.send_raw(bytes([b]))
            if n % 4 == 0:
                time.sleep(0.001)
        got = {}
        for _ in ids:
            msg = self.c.recv_msg()
            got[msg[1]] = msg
        self.assertEqual(got[ids[0]][3], "pong")
        self.assertEqual(got[ids[1]][3]["framework"], "soc2-2017")
        self.assertEqual(got[ids[2]][3]["id"], "A.8.1")
        # a large request split into odd chunks
        name = "x" * 20000
        i, d = self.c.pack_request("framework.get", {"framework": name})
        for off in range(0, len(d), 997):
            self.c.send_raw(d[off:off + 997])
        msg = self.c.recv_response(i)
        self.assertError(msg[2], INVALID_PARAMS, "framework")

    def test_bin_method_names_and_hello_notification(self):
        self.c.send_raw(msgpack.packb([2, b"hello-binary-name", []], use_bin_type=True))
        self.c.send_raw(msgpack.packb([0, 11, b"ping", []], use_bin_type=True))
        self.c.send_raw(msgpack.packb([0, 12, b"framework.get",
                                       [{b"framework": "cobit-2019"}]], use_bin_type=True))
        self.c.send_raw(msgpack.packb([0, 13, b"no.such", []], use_bin_type=True))
        m = self.c.recv_msg()
        self.assertEqual(m, [1, 11, None, "pong"])
        m = self.c.recv_msg()
        self.assertEqual(m[1], 12)
        self.assertIsNone(m[2])
        self.assertEqual(m[3]["framework"], "cobit-2019")
        m = self.c.recv_msg()
        self.assertEqual(m[1], 13)
        self.assertError(m[2], METHOD_NOT_FOUND)

    def test_notifications_and_client_responses_ignored(self):
        self.c.send_raw(msgpack.packb([2, "hello", ["pyclient", 1]]))
        self.c.send_raw(msgpack.packb([2, "ping", []]))  # a known method as notification
        self.c.send_raw(msgpack.packb([2, "org.put", [{"org": "notify-org"}]]))
        self.c.send_raw(msgpack.packb([1, 77, None, "a response from the client"]))
        self.c.send_raw(msgpack.packb([1, 78, [1, "x"], None]))
        self.c.send_raw(msgpack.packb([0, 5, "ping", []]))
        self.assertEqual(self.c.recv_msg(), [1, 5, None, "pong"])
        # nothing else was answered
        with self.assertRaises(socket.timeout):
            self.c.recv_msg(timeout=0.3)
        self.assertNotIn("notify-org", [o["org"] for o in self.c.ok("org.list")])

    def test_wrong_requests_keep_connection(self):
        cases = [
            ({"a": 1}, INVALID_REQUEST, None),
            (42, INVALID_REQUEST, None),
            ("ping", INVALID_REQUEST, None),
            ([0, 1, "ping"], INVALID_REQUEST, None),
            ([0, 1, "ping", [], 5], INVALID_REQUEST, None),
            ([5, 1, "ping", []], INVALID_REQUEST, None),
            (["0", 1, "ping", []], INVALID_REQUEST, None),
            ([0, -1, "ping", []], INVALID_REQUEST, "msgid"),
            ([0, 2 ** 32, "ping", []], INVALID_REQUEST, "msgid"),
            ([0, "7", "ping", []], INVALID_REQUEST, "msgid"),
            ([0, 1, 7, []], INVALID_REQUEST, "method"),
            ([0, 1, None, []], INVALID_REQUEST, "method"),
            ([0, 1, "ping", {"a": 1}], INVALID_PARAMS, "params"),
            ([0, 1, "ping", "x"], INVALID_PARAMS, "params"),
            ([0, 1, "catalog.load", ["iso27001-2022"]], INVALID_PARAMS, "params"),
            ([0, 1, "framework.get", ["iso27001-2022", "x"]], INVALID_PARAMS, "params"),
            ([0, 1, "framework.get", [{"framework": "a"}, {}]], INVALID_PARAMS, "params"),
            ([0, 1, "framework.get", [{"framwork": "iso27001-2022"}]], INVALID_PARAMS,
             "framwork"),
            ([0, 1, "framework.get", [{1: "iso27001-2022"}]], INVALID_PARAMS, "params"),
            ([0, 1, "framework.get", [{"framework": 1.5}]], INVALID_PARAMS, "framework"),
            ([0, 1, "framework.get", [{"framework": True}]], INVALID_PARAMS, "framework"),
            ([0, 1, "framework.get", [{"framework": b"iso27001-2022"}]], INVALID_PARAMS,
             "framework"),
            ([0, 1, "framework.get", [{"framework": "iso\x002022"}]], INVALID_PARAMS,
             "framework"),
            ([0, 1, "requirement.list", [{"framework": "iso27001-2022", "leaves_only": 1}]],
             INVALID_PARAMS, "leaves_only"),
            ([0, 1, "coverage.get", [{"org": "o", "framework": "f", "as_of": {"t": 1}}]],
             INVALID_PARAMS, "as_of"),
            ([0, 1, "mapping.list", [{"framework": "iso27001-2022", "max_hops": 2 ** 64 - 1}]],
             INVALID_PARAMS, "max_hops"),
            ([0, 1, "evidence.load", [{"org": "o", "items": "x"}]], INVALID_PARAMS, "items"),
        ]
        for n, (obj, code, field) in enumerate(cases):
            with self.subTest(n=n, obj=obj):
                self.c.send_raw(msgpack.packb(obj, use_bin_type=True))
                m = self.c.recv_msg()
                self.assertEqual(len(m), 4)
                self.assertEqual(m[0], 1)
                self.assertIsNone(m[3])
                self.assertError(m[2], code, field)
                if code == INVALID_PARAMS:
                    self.assertEqual(m[1], 1)
                self.assertEqual(self.c.call("ping"), (None, "pong"))
        # params [] and [nil] mean "no arguments"
        self.c.send_raw(msgpack.packb([0, 9, "ping", [None]]))
        self.assertEqual(self.c.recv_msg(), [1, 9, None, "pong"])

    def test_msgpack_timestamp_accepted(self):
        self.c.ok("org.put", {"org": "ts"})
        self.c.ok("control.put", {"org": "ts", "id": "C"})
        ts = msgpack.Timestamp(1700000000)
        self.c.ok("evidence.put", dict(evidence("T1", "C", collected_at=ts), org="ts"))
        e = self.c.ok("evidence.get", {"org": "ts", "id": "T1"})
        self.assertEqual(e["collected_at"], "2023-11-14T22:13:20Z")

    # ---- limits and malformed input ----
    def assertCutOff(self, client, code):
        msgs = client.read_until_closed(10)
        self.assertEqual(len(msgs), 1, msgs)
        self.assertEqual(msgs[0][:2], [1, 0])
        self.assertError(msgs[0][2], code)

    def test_string_over_max_message(self):
        other = self.srv.client()
        self.addCleanup(other.close)
        self.assertEqual(other.call("ping"), (None, "pong"))
        # just under the limit: answered normally
        err, _ = self.c.call("framework.get", {"framework": "y" * (MAX_MESSAGE - 200)})
        self.assertError(err, INVALID_PARAMS, "framework")
        big = msgpack.packb([0, 1, "framework.get", [{"framework": "z" * (MAX_MESSAGE + 10)}]])
        t = threading.Thread(target=self._send_ignoring_errors, args=(self.c, big))
        t.start()
        self.assertCutOff(self.c, TOO_LARGE)
        t.join(10)
        self.assertEqual(other.call("ping"), (None, "pong"))
        self.assertTrue(self.srv.wait_log("too_large", 10), "no too_large line in the log")

    def test_total_message_over_max_message(self):
        # Many small strings that add up to more than the limit.
        big = msgpack.packb([0, 1, "catalog.load", [{"framework": "big", "requirements": [
            {"id": "R%d" % i, "title": "t" * 40} for i in range(2000)]}]])
        self.assertGreater(len(big), MAX_MESSAGE)
        t = threading.Thread(target=self._send_ignoring_errors, args=(self.c, big))
        t.start()
        self.assertCutOff(self.c, TOO_LARGE)
        t.join(10)
        with self.srv.client() as c2:
            self.assertError(c2.call("framework.get", {"framework": "big"})[0], NOT_FOUND)

    def test_huge_array_header_rejected_cheaply(self):
        other = self.srv.client()
        self.addCleanup(other.close)
        before = rss_kib(self.srv.proc.pid)
        t0 = time.monotonic()
        self.c.send_raw(b"\xdd" + struct.pack(">I", 4000000000))
        self.assertCutOff(self.c, TOO_LARGE)
        self.assertLess(time.monotonic() - t0, 5 * SLOW)
        # the same inside a request, and a map32 and a bin32 header
        for hdr in (b"\x94\x00\x01\xa4ping\x91\xdf" + struct.pack(">I", 4000000000),
                    b"\x94\x00\x01\xa4ping\x91\xc6" + struct.pack(">I", 4000000000),
                    b"\xdb" + struct.pack(">I", 0xffffffff)):
            with self.srv.client() as c2:
                c2.send_raw(hdr)
                self.assertCutOff(c2, TOO_LARGE)
        self.assertLess(rss_kib(self.srv.proc.pid) - before, 64 * 1024)
        self.assertEqual(other.call("ping"), (None, "pong"))

    def test_nesting_too_deep(self):
        obj = "x"
        for _ in range(40):
            obj = [obj]
        self.c.send_raw(msgpack.packb([0, 1, "ping", [obj]]))
        self.assertCutOff(self.c, TOO_LARGE)
        with self.srv.client() as c2:
            self.assertEqual(c2.call("ping"), (None, "pong"))

    def test_malformed_bytes_parse_error(self):
        other = self.srv.client(unix=True)
        self.addCleanup(other.close)
        self.c.send_raw(b"\xc1")
        self.assertCutOff(self.c, PARSE_ERROR)
        self.assertEqual(other.call("ping"), (None, "pong"))
        # after good requests, and inside a request
        with self.srv.client() as c2:
            _, good = c2.pack_request("ping")
            c2.send_raw(good + b"\x94\x00\x05\xa4ping\x91\xc1")
            msgs = c2.read_until_closed(10)
            self.assertEqual(msgs[0][3], "pong")
            self.assertEqual(len(msgs), 2)
            self.assertError(msgs[1][2], PARSE_ERROR)
        # HTTP text: every byte is a positive fixint, i.e. well-formed msgpack
        # that is not a request: one invalid_request each, connection kept.
        with self.srv.client() as c3:
            junk = b"GET / HTTP/1.1\r\n\r\n"
            c3.send_raw(junk)
            for _ in junk:
                m = c3.recv_msg()
                self.assertError(m[2], INVALID_REQUEST)
            self.assertEqual(c3.call("ping"), (None, "pong"))
        self.assertEqual(other.call("ping"), (None, "pong"))
        self.assertTrue(self.srv.running())

    def test_random_garbage_does_not_crash(self):
        rnd = __import__("random").Random(1234)
        for i in range(30):
            with self.srv.client() as g:
                junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 600)))
                try:
                    g.send_raw(junk)
                    g.sock.shutdown(socket.SHUT_WR)
                    g.read_until_closed(10)
                except (OSError, socket.timeout):
                    pass
        self.assertTrue(self.srv.running())
        with self.srv.client() as c2:
            self.assertEqual(c2.call("ping"), (None, "pong"))
            self.assertTrue(c2.ok("store.check")["consistent"])

    def _send_ignoring_errors(self, client, data):
        try:
            client.send_raw(data)
        except OSError:
            pass


if __name__ == "__main__":
    unittest.main()
