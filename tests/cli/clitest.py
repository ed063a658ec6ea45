"""Harness for the crosswalk CLI tests.

Starts the real crosswalkd ($CROSSWALKD, set by ctest) on a Unix socket in
a temporary directory with its own --data directory, and runs the real
crosswalk binary ($CROSSWALK) against it through CROSSWALK_SERVER.  The
server is stopped with SIGTERM and must exit 0.  Standard library only.
"""
import fcntl
import hashlib
import os
import pty
import re
import struct
import termios
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

    def run_tty(self, *args, cols=80, rows=24, env=None, stdout_pipe=False):
        """Runs the CLI with standard error (and standard output, unless
        stdout_pipe) on a pseudo-terminal of cols x rows, as a person at a
        terminal sees it; returns the exit status and everything written
        there, decoded (and with stdout_pipe, what standard output got)."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        e = dict(os.environ)
        for k in ("CROSSWALK_SERVER", "CROSSWALK_TOKEN", "NO_COLOR", "PAGER", "COLUMNS"):
            e.pop(k, None)
        e["CROSSWALK_SERVER"] = self.server.addr
        e.setdefault("TERM", "xterm")
        if env:
            e.update(env)
        p = subprocess.Popen([self.cli, *args], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE if stdout_pipe else slave, stderr=slave, env=e)
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        os.close(master)
        out = p.stdout.read().decode() if stdout_pipe else None
        rc = p.wait(timeout=120)
        tty = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
        return (rc, tty, out) if stdout_pipe else (rc, tty)
