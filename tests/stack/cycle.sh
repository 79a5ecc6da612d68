#!/usr/bin/env bash
# cycle.sh - start/stop the test stack N times in fresh directories and
# prove that nothing is left behind; print the time of every step (the
# figures at the top of start.sh come from here).
#
# Usage: tests/stack/cycle.sh [N]        (default 3; ACKBEAT_STACK_* apply)
# Each cycle: mktemp -d, start (cold), start again (warm), selftest, stop,
# start again (data kept), stop, stop again --rm; then checks that no
# process still works in the directory, that it is gone, and that the ports
# are free again.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"
n=${1:-3}
case $n in -h | --help)
	sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: cycle.sh [N]" >&2; exit 2; }
bad=0

# step NAME COMMAND... - run COMMAND quietly, print its time in seconds.
step() {
	local name=$1 t0 rc=0
	shift
	t0=$EPOCHREALTIME
	"$@" >"$log" 2>&1 || rc=$?
	printf ' %s=%d.%03d' "$name" $(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000000)) \
		$(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000 % 1000))
	if [ "$rc" -ne 0 ]; then
		printf '\n%s failed (%d):\n' "$name" "$rc"
		tail -n 20 "$log"
		bad=1
	fi
}

ports() {
	printf '%s ' "${ACKBEAT_STACK_SMTP_PORT:-2525}" "${ACKBEAT_STACK_SUBMISSION_PORT:-2587}" \
		"${ACKBEAT_STACK_SMTPS_PORT:-2465}" "${ACKBEAT_STACK_IMAP_PORT:-1143}" "${ACKBEAT_STACK_IMAPS_PORT:-1993}"
	[ "${ACKBEAT_STACK_PG:-1}" = 0 ] || printf '%s' "${ACKBEAT_STACK_PG_PORT:-55432}"
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 1; i <= n; i++)); do
	d=$(mktemp -d /tmp/abcyc.XXXXXX)
	printf 'cycle %d %s:' "$i" "$d"
	step start_cold "$here/start.sh" "$d"
	step start_warm "$here/start.sh" "$d"
	step selftest "$here/selftest.sh" "$d"
	step stop "$here/stop.sh" "$d"
	step start_stopped "$here/start.sh" "$d"
	step stop2 "$here/stop.sh" "$d"
	step stop_again_rm "$here/stop.sh" "$d" --rm
	printf '\n'
	left=$(stk_procs_under "$d")
	[ -z "$left" ] || { printf 'left running in %s:\n%s\n' "$d" "$left"; bad=1; }
	[ ! -e "$d" ] || { echo "left behind: $d"; bad=1; }
	for p in $(ports); do
		! stk_port_busy "$p" || { echo "port $p still in use"; bad=1; }
	done
	[ "$bad" -eq 0 ] || break
done
if [ "$bad" -eq 0 ]; then echo "cycle: $n cycles, nothing left behind"; else echo "cycle: FAILED"; fi
exit "$bad"
