#!/usr/bin/python3
"""Compares answer logs written by the integration tests (CW_ANSWER_LOG=DIR,
see tests/integration/cwtest.py) to show that a change left every answer
as it was.

    answers-compare.py BEFORE1 BEFORE2 AFTER

BEFORE1 and BEFORE2 are two runs of the same suite against the old server:
answers that differ between them (the time now, uptimes, random names,
races between connections) are not stable and are left out. Every stable
answer must be in AFTER unchanged. Exit status 0 when it is, 1 otherwise,
with the first differences printed."""
import glob
import os
import sys

import msgpack


def load(d):
    out = {}
    for path in sorted(glob.glob(os.path.join(d, "*.log"))):
        suite = os.path.basename(path).split(".")[0]
        with open(path, "rb") as f:
            for req, n, ans in msgpack.Unpacker(f, raw=False, strict_map_key=False,
                                                max_buffer_size=1 << 30):
                out[(suite, req, n)] = ans
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
    return 1 if changed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
