#!/usr/bin/python3
"""Smoke test of crosswalk-bench (ctest -L bench).

Starts a real crosswalkd on a free loopback port in a temporary data
directory (--no-sync: durability is not what is tested here), runs `gen` at a
small scale and a one-second `run` of two scenarios with --json, checks that
the JSON holds the ping baseline and both scenarios with answered requests
and no error answers, checks that `evidence-csv` writes the CLI's header, runs
a 2,000-item `load` (with its LMDB baseline) and a 20-connection `idle` and
checks their JSON, then stops the server with SIGTERM and expects exit status
0; last, `startup --runs 1` starts its own crosswalkd twice and a small `scale`
starts three, and `cpu` its echo server and a crosswalkd.  The binaries come
from $CROSSWALKD and $CROSSWALK_BENCH (set by CMake from the targets)."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SERVER = os.environ["CROSSWALKD"]
BENCH = os.environ["CROSSWALK_BENCH"]
# Sanitizer builds are several times slower; give them room without
# changing what is checked.
SLOW = 4 if os.environ.get("CW_SANITIZE") else 1


def bench_json(tmp, command, args, timeout):
    """Runs `crosswalk-bench COMMAND ARGS --json TMP/COMMAND.json`, echoes its
    report, fails the test if it exits non-zero, and returns the JSON."""
    out = os.path.join(tmp, command + ".json")
    r = subprocess.run([BENCH, command] + args + ["--json", out], timeout=timeout,
                       stdout=subprocess.PIPE, text=True)
    print(r.stdout)
    if r.returncode != 0:
        raise SystemExit("%s exited %d" % (command, r.returncode))
    with open(out) as f:
        return json.load(f)


def main():
    tmp = tempfile.mkdtemp(prefix="cw-bench-")
    proc = None
    lines = []
    try:
        proc = subprocess.Popen(
            [SERVER, "--listen", "tcp://127.0.0.1:0", "--init", "--data",
             os.path.join(tmp, "data"), "--no-sync"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port = None
        listening = threading.Event()

        # stderr is drained on a thread for the whole run so a chatty server
        # never blocks on a full pipe.
        def drain():
            nonlocal port
            for raw in iter(proc.stderr.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                lines.append(line)
                m = re.search(r" msg=listening addr=tcp://127\.0\.0\.1:(\d+)$", line)
                if m:
                    port = int(m.group(1))
                    listening.set()
            listening.set()

        threading.Thread(target=drain, daemon=True).start()
        if not listening.wait(10 * SLOW) or port is None:
            raise SystemExit("crosswalkd did not start:\n" + "\n".join(lines))
        addr = "tcp://127.0.0.1:%d" % port

        subprocess.run([BENCH, "gen", "--server", addr, "--seed", "7", "--controls", "20",
                        "--evidence", "200", "--batch", "150"], check=True, timeout=20 * SLOW)

        doc = bench_json(tmp, "run", ["--server", addr, "--duration", "1", "--warmup", "0",
                                      "--connections", "4", "--controls", "20",
                                      "--scenario", "requirement.get",
                                      "--scenario", "coverage-summary"], 30 * SLOW)
        names = [s["name"] for s in doc["scenarios"]]
        if names != ["ping", "requirement.get", "coverage-summary"]:
            raise SystemExit("unexpected scenarios %r" % names)
        for s in doc["scenarios"]:
            if s["requests"] <= 0 or s["errors"] != 0:
                raise SystemExit("scenario %s: %r" % (s["name"], s))
            if not (0 < s["p50_us"] <= s["p99_us"] <= s["p999_us"] <= s["max_us"] + 1):
                raise SystemExit("scenario %s: inconsistent percentiles %r" % (s["name"], s))
        if doc["errors"] != 0 or abs(doc["scenarios"][0]["ratio_to_ping"] - 1) > 1e-9:
            raise SystemExit("bad totals: %r" % doc)

        csv = os.path.join(tmp, "ev.csv")
        subprocess.run([BENCH, "evidence-csv", "--rows", "50", "--org", "bench-org-1",
                        "--controls", "20", "-o", csv], check=True, timeout=10)
        with open(csv) as f:
            rows = f.read().splitlines()
        if rows[0] != "id,controls,kind,title,source,uri,sha256,collected_at,valid_until,result" \
                or len(rows) != 51:
            raise SystemExit("bad CSV: %r" % rows[:2])

        # load: a small evidence.load run and its raw LMDB baseline, beside
        # the server's data directory, with the server's durability (both
        # --no-sync here).
        doc = bench_json(tmp, "load", ["--server", addr, "--org", "bench-org-1",
                                       "--items", "2000", "--batch", "500", "--controls", "20",
                                       "--no-sync", "--data-dir", os.path.join(tmp, "data")],
                         30 * SLOW)
        srv, base = doc["server"], doc["baseline"]
        if doc["items"] != 2000 or doc["batches"] != 4 or doc["sync"] != "nosync" \
                or srv["created"] + srv["updated"] != 2000 or srv["created"] != 2000:
            raise SystemExit("load: bad counts %r" % doc)
        for side in (srv, base):
            if not (side["seconds"] > 0 and side["items_per_s"] > 0
                    and 0 < side["batch_p50_ms"] <= side["batch_p99_ms"] <= side["batch_max_ms"] + 0.01):
                raise SystemExit("load: inconsistent figures %r" % side)
        # the ratio is written with 4 decimals: allow half a unit of the last
        # one beside the relative error (a busy machine gives ratios < 0.05)
        if abs(doc["ratio_to_baseline"] - srv["items_per_s"] / base["items_per_s"]) > \
                1e-3 * doc["ratio_to_baseline"] + 0.5e-4:
            raise SystemExit("load: bad ratio %r" % doc)
        leftover = [n for n in os.listdir(tmp) if n.startswith("cw-bench-lmdb-")]
        if leftover:
            raise SystemExit("load left its baseline environment behind: %r" % leftover)
        # The loaded items are really there.
        doc = bench_json(tmp, "load", ["--server", addr, "--org", "bench-org-1",
                                       "--items", "10", "--batch", "10", "--controls", "20",
                                       "--no-sync"], 30 * SLOW)
        if doc["server"]["updated"] + doc["server"]["unchanged"] != 10 \
                or doc["server"]["created"] != 0:
            raise SystemExit("load: reloading the first items did not find them: %r" % doc)

        # idle: 20 connections, each answered one ping, server RSS read
        # from /proc.
        doc = bench_json(tmp, "idle", ["--server", addr, "--pid", str(proc.pid),
                                       "--connections", "20", "--settle", "0.1"], 30 * SLOW)
        if doc["connections"] != 20 or doc["rss_before_kib"] <= 0 or doc["rss_open_kib"] <= 0 \
                or doc["rss_after_close_kib"] <= 0 or doc["anon_open_kib"] <= 0 \
                or abs(doc["added_mib"] * 1024 - (doc["rss_open_kib"] - doc["rss_before_kib"])) > 1:
            raise SystemExit("idle: bad figures %r" % doc)

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10 * SLOW)
        proc = None
        if rc != 0:
            raise SystemExit("crosswalkd exited %d after SIGTERM:\n%s" % (rc, "\n".join(lines)))

        # startup: one run, its own crosswalkd on an empty then an existing
        # data directory, each stopped with SIGTERM (exit 0 checked by the
        # tool).
        doc = bench_json(tmp, "startup", ["--crosswalkd", SERVER, "--runs", "1"], 60 * SLOW)
        for k in ("empty", "existing"):
            d = doc[k]
            if len(d["ms"]) != 1 or not (0 < d["median_ms"] == d["max_ms"] == d["ms"][0]):
                raise SystemExit("startup: bad %s figures %r" % (k, doc))
        # scale: two small one-organisation steps and a few organisations,
        # each on a crosswalkd of its own, uncached coverage answered.
        doc = bench_json(tmp, "scale", ["--crosswalkd", SERVER, "--steps", "500,1000",
                                        "--tenants", "3", "--tenant-evidence", "100",
                                        "--controls", "40", "--duration", "0.5",
                                        "--warmup", "0.2"], 120 * SLOW)
        steps = doc["steps"]
        if [(s["orgs"], s["evidence_per_org"]) for s in steps] != [(1, 500), (1, 1000), (3, 100)]:
            raise SystemExit("scale: unexpected steps %r" % steps)
        for s in steps:
            if s["errors"] or not (s["coverage_per_s"] > 0 and s["ping_per_s"] > 0 and
                                   s["rss_mib"] > 0 and s["store_mib"] > 0):
                raise SystemExit("scale: bad figures %r" % s)
        # cpu: the echo baseline and crosswalkd, each its own process, their
        # CPU per request answered.
        doc = bench_json(tmp, "cpu", ["--crosswalkd", SERVER, "--connections", "4",
                                      "--duration", "0.5", "--warmup", "0.2"], 120 * SLOW)
        for k in ("echo_ping_cpu_us", "ping_cpu_us", "requirement_get_cpu_us"):
            if not doc[k] > 0:
                raise SystemExit("cpu: bad %s in %r" % (k, doc))
        # feed: a crosswalkd of its own, a few writers flipping statuses
        # and a few subscribers; every phase wrote, events came with their
        # latency after commit.
        doc = bench_json(tmp, "feed", ["--crosswalkd", SERVER, "--subscribers", "5",
                                       "--connections", "2", "--controls", "40",
                                       "--duration", "0.5",
                                       "--warmup", "0.2"], 120 * SLOW)
        if not (doc["writes_alone"] > 0 and doc["writes_beside_never_read"] > 0 and
                doc["writes_with_subscribers"] > 0 and doc["events"] > 0 and
                0 <= doc["latency_ms"]["p50"] <= doc["latency_ms"]["p99"] <=
                doc["latency_ms"]["max"]):
            raise SystemExit("feed: bad figures %r" % doc)
        print("bench smoke: ok")
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
