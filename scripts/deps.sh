#!/usr/bin/env bash
# Installs the Debian 12 packages crosswalk builds and tests with, only when
# some are missing, so repeated runs cost nothing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config liblmdb-dev libmsgpack-dev libcmocka-dev libuv1-dev libsodium-dev python3-msgpack libcsv-dev libjansson-dev libyaml-dev libxml2-dev chromium clang libclang-rt-14-dev)
pkgs+=(libsystemd-dev libinih-dev systemd)  # crosswalkd: sd_notify and socket activation, --config (libinih); systemd-analyze for the unit test
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
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
