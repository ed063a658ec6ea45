#!/usr/bin/env bash
# Installs the Debian 12 packages of the sets named on the command line,
# only those missing, so repeated runs cost nothing:
#
#   runtime  the shared libraries the built programs run on, and
#            python3-msgpack for scripts/cwcall.py
#   build    compiler, cmake, pkg-config and the library headers
#   test     what the test suite adds: cmocka, clang and its sanitizer and
#            libFuzzer runtimes, chromium for the HTML report check,
#            jsonschema and regex for the OSCAL schema check of exports,
#            groff for the man page check, file for cpack's dependency scan,
#            systemd for systemd-analyze verify of the units
#   all      the three (the default)
#
# e.g. `scripts/deps.sh build runtime` (what scripts/run.sh installs).
set -euo pipefail

runtime=(liblmdb0 libuv1 libmsgpackc2 libsodium23 libcsv3 libjansson4 libyaml-0-2 libxml2
         libmicrohttpd12 libsystemd0 libinih1 python3-msgpack)
build=(build-essential cmake pkg-config liblmdb-dev libmsgpack-dev libuv1-dev libsodium-dev
       libcsv-dev libjansson-dev libyaml-dev libxml2-dev libmicrohttpd-dev libsystemd-dev
       libinih-dev)
test=(libcmocka-dev chromium clang libclang-rt-14-dev python3-jsonschema python3-regex groff-base
      file systemd)

[ $# -gt 0 ] || set -- all
pkgs=()
for set in "$@"; do
  case "$set" in
    runtime) pkgs+=("${runtime[@]}") ;;
    build) pkgs+=("${build[@]}") ;;
    test) pkgs+=("${test[@]}") ;;
    all) pkgs+=("${runtime[@]}" "${build[@]}" "${test[@]}") ;;
    *)
      echo "deps.sh: unknown package set '$set' (runtime, build, test or all)" >&2
      exit 2
      ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
# Another apt run (unattended upgrades, a second checkout) may hold the
# lock for a while: wait for it rather than fail.
apt=(apt-get -o DPkg::Lock::Timeout=600)
$sudo "${apt[@]}" update -qq
# sudo drops the environment, so the variable is set on its side.
$sudo env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${missing[@]}" >/dev/null
