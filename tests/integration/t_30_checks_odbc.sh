#!/usr/bin/env bash
# t_30_checks_odbc.sh - checks/ against the stack's real PostgreSQL 15
# through psqlODBC (and a SQLite file through the SQLite ODBC driver): runs
# the unit tests of tests/unit/test_checks_odbc.c with the stack's
# connection string, so that every PostgreSQL test really runs (freshness on
# timestamptz/timestamp/bigint/text/date columns, count at the month
# boundaries in America/Los_Angeles, sql values and bad results, a
# pg_sleep(30) stopped by a 1 s timeout, credentials from a secret, an
# unreachable server, reconnecting after the server dropped the session,
# validate --deep).
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
bin=
for t in "${CHECKS_ODBC_TEST:-}" "$(dirname "$ACKBEAT")/tests/test_checks_odbc" \
	"$AB_SRCDIR/build/tests/test_checks_odbc"; do
	[ -n "$t" ] && [ -x "$t" ] && { bin=$t; break; }
done
[ -n "$bin" ] || skip_all "test_checks_odbc not built (make build/tests/test_checks_odbc)"

psqlodbc_logs() { find /tmp -maxdepth 1 -name 'psqlodbc_*' 2>/dev/null | wc -l; }
logs_before=$(psqlodbc_logs)

if [ "${ACKBEAT_STACK_PG:-1}" = 1 ] && [ -n "${ACKBEAT_STACK_ODBC_PG:-}" ]; then
	check "PostgreSQL answers through isql" odbc_query "$ACKBEAT_STACK_ODBC_PG" "SELECT 1"
	out=$(cd "$AB_SRCDIR" && ACKBEAT_TEST_PG_ODBC=$ACKBEAT_STACK_ODBC_PG "$bin" 2>&1)
	rc=$?
	check_eq "test_checks_odbc exits 0" "$rc" 0
	check_like "every PostgreSQL test ran" "$out" 'PostgreSQL tests: [1-9][0-9]* ran, 0 skipped'
	check_like "no unit test failed" "$(tail -n 1 <<<"$out")" '^checks_odbc: [1-9][0-9]* passed, 0 failed$'
	[ "$rc" = 0 ] || diag "$out"
	check_eq "psqlODBC wrote no CommLog files into /tmp" "$(psqlodbc_logs)" "$logs_before"
else
	skip "PostgreSQL tests" "the stack runs without PostgreSQL"
	out=$(cd "$AB_SRCDIR" && "$bin" 2>&1)
	check_eq "test_checks_odbc (SQLite ODBC only) exits 0" "$?" 0
fi
done_testing
