#!/usr/bin/python3
"""Checks the floors of the code from the built objects: which source file
calls which (a file uses a symbol another defines), with no loop of calls
between files of engine/ or server/, and the layer rules of ARCHITECTURE.md:
common/ calls nothing of ours, engine/ never touches libuv, server/ never
touches LMDB, and nothing below server/ calls up into it.

    check-floors.py BUILD_DIR      (ctest runs it as "floors")

It reads the symbol tables of the static libraries CMake built (`nm`), so it
sees calls through headers and macros exactly as the linker does.  Exit
status 0 when every rule holds; otherwise each broken rule is printed with
the symbols that break it."""
import glob
import os
import subprocess
import sys

LIBS = {"common": "cwcommon", "engine": "cwengine", "server": "cwserver"}


def objects(build):
    """{source path relative to the repo: (defined symbols, undefined symbols)},
    from the members of the static libraries as last linked (stale objects
    of moved files do not count)."""
    out = {}
    for folder, lib in LIBS.items():
        archives = glob.glob(os.path.join(build, "**", "lib%s.a" % lib), recursive=True)
        if not archives:
            continue
        res = subprocess.run(["nm", "-P", "-A", archives[0]], capture_output=True, text=True,
                             check=True)
        for line in res.stdout.splitlines():
            # "path/libcwengine.a[db.c.o]: name T 0 0"
            head, _, rest = line.partition(": ")
            if "[" not in head:
                continue
            member = head[head.index("[") + 1:-1]
            src = folder + "/" + member[:-2]  # "engine/db.c"
            parts = rest.split()
            if len(parts) < 2:
                continue
            name, kind = parts[0], parts[1]
            defined, used = out.setdefault(src, (set(), set()))
            if kind == "U":
                used.add(name)
            elif kind in ("T", "D", "B", "R", "C", "V", "W"):
                defined.add(name)  # file-local (lower case) names link nothing
    return out


def cycles(graph):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return comps


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    objs = objects(sys.argv[1])
    if not objs:
        sys.exit("no objects of %s under %s" % (", ".join(LIBS.values()), sys.argv[1]))
    owner = {}
    for src, (defined, _) in objs.items():
        for name in defined:
            owner[name] = src
    edges = {}
    for src, (_, used) in objs.items():
        for name in used:
            dst = owner.get(name)
            if dst and dst != src:
                edges.setdefault(src, {}).setdefault(dst, set()).add(name)
    problems = []
    graph = {s: set(d) for s, d in edges.items()}
    for comp in cycles(graph):
        ties = ["  %s -> %s: %s" % (a, b, ", ".join(sorted(edges[a][b])[:6]))
                for a in comp for b in sorted(edges.get(a, {})) if b in comp]
        problems.append("files that call each other in a loop: %s\n%s"
                        % (", ".join(comp), "\n".join(ties)))
    rank = {"common": 0, "engine": 1, "server": 2}
    for src, dsts in sorted(edges.items()):
        for dst, names in sorted(dsts.items()):
            a, b = src.split("/")[0], dst.split("/")[0]
            if rank[b] > rank[a]:
                problems.append("%s calls up into %s: %s" % (src, dst, ", ".join(sorted(names))))
    for src, (_, used) in sorted(objs.items()):
        floor = src.split("/")[0]
        if floor in ("common", "engine"):
            uv = sorted(n for n in used if n.startswith("uv_"))
            if uv:
                problems.append("%s uses libuv: %s" % (src, ", ".join(uv)))
        if floor in ("common", "server"):
            mdb = sorted(n for n in used if n.startswith("mdb_"))
            if mdb:
                problems.append("%s calls LMDB: %s" % (src, ", ".join(mdb)))
    files = len(objs)
    calls = sum(len(d) for d in edges.values())
    if problems:
        print("\n".join(problems))
        print("%d files, %d file-to-file call edges: %d problems" % (files, calls, len(problems)))
        return 1
    print("%d files, %d file-to-file call edges, no loops, every floor calls only down"
          % (files, calls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
