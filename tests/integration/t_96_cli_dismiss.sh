#!/usr/bin/env bash
# t_96_cli_dismiss - `ackbeat dismiss` from the command line, and what
# `ackbeat alerts` then shows: who dismissed, the note, and for a snooze
# its end; --json carries the same; a resolved or unknown alert is
# refused; a snooze ends and notices resume.
. "$AB_SRCDIR/tests/integration/lib.sh"
command -v sqlite3 >/dev/null || skip_all "sqlite3 is missing"

cat >"$T_DIR/ackbeat.xml" <<'EOF2'
<ackbeat tick="1m" timezone="UTC">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:Maildir"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops" repeat="1h"/>
  <sources><sqlite name="db" path="data.db"/></sources>
  <checks>
    <sql name="rows" source="db" crit="1" direction="below"><query>SELECT count(*) FROM t</query></sql>
    <sql name="more" source="db" crit="1" direction="below"><query>SELECT count(*) FROM u</query></sql>
  </checks>
</ackbeat>
EOF2
sqlite3 "$T_DIR/data.db" "CREATE TABLE t(x); CREATE TABLE u(x);"
A() { "$ACKBEAT" "$@" -c "$T_DIR/ackbeat.xml"; }
check "a tick opens the alerts" A tick --now 2026-12-01T08:00:00Z
id=$(sqlite3 "$T_DIR/state.db" "SELECT id FROM alerts WHERE check_name = 'rows'")
id2=$(sqlite3 "$T_DIR/state.db" "SELECT id FROM alerts WHERE check_name = 'more'")
check_like "alert ids" "$id $id2" '^[0-9]+ [0-9]+$'

check "dismiss with a note" A dismiss "$id" --by Kim --note "disk replaced, watching" --now 2026-12-01T08:10:00Z
check "snooze for 2h" A dismiss "$id2" --by Lee --note "after the backup" --until 2h --now 2026-12-01T08:10:00Z
out=$(A alerts --now 2026-12-01T08:20:00Z 2>&1)
check_contains "alerts names who dismissed" "$out" "dismissed by Kim"
check_contains "... and the note" "$out" "disk replaced, watching"
check_contains "a snooze shows its end" "$out" "snoozed by Lee"
check_contains "... with until" "$out" "until "
check_contains "... and its note" "$out" "after the backup"
json=$(A alerts --json --now 2026-12-01T08:20:00Z 2>&1)
check_contains "--json has the note" "$json" '"dismiss_note": "disk replaced, watching"'
check_contains "--json has the snooze's end" "$json" '"dismissed_until": "2026-12-01T10:10:00Z"'

A dismiss 99999 --by Kim --now 2026-12-01T08:30:00Z >"$T_DIR/nope.out" 2>&1
check_fails "an unknown alert is refused" test "$?" -eq 0
A dismiss "$id" --now 2026-12-01T08:30:00Z >"$T_DIR/noby.out" 2>&1
check_fails "--by is required" test "$?" -eq 0

# No repeat while dismissed; the snooze ends and the repeat comes.
before=$(grep -l "X-Ackbeat-Check: rows" "$T_DIR"/Maildir/new/* | wc -l)
check "ticks go on" A tick --now 2026-12-01T09:30:00Z
check_eq "a dismissed alert is not repeated" "$(grep -l "X-Ackbeat-Check: rows" "$T_DIR"/Maildir/new/* | wc -l)" "$before"
b2=$(grep -l "X-Ackbeat-Check: more" "$T_DIR"/Maildir/new/* | wc -l)
check "past the snooze" A tick --now 2026-12-01T10:11:00Z
check "the snoozed alert is notified again" test "$(grep -l "X-Ackbeat-Check: more" "$T_DIR"/Maildir/new/* | wc -l)" -gt "$b2"

sqlite3 "$T_DIR/data.db" "INSERT INTO t VALUES (1)"
check "the check recovers" A tick --now 2026-12-01T10:20:00Z
A dismiss "$id" --by Kim --now 2026-12-01T10:30:00Z >"$T_DIR/resolved.out" 2>&1
check_fails "a resolved alert cannot be dismissed" test "$?" -eq 0
check_contains "... and it says so" "$(cat "$T_DIR/resolved.out")" "already resolved"
done_testing
