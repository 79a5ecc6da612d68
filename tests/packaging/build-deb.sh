#!/usr/bin/env bash
# build-deb.sh - build ackbeat's .deb with `make deb` (a clean copy of a
# commit, lintian-clean), install it, check that it works, remove and purge
# it again: the proof that debian/ produces a package that installs and
# runs.  tests/run-all runs it as the last suite ("packaging"), after every
# other suite, since it installs into /usr; the other suites test the build
# tree's binary (ACKBEAT_BIN) and never /usr/bin/ackbeat.
#
# Usage: tests/packaging/build-deb.sh [REF]     (default: HEAD)
#   KEEP=1  keep the build folder and leave the package installed
# The copy comes from `git archive`, so build artefacts never land in the
# work tree, and only committed files are packaged.  Skipped (not failed)
# when not root, or when an ackbeat package is installed already (a real
# installation is never replaced by a test's).  Takes about 2 minutes,
# nearly all of it the compile.
# Ends with "packaging: N passed, N failed[, N skipped]".
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
ref=${1:-HEAD}
work=$(mktemp -d /tmp/ackbeat-deb.XXXXXX)
pass=0 fail=0
installed=

ok() { pass=$((pass + 1)); echo "ok - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $*"; }
# check DESC CMD...: run CMD, show its output only when it fails.
check() {
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc"; printf '#   %s\n' "$out" | tail -n 20; fi
}

cleanup() {
    if [ -n "$installed" ] && [ "${KEEP:-0}" != 1 ]; then
        dpkg --purge ackbeat >/dev/null 2>&1 || true
    fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

skip_all() {
    echo "# skipped: $*"
    echo "packaging: 0 passed, 0 failed, 1 skipped"
    exit 0
}
[ "$(id -u)" = 0 ] || skip_all "not root (the test installs the package)"
# One package test at a time on a machine (dpkg has one database).
exec 9>/tmp/ackbeat-packaging.lock
flock -w 600 9 || skip_all "another packaging test holds /tmp/ackbeat-packaging.lock"
if dpkg-query -W -f='${Status}' ackbeat 2>/dev/null | grep -q 'ok installed'; then
    skip_all "an ackbeat package is installed already; not replacing it"
fi
[ -d "$root/.git" ] || [ -f "$root/.git" ] || skip_all "not a git checkout (make deb packages a commit)"

start=$(date +%s)
if make -C "$root" --no-print-directory deb DEB_FROM="$ref" B="$work/b" >"$work/make-deb.log" 2>&1; then
    ok "make deb builds $(git -C "$root" rev-parse --short "$ref") and lintian is clean ($(($(date +%s) - start)) s)"
else
    not_ok "make deb builds and lintian is clean"
    tail -n 30 "$work/make-deb.log" | sed 's/^/#   /'
    echo "packaging: $pass passed, $((fail)) failed"
    exit 1
fi
deb=$(ls "$work"/b/deb/ackbeat_*.deb)
echo "# $(basename "$deb"): $(du -h "$deb" | cut -f1)"
dpkg-deb -c "$deb" | awk '{print "#   " $NF}' | grep -v '/$' | grep -v 'templates/default/.' || true

check "the package carries the unit" bash -c "dpkg-deb -c '$deb' | grep -q 'lib/systemd/system/ackbeat.service'"
check "the package carries both man pages" bash -c "dpkg-deb -c '$deb' | grep -q 'man1/ackbeat.1' && dpkg-deb -c '$deb' | grep -q 'man5/ackbeat.conf.5'"
# The libraries the daemon opens at their first use are not seen by
# dpkg-shlibdeps; the package must depend on them by name.
for dep in libcurl4 libpq5 libmicrohttpd12 libodbc2 libopendkim11 libgmime-3.0-0 libical3 libssl3; do
    check "the package depends on $dep (opened at first use)" \
        bash -c "dpkg-deb -f '$deb' Depends | tr ',' '\n' | grep -q '^ *$dep\b'"
done
check "/etc/ackbeat/ackbeat.xml is a conffile" bash -c "dpkg-deb -e '$deb' '$work/ctl' && grep -qx /etc/ackbeat/ackbeat.xml '$work/ctl/conffiles'"

# No daemon may start system-wide here; dpkg honours policy-rc.d.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi
installed=1
if dpkg -i "$deb" >"$work/install.log" 2>&1; then
    ok "dpkg -i installs it"
elif DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q >>"$work/install.log" 2>&1; then
    ok "dpkg -i, then apt-get -f install, installs it"
else
    not_ok "the package installs"
    tail -n 20 "$work/install.log" | sed 's/^/#   /'
fi
[ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d

check "ackbeat --version" bash -c "/usr/bin/ackbeat --version | grep -q '^ackbeat [0-9]'"
# As shipped the config is valid and harmless (mail into a Maildir, the
# SMTP example commented out): validate accepts it as it is.
check "ackbeat validate -c /etc/ackbeat/ackbeat.xml (the shipped config)" \
    /usr/bin/ackbeat validate -c /etc/ackbeat/ackbeat.xml
check "the ackbeat system user exists" getent passwd ackbeat
check "it is a system user from sysusers.d" bash -c "test -f /usr/lib/sysusers.d/ackbeat.conf && [ \"\$(id -u ackbeat)\" -lt 1000 ]"
check "/var/lib/ackbeat belongs to ackbeat, mode 0700" bash -c "[ \"\$(stat -c %U:%G:%a /var/lib/ackbeat)\" = ackbeat:ackbeat:700 ]"
check "the config is readable by the ackbeat group only" bash -c "[ \"\$(stat -c %U:%G:%a /etc/ackbeat/ackbeat.xml)\" = root:ackbeat:640 ]"
check "man ackbeat renders" bash -c "MANWIDTH=80 man ackbeat 2>&1 | grep -q 'heartbeat and alerting'"
check "the installed templates render" /usr/bin/ackbeat render --template /usr/share/ackbeat/templates/default/alert-opened.subject.mustache
if [ -d /run/systemd/system ]; then
    check "the service is enabled" systemctl is-enabled ackbeat
else
    check "the service is enabled (wants link)" test -L /etc/systemd/system/multi-user.target.wants/ackbeat.service
fi
if command -v systemd-analyze >/dev/null; then
    check "systemd-analyze verify accepts the unit" systemd-analyze verify /lib/systemd/system/ackbeat.service
fi

# Start it as the unit would (no systemd here): as the ackbeat user, with
# the unit's environment, and a notify socket standing in for systemd.
if command -v python3 >/dev/null; then
    sock=$work/notify.sock
    python3 - "$sock" "$work/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(1)
end = time.monotonic() + 30
with open(sys.argv[2], "a", buffering=1) as f:
    while time.monotonic() < end:
        try: f.write(s.recv(4096).decode() + "\n")
        except socket.timeout: pass
PY
    lpid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    chmod 777 "$work" && chmod 666 "$sock"
    # setpriv execs (runuser would stay in between and turn SIGTERM into a failure).
    setpriv --reuid=ackbeat --regid=ackbeat --init-groups \
        env ACKBEAT_CONFIG=/etc/ackbeat/ackbeat.xml NOTIFY_SOCKET="$sock" \
        /usr/bin/ackbeat run >"$work/run.log" 2>&1 &
    rpid=$!
    for _ in $(seq 100); do grep -q READY=1 "$work/notify.log" 2>/dev/null && break; sleep 0.1; done
    check "ackbeat run as user ackbeat says READY=1" grep -q READY=1 "$work/notify.log"
    kill -TERM "$rpid" 2>/dev/null || true
    if wait "$rpid"; then
        ok "it stops cleanly on SIGTERM"
    else
        not_ok "it stops cleanly on SIGTERM"
        tail -n 5 "$work/run.log" | sed 's/^/#   /'
    fi
    check "its state database is in /var/lib/ackbeat" test -s /var/lib/ackbeat/state.db
    kill "$lpid" 2>/dev/null || true
    wait "$lpid" 2>/dev/null || true
fi

if [ "${KEEP:-0}" != 1 ]; then
    check "dpkg -r removes it" dpkg -r ackbeat
    check "the shipped config stays after dpkg -r (a conffile)" test -f /etc/ackbeat/ackbeat.xml
    check "dpkg --purge removes it" dpkg --purge ackbeat
    installed=
    check "the binary is gone" bash -c "! command -v ackbeat"
    check "/var/lib/ackbeat is gone after purge" test ! -e /var/lib/ackbeat
fi
echo "packaging: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
