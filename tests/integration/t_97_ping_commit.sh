#!/usr/bin/env bash
# t_97_ping_commit - group commit keeps its promise (issue 17): a ping is
# answered 200 only after the commit that holds it.  Sixteen clients fire
# pings at `ackbeat run`'s web server at once, each with a body of its
# own (stored as the ping's detail), and the daemon is SIGKILLed in the
# middle of the flood, three rounds.  After a restart every ping that was
# answered 200 must be in the state; pings answered otherwise, or not at
# all, may or may not be there.  The state passes integrity_check.
#
# Knobs: T97_CLIENTS (16), T97_ROUNDS (3).
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v curl >/dev/null || skip_all "curl is not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"

CLIENTS=${T97_CLIENTS:-16}
ROUNDS=${T97_ROUNDS:-3}
db=$T_DIR/state.db
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TOKEN=t97-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="t97" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@t97.test" transport="maildir:out"/>
  <web listen="127.0.0.1:$port"/>
  <recipients><person name="ops" email="ops@t97.test"/></recipients>
  <alerting notify="ops"/>
  <checks><ping name="job" token="$TOKEN" period="1d" grace="1h"/></checks>
</ackbeat>
EOF2
check "the config validates" "$ACKBEAT" validate -c "$T_DIR/ackbeat.xml"

pid=
# Started here, not under check (a subshell): $pid is what gets killed.
start() {
	(cd "$T_DIR" && exec "$ACKBEAT" run -c "$T_DIR/ackbeat.xml" --log-level warn >>"$T_DIR/ackbeat.log" 2>&1) &
	pid=$!
}
# shellcheck disable=SC2317 # called through check
up() { wait_until 20 curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; }
# shellcheck disable=SC2016 # $pid as it is at exit
at_exit 'kill -9 $pid 2>/dev/null || true'

# One client: pings with bodies r$1c$2n1, n2, ... until the server goes
# away; each answer's code on a line "BODY CODE".
client() {
	local i=0 code
	while :; do
		i=$((i + 1))
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
			--data-binary "r${1}c${2}n$i" "http://127.0.0.1:$port/ping/$TOKEN") || code=${code:-000}
		echo "r${1}c${2}n$i $code"
		[ "$code" = 000 ] && break
	done
}

for r in $(seq 1 "$ROUNDS"); do
	start
	check "round $r: the daemon answers" up
	pids=()
	for c in $(seq 1 "$CLIENTS"); do
		client "$r" "$c" >"$T_DIR/answers.$r.$c" &
		pids+=($!)
	done
	sleep "2.$((RANDOM % 9))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	for p in "${pids[@]}"; do wait "$p" || true; done
	cat "$T_DIR"/answers."$r".* >"$T_DIR/answers.$r"
	diag "round $r: $(grep -c ' 200$' "$T_DIR/answers.$r") answered 200, $(grep -vc ' 200$' "$T_DIR/answers.$r") not"
done

start
check "the daemon starts again after the last kill" up
kill "$pid"
wait "$pid" 2>/dev/null || true

cat "$T_DIR"/answers.[0-9]* | awk '$2 == 200 {print $1}' | sort -u >"$T_DIR/acked"
sqlite3 -cmd '.timeout 10000' "$db" "SELECT detail FROM pings WHERE check_name = 'job'" | sort -u >"$T_DIR/stored"
acked=$(wc -l <"$T_DIR/acked")
lost=$(comm -23 "$T_DIR/acked" "$T_DIR/stored" | wc -l)
diag "$acked pings answered 200, $(wc -l <"$T_DIR/stored") stored, $lost answered 200 and missing"
check "the floods were answered (pings answered 200 in every round)" test "$acked" -ge "$ROUNDS"
check "some ping was cut off by each kill" test "$(cat "$T_DIR"/answers.[0-9]* | grep -vc ' 200$')" -ge "$ROUNDS"
check_eq "every ping answered 200 is in the state" "$lost" 0
check_eq "the state passes integrity_check" "$(sqlite3 "$db" "PRAGMA integrity_check")" ok
done_testing
