#!/usr/bin/env bash
# t_95_web_flood - the web server under a bounded slow-client flood from
# 127.0.0.1 (only): 260 connections, each sending one header line every
# 2 s and never finishing its request, for 16 s.  Meanwhile another
# client (127.0.0.2, the same machine) asks /healthz and sends pings:
# every one must be answered (per-client limit, request-timeout).  And
# the Host check: pages and the API answer only their own names (421
# otherwise); pings and /healthz any.  The figures go to the log.
. "$AB_SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is missing"
command -v curl >/dev/null || skip_all "curl is missing"
curl -s --max-time 2 --interface 127.0.0.2 http://127.0.0.2:1/ >/dev/null 2>&1
[ $? -ne 45 ] || skip_all "cannot send from 127.0.0.2"

PORT=${T95_PORT:-18457}
TOKEN=t95tokent95tokent95token
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir"/>
  <web listen="127.0.0.1:$PORT" base-url="https://status.example.test/ackbeat"
       allowed-hosts="ackbeat.internal" max-conns-per-client="16" request-timeout="5s"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <checks><ping name="job" period="1d" token="$TOKEN"/></checks>
</ackbeat>
EOF2
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >"$T_DIR/run.out" 2>"$T_DIR/run.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "the daemon listens" wait_until 30 grep -q "web: listening" "$T_DIR/run.err"

# --- Host ------------------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
check_eq "the API answers its listen address" "$(code "http://127.0.0.1:$PORT/api/checks")" 200
check_eq "... base-url's host" "$(code -H 'Host: status.example.test' "http://127.0.0.1:$PORT/api/checks")" 200
check_eq "... an allowed-hosts name" "$(code -H 'Host: ackbeat.internal:8080' "http://127.0.0.1:$PORT/")" 200
check_eq "... localhost" "$(code -H "Host: localhost:$PORT" "http://127.0.0.1:$PORT/alerts")" 200
check_eq "a rebound name gets 421 on the API" "$(code -H "Host: evil.example:$PORT" "http://127.0.0.1:$PORT/api/checks")" 421
check_eq "... and on the pages" "$(code -H 'Host: evil.example' "http://127.0.0.1:$PORT/")" 421
check_eq "... and on /metrics" "$(code -H 'Host: evil.example' "http://127.0.0.1:$PORT/metrics")" 421
check_eq "/healthz answers any Host" "$(code -H 'Host: evil.example' "http://127.0.0.1:$PORT/healthz")" 200
check_eq "a ping answers any Host" "$(code -X POST -H 'Host: jobs.example' "http://127.0.0.1:$PORT/ping/$TOKEN")" 200

# --- the flood ---------------------------------------------------------------
cat >"$T_DIR/flood.py" <<'EOF2'
import socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
end = time.time() + secs
socks, opened = [], 0
def fill():
    global opened
    while len(socks) < n and time.time() < end:
        s = socket.socket()
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            socks.append(s)
            opened += 1
        except OSError:
            s.close()
            break
while time.time() < end:
    fill()
    time.sleep(2)
    for s in list(socks):
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            socks.remove(s)
            s.close()
print(opened)
EOF2
python3 "$T_DIR/flood.py" "$PORT" 260 16 >"$T_DIR/flood.out" 2>&1 &
fpid=$!
at_exit "kill $fpid 2>/dev/null"
sleep 3 # the flood has its connections open
asked=0 answered=0 pings=0 pinged=0
while kill -0 $fpid 2>/dev/null && ((asked < 20)); do
	asked=$((asked + 1))
	[ "$(code --interface 127.0.0.2 "http://127.0.0.1:$PORT/healthz")" = 200 ] && answered=$((answered + 1))
	pings=$((pings + 1))
	[ "$(code --interface 127.0.0.2 -X POST "http://127.0.0.1:$PORT/ping/$TOKEN")" = 200 ] && pinged=$((pinged + 1))
	sleep 0.5
done
wait $fpid
diag "flood: $(cat "$T_DIR/flood.out") slow connections made (the refused ones again and again) from 127.0.0.1 in 16 s; meanwhile /healthz $answered of $asked, pings $pinged of $pings answered"
check "the flood ran while we asked" test "$asked" -ge 5
check_eq "every /healthz was answered during the flood" "$answered" "$asked"
check_eq "every ping was answered during the flood" "$pinged" "$pings"
check "the daemon is still alive" kill -0 $pid
done_testing
