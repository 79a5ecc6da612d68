#!/usr/bin/env bash
# t_82_web_reload - a reload whose <web> cannot serve leaves the old web
# server serving (issue 15).  `ackbeat run` with <web>: SIGHUP with a new
# listen= on a port someone else holds, then with a token the server
# refuses (too short); each time the log names the failure, the old port
# still answers, pings through it are recorded, and the daemon lives on.
# Once the port is free the same reload moves the server there.  `ackbeat
# web` keeps serving on a failed reload too (it used to exit).
. "$AB_SRCDIR/tests/integration/lib.sh"

# Two free ports of ours (18300-18399): nothing answers on them.
ports=()
for p in $(seq 18300 18399); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		ports+=("$p")
		[ ${#ports[@]} -eq 3 ] && break
	fi
done
[ ${#ports[@]} -eq 3 ] || skip_all "no three free ports in 18300-18399"
A=${ports[0]} B=${ports[1]} W=${ports[2]}
TOKEN=tok-$(openssl rand -hex 16)
PING=reload-$(openssl rand -hex 12)

cd "$T_DIR" || exit 1
printf '%s\n' "$TOKEN" >token
printf 'short\n' >short.token
# conf PORT TOKENFILE: the config, listening on PORT.
conf() {
	cat <<EOF2
<ackbeat name="Reload" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@reload.test" transport="maildir:out/Maildir"/>
  <web listen="127.0.0.1:$1" token-file="$2"/>
  <recipients><person name="kim" email="kim@reload.test"/></recipients>
  <alerting notify="kim" repeat="24h"/>
  <checks>
    <ping name="etl" token="$PING" period="1d" grace="1h"/>
  </checks>
</ackbeat>
EOF2
}
conf "$A" token >ackbeat.xml

# A listener that holds port B: "in use" for the daemon.
python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("bound", flush=True)
time.sleep(600)
' "$B" >holder.out 2>&1 &
holder=$!
at_exit "kill $holder 2>/dev/null"
check "port $B is held" wait_until 10 grep -q bound holder.out

"$ACKBEAT" run -c ackbeat.xml >run.out 2>run.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "the daemon serves on $A" wait_until 15 curl -sf "http://127.0.0.1:$A/healthz"

# 1. The new port is taken.
conf "$B" token >ackbeat.xml
kill -HUP $pid
check "the failed web reload is logged" \
	wait_until 20 grep -q "keeps serving the previous configuration" run.err
check_contains "the log names the port and why" "$(cat run.err)" \
	"cannot listen on 127.0.0.1:$B"
check "the old port still answers" curl -sf "http://127.0.0.1:$A/healthz"
check_eq "a ping through the old server is taken" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/ping/$PING")" 200
check "the daemon is alive" kill -0 $pid
check "the rest of the config was taken" grep -q "reloaded:" run.err

# 2. A token the server refuses, back on the old port.
conf "$A" short.token >ackbeat.xml
n=$(grep -c "keeps serving the previous configuration" run.err)
kill -HUP $pid
check "the second failed web reload is logged" \
	wait_until 20 sh -c "[ \$(grep -c 'keeps serving the previous configuration' run.err) -gt $n ]"
check_contains "the log says what is wrong with the token" "$(cat run.err)" \
	"at least 16 characters"
check "the old port still answers after it" curl -sf "http://127.0.0.1:$A/api/checks"

# 3. Port B free again: the same reload moves the server there.
kill $holder
wait $holder 2>/dev/null
conf "$B" token >ackbeat.xml
kill -HUP $pid
check "the server moves to $B" wait_until 20 curl -sf "http://127.0.0.1:$B/healthz"
check_fails "and has left $A" curl -sf "http://127.0.0.1:$A/healthz"
check "the ping taken by the old server is in the state" \
	test "$(sqlite3 state.db 'SELECT count(*) FROM pings')" -ge 1

kill -TERM $pid
wait $pid
check_eq "SIGTERM exits 0" "$?" 0

# `ackbeat web` alone: a failed reload keeps it serving.
conf "$W" token >web.xml
"$ACKBEAT" web -c web.xml >web.out 2>web.err &
wpid=$!
at_exit "kill $wpid 2>/dev/null"
check "ackbeat web serves on $W" wait_until 15 curl -sf "http://127.0.0.1:$W/healthz"
conf "$W" short.token >web.xml
kill -HUP $wpid
check "its failed reload is logged" \
	wait_until 20 grep -q "still serving the previous configuration" web.err
check "ackbeat web is alive" kill -0 $wpid
check "and still answers" curl -sf "http://127.0.0.1:$W/healthz"
kill -TERM $wpid
wait $wpid
check_eq "ackbeat web exits 0 on SIGTERM" "$?" 0
done_testing
