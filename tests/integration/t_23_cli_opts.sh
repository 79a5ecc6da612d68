#!/usr/bin/env bash
# t_23_cli_opts - the options the commands share (cli/cli_opts.c): --help
# prints the command's usage on stdout and exits 0; a bad option or a
# stray operand exits 2 with the usage on stderr (send-test: getopt's word
# only); -c/--config and --now are taken in either spelling and order;
# the global --log-level may stand before or after the command; a
# command's own option with a bad value says so.  No servers needed.
. "$AB_SRCDIR/tests/integration/lib.sh"

cd "$T_DIR" || exit 1
cat >a.xml <<'EOF2'
<ackbeat name="opts" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@opts.test" transport="maildir:out"/>
  <recipients><person name="kim" email="kim@opts.test"/></recipients>
  <alerting notify="kim"/>
  <schedule name="nine" rrule="FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0"/>
  <checks><command name="true" command="/bin/true" schedule="nine"/></checks>
</ackbeat>
EOF2

for cmd in run web tick next validate render classify send-test; do
	out=$("$ACKBEAT" "$cmd" --help 2>/dev/null)
	check_eq "$cmd --help exits 0" "$?" 0
	check_contains "$cmd --help prints its usage on stdout" "$out" "usage: ackbeat $cmd"
done
for cmd in run web tick next validate render classify; do
	err=$("$ACKBEAT" "$cmd" --no-such-option 2>&1 >/dev/null)
	"$ACKBEAT" "$cmd" --no-such-option >/dev/null 2>&1
	check_eq "$cmd --no-such-option exits 2" "$?" 2
	check_contains "$cmd: getopt names the option" "$err" "no-such-option"
	check_contains "$cmd: and the usage follows on stderr" "$err" "usage: ackbeat $cmd"
done
err=$("$ACKBEAT" send-test --no-such-option 2>&1 >/dev/null)
check_contains "send-test: getopt names the option" "$err" "no-such-option"
check_fails "send-test: no usage after it, as before" grep -q usage <<<"$err"

check_exit "tick with a stray operand exits 2" 2 "$ACKBEAT" tick -c a.xml extra
check_exit "run with a stray operand exits 2" 2 "$ACKBEAT" run -c a.xml extra
err=$("$ACKBEAT" validate -c a.xml extra 2>&1)
check_contains "validate names a stray operand" "$err" 'unexpected argument "extra"'
err=$("$ACKBEAT" tick -c a.xml --now yesterday 2>&1)
check_contains "a bad --now is named" "$err" '--now "yesterday" is not an ISO 8601 time'

out=$("$ACKBEAT" next --config a.xml --now 2026-12-01T08:00:00Z --count 1)
check_contains "next: --config and --now (long forms)" "$out" "2026-12-01T09:00:00+00:00"
out=$("$ACKBEAT" next true --count=2 --now=2026-12-01T10:00:00Z -c a.xml)
check_contains "next: operand first, --opt=value forms" "$out" "2026-12-02T09:00:00+00:00"
check_contains "... and --count 2 gives the day after too" "$out" "2026-12-03T09:00:00+00:00"
err=$("$ACKBEAT" next -c a.xml --count 0 2>&1)
check_contains "next: a bad --count is named" "$err" "--count must be a number from 1 to 10000"
check_exit "next --explain without --at exits 2" 2 "$ACKBEAT" next -c a.xml true --explain

out=$("$ACKBEAT" validate -c a.xml)
check_contains "validate -c" "$out" "a.xml: valid"
out=$(ACKBEAT_CONFIG=a.xml "$ACKBEAT" validate)
check_contains "validate without -c reads \$ACKBEAT_CONFIG" "$out" "a.xml: valid"

# The check runs at each day's 09:00 and logs it at info.
err=$("$ACKBEAT" tick -c a.xml --now 2026-12-01T09:00:00Z 2>&1)
check_contains "a tick logs the run at info" "$err" "check true: Healthy"
err=$("$ACKBEAT" --log-level error tick -c a.xml --now 2026-12-02T09:00:00Z 2>&1)
check_fails "--log-level error before the command hides it" grep -q "check true" <<<"$err"
err=$("$ACKBEAT" tick -c a.xml --now 2026-12-03T09:00:00Z --log-level=error 2>&1)
check_fails "--log-level=error after the command too" grep -q "check true" <<<"$err"
check_contains "... and the tick ran" "$err" "tick: 1 run"

printf '{{x}}\n' >t.mustache
printf '{"x":"<b>"}' >d.json
check_eq "render: own short options" "$("$ACKBEAT" render -t t.mustache -d d.json --html)" "&lt;b&gt;"
err=$("$ACKBEAT" render -d d.json 2>&1)
check_contains "render without --template says so" "$err" "ackbeat render: --template FILE is required"
done_testing
