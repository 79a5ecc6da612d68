#!/usr/bin/env bash
# bench_checks.sh - build and run bench/bench_checks.c (see its header):
# 10,000 SQLite freshness checks through chk_run against the bare sqlite3
# API, and 1,000 PostgreSQL checks over ODBC against `isql -b`.
#
# Usage: bench/bench_checks.sh [N-sqlite [N-odbc]]    (B=build dir, default build)
# PostgreSQL: set ACKBEAT_BENCH_PG_ODBC (or ACKBEAT_TEST_PG_ODBC) to a
# connection string, or run inside a stack (ACKBEAT_STACK_DIR with its
# stack.env); otherwise, as root, a stack of its own is started on ports
# 49xx (tests/stack/start.sh) and removed afterwards; failing that, the
# ODBC part is skipped.
# Ends with:  BENCH checks <metric> <value> <baseline_value> <ratio>
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
own_stack=
cleanup() {
	[ -n "$own_stack" ] && tests/stack/stop.sh "$own_stack" --rm >/dev/null 2>&1 || true
	[ -n "$own_stack" ] && rm -rf "$(dirname "$own_stack")"
	return 0
}
trap cleanup EXIT
if [ -n "${ACKBEAT_STACK_DIR:-}" ] && [ -r "$ACKBEAT_STACK_DIR/stack.env" ]; then
	# shellcheck disable=SC1091
	. "$ACKBEAT_STACK_DIR/stack.env"
elif [ -z "${ACKBEAT_BENCH_PG_ODBC:-}${ACKBEAT_TEST_PG_ODBC:-}" ] && [ "$(id -u)" = 0 ]; then
	# The issue asks for the ODBC figure beside isql's: bring PostgreSQL.
	work=$(mktemp -d /tmp/abbench-chk.XXXXXX)
	chmod 755 "$work" # postgres must traverse it
	own_stack=$work/stack
	if ACKBEAT_STACK_SMTP_PORT=4925 ACKBEAT_STACK_SUBMISSION_PORT=4987 \
		ACKBEAT_STACK_SMTPS_PORT=4965 ACKBEAT_STACK_IMAP_PORT=4943 \
		ACKBEAT_STACK_IMAPS_PORT=4993 ACKBEAT_STACK_PG_PORT=49432 \
		tests/stack/start.sh "$own_stack" >/dev/null; then
		# shellcheck disable=SC1091
		. "$own_stack/stack.env"
	else
		echo "bench_checks: could not start a PostgreSQL stack; ODBC part skipped"
	fi
fi
# The driver: $B/bench/bench_checks from `make bench` when it is up to date,
# else built here from the three archives it needs.
drv=$B/bench/bench_checks
if [ ! -x "$drv" ] || [ bench/bench_checks.c -nt "$drv" ]; then
	make -s "$B/libchecks.a" "$B/libstore.a" "$B/libcommon.a" >/dev/null
	mkdir -p "$B/bench"
	# shellcheck disable=SC2046
	${CC:-cc} -std=c17 -O2 -g -D_GNU_SOURCE -I. $(pkg-config --cflags sqlite3 libical odbc) \
		-o "$drv" bench/bench_checks.c \
		"$B/libchecks.a" "$B/libstore.a" "$B/libcommon.a" \
		$(pkg-config --libs sqlite3 libical odbc) -lpthread -lm
fi
"$drv" "$@"
