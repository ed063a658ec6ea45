"""crosswalk watch, log, expiring and changes against a real crosswalkd:
the change log lists the writes just made and verifies, `watch` run as a
child process prints the status change another client's write causes (as
JSON lines and as text, a change caused by evidence expiring included),
resumes after a server restart, says why and with which --since when the
server drops it, and exits 0 on SIGTERM and SIGINT; `expiring` and
`changes` name the evidence and requirements expected.  Every server a
test starts (the class's, and the one the restart test starts twice on
one data directory) is stopped by the test."""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone

from clitest import CliCase, binary

ISO = "iso27001-2022"


def stamp(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Child:
    """A crosswalk command left running: its standard output and error read
    line by line by threads, so a test can wait for a line with a time
    limit."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.out, self.err = queue.Queue(), queue.Queue()
        self.err_text = []
        self.threads = []
        for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            t = threading.Thread(target=self._pump, args=(stream, q), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    def line(self, q, timeout=15, match=None):
        """The next line of q (that matches, when given); fails after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line{' like ' + match if match else ''} in {timeout}s; "
                                     f"stderr: {''.join(self.err_text)}")
            try:
                got = q.get(timeout=left)
            except queue.Empty:
                continue
            if got is None:
                raise AssertionError(f"the command ended (stderr: {''.join(self.err_text)})")
            if q is self.err:
                self.err_text.append(got)
            if match is None or re.search(match, got):
                return got

    def started(self):
        """Waits for the watch to say it is subscribed (on stderr)."""
        return self.line(self.err, match=r"^crosswalk watch: watching ")

    def stop(self, sig=signal.SIGTERM):
        """Signals the command and returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def close(self):
        """Kills the command if it still runs; closes its pipes once read."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self.threads:
            t.join(timeout=15)
        self.proc.stdout.close()
        self.proc.stderr.close()

    def rest_of_stderr(self):
        while True:
            got = self.err.get(timeout=15)
            if got is None:
                return "".join(self.err_text)
            self.err_text.append(got)


class History(CliCase):
    def env(self, addr=None):
        e = dict(os.environ)
        for k in ("CROSSWALK_TOKEN", "NO_COLOR", "PAGER", "COLUMNS"):
            e.pop(k, None)
        e["CROSSWALK_SERVER"] = addr or self.server.addr
        return e

    def watch(self, *args, addr=None):
        child = Child([self.cli, "watch", *args], self.env(addr))
        self.addCleanup(child.close)
        return child

    def org_with_control(self, org, req):
        """An organisation whose one control C1 claims ISO 27001 req."""
        self.ok("org", "put", org)
        self.ok("control", "put", "--org", org, "C1", "--link", f"{ISO}/{req}")

    # ---- log ----

    def test_log_lists_the_writes_and_verifies(self):
        self.org_with_control("log-org", "A.5.9")
        self.ok("evidence", "put", "--org", "log-org", "LE-1", "--control", "C1",
                "--collected-at", "2025-03-01", "--result", "pass")
        out = self.ok("log", "--org", "log-org")
        self.assertIn("Change log of log-org", out)
        # the organisation's own record is among its records
        for method, record in (("org.put", "org log-org"), ("control.put", "control log-org/C1"),
                               ("evidence.put", "evidence log-org/LE-1")):
            self.assertRegex(out, rf"\n\d+\s+\S+Z\s+local \(admin\)\s+{re.escape(method)}\s+"
                                  rf"log-org\s+{re.escape(record)}\n")
        self.assertRegex(self.ok("log"), r"\s+org\.put\s+log-org\s+org log-org\n")
        entries = json.loads(self.ok("log", "--org", "log-org", "--json"))["entries"]
        self.assertEqual([e["method"] for e in entries], ["org.put", "control.put", "evidence.put"])
        self.assertTrue(all(e["orgs"] == ["log-org"] for e in entries))
        # every entry, read a page at a time, is the whole log
        head = json.loads(self.ok("log", "head", "--json"))
        every = json.loads(self.ok("log", "--json"))
        self.assertEqual(len(every["entries"]), head["entries"])
        self.assertIsNone(every["next"])
        self.assertEqual(every["entries"][-1]["hash"], head["hash"])
        # one page: the next --since is named
        first = entries[0]["seq"]
        out = self.ok("log", "--org", "log-org", "--limit", "1")
        self.assertIn(f"crosswalk log --since {first} shows the next entries", out)
        out = self.ok("log", "--org", "log-org", "--since", str(first), "--limit", "1", "--json")
        self.assertEqual([e["method"] for e in json.loads(out)["entries"]], ["control.put"])
        # verify: ok and the head; exit 0
        r = self.run_cli("log", "verify")
        self.assertEqual(r.returncode, 0, r.stderr)
        head = json.loads(self.ok("log", "head", "--json"))
        self.assertRegex(r.stdout, r"^ok: entries 1 to \d+ \(\d+ kept\)")
        self.assertIn(f"\nhead: {head['seq']} {head['hash']}\n", r.stdout)
        self.assertRegex(head["hash"], r"^[0-9a-f]{64}$")
        out = self.ok("log", "head")
        self.assertTrue(out.startswith(f"head: {head['seq']} {head['hash']}\n"), out)
        verdict = json.loads(self.ok("log", "verify", "--from", "1", "--to", "2", "--json"))
        self.assertEqual((verdict["ok"], verdict["from"], verdict["to"]), (True, 1, 2))

    def test_log_usage(self):
        # one help for every action of log, however it is asked for
        helptext = self.ok("log", "--help", server=False)
        for args in (("help", "log"), ("help", "log", "verify"), ("log", "compact", "--help")):
            self.assertEqual(self.ok(*args, server=False), helptext, args)
        r = self.run_cli("log", "verfy")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown action 'verfy'; did you mean 'verify'?", r.stderr)
        r = self.run_cli("log", "--limit", "0")
        self.assertEqual(r.returncode, 2)
        r = self.run_cli("log", "compact")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--before is required", r.stderr)
        r = self.run_cli("log", "verify", "--limit", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown option '--limit'", r.stderr)
        # --format as the other reports take it: json is --json, table the default
        self.assertEqual(self.ok("log", "head", "--format", "json"), self.ok("log", "head", "--json"))
        self.assertEqual(self.ok("log", "head", "--format", "table"), self.ok("log", "head"))
        r = self.run_cli("log", "head", "--format", "xml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format: expected table or json, got 'xml'", r.stderr)

    # ---- watch ----

    def test_watch_json_prints_a_status_change_and_stops_on_sigterm(self):
        self.org_with_control("watch-json", "A.5.10")
        w = self.watch("--org", "watch-json", "--framework", ISO, "--json")
        w.started()
        # another client's write: C1 gets passing evidence, A.5.10 is met
        self.ok("evidence", "put", "--org", "watch-json", "WE-1", "--control", "C1",
                "--collected-at", stamp(datetime.now(timezone.utc) - timedelta(hours=1)),
                "--result", "pass")
        note = json.loads(w.line(w.out))
        self.assertEqual(note["method"], "status.changed")
        p = note["params"]
        self.assertEqual((p["org"], p["framework"], p["id"], p["from"], p["to"]),
                         ("watch-json", ISO, "A.5.10", "unverified", "met"))
        self.assertEqual((p["cause"]["kind"], p["cause"]["method"], p["cause"]["actor"]),
                         ("write", "evidence.put", "local"))
        self.assertIsInstance(p["event"], int)
        self.assertEqual(w.stop(signal.SIGTERM), 0)
        self.assertNotIn("crosswalk: ", w.rest_of_stderr())

    def test_watch_text_names_the_write_and_the_expiry(self):
        self.org_with_control("watch-text", "A.5.11")
        w = self.watch("--org", "watch-text", "--framework", ISO, "--controls")
        w.started()
        now = datetime.now(timezone.utc)
        self.ok("evidence", "put", "--org", "watch-text", "TE-1", "--control", "C1",
                "--collected-at", stamp(now - timedelta(minutes=5)), "--result", "pass",
                "--valid-until", stamp(now + timedelta(seconds=3)))
        seq = json.loads(self.ok("log", "head", "--json"))["seq"]
        got = [w.line(w.out) for _ in range(4)]
        text = "".join(got)
        self.assertRegex(text, rf"\S+Z\s+{re.escape(ISO)}\s+A\.5\.11\s+unverified -> met  "
                               rf"evidence\.put #{seq} by local\n")
        self.assertRegex(text, r"\S+Z\s+control\s+C1\s+unverified -> effective  evidence\.put")
        self.assertRegex(text, rf"\S+Z\s+{re.escape(ISO)}\s+A\.5\.11\s+met -> unverified  "
                               r"time: TE-1 expired\n")
        self.assertRegex(text, r"control\s+C1\s+effective -> \w+  time: TE-1 expired\n")
        self.assertEqual(w.stop(signal.SIGINT), 0)

    def test_watch_dropped_names_the_since_to_resume_with(self):
        self.org_with_control("watch-gone", "A.5.12")
        w = self.watch("--org", "watch-gone", "--json")
        w.started()
        self.ok("org", "delete", "watch-gone")
        note = json.loads(w.line(w.out, match="watch.dropped"))
        resume = note["params"]["resume"]
        self.assertEqual(w.proc.wait(timeout=15), 1)
        err = w.rest_of_stderr()
        self.assertIn("the server dropped the subscription", err)
        self.assertIn(f"resume with --since {resume}", err)

    def test_watch_usage(self):
        for args, says in ((["--framework", ISO], "--org is required"),
                           (["--org", "x", "--lag", "3 weeks"], "--lag: '3 weeks' is not a duration"),
                           (["--org", "x", "--since", "last"], "--since: expected an event number")):
            r = self.run_cli("watch", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(says, r.stderr)
        r = self.run_cli("watch", "--org", "no-such-org")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not_found", r.stderr)

    def test_watch_resumes_after_a_server_restart(self):
        tmp = tempfile.mkdtemp(prefix="cwcli-restart-")
        addr = "unix:" + os.path.join(tmp, "cw.sock")
        daemons = []

        def start():
            log = open(os.path.join(tmp, f"server{len(daemons)}.log"), "w+")
            env = dict(os.environ)
            for k in ("CROSSWALK_LISTEN", "CROSSWALK_DATA", "CROSSWALK_AUTH"):
                env.pop(k, None)
            p = subprocess.Popen([binary("CROSSWALKD", "server/crosswalkd"), "--listen", addr,
                                  "--init", "--data", os.path.join(tmp, "data")],
                                 stdout=subprocess.DEVNULL, stderr=log, env=env)
            daemons.append((p, log))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and p.poll() is None:
                log.seek(0)
                if " msg=listening addr=unix:" in log.read():
                    return p
                time.sleep(0.05)
            raise AssertionError("crosswalkd did not start")

        def stop(p):
            p.send_signal(signal.SIGTERM)
            return p.wait(timeout=30)

        try:
            first = start()
            env = {"CROSSWALK_SERVER": addr}
            self.ok("org", "put", "again", env=env)
            self.ok("control", "put", "--org", "again", "C1", "--link", f"{ISO}/A.5.13", env=env)
            w = self.watch("--org", "again", "--framework", ISO, "--json", addr=addr)
            w.started()
            self.assertEqual(stop(first), 0)
            w.line(w.err, match="reconnecting to resume after event")
            start()
            w.line(w.err, match=r"events after \d+ were missed|reconnected; resuming")
            self.ok("evidence", "put", "--org", "again", "RE-1", "--control", "C1",
                    "--collected-at", stamp(datetime.now(timezone.utc) - timedelta(hours=1)),
                    "--result", "pass", env=env)
            p = json.loads(w.line(w.out))["params"]
            self.assertEqual((p["id"], p["from"], p["to"]), ("A.5.13", "unverified", "met"))
            self.assertEqual(w.stop(signal.SIGTERM), 0)
        finally:
            for p, log in daemons:
                if p.poll() is None:
                    rc = stop(p)
                    self.assertEqual(rc, 0, "crosswalkd exited non-zero on SIGTERM")
                log.close()
            shutil.rmtree(tmp, ignore_errors=True)

    # ---- expiring and changes ----

    def test_readiness_forecasts_a_coming_date(self):
        import datetime
        self.org_with_control("ready-org", "A.5.15")
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        soon = (now + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        audit = (now + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.ok("evidence", "put", "--org", "ready-org", "RE-1", "--control", "C1",
                "--collected-at", (now - datetime.timedelta(days=1)).strftime("%Y-%m-%d"),
                "--result", "pass", "--valid-until", soon)
        out = self.ok("readiness", "--org", "ready-org", "--framework", ISO, "--date", audit)
        self.assertIn(f"Readiness of ready-org for {ISO} on {audit}", out)
        self.assertRegex(out, r"\nA\.5\.15\s+met\s+unverified\n")
        self.assertRegex(out, rf"\nRE-1\s+{re.escape(soon)}\s+C1\s*")
        ans = json.loads(self.ok("readiness", "--org", "ready-org", "--framework", ISO,
                                 "--date", audit, "--json"))
        self.assertNotIn("forecast", ans["now"])
        self.assertTrue(ans["then"]["forecast"])
        self.assertEqual(ans["now"]["counts"]["met"], ans["then"]["counts"]["met"] + 1)
        self.assertEqual([i["id"] for i in ans["expiring"]["items"]], ["RE-1"])
        # a date already past is a usage error
        r = self.run_cli("readiness", "--org", "ready-org", "--framework", ISO, "--date",
                         "2020-01-01")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not after now", r.stderr)

    def test_expiring_and_changes(self):
        self.org_with_control("time-org", "A.5.14")
        self.ok("evidence", "put", "--org", "time-org", "XE-1", "--control", "C1",
                "--collected-at", "2025-03-01", "--result", "pass", "--valid-until", "2025-06-01")
        out = self.ok("expiring", "--org", "time-org", "--within", "30d", "--as-of", "2025-05-15",
                      "--framework", ISO)
        self.assertIn("Evidence of time-org that expires by 2025-06-14T00:00:00Z", out)
        self.assertRegex(out, r"\nXE-1\s+2025-06-01T00:00:00Z\s+pass\s+C1\s*\n")
        self.assertRegex(out, rf"\n{re.escape(ISO)}\s+A\.5\.14\s+met\s+unverified\n")
        ans = json.loads(self.ok("expiring", "--org", "time-org", "--within", "2592000",
                                 "--as-of", "2025-05-15", "--framework", ISO, "--json"))
        self.assertEqual([i["id"] for i in ans["items"]], ["XE-1"])
        self.assertEqual([(r["framework"], r["id"]) for r in ans["requirements"]],
                         [(ISO, "A.5.14")])
        # nothing expires in the week before it was collected
        ans = json.loads(self.ok("expiring", "--org", "time-org", "--within", "7d",
                                 "--as-of", "2025-01-01", "--framework", ISO, "--json"))
        self.assertEqual(ans["items"], [])

        out = self.ok("changes", "--org", "time-org", "--framework", ISO, "--from", "2025-01-01",
                      "--to", "2025-12-31")
        self.assertIn(f"Status changes of {ISO} for time-org", out)
        self.assertRegex(out, r"\n2025-03-01T00:00:00Z\s+A\.5\.14\s+unverified\s+met\n")
        # valid_until is the last moment the evidence counts
        self.assertRegex(out, r"\n2025-06-01T00:00:01Z\s+A\.5\.14\s+met\s+unverified\n")
        self.assertRegex(out, r"changes:\s+2\n")
        ans = json.loads(self.ok("changes", "--org", "time-org", "--framework", ISO,
                                 "--from", "2025-01-01", "--to", "2025-12-31", "--json"))
        self.assertEqual([(c["id"], c["from"], c["to"]) for c in ans["changes"]],
                         [("A.5.14", "unverified", "met"), ("A.5.14", "met", "unverified")])
        self.assertTrue(ans["complete"])
        r = self.run_cli("changes", "--org", "time-org", "--framework", ISO)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--from are required", r.stderr)
        r = self.run_cli("expiring", "--org", "time-org", "--within", "a month")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is not a duration", r.stderr)

    # ---- recorded history: diff, period, --as-recorded ----

    def test_diff_period_and_as_recorded(self):
        org = "rec-org"
        self.org_with_control(org, "A.5.15")
        now = int(time.time())
        self.ok("evidence", "put", "--org", org, "RE-1", "--control", "C1",
                "--collected-at", str(now - 60), "--result", "pass")
        t1 = int(time.time())
        while int(time.time()) <= t1:
            time.sleep(0.05)
        # the control is planned from now on: A.5.15 no longer met
        self.ok("control", "put", "--org", org, "C1", "--link", f"{ISO}/A.5.15",
                "--status", "planned")
        t2 = int(time.time())
        while int(time.time()) <= t2:
            time.sleep(0.05)
        at = stamp(datetime.fromtimestamp(t1, timezone.utc))
        then = json.loads(self.ok("coverage", "--org", org, "--framework", ISO, "--as-of", at,
                                  "--as-recorded", "--format", "json"))
        today = json.loads(self.ok("coverage", "--org", org, "--framework", ISO, "--as-of", at,
                                   "--format", "json"))
        self.assertEqual((then["counts"]["met"], today["counts"]["met"]), (1, 0))
        self.assertTrue(then["as_recorded"])
        out = self.ok("coverage", "--org", org, "--framework", ISO, "--as-of", at,
                      "--as-recorded")
        self.assertRegex(out, r"\nA\.5\.15\s.*\bmet\b")
        r = self.run_cli("coverage", "--org", org, "--framework", ISO, "--as-recorded")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--as-recorded needs --as-of", r.stderr)

        out = self.ok("diff", "--org", org, "--framework", ISO, "--from", at)
        self.assertIn(f"What changed in {ISO} for {org}", out)
        self.assertRegex(out, r"\nA\.5\.15\s+met\s+gap\s+control C1: no longer contributes")
        ans = json.loads(self.ok("diff", "--org", org, "--framework", ISO, "--from", at,
                                 "--json"))
        self.assertEqual([(x["id"], x["from"], x["to"]) for x in ans["changed"]],
                         [("A.5.15", "met", "gap")])
        ans = json.loads(self.ok("diff", "--org", org, "--framework", ISO, "--from", at,
                                 "--today-records", "--json"))
        self.assertEqual(ans["changed"], [])

        start = stamp(datetime.fromtimestamp(t1, timezone.utc))
        ans = json.loads(self.ok("period", "--org", org, "--framework", ISO, "--from", start,
                                 "--json"))
        a515 = {r["id"]: r for r in ans["requirements"]}["A.5.15"]
        self.assertFalse(a515["held_throughout"])
        self.assertEqual([(s["status"], s["cause"]["kind"]) for s in a515["not_held"]],
                         [("gap", "write")])
        self.assertEqual(ans["not_held"], sum(1 for r in ans["requirements"]
                                              if not r["held_throughout"]))
        out = self.ok("period", "--org", org, "--framework", ISO, "--from", start)
        self.assertRegex(out, r"\nA\.5\.15\s+\S+\s+\S+\s+gap\s+write \d+")
        r = self.run_cli("period", "--org", org, "--framework", ISO)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--from are required", r.stderr)


if __name__ == "__main__":
    unittest.main()
