"""Recorded history against the real crosswalkd: a randomized sequence of
timed writes (control status and links, control deletion, scope
decisions, crosswalk rows, catalogue rows, evidence added, replaced and
deleted), the coverage answer recorded
after each; then coverage.get with as_recorded at each recorded time gives
back exactly that answer, coverage.diff between two recorded times names
exactly the requirements whose recorded status differs, coverage.period
agrees with the recordings, control.get, framework.compare, mapping.list
and requirement.list at each recorded time give back what they answered
then, and history.compact refuses what it folded."""
import calendar
import os
import random
import time
import unittest

from cwtest import NOT_FOUND, INVALID_PARAMS, ServerTest, evidence

ISO, SOC2 = "iso27001-2022", "soc2-2017"
ORG = "acme"
REQS = ["A.5.1", "A.5.15", "A.5.17", "A.8.2", "A.8.5", "A.8.8", "A.8.15", "A.8.16",
        "A.8.24", "A.5.23"]
SOC_REQS = ["CC6.1", "CC6.2", "CC6.3", "CC7.2", "CC8.1"]
CTLS = ["C%d" % i for i in range(6)]
HELD = ("met", "not_applicable")


def next_second(t):
    """Waits until the clock has passed second t, so the next write is
    recorded after it."""
    while int(time.time()) <= t:
        time.sleep(0.05)


def ts(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def strip(ans):
    ans = dict(ans)
    ans.pop("as_recorded", None)
    ans.pop("recorded", None)
    return ans


class HistoryTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.start()
        self.c = self.srv.client()
        self.addCleanup(self.c.close)
        self.c.ok("org.put", {"org": ORG})
        self.live = set()

    def cov(self, fw, t, **kw):
        """coverage.get at t: today's records unless as_recorded is given."""
        kw.setdefault("as_recorded", False)
        return self.c.ok("coverage.get", {"org": ORG, "framework": fw, "as_of": t,
                                          "detail": True, **kw})

    def others(self, t, past=False):
        """What control.get, framework.compare, mapping.list and
        requirement.list answer at t: now (past False), or asked about t
        afterwards."""
        c = self.c
        at = {"as_of": t} if past else {}
        out = {"compare": c.ok("framework.compare", {"source": ISO, "target": SOC2, **at}),
               "mappings": c.ok("mapping.list", {"framework": ISO, "target_framework": SOC2,
                                                 **at})}
        for cid in CTLS:
            err, res = c.call("control.get", {"org": ORG, "id": cid, "as_of": t,
                                              "as_recorded": past})
            out[cid] = res if err is None else err[0]
        err, res = c.call("requirement.list", {"framework": "hist-fw", **at})
        out["hist-fw"] = res if err is None else err[0]
        return out

    def step(self, rnd, i):
        c = self.c
        kind = rnd.randrange(8)
        cid = rnd.choice(CTLS)
        now = int(time.time())
        if kind == 0:  # new evidence, or an item replaced
            eid = rnd.choice(sorted(self.live)) if self.live and rnd.random() < 0.4 else "E%d" % i
            c.ok("evidence.put", {"org": ORG, **evidence(
                eid, rnd.sample(CTLS, rnd.randint(1, 2)),
                result=rnd.choice(["pass", "pass", "fail"]), collected_at=now)})
            self.live.add(eid)
        elif kind == 7 and self.live:  # an item deleted
            eid = rnd.choice(sorted(self.live))
            c.ok("evidence.delete", {"org": ORG, "id": eid})
            self.live.discard(eid)
        elif kind == 1:
            links = [{"framework": ISO, "id": r, "level": rnd.choice(["full", "partial"])}
                     for r in rnd.sample(REQS, rnd.randint(0, 2))]
            c.ok("control.put", {"org": ORG, "id": cid, "links": links,
                                 "status": rnd.choice(["implemented", "planned",
                                                       "not_implemented"])})
        elif kind == 2:
            rid = rnd.choice(REQS)
            if rnd.random() < 0.6:
                c.ok("scope.put", {"org": ORG, "framework": ISO, "id": rid,
                                   "applicable": False, "justification": "not here"})
            else:
                c.call("scope.delete", {"org": ORG, "framework": ISO, "id": rid})
        elif kind == 3:
            err, _ = c.call("control.delete", {"org": ORG, "id": cid})
            if err is None and rnd.random() < 0.5:
                c.ok("control.put", {"org": ORG, "id": cid, "status": "implemented",
                                     "links": [{"framework": ISO, "id": rnd.choice(REQS)}]})
        elif kind == 6:  # a catalogue of our own: titles change, requirements go
            reqs = [{"id": "H%d" % j, "title": "title %d.%d" % (j, rnd.randrange(100))}
                    for j in range(rnd.randint(1, 4))]
            c.ok("catalog.load", {"framework": "hist-fw", "name": "History test",
                                  "requirements": reqs, "replace": True})
        else:  # a crosswalk row of our own comes or goes
            src, dst = rnd.choice(REQS), rnd.choice(SOC_REQS)
            if kind == 4:
                c.ok("mapping.load", {"mappings": [{
                    "source_framework": ISO, "source": src, "target_framework": SOC2,
                    "target": dst, "relationship": "equal", "origin": "history-test"}]})
            else:
                c.call("mapping.delete", {"origin": "history-test"})

    def test_recorded_answers_come_back(self):
        """Each recorded answer, asked again with as_recorded at its time,
        is given back exactly; diff and period agree with the recordings."""
        c = self.c
        rnd = random.Random(int(os.environ.get("CW_SEED", "2207")))
        for cid in CTLS:
            c.ok("control.put", {"org": ORG, "id": cid, "status": "implemented",
                                 "links": [{"framework": ISO, "id": rnd.choice(REQS)}]})
        c.ok("evidence.put", {"org": ORG, **evidence("E-base", CTLS[:4],
                                                      collected_at=int(time.time()) - 60)})
        rec, others = [], []
        steps = int(os.environ.get("CW_HISTORY_STEPS", "14"))
        for i in range(steps):
            for _ in range(rnd.randint(1, 3)):
                self.step(rnd, i)
            t = int(time.time())
            rec.append((t, {fw: self.cov(fw, t) for fw in (ISO, SOC2)}))
            others.append(self.others(t))
            next_second(t)
        statuses = [{fw: {r["id"]: r["status"] for r in ans[fw]["requirements"]}
                     for fw in (ISO, SOC2)} for _, ans in rec]
        self.assertTrue(any(statuses[i] != statuses[i + 1] for i in range(len(rec) - 1)),
                        "the writes changed no status")
        for t, ans in rec:
            for fw in (ISO, SOC2):
                got = self.cov(fw, t, as_recorded=True)
                self.assertTrue(got["as_recorded"])
                self.assertEqual(strip(got), ans[fw], "%s at %d" % (fw, t))
                # the versions it used: none written after t, one for each
                # contributing control
                rec_at = got["recorded"]
                self.assertLessEqual(ts(rec_at["org"]), t)
                cited = {x["control"] for r in got["requirements"]
                         for x in r["contributions"] if x.get("control")}
                self.assertEqual(set(rec_at["controls"]), cited)
                for cid, v in rec_at["controls"].items():
                    self.assertLessEqual(ts(v), t, cid)
        # the other queries that honour a past time give back theirs (and
        # the writes changed what they answer)
        self.assertTrue(any(others[i] != others[i + 1] for i in range(len(others) - 1)))
        for (t, _), then in zip(rec, others):
            self.assertEqual(self.others(t, past=True), then, "at %d" % t)
        # today's records at an old time differ somewhere (else the test
        # shows nothing), and are what as_recorded: false still answers
        self.assertTrue(any(strip(self.cov(fw, t)) != ans[fw]
                            for t, ans in rec[:-1] for fw in (ISO, SOC2)))
        # diff: exactly the requirements whose recorded status differs
        for a, b in ((0, len(rec) - 1), (1, len(rec) // 2), (len(rec) // 2, len(rec) - 2)):
            for fw in (ISO, SOC2):
                d = c.ok("coverage.diff", {"org": ORG, "framework": fw,
                                           "from": rec[a][0], "to": rec[b][0]})
                want = {(r, statuses[a][fw][r], s) for r, s in statuses[b][fw].items()
                        if statuses[a][fw].get(r) != s}
                self.assertEqual({(x["id"], x["from"], x["to"]) for x in d["changed"]}, want)
                for x in d["changed"]:
                    self.assertTrue(x["causes"], x)
        # period: each requirement's stretches not held cover exactly the
        # recorded times at which it was not held, with that status
        t0, t1 = rec[0][0], rec[-1][0]
        for fw in (ISO, SOC2):
            p = c.ok("coverage.period", {"org": ORG, "framework": fw, "from": t0, "to": t1})
            self.assertTrue(p["complete"])
            for r in p["requirements"]:
                for s in r["not_held"]:
                    s["from"], s["to"] = ts(s["from"]), ts(s["to"])
                for i, (t, _) in enumerate(rec):
                    st = statuses[i][fw][r["id"]]
                    inside = [s for s in r["not_held"] if s["from"] <= t < s["to"] or
                              (t == t1 and s["to"] == t1 and s["from"] <= t)]
                    if st in HELD:
                        self.assertFalse([s for s in inside if s["from"] <= t < s["to"]],
                                         (r["id"], t, st))
                    else:
                        self.assertTrue(inside, (r["id"], t, st, r["not_held"]))
                        self.assertEqual(inside[0]["status"], st, (r["id"], t))
                self.assertEqual(r["held_throughout"], not r["not_held"])
                self.assertEqual(r["held_throughout"],
                                 all(s[fw][r["id"]] in HELD for s in statuses), r["id"])
                for s in r["not_held"]:
                    self.assertIn(s["cause"]["kind"], ("start", "write", "time"))
                    if s["from"] > t0:
                        self.assertEqual(s["cause"]["kind"], "write", s)
        # compaction: before its time, a refusal naming it; after, the same
        k = len(rec) // 2
        out = c.ok("history.compact", {"before": rec[k][0]})
        self.assertGreater(out["removed"], 0)
        self.assertEqual(out["kept_from"], time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                          time.gmtime(rec[k][0])))
        storage = c.ok("server.info")["storage"]
        self.assertEqual(storage["history_kept_from"], out["kept_from"])
        self.assertGreater(storage["history_versions"], 0)
        self.assertCallError(c, "coverage.get", {"org": ORG, "framework": ISO,
                                                 "as_of": rec[k - 1][0], "as_recorded": True},
                             NOT_FOUND, field="as_of")
        for t, ans in rec[k:]:
            self.assertEqual(strip(self.cov(ISO, t, as_recorded=True)), ans[ISO])
        self.assertCallError(c, "history.compact", {"before": int(time.time()) + 3600},
                             INVALID_PARAMS, field="before")

    def test_deleted_organisation_and_unrecorded_times(self):
        c = self.c
        c.ok("control.put", {"org": ORG, "id": "C1", "status": "implemented",
                             "links": [{"framework": ISO, "id": "A.5.1"}]})
        written = c.ok("log.list", {"org": ORG})["entries"][-1]["at"]
        c.ok("evidence.put", {"org": ORG, **evidence("E1", ["C1"],
                                                      collected_at=int(time.time()) - 5)})
        t = int(time.time())
        before = self.cov(ISO, t)
        next_second(t)
        c.ok("org.delete", {"org": ORG})
        self.assertCallError(c, "coverage.get", {"org": ORG, "framework": ISO},
                             NOT_FOUND, field="org")
        # the organisation, its control and its evidence come back
        then = self.cov(ISO, t, as_recorded=True)
        self.assertEqual(strip(then), before)
        self.assertEqual(before["counts"]["met"], 1)
        self.assertEqual(then["recorded"]["controls"], {"C1": written})
        # before the organisation was first written: it was not recorded
        self.assertCallError(c, "coverage.get", {"org": ORG, "framework": ISO,
                                                 "as_of": t - 3600, "as_recorded": True},
                             NOT_FOUND, field="org")


if __name__ == "__main__":
    unittest.main()
