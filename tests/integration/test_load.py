"""Sustained load: hundreds of connections against the real crosswalkd,
each keeping several pipelined requests in flight for a fixed time, a mix
of reads (ping, requirement.get, mapping.list, evidence.list, control.get,
coverage.get) and writes (evidence.put, control.put, each sometimes followed
in the same pipeline by a read of what it wrote).

Checked, over two rounds on the same server:
- every request gets exactly one response with its msgid, and none is an
  error (a read behind a write on its connection must see that write);
- memory stays bounded: the server's resident size (VmRSS, sampled every
  0.2 s) rises by less than RSS_BOUND_MIB over the idle server, and round 2,
  which replays round 1's ids on a store of about the same size, does not
  peak or end much above round 1 (heap, RssAnon, compared: file-backed LMDB
  pages follow the data, not leaks);
- every acknowledged write is there afterwards (evidence.list per control,
  control.list).

The figures (requests, rate, RSS before / peak / after) go to stderr, so
`ctest -V` shows them.  CW_LOAD_SECONDS and CW_LOAD_CONNS override the
round length and the connection count.
"""
import os
import random
import resource
import selectors
import socket
import sys
import time
import unittest

import msgpack

from cwtest import SLOW, ServerTest, is_asan

# ctest's CW_TIME_SCALE (> 1 in CW_SANITIZE builds) tells as well.
ASAN = is_asan() or SLOW > 1
# The sanitizer build is several times slower per request: fewer
# connections, a slightly longer round, looser memory bounds (freed memory
# sits in ASan's quarantine, up to 256 MiB by default, and every allocation
# carries redzones).
CONNS = int(os.environ.get("CW_LOAD_CONNS", "100" if ASAN else "300"))
SECONDS = float(os.environ.get("CW_LOAD_SECONDS", "25" if ASAN else "20"))
DEPTH = 6                      # requests in flight per connection
# Each connection cycles through this many evidence and control ids, so the
# store stops growing early in round 1 and round 2 replays round 1 on the
# same amount of data (writes become updates): its memory is comparable.
IDS_PER_CONN = 50
FRAMEWORK = "iso27001-2022"
ORG = "load"                   # written to during the run
STATIC_ORG = "load-static"     # only read
STATIC_CONTROLS = 40
# Peak VmRSS above the idle server, in MiB.  Measured on the normal build
# (2 cores): 30-50 MiB for 300 connections (buffers, arenas, LMDB pages
# touched); sanitizer build, 100 connections: about 270 MiB, most of it
# ASan's quarantine.  The bound leaves a wide margin and still catches
# unbounded per-connection buffering or a gross leak.
RSS_BOUND_MIB = 512 if ASAN else 160
# Round 2 against round 1, heap only (RssAnon), peak and after: round 2 may
# add twice round 1's own growth plus this slack.  glibc keeps memory freed
# after a burst (measured: ~4 MiB of 50-60 MiB still in use after a round,
# malloc_trim gives the rest back), and that held memory creeps up for a few
# rounds (measured: round 2 adds 0.6-1.3 times round 1's growth), so this
# only catches a leak of several hundred bytes per request; the exact check
# is LeakSanitizer when the sanitizer build exits (Server.stop() requires
# exit status 0).
ROUND_SLACK_MIB = 128 if ASAN else 16


def status_kib(pid):
    """VmRSS, RssAnon and VmHWM of a process, in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def log(*a):
    print("[load]", *a, file=sys.stderr, flush=True)


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


class Conn:
    """One non-blocking client connection with its in-flight requests."""

    def __init__(self, idx, port, rnd, ctx):
        self.idx = idx
        self.rnd = rnd
        self.ctx = ctx
        self.sock = socket.create_connection(("127.0.0.1", port), 30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                         max_buffer_size=64 << 20)
        self.out = bytearray()
        self.pending = {}   # msgid -> (method, check)
        self.next_id = 1
        self.seq = 0
        self.want_write = False

    def request(self, method, args, check=None):
        msgid = self.next_id
        self.next_id += 1
        self.pending[msgid] = (method, check)
        self.out += msgpack.packb([0, msgid, method, [args] if args is not None else []],
                                  use_bin_type=True)
        self.ctx.sent[method] = self.ctx.sent.get(method, 0) + 1

    def fill(self):
        """Tops the pipeline up to DEPTH requests from the mix."""
        ctx, r = self.ctx, self.rnd
        while len(self.pending) < DEPTH:
            x = r.random()
            if x < 0.12:
                self.request("ping", None, lambda res: res == "pong")
            elif x < 0.30:
                rid = r.choice(ctx.leaves)
                self.request("requirement.get", {"framework": FRAMEWORK, "id": rid},
                             lambda res, rid=rid: res["id"] == rid)
            elif x < 0.40:
                rid = r.choice(ctx.leaves)
                self.request("mapping.list", {"framework": FRAMEWORK, "id": rid},
                             lambda res: isinstance(res, list))
            elif x < 0.50:
                cid = "S-%d" % r.randrange(STATIC_CONTROLS)
                self.request("evidence.list", {"org": STATIC_ORG, "control": cid},
                             lambda res: len(res) == 2)
            elif x < 0.56:
                cid = "S-%d" % r.randrange(STATIC_CONTROLS)
                self.request("control.get", {"org": STATIC_ORG, "id": cid},
                             lambda res, cid=cid: res["id"] == cid)
            elif x < 0.62:
                org = STATIC_ORG if r.random() < 0.5 else ORG
                self.request("coverage.get", {"org": org, "framework": FRAMEWORK},
                             lambda res: res["assessable"] > 0)
            elif x < 0.86:
                self.seq = self.seq % IDS_PER_CONN + 1
                eid = "E-%d-%d" % (self.idx, self.seq)
                self.request("evidence.put",
                             {"org": ORG, "id": eid, "controls": ["B-%d" % self.idx],
                              "result": "pass", "collected_at": 1700000000 + self.seq,
                              "kind": "log", "title": "load evidence %d" % self.seq},
                             lambda res, eid=eid: ctx.acked_ev.setdefault(
                                 self.idx, set()).add(eid) or ctx.upserted(res))
                if r.random() < 0.25:   # read-your-write, same pipeline
                    self.request("evidence.get", {"org": ORG, "id": eid},
                                 lambda res, eid=eid: res["id"] == eid)
            else:
                self.seq = self.seq % IDS_PER_CONN + 1
                cid = "C-%d-%d" % (self.idx, self.seq)
                self.request("control.put",
                             {"org": ORG, "id": cid, "title": "load control",
                              "links": [{"framework": FRAMEWORK, "id": r.choice(ctx.leaves),
                                         "level": "partial"}]},
                             lambda res, cid=cid: ctx.acked_ctl.add(cid) or ctx.upserted(res))
                if r.random() < 0.25:
                    self.request("control.get", {"org": ORG, "id": cid},
                                 lambda res, cid=cid: res["id"] == cid)

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                return
            del self.out[:n]

    def on_readable(self):
        """Reads what is there and checks each answer; False on EOF."""
        ctx = self.ctx
        while True:
            try:
                data = self.sock.recv(1 << 18)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                data = b""
            if not data:
                return False
            self.unpacker.feed(data)
        for msg in self.unpacker:
            ctx.received += 1
            if not (isinstance(msg, list) and len(msg) == 4 and msg[0] == 1):
                ctx.problem("conn %d: not a response: %r" % (self.idx, msg))
                continue
            entry = self.pending.pop(msg[1], None)
            if entry is None:
                ctx.problem("conn %d: unexpected or duplicate msgid %r" % (self.idx, msg[1]))
                continue
            method, check = entry
            if msg[2] is not None:
                ctx.problem("conn %d: %s failed: %r" % (self.idx, method, msg[2]))
                continue
            try:
                good = check is None or check(msg[3])
            except (KeyError, TypeError, AttributeError) as e:
                good = False
                method += " (%r)" % (e,)
            if not good:
                ctx.problem("conn %d: %s: unexpected answer %r"
                            % (self.idx, method, str(msg[3])[:200]))
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Ctx:
    """State shared by the connections of one run."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.round = 0
        self.sent = {}
        self.received = 0
        self.problems = []
        self.nproblems = 0
        self.acked_ev = {}     # connection index -> evidence ids acknowledged
        self.acked_ctl = set()
        self.created = self.updated = 0

    def upserted(self, res):
        """A single write's answer: created in round 1, mostly updated (or
        unchanged, when written alike) in round 2, which replays round 1's
        ids."""
        ok = res["created"] + res["updated"] + res["unchanged"] == 1 \
            and res.get("rejected", 0) == 0
        self.created += res["created"]
        self.updated += res["updated"] + res["unchanged"]
        return ok

    def problem(self, text):
        self.nproblems += 1
        if len(self.problems) < 20:
            self.problems.append(text)


class LoadTest(ServerTest):
    def rss(self):
        return status_kib(self.srv.proc.pid)

    def setup_data(self, c):
        leaves = [r["id"] for r in c.ok("requirement.list",
                                        {"framework": FRAMEWORK, "leaves_only": True})]
        self.assertGreater(len(leaves), 100)
        rnd = random.Random(7)
        c.ok("org.put", {"org": STATIC_ORG, "name": "Load (read only)"})
        c.ok("control.put", {"org": STATIC_ORG, "controls": [
            {"id": "S-%d" % i, "links": [{"framework": FRAMEWORK, "id": rnd.choice(leaves)}]}
            for i in range(STATIC_CONTROLS)]})
        c.ok("evidence.load", {"org": STATIC_ORG, "items": [
            {"id": "SE-%d-%d" % (i, k), "controls": ["S-%d" % i], "result": "pass",
             "collected_at": 1700000000 + k} for i in range(STATIC_CONTROLS) for k in range(2)]})
        c.ok("org.put", {"org": ORG, "name": "Load (written)"})
        c.ok("control.put", {"org": ORG, "controls": [
            {"id": "B-%d" % i, "links": [{"framework": FRAMEWORK, "id": rnd.choice(leaves)}]}
            for i in range(CONNS)]})
        return leaves

    def wait_connections(self, c, n, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            got = c.ok("server.stats")["connections"]
            if got == n:
                return
            self.assertLess(time.monotonic(), deadline,
                            "server still counts %d connections, expected %d" % (got, n))
            time.sleep(0.1)

    def run_round(self, ctx, control):
        ctx.round += 1
        sent0 = sum(ctx.sent.values())
        recv0 = ctx.received
        cre0, upd0 = ctx.created, ctx.updated
        by0 = dict(ctx.sent)
        conns = [Conn(i, self.srv.tcp_port, random.Random(1000 * ctx.round + i), ctx)
                 for i in range(CONNS)]
        try:
            self.wait_connections(control, CONNS + 1)
            start_rss = self.rss()
            sel = selectors.DefaultSelector()
            for cn in conns:
                sel.register(cn.sock, selectors.EVENT_READ, cn)
                cn.fill()
                cn.flush()
            t0 = time.monotonic()
            stop_at = t0 + SECONDS
            drain_until = stop_at + 60 * (4 if ASAN else 1)
            sending = True
            peak = dict(start_rss)
            next_sample = t0
            samples = 0
            touched = set()
            while True:
                now = time.monotonic()
                if now >= next_sample:
                    s = self.rss()
                    samples += 1
                    for k in s:
                        peak[k] = max(peak.get(k, 0), s[k])
                    next_sample = now + 0.2
                if sending and now >= stop_at:
                    sending = False
                    t_stop = now
                if not sending:
                    if not any(cn.pending for cn in conns):
                        break
                    if now > drain_until:
                        left = sum(len(cn.pending) for cn in conns)
                        self.fail("%d requests never answered" % left)
                touched.clear()
                for key, ev in sel.select(0.05):
                    cn = key.data
                    if ev & selectors.EVENT_READ:
                        if not cn.on_readable():
                            self.fail("server closed connection %d (%d requests pending)\n%s"
                                      % (cn.idx, len(cn.pending), self.srv.log()[-3000:]))
                    touched.add(cn)
                for cn in touched:
                    if sending:
                        cn.fill()
                    cn.flush()
                    want = bool(cn.out)
                    if want != cn.want_write:
                        cn.want_write = want
                        sel.modify(cn.sock, selectors.EVENT_READ |
                                   (selectors.EVENT_WRITE if want else 0), cn)
                self.assertTrue(self.srv.running(), "crosswalkd died:\n" + self.srv.log()[-3000:])
            t_end = time.monotonic()
            sel.close()
        finally:
            for cn in conns:
                cn.close()
        self.wait_connections(control, 1)
        time.sleep(0.5)
        after = self.rss()
        for k in after:
            peak[k] = max(peak.get(k, 0), after[k])
        sent = sum(ctx.sent.values()) - sent0
        received = ctx.received - recv0
        log("round %d: %d connections x %d in flight for %.1f s (+%.1f s to drain): "
            "%d requests, %d responses, %.0f req/s, %d problems"
            % (ctx.round, CONNS, DEPTH, t_stop - t0, t_end - t_stop, sent, received,
               received / (t_end - t0), ctx.nproblems))
        log("round %d: writes acknowledged: %d created, %d updated; by method: %s"
            % (ctx.round, ctx.created - cre0, ctx.updated - upd0,
               ", ".join("%s %d" % (k, v - by0.get(k, 0)) for k, v in sorted(ctx.sent.items()))))
        log("round %d: server RSS MiB before %.1f  peak %.1f  after %.1f   "
            "(RssAnon before %.1f peak %.1f after %.1f; %d samples)"
            % (ctx.round, start_rss["VmRSS"] / 1024, peak["VmRSS"] / 1024,
               after["VmRSS"] / 1024, start_rss["RssAnon"] / 1024,
               peak["RssAnon"] / 1024, after["RssAnon"] / 1024, samples))
        self.assertEqual(ctx.problems, [], "%d protocol problems, first ones listed"
                         % ctx.nproblems)
        self.assertEqual(sent, received)
        return {"before": start_rss, "peak": peak, "after": after, "requests": sent,
                "seconds": t_end - t0}

    def verify_writes(self, ctx, c):
        n_ev = 0
        for idx in range(CONNS):
            want = ctx.acked_ev.get(idx, set())
            n_ev += len(want)
            got = {e["id"] for e in c.ok("evidence.list", {"org": ORG, "control": "B-%d" % idx})}
            missing = want - got
            self.assertFalse(missing, "acknowledged evidence missing for B-%d: %s"
                             % (idx, sorted(missing)[:10]))
        ids = {x["id"] for x in c.ok("control.list", {"org": ORG})}
        missing = ctx.acked_ctl - ids
        self.assertFalse(missing, "acknowledged controls missing: %s" % sorted(missing)[:10])
        log("verified %d acknowledged evidence items and %d controls"
            % (n_ev, len(ctx.acked_ctl)))

    def test_sustained_load(self):
        limit = raise_nofile(2 * CONNS + 256)
        if limit < 2 * CONNS + 64:
            self.skipTest("RLIMIT_NOFILE %d too low for %d connections" % (limit, CONNS))
        self.srv = self.start("--max-connections", str(CONNS + 64), "--log-level", "info")
        c = self.srv.client(timeout=120)
        self.addCleanup(c.close)
        ctx = Ctx(self.setup_data(c))
        idle = self.rss()
        log("%s build; idle server RSS %.1f MiB (RssAnon %.1f), RLIMIT_NOFILE %d"
            % ("sanitizer" if ASAN else "normal", idle["VmRSS"] / 1024,
               idle["RssAnon"] / 1024, limit))
        r1 = self.run_round(ctx, c)
        self.verify_writes(ctx, c)
        r2 = self.run_round(ctx, c)
        self.verify_writes(ctx, c)
        # What one coverage query costs now, idle (it runs on the loop thread).
        for org in (STATIC_ORG, ORG):
            t0 = time.monotonic()
            for _ in range(5):
                c.ok("coverage.get", {"org": org, "framework": FRAMEWORK})
            log("coverage.get %s: %.1f ms each, idle" % (org, (time.monotonic() - t0) * 200))

        mib = 1024
        grow = max(r["peak"]["VmRSS"] for r in (r1, r2)) - idle["VmRSS"]
        self.assertLess(grow, RSS_BOUND_MIB * mib,
                        "server RSS rose %.1f MiB under load (bound %d MiB)"
                        % (grow / mib, RSS_BOUND_MIB))
        for when in ("peak", "after"):
            a1, a2 = r1[when]["RssAnon"], r2[when]["RssAnon"]
            allowed = a1 + 2 * max(0, a1 - idle["RssAnon"]) + ROUND_SLACK_MIB * mib
            self.assertLess(a2, allowed, "heap (%s) grew from round 1 to round 2: %.1f -> "
                            "%.1f MiB (allowed %.1f)" % (when, a1 / mib, a2 / mib, allowed / mib))
        self.assertTrue(self.srv.running())


if __name__ == "__main__":
    unittest.main()
