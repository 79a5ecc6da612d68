#!/usr/bin/env bash
# t_88_ping_runs - ping runs paired by a run id over HTTP (issue 18), as
# Healthchecks' ?rid=: /ping/TOKEN/start?rid=UUID then /ping/TOKEN?rid=UUID
# is one run whose duration the check's status then shows; two runs
# overlap and are kept apart; a run whose finish does not come within
# grace= makes the check Failing although the other one finished; a bad
# rid is a 400 that says what is wanted (an unknown token stays a 404).
. "$AB_SRCDIR/tests/integration/lib.sh"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"
command -v curl >/dev/null || skip_all "curl is not installed"

port=
for p in $(seq 19241 19260); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || skip_all "no free port in 19241-19260"
URL="http://127.0.0.1:$port"
PING=ping-$$-$RANDOM-runs-token
cd "$T_DIR" || exit 1
cat >ackbeat.xml <<EOF2
<ackbeat name="runs" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:out"/>
  <web listen="127.0.0.1:$port"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks>
    <ping name="etl" token="$PING" period="1d" grace="3s"/>
  </checks>
</ackbeat>
EOF2
check "validate" "$ACKBEAT" validate -c ackbeat.xml
"$ACKBEAT" web -c ackbeat.xml >web.out 2>web.err &
at_exit "kill $! 2>/dev/null"
check "ackbeat web listens" wait_until 15 curl -sf "$URL/healthz"
code() { curl -s -o "$T_DIR/body" -w '%{http_code}' "$@"; }

A=3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b
B=9c8d7e6f-0a1b-4c2d-8e3f-4a5b6c7d8e9f
check_eq "run A starts" "$(code "$URL/ping/$PING/start?rid=$A")" 200
check_eq "run B starts" "$(code -X POST "$URL/ping/$PING/start?rid=$B")" 200
sleep 1
check_eq "run B finishes" "$(code "$URL/ping/$PING?rid=$B")" 200
check_like "status --json shows B's own duration" "$("$ACKBEAT" status -c ackbeat.xml --json)" "\"message\": \".*run 9c8d7e6f took [0-9]+ seconds?"
check_like "so does the check's page" "$(curl -s "$URL/checks/etl")" "run 9c8d7e6f took [0-9]+ seconds?"
check_eq "a bad rid is a 400" "$(code "$URL/ping/$PING/start?rid=not-a-uuid")" 400
check_contains "... saying what is wanted" "$(cat "$T_DIR/body")" "rid= must be a UUID"
check_eq "an unknown token with a bad rid stays a 404" "$(code "$URL/ping/nosuchtoken-$$/start?rid=x")" 404
# A never finishes: past its grace it hung, though B finished after A started.
sleep 4
"$ACKBEAT" tick -c ackbeat.xml >tick.out 2>tick.err
st=$("$ACKBEAT" status -c ackbeat.xml)
check_like "A hung: the check is Failing" "$st" "etl .*Failing"
check_like "... naming the run in its history" "$("$ACKBEAT" history -c ackbeat.xml etl)" "Failing +run 3f2b8c1e started at .* but did not finish within 3s"
sleep 1 # a report in the tick's own second is not news (times are to the second)
check_eq "A's late finish" "$(code "$URL/ping/$PING/fail?rid=$A")" 200
check_like "says how long A took" "$("$ACKBEAT" history -c ackbeat.xml etl)" "reported failure at .*: run 3f2b8c1e took [0-9]+ seconds"
done_testing
