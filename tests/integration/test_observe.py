"""What an operator sees of a running crosswalkd: its log lines (one format,
text or JSON, every line with a time and a level; journald priorities when
stderr is the journal), the access and slow-request lines (which never
carry an argument value or a token), the log file reopened on SIGHUP after
a rotation, and the Prometheus metrics served over HTTP: every counter of
server.stats, per-method counters that move with calls, and histograms in
Prometheus' cumulative bucket form."""
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

import msgpack

from cwtest import (INVALID_PARAMS, TOO_LARGE, FORBIDDEN, UNAUTHENTICATED, SLOW, Client,
                    ServerTest, crosswalkd, hash_token, listening_addr, server_env)

TOK_ADMIN = "tok-OBS-admin-Lq83vXz0-do-not-log"
TOK_EDITOR = "tok-OBS-editor-Pn51kWc7-do-not-log"
TOK_WRONG = "tok-OBS-wrong-Ty60dRb2-do-not-log"
# An argument value nothing else uses: it must never reach the log.
SECRET = "arg-SECRET-Zq4m9Vd7-do-not-log"

TEXT_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (error|warn|info|debug) (msg=.*)$")
LOGFMT_FIELD = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^\s"=]+)(?: |$)')

# server.stats' keys and the metric each is exported as.
STATS_SCALARS = {
    "connections": "crosswalk_connections",
    "connections_total": "crosswalk_connections_total",
    "bytes_in": "crosswalk_received_bytes_total",
    "bytes_out": "crosswalk_sent_bytes_total",
    "commits": "crosswalk_commits_total",
    "writes_committed": "crosswalk_writes_committed_total",
    "unknown_methods": "crosswalk_unknown_methods_total",
    "protocol_errors": "crosswalk_protocol_errors_total",
    "watch_subscriptions": "crosswalk_watch_subscriptions",
    "watch_events": "crosswalk_watch_events_total",
    "watch_dropped": "crosswalk_watch_dropped_total",
}
# Those that the server.stats call itself moves (its bytes) after it answered.
MOVED_BY_STATS_CALL = {"bytes_in", "bytes_out"}
LAT_BUCKETS = 24


def parse_logfmt(rest):
    """{key: value} of `key=value key="quoted value"...`; raises on
    anything else."""
    out, pos = {}, 0
    while pos < len(rest):
        m = LOGFMT_FIELD.match(rest, pos)
        if not m:
            raise AssertionError("not key=value at %d: %r" % (pos, rest))
        v = m.group(2)
        out[m.group(1)] = json.loads(v) if v.startswith('"') else v
        pos = m.end()
    return out


def parse_text_line(line):
    """(time, level, fields) of a text log line; raises unless it starts
    with an RFC 3339 time and a level and the rest is key=value."""
    m = TEXT_LINE.match(line)
    if not m:
        raise AssertionError("not 'TIME LEVEL msg=...': %r" % line)
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
    return t, m.group(2), parse_logfmt(m.group(3))


def parse_exposition(text):
    """({family: type}, {family: help}, [(name, {label: value}, float)]) of
    Prometheus' text format; raises on a line it cannot read."""
    types, helps, samples = {}, {}, []
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
        elif line.startswith("# HELP "):
            _, _, name, doc = line.split(" ", 3)
            helps[name] = doc
        elif line:
            m = sample.match(line)
            if not m:
                raise AssertionError("not a sample: %r" % line)
            labels, pos = {}, 0
            body = m.group(2) or ""
            while pos < len(body):
                lm = label.match(body, pos)
                if not lm:
                    raise AssertionError("bad labels: %r" % line)
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
            samples.append((m.group(1), labels, float(m.group(3))))
    return types, helps, samples


class Metrics:
    """One scrape, parsed."""

    def __init__(self, url):
        with urllib.request.urlopen(url, timeout=10 * SLOW) as r:
            self.status = r.status
            self.content_type = r.headers["Content-Type"]
            self.text = r.read().decode()
        self.types, self.helps, self.samples = parse_exposition(self.text)

    def get(self, name, **labels):
        found = [v for n, l, v in self.samples if n == name and l == labels]
        if len(found) != 1:
            raise AssertionError("%s%r: %d samples" % (name, labels, len(found)))
        return found[0]

    def series(self, name):
        return [(l, v) for n, l, v in self.samples if n == name]

    def histogram(self, name, **labels):
        """[(le, cumulative count)] in order, sum, count."""
        buckets = []
        for lab, v in self.series(name + "_bucket"):
            lab = dict(lab)
            le = lab.pop("le")
            if lab == labels:
                buckets.append((float(le), v))
        return buckets, self.get(name + "_sum", **labels), self.get(name + "_count", **labels)


def metrics_url(srv):
    """The URL the server says it serves metrics at (text or JSON log)."""
    line = srv.wait_log(r"metrics listening", 10)
    if not line:
        raise AssertionError("no 'metrics listening' line:\n" + srv.log())
    if line.startswith("{"):
        return json.loads(line)["url"]
    return parse_text_line(line)[2]["url"]


def write_auth(tmp):
    path = os.path.join(tmp, "tokens")
    with open(path, "w") as f:
        f.write("%s admin\n" % hash_token(TOK_ADMIN))
        f.write("%s editor acme acme-editor\n" % hash_token(TOK_EDITOR))
    return path


def access_lines(lines):
    """The JSON access and slow-request lines among lines."""
    objs = [json.loads(l) for l in lines]
    return [o for o in objs if o["msg"] in ("request", "slow request")]


class MetricsTest(ServerTest):
    def start_metrics(self, *extra):
        srv = self.start("--auth", write_auth(self.tmp), "--metrics", "tcp://127.0.0.1:0", *extra)
        return srv, metrics_url(srv)

    def test_metrics_hold_every_server_stats_counter(self):
        srv, url = self.start_metrics()
        self.assertTrue(url.startswith("http://127.0.0.1:") and url.endswith("/metrics"), url)
        admin, editor = srv.client(), srv.client()
        admin.ok("auth", {"token": TOK_ADMIN})
        admin.ok("org.put", {"org": "acme", "name": "Acme"})
        editor.ok("auth", {"token": TOK_EDITOR})
        editor.ok("control.put", {"org": "acme", "id": "C1", "title": "Policy"})
        editor.ok("coverage.get", {"org": "acme", "framework": "iso27001-2022"})
        self.assertEqual(editor.call("org.get", {"org": "other"})[0][0], FORBIDDEN)
        self.assertEqual(editor.call("no.such.method")[0][0], 3)
        for _ in range(5):
            editor.ok("ping")
        stats = admin.ok("server.stats")
        m = Metrics(url)
        self.assertEqual(m.status, 200)
        self.assertTrue(m.content_type.startswith("text/plain; version=0.0.4"), m.content_type)

        # every key server.stats has is exported, and nothing goes unmapped
        self.assertEqual(set(stats), set(STATS_SCALARS) | {"methods", "latency_us"},
                         "a server.stats counter without its metric: map it here and in "
                         "docs/METRICS.md")
        for key, name in STATS_SCALARS.items():
            self.assertIn(name, m.types, name)
            got = m.get(name)
            if key in MOVED_BY_STATS_CALL:
                self.assertGreaterEqual(got, stats[key], key)
            else:
                self.assertEqual(got, stats[key], key)
        for method, counts in stats["methods"].items():
            self.assertEqual(m.get("crosswalk_requests_total", method=method),
                             counts["requests"], method)
            self.assertEqual(m.get("crosswalk_request_errors_total", method=method),
                             counts["errors"], method)
        self.assertEqual(m.get("crosswalk_request_errors_total", method="org.get"), 1)
        self.assertEqual(m.get("crosswalk_requests_total", method="ping"), 5)
        self.assertEqual(m.types["crosswalk_requests_total"], "counter")

        # latency_us' buckets (each alone, in microseconds) are the histogram's,
        # made cumulative, plus the server.stats call itself
        buckets, total_s, count = m.histogram("crosswalk_request_duration_seconds")
        self.assertEqual(m.types["crosswalk_request_duration_seconds"], "histogram")
        stats_lat = [stats["latency_us"].get("le_%d" % (1 << b), 0) for b in range(LAT_BUCKETS)]
        self.assertEqual(count, sum(stats_lat) + 1)
        self.assertEqual(len(buckets), LAT_BUCKETS)
        cum = 0
        for b, (le, v) in enumerate(buckets[:-1]):
            self.assertAlmostEqual(le, (1 << b) / 1e6)
            cum += stats_lat[b]
            self.assertIn(v - cum, (0, 1), "bucket le=%s" % le)
        self.assertEqual(buckets[-1], (float("inf"), count))
        self.assertGreater(total_s, 0)

        # the process and its budgets
        for name in ("crosswalk_uptime_seconds", "process_resident_memory_bytes",
                     "process_open_fds", "crosswalk_memory_used_bytes",
                     "crosswalk_memory_budget_bytes", "crosswalk_write_queue_bytes",
                     "crosswalk_write_queue_limit_bytes", "crosswalk_connections_max",
                     "crosswalk_store_map_size_bytes", "crosswalk_store_map_used_bytes"):
            self.assertGreaterEqual(m.get(name), 0, name)
        self.assertEqual(m.get("crosswalk_memory_budget_bytes"), 1 << 30)
        self.assertGreater(m.get("process_resident_memory_bytes"), 1 << 20)
        self.assertEqual(m.get("crosswalk_store_records", kind="frameworks"), 5)
        self.assertEqual(m.get("crosswalk_store_records", kind="controls"), 1)
        self.assertEqual(m.get("crosswalk_connections"), 2)
        info = m.series("crosswalk_info")
        self.assertEqual(len(info), 1)
        self.assertEqual(info[0][0]["version"], admin.ok("server.info")["version"])
        # every family is declared, with help
        for name, _, _ in m.samples:
            fam = re.sub(r"_(bucket|sum|count)$", "", name)
            fam = fam if fam in m.types else name
            self.assertIn(fam, m.types, name)
            self.assertTrue(m.helps.get(fam), fam)
        admin.close()
        editor.close()

    def test_counts_move_and_histograms_hold(self):
        srv, url = self.start_metrics()
        c = srv.client()
        c.ok("auth", {"token": TOK_EDITOR})
        before = Metrics(url)
        pings = before.get("crosswalk_requests_total", method="ping") if any(
            l.get("method") == "ping" for l, _ in before.series("crosswalk_requests_total")) else 0
        for _ in range(3):
            c.ok("ping")
        c.ok("framework.list")
        c.call("org.get", {"org": "acme"})  # not found: an error
        after = Metrics(url)
        self.assertEqual(after.get("crosswalk_requests_total", method="ping"), pings + 3)
        self.assertEqual(after.get("crosswalk_requests_total", method="framework.list"), 1)
        self.assertEqual(after.get("crosswalk_request_errors_total", method="org.get"), 1)
        self.assertEqual(after.get("crosswalk_request_errors_total", method="ping"), 0)
        self.assertEqual(after.get("crosswalk_requests_total", method="auth"), 1)
        # every histogram: buckets never fall, +Inf is the count
        per_method = 0
        methods = {l["method"] for l, _ in after.series("crosswalk_method_duration_seconds_count")}
        self.assertTrue({"ping", "framework.list", "org.get", "auth"} <= methods, methods)
        for labels in [{}] + [{"method": x} for x in sorted(methods)]:
            name = "crosswalk_method_duration_seconds" if labels else \
                "crosswalk_request_duration_seconds"
            buckets, total, count = after.histogram(name, **labels)
            les = [le for le, _ in buckets]
            self.assertEqual(les, sorted(les), labels)
            self.assertEqual(les[-1], float("inf"))
            vals = [v for _, v in buckets]
            self.assertEqual(vals, sorted(vals), labels)
            self.assertEqual(vals[-1], count, labels)
            self.assertGreaterEqual(total, 0)
            if labels:
                per_method += count
        self.assertEqual(per_method, after.histogram("crosswalk_request_duration_seconds")[2])
        self.assertEqual(after.get("crosswalk_method_duration_seconds_count", method="ping"),
                         pings + 3)
        c.close()

    def test_only_get_metrics(self):
        srv, url = self.start_metrics()
        base = url[:-len("/metrics")]
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/other", timeout=10 * SLOW)
        self.assertEqual(e.exception.code, 404)
        self.assertIn(b"/metrics", e.exception.read())
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"),
                                   timeout=10 * SLOW)
        self.assertEqual(e.exception.code, 405)
        self.assertIn("GET", e.exception.headers["Allow"])
        # a client that connects and says nothing does not stop the others
        idle = socket.create_connection(("127.0.0.1", int(url.split(":")[2].split("/")[0])))
        try:
            self.assertEqual(Metrics(url).status, 200)
            with srv.client() as c:
                self.assertEqual(c.ok("ping"), "pong")
        finally:
            idle.close()

    def test_metrics_address_checked(self):
        cases = [
            ("unix:/tmp/cw-metrics.sock", "is not tcp://HOST:PORT"),
            ("http://127.0.0.1:9787", "is not tcp://HOST:PORT"),
            ("tcp://127.0.0.1", "is not tcp://HOST:PORT"),
            ("tcp://metrics.example:9787", "metrics.example is not an IP address"),
            ("tcp://127.0.0.1:99999", "has a bad port"),
        ]
        for addr, why in cases:
            with self.subTest(addr=addr):
                rc, err = run_once("--init", "--data", os.path.join(self.tmp, "d"), "--metrics", addr)
                self.assertEqual(rc, 2, err)
                self.assertIn("--metrics: '%s'" % addr, err)
                self.assertIn(why, err)
        # a port already taken: the server does not start, and says where
        taken = socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        try:
            rc, err = run_once("--init", "--data", os.path.join(self.tmp, "d"), "--listen",
                               "tcp://127.0.0.1:0", "--metrics", "tcp://127.0.0.1:%d" % port)
        finally:
            taken.close()
        self.assertEqual(rc, 1, err)
        self.assertIn("metrics: cannot listen on tcp://127.0.0.1:%d" % port, err)

    def test_ipv6_loopback(self):
        if not socket.has_ipv6:
            raise unittest.SkipTest("no IPv6")
        try:
            probe = socket.socket(socket.AF_INET6)
            probe.bind(("::1", 0))
            probe.close()
        except OSError:
            raise unittest.SkipTest("no IPv6 loopback")
        srv = self.start("--metrics", "tcp://[::1]:0")
        url = metrics_url(srv)
        self.assertTrue(url.startswith("http://[::1]:"), url)
        self.assertEqual(Metrics(url).status, 200)


def run_once(*args, env=None, timeout=30):
    """(exit status, stderr) of a crosswalkd expected to stop by itself."""
    p = subprocess.run([crosswalkd()] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout * SLOW, env=server_env(env))
    return p.returncode, p.stderr.decode()


class LogTest(ServerTest):
    def test_json_access_log_has_no_argument_or_token(self):
        srv = self.start("--auth", write_auth(self.tmp), "--log-format", "json", "--access-log")
        admin, editor, stranger = srv.client(), srv.client(), srv.client()
        admin.ok("auth", {"token": TOK_ADMIN})
        admin.ok("org.put", {"org": "acme", "name": SECRET})
        editor.ok("auth", {"token": TOK_EDITOR})
        editor.ok("control.put", {"org": "acme", "id": "C1", "title": SECRET, "owner": SECRET})
        self.assertEqual(editor.ok("control.get", {"org": "acme", "id": "C1"})["title"], SECRET)
        self.assertEqual(editor.call("org.get", {"org": "other"})[0][0], FORBIDDEN)
        err, _ = editor.call("control.put", {"org": "acme", "id": SECRET, "title": 7})
        self.assertEqual(err[0], INVALID_PARAMS)
        self.assertEqual(stranger.call("auth", {"token": TOK_WRONG})[0][0], UNAUTHENTICATED)
        for c in (admin, editor, stranger):
            c.close()
        srv.stop()
        lines = srv.log().splitlines()
        self.assertGreater(len(lines), 10)
        for line in lines:
            obj = json.loads(line)  # every line is one JSON object
            for key in ("time", "level", "msg"):
                self.assertIn(key, obj, line)
            datetime.datetime.strptime(obj["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
            self.assertIn(obj["level"], ("error", "warn", "info", "debug"))
            for secret in (SECRET, TOK_ADMIN, TOK_EDITOR, TOK_WRONG):
                self.assertNotIn(secret, line)
        acc = access_lines(lines)
        got = [(a["method"], a["result"], a["code"], a["role"], a["org"]) for a in acc]
        self.assertEqual(got, [
            ("auth", "ok", 0, "admin", "-"),
            ("org.put", "ok", 0, "admin", "acme"),
            ("auth", "ok", 0, "editor", "acme"),
            ("control.put", "ok", 0, "editor", "acme"),
            ("control.get", "ok", 0, "editor", "acme"),
            ("org.get", "forbidden", FORBIDDEN, "editor", "other"),
            ("control.put", "invalid_params", INVALID_PARAMS, "editor", "acme"),
            ("auth", "unauthenticated", UNAUTHENTICATED, "none", "-"),
        ])
        for a in acc:
            self.assertEqual(set(a), {"time", "level", "msg", "conn", "peer", "role", "method",
                                      "org", "result", "code", "bytes_in", "bytes_out", "ms"})
            self.assertEqual((a["level"], a["msg"]), ("info", "request"))
            self.assertGreater(a["bytes_in"], 0)
            self.assertGreater(a["bytes_out"], 0)
            self.assertGreaterEqual(a["ms"], 0)
            self.assertTrue(a["peer"].startswith("127.0.0.1:"), a)
        # the write carried the secret twice: its size shows, its content does not
        self.assertGreater(acc[3]["bytes_in"], 2 * len(SECRET))

    def test_text_lines_start_with_time_and_level(self):
        srv = self.start("--access-log")
        with srv.client() as c:
            c.ok("ping")
            c.ok("org.put", {"org": "acme", "name": "Acme"})
            c.call("org.get", {"org": "nope"})
        with srv.client(unix=True) as c:
            c.ok("server.info")
        srv.stop()
        lines = srv.log().splitlines()
        fields = []
        for line in lines:
            t, level, f = parse_text_line(line)
            self.assertLess(abs((datetime.datetime.utcnow() - t).total_seconds()), 600, line)
            self.assertIn("msg", f)
            fields.append((level, f))
        msgs = [f["msg"] for _, f in fields]
        self.assertEqual(msgs.count("listening"), 2)
        self.assertIn("stopped", msgs)
        acc = [f for _, f in fields if f["msg"] == "request"]
        self.assertEqual([(a["method"], a["result"]) for a in acc],
                         [("ping", "ok"), ("org.put", "ok"), ("org.get", "not_found"),
                          ("server.info", "ok")])
        self.assertEqual(acc[-1]["peer"], "unix")
        self.assertEqual(acc[2]["code"], "5")
        float(acc[0]["ms"])

    def test_slow_threshold(self):
        # 0 ms: every request is slow, one warn line each, even with no access log
        srv = self.start("--slow-ms", "0")
        with srv.client() as c:
            for _ in range(3):
                c.ok("ping")
            c.ok("framework.list")
            c.call("no.such.method")
        srv.stop()
        slow = [f for lvl, f in (parse_text_line(l)[1:] for l in srv.log().splitlines())
                if f["msg"] == "slow request" and lvl == "warn"]
        self.assertEqual([f["method"] for f in slow], ["ping"] * 3 + ["framework.list", "-"])
        self.assertEqual(slow[-1]["result"], "method_not_found")
        self.assertNotIn("msg=request", srv.log())
        # a minute: nothing here is slow
        other = os.path.join(self.tmp, "b")
        os.makedirs(other)
        srv = self.start("--slow-ms", "60000", tmpdir=other)
        with srv.client() as c:
            for _ in range(3):
                c.ok("ping")
        srv.stop()
        self.assertNotIn("slow request", srv.log())

    def test_refused_bulk_calls_leave_access_lines(self):
        srv = self.start("--access-log", "--max-message", "8M")
        with srv.client() as c:
            c.ok("org.put", {"org": "acme", "name": "Acme"})
            c.ok("control.put", {"org": "acme", "id": "C1"})
            # 50,000 rows, the last one wrong: the writer refuses the call whole
            rows = [{"id": "E%05d" % i, "controls": ["C1"], "result": "pass",
                     "collected_at": 1700000000} for i in range(50000)]
            rows[-1]["result"] = "maybe"
            err, _ = c.call("evidence.load", {"org": "acme", "items": rows}, timeout=120)
            self.assertEqual(err[0], INVALID_PARAMS, err)
        bulk = len(msgpack.packb([0, 3, "evidence.load", [{"org": "acme", "items": rows}]]))
        # 50,000 rows past --max-message: refused before it is read as a request
        with srv.client() as c:
            for r in rows:
                r["title"] = "x" * 200
            _, data = c.pack_request("evidence.load", {"org": "acme", "items": rows})
            self.assertGreater(len(data), 8 << 20)
            # sent on a thread: the server answers and closes before it has all of it
            sender = threading.Thread(target=send_ignoring_errors, args=(c.sock, data))
            sender.start()
            msgs = c.read_until_closed(60)
            sender.join(60)
            self.assertEqual(len(msgs), 1, msgs)
            self.assertEqual(msgs[0][2][0], TOO_LARGE, msgs)
        line = srv.wait_log(r"msg=request .*result=too_large", 10)
        self.assertTrue(line, srv.log()[-3000:])
        f = parse_text_line(line)[2]
        self.assertEqual((f["method"], f["code"]), ("-", str(TOO_LARGE)))
        self.assertGreater(int(f["bytes_in"]), 0)
        srv.stop()
        acc = [parse_text_line(l)[2] for l in srv.log().splitlines() if " msg=request " in l]
        refused = [a for a in acc if a["method"] == "evidence.load"]
        self.assertEqual(len(refused), 1, acc)
        self.assertEqual((refused[0]["result"], refused[0]["code"]),
                         ("invalid_params", str(INVALID_PARAMS)))
        self.assertEqual(int(refused[0]["bytes_in"]), bulk)
        self.assertEqual(refused[0]["org"], "acme")

    def test_log_file_reopened_on_sighup(self):
        path = os.path.join(self.tmp, "crosswalkd.log")
        err_path = os.path.join(self.tmp, "stderr")
        with open(err_path, "w") as err:
            proc = subprocess.Popen(
                [crosswalkd(), "--init", "--data", os.path.join(self.tmp, "data"), "--listen",
                 "tcp://127.0.0.1:0", "--log-file", path, "--access-log"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                env=server_env())
        self.addCleanup(stop_process, proc)
        port = wait_file_listening(path, proc)
        with Client(port=port) as c:
            c.ok("ping")
        os.rename(path, path + ".1")
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10 * SLOW
        while not (os.path.exists(path) and "log file reopened" in read(path)):
            self.assertLess(time.monotonic(), deadline, "no new log file after SIGHUP")
            self.assertIsNone(proc.poll(), "SIGHUP stopped the server")
            time.sleep(0.02)
        with Client(port=port) as c:
            c.ok("framework.list")
        self.assertEqual(stop_process(proc), 0)
        old, new = read(path + ".1"), read(path)
        self.assertIn("method=ping", old)
        self.assertNotIn("framework.list", old)
        self.assertIn("method=framework.list", new)
        self.assertIn("msg=stopped", new)
        for line in new.splitlines() + old.splitlines():
            parse_text_line(line)
        self.assertEqual(read(err_path), "")  # nothing went to stderr

    def test_sighup_without_log_file_is_harmless(self):
        srv = self.start()
        srv.signal(signal.SIGHUP)
        time.sleep(0.2)
        with srv.client() as c:
            self.assertEqual(c.ok("ping"), "pong")
        self.assertTrue(srv.running())

    def test_journal_priorities(self):
        # stderr is "the journal" when JOURNAL_STREAM names its device and inode
        err_path = os.path.join(self.tmp, "stderr")
        with open(err_path, "w") as err:
            st = os.fstat(err.fileno())
            proc = subprocess.Popen(
                [crosswalkd(), "--init", "--data", os.path.join(self.tmp, "data"), "--listen",
                 "tcp://127.0.0.1:0", "--access-log", "--slow-ms", "0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                env=server_env({"JOURNAL_STREAM": "%d:%d" % (st.st_dev, st.st_ino)}))
        self.addCleanup(stop_process, proc)
        port = wait_file_listening(err_path, proc, journal=True)
        with Client(port=port) as c:
            c.ok("ping")
        self.assertEqual(stop_process(proc), 0)
        lines = read(err_path).splitlines()
        prio = {"error": "3", "warn": "4", "info": "6", "debug": "7"}
        for line in lines:
            m = re.match(r"^<(\d)>(error|warn|info|debug) (msg=.*)$", line)
            self.assertTrue(m, line)  # no time: the journal keeps its own
            self.assertEqual(m.group(1), prio[m.group(2)], line)
            parse_logfmt(m.group(3))
        self.assertTrue(any(l.startswith("<4>warn msg=\"slow request\"") for l in lines), lines)

    def test_bad_options_refused(self):
        data = os.path.join(self.tmp, "d")
        for args, want in [
            (["--log-format", "xml"], "--log-format: 'xml' is not text or json"),
            (["--log-level", "loud"], "--log-level: 'loud': the level is error, warn, info or debug"),
            (["--slow-ms", "-1"], "--slow-ms: '-1' is not a number of milliseconds"),
            (["--slow-ms", "soon"], "--slow-ms: 'soon' is not a number of milliseconds"),
            (["--log-file", os.path.join(self.tmp, "no", "such", "dir.log")],
             "--log-file: cannot open"),
        ]:
            with self.subTest(args=args):
                rc, err = run_once("--init", "--data", data, *args)
                self.assertEqual(rc, 2, err)
                self.assertIn(want, err)
        # the help names every flag
        p = subprocess.run([crosswalkd(), "--help"], capture_output=True, text=True)
        for flag in ("--log-format", "--log-file", "--access-log", "--slow-ms", "--metrics"):
            self.assertIn(flag, p.stdout)


def send_ignoring_errors(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def wait_file_listening(path, proc, journal=False):
    """The TCP port of a server whose log goes to path."""
    deadline = time.monotonic() + 60 * SLOW
    while time.monotonic() < deadline:
        if os.path.exists(path):
            for line in read(path).splitlines():
                if journal:
                    line = re.sub(r"^<\d>", "2000-01-01T00:00:00.000Z ", line)
                addr = listening_addr(line)
                if addr and addr.startswith("tcp://"):
                    return int(addr.rsplit(":", 1)[1])
        if proc.poll() is not None:
            raise AssertionError("crosswalkd exited with %d" % proc.returncode)
        time.sleep(0.02)
    raise AssertionError("crosswalkd did not start")


def stop_process(proc):
    """SIGTERM and the exit status (killed after a deadline)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30 * SLOW)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


if __name__ == "__main__":
    unittest.main()
