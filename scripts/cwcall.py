#!/usr/bin/python3
"""Calls one crosswalkd method and prints the answer as JSON.

    scripts/cwcall.py [--server tcp://127.0.0.1:7787 | --server unix:PATH]
                      [--token TOKEN] METHOD ['{"named": "arguments"}']

A stopgap for trying the server by hand until the crosswalk CLI exists;
CROSSWALK_SERVER and CROSSWALK_TOKEN stand in for the flags.  Exit status:
0 answered, 1 the server answered with an error, 2 usage or connection
problem.  Needs Debian's python3-msgpack.
"""
import json
import os
import socket
import sys

import msgpack


def main(argv):
    server = os.environ.get("CROSSWALK_SERVER", "tcp://127.0.0.1:7787")
    token = os.environ.get("CROSSWALK_TOKEN")
    args = list(argv)
    while args and args[0].startswith("--"):
        flag = args.pop(0)
        if flag in ("--server", "--token") and args:
            value = args.pop(0)
            if flag == "--server":
                server = value
            else:
                token = value
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not args or len(args) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    method = args[0]
    try:
        params = [json.loads(args[1])] if len(args) == 2 else []
    except json.JSONDecodeError as e:
        print(f"cwcall: arguments are not JSON: {e}", file=sys.stderr)
        return 2
    try:
        if server.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(server[5:])
        elif server.startswith("tcp://"):
            host, _, port = server[6:].rpartition(":")
            sock = socket.create_connection((host.strip("[]"), int(port)))
        else:
            print("cwcall: --server must be tcp://HOST:PORT or unix:PATH", file=sys.stderr)
            return 2
    except OSError as e:
        print(f"cwcall: cannot connect to {server}: {e}", file=sys.stderr)
        return 2
    unpacker = msgpack.Unpacker(raw=False)
    requests = []
    if token:
        requests.append([0, 1, "auth", [{"token": token}]])
    requests.append([0, 2, method, params])
    sock.sendall(b"".join(msgpack.packb(r) for r in requests))
    answers = {}
    while len(answers) < len(requests):
        data = sock.recv(1 << 20)
        if not data:
            print("cwcall: the server closed the connection", file=sys.stderr)
            return 2
        unpacker.feed(data)
        for msg in unpacker:
            answers[msg[1]] = msg
    if token and answers[1][2]:
        print(f"cwcall: auth failed: {answers[1][2][1]}", file=sys.stderr)
        return 1
    _, _, error, result = answers[2]
    if error:
        print(error[1], file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
