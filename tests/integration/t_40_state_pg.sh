#!/usr/bin/env bash
# t_40_state_pg.sh - the unit tests that touch the state, run against the
# stack's real PostgreSQL 15 (issue 16): each binary with AB_TEST_PG_URI,
# so that tests/unit/test_pg_util.h's t_state() gives every test file a
# schema of its own in the stack's database instead of a SQLite file.
# Every statement of store/ (translated by store_dialect.c) and every
# engine, inbox, mailer, channel and web path that writes state is then
# exercised on PostgreSQL, and each binary's summary must say 0 failed.
#
# Only what is about the SQLite file itself is skipped there (SQLITE_ONLY:
# its modes, inode and flock, a file that is not a database, a newer
# file, the old file's upgrade path).  The tests that build thousands of
# things run at their small size (AB_UNDER_VALGRIND): this suite is about
# the SQL both engines read, and the full size runs on SQLite in the unit
# suite; so that make check (run twice in CI, once under ASan) stays quick.
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2154 # ACKBEAT_STACK_* come from stack.env
. "$AB_SRCDIR/tests/integration/lib.sh"

[ -n "${ACKBEAT_STACK_DIR:-}" ] || skip_all "no stack (run through tests/integration/run)"
if [ "${ACKBEAT_STACK_PG:-1}" != 1 ] || [ -z "${ACKBEAT_STACK_PG_URI:-}" ]; then
	skip_all "the stack runs without PostgreSQL"
fi

dir=
for d in "${STATE_PG_TESTS:-}" "$(dirname "$ACKBEAT")/tests" "$AB_SRCDIR/build/tests"; do
	[ -n "$d" ] && [ -x "$d/test_store" ] && { dir=$d; break; }
done
[ -n "$dir" ] || skip_all "unit tests not built (make unit)"

# Every unit binary that opens a state (t_state, t_state_tag, eng_open);
# not test_mailer_dkim, whose one outbox test adds nothing to
# test_mailer_outbox's and whose other five are signing.
tests="test_store test_store_copy test_store_guard test_store_metrics
	test_engine test_engine_claims test_engine_cronping test_engine_group
	test_engine_hardening test_engine_levels test_engine_lifecycle test_engine_live
	test_engine_ping test_engine_pingbatch test_engine_pingrun test_engine_report test_engine_retention
	test_engine_silence test_engine_view test_inbox_poll test_mailer_claims
	test_mailer_outbox test_channels test_web test_web_http test_web_nodes test_web_paging
	test_web_tokens"

# They really ran there: each test file's state is a schema t_PID_... in
# the stack's database (a binary that ignored AB_TEST_PG_URI made none).
schemas() {
	PGPASSWORD=$ACKBEAT_STACK_PG_PASSWORD psql -qAtX -h 127.0.0.1 -p "$ACKBEAT_STACK_PG_PORT" \
		-U "$ACKBEAT_STACK_PG_USER" -d "$ACKBEAT_STACK_PG_DB" -c \
		"SELECT count(DISTINCT schemaname) FROM pg_tables WHERE schemaname LIKE 't\\_%'
		 AND tablename = 'ackbeat_schema'" 2>&1
}
export AB_TEST_PG_URI=$ACKBEAT_STACK_PG_URI AB_UNDER_VALGRIND=1
before=$(schemas)
# Two binaries at a time (AB_JOBS, as tests/run-all): most of their time
# is round trips to the server, not CPU.
jobs=${AB_JOBS:-2}
out_dir=$T_DIR/out
mkdir -p "$out_dir"
run_one() {
	local t=$1 t0 rc
	t0=$(date +%s%N)
	(cd "$AB_SRCDIR" && "$dir/$t") >"$out_dir/$t.log" 2>&1
	rc=$?
	echo "$rc $((($(date +%s%N) - t0) / 1000000))" >"$out_dir/$t.rc"
}
start=$(date +%s%N)
for t in $tests; do
	[ -x "$dir/$t" ] || continue
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run_one "$t" &
done
wait
for t in $tests; do
	if [ ! -x "$dir/$t" ]; then
		not_ok "$t on PostgreSQL" "$dir/$t is not built"
		continue
	fi
	read -r rc ms <"$out_dir/$t.rc"
	last=$(tail -n 1 "$out_dir/$t.log")
	name=${t#test_}
	if [ "$rc" = 0 ] && [[ $last =~ ^$name:\ [1-9][0-9]*\ passed,\ 0\ failed ]]; then
		ok "$t on PostgreSQL: $last ($ms ms)"
	else
		not_ok "$t on PostgreSQL (exit $rc, $ms ms)" "$(grep -v '^ok ' "$out_dir/$t.log" | tail -n 40)"
	fi
done
diag "the unit tests on PostgreSQL took $((($(date +%s%N) - start) / 1000000)) ms"

after=$(schemas)
check_like "the states were PostgreSQL schemas ($before before, $after after)" \
	"$((after - before))" '^[1-9][0-9]{2,}$'
done_testing
