"""Concurrent writers and group commit, restarts on the same data
directory, SIGTERM during a write burst and kill -9 during bulk writes:
every acknowledged write survives, bulk writes are all or nothing."""
import signal
import threading
import time
import unittest

from cwtest import SHIPPED, SLOW, Closed, Server, ServerTest, evidence


def setup_org(c, org="acme", controls=("C1", "C2")):
    c.ok("org.put", {"org": org, "name": org})
    c.ok("control.put", {"org": org, "controls": [
        {"id": cid, "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]}
        for cid in controls]})


class DurabilityTest(ServerTest):
    def test_concurrent_writers_group_commit(self):
        srv = self.start()
        with srv.client() as c:
            setup_org(c)
            base = c.ok("server.stats")
        threads, errors, acked = [], [], []
        lock = threading.Lock()

        def writer(t):
            try:
                with srv.client(unix=(t % 2 == 1)) as wc:
                    for i in range(50):
                        eid = "T%02d-%03d" % (t, i)
                        err, res = wc.call("evidence.put", dict(
                            evidence(eid, ["C1", "C2"][i % 2], collected_at=1700000000 + i),
                            org="acme"))
                        if err is not None:
                            raise AssertionError("%s: %r" % (eid, err))
                        if res["created"] != 1:
                            raise AssertionError("%s: %r" % (eid, res))
                        with lock:
                            acked.append(eid)
            except Exception as e:  # reported by the main thread
                errors.append(repr(e))

        for t in range(20):
            th = threading.Thread(target=writer, args=(t,))
            threads.append(th)
            th.start()
        for th in threads:
            th.join(120 * SLOW)
        self.assertEqual(errors, [])
        self.assertEqual(len(acked), 1000)
        with srv.client() as c:
            ev = c.ok("evidence.list", {"org": "acme"})
            self.assertEqual(len(ev), 1000)
            self.assertEqual({e["id"] for e in ev}, set(acked))
            self.assertEqual(len(c.ok("evidence.list", {"org": "acme", "control": "C1"})), 500)
            st = c.ok("server.stats")
            writes = st["writes_committed"] - base["writes_committed"]
            commits = st["commits"] - base["commits"]
            self.assertEqual(writes, 1000)
            self.assertLess(commits, writes, "no group commit: %d commits for %d writes"
                            % (commits, writes))
            self.assertEqual(st["methods"]["evidence.put"]["requests"], 1000)
            self.assertEqual(st["methods"]["evidence.put"]["errors"], 0)
            self.assertEqual(c.ok("server.info")["counts"]["evidence"], 1000)
            self.assertTrue(c.ok("store.check")["consistent"])

    def test_restart_keeps_writes_and_does_not_reload_frameworks(self):
        srv = Server(self.tmp)
        try:
            self.assertTrue(srv.wait_log("first start: loaded the embedded frameworks", 1))
            with srv.client() as c:
                fws1 = c.ok("framework.list")
                info1 = c.ok("server.info")["counts"]
                setup_org(c)
                c.ok("evidence.load", {"org": "acme", "items": [
                    evidence("E%d" % i, "C1") for i in range(100)]})
                c.ok("scope.put", {"org": "acme", "framework": "iso27001-2022",
                                   "id": "A.7.5", "justification": "cloud"})
                c.ok("catalog.load", {"framework": "mine", "requirements": [{"id": "M1"}]})
                c.ok("mapping.load", {"mappings": [{
                    "source_framework": "mine", "source": "M1",
                    "target_framework": "iso27001-2022", "target": "A.5.1",
                    "relationship": "equal", "origin": "me"}]})
                c.ok("evidence.delete", {"org": "acme", "id": "E99"})
                # a shipped catalogue deleted stays deleted
                c.ok("catalog.delete", {"framework": "cobit-2019"})
        finally:
            srv.stop()
        for round_ in range(2):
            srv = Server(self.tmp)
            try:
                self.assertIsNone(srv.wait_log("first start", 0.2),
                                  "frameworks reloaded on restart")
                with srv.client() as c:
                    fws = c.ok("framework.list")
                    want = [f for f in fws1 if f["framework"] != "cobit-2019"]
                    got = [f for f in fws if f["framework"] != "mine"]
                    self.assertEqual(got, want)
                    self.assertNotIn("cobit-2019", [f["framework"] for f in fws])
                    self.assertEqual(c.ok("framework.get", {"framework": "mine"})["requirements"],
                                     1)
                    info = c.ok("server.info")["counts"]
                    self.assertEqual(info["evidence"], 99)
                    self.assertEqual(info["orgs"], 1)
                    self.assertEqual(info["controls"], 2)
                    self.assertEqual(info["scope"], 1)
                    # the deleted catalogue's crosswalk rows are kept (README)
                    self.assertEqual(info["mappings"], info1["mappings"] + 1)
                    self.assertEqual(len(c.ok("evidence.list", {"org": "acme"})), 99)
                    self.assertEqual(c.ok("control.get", {"org": "acme", "id": "C1"})["state"],
                                     "effective")
                    paths = c.ok("mapping.list", {"framework": "mine", "id": "M1"})
                    self.assertEqual(len(paths), 1)
                    self.assertTrue(c.ok("store.check")["consistent"])
            finally:
                srv.stop()
        # every shipped framework but the deleted one, once each
        self.assertEqual(sorted(f["framework"] for f in fws1), SHIPPED)
        self.assertEqual(info1["frameworks"], 5)

    def test_sigterm_during_write_burst_loses_no_ack(self):
        srv = Server(self.tmp)
        acked, lock = [], threading.Lock()
        stop = threading.Event()
        try:
            with srv.client() as c:
                setup_org(c)

            def writer(t):
                try:
                    with srv.client(unix=(t % 2 == 0), timeout=30) as wc:
                        for i in range(5000):
                            if stop.is_set() and i % 50 == 0 and not srv.running():
                                return
                            eid = "W%d-%d" % (t, i)
                            err, _ = wc.call("evidence.put",
                                             dict(evidence(eid, "C1"), org="acme"))
                            if err is not None:
                                return  # overloaded: shutting down
                            with lock:
                                acked.append(eid)
                except (Closed, OSError):
                    return

            threads = [threading.Thread(target=writer, args=(t,)) for t in range(6)]
            for th in threads:
                th.start()
            deadline = time.monotonic() + 10 * SLOW
            while time.monotonic() < deadline:
                with lock:
                    if len(acked) >= 150:
                        break
                time.sleep(0.01)
            srv.signal(signal.SIGTERM)
            stop.set()
            rc = srv.wait_exit(15)
            for th in threads:
                th.join(30 * SLOW)
            self.assertEqual(rc, 0, srv.log()[-3000:])
        finally:
            srv.kill()
        self.assertGreater(len(acked), 0)
        srv = Server(self.tmp)
        try:
            with srv.client() as c:
                ids = {e["id"] for e in c.ok("evidence.list", {"org": "acme"})}
                missing = [e for e in acked if e not in ids]
                self.assertEqual(missing, [], "acknowledged writes lost after SIGTERM")
                self.assertTrue(c.ok("store.check")["consistent"])
        finally:
            srv.stop()

    def test_kill9_during_bulk_writes_all_or_nothing(self):
        srv = Server(self.tmp)
        acked = []
        try:
            with srv.client() as c:
                setup_org(c)
                c.ok("evidence.load", {"org": "acme", "items": [
                    evidence("B0-%d" % k, "C1") for k in range(200)]})
                acked.append(0)
                # pipeline many bulk loads and kill -9 while they run
                batches = range(1, 40)
                data = b"".join(c.pack_request("evidence.load", {"org": "acme", "items": [
                    evidence("B%d-%d" % (b, k), "C1") for k in range(200)]}, msgid=1000 + b)[1]
                    for b in batches)
                c.send_raw(data)
                try:
                    for _ in range(5):
                        m = c.recv_msg()
                        if m[2] is None:
                            acked.append(m[1] - 1000)
                except (Closed, OSError):
                    pass
                srv.proc.kill()
                srv.proc.wait()
                try:
                    while True:
                        m = c.recv_msg(2)
                        if m[2] is None:
                            acked.append(m[1] - 1000)
                except (Closed, OSError):
                    pass
        finally:
            srv.kill()
        srv = Server(self.tmp)
        try:
            with srv.client() as c:
                self.assertTrue(c.ok("store.check")["consistent"])
                ids = {e["id"] for e in c.ok("evidence.list", {"org": "acme"})}
                for b in range(40):
                    present = sum(("B%d-%d" % (b, k)) in ids for k in range(200))
                    self.assertIn(present, (0, 200), "batch %d partly applied" % b)
                    if b in acked:
                        self.assertEqual(present, 200, "acknowledged batch %d lost" % b)
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
