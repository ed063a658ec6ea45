"""Harness for the crosswalk CLI tests.

Starts the real crosswalkd ($CROSSWALKD, set by ctest) on a Unix socket in
a temporary directory with its own --data directory, and runs the real
crosswalk binary ($CROSSWALK) against it through CROSSWALK_SERVER.  The
server is stopped with SIGTERM and must exit 0.  Standard library only.
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest


def binary(var, rel):
    path = os.environ.get(var)
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", rel)
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"{rel} not found (set {var})")
    return os.path.abspath(path)


class Server:
    """One crosswalkd on unix:<tmp>/cw.sock with --data <tmp>/data."""

    def __init__(self, extra=(), tokens=()):
        """extra: more crosswalkd arguments; tokens: (token, role, org)
        triples written to an --auth file."""
        self.tmp = tempfile.mkdtemp(prefix="cwcli-")
        self.sock = os.path.join(self.tmp, "cw.sock")
        self.addr = "unix:" + self.sock
        env = dict(os.environ)
        for k in ("CROSSWALK_LISTEN", "CROSSWALK_DATA", "CROSSWALK_AUTH"):
            env.pop(k, None)
        args = [binary("CROSSWALKD", "server/crosswalkd"), "--listen", self.addr,
                "--init", "--data", os.path.join(self.tmp, "data"), *extra]
        if tokens:
            auth = os.path.join(self.tmp, "auth")
            with open(auth, "w") as f:
                for token, role, org in tokens:
                    digest = hashlib.sha256(token.encode()).hexdigest()
                    f.write(f"{digest} {role} {org or ''}\n")
            args += ["--auth", auth]
        self.tcp = None
        self.log = open(os.path.join(self.tmp, "server.log"), "w+")
        self.proc = subprocess.Popen(args,
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read()
            want_tcp = any(a.startswith("tcp://") for a in extra)
            m = re.search(r" msg=listening addr=(tcp://\S+)", text)
            if " msg=listening addr=unix:" in text and (m or not want_tcp):
                self.tcp = m.group(1) if m else None
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("crosswalkd did not start")

    def stop(self):
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        else:
            rc = self.proc.returncode
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return rc


class CliCase(unittest.TestCase):
    """A test class sharing one server; run() calls the CLI."""

    server = None
    server_args = ()
    tokens = ()

    @classmethod
    def setUpClass(cls):
        cls.cli = binary("CROSSWALK", "tools/cli/crosswalk")
        cls.server = Server(cls.server_args, cls.tokens)

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            rc = cls.server.stop()
            assert rc == 0, f"crosswalkd exited {rc} on SIGTERM"

    def run_cli(self, *args, input=None, env=None, server=True):
        e = dict(os.environ)
        for k in ("CROSSWALK_SERVER", "CROSSWALK_TOKEN", "NO_COLOR"):
            e.pop(k, None)
        if server:
            e["CROSSWALK_SERVER"] = self.server.addr
        if env:
            e.update(env)
        return subprocess.run([self.cli, *args], input=input, capture_output=True,
                              text=True, env=e, timeout=120)

    def ok(self, *args, **kw):
        r = self.run_cli(*args, **kw)
        self.assertEqual(r.returncode, 0, f"crosswalk {' '.join(args)}: {r.stderr}")
        return r.stdout
