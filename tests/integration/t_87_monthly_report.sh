#!/usr/bin/env bash
# t_87_monthly_report - the monthly report (issue 18) end to end through
# the real Postfix and Dovecot: a month of --now commands in Europe/Berlin
# (a ping check that fails for two hours, a heartbeat bob confirms), then
# on 1 December at 08:00 CET one report about November reaches alice's
# mailbox, with the uptime, the outage in words and bob's confirmation
# rate; it is not sent before its time, nor again by later commands (each
# command is a fresh process: what was sent is in the store).
. "$AB_SRCDIR/tests/integration/lib.sh"
[ -x "$ACKBEAT" ] || skip_all "no binary at $ACKBEAT"

tag="rep$$x$RANDOM"
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="it $tag" timezone="Europe/Berlin" tick="1m">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="HB_IMAP_PASSWORD" poll="1m" reply-address="heartbeat@example.test"
         ca-file="$ACKBEAT_STACK_CA"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <person name="bob" email="bob@example.test"/>
  </recipients>
  <alerting notify="bob" report-to="alice"/>
  <schedule name="second" rrule="FREQ=MONTHLY;BYMONTHDAY=2;BYHOUR=9;BYMINUTE=0;BYSECOND=0"/>
  <checks>
    <ping name="backup-$tag" label="Backup $tag" period="30d" grace="1d"/>
    <heartbeat name="duty-$tag" label="Duty $tag" schedule="second" to="bob"
               grace="3d" quorum="1"/>
  </checks>
</ackbeat>
EOF2
export HB_IMAP_PASSWORD=$ACKBEAT_STACK_PASSWORD_heartbeat
conf=$T_DIR/ackbeat.xml
apw=$ACKBEAT_STACK_PASSWORD_alice
bpw=$ACKBEAT_STACK_PASSWORD_bob
ab() { "$ACKBEAT" "$@" >>"$T_DIR/cmds.out" 2>>"$T_DIR/cmds.err"; }

check "validate" "$ACKBEAT" validate -c "$conf"
check "first tick, after November's fire time" ab tick -c "$conf" --now 2031-11-01T09:00:00Z
check "the backup reports in" ab report -c "$conf" --now 2031-11-01T09:00:00Z "backup-$tag" --status Healthy
# 2 November 09:00 CET: the heartbeat asks bob, who confirms by phone.
check "the heartbeat goes out" ab tick -c "$conf" --now 2031-11-02T08:00:00Z
uid=$(imap_wait_for bob "$bpw" "HEADER X-Ackbeat-Check duty-$tag" 15)
reply_to=$(imap_fetch bob "$bpw" "$uid" | mail_header reply-to)
token=${reply_to#heartbeat+}; token=${token%@example.test}
check_like "bob's request carries a token" "$token" '^[a-z2-7]{26}$'
check "bob confirms" ab ack -c "$conf" --now 2031-11-02T10:00:00Z "$token" --by bob@example.test
# 10 November: the backup fails at 04:00 CET and succeeds at 06:00.
check "the backup fails" ab report -c "$conf" --now 2031-11-10T03:00:00Z "backup-$tag" --status Failing --message "disk full"
ab tick -c "$conf" --now 2031-11-10T03:01:00Z
check "and recovers" ab report -c "$conf" --now 2031-11-10T05:00:00Z "backup-$tag" --status Healthy
ab report -c "$conf" --now 2031-11-30T05:00:00Z "backup-$tag" --status Healthy
ab tick -c "$conf" --now 2031-11-30T05:01:00Z
check "a tick before 08:00 CET on the 1st" ab tick -c "$conf" --now 2031-12-01T06:59:00Z
check_eq "no report before its time" "$(imap_search alice "$apw" "HEADER X-Ackbeat-Notice monthly-report SUBJECT \"$tag\"")" ""
check "the tick at 08:00 CET" ab tick -c "$conf" --now 2031-12-01T07:00:00Z
uid=$(imap_wait_for alice "$apw" "HEADER X-Ackbeat-Notice monthly-report SUBJECT \"$tag\"" 15)
check_eq "alice got one report" "$(wc -w <<<"$uid" | tr -d ' ')" 1
msg=$(imap_fetch alice "$apw" "$uid")
check_eq "its subject" "$(mail_header subject <<<"$msg")" "[it $tag] Monthly report for November 2031: 1 outage"
check_eq "the month in the outbox's words" "$(mail_header x-ackbeat-report <<<"$msg")" "2031-11"
check_contains "the month's days" "$msg" "from Saturday 1 November 2031 to"
check_contains "2 hours of 720: the uptime" "$msg" "Backup $tag (backup-$tag): up 99.72%, down 2 hours"
check_contains "the outage in the site's zone" "$msg" "from Monday 10 November 2031, 04:00 CET, 2 hours"
check_contains "bob's confirmation rate" "$msg" "bob <bob@example.test>: confirmed 1 of 1 (100%)"
check_contains "nobody bounced" "$msg" "Nobody's mail bounced."
check_contains "an HTML part too" "$msg" "Content-Type: text/html"
# Later commands, each a new process, send nothing again.
ab tick -c "$conf" --now 2031-12-01T07:05:00Z
ab tick -c "$conf" --now 2031-12-02T07:00:00Z
sleep 2
uids=$(imap_search alice "$apw" "HEADER X-Ackbeat-Notice monthly-report SUBJECT \"$tag\"")
check_eq "still one report" "$(wc -w <<<"$uids" | tr -d ' ')" 1
check_contains "the outbox lists it as sent" "$("$ACKBEAT" outbox -c "$conf" --all 2>&1)" "monthly-report"
done_testing
