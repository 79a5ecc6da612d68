#!/usr/bin/env bash
# t_02_runner.sh - the runner counts right and cleans up: it runs made-up
# t_*.sh files (passing, failing, crashing, skipping, silent, hanging,
# leaking a process) through a nested tests/integration/run and checks the
# summary line, the exit status, and that nothing is left behind. Also:
# a stack that cannot start is a failure, not a silent pass.
# shellcheck source-path=SCRIPTDIR
# The ACKBEAT_STACK_* variables come from the stack's stack.env.
# shellcheck disable=SC2154
# shellcheck source=lib.sh
. "$AB_SRCDIR/tests/integration/lib.sh"

run=$AB_SRCDIR/tests/integration/run
fake=$T_DIR/fake
mkdir -p "$fake" "$T_DIR/tmp"

# gone PID - not running, or only a zombie (PID 1 here reaps orphans late).
# shellcheck disable=SC2317 # called through wait_until
gone() {
	local s
	s=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -z "$s" ] || [ "$s" = Z ]
}

mk() { # NAME BODY - a fake test
	printf '#!/usr/bin/env bash\n%s\n' "$2" >"$fake/$1"
}
mk t_a_pass.sh 'echo "ok 1 - one"; echo "ok 2 - two"; echo "1..2"'
mk t_b_fail.sh 'echo "ok 1 - fine"; echo "not ok 2 - broken"; echo "# why it broke"; exit 1'
mk t_c_crash.sh 'echo "ok 1 - fine"; echo "some noise"; exit 3'
mk t_d_skip.sh 'echo "1..0 # SKIP no widget here"; exit 77'
mk t_e_silent.sh 'exit 0'
mk t_f_plan.sh 'echo "ok 1 - a"; echo "ok 2 - b"; echo "1..3"'
mk t_g_skipline.sh 'echo "ok 1 - x # SKIP not today"; echo "ok 2 - y"'
mk t_h_leak.sh "sleep 300 & echo \$! >'$T_DIR/leak.pid'; echo 'ok 1 - leaks a sleep'"
mk x_not_a_test.sh 'echo "not ok 1 - must never run"'

# nested ARGS... - run the runner on the fake tests, no stack; output in
# $T_DIR/out, status in $st.
nested() {
	st=0
	AB_IT_TESTS_DIR=$fake TMPDIR=$T_DIR/tmp "$run" --no-stack "$@" >"$T_DIR/out" 2>&1 || st=$?
	last=$(tail -n 1 "$T_DIR/out")
}

nested
check_eq "all fake tests: the exact summary line" "$last" "integration: 8 passed, 4 failed, 2 skipped"
check_eq "all fake tests: exit status 1" "$st" 1
out=$(cat "$T_DIR/out")
check_contains "a failing check is reported with the test's name" "$out" "not ok 4 - t_b_fail: broken"
check_contains "its diagnostics are passed through" "$out" "# why it broke"
check_contains "a crash without 'not ok' is one failure" "$out" "t_c_crash: exited with status 3 without reporting a failure"
check_contains "... with the tail of its output" "$out" "some noise"
check_contains "exit 77 is a skip, with its reason" "$out" "t_d_skip # SKIP no widget here"
check_contains "a test that asserts nothing fails" "$out" "t_e_silent: made no assertions"
check_contains "a plan that does not match fails" "$out" "t_f_plan: planned 3 checks, reported 2"
check_contains "a leaked background process is reported" "$out" "t_h_leak left processes running"
pid=$(cat "$T_DIR/leak.pid" 2>/dev/null)
check "... and killed" wait_until 5 gone "${pid:-0}"
check_fails "files not named t_*.sh are not run" grep -q "must never run" "$T_DIR/out"
check_eq "the work directory is gone afterwards" "$(ls -A "$T_DIR/tmp")" ""

nested a_pass g_skip
check_eq "patterns select tests" "$last" "integration: 3 passed, 0 failed, 1 skipped"
check_eq "... exit status 0" "$st" 0
nested 'a_p*s'
check_eq "a pattern may be a glob" "$last" "integration: 2 passed, 0 failed"
nested no_such_test
check_eq "no matching test: a failure" "$st:$last" "1:integration: 0 passed, 1 failed"

mk t_i_hang.sh "echo 'ok 1 - started'; sleep 300; echo 'ok 2 - never'"
t0=$EPOCHREALTIME
AB_IT_TIMEOUT=1 nested i_hang
ms=$(((${EPOCHREALTIME/[.,]/} - ${t0/[.,]/}) / 1000))
check_eq "a hanging test times out: one pass, one failure" "$last" "integration: 1 passed, 1 failed"
check_like "... within seconds (${ms} ms)" "$((ms < 8000))" '^1$'
check_contains "... reported as a timeout" "$(cat "$T_DIR/out")" "t_i_hang: timed out after 1 s"

# SIGTERM while a test runs: the test is stopped, the work dir removed.
mk t_i_hang.sh "echo \$\$ >'$T_DIR/hang.pid'; sleep 300 & wait"
rm -f "$T_DIR/hang.pid"
AB_IT_TESTS_DIR=$fake TMPDIR=$T_DIR/tmp "$run" --no-stack i_hang >"$T_DIR/out" 2>&1 &
rpid=$!
wait_until 10 test -s "$T_DIR/hang.pid"
kill -TERM "$rpid"
st=0
wait "$rpid" || st=$?
check_eq "SIGTERM: the runner exits with 143" "$st" 143
hpid=$(cat "$T_DIR/hang.pid" 2>/dev/null)
check "SIGTERM: the running test is stopped" wait_until 5 gone "${hpid:-0}"
check_eq "SIGTERM: the work directory is gone" "$(ls -A "$T_DIR/tmp")" ""
rm -f "$fake/t_i_hang.sh"

# A stack that cannot start (its ports are this run's, so all taken) must
# fail the run loudly and leave nothing behind.
if [ -n "${ACKBEAT_STACK_DIR:-}" ]; then
	st=0
	AB_IT_TESTS_DIR=$fake TMPDIR=$T_DIR/tmp ACKBEAT_STACK_PG=0 "$run" a_pass >"$T_DIR/out" 2>&1 || st=$?
	out=$(cat "$T_DIR/out")
	check_eq "stack start failure: exit status 1" "$st" 1
	check_eq "stack start failure: counted as a failure" "$(tail -n 1 "$T_DIR/out")" "integration: 0 passed, 1 failed"
	check_contains "stack start failure: says so" "$out" "not ok 1 - the test stack starts"
	check_contains "stack start failure: shows start.sh's log" "$out" "is in use by something else"
	check_fails "stack start failure: no test ran" grep -q "t_a_pass" "$T_DIR/out"
	check_eq "stack start failure: the work directory is gone" "$(ls -A "$T_DIR/tmp")" ""
else
	skip "stack start failure" "no stack in this run"
fi

done_testing
