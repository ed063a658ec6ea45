#!/usr/bin/env bash
# The whole test suite: installs the missing Debian packages (every set:
# runtime, build, test), then
#   1. builds build/ (RelWithDebInfo) and runs every ctest test;
#   2. builds build-release/ (Release, -O3) and build-deb/ (Release with
#      Debian's hardening flags from dpkg-buildflags), the whole tree, to
#      prove they compile without a warning; packs build-deb/ as a .deb and
#      checks it (scripts/package-check.sh: apt install, start, ping, stop,
#      apt remove);
#   3. builds build-asan/ (AddressSanitizer + UBSan, Debug) and runs every
#      ctest test again;
#   4. builds the libFuzzer targets with clang and runs each for
#      CW_FUZZ_SECONDS (default 60) on a temporary copy of its seed corpus,
#      failing on any finding.
# `scripts/test.sh --quick` runs step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh all
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCW_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${1:-}" != "--quick" ]; then
  cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCW_TESTS=ON >/dev/null
  cmake --build build-release -j"$jobs"

  # CMake reads no CPPFLAGS: they go with CFLAGS, as debhelper does.  The
  # prefix is the package's, so the installed units name /usr/bin.
  cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
  ldflags=$(dpkg-buildflags --get LDFLAGS)
  cmake -S . -B build-deb -DCMAKE_BUILD_TYPE=Release -DCW_TESTS=ON -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" >/dev/null
  cmake --build build-deb -j"$jobs"
  rm -f build-deb/crosswalk_*.deb
  (cd build-deb && cpack -G DEB)
  debs=(build-deb/crosswalk_*.deb)
  if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    echo "test.sh: cpack made no single .deb in build-deb/: ${debs[*]}" >&2
    exit 1
  fi
  scripts/package-check.sh "${debs[0]}"

  cmake -S . -B build-asan -DCW_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCW_TESTS=ON >/dev/null
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
