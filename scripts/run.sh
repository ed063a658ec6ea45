#!/usr/bin/env bash
# Installs missing Debian packages, builds crosswalk and starts crosswalkd in
# the foreground on its default address (tcp://127.0.0.1:7787) with its data
# in ./crosswalk-data, which the first start creates (--init: the server
# creates a missing data directory only when told to) and fills with the
# shipped frameworks and crosswalks embedded in the binary.  Extra
# arguments are passed to crosswalkd (see `crosswalkd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target crosswalkd
exec build/server/crosswalkd --init "$@"
