#!/usr/bin/env bash
# t_21_daemon - `ackbeat run`: it ticks on its own, reloads on SIGHUP only
# when the new config is valid, and exits cleanly on SIGTERM.
. "$AB_SRCDIR/tests/integration/lib.sh"

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
"$ACKBEAT" run -c "$T_DIR/ackbeat.xml" >"$T_DIR/run.out" 2>"$T_DIR/run.err" &
pid=$!
at_exit "kill $pid 2>/dev/null"

check "the daemon ran the check on start" wait_until 30 grep -q "check rows: Healthy" "$T_DIR/run.err"

# A broken config on SIGHUP: logged, and the daemon keeps running.
cp "$T_DIR/ackbeat.xml" "$T_DIR/good.xml"
sed -i 's/crit="1"/crit="one"/' "$T_DIR/ackbeat.xml"
kill -HUP $pid
check "a bad reload is refused and logged" wait_until 30 grep -q "still running on the previous configuration" "$T_DIR/run.err"
check_contains "the reason names file and line" "$(cat "$T_DIR/run.err")" "ackbeat.xml:8:"
check "the daemon is still alive" kill -0 $pid

cp "$T_DIR/good.xml" "$T_DIR/ackbeat.xml"
kill -HUP $pid
check "a good reload is taken" wait_until 30 grep -q "reloaded:" "$T_DIR/run.err"

kill -TERM $pid
wait $pid
check_eq "SIGTERM exits 0" "$?" 0
check_contains "it says it stopped" "$(cat "$T_DIR/run.err")" "stopping"
check "the state database is intact" test "$(sqlite3 "$T_DIR/state.db" 'PRAGMA integrity_check')" = ok
done_testing
