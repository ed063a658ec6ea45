#!/usr/bin/env python3
"""crosswalk history benchmark: what the recorded history costs.

Starts a crosswalkd of its own (fsync on) on a temporary data directory
and a Unix socket, builds an organisation of --controls controls linked
round ISO/IEC 27001:2022 Annex A, each with a year of daily evidence
(valid two days), then writes --versions rounds of changes to every
control's status a second apart, so that the store holds that many past
states.  It reports, in one run:

  - coverage.get at now, requests per second (one connection, sequential);
  - coverage.get with as_recorded at a past time between the rounds, the
    same way, and its ratio to now;
  - coverage.period over the year of evidence (today's records, as_recorded
    false, since the organisation was created by this run) and over the
    recorded rounds (as_recorded true): milliseconds per call;
  - the history's growth per control update: server.info's history_bytes
    before and after --updates more single-control updates, divided by their number.

Usage: tools/bench/history.py --crosswalkd build/server/crosswalkd
       [--controls 400] [--versions 6] [--seconds 3] [--updates 4000] [--now-only]
--now-only measures coverage.get at now alone, which any build answers:
run it against the build before and after a change, in turns.
It speaks only the protocol (msgpack-RPC over the socket)."""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import msgpack

THEMES = [("5", 37), ("6", 8), ("7", 14), ("8", 34)]
DAY = 86400


class Rpc:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=False, timestamp=3)
        self.id = 0

    def call(self, method, args=None):
        self.id += 1
        self.s.sendall(msgpack.packb([0, self.id, method, [args] if args else []]))
        while True:
            for msg in self.u:
                if msg[0] == 1 and msg[1] == self.id:
                    if msg[2] is not None:
                        sys.exit("%s: %r" % (method, msg[2]))
                    return msg[3]
            data = self.s.recv(1 << 20)
            if not data:
                sys.exit("%s: the server closed the connection" % method)
            self.u.feed(data)


def rate(rpc, method, args, seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        rpc.call(method, args)
        n += 1
    return n / (time.perf_counter() - t0)


def used_bytes(rpc):
    return rpc.call("server.info")["storage"]["history_bytes"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crosswalkd", required=True)
    ap.add_argument("--controls", type=int, default=400)
    ap.add_argument("--versions", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--updates", type=int, default=4000)
    ap.add_argument("--now-only", action="store_true",
                    help="only coverage.get at now (to compare builds, older ones too)")
    o = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cw-hist-bench-")
    sock, data = os.path.join(tmp, "s.sock"), os.path.join(tmp, "data")
    srv = subprocess.Popen([o.crosswalkd, "--listen", "unix:" + sock, "--data", data, "--init"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        c = Rpc(sock)
        org, fw = "bench-org", "iso27001-2022"
        reqs = ["A.%s.%d" % (t, i) for t, n in THEMES for i in range(1, n + 1)]
        ctls = ["C-%04d" % i for i in range(o.controls)]
        c.call("org.put", {"org": org})
        c.call("control.put", {"org": org, "controls": [
            {"id": cid, "status": "implemented",
             "links": [{"framework": fw, "id": reqs[i % len(reqs)]}]}
            for i, cid in enumerate(ctls)]})
        now = int(time.time())
        start = now - 365 * DAY
        t0 = time.perf_counter()
        batch = []
        for d in range(366):
            at = start + d * DAY
            for i, cid in enumerate(ctls):
                batch.append({"id": "E-%s-%03d" % (cid, d), "controls": [cid],
                              "result": "fail" if (d + i) % 97 == 0 else "pass",
                              "collected_at": at, "valid_until": at + 2 * DAY})
                if len(batch) == 10000:
                    c.call("evidence.load", {"org": org, "items": batch})
                    batch = []
        if batch:
            c.call("evidence.load", {"org": org, "items": batch})
        load_s = time.perf_counter() - t0
        if o.now_only:
            print("coverage.get now: %.0f req/s (%d controls, %d evidence items loaded in %.2f s)"
                  % (rate(c, "coverage.get", {"org": org, "framework": fw}, o.seconds),
                     o.controls, o.controls * 366, load_s))
            return
        # the recorded rounds: every control's status flips, a second apart
        marks = []
        for v in range(o.versions):
            t = int(time.time())
            while int(time.time()) == t:
                time.sleep(0.02)
            c.call("control.put", {"org": org, "controls": [
                {"id": cid, "status": "planned" if (i + v) % 5 == 0 else "implemented",
                 "links": [{"framework": fw, "id": reqs[(i + v) % len(reqs)]}]}
                for i, cid in enumerate(ctls)]})
            marks.append(int(time.time()))
        t = int(time.time())
        while int(time.time()) == t:
            time.sleep(0.02)
        q = {"org": org, "framework": fw}
        now_rate = rate(c, "coverage.get", q, o.seconds)
        past = dict(q, as_of=marks[len(marks) // 2], as_recorded=True)
        past_rate = rate(c, "coverage.get", past, o.seconds)
        today_past = dict(q, as_of=marks[len(marks) // 2], as_recorded=False)
        today_past_rate = rate(c, "coverage.get", today_past, o.seconds)
        periods = []
        for _ in range(3):
            t1 = time.perf_counter()
            p = c.call("coverage.period", dict(q, **{"from": start, "to": now,
                                                     "as_recorded": False}))
            periods.append((time.perf_counter() - t1) * 1000)
        t1 = time.perf_counter()
        pr = c.call("coverage.period", dict(q, **{"from": marks[0], "to": marks[-1]}))
        rec_ms = (time.perf_counter() - t1) * 1000
        before = used_bytes(c)
        for k in range(o.updates):
            i = k % len(ctls)
            c.call("control.put", {"org": org, "id": ctls[i],
                                   "status": "implemented" if k % 2 else "planned",
                                   "links": [{"framework": fw, "id": reqs[(i + k) % len(reqs)]}]})
        grown = used_bytes(c) - before
        print("history bench: %d controls, %d evidence items (loaded in %.1f s), %d recorded rounds"
              % (o.controls, o.controls * 366, load_s, o.versions))
        print("coverage.get now:                      %8.0f req/s" % now_rate)
        print("coverage.get past, as_recorded:        %8.0f req/s  (%.2fx now)"
              % (past_rate, past_rate / now_rate))
        print("coverage.get past, today's records:    %8.0f req/s  (%.2fx now)"
              % (today_past_rate, today_past_rate / now_rate))
        print("coverage.period, a year of evidence:   %8.1f ms (best of 3; %d instants)"
              % (min(periods), p["instants"]))
        print("coverage.period, recorded rounds:      %8.1f ms (%d instants)"
              % (rec_ms, pr["instants"]))
        print("store growth per control update:       %8.0f bytes (%d updates, server.info history_bytes)"
              % (grown / o.updates, o.updates))
    finally:
        srv.terminate()
        try:
            srv.wait(15)
        except subprocess.TimeoutExpired:
            srv.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
