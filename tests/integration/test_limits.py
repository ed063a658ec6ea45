"""Connection limit, backpressure on clients that do not read, idle
timeout."""
import socket
import threading
import time
import unittest

import msgpack

from cwtest import OVERLOADED, SLOW, Client, Closed, ServerTest


def rss_kib(pid, field="VmRSS:"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def peak_rss_kib(pid):
    return rss_kib(pid, "VmHWM:")


class ConnectionLimitTest(ServerTest):
    def test_max_connections(self):
        srv = self.start("--max-connections", "3")
        clients = [srv.client(unix=(i == 1)) for i in range(3)]
        for c in clients:
            self.addCleanup(c.close)
            self.assertEqual(c.call("ping"), (None, "pong"))
        extra = srv.client()
        self.addCleanup(extra.close)
        msgs = extra.read_until_closed(10)
        self.assertEqual(len(msgs), 1, msgs)
        self.assertEqual(msgs[0][:2], [1, 0])
        self.assertError(msgs[0][2], OVERLOADED, contains="3")
        extra2 = srv.client(unix=True)
        self.addCleanup(extra2.close)
        self.assertError(extra2.read_until_closed(10)[0][2], OVERLOADED)
        for c in clients:
            self.assertEqual(c.call("ping"), (None, "pong"))
        self.assertEqual(clients[0].ok("server.stats")["connections"], 3)
        # a freed slot is usable again
        clients[2].close()
        deadline = time.monotonic() + 5 * SLOW
        while True:
            with srv.client() as c:
                try:
                    err, res = c.call("ping")
                except Closed:
                    err = "closed"
                if err is None:
                    self.assertEqual(res, "pong")
                    break
            self.assertLess(time.monotonic(), deadline, "slot never freed")
            time.sleep(0.05)
        self.assertTrue(srv.wait_log("refusing conn=.*: the server already has its maximum of 3 connections", 1))


class BackpressureTest(ServerTest):
    def test_client_that_never_reads_is_cut_off(self):
        srv = self.start("--max-output", "1048576", "--stall-timeout", "2")
        good = srv.client()
        self.addCleanup(good.close)
        self.assertEqual(good.call("ping"), (None, "pong"))
        before = rss_kib(srv.proc.pid)
        flood = socket.create_connection(("127.0.0.1", srv.tcp_port), 10)
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.addCleanup(flood.close)
        reqs = [msgpack.packb([0, i, "requirement.list", [{"framework": "cobit-2019"}]])
                for i in range(1, 2001)]
        reqs += [msgpack.packb([0, 10000 + i, "framework.list", []]) for i in range(20000)]
        payload = b"".join(reqs)
        outcome = {}

        def send():
            flood.settimeout(30 * SLOW)
            try:
                flood.sendall(payload)
                outcome["sent"] = True
            except (BrokenPipeError, ConnectionResetError) as e:
                outcome["cut"] = repr(e)
            except socket.timeout:
                outcome["timeout"] = True

        t = threading.Thread(target=send)
        t.start()
        # meanwhile the other client is served promptly
        worst, peak = 0.0, 0
        for _ in range(40):
            t0 = time.monotonic()
            self.assertEqual(good.call("ping", timeout=5), (None, "pong"))
            worst = max(worst, time.monotonic() - t0)
            peak = max(peak, rss_kib(srv.proc.pid))
            time.sleep(0.02)
        t.join(40 * SLOW)
        self.assertFalse(t.is_alive())
        peak = max(peak, peak_rss_kib(srv.proc.pid))
        self.assertTrue(srv.wait_log("hard output limit", 10),
                        "the flooding client was not cut off: %r" % outcome)
        # the cut-off client's socket ends (possibly after unread answers)
        self.assertSocketEnds(flood, 10 * SLOW)
        self.assertEqual(good.call("ping"), (None, "pong"))
        self.assertTrue(srv.running())
        # Per-connection output is bounded by --max-output: the server must not
        # buffer far more than that for one client, nor stall the others.
        problems = []
        # Under ASan (CW_TIME_SCALE > 1) freed memory sits in the allocator's
        # quarantine, so resident size says nothing about buffering there.
        if SLOW == 1 and peak - before > 48 * 1024:
            problems.append("server grew by %d KiB buffering answers for a client that does "
                            "not read (--max-output 1 MiB)" % (peak - before))
        if worst > 0.5 * SLOW:
            problems.append("another client's ping took %.2f s during the flood" % worst)
        self.assertEqual(problems, [])


    def test_non_reader_of_shared_answers_is_cut_off(self):
        """Detailed coverage answers above 16 KiB leave the server by
        reference to its render cache, not copied into the connection's
        output: they still count against the output limits, so a client
        that asks for many and reads none is throttled and cut off."""
        srv = self.start("--max-output", "1048576", "--stall-timeout", "2")
        good = srv.client()
        self.addCleanup(good.close)
        good.ok("org.put", {"org": "big", "name": "Big"})
        leaves = [r["id"] for r in good.ok("requirement.list", {"framework": "nist-csf-2.0",
                                                                "leaves_only": True})]
        good.ok("control.put", {"org": "big", "controls": [
            {"id": "C-%03d" % i, "links": [{"framework": "nist-csf-2.0",
                                            "id": leaves[(i * 4 + k) % len(leaves)]}
                                           for k in range(4)]} for i in range(80)]})
        q = {"org": "big", "framework": "nist-csf-2.0", "detail": True}
        size = len(msgpack.packb(good.ok("coverage.get", q)))
        self.assertGreater(size, 16384)
        before = rss_kib(srv.proc.pid)
        flood = socket.create_connection(("127.0.0.1", srv.tcp_port), 10)
        flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        self.addCleanup(flood.close)
        n = 64 * (1048576 // size + 1)  # answers for 64 times --max-output
        payload = b"".join(msgpack.packb([0, i, "coverage.get", [q]]) for i in range(n))

        def send():
            flood.settimeout(30 * SLOW)
            try:
                flood.sendall(payload)
            except (OSError, socket.timeout):
                pass

        t = threading.Thread(target=send)
        t.start()
        worst = 0.0
        for _ in range(20):
            t0 = time.monotonic()
            self.assertEqual(good.call("ping", timeout=5), (None, "pong"))
            worst = max(worst, time.monotonic() - t0)
            time.sleep(0.02)
        self.assertTrue(srv.wait_log("client does not read its answers", 15 * SLOW))
        t.join(40 * SLOW)
        self.assertFalse(t.is_alive())
        peak = peak_rss_kib(srv.proc.pid)
        # the same answer for the reading client, and the server serving
        self.assertEqual(len(msgpack.packb(good.ok("coverage.get", q))), size)
        self.assertTrue(srv.running())
        self.assertLess(worst, 0.5 * SLOW)
        if SLOW == 1:
            self.assertLess(peak - before, 48 * 1024,
                            "server grew by %d KiB for a client that does not read"
                            % (peak - before))


class IdleTimeoutTest(ServerTest):
    def test_idle_connection_closed(self):
        srv = self.start("--idle-timeout", "1")
        with srv.client() as c:
            self.assertEqual(c.ok("server.info")["limits"]["idle_timeout_s"], 1)
        idle = srv.client()
        idle_unix = srv.client(unix=True)
        busy = srv.client()
        for c in (idle, idle_unix, busy):
            self.addCleanup(c.close)
            self.assertEqual(c.call("ping"), (None, "pong"))
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.5:
            self.assertEqual(busy.call("ping"), (None, "pong"))
            time.sleep(0.25)
        self.assertTrue(idle.is_closed(3 * SLOW))
        self.assertTrue(idle_unix.is_closed(3 * SLOW))
        self.assertEqual(busy.call("ping"), (None, "pong"))
        self.assertTrue(srv.wait_log("idle timeout", 1))

    def test_no_idle_timeout_by_default(self):
        srv = self.start()
        c = srv.client()
        self.addCleanup(c.close)
        time.sleep(2.5)
        self.assertEqual(c.call("ping"), (None, "pong"))


if __name__ == "__main__":
    unittest.main()
