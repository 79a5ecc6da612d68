#!/usr/bin/env bash
# t_22_alerts_cli - the alert inbox and dismissals from the command line,
# as a person reads them: times in the site's zone, ages in words, who
# dismissed or snoozed an alert, until when and why (issues 13, 14).
# Needs no mail server: the transport is a Maildir.
. "$AB_SRCDIR/tests/integration/lib.sh"

cd "$T_DIR" || exit 1
sqlite3 d.db "CREATE TABLE t(ts TEXT); INSERT INTO t VALUES ('2026-11-01T00:00:00Z');"
cat >a.xml <<'EOF2'
<ackbeat name="cli" timezone="America/Chicago" tick="1m">
  <state path="state.db"/>
  <mail from="ackbeat@example.test" transport="maildir:out"/>
  <recipients><person name="ops" email="ops@example.test"/></recipients>
  <alerting notify="ops" repeat="1d"/>
  <sources><sqlite name="db" path="d.db"/></sources>
  <checks><freshness name="fresh" source="db" table="t" column="ts" max-age="2d"/></checks>
</ackbeat>
EOF2
check "a failing check opens an alert" "$ACKBEAT" tick -c a.xml --now 2026-12-01T12:00:00Z
out=$("$ACKBEAT" alerts -c a.xml --now 2026-12-02T12:00:00Z)
check_contains "the alert, opened in the site's zone" "$out" "since Tue 1 Dec 2026 06:00 CST"
check_contains "its age in words" "$out" "open 1 day,"
check_contains "the last notice" "$out" "last notice Tue 1 Dec 2026 06:00 CST (1 sent)"
check_contains "what the check found" "$out" "newest row is 30 days"

out=$("$ACKBEAT" dismiss -c a.xml 1 --by ops@example.test --note "vendor outage" --until 2d \
	--now 2026-12-01T13:00:00Z)
check_contains "dismiss --until says until when, in words" "$out" \
	"snoozed by ops@example.test until Thursday 3 December 2026, 07:00 CST"
out=$("$ACKBEAT" alerts -c a.xml --now 2026-12-02T12:00:00Z)
check_contains "alerts shows the snooze, its end and its note" "$out" \
	"snoozed by ops@example.test on Tue 1 Dec 2026 07:00 CST, until Thu 3 Dec 2026 07:00 CST: vendor outage"
json=$("$ACKBEAT" alerts -c a.xml --json --now 2026-12-02T12:00:00Z)
check_contains "--json keeps ISO UTC" "$json" '"dismissed_until": "2026-12-03T13:00:00Z"'
check_contains "--json has the note" "$json" '"dismiss_note": "vendor outage"'

out=$("$ACKBEAT" dismiss -c a.xml 1 --by ops@example.test --now 2026-12-01T14:00:00Z)
check_contains "a plain dismiss" "$out" "alert 1 dismissed by ops@example.test"
check_exit "an unknown alert is refused" 2 "$ACKBEAT" dismiss -c a.xml 99 --by ops@example.test
check_exit "--by is required" 2 "$ACKBEAT" dismiss -c a.xml 1
done_testing
