#!/usr/bin/env bash
# The whole test suite: installs missing Debian packages, builds crosswalk
# twice (normal, and with AddressSanitizer + UBSan) and runs every ctest
# test in both builds, then builds the libFuzzer targets with clang and runs
# each for CW_FUZZ_SECONDS (default 60) on a temporary copy of its seed
# corpus, failing on any finding.  `scripts/test.sh --quick` runs the normal
# build only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${1:-}" != "--quick" ]; then
  cmake -S . -B build-asan -DCW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$jobs"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs")

  # Fuzzers (tests/fuzz/run_fuzzer.sh): -V shows each run's command and
  # libFuzzer's final coverage and execution counts.
  CC=clang cmake -S . -B build-fuzz -DCW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCW_FUZZ_SECONDS="${CW_FUZZ_SECONDS:-60}" >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_frame fuzz_dispatch
  (cd build-fuzz && ctest -L fuzz -V -j"$jobs")
fi
