"""crosswalkd as a service (issue 18): one server per Unix socket path and
per data directory, the data directory made only on request and only
after every listener is bound, SIGHUP reading the token file again,
systemd's readiness protocol (sd_notify) and socket activation, the
configuration file and its precedence, and the unit files.

Socket activation and sd_notify are exercised as systemd does them,
without systemd: the test binds the sockets and passes them at fd 3 and
up with LISTEN_FDS and LISTEN_PID, and listens on NOTIFY_SOCKET itself."""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from cwtest import (SLOW, UNAUTHENTICATED, Client, Server, ServerTest, crosswalkd, hash_token,
                    server_env)

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = os.path.join(HERE, "..", "..", "packaging", "systemd")

# Execs the server with the sockets given as fds (argv[1], comma-separated)
# moved to 3, 4, ... and LISTEN_PID naming itself: exec keeps the PID, so
# the server sees exactly what systemd would hand it.
ACTIVATE = r"""
import fcntl, os, sys
fds = [int(x) for x in sys.argv[1].split(",")]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.close(fd)
os.environ["LISTEN_FDS"] = str(len(fds))
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDNAMES"] = ":".join("s%d" % i for i in range(len(fds)))
os.execv(sys.argv[2], sys.argv[2:])
"""


def run(args, env=None, timeout=60):
    """Runs crosswalkd to completion: (exit status, stderr)."""
    p = subprocess.run([crosswalkd()] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout * SLOW, env=server_env(env))
    return p.returncode, p.stderr.decode()


def tree(path):
    """Every path under path (relative), to show that nothing was made."""
    out = []
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(root, n), path))
    return sorted(out)



def listening(lines):
    """The addresses of a server's "listening" log lines."""
    return [m.group(1) for m in (re.search(r"msg=listening addr=(\S+)", l) for l in lines) if m]


class SingleInstanceTest(ServerTest):
    def test_second_server_on_the_same_unix_socket_is_refused(self):
        first = self.start()
        other = os.path.join(self.tmp, "other")
        rc, err = run(["--listen", "unix:" + first.sock_path, "--data", other, "--init"])
        self.assertEqual(rc, 1, err)
        self.assertIn("unix:" + first.sock_path, err)
        self.assertIn("PID %d" % first.proc.pid, err)
        self.assertNotIn("msg=listening", err)
        self.assertFalse(os.path.exists(other), "the refused server made its data directory")
        # The first server's socket is still there and answers, on both listeners.
        with first.client(unix=True) as c:
            self.assertEqual(c.ok("ping"), "pong")
        with first.client() as c:
            self.assertEqual(c.ok("ping"), "pong")

    def test_second_server_on_the_same_data_directory_is_refused(self):
        first = self.start()
        sock = os.path.join(self.tmp, "second.sock")
        rc, err = run(["--listen", "tcp://127.0.0.1:0", "--listen", "unix:" + sock,
                       "--data", first.data])
        self.assertEqual(rc, 1, err)
        self.assertIn("'%s' is in use by another crosswalkd (PID %d)" % (first.data,
                                                                         first.proc.pid), err)
        self.assertFalse(os.path.exists(sock), "the refused server left its socket file")
        with first.client() as c:
            self.assertEqual(c.ok("ping"), "pong")
            self.assertIn("iso27001-2022", [f["framework"] for f in c.ok("framework.list")])
        # Once the first has stopped, the directory is free again.
        first.stop()
        self.assertFalse(os.path.exists(os.path.join(first.data, "crosswalkd.pid")))
        second = self.start(init=False)
        with second.client() as c:
            self.assertEqual(c.ok("ping"), "pong")

    def test_a_killed_server_leaves_nothing_that_blocks_the_next(self):
        first = self.start()
        first.kill()  # SIGKILL: its lock goes with it, its socket file stays
        self.assertTrue(os.path.exists(first.sock_path))
        second = self.start(init=False)
        with second.client(unix=True) as c:
            self.assertEqual(c.ok("ping"), "pong")

    def test_a_stale_socket_is_replaced_and_a_file_is_not(self):
        path = os.path.join(self.tmp, "s.sock")
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(path)
        dead.close()  # the file stays; nobody listens on it
        srv = self.start()
        with srv.client(unix=True) as c:
            self.assertEqual(c.ok("ping"), "pong")
        srv.stop()
        self.assertFalse(os.path.exists(path), "a clean stop removes its own socket")
        plain = os.path.join(self.tmp, "plain")
        with open(plain, "w") as f:
            f.write("not a socket\n")
        rc, err = run(["--listen", "unix:" + plain, "--data", srv.data])
        self.assertEqual(rc, 1, err)
        self.assertIn("'%s' exists and is not a socket" % plain, err)
        with open(plain) as f:
            self.assertEqual(f.read(), "not a socket\n")


class DataDirectoryTest(ServerTest):
    def test_a_missing_data_directory_is_refused_without_init(self):
        typo = os.path.join(self.tmp, "crosswalk-dtaa")
        rc, err = run(["--listen", "tcp://127.0.0.1:0", "--data", typo])
        self.assertEqual(rc, 1, err)
        self.assertIn("data: '%s' does not exist" % typo, err)
        self.assertIn("--init", err)
        self.assertEqual(tree(self.tmp), [])
        # The environment variable is held to the same rule.
        rc, err = run(["--listen", "tcp://127.0.0.1:0"], env={"CROSSWALK_DATA": typo})
        self.assertEqual(rc, 1, err)
        self.assertEqual(tree(self.tmp), [])

    def test_init_makes_the_directory_but_not_its_parents(self):
        deep = os.path.join(self.tmp, "no", "such", "data")
        rc, err = run(["--listen", "tcp://127.0.0.1:0", "--data", deep, "--init"])
        self.assertEqual(rc, 1, err)
        self.assertIn("not its parents", err)
        self.assertEqual(tree(self.tmp), [])

    def test_a_file_as_data_directory_is_refused(self):
        path = os.path.join(self.tmp, "file")
        open(path, "w").close()
        rc, err = run(["--listen", "tcp://127.0.0.1:0", "--data", path, "--init"])
        self.assertEqual(rc, 1, err)
        self.assertIn("'%s' is not a directory" % path, err)

    def test_an_existing_empty_directory_is_used(self):
        empty = tempfile.mkdtemp(dir=self.tmp)
        srv = self.start(data=empty, init=False)
        with srv.client() as c:
            self.assertIn("soc2-2017", [f["framework"] for f in c.ok("framework.list")])
        self.assertIn("crosswalkd.pid", os.listdir(empty))
        with open(os.path.join(empty, "crosswalkd.pid")) as f:
            self.assertEqual(int(f.read()), srv.proc.pid)

    def test_a_failed_start_creates_nothing(self):
        taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        addr = "tcp://127.0.0.1:%d" % taken.getsockname()[1]
        sock = os.path.join(self.tmp, "s.sock")
        new = os.path.join(self.tmp, "new")
        # The Unix listener is bound first, then the port fails.
        rc, err = run(["--listen", "unix:" + sock, "--listen", addr, "--data", new, "--init"])
        self.assertEqual(rc, 1, err)
        self.assertIn("listen: %s: address already in use" % addr, err)
        self.assertEqual(tree(self.tmp), [], "a failed start left files behind")
        # An existing directory is left as it was, too.
        os.mkdir(new)
        rc, err = run(["--listen", addr, "--data", new])
        self.assertEqual(rc, 1, err)
        self.assertEqual(tree(self.tmp), ["new"])


ADMIN_OLD = "old-admin-token-0123456789"
ADMIN_NEW = "new-admin-token-9876543210"
EDITOR = "acme-editor-token-abcdefghij"


class ReloadTest(ServerTest):
    def write_tokens(self, lines):
        tmp = self.auth + ".tmp"
        with open(tmp, "w") as f:
            f.write("".join(l + "\n" for l in lines))
        os.replace(tmp, self.auth)

    def authed(self, srv, token):
        c = srv.client()
        self.addCleanup(c.close)
        c.ok("auth", {"token": token})
        return c

    def hup(self, srv, pattern):
        n = len(srv.lines)
        srv.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10 * SLOW
        while time.monotonic() < deadline:
            for line in srv.lines[n:]:
                if pattern in line:
                    return line
            time.sleep(0.02)
        self.fail("no %r in the log after SIGHUP:\n%s" % (pattern, srv.log()[-3000:]))

    def test_sighup_reloads_the_token_file(self):
        self.auth = os.path.join(self.tmp, "tokens")
        self.write_tokens(["%s admin old-admin" % hash_token(ADMIN_OLD)])
        srv = self.start("--auth", self.auth)
        before = self.authed(srv, ADMIN_OLD)
        before.ok("org.put", {"org": "acme", "name": "Acme"})

        self.write_tokens(["%s admin new-admin" % hash_token(ADMIN_NEW),
                           "%s editor acme acme-editor" % hash_token(EDITOR)])
        line = self.hup(srv, "received SIGHUP")
        self.assertIn("2 tokens read from %s" % self.auth, line)
        self.assertTrue(srv.running())
        # The old token is refused, the new ones are accepted.
        with srv.client() as c:
            self.assertCallError(c, "auth", {"token": ADMIN_OLD}, UNAUTHENTICATED)
            self.assertCallError(c, "org.list", None, UNAUTHENTICATED)
        self.authed(srv, ADMIN_NEW).ok("org.put", {"org": "gamma", "name": "Gamma"})
        ed = self.authed(srv, EDITOR)
        self.assertEqual(ed.ok("control.list", {"org": "acme"}), [])
        # A connection opened before keeps the role it authenticated with.
        before.ok("org.put", {"org": "beta", "name": "Beta"})

        # A bad file keeps the tokens in force and says why.
        self.write_tokens(["%s admin new-admin" % hash_token(ADMIN_NEW), "abc nobody"])
        line = self.hup(srv, "received SIGHUP")
        self.assertIn("%s:2" % self.auth, line)
        self.assertIn("keeping the 2 tokens in force", line)
        self.authed(srv, ADMIN_NEW)
        self.authed(srv, EDITOR)
        os.unlink(self.auth)
        line = self.hup(srv, "received SIGHUP")
        self.assertIn("cannot open", line)
        self.authed(srv, EDITOR).ok("control.list", {"org": "acme"})
        for tok in (ADMIN_OLD, ADMIN_NEW, EDITOR):
            self.assertNotIn(tok, srv.log())
        srv.stop()

    def test_sighup_without_auth_file_is_harmless(self):
        srv = self.start()
        srv.signal(signal.SIGHUP)
        self.assertTrue(srv.wait_log("received SIGHUP: no --auth file"))
        with srv.client() as c:
            self.assertEqual(c.ok("ping"), "pong")
        srv.stop()


class NotifySocket:
    """What systemd listens on for sd_notify: a datagram Unix socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.got = []

    def wait(self, key, timeout=20):
        """Waits for a message with key=... (e.g. "READY=1"); returns it."""
        deadline = time.monotonic() + timeout * SLOW
        while True:
            for m in self.got:
                if key in m.split("\n"):
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s in %r" % (key, self.got))
            self.sock.settimeout(left)
            try:
                self.got.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass

    def close(self):
        self.sock.close()


class SystemdTest(ServerTest):
    def notify_socket(self):
        n = NotifySocket(os.path.join(self.tmp, "notify"))
        self.addCleanup(n.close)
        return n

    def test_ready_and_stopping_are_notified(self):
        n = self.notify_socket()
        srv = self.start(env={"NOTIFY_SOCKET": n.path})
        ready = n.wait("READY=1")
        self.assertIn("STATUS=serving 2 sockets", ready)
        with srv.client() as c:  # ready means serving
            self.assertEqual(c.ok("ping"), "pong")
        srv.signal(signal.SIGHUP)
        n.wait("RELOADING=1")
        srv.signal(signal.SIGTERM)
        n.wait("STOPPING=1")
        self.assertEqual(srv.wait_exit(), 0)

    def test_ready_is_not_sent_by_a_failed_start(self):
        n = self.notify_socket()
        rc, err = run(["--data", os.path.join(self.tmp, "missing")],
                      env={"NOTIFY_SOCKET": n.path})
        self.assertEqual(rc, 1, err)
        n.sock.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            n.sock.recv(4096)

    def activated(self, socks, *args, **kw):
        """A server started as systemd starts it with the listening sockets
        socks (stopped at cleanup); the test's own copies are closed."""
        fds = ",".join(str(s.fileno()) for s in socks)
        launcher = [sys.executable, "-c", ACTIVATE, fds]
        try:
            srv = Server(self.tmp, *args, launcher=launcher, listen=[], listeners=len(socks),
                         pass_fds=[s.fileno() for s in socks], **kw)
        finally:
            for s in socks:
                s.close()
        self.addCleanup(self._stop, srv)
        return srv

    def tcp_and_unix(self):
        """Listening sockets as a socket unit makes them: loopback TCP on a
        free port and a Unix socket; with that port and that path."""
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(16)
        path = os.path.join(self.tmp, "activated.sock")
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(path)
        unix.listen(16)
        return tcp, unix, tcp.getsockname()[1], path

    def test_socket_activation_serves_passed_tcp_and_unix_sockets(self):
        tcp, unix, port, path = self.tcp_and_unix()
        srv = self.activated([tcp, unix])
        self.assertIn("msg=listening addr=tcp://127.0.0.1:%d" % port, srv.log())
        self.assertIn("msg=listening addr=unix:%s" % path, srv.log())
        self.assertTrue(srv.wait_log("socket activation: serving the 2 sockets passed"))
        # No default address is bound besides the passed sockets.
        self.assertEqual(len(listening(srv.lines)), 2)
        with Client(port=port) as c:
            self.assertEqual(c.ok("ping"), "pong")
        with Client(unix_path=path) as c:
            self.assertIn("nist-csf-2.0", [f["framework"] for f in c.ok("framework.list")])
        srv.stop()
        # The socket file belongs to whoever passed it: it is not removed.
        self.assertTrue(os.path.exists(path))

    def test_a_listen_address_that_was_passed_is_served_by_it(self):
        """The same configuration serves with and without socket activation:
        an address it lists that systemd passed is not bound again (for a
        Unix socket that would be refused: a live server answers there)."""
        tcp, unix, port, path = self.tcp_and_unix()
        conf = os.path.join(self.tmp, "crosswalkd.conf")
        with open(conf, "w") as f:
            f.write("listen = unix:%s\nlisten = tcp://localhost:%d\n" % (path, port))
        srv = self.activated([tcp, unix], "--config", conf)
        self.assertEqual(sorted(listening(srv.lines)),
                         ["tcp://127.0.0.1:%d" % port, "unix:" + path])
        with Client(unix_path=path) as c:
            self.assertEqual(c.ok("ping"), "pong")
        srv.stop()

    def test_a_passed_socket_on_all_interfaces_needs_auth(self):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("0.0.0.0", 0))
        tcp.listen(1)
        with self.assertRaises(AssertionError) as cm:
            self.activated([tcp])
        self.assertIn("without authentication", str(cm.exception))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "data")))

    def test_units_pass_systemd_analyze_verify(self):
        tool = shutil.which("systemd-analyze")
        if not tool:
            raise unittest.SkipTest("systemd-analyze is not installed (Debian package systemd)")
        # The installed path of the server is written once, in the service
        # unit; the check runs the unit against the binary under test.
        out = os.path.join(self.tmp, "units")
        os.mkdir(out)
        for name in ("crosswalkd.service", "crosswalkd.socket"):
            with open(os.path.join(UNITS, name)) as f:
                text = f.read()
            if name.endswith(".service"):
                self.assertIn("ExecStart=/usr/bin/crosswalkd ", text)
                self.assertIn("Type=notify", text)
                text = text.replace("/usr/bin/crosswalkd", crosswalkd())
            with open(os.path.join(out, name), "w") as f:
                f.write(text)
        p = subprocess.run([tool, "verify", "--man=no", "crosswalkd.socket",
                            "crosswalkd.service"], cwd=out, capture_output=True, text=True,
                           timeout=60)
        said = [l for l in (p.stdout + p.stderr).splitlines() if "crosswalkd" in l]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(said, [], "systemd-analyze verify objects to the units")
        # And it does read them: a mistake in a unit is reported.
        with open(os.path.join(out, "crosswalkd.service"), "a") as f:
            f.write("ProtectSystm=strict\n")
        p = subprocess.run([tool, "verify", "--man=no", "crosswalkd.service"], cwd=out,
                           capture_output=True, text=True, timeout=60)
        self.assertIn("ProtectSystm", p.stdout + p.stderr)


class ConfigFileTest(ServerTest):
    def config(self, text, name="crosswalkd.conf"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_config_file_is_honoured_and_flags_win(self):
        data = os.path.join(self.tmp, "from-file")
        conf = self.config(
            "# crosswalkd settings\n"
            "listen = tcp://127.0.0.1:0\n"
            "listen = unix:%s\n"
            "data = %s\n"
            "init = true\n"
            "\n"
            "; sizes take the same suffixes as the flags\n"
            "max-connections = 7\n"
            "max-message = 2M\n"
            "idle-timeout = 0\n"
            "log-level = debug\n" % (os.path.join(self.tmp, "file.sock"), data))
        # The file wins over the environment.
        srv = Server(self.tmp, "--config", conf, listen=[], data=None, init=False, listeners=2,
                     env={"CROSSWALK_DATA": os.path.join(self.tmp, "from-env")})
        self.addCleanup(self._stop, srv)
        with srv.client() as c:
            limits = c.ok("server.info")["limits"]
        self.assertEqual(limits["max_connections"], 7)
        self.assertEqual(limits["max_message"], 2 << 20)
        self.assertTrue(os.path.isdir(data))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "from-env")))
        self.assertIn("config=" + conf, srv.log())
        srv.stop()
        # Flags win over the file: listen replaces the file's list, the rest one by one.
        srv = Server(self.tmp, "--max-connections", "9", "--config", conf, init=False)
        self.addCleanup(self._stop, srv)
        with srv.client() as c:
            limits = c.ok("server.info")["limits"]
        self.assertEqual(limits["max_connections"], 9)
        self.assertEqual(limits["max_message"], 2 << 20)
        self.assertEqual(srv.data, os.path.join(self.tmp, "data"))
        self.assertEqual(len(listening(srv.lines)), 2)
        self.assertNotIn("file.sock", srv.log())

    def test_bad_config_files_are_refused_naming_file_line_and_key(self):
        cases = [
            ("data = %s\nmax-conections = 3\n", ":2: max-conections: unknown key"),
            ("\n\nmax-depth = 99\n", ":3: max-depth: 99: msgpack-c decodes at most 32 levels"),
            ("max-message = lots\n", ":1: max-message: 'lots' is not a size"),
            ("init = maybe\n", ":1: init: 'maybe' is not true or false"),
            ("log-level = loud\n", ":1: log-level: 'loud': the level is error, warn"),
            ("data = /a\ndata = /b\n", ":2: data: already set on line 1"),
            ("[server]\nmax-depth = 8\n", ":2: max-depth: is in section [server]"),
            ("max-depth 8\n", ":1: expected 'key = value'"),
            ("data =\n", ":1: data: no value given"),
            ("config = other.conf\n", ":1: config: unknown key"),
            ("data = /%s\n" % ("x" * 300), ":1: the line is longer than"),
        ]
        for text, want in cases:
            with self.subTest(want=want):
                if "%s" in text:
                    text = text % os.path.join(self.tmp, "data")
                conf = self.config(text)
                rc, err = run(["--config", conf, "--listen", "tcp://127.0.0.1:0", "--init"])
                self.assertEqual(rc, 2, err)
                self.assertIn(conf + want, err)
                self.assertNotIn("msg=listening", err)
        self.assertEqual(tree(self.tmp), ["crosswalkd.conf"])
        rc, err = run(["--config", os.path.join(self.tmp, "nonexistent.conf")])
        self.assertEqual(rc, 2)
        self.assertIn("--config: cannot open '%s'" % os.path.join(self.tmp, "nonexistent.conf"),
                      err)

    def test_the_example_configuration_is_valid(self):
        example = os.path.join(UNITS, "crosswalkd.conf.example")
        # Its data directory and socket are a system's: the flags put them here.
        srv = self.start("--config", example)
        with srv.client(unix=True) as c:
            self.assertEqual(c.ok("ping"), "pong")
        # logged once ready, which the answer above follows
        self.assertIn("config=" + example, srv.log())

    def test_bad_flag_values_name_the_flag(self):
        for args, want in ((["--max-connections", "many"], "--max-connections: 'many'"),
                           (["--map-size", "0"], "--map-size: '0' is not a size"),
                           (["--log-level", "loud"], "--log-level: 'loud'")):
            with self.subTest(args=args):
                rc, err = run(args)
                self.assertEqual(rc, 2, err)
                self.assertIn(want, err)

    def test_help_states_the_precedence(self):
        p = subprocess.run([crosswalkd(), "--help"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        for flag in ("--config FILE", "--init", "SIGHUP"):
            self.assertIn(flag, p.stdout)
        self.assertIn("Precedence: options on the command line, then the --config file, then "
                      "the\nenvironment, then the defaults.", p.stdout)


if __name__ == "__main__":
    unittest.main()
