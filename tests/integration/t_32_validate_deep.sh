#!/usr/bin/env bash
# t_32_validate_deep - what only the sources can tell, named per check:
# a missing table, SQL that does not parse, a plugin that is missing or
# has another ABI version; and the run of such a check is Offline, never
# a crash.
. "$AB_SRCDIR/tests/integration/lib.sh"

plugins=$(dirname "$ACKBEAT")/tests/plugins
[ -f "$plugins/wrong_abi.so" ] || plugins=$AB_SRCDIR/build/tests/plugins
sqlite3 "$T_DIR/d.db" "CREATE TABLE t(ts TEXT); INSERT INTO t VALUES ('2026-01-01T00:00:00Z');"
cat >"$T_DIR/c.xml" <<EOF2
<ackbeat>
  <sources><sqlite name="d" path="d.db"/></sources>
  <checks>
    <freshness name="ok" source="d" table="t" column="ts" max-age="1d"/>
    <freshness name="no-table" source="d" table="nope" column="ts" max-age="1d"/>
    <sql name="bad-sql" source="d" crit="1"><query>SELEC count(*) FROM t</query></sql>
    <plugin name="missing" file="/nonexistent/x.so"/>
    <plugin name="old-abi" file="$plugins/wrong_abi.so"/>
  </checks>
</ackbeat>
EOF2
check "plain validate accepts the file" "$ACKBEAT" validate -c "$T_DIR/c.xml"
out=$("$ACKBEAT" validate -c "$T_DIR/c.xml" --deep 2>&1)
check_eq "--deep refuses it" "$?" 2
check_contains "a missing table, with line and check" "$out" "c.xml:5: check 'no-table': source 'd': no such table: nope"
check_contains "a syntax error" "$out" "c.xml:6: check 'bad-sql'"
check_contains "... with the database's message" "$out" "syntax error"
check_contains "a missing plugin" "$out" "c.xml:7: check 'missing': plugin /nonexistent/x.so"
check_contains "a plugin of another ABI" "$out" "plugin ABI version 99, but ackbeat supports 1"
out=$("$ACKBEAT" run-check -c "$T_DIR/c.xml" bad-sql 2>/dev/null)
check_eq "running the bad query exits 1" "$?" 1
check_contains "... and it is Offline with the reason" "$out" "Offline"
done_testing
