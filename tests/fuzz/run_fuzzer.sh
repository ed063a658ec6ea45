#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed time on a throw-away copy of its
# seed corpus (the committed corpus is never grown), and fails on any
# finding: crash, sanitizer report, leak, timeout or out-of-memory.
#   run_fuzzer.sh FUZZER CORPUS_DIR SECONDS ARTIFACT_DIR [libFuzzer flags...]
# The full libFuzzer log is kept next to the artifacts; what is printed is
# the command, the final coverage line and the final statistics (executions,
# rate, peak RSS), or the log's tail when the run failed.
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3 artifacts=$4
shift 4
name=$(basename "$fuzzer")
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/cw-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/tmp"
cp -R "$corpus/." "$work/corpus/"
log="$artifacts/$name.log"
cmd=("$fuzzer" -max_total_time="$seconds" -print_final_stats=1
     -artifact_prefix="$artifacts/$name-" "$@" "$work/corpus")
echo "$name: ${cmd[*]}"
echo "$name: seed corpus $(find "$corpus" -type f | wc -l) files from $corpus"
rc=0
# TMPDIR: fuzz_dispatch puts its LMDB store there, removed with $work.
TMPDIR="$work/tmp" \
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1" \
  "${cmd[@]}" >"$log" 2>&1 || rc=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | sed "s/^/$name: /" || true
grep -E '^(Done [0-9]+ runs|stat::)' "$log" | sed "s/^/$name: /" || true
echo "$name: corpus after run $(find "$work/corpus" -type f | wc -l) files (discarded)"
if [ "$rc" -ne 0 ]; then
  echo "$name: FAILED with exit code $rc; last lines of $log:"
  tail -n 80 "$log"
  ls -l "$artifacts" | grep -F "$name-" || true
  exit 1
fi
