#!/usr/bin/env bash
# Checks a built crosswalk .deb the way an administrator meets it: installs
# it with apt (sudo when not root), checks that the programs and man pages
# are where the package says, starts the installed crosswalkd on a
# temporary data directory and Unix socket, pings it and lists the shipped
# frameworks with the installed crosswalk client, stops it with SIGTERM
# (it must exit 0), and removes the package again.  Any failure stops the
# check with a message saying which step failed, and the package is removed
# all the same.  scripts/test.sh runs it on the package it builds:
#
#   scripts/package-check.sh build-deb/crosswalk_0.1.0_amd64.deb
#
# The machine must not have the crosswalk package installed already (the
# check would remove it).  Systemd need not run: the binary is started, not
# the unit.
set -euo pipefail

fail() {
  echo "package-check: FAILED: $*" >&2
  exit 1
}

[ $# -eq 1 ] || { echo "usage: scripts/package-check.sh PACKAGE.deb" >&2; exit 2; }
deb=$(realpath "$1") || fail "no package file '$1'"
[ -f "$deb" ] || fail "no package file '$deb'"
name=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
[ "$name" = crosswalk ] || fail "$deb is package '$name', not crosswalk"
if dpkg-query -W -f='${Status}' crosswalk 2>/dev/null | grep -q "install ok installed"; then
  fail "the crosswalk package is already installed here; remove it first (apt-get remove crosswalk)"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q)
work=$(mktemp -d)
server_pid=""
installed=0
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  if [ "$installed" = 1 ]; then
    echo "package-check: removing the package after a failure" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive "${apt[@]}" remove crosswalk >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "package-check: installing $deb ($name $version)"
# An absolute path makes apt read the file rather than look the name up.
$sudo env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install $deb"; }
installed=1

for f in /usr/bin/crosswalkd /usr/bin/crosswalk /usr/bin/crosswalk-bench \
         /usr/share/man/man8/crosswalkd.8.gz /usr/share/man/man1/crosswalk.1.gz \
         /usr/share/man/man1/crosswalk-bench.1.gz /usr/share/bash-completion/completions/crosswalk \
         /usr/share/zsh/vendor-completions/_crosswalk; do
  dpkg -L crosswalk | grep -qx "$f" || fail "the package does not list $f"
  [ -e "$f" ] || fail "$f is not on disk after installing"
done
for unit in crosswalkd.service crosswalkd.socket; do
  if dpkg -L crosswalk | grep -q "/systemd/system/$unit\$"; then
    echo "package-check: ships $unit"
  fi
done

got=$(/usr/bin/crosswalkd --version) || fail "crosswalkd --version exited $?"
case "$got" in
  "crosswalkd $version "*) ;;
  *) fail "crosswalkd --version says '$got', the package is version $version" ;;
esac
/usr/bin/crosswalk --help >/dev/null || fail "crosswalk --help exited $?"
/usr/bin/crosswalk-bench --help >/dev/null || fail "crosswalk-bench --help exited $?"

# An existing (empty) directory: a server that wants --init for a path that
# does not exist still starts on it.
mkdir "$work/data"
sock="$work/crosswalkd.sock"
/usr/bin/crosswalkd --data "$work/data" --listen "unix:$sock" 2>"$work/server.log" &
server_pid=$!
cw=(/usr/bin/crosswalk --server "unix:$sock")
up=0
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "crosswalkd exited at start"; }
  if [ -S "$sock" ] && "${cw[@]}" call ping >"$work/ping.json" 2>/dev/null; then
    up=1
    break
  fi
  sleep 0.1
done
[ "$up" = 1 ] || { cat "$work/server.log" >&2; fail "crosswalkd did not answer ping within 10 s"; }
echo "package-check: ping answered: $(tr -d ' \n' <"$work/ping.json")"
"${cw[@]}" call framework.list >"$work/frameworks.json" ||
  fail "crosswalk call framework.list exited $?"
for fw in iso27001-2022 nist-csf-2.0 soc2-2017; do
  grep -q "\"$fw\"" "$work/frameworks.json" ||
    { cat "$work/frameworks.json" >&2; fail "the shipped framework $fw was not loaded"; }
done

kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=""
[ "$rc" = 0 ] || { cat "$work/server.log" >&2; fail "crosswalkd exited $rc on SIGTERM"; }

echo "package-check: removing the package"
$sudo env DEBIAN_FRONTEND=noninteractive "${apt[@]}" remove crosswalk >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get remove crosswalk"; }
installed=0
[ ! -e /usr/bin/crosswalkd ] || fail "/usr/bin/crosswalkd is still there after removing the package"
echo "package-check: $name $version installed, served, stopped and removed"
