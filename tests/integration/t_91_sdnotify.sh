#!/usr/bin/env bash
# t_91_sdnotify - `ackbeat run` under a systemd-like supervisor: the
# notify protocol is tested for real, over a unix datagram socket this
# test listens on (NOTIFY_SOCKET), as systemd would for Type=notify with
# WatchdogSec=.  Also: without NOTIFY_SOCKET the daemon runs as before.
. "$AB_SRCDIR/tests/integration/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the notify listener"

cat >"$T_DIR/ackbeat.xml" <<'EOF2'
<ackbeat tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops"/>
  <sources><sqlite name="db" path="data.db"/></sources>
  <checks>
    <sql name="rows" source="db" crit="1" direction="below"><query>SELECT count(*) FROM t</query></sql>
  </checks>
</ackbeat>
EOF2
sqlite3 "$T_DIR/data.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"

# The listener writes one line per datagram: "<monotonic ms> <payload with
# newlines as |>", and stops by itself after 60 s.
cat >"$T_DIR/listen.py" <<'EOF2'
import os, socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(1.0)
end = time.monotonic() + 60
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while time.monotonic() < end:
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        ms = int(time.monotonic() * 1000)
        f.write("%d %s\n" % (ms, data.decode("utf-8", "replace").replace("\n", "|")))
EOF2
sock=$T_DIR/notify.sock
python3 "$T_DIR/listen.py" "$sock" "$T_DIR/notify.log" &
lpid=$!
at_exit "kill $lpid 2>/dev/null"
check "the notify listener is up" wait_until 10 test -S "$sock"

# WATCHDOG_PID must be the daemon's own pid, as systemd sets it: exec in a
# subshell so that $BASHPID becomes ackbeat's pid.
( export NOTIFY_SOCKET=$sock WATCHDOG_USEC=2000000 WATCHDOG_PID=$BASHPID
  exec "$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >"$T_DIR/run.out" 2>"$T_DIR/run.err" ) &
pid=$!
at_exit "kill $pid 2>/dev/null"

check "READY=1 arrives after the first tick" wait_until 15 grep -q 'READY=1' "$T_DIR/notify.log"
check "the first tick ran before READY=1" grep -q "check rows: Healthy" "$T_DIR/run.err"
status_line=$(grep -m1 'STATUS=' "$T_DIR/notify.log")
check_like "STATUS= summarises the tick" "$status_line" 'STATUS=last tick [0-9T:-]+Z: 1 checks run'
check "the watchdog interval is logged" grep -q "systemd watchdog: pinging every 1000 ms" "$T_DIR/run.err"
# WatchdogSec=2s: pings at least every second while the daemon sleeps
# (its next tick is a minute away).
check "WATCHDOG=1 arrives at least 4 times in 5 s" \
    wait_until 8 bash -c "[ \$(grep -c 'WATCHDOG=1' '$T_DIR/notify.log') -ge 4 ]"
gaps=$(awk '/WATCHDOG=1/ { if (p) { g = $1 - p; if (g > m) m = g } p = $1 } END { print m + 0 }' "$T_DIR/notify.log")
check "no gap between watchdog pings exceeds 1.5 s (max ${gaps} ms)" test "$gaps" -le 1500

kill -HUP "$pid"
check "SIGHUP sends RELOADING=1" wait_until 30 grep -q 'RELOADING=1' "$T_DIR/notify.log"
check "and READY=1 again after the reload" \
    wait_until 30 bash -c "[ \$(grep -c 'READY=1' '$T_DIR/notify.log') -ge 2 ]"

kill -TERM "$pid"
wait "$pid"
check_eq "SIGTERM exits 0" "$?" 0
check "STOPPING=1 arrives on SIGTERM" wait_until 5 grep -q 'STOPPING=1' "$T_DIR/notify.log"
diag "$(cut -c1-120 "$T_DIR/notify.log" | head -n 20)"

# A wrong WATCHDOG_PID (a watchdog meant for another process) is ignored.
: >"$T_DIR/notify.log"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=2000000 WATCHDOG_PID=1 \
    "$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run2.err" &
pid=$!
check "READY=1 with a foreign WATCHDOG_PID" wait_until 15 grep -q 'READY=1' "$T_DIR/notify.log"
sleep 2.5
check_eq "no WATCHDOG=1 for a foreign WATCHDOG_PID" "$(grep -c 'WATCHDOG=1' "$T_DIR/notify.log")" 0
kill -TERM "$pid"; wait "$pid"

# Without systemd: no NOTIFY_SOCKET, the daemon runs in the foreground.
env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID \
    "$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >/dev/null 2>"$T_DIR/run3.err" &
pid=$!
check "without NOTIFY_SOCKET it runs" wait_until 30 grep -q "running:" "$T_DIR/run3.err"
kill -TERM "$pid"; wait "$pid"
check_eq "and exits 0 on SIGTERM" "$?" 0
check "no watchdog without systemd" bash -c "! grep -q 'systemd watchdog' '$T_DIR/run3.err'"
done_testing
