#!/usr/bin/python3
"""Writes the argument tables of server/PROTOCOL.md from what the server
publishes (server.schema, made from server/methods.def), so the document
cannot drift from the code.

    protocol-schema.py [--check] [--server tcp://HOST:PORT] [PROTOCOL.md]

Without --server it starts build/server/crosswalkd (or $CROSSWALKD) on a
temporary directory and stops it again.  The tables go between the lines
<!-- schema:begin --> and <!-- schema:end -->.  With --check nothing is
written: the exit status is 1 when the file differs from what would be
written (tests/integration/test_schema.py runs this)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

import msgpack

BEGIN = "<!-- schema:begin -->"
END = "<!-- schema:end -->"
HERE = os.path.dirname(os.path.abspath(__file__))

# How each argument type reads in a table cell.
SHORT = {
    "STR": "string", "SLUG": "slug", "ID": "id", "ORIGIN": "origin", "BOOL": "bool",
    "TIME": "time", "HOPS": "1..3", "COUNT": "1..10000", "TEXT": "text", "BYTES": "integer ≥ 1", "ATTRFILTER": "key or key=value",
    "DELSOURCE": "id or [2..64 ids]", "REL": "relationship", "STRENGTH": "1..10",
    "LEVEL": "full/partial", "CTLSTATUS": "implemented/planned/not_implemented",
    "RESULT": "pass/fail/unknown", "APPLIC": "bool", "ATTRS": "{name: [strings]}",
    "ASSESS": "bool or nil", "REQSTATUS": "active/withdrawn",
    "SOURCES": "id or [2..64 ids]", "EVCONTROLS": "id or [ids]", "VALID": "time or nil",
    "LINKS": "[link]", "ASSUME": "assume", "ERRSHAPE": "standard/nvim",
    "ASSUMEIDS": "[ids]", "ASSUMEREFS": "[{framework, id}]",
    "IDS": "id or [ids]", "WHEN": "time", "SCORE": "1..10", "SCALE": "2..10",
    "VERSION": "1..1000000", "TREATMENT": "mitigate/transfer/avoid/accept",
    "AUDITSTATUS": "planned/in_progress/closed",
    "FINDKIND": "major_nc/minor_nc/observation/opportunity",
    "FINDSTATUS": "open/action_planned/verified/closed", "EFFECT": "effective/not_effective",
    "REASONS": "legal/contractual/business or [them]",
}


def call(addr, method, args=None):
    host, port = addr[len("tcp://"):].rsplit(":", 1)
    with socket.create_connection((host, int(port)), 10) as s:
        s.sendall(msgpack.packb([0, 1, method, [] if args is None else [args]]))
        u = msgpack.Unpacker(raw=False)
        while True:
            data = s.recv(1 << 16)
            if not data:
                raise SystemExit("the server closed the connection")
            u.feed(data)
            for msg in u:
                if msg[2] is not None:
                    raise SystemExit("%s: %r" % (method, msg[2]))
                return msg[3]


def typed(a):
    if a["type"] == "LIST":
        return "[%s]" % a["item"]
    if a["type"] == "ITEM_OR_LIST":
        return "[%s], or one %s's fields as the call's own arguments" % (a["item"], a["item"])
    return SHORT.get(a["type"], a["type"].lower())


def arg_cell(args):
    if not args:
        return "—"
    return "; ".join("`%s%s` %s: %s" % (a["name"], "" if a["required"] else "?", typed(a),
                                          a["doc"]) for a in args)


def access(m):
    acc = m["access"]
    words = ["W" if acc["write"] else "R"]
    for k in ("open", "admin", "org", "editor"):
        if acc[k]:
            words.append(k)
    if acc.get("positional"):
        words.append("pos")
    return " ".join(words)


def render(schema):
    out = [BEGIN,
           "<!-- made from server/methods.def by scripts/protocol-schema.py; do not edit "
           "by hand -->",
           "",
           "| method | access | arguments (`?`: optional) |",
           "| --- | --- | --- |"]
    for m in schema["methods"]:
        out.append("| `%s` | %s | %s |" % (m["name"], access(m), arg_cell(m["args"])))
    out += ["", "Items, the maps inside lists (their fields in the order they are checked):",
            "", "| item | what it is | fields |", "| --- | --- | --- |"]
    for name, it in schema["items"].items():
        out.append("| `%s` | %s | %s |" % (name, it["doc"], arg_cell(it["fields"])))
    out += ["", "Types:", "", "| type | a client sends |", "| --- | --- |"]
    for name, doc in schema["types"].items():
        out.append("| %s | %s |" % (SHORT.get(name, name.lower()), doc))
    out.append(END)
    return "\n".join(out)


def start_server():
    binary = os.environ.get("CROSSWALKD") or os.path.join(HERE, "..", "build", "server",
                                                           "crosswalkd")
    tmp = tempfile.mkdtemp(prefix="cw-schema-")
    p = subprocess.Popen([binary, "--init", "--data", os.path.join(tmp, "d"), "--no-bootstrap",
                          "--listen", "tcp://127.0.0.1:0"], stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    for line in iter(p.stderr.readline, b""):
        m = re.search(rb" msg=listening addr=(tcp://\S+)", line)
        if m:
            return p, tmp, m.group(1).decode()
    raise SystemExit("crosswalkd did not start")


def main():
    argv = sys.argv[1:]
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    addr = None
    if "--server" in argv:
        i = argv.index("--server")
        addr = argv[i + 1]
        del argv[i:i + 2]
    path = argv[0] if argv else os.path.join(HERE, "..", "server", "PROTOCOL.md")
    proc = tmp = None
    if not addr:
        proc, tmp, addr = start_server()
    try:
        text = render(call(addr, "server.schema"))
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
            shutil.rmtree(tmp, True)
    with open(path) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        raise SystemExit("%s has no %s ... %s section" % (path, BEGIN, END))
    new = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    if check:
        if new != doc:
            print("%s: the argument tables differ from server.schema; run "
                  "scripts/protocol-schema.py" % path)
            return 1
        return 0
    if new != doc:
        with open(path, "w") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
