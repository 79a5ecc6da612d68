#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# stop.sh - stop the test stack that start.sh made in DIR.
#
# Usage: tests/stack/stop.sh DIR [--rm]
#   --rm  also delete DIR, but only if it carries start.sh's marker file.
#
# Signals only the PIDs recorded in DIR's pid files (Dovecot's master.pid,
# Postfix's master.pid, PostgreSQL's postmaster.pid through pg_ctl), after
# checking that each still names the expected program. Safe to run twice,
# on a half-started stack, or on a directory that no longer exists.
set -euo pipefail

# shellcheck disable=SC2034 # read by common.sh
STK_PROG=stop.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$here/common.sh"

rm_dir=
args=()
for a in "$@"; do
	case $a in
	--rm) rm_dir=1 ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) stk_die "unknown option '$a'" 2 ;;
	*) args+=("$a") ;;
	esac
done
[ ${#args[@]} -eq 1 ] || stk_die "usage: stop.sh DIR [--rm]" 2
D=$(stk_dir "${args[0]}")
[ -d "$D" ] || exit 0
[ -e "$D/$STK_MARKER" ] || stk_die "$D has no $STK_MARKER marker: not a test stack, not touching it"

PG_BIN=${ACKBEAT_STACK_PG_BIN:-/usr/lib/postgresql/15/bin}
status=0

# Dovecot takes ~1.1 s to exit after SIGTERM, so it is signalled first and
# waited for last, overlapping with the others (pitfall 18).
dc_pid=$(stk_read_pid "$D/dovecot/run/master.pid")
stk_alive "$dc_pid" dovecot && kill -TERM "$dc_pid" 2>/dev/null || dc_pid=

# Postfix's master passes SIGTERM on to its children. Signalling it
# directly rather than via "postfix stop" keeps to the pid file and skips
# postfix-script's checks.
pf_pid=$(stk_read_pid "$D/postfix/spool/pid/master.pid")
stk_alive "$pf_pid" master && kill -TERM "$pf_pid" 2>/dev/null || pf_pid=

pg_pid=$(stk_read_pid "$D/pg/data/postmaster.pid")
if stk_alive "$pg_pid" postgres; then
	(cd / && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$D/pg/data" -m fast -w -t 20 stop \
		</dev/null >>"$D/log/postgresql.log" 2>&1) || {
		stk_say "pg_ctl stop failed; sending SIGQUIT to postmaster $pg_pid"
		kill -QUIT "$pg_pid" 2>/dev/null || true
		status=1
	}
fi

for pn in "$pf_pid:master" "$dc_pid:dovecot" "$pg_pid:postgres"; do
	pid=${pn%%:*} name=${pn#*:}
	[ -n "$pid" ] || continue
	if ! stk_wait_gone "$pid" "$name" 15; then
		stk_say "$name (pid $pid) ignored SIGTERM for 15 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		stk_wait_gone "$pid" "$name" 5 || true
		status=1
	fi
done

# The masters' children (smtpd, imap, postgres backends...) exit on their
# own once their master is gone; wait for them so that nothing still has
# files open in DIR when the caller deletes it.
for ((i = 0; i < 150; i++)); do
	left=$(stk_procs_under "$D")
	[ -z "$left" ] && break
	sleep 0.02
done
if [ -n "$left" ]; then
	stk_say "processes still running in $D (not signalled: not in a pid file):"
	printf '  %s\n' "$left" >&2
	status=1
fi

if [ -n "$rm_dir" ]; then
	rm -rf "$D"
fi
exit "$status"
