"""Crash safety under load: kill -9 at random moments while several clients
write, at least 20 times on one data directory.

Each round starts crosswalkd on the data directory the previous round
killed, creates a fresh organisation, then lets six clients write at once:
two load evidence in bulk (one call at a time, and three calls pipelined),
four send single evidence.put and control.put requests.  After a random
delay the server gets SIGKILL; it is restarted on the same directory and

- every write that was answered without error before the kill is there,
  with the content that was sent;
- every bulk call is all or nothing, answered or not;
- a write that was sent but not answered is either absent or exactly what
  was sent (for a control: the last answered version or the one in flight);
- no other data appeared, and no earlier round's data changed;
- store.check and `crosswalk check` find the store consistent.

The delays come from a seeded generator; the seed is printed, and
CW_CRASH_SEED=<seed> repeats the same schedule (CW_CRASH_ROUNDS changes the
number of rounds).  The initial map is small (--map-size 4M), so some kills
land while the map grows.
"""
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import unittest

from cwtest import SLOW, Closed, Server, ServerTest, crosswalkd, evidence, is_asan

ROUNDS = int(os.environ.get("CW_CRASH_ROUNDS", "24"))
MAP_ARGS = ("--map-size", "4M")
CONTROLS = ["C0", "C1", "C2", "C3"]
STATUSES = ["implemented", "planned", "not_implemented"]
LINK_IDS = ["A.5.1", "A.5.2", "A.8.1"]
RESULTS = ["pass", "fail", "unknown"]
BULK_THREADS = 2
SINGLE_THREADS = 4
BASE_TIME = 1700000000


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def cli_path():
    """The crosswalk CLI next to the server in the same build tree."""
    p = os.environ.get("CROSSWALK")
    if not p:
        p = os.path.join(os.path.dirname(os.path.dirname(crosswalkd())),
                         "tools", "cli", "crosswalk")
    return p if os.access(p, os.X_OK) else None


# -- what is sent, and what must come back --

def bulk_item(bid, k):
    return evidence("%s-%04d" % (bid, k), [CONTROLS[k % 4]], result=RESULTS[k % 3],
                    collected_at=BASE_TIME + k, kind="bulk", title="batch %s item %d" % (bid, k),
                    source=bid)


def expect_of(item):
    """The fields of an evidence answer that must equal what was sent."""
    return {"id": item["id"], "controls": list(item["controls"]), "result": item["result"],
            "collected_at": rfc3339(item["collected_at"]), "kind": item.get("kind", ""),
            "title": item.get("title", ""), "source": item.get("source", "")}


def got_of(ans):
    return {k: ans.get(k) for k in ("id", "controls", "result", "collected_at", "kind",
                                    "title", "source")}


def control_version(t, i):
    return {"id": "K%d" % t, "title": "K%d v%d" % (t, i), "owner": "owner-%d-%d" % (t, i % 7),
            "status": STATUSES[i % 3],
            "links": [{"framework": "iso27001-2022", "id": LINK_IDS[i % 3],
                       "level": "full" if i % 2 else "partial"}]}


def control_got(ans):
    return {"id": ans["id"], "title": ans["title"], "owner": ans["owner"],
            "status": ans["status"],
            "links": [{"framework": l["framework"], "id": l["id"], "level": l["level"]}
                      for l in ans["links"]]}


class Round:
    """One round's writers and everything they sent."""

    def __init__(self, srv, n, org, seed):
        self.srv, self.n, self.org, self.seed = srv, n, org, seed
        self.lock = threading.Lock()
        self.killed = threading.Event()
        self.batches = []    # {"bid", "n", "acked"}
        self.singles = {}    # evidence id -> [expected, acked]
        self.versions = {}   # control id -> [[expected, acked], ...] in sending order
        self.errors = []
        self.threads = []

    def fail(self, what):
        with self.lock:
            self.errors.append(what)

    def lost_connection(self, who, e):
        # After the kill every connection ends; before it none may.
        if not self.killed.is_set():
            self.fail("%s: connection lost before the kill: %r" % (who, e))

    @contextlib.contextmanager
    def writer_client(self, who, unix):
        """A client for one writer thread: an answer that does not come in
        time is an error, and so is a lost connection before the kill."""
        try:
            with self.srv.client(unix=unix) as c:
                yield c
        except socket.timeout as e:
            self.fail("%s: no answer in time: %r" % (who, e))
        except (Closed, OSError) as e:
            self.lost_connection(who, e)

    def start(self):
        self.threads = [threading.Thread(target=self.bulk_sequential, args=(0,)),
                        threading.Thread(target=self.bulk_pipelined, args=(1,))]
        self.threads += [threading.Thread(target=self.singles_writer, args=(t,))
                         for t in range(BULK_THREADS, BULK_THREADS + SINGLE_THREADS)]
        for th in self.threads:
            th.daemon = True
            th.start()

    def join(self):
        for th in self.threads:
            th.join(60 * SLOW)
        alive = [th.name for th in self.threads if th.is_alive()]
        if alive:
            self.fail("writer threads still running after the kill: %r" % alive)

    def new_batch(self, t, seq, n):
        rec = {"bid": "r%02dt%dn%03d" % (self.n, t, seq), "n": n, "acked": False}
        with self.lock:
            self.batches.append(rec)
        return rec

    def check_bulk_answer(self, rec, err, res):
        if err is not None:
            self.fail("evidence.load %s: %r" % (rec["bid"], err))
            return False
        if res != {"created": rec["n"], "updated": 0, "deleted": 0, "rejected": 0,
                   "unchanged": 0}:
            self.fail("evidence.load %s answered %r" % (rec["bid"], res))
            return False
        rec["acked"] = True
        return True

    def bulk_sequential(self, t):
        rng = random.Random(self.seed * 100 + t)
        with self.writer_client("bulk %d" % t, unix=False) as c:
            for seq in range(1000):
                rec = self.new_batch(t, seq, rng.randint(200, 1500))
                items = [bulk_item(rec["bid"], k) for k in range(rec["n"])]
                err, res = c.call("evidence.load", {"org": self.org, "items": items})
                if not self.check_bulk_answer(rec, err, res):
                    return
                time.sleep(rng.uniform(0, 0.02))

    def bulk_pipelined(self, t):
        """Three bulk calls sent at once, so that several are queued for
        the writer (one group commit) when the kill comes."""
        rng = random.Random(self.seed * 100 + t)
        with self.writer_client("bulk %d" % t, unix=True) as c:
            for rnd in range(1000):
                recs, ids, chunks = [], [], []
                for j in range(3):
                    rec = self.new_batch(t, rnd * 3 + j, rng.randint(100, 800))
                    items = [bulk_item(rec["bid"], k) for k in range(rec["n"])]
                    msgid, data = c.pack_request("evidence.load",
                                                 {"org": self.org, "items": items})
                    recs.append(rec)
                    ids.append(msgid)
                    chunks.append(data)
                c.send_raw(b"".join(chunks))
                for rec, msgid in zip(recs, ids):
                    m = c.recv_response(msgid)
                    if not self.check_bulk_answer(rec, m[2], m[3]):
                        return
                time.sleep(rng.uniform(0, 0.02))

    def singles_writer(self, t):
        rng = random.Random(self.seed * 100 + t)
        cid = "K%d" % t
        with self.writer_client("writer %d" % t, unix=(t % 2 == 1)) as c:
            for i in range(100000):
                if i % 3 == 2:
                    ver = control_version(t, i)
                    entry = [ver, False]
                    with self.lock:
                        self.versions[cid].append(entry)
                    err, res = c.call("control.put", dict(ver, org=self.org))
                    what = "control.put %s v%d" % (cid, i)
                else:
                    eid = "r%02dt%di%05d" % (self.n, t, i)
                    item = evidence(eid, rng.sample(CONTROLS, rng.randint(1, 2)),
                                    result=rng.choice(RESULTS),
                                    collected_at=BASE_TIME + rng.randint(0, 10 ** 6),
                                    kind="single", title="single %d/%d %x" % (
                                        t, i, rng.getrandbits(32)))
                    entry = [expect_of(item), False]
                    with self.lock:
                        self.singles[eid] = entry
                    err, res = c.call("evidence.put", dict(item, org=self.org))
                    what = "evidence.put %s" % eid
                if err is not None:
                    self.fail("%s: %r" % (what, err))
                    return
                if not (isinstance(res, dict) and res.get("rejected") == 0
                        and res.get("created", 0) + res.get("updated", 0)
                        + res.get("unchanged", 0) == 1):
                    self.fail("%s answered %r" % (what, res))
                    return
                entry[1] = True


class CrashTest(ServerTest):
    def setUp(self):
        super().setUp()
        env_seed = os.environ.get("CW_CRASH_SEED")
        self.seed = int(env_seed) if env_seed else random.SystemRandom().randrange(1 << 31)
        print("\ncrash test: seed %d (CW_CRASH_SEED=%d repeats the kill schedule), %d rounds%s"
              % (self.seed, self.seed, ROUNDS, ", sanitizer build" if is_asan() else ""),
              flush=True)
        self.cli = cli_path()
        self.totals = {"rounds": 0, "acked_bulk_items": 0, "acked_singles": 0,
                       "acked_controls": 0, "acked_batches": 0, "complete": 0, "absent": 0,
                       "unacked_complete": 0, "unacked_absent": 0, "inflight_singles": 0,
                       "inflight_present": 0, "cli_checks": 0, "verified_items": 0}
        self.rounds = []       # every finished Round, re-verified at the end
        self.evidence_total = 0

    # -- checks --

    def store_consistent(self, srv, c, when, cli=True):
        sc = c.ok("store.check")
        self.assertTrue(sc["consistent"], "%s: store.check: %r" % (when, sc))
        self.assertEqual(sc["problems"], 0)
        if not (self.cli and cli):
            return
        p = subprocess.run([self.cli, "--server", "unix:" + srv.unix_path, "check",
                            "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120 * SLOW)
        self.assertEqual(p.returncode, 0, "%s: crosswalk check exited %d: %s"
                         % (when, p.returncode, p.stderr.decode()[-2000:]))
        ans = json.loads(p.stdout)
        self.assertIn("mapping_check", ans)
        self.assertTrue(ans["store_check"]["consistent"],
                        "%s: crosswalk check: %r" % (when, ans["store_check"]))
        self.totals["cli_checks"] += 1

    def verify_round(self, c, r, count=True):
        """Checks r's organisation; returns how many evidence items it holds."""
        when = "round %d (seed %d)" % (r.n, self.seed)
        got = {e["id"]: e for e in c.ok("evidence.list", {"org": r.org})}
        seen = set()
        stats = {"complete": 0, "absent": 0, "unacked_complete": 0, "unacked_absent": 0}
        partial, lost, wrong = [], [], []
        for rec in r.batches:
            ids = ["%s-%04d" % (rec["bid"], k) for k in range(rec["n"])]
            present = [i for i in ids if i in got]
            seen.update(present)
            if len(present) not in (0, rec["n"]):
                partial.append("%s: %d of %d items%s" % (rec["bid"], len(present), rec["n"],
                                                          " (acknowledged)" if rec["acked"]
                                                          else ""))
                continue
            if rec["acked"] and not present:
                lost.append("acknowledged batch %s (%d items)" % (rec["bid"], rec["n"]))
                continue
            for k, i in enumerate(present):
                want = expect_of(bulk_item(rec["bid"], k))
                if got_of(got[i]) != want:
                    wrong.append("%s: %r, sent %r" % (i, got_of(got[i]), want))
                    break
            key = "complete" if present else "absent"
            stats[key if rec["acked"] else "unacked_" + key] += 1
            if count and rec["acked"]:
                self.totals["acked_bulk_items"] += rec["n"]
        inflight = inflight_present = 0
        for eid, (want, acked) in r.singles.items():
            if eid in got:
                seen.add(eid)
                if got_of(got[eid]) != want:
                    wrong.append("%s: %r, sent %r" % (eid, got_of(got[eid]), want))
                if not acked:
                    inflight_present += 1
            elif acked:
                lost.append("acknowledged evidence.put %s" % eid)
            if not acked:
                inflight += 1
        extra = sorted(set(got) - seen)
        self.assertEqual(partial, [], "%s: bulk calls partly applied" % when)
        self.assertEqual(lost, [], "%s: acknowledged writes lost" % when)
        self.assertEqual(wrong, [], "%s: stored content differs from what was sent" % when)
        self.assertEqual(extra[:10], [], "%s: evidence nobody wrote" % when)
        # controls: each writer's control is its last acknowledged version,
        # or the one version it had sent without an answer yet
        controls = {x["id"]: x for x in c.ok("control.list", {"org": r.org})}
        self.assertEqual(sorted(controls), sorted(CONTROLS + list(r.versions)), when)
        for cid, vers in r.versions.items():
            last = max(i for i, (_, acked) in enumerate(vers) if acked)
            allowed = [v for v, _ in vers[last:]]
            self.assertLessEqual(len(allowed), 2, "%s: %s: more than one version in flight"
                                 % (when, cid))
            have = control_got(controls[cid])
            self.assertIn(have, allowed, "%s: control %s is neither its last acknowledged "
                          "version nor the one in flight" % (when, cid))
            if count:  # the setup version (index 0) is not counted
                self.totals["acked_controls"] += sum(1 for _, a in vers[1:] if a)
        if count:
            for k, v in stats.items():
                self.totals[k] += v
            self.totals["acked_batches"] += stats["complete"]
            self.totals["acked_singles"] += sum(1 for _, a in r.singles.values() if a)
            self.totals["inflight_singles"] += inflight
            self.totals["inflight_present"] += inflight_present
        self.totals["verified_items"] += len(got)
        return len(got), stats, inflight, inflight_present

    # -- rounds --

    def setup_round(self, srv, n, seed):
        r = Round(srv, n, "crash%02d" % n, seed)
        with srv.client() as c:
            c.ok("org.put", {"org": r.org, "name": "crash round %d" % n})
            c.ok("control.put", {"org": r.org, "controls": [
                {"id": cid, "links": [{"framework": "iso27001-2022", "id": "A.5.1"}]}
                for cid in CONTROLS]})
            for t in range(BULK_THREADS, BULK_THREADS + SINGLE_THREADS):
                ver = control_version(t, -1)
                c.ok("control.put", dict(ver, org=r.org))
                r.versions[ver["id"]] = [[ver, True]]
        return r

    def test_kill9_at_random_moments(self):
        rng = random.Random(self.seed)
        t_start = time.monotonic()
        srv = Server(self.tmp, *MAP_ARGS)
        try:
            for n in range(ROUNDS):
                t_round = time.monotonic()
                r = self.setup_round(srv, n, rng.randrange(1 << 30))
                # mostly while the writers are in full swing, sometimes at once
                if rng.random() < 0.2:
                    delay = rng.uniform(0, 0.03)
                else:
                    delay = rng.uniform(0.03, 0.4)
                r.start()
                time.sleep(delay * SLOW)
                self.assertTrue(srv.running(), "crosswalkd died before the kill (round %d, "
                                "seed %d):\n%s" % (n, self.seed, srv.log()[-4000:]))
                r.killed.set()
                srv.proc.send_signal(signal.SIGKILL)
                srv.proc.wait()
                srv.kill()
                r.join()
                self.assertEqual(r.errors, [], "round %d (seed %d): writers saw errors"
                                 % (n, self.seed))
                srv = Server(self.tmp, *MAP_ARGS)
                t_restart = time.monotonic()
                with srv.client() as c:
                    # The CLI repeats store.check over the whole store: in the
                    # slow sanitizer build, every fourth round is enough.
                    self.store_consistent(srv, c, "round %d" % n, cli=SLOW == 1 or n % 4 == 0)
                    held, st, inflight, inflight_present = self.verify_round(c, r)
                    self.evidence_total += held
                    info = c.ok("server.info")
                    self.assertEqual(info["counts"]["evidence"], self.evidence_total,
                                     "round %d: evidence count of the whole store" % n)
                    self.assertEqual(info["counts"]["orgs"], n + 1)
                self.rounds.append(r)
                self.totals["rounds"] += 1
                acked_b = sum(1 for b in r.batches if b["acked"])
                print("round %2d: kill after %.3f s; %2d bulk calls (%2d answered): "
                      "%2d complete, %2d absent; %4d single writes answered, %d in flight "
                      "(%d present); map %d KiB; %.2f s + %.2f s checks" % (
                          n, delay * SLOW, len(r.batches), acked_b,
                          st["complete"] + st["unacked_complete"],
                          st["absent"] + st["unacked_absent"],
                          sum(1 for _, a in r.singles.values() if a)
                          + sum(1 for v in r.versions.values() for _, a in v[1:] if a),
                          inflight, inflight_present, info["storage"]["map_size"] >> 10,
                          t_restart - t_round, time.monotonic() - t_restart),
                      flush=True)
            # a clean stop and restart: every round's data once more
            srv.stop()
            srv = Server(self.tmp, *MAP_ARGS)
            with srv.client() as c:
                self.store_consistent(srv, c, "after the last round")
                total = 0
                for r in self.rounds:
                    total += self.verify_round(c, r, count=False)[0]
                self.assertEqual(total, self.evidence_total)
                self.assertEqual(c.ok("server.info")["counts"]["evidence"], total)
            srv.stop()
        finally:
            srv.kill()
        tt = self.totals
        print("crash test: seed %d, %d rounds (kill -9 each) in %.1f s" % (
            self.seed, tt["rounds"], time.monotonic() - t_start))
        print("  acknowledged writes verified: %d (bulk items %d in %d calls, single "
              "evidence.put %d, control.put %d: each control's last answered version checked)" % (
                  tt["acked_bulk_items"] + tt["acked_singles"] + tt["acked_controls"],
                  tt["acked_bulk_items"], tt["acked_batches"], tt["acked_singles"],
                  tt["acked_controls"]))
        print("  bulk calls: %d complete, %d absent (answered: %d complete; unanswered at "
              "the kill: %d complete, %d absent); none partial" % (
                  tt["complete"] + tt["unacked_complete"], tt["absent"] + tt["unacked_absent"],
                  tt["complete"], tt["unacked_complete"], tt["unacked_absent"]))
        print("  single evidence.put in flight at a kill: %d (%d of them committed)" % (
            tt["inflight_singles"], tt["inflight_present"]))
        print("  store.check consistent after every restart; crosswalk check runs: %d%s" % (
            tt["cli_checks"], "" if self.cli else " (CLI not built: skipped)"), flush=True)
        self.assertGreaterEqual(tt["rounds"], 20)
        # the kills did land amid writes: some calls were cut off unanswered
        self.assertGreater(tt["unacked_absent"] + tt["unacked_complete"]
                           + tt["inflight_singles"], 0)


if __name__ == "__main__":
    unittest.main()
