#!/usr/bin/env bash
# t_31_next - `ackbeat next`: fire times with their UTC offset across a
# DST change, the seed's windows explained, and maintenance (seed 002's
# use case 4: downtime on December 4, 5 and 9 at 9 p.m. Pacific).
. "$AB_SRCDIR/tests/integration/lib.sh"

cp "$AB_SRCDIR/tests/data/config/downtime.ics" "$T_DIR/"
cat >"$T_DIR/a.xml" <<'EOF2'
<ackbeat timezone="America/Los_Angeles">
  <Schedules>
    <EventScheduleObject>
      <EventSchedule>Main Schedule</EventSchedule>
      <Provisions>
        <ScheduleProvision><DayOfWeek>Monday</DayOfWeek><StartTime>00:00:00</StartTime><EndTime>23:59:59</EndTime></ScheduleProvision>
      </Provisions>
      <Exclusions>
        <ScheduleExclusion><DayOfWeek>Monday</DayOfWeek><StartTime>00:30:00</StartTime><EndTime>03:00:00</EndTime></ScheduleExclusion>
      </Exclusions>
    </EventScheduleObject>
  </Schedules>
  <schedule name="daily" cron="30 2 * * *"/>
  <schedule name="ftp-nightly" rrule="FREQ=DAILY;BYHOUR=21;BYMINUTE=0;BYSECOND=0"/>
  <maintenance calendar="downtime.ics" checks="ftp"/>
  <sources><sqlite name="d" path="x.db"/></sources>
  <checks>
    <sql name="db" source="d" crit="1" schedule="Main Schedule"><query>SELECT 1</query></sql>
    <sql name="daily" source="d" crit="1" schedule="daily"><query>SELECT 1</query></sql>
    <sql name="ftp" source="d" crit="1" schedule="ftp-nightly"><query>SELECT 1</query></sql>
  </checks>
</ackbeat>
EOF2
c=$T_DIR/a.xml
out=$("$ACKBEAT" next -c "$c" daily --now 2027-03-12T12:00:00Z --count 3)
check_contains "before spring forward: -08:00" "$out" "2027-03-13T02:30:00-08:00"
check_contains "the spring-forward day runs once, at 03:00 -07:00" "$out" "2027-03-14T03:00:00-07:00"
check_contains "after: 02:30 -07:00" "$out" "2027-03-15T02:30:00-07:00"
out=$("$ACKBEAT" next -c "$c" daily --now 2026-11-01T00:00:00Z --count 2)
check_eq "fall back: once, not twice" "$(grep -c '2026-11-01T02:30' <<<"$out")" 1

out=$("$ACKBEAT" next -c "$c" db --explain --at 2026-11-23T09:45:00Z)
check_eq "inside the Monday exclusion: exit 1" "$?" 1
check_contains "the exclusion is named" "$out" "inside exclusion Monday 00:30:00-03:00:00"
out=$("$ACKBEAT" next -c "$c" db --explain --at 2026-11-23T11:00:01Z)
check_eq "03:00:01 is allowed" "$?" 0
check_contains "the provision is named" "$out" "inside provision Monday 00:00:00-23:59:59"
out=$("$ACKBEAT" next -c "$c" db --explain --at 2026-11-23T11:00:00Z)
check_contains "EndTime is inclusive: 03:00:00 is still excluded" "$out" "blocked"

out=$("$ACKBEAT" next -c "$c" ftp --now 2026-12-03T12:00:00Z --count 7)
check_like "Dec 4 at 9 p.m. Pacific is held by maintenance" "$out" "2026-12-04T21:00:00-08:00  held: maintenance 'FTP file store maintenance'"
check_like "Dec 5 too" "$out" "2026-12-05T21:00:00-08:00  held"
check_eq "Dec 6 is not (an EXDATE in the calendar)" "$(grep '2026-12-06T21:00:00-08:00' <<<"$out" | grep -c held)" 0
check_like "Dec 9 is held" "$out" "2026-12-09T21:00:00-08:00  held"
"$ACKBEAT" next -c "$c" ftp --explain --at 2026-12-05T05:30:00Z >/dev/null
check_eq "explain during maintenance: exit 1" "$?" 1

# Bad schedule input is refused by validate with file, line and field.
cat >"$T_DIR/bad.xml" <<'EOF2'
<ackbeat>
  <schedule name="x" cron="0 25 * * *"/>
  <schedule name="y" rrule="FREQ=WEEKLY;BYDAY=XX"/>
  <schedule name="z" every="15m" timezone="Europe/Atlantis"/>
</ackbeat>
EOF2
out=$("$ACKBEAT" validate -c "$T_DIR/bad.xml" 2>&1)
check_eq "validate exits 2" "$?" 2
check_contains "the cron hour is named" "$out" "bad.xml:2: schedule x: cron \"0 25 * * *\""
check_contains "the RRULE is named" "$out" "bad.xml:3: schedule y:"
check_contains "the zone is named" "$out" "bad.xml:4: schedule z: timezone \"Europe/Atlantis\""
done_testing
