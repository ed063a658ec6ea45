#!/usr/bin/env bash
# Installs the Debian packages building and running need (not the test
# tools), builds crosswalkd, the crosswalk CLI and crosswalk-bench in build/,
# and starts crosswalkd in the foreground on its default address
# (tcp://127.0.0.1:7787) with its data in ./crosswalk-data, which the first
# start creates (--init: the server creates a missing data directory only
# when told to) and fills with the shipped frameworks and crosswalks
# embedded in the binary.  Extra arguments are passed to crosswalkd (see `crosswalkd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build runtime
# The unit tests need cmocka, a test package: without it the tree is
# configured without tests (scripts/test.sh turns them back on).
tests=()
pkg-config --exists cmocka || tests=(-DCW_TESTS=OFF)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "${tests[@]}" >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target crosswalkd crosswalk crosswalk-bench
exec build/server/crosswalkd --init "$@"
