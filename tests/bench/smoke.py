#!/usr/bin/python3
"""Smoke test of crosswalk-bench (ctest -L bench).

Starts a real crosswalkd on a free loopback port in a temporary data
directory (--no-sync: durability is not what is tested here), runs `gen` at a
small scale and a one-second `run` of two scenarios with --json, checks that
the JSON holds the ping baseline and both scenarios with answered requests
and no error answers, checks that `evidence-csv` writes the CLI's header, then
stops the server with SIGTERM and expects exit status 0.  The binaries come
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


def main():
    tmp = tempfile.mkdtemp(prefix="cw-bench-")
    proc = None
    lines = []
    try:
        proc = subprocess.Popen(
            [SERVER, "--listen", "tcp://127.0.0.1:0", "--data", os.path.join(tmp, "data"),
             "--no-sync"],
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
                m = re.match(r"listening on tcp://127\.0\.0\.1:(\d+)$", line)
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

        out = os.path.join(tmp, "run.json")
        r = subprocess.run([BENCH, "run", "--server", addr, "--duration", "1", "--warmup", "0",
                            "--connections", "4", "--controls", "20",
                            "--scenario", "requirement.get", "--scenario", "coverage-summary",
                            "--json", out], timeout=30 * SLOW, stdout=subprocess.PIPE, text=True)
        print(r.stdout)
        if r.returncode != 0:
            raise SystemExit("run exited %d" % r.returncode)
        with open(out) as f:
            doc = json.load(f)
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

        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10 * SLOW)
        proc = None
        if rc != 0:
            raise SystemExit("crosswalkd exited %d after SIGTERM:\n%s" % (rc, "\n".join(lines)))
        print("bench smoke: ok")
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
