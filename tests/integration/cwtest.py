"""Harness for the crosswalkd integration tests.

Starts the real server binary (path in $CROSSWALKD, set by ctest) on a
loopback TCP port and a Unix socket, keeps its stderr in a list, and
talks msgpack-RPC to it.  Standard library plus python3-msgpack only.
"""
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import msgpack

# Protocol error codes (include/crosswalk/protocol.h).
PARSE_ERROR = 1
INVALID_REQUEST = 2
METHOD_NOT_FOUND = 3
INVALID_PARAMS = 4
NOT_FOUND = 5
CONFLICT = 6
UNAUTHENTICATED = 7
FORBIDDEN = 8
TOO_LARGE = 9
OVERLOADED = 10
STORAGE_FULL = 11
INTERNAL = 12

ERROR_NAMES = {
    1: "parse_error", 2: "invalid_request", 3: "method_not_found",
    4: "invalid_params", 5: "not_found", 6: "conflict", 7: "unauthenticated",
    8: "forbidden", 9: "too_large", 10: "overloaded", 11: "storage_full",
    12: "internal",
}

SHIPPED = ["cobit-2019", "iso27001-2013", "iso27001-2022", "nist-csf-2.0", "soc2-2017"]

# Sanitizer builds are several times slower: scale waits, never counts.
SLOW = float(os.environ.get("CW_TIME_SCALE", "1"))


def crosswalkd():
    path = os.environ.get("CROSSWALKD")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "server", "crosswalkd")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest("crosswalkd not found (set CROSSWALKD)")
    return os.path.abspath(path)


def is_asan():
    """True when the binary is a sanitizer build (slower: fewer requests
    or longer waits)."""
    try:
        with open(crosswalkd(), "rb") as f:
            data = f.read()
    except OSError:
        return False
    # gcc links the runtime dynamically (a NEEDED libasan.so entry); clang
    # links it in (its own strings).
    return b"libasan.so" in data or b"AddressSanitizer" in data


def hash_token(token):
    """The auth-file hash of a token, as `crosswalkd --hash-token` prints it."""
    return hashlib.sha256(token.encode()).hexdigest()


def server_env(extra=None):
    env = dict(os.environ)
    for k in ("CROSSWALK_LISTEN", "CROSSWALK_DATA", "CROSSWALK_AUTH", "NOTIFY_SOCKET",
              "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
        env.pop(k, None)
    # Sanitizer builds: fail hard on a report, no leak noise on SIGKILL.
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    if extra:
        env.update(extra)
    return env


class ServerError(AssertionError):
    pass


def listening_addr(line):
    """The address of a server log line announcing a listener
    (`... info msg=listening addr=ADDR`, or its --log-format json form),
    else None."""
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return None
        return obj.get("addr") if obj.get("msg") == "listening" else None
    m = re.search(r" msg=listening addr=(\S+)$", line)
    return m.group(1) if m else None


class Server:
    """One crosswalkd process.  Listens on tcp://127.0.0.1:0 and
    unix:<tmpdir>/s.sock with data in <tmpdir>/data unless told otherwise
    (data=None: no --data); --init makes that directory on first start
    unless init=False.  launcher is put before the server's command line
    (a program that execs it) and gets pass_fds; listeners is the number
    of "listening on" lines to wait for when it is not len(listen) (sockets
    from a config file or passed by socket activation).  Use as a context
    manager or call stop()."""

    def __init__(self, tmpdir, *extra_args, env=None, start_timeout=60, listen=None,
                 nofile=None, data="", init=True, launcher=(), pass_fds=(), listeners=None):
        self.tmpdir = tmpdir
        self.data = os.path.join(tmpdir, "data") if data == "" else data
        self.sock_path = os.path.join(tmpdir, "s.sock")
        if listen is None:
            listen = ["tcp://127.0.0.1:0", "unix:" + self.sock_path]
        self.args = list(launcher) + [crosswalkd()]
        for a in listen:
            self.args += ["--listen", a]
        if self.data is not None:
            self.args += ["--data", self.data]
        self.args += (["--init"] if init else []) + ["--log-level", "debug"] + list(extra_args)
        self.lines = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._eof = False
        self.tcp_port = None
        self.unix_path = None
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=server_env(env), pass_fds=tuple(pass_fds),
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, nofile))
            if nofile else None)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        try:
            self._wait_listening(len(listen) if listeners is None else listeners,
                                 start_timeout * SLOW)
        except BaseException:
            self.kill()
            raise

    def _drain(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()
        self.proc.stderr.close()

    def _wait_listening(self, n, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [a for a in map(listening_addr, self.lines) if a]
                if len(found) >= n:
                    break
                # self.log() would take the lock held here
                if self._eof:
                    raise ServerError("crosswalkd exited before listening:\n"
                                      + "\n".join(self.lines))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ServerError("crosswalkd did not start in time:\n"
                                      + "\n".join(self.lines))
                self._cond.wait(left)
        for a in found:
            m = re.match(r"tcp://127\.0\.0\.1:(\d+)$", a)
            if m:
                self.tcp_port = int(m.group(1))
            if a.startswith("unix:"):
                self.unix_path = a[5:]

    # -- logs --
    def log(self):
        with self._lock:
            return "\n".join(self.lines)

    def wait_log(self, pattern, timeout=10):
        """Waits for a stderr line matching the regex; returns it or None."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout * SLOW
        with self._cond:
            while True:
                for l in self.lines:
                    if rx.search(l):
                        return l
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    return None
                self._cond.wait(left)

    # -- clients --
    def client(self, unix=False, timeout=30):
        if unix:
            return Client(unix_path=self.unix_path, timeout=timeout)
        return Client(port=self.tcp_port, timeout=timeout)

    # -- lifetime --
    def running(self):
        return self.proc.poll() is None

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        """SIGTERM; the server must exit 0 within timeout seconds."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError("crosswalkd did not exit within %ss of SIGTERM:\n%s"
                              % (timeout, self.log()[-4000:]))
        self._reader.join(5)
        if rc != 0:
            raise ServerError("crosswalkd exited with %d:\n%s" % (rc, self.log()[-6000:]))
        return rc

    def wait_exit(self, timeout=15):
        try:
            rc = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            raise ServerError("crosswalkd did not exit:\n" + self.log()[-4000:])
        self._reader.join(5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is None:
            self.stop()
        else:
            try:
                self.stop()
            except Exception:
                self.kill()
        return False


class AnswerLog:
    """With $CW_ANSWER_LOG naming a directory, every answer a Client
    receives to call() or pipeline() is appended there (one file per test
    process), keyed by its request and how often that request was made
    before. Refactors compare two such logs to show answers unchanged
    (scripts/answers-compare.py)."""

    def __init__(self):
        self.dir = os.environ.get("CW_ANSWER_LOG")
        self.seen = {}
        self.f = None

    def add(self, method, args, err, res):
        if not self.dir:
            return
        if self.f is None:
            import sys
            name = os.path.basename(sys.argv[-1]).replace(".py", "")
            self.f = open(os.path.join(self.dir, "%s.%d.log" % (name, os.getpid())), "ab")
        req = msgpack.packb([method, args], use_bin_type=True)
        n = self.seen.get(req, 0)
        self.seen[req] = n + 1
        ans = msgpack.packb([err, res], use_bin_type=True)
        self.f.write(msgpack.packb([req, n, ans], use_bin_type=True))
        self.f.flush()


ANSWER_LOG = AnswerLog()


class Closed(Exception):
    """The server closed the connection."""


class Client:
    def __init__(self, port=None, unix_path=None, timeout=30):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout * SLOW)
            self.sock.connect(unix_path)
        else:
            self.sock = socket.create_connection(("127.0.0.1", port), timeout * SLOW)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout * SLOW
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False,
                                         max_buffer_size=256 << 20)
        self.next_id = 1
        self.pending = {}  # msgid -> message, answers read ahead of time
        self.notes = []  # notifications read ahead of time
        self.closed = False

    # -- low level --
    def send_raw(self, data):
        self.sock.sendall(data)

    def pack_request(self, method, args=None, msgid=None):
        if msgid is None:
            msgid = self.next_id
            self.next_id += 1
        params = [] if args is None else [args]
        return msgid, msgpack.packb([0, msgid, method, params], use_bin_type=True)

    def recv_msg(self, timeout=None):
        """Next whole message from the server; raises Closed on EOF and
        socket.timeout when nothing comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout * SLOW)
        while True:
            for msg in self.unpacker:
                return msg
            if self.closed:
                raise Closed()
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("no answer in time")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                continue
            self.unpacker.feed(data)

    def notification(self, timeout=None):
        """The next notification [2, method, params] (those that came
        among answers first); socket.timeout when none comes."""
        if self.notes:
            return self.notes.pop(0)
        while True:
            msg = self.recv_msg(timeout)
            if isinstance(msg, list) and len(msg) == 3 and msg[0] == 2:
                return msg
            if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1:
                self.pending[msg[1]] = msg
                continue
            raise AssertionError("not a notification: %r" % (msg,))

    def recv_response(self, msgid, timeout=None):
        if msgid in self.pending:
            return self.pending.pop(msgid)
        while True:
            msg = self.recv_msg(timeout)
            if isinstance(msg, list) and len(msg) == 3 and msg[0] == 2:
                self.notes.append(msg)  # a status feed notification
                continue
            if not (isinstance(msg, list) and len(msg) == 4 and msg[0] == 1):
                raise AssertionError("not a response: %r" % (msg,))
            if msg[1] == msgid:
                return msg
            self.pending[msg[1]] = msg

    # -- calls --
    def call(self, method, args=None, timeout=None):
        """(error, result) of one request."""
        msgid, data = self.pack_request(method, args)
        self.sock.sendall(data)
        msg = self.recv_response(msgid, timeout)
        ANSWER_LOG.add(method, args, msg[2], msg[3])
        return msg[2], msg[3]

    def call_params(self, method, params, timeout=None):
        """(error, result) of one request whose params array is sent as
        given (positional arguments, or any shape a client might send)."""
        msgid = self.next_id
        self.next_id += 1
        self.sock.sendall(msgpack.packb([0, msgid, method, params], use_bin_type=True))
        msg = self.recv_response(msgid, timeout)
        return msg[2], msg[3]

    def ok(self, method, args=None, timeout=None):
        """Result of a request that must succeed."""
        err, res = self.call(method, args, timeout)
        if err is not None:
            raise AssertionError("%s(%r) failed: %r" % (method, args, err))
        return res

    def pipeline(self, requests, timeout=None):
        """Sends every (method, args) in one sendall and returns the list
        of (error, result) in request order, collected by msgid."""
        ids, chunks = [], []
        for method, args in requests:
            i, data = self.pack_request(method, args)
            ids.append(i)
            chunks.append(data)
        sender = threading.Thread(target=self.sock.sendall, args=(b"".join(chunks),))
        sender.start()  # the answers may fill our buffer before the send ends
        got = {}
        try:
            want = set(ids)
            while want:
                msg = self.recv_msg(timeout)
                assert isinstance(msg, list) and len(msg) == 4 and msg[0] == 1, msg
                assert msg[1] in want, "unexpected or duplicate msgid %r" % (msg[1],)
                want.discard(msg[1])
                got[msg[1]] = msg
        finally:
            sender.join(60 * SLOW)
        for (method, args), i in zip(requests, ids):
            ANSWER_LOG.add(method, args, got[i][2], got[i][3])
        return [(got[i][2], got[i][3]) for i in ids]

    def read_until_closed(self, timeout=10):
        """Every message the server sends until it closes the connection;
        raises socket.timeout if it stays open."""
        out = []
        while True:
            try:
                out.append(self.recv_msg(timeout))
            except Closed:
                return out

    def is_closed(self, timeout=5):
        try:
            self.read_until_closed(timeout)
            return True
        except socket.timeout:
            return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()
        return False


class ServerTest(unittest.TestCase):
    """Base class: a temporary directory per test, removed afterwards,
    and helpers for error assertions."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cwit-", dir="/tmp")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def start(self, *extra, tmpdir=None, **kw):
        """Starts a server that is stopped (exit 0 checked) at cleanup; its
        tmpdir (the data directory's parent) is made when missing."""
        if tmpdir:
            os.makedirs(tmpdir, exist_ok=True)
        srv = Server(tmpdir or self.tmp, *extra, **kw)
        self.addCleanup(self._stop, srv)
        return srv

    def _stop(self, srv):
        if srv.proc.returncode is None:
            srv.stop()

    def assertError(self, err, code, field=None, contains=None):
        self.assertIsNotNone(err, "expected error %d, got success" % code)
        self.assertIsInstance(err, list)
        self.assertEqual(len(err), 2, err)
        self.assertEqual(err[0], code, err)
        self.assertIsInstance(err[1], str)
        self.assertTrue(err[1].startswith(ERROR_NAMES[code] + ": "), err)
        if field is not None:
            self.assertTrue(err[1].startswith("%s: %s:" % (ERROR_NAMES[code], field)),
                            "error should name field %r: %r" % (field, err))
        if contains is not None:
            self.assertIn(contains, err[1])

    def assertCallError(self, client, method, args, code, field=None, contains=None):
        err, res = client.call(method, args)
        self.assertError(err, code, field, contains)
        self.assertIsNone(res)
        return err

    def assertSocketEnds(self, sock, timeout, tolerate=()):
        """Reads a cut-off client's socket (possibly unread answers) until
        the server closes it or resets it; fewer than 64 MiB may come.
        An exception in tolerate (say socket.timeout) also ends it."""
        sock.settimeout(timeout)
        total = 0
        try:
            while True:
                d = sock.recv(1 << 20)
                if not d:
                    break
                total += len(d)
                self.assertLess(total, 64 << 20)
        except (ConnectionResetError,) + tuple(tolerate):
            pass


class SharedServerTest(ServerTest):
    """Base class for tests that share one server: started for the class
    in a temporary directory (prefix TMP_PREFIX) with SERVER_ARGS, with
    one client cls.c; both stopped (exit 0 checked) and the directory
    removed after the last test.  A subclass adding setup calls
    super().setUpClass() first."""

    TMP_PREFIX = "cwit-"
    SERVER_ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.ctmp = tempfile.mkdtemp(prefix=cls.TMP_PREFIX, dir="/tmp")
        cls.srv = Server(cls.ctmp, *cls.SERVER_ARGS)
        cls.c = cls.srv.client()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        try:
            cls.srv.stop()
        finally:
            shutil.rmtree(cls.ctmp, True)


# server.schema's access flags, named as in server/schema.h.
FLAG_NAMES = {"write": "M_WRITE", "admin": "M_ADMIN", "org": "M_ORG", "open": "M_OPEN",
              "editor": "M_EDITOR", "positional": "M_POS"}


def method_table(client):
    """{name: (set of flags, tuple of argument names, [argument specs])}
    as the server publishes them (server.schema, made from
    server/methods.def), so that a method added there makes the tests that
    classify methods fail until it is classified."""
    schema = client.ok("server.schema")
    table = {}
    for m in schema["methods"]:
        flags = {FLAG_NAMES[k] for k, v in m["access"].items() if v}
        table[m["name"]] = (flags, tuple(m["keys"].split()), m["args"])
    return table


def evidence(eid, controls, result="pass", collected_at=1700000000, **kw):
    d = {"id": eid, "controls": controls, "result": result, "collected_at": collected_at}
    d.update(kw)
    return d
