#!/usr/bin/env bash
# t_93_selfwatch - who watches the watcher: with <watchdog ping-url=...
# admin=... daily=...>, `ackbeat run` GETs the URL on every tick (here a
# tiny HTTP server on 127.0.0.1), logs a failing ping once per outage and
# runs on, and queues a daily "still running" message to the admin through
# the outbox: once per day, not again after a restart, and the day's one
# at HH:MM in the site's zone.
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the HTTP listener"
port=0 # the first listener picks a free port in 19060-19099; a restart reuses it
token=selfwatch0123456789

cat >"$T_DIR/pinglistener.py" <<'EOF2'
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(out, "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("User-Agent", "")))
        self.send_response(200 if self.path.startswith("/ping/") else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")
    def log_message(self, *a):
        pass
s = None
# Port 0: the first free one of 19060-19099 (this project's test range).
for p in ([port] if port else range(19060, 19100)):
    try:
        s = http.server.HTTPServer(("127.0.0.1", p), H)
        break
    except OSError:
        continue
if s is None:
    sys.exit(1)
s.timeout = 1
with open(out + ".port", "w") as f:
    f.write("%d\n" % s.server_address[1])
import time
end = time.monotonic() + 120
while time.monotonic() < end:
    s.handle_request()
EOF2
start_http() {
	rm -f "$T_DIR/hits.log.port"
	python3 "$T_DIR/pinglistener.py" "$port" "$T_DIR/hits.log" &
	hpid=$!
	wait_until 10 test -s "$T_DIR/hits.log.port" || return 1
	port=$(cat "$T_DIR/hits.log.port")
}

write_config() { # STATE DAILY
	cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="selfwatch" tick="1s" timezone="UTC">
  <state path="$1"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <watchdog ping-url="http://127.0.0.1:$port/ping/$token" ping-timeout="2s"
            admin="ops,boss@example.test" daily="$2"/>
</ackbeat>
EOF2
}
daily_count() { grep -l 'ackbeat is running (daily check-in)' "$T_DIR"/Maildir/new/* 2>/dev/null | wc -l; }

hpid=
at_exit 'kill $hpid 2>/dev/null'
start_http
check "the HTTP listener is up (port $port)" test "$port" -gt 0
write_config state.db 08:00
check "the config validates" "$ACKBEAT" validate -c "$T_DIR/ackbeat.xml"

"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"
check "the URL is pinged on every tick (3 in a few s)" \
	wait_until 20 bash -c "[ \$(grep -c '^/ping/$token ackbeat/' '$T_DIR/hits.log' 2>/dev/null) -ge 3 ]"
check "the daily check-in reaches the Maildir" wait_until 30 bash -c "[ \$(ls '$T_DIR/Maildir/new' 2>/dev/null | wc -l) -ge 1 ]"
check_eq "exactly one daily message" "$(daily_count)" 1
msg=$(grep -l 'daily check-in' "$T_DIR"/Maildir/new/* | head -n 1)
check_contains "it goes to the admins" "$(mail_header to "$msg")" "boss@example.test"
check_like "its Message-ID is the day's" "$(mail_header message-id "$msg")" '^<ackbeat-daily\.[0-9]{8}T080000Z@example\.test>$'
check "it says what runs" grep -q 'ackbeat .* is running' "$msg"

# The outside URL goes away: one warning, the daemon runs on.
kill "$hpid"
wait "$hpid" 2>/dev/null
check "a failing ping is logged" wait_until 30 grep -q 'watchdog: ping http://127.0.0.1:.* failed' "$T_DIR/run.err"
sleep 3
check_eq "once per outage, not on every tick" "$(grep -c 'watchdog: ping .* failed' "$T_DIR/run.err")" 1
check "the daemon runs on" kill -0 "$pid"
start_http
check "the HTTP listener is back" kill -0 "$hpid"
check "the ping works again, and says so" wait_until 30 grep -q 'watchdog: ping .* works again' "$T_DIR/run.err"

# A restart does not send the day's check-in twice.
kill -TERM "$pid"
wait "$pid"
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run2.err" &
pid=$!
check "the restarted daemon pings" wait_until 30 grep -q 'running:' "$T_DIR/run2.err"
sleep 2
check_eq "still one daily message after a restart" "$(daily_count)" 1
kill -TERM "$pid"
wait "$pid"

# The day's check-in comes at daily= in the site's zone: start two seconds
# before 08:00 UTC on a fresh state; the previous day's (missed) one goes
# out at once, today's at 08:00.
rm -rf "$T_DIR/Maildir"
write_config state2.db 08:00
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" --now 2026-12-01T07:59:58Z >/dev/null 2>"$T_DIR/run3.err" &
pid=$!
check "the missed check-in of the day before goes out at once" wait_until 30 bash -c "[ \"\$(ls '$T_DIR/Maildir/new' 2>/dev/null | wc -l)\" -ge 1 ]"
check "and the day's at 08:00" wait_until 30 bash -c "[ \"\$(ls '$T_DIR/Maildir/new' 2>/dev/null | wc -l)\" -ge 2 ]"
ids=$(for f in "$T_DIR"/Maildir/new/*; do mail_header message-id "$f"; done | sort | tr '\n' ' ')
check_eq "one per day, by fire time" "$ids" "<ackbeat-daily.20261130T080000Z@example.test> <ackbeat-daily.20261201T080000Z@example.test> "
kill -TERM "$pid"
wait "$pid"
check_eq "it stops cleanly" "$?" 0

# Without <watchdog> nothing of this happens.
: >"$T_DIR/hits.log"
sed -i '/<watchdog/,/\/>/d' "$T_DIR/ackbeat.xml"
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run4.err" &
pid=$!
check "without <watchdog> it runs" wait_until 30 grep -q 'running:' "$T_DIR/run4.err"
sleep 2
check_eq "and pings nothing" "$(wc -l <"$T_DIR/hits.log")" 0
kill -TERM "$pid"
wait "$pid"
done_testing
