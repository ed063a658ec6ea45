#!/usr/bin/python3
"""Compares answer logs written by the integration tests (CW_ANSWER_LOG=DIR,
see tests/integration/cwtest.py) to show that a change left every answer
as it was.

    answers-compare.py BEFORE1 BEFORE2 AFTER

BEFORE1 and BEFORE2 are two runs of the same suite against the old server:
answers that differ between them (the time now, random names, races
between connections) are not stable and are left out; uptimes and map
usage are compared as equal. Every stable answer that AFTER also asked for must be
unchanged. Requests AFTER never made (a test that stops at a moment, such
as a kill, makes a different number of them) are counted and listed, not
failed. Exit status 0 when nothing changed, 1 otherwise, with the first
differences printed."""
import glob
import os
import sys

import msgpack


# Values that depend on timing rather than on what was asked: how long the
# server has run, and the pages a store uses (group commits batch a
# different number of concurrent writes each run). Compared as equal.
VOLATILE = {"uptime_s", "map_used"}


def normalise(ans):
    def walk(o):
        if isinstance(o, dict):
            return {k: (0 if k in VOLATILE else walk(v)) for k, v in o.items()}
        if isinstance(o, list):
            return [walk(v) for v in o]
        return o
    obj = msgpack.unpackb(ans, raw=False, strict_map_key=False)
    return msgpack.packb(walk(obj), use_bin_type=True)


def load(d):
    out = {}
    for path in sorted(glob.glob(os.path.join(d, "*.log"))):
        suite = os.path.basename(path).split(".")[0]
        with open(path, "rb") as f:
            for req, n, ans in msgpack.Unpacker(f, raw=False, strict_map_key=False,
                                                max_buffer_size=1 << 30):
                out[(suite, req, n)] = normalise(ans)
    return out


def show(b):
    s = repr(msgpack.unpackb(b, raw=False, strict_map_key=False))
    return s if len(s) < 400 else s[:400] + "..."


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    a, b, c = (load(d) for d in sys.argv[1:])
    stable = {k: v for k, v in a.items() if b.get(k) == v}
    missing = [k for k in stable if k not in c]
    changed = [k for k in stable if k in c and c[k] != stable[k]]
    per_suite = {}
    for k in stable:
        per_suite[k[0]] = per_suite.get(k[0], 0) + 1
    print("answers: %d in the first run, %d stable across both old runs, %d in the new run"
          % (len(a), len(stable), len(c)))
    for s in sorted(per_suite):
        print("  %-22s %6d stable" % (s, per_suite[s]))
    print("stable answers changed: %d, missing from the new run: %d" % (len(changed), len(missing)))
    for k in changed[:20]:
        print("\n%s request %s (#%d)\n  before %s\n  after  %s"
              % (k[0], show(k[1]), k[2], show(stable[k]), show(c[k])))
    for k in missing[:10]:
        print("\nmissing: %s request %s (#%d)" % (k[0], show(k[1]), k[2]))
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
