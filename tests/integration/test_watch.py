"""Continuous compliance against the real crosswalkd: the change log (one
entry per committed write, hash-chained, verified, limited to an
organisation's own entries for its tokens, compacted into a checkpoint)
and the status feed (a subscriber is told exactly what a recomputation of
coverage before and after each write shows, and what time changes with no
write at all; it resumes after a reconnect with nothing lost or repeated;
one that never reads does not hold up writers)."""
import os
import random
import socket
import time
import unittest

from cwtest import (FORBIDDEN, ServerTest, evidence, hash_token, SLOW)

ISO, SOC2 = "iso27001-2022", "soc2-2017"
ORG = "acme"
# Annex A controls the randomized test links to; each of several controls.
REQS = ["A.5.1", "A.5.15", "A.5.17", "A.8.2", "A.8.5", "A.8.8", "A.8.15", "A.8.16",
        "A.8.24", "A.5.23"]
CTLS = ["C%d" % i for i in range(8)]


def statuses(client, fw, org=ORG):
    cov = client.ok("coverage.get", {"org": org, "framework": fw, "detail": True})
    return {r["id"]: r["status"] for r in cov["requirements"]}


def drain(client, timeout=10):
    """The notifications client has been sent so far: a ping's answer comes
    after everything the server queued before it."""
    notes = list(client.notes)
    client.notes.clear()
    msgid, data = client.pack_request("ping")
    client.sock.sendall(data)
    while True:
        msg = client.recv_msg(timeout)
        if msg[0] == 2:
            notes.append(msg)
        elif msg[0] == 1 and msg[1] == msgid:
            return notes
        else:
            client.pending[msg[1]] = msg


class ChangeLogTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)

    def test_one_entry_per_committed_write(self):
        c = self.c
        self.assertEqual(c.ok("log.head")["seq"], 0)
        c.ok("org.put", {"org": ORG, "name": "Acme"})
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        c.ok("evidence.put", evidence("E1", ["C1"]) | {"org": ORG})
        # a write that changes nothing, a refused write and a dry run leave none
        c.ok("org.put", {"org": ORG, "name": "Acme"})
        self.assertIsNotNone(c.call("control.put", {"org": ORG, "id": "C2",
                                                    "links": [{"framework": ISO,
                                                               "id": "nope"}]})[0])
        c.ok("control.put", {"org": ORG, "id": "C3", "dry_run": True})
        head = c.ok("log.head")
        self.assertEqual(head["seq"], 3)
        self.assertEqual(head["entries"], 3)
        entries = c.ok("log.list")["entries"]
        self.assertEqual([e["method"] for e in entries], ["org.put", "control.put",
                                                         "evidence.put"])
        self.assertEqual([e["seq"] for e in entries], [1, 2, 3])
        e = entries[2]
        self.assertEqual((e["actor"], e["role"], e["orgs"], e["catalogue"]),
                         ("local", "admin", [ORG], False))
        self.assertEqual(e["keys"], [{"kind": "evidence", "org": ORG, "id": "E1"}])
        self.assertEqual(e["prev"], entries[1]["hash"])
        self.assertEqual(entries[0]["prev"], "0" * 64)
        self.assertEqual(head["hash"], e["hash"])
        self.assertEqual(len(e["digest"]), 64)
        # paging
        page = c.ok("log.list", {"limit": 2})
        self.assertEqual([x["seq"] for x in page["entries"]], [1, 2])
        self.assertEqual(page["next"], 2)
        self.assertEqual([x["seq"] for x in c.ok("log.list", {"since": 2})["entries"]], [3])
        v = c.ok("log.verify")
        self.assertEqual((v["ok"], v["from"], v["to"], v["entries"]), (True, 1, 3, 3))
        v = c.ok("log.verify", {"from": 2, "to": 2})
        self.assertEqual((v["ok"], v["from"], v["to"], v["entries"]), (True, 2, 2, 1))
        # past the newest entry there is nothing to check, and nothing wrong
        v = c.ok("log.verify", {"from": 99})
        self.assertEqual((v["ok"], v["entries"]), (True, 0))
        # a catalogue write names no organisation
        c.ok("catalog.load", {"framework": "t-fw", "requirements": [{"id": "R1"}]})
        last = c.ok("log.list", {"since": 3})["entries"][0]
        self.assertEqual((last["orgs"], last["catalogue"]), ([], True))
        # a bulk write names its first records and counts all
        c.ok("evidence.load", {"org": ORG, "items": [evidence("B%d" % i, ["C1"])
                                                     for i in range(100)]})
        bulk = c.ok("log.list", {"since": 4})["entries"][0]
        self.assertEqual(bulk["keys_total"], 100)
        self.assertEqual(len(bulk["keys"]), 32)

    def test_tampered_entry_is_named(self):
        c = self.c
        c.ok("org.put", {"org": ORG})
        for i in range(6):
            c.ok("control.put", {"org": ORG, "id": "C%d" % i})
        entries = c.ok("log.list")["entries"]
        self.assertTrue(c.ok("log.verify")["ok"])
        victim = entries[3]  # seq 4
        digest = bytes.fromhex(victim["digest"])
        self.srv.stop()
        path = os.path.join(self.srv.data, "data.mdb")
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            n = 0
            at = data.find(digest)
            while at >= 0:  # the live page and any stale copy of it
                data[at] ^= 0x01
                n += 1
                at = data.find(digest, at + 1)
            self.assertGreater(n, 0)
            f.seek(0)
            f.write(data)
        srv = self.start(tmpdir=self.srv.tmpdir)
        c = srv.client()
        v = c.ok("log.verify")
        self.assertFalse(v["ok"], v)
        self.assertEqual(v["first_bad"], 4, v)
        self.assertIn("hash", v["reason"])
        # a range that ends before it still verifies
        self.assertTrue(c.ok("log.verify", {"to": 3})["ok"])
        c.close()

    def test_compaction_keeps_the_chain(self):
        c = self.c
        c.ok("org.put", {"org": ORG})
        for i in range(5):
            c.ok("control.put", {"org": ORG, "id": "C%d" % i})
        time.sleep(1.1)  # the cut falls a second after them
        before = int(time.time())
        c.ok("control.put", {"org": ORG, "id": "late"})
        r = c.ok("log.compact", {"before": before})
        self.assertEqual(r["removed"], 6)
        entries = c.ok("log.list")["entries"]
        self.assertTrue(entries[0]["checkpoint"])
        self.assertEqual(entries[0]["seq"], 6)
        self.assertEqual(entries[0]["removed"], 6)
        self.assertEqual([e["method"] for e in entries[1:]], ["control.put", "log.compact"])
        v = c.ok("log.verify")
        self.assertTrue(v["ok"], v)
        self.assertEqual((v["from"], v["to"]), (6, 8))
        # compacting again folds the checkpoint into the next one
        time.sleep(1.1)
        r = c.ok("log.compact", {"before": int(time.time())})
        self.assertEqual(r["removed"], 1)  # the newest entry stays
        first = c.ok("log.list")["entries"][0]
        self.assertEqual((first["seq"], first["removed"]), (7, 7))
        self.assertTrue(c.ok("log.verify")["ok"])


class TenantLogTest(ServerTest):
    def test_org_tokens_see_their_own_log_and_feed(self):
        auth = os.path.join(self.tmp, "tokens")
        with open(auth, "w") as f:
            f.write("%s admin root\n" % hash_token("tok-admin"))
            f.write("%s editor acme ed-acme\n" % hash_token("tok-acme"))
            f.write("%s auditor beta au-beta\n" % hash_token("tok-beta"))
        srv = self.start("--auth", auth)
        admin, a, b = srv.client(), srv.client(), srv.client()
        for cl, tok in ((admin, "tok-admin"), (a, "tok-acme"), (b, "tok-beta")):
            cl.ok("auth", {"token": tok})
        admin.ok("org.put", {"org": "acme"})
        admin.ok("org.put", {"org": "beta"})
        admin.ok("control.put", {"org": "beta", "id": "SECRET-B", "status": "implemented",
                                 "links": [{"framework": ISO, "id": "A.5.1"}]})
        a.ok("control.put", {"org": "acme", "id": "A1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        mine = a.ok("log.list")
        self.assertEqual(mine["org"], "acme")
        self.assertEqual([e["method"] for e in mine["entries"]], ["org.put", "control.put"])
        self.assertEqual(mine["entries"][1]["actor"], "ed-acme")
        self.assertEqual(mine["entries"][1]["role"], "editor")
        self.assertNotIn("SECRET-B", repr(mine))
        # another organisation's entries are refused
        self.assertError(a.call("log.list", {"org": "beta"})[0], FORBIDDEN, field="org")
        self.assertNotIn("acme", repr(b.ok("log.list")))
        # the feed: another organisation is refused, one's own is given
        err, _ = b.call("watch.subscribe", {"org": "acme"})
        self.assertError(err, FORBIDDEN, field="org")
        b.ok("watch.subscribe", {"org": "beta", "frameworks": [ISO]})
        a.ok("watch.subscribe", {"org": "acme", "frameworks": [ISO]})
        admin.ok("evidence.put", evidence("EB", ["SECRET-B"]) | {"org": "beta"})
        admin.ok("evidence.put", evidence("EA", ["A1"]) | {"org": "acme"})
        got_b = drain(b)
        got_a = drain(a)
        self.assertEqual([n[2]["org"] for n in got_b], ["beta"])
        self.assertEqual([n[2]["org"] for n in got_a], ["acme"])
        self.assertNotIn("SECRET-B", repr(got_a))
        # verification is anyone's; compaction an admin's
        self.assertTrue(b.ok("log.verify")["ok"])
        self.assertError(a.call("log.compact", {"before": 0})[0], FORBIDDEN)
        for cl in (admin, a, b):
            cl.close()


class FeedTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.w = self.srv.client()
        self.addCleanup(self.c.close)
        self.addCleanup(self.w.close)
        self.c.ok("org.put", {"org": ORG})

    def test_events_match_coverage_diffs_randomized(self):
        """200 random writes; after each, the events caused by it are the
        difference of the coverage answers before and after it."""
        c, w = self.c, self.w
        rnd = random.Random(int(os.environ.get("CW_SEED", "2107")))
        for cid in CTLS:
            c.ok("control.put", {"org": ORG, "id": cid, "status": "implemented",
                                 "links": [{"framework": ISO, "id": rnd.choice(REQS)}]})
        sub = w.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO, SOC2],
                                       "controls": True})
        self.assertEqual(sub["frameworks"], [ISO, SOC2])
        before = {fw: statuses(c, fw) for fw in (ISO, SOC2)}
        now = int(time.time())
        live_ev = set()
        checked = 0
        for i in range(200):
            kind = rnd.randrange(7)
            cid = rnd.choice(CTLS)
            if kind <= 2:  # evidence of any result
                eid = "E%d" % rnd.randrange(30)
                args = evidence(eid, rnd.sample(CTLS, rnd.randint(1, 2)),
                                result=rnd.choice(["pass", "pass", "fail", "unknown"]),
                                collected_at=now - rnd.randrange(1000, 100000))
                args["org"] = ORG
                c.ok("evidence.put", args)
                live_ev.add(eid)
            elif kind == 3 and live_ev:
                eid = rnd.choice(sorted(live_ev))
                c.ok("evidence.delete", {"org": ORG, "id": eid})
                live_ev.discard(eid)
            elif kind == 4:  # status and links of a control
                links = [{"framework": ISO, "id": r,
                          "level": rnd.choice(["full", "full", "partial"])}
                         for r in rnd.sample(REQS, rnd.randint(0, 2))]
                c.ok("control.put", {"org": ORG, "id": cid, "links": links,
                                     "status": rnd.choice(["implemented", "implemented",
                                                           "planned", "not_implemented"])})
            elif kind == 5:  # scope
                rid = rnd.choice(REQS)
                if rnd.random() < 0.5:
                    c.ok("scope.put", {"org": ORG, "framework": ISO, "id": rid,
                                       "applicable": False, "justification": "not here"})
                else:
                    c.call("scope.delete", {"org": ORG, "framework": ISO, "id": rid})
            else:  # a control goes and comes back
                err, _ = c.call("control.delete", {"org": ORG, "id": cid})
                if err is None:
                    c.ok("control.put", {"org": ORG, "id": cid, "status": "implemented"})
            seq = c.ok("log.head")["seq"]
            after = {fw: statuses(c, fw) for fw in (ISO, SOC2)}
            want = set()
            for fw in (ISO, SOC2):
                for rid, st in after[fw].items():
                    if before[fw].get(rid) != st:
                        want.add((fw, rid, before[fw].get(rid), st))
            got = set()
            for m, p in ((n[1], n[2]) for n in drain(w)):
                if m != "status.changed":
                    continue
                self.assertEqual(p["cause"]["kind"], "write", p)
                got.add((p["framework"], p["id"], p["from"], p["to"]))
                self.assertLessEqual(p["seq"], seq)
            self.assertEqual(got, want, "write %d (seq %d)" % (i, seq))
            checked += len(want)
            before = after
        self.assertGreater(checked, 40)  # the writes did change statuses

    def test_expiry_fires_without_a_write(self):
        c, w = self.c, self.w
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        now = int(time.time())
        c.ok("evidence.put", evidence("E1", ["C1"], collected_at=now - 60,
                                      valid_until=now + 2) | {"org": ORG})
        sub = w.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO], "controls": True})
        self.assertEqual(sub["next_change"], time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                           time.gmtime(now + 3)))
        # expiring within the next minute: the item and what it changes
        exp = c.ok("evidence.expiring", {"org": ORG, "within": 60, "frameworks": [ISO]})
        self.assertEqual([x["id"] for x in exp["items"]], ["E1"])
        self.assertEqual(exp["requirements"], [{"framework": ISO, "id": "A.5.1",
                                                "from": "met", "to": "unverified"}])
        expires = now + 3  # stale from the second after valid_until
        note = w.notification(timeout=10)
        got_at = time.time()
        self.assertEqual(note[1], "status.changed", note)
        p = note[2]
        self.assertEqual((p["id"], p["from"], p["to"]), ("A.5.1", "met", "unverified"))
        self.assertEqual(p["cause"]["kind"], "time")
        self.assertEqual([e["id"] for e in p["cause"]["evidence"]], ["E1"])
        self.assertLess(got_at - expires, 1.0 * SLOW, "fired %.3f s late" % (got_at - expires))
        self.assertGreaterEqual(got_at, expires - 0.01)
        ctl = w.notification(timeout=5)
        self.assertEqual((ctl[1], ctl[2]["id"], ctl[2]["to"]),
                         ("control.changed", "C1", "unverified"))
        # the same transitions, asked about afterwards
        ch = c.ok("status.changes", {"org": ORG, "framework": ISO, "from": now - 30})
        self.assertEqual([(x["id"], x["from"], x["to"]) for x in ch["changes"]],
                         [("A.5.1", "met", "unverified")])
        self.assertTrue(ch["complete"])
        # and the writes of the period, from the change log
        self.assertEqual(ch["writes"]["count"], 3)
        self.assertTrue(ch["writes"]["complete"])
        self.assertEqual([w["method"] for w in ch["writes"]["first"]],
                         ["org.put", "control.put", "evidence.put"])
        ch = c.ok("status.changes", {"org": ORG, "framework": ISO, "from": now - 86400 * 2,
                                     "to": now - 86400})
        self.assertEqual((ch["changes"], ch["writes"]["count"]), ([], 0))

    def test_a_lag_judges_statuses_that_long_ago(self):
        c, w = self.c, self.w
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        sub = w.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO], "as_of_lag": "2s"})
        self.assertEqual(sub["as_of_lag"], 2)
        now = int(time.time())
        c.ok("evidence.put", evidence("E1", ["C1"], collected_at=now) | {"org": ORG})
        # judged two seconds back, the evidence is not there yet: no event
        self.assertEqual([n for n in drain(w) if n[1] == "status.changed"], [])
        note = w.notification(timeout=10)
        got_at = time.time()
        self.assertEqual((note[2]["id"], note[2]["to"]), ("A.5.1", "met"))
        self.assertEqual(note[2]["cause"]["kind"], "time")
        self.assertEqual([(e["id"], e["result"]) for e in note[2]["cause"]["collected"]],
                         [("E1", "pass")])
        self.assertGreaterEqual(got_at, now + 2)
        self.assertLess(got_at - (now + 2), 1.0 * SLOW)

    def test_resume_loses_and_repeats_nothing(self):
        c = self.c
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        w = self.srv.client()
        w.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO]})
        results = ["pass", "fail"] * 5
        seen = []
        for k, r in enumerate(results[:4]):
            c.ok("evidence.put", evidence("E%d" % k, ["C1"], result=r,
                                          collected_at=1700000000 + k) | {"org": ORG})
        seen += drain(w)
        last = seen[-1][2]["event"]
        w.close()  # the subscriber goes away; writes go on
        for k, r in enumerate(results[4:], start=4):
            c.ok("evidence.put", evidence("E%d" % k, ["C1"], result=r,
                                          collected_at=1700000000 + k) | {"org": ORG})
        w2 = self.srv.client()
        self.addCleanup(w2.close)
        sub = w2.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO], "since": last})
        self.assertTrue(sub["resumed"], sub)
        c.ok("evidence.put", evidence("E10", ["C1"], result="pass",
                                      collected_at=1700000010) | {"org": ORG})
        missed = drain(w2)
        seen += missed
        events = [n[2]["event"] for n in seen]
        self.assertEqual(events, sorted(set(events)), "no event twice, in order")
        tos = [n[2]["to"] for n in seen]
        # every flip of the requirement, in order: met, failing, met, ...
        self.assertEqual(tos, ["met", "failing"] * 5 + ["met"])
        # a position the journal never held is said to be lost, not guessed
        w3 = self.srv.client()
        sub = w3.ok("watch.subscribe", {"org": ORG, "frameworks": [ISO], "since": 1})
        self.assertEqual((sub["resumed"], sub["lost"]), (False, True))
        w3.close()

    def test_catalogue_and_deletion_reach_the_feed(self):
        c, w = self.c, self.w
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        c.ok("evidence.put", evidence("E1", ["C1"]) | {"org": ORG})
        w.ok("watch.subscribe", {"org": ORG, "frameworks": [SOC2]})
        # a crosswalk row from A.5.1 to a SOC 2 criterion the organisation
        # does not meet yet changes its status: an admin's write, no org
        before = statuses(c, SOC2)
        c.ok("mapping.load", {"mappings": [{"source_framework": ISO, "source": "A.5.1",
                                             "target_framework": SOC2, "target": "CC9.2",
                                             "relationship": "equal", "origin": "test"}]})
        after = statuses(c, SOC2)
        want = {(r, before[r], after[r]) for r in after if before[r] != after[r]}
        self.assertTrue(want)
        got = {(n[2]["id"], n[2]["from"], n[2]["to"]) for n in drain(w)}
        self.assertEqual(got, want)
        # the organisation is deleted: the subscription ends, saying why
        c.ok("org.delete", {"org": ORG})
        notes = drain(w)
        self.assertEqual(notes[-1][1], "watch.dropped")
        self.assertIn("deleted", notes[-1][2]["reason"])

    def test_a_subscriber_that_never_reads_does_not_hold_up_writers(self):
        c = self.c
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        lazy = socket.create_connection(("127.0.0.1", self.srv.tcp_port))
        self.addCleanup(lazy.close)
        lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        import msgpack
        lazy.sendall(msgpack.packb([0, 1, "watch.subscribe",
                                    [{"org": ORG, "frameworks": [ISO], "controls": True}]]))
        time.sleep(0.2)
        t0 = time.monotonic()
        n = 600
        for k in range(n):
            c.ok("evidence.put", evidence("E%d" % k, ["C1"], result=["pass", "fail"][k % 2],
                                          collected_at=1700000000 + k) | {"org": ORG})
        spent = time.monotonic() - t0
        # the writer was never made to wait for the subscriber: a few
        # hundred microseconds to milliseconds per write, as without it
        self.assertLess(spent / n, 0.05 * SLOW, "%.1f ms per write" % (spent / n * 1000))
        self.assertEqual(c.ok("ping"), "pong")
        st = c.ok("server.stats")
        self.assertEqual(st["watch_subscriptions"], 1)
        self.assertGreater(st["watch_events"], 0)


if __name__ == "__main__":
    unittest.main()
