#!/usr/bin/env bash
# t_62_forged_sender - a From: is not proof (issue 12).  A heartbeat goes
# out through Postfix to alice; a reply that claims to be from alice and
# carries her real token, but that our MX (authserv-id mx.example.test)
# stamped dmarc=fail, goes back through Postfix into the Dovecot inbox:
# ackbeat reads it over IMAP and it confirms nothing.  At the deadline the
# nobody-confirmed alert reaches bob; a forged "dismiss" from bob's address
# with dmarc=fail dismisses nothing (and the log says why), while bob's
# real reply (dmarc=pass) does.
. "$AB_SRCDIR/tests/integration/lib.sh"

tag="fg$$x$RANDOM"
cat >"$T_DIR/ackbeat.xml" <<EOF2
<ackbeat name="it $tag" timezone="UTC" tick="1m">
  <state path="state.db"/>
  <mail from="heartbeat@example.test" transport="smtp://127.0.0.1:$ACKBEAT_STACK_SMTP_PORT"
        tls="opportunistic" ca-file="$ACKBEAT_STACK_CA"/>
  <inbox url="imap://127.0.0.1:$ACKBEAT_STACK_IMAP_PORT/INBOX" username="heartbeat"
         password-env="HB_IMAP_PASSWORD" poll="1m" reply-address="heartbeat@example.test"
         ca-file="$ACKBEAT_STACK_CA" authserv-id="mx.example.test"/>
  <recipients>
    <person name="alice" email="alice@example.test"/>
    <person name="bob" email="bob@example.test"/>
  </recipients>
  <alerting notify="bob" repeat="24h"/>
  <schedule name="monthly" rrule="FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0"/>
  <checks>
    <heartbeat name="$tag" label="Monthly $tag" schedule="monthly" to="alice"
               grace="7d" quorum="1"/>
  </checks>
</ackbeat>
EOF2
export HB_IMAP_PASSWORD=$ACKBEAT_STACK_PASSWORD_heartbeat
conf=$T_DIR/ackbeat.xml
apw=$ACKBEAT_STACK_PASSWORD_alice
bpw=$ACKBEAT_STACK_PASSWORD_bob

out=$("$ACKBEAT" validate -c "$conf" 2>&1)
check_contains "validate accepts authserv-id" "$out" "valid"
if grep -q 'authserv-id' <<<"$out"; then not_ok "no authserv-id warning when it is set"; else ok "no authserv-id warning when it is set"; fi
sed 's/ authserv-id="mx.example.test"//' "$conf" >"$T_DIR/noauth.xml"
out=$("$ACKBEAT" validate -c "$T_DIR/noauth.xml" 2>&1)
check_contains "without authserv-id validate warns" "$out" "authserv-id"

rc=0
out=$("$ACKBEAT" tick -c "$conf" --now 2030-12-01T08:00:00Z 2>"$T_DIR/t1.err") || rc=$?
# Once (under the sanitizers, CI) this tick printed nothing: say how it
# ended and what it logged, should it happen again.
check_contains "the heartbeat goes out" "$out" "1 sent" ||
	diag "tick exited $rc; its log:" "$(tail -n 30 "$T_DIR/t1.err")"
uid=$(imap_wait_for alice "$apw" "HEADER X-Ackbeat-Check $tag" 30)
msg=$(imap_fetch alice "$apw" "$uid")
reply_to=$(mail_header reply-to <<<"$msg")
msgid=$(mail_header message-id <<<"$msg")
token=${reply_to#heartbeat+}; token=${token%@example.test}
check_like "alice's heartbeat carries her token" "$token" '^[a-z2-7]{26}$'

# reply FROM_ADDR TO IN_REPLY_TO DMARC ID TEXT: a reply as our MX would
# hand it on, with its Authentication-Results stamped on top.
reply() {
	{
		printf 'Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=x@attacker.example;\r\n'
		printf '\tdkim=none; dmarc=%s header.from=example.test\r\n' "$4"
		printf 'From: <%s>\r\nTo: %s\r\nSubject: Re: heartbeat\r\n' "$1" "$2"
		printf 'In-Reply-To: %s\r\nReferences: %s\r\n' "$3" "$3"
		printf 'Message-ID: <%s.%s@example.test>\r\nDate: %s\r\n' "$5" "$tag" "$(LC_ALL=C date -R)"
		printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$6"
	} >"$T_DIR/$5.eml"
	smtp_send "$1" "$2" "$T_DIR/$5.eml" &&
		imap_wait_for heartbeat "$HB_IMAP_PASSWORD" "HEADER Message-ID $5.$tag" 30 >/dev/null
}

check "a forged reply as alice goes through Postfix" \
	reply alice@example.test "$reply_to" "$msgid" fail forged1 "Yes, got it."
out=$("$ACKBEAT" inbox poll -c "$conf" --now 2030-12-01T09:00:00Z 2>"$T_DIR/poll.err")
check_contains "the poll reads it as a reply" "$out" "1 ack"
"$ACKBEAT" tick -c "$conf" --now 2030-12-01T09:01:00Z >/dev/null 2>>"$T_DIR/t2.err"
acks=$("$ACKBEAT" acks -c "$conf")
if grep -Eq "alice@example.test +confirmed" <<<"$acks"; then
	not_ok "the forged reply confirms nothing"; diag "$acks"
else
	ok "the forged reply confirms nothing"
fi
check_contains "acks says why it was not believed" "$acks" "dmarc=fail"
check_eq "the stored message says unverified, and why" \
	"$(sqlite3 "$T_DIR/state.db" "SELECT count(*) FROM inbox_messages WHERE message_id='forged1.$tag@example.test' AND detail LIKE '%unverified: sender failed authentication: dmarc=fail by mx.example.test%'")" 1
check_eq "no verified ack was recorded" \
	"$(sqlite3 "$T_DIR/state.db" "SELECT count(*) FROM acks WHERE verified = 1")" 0

# The deadline: nobody confirmed; bob is told.
out=$("$ACKBEAT" tick -c "$conf" --now 2030-12-08T08:01:00Z 2>>"$T_DIR/t3.err")
check_contains "the deadline opens an alert" "$out" "1 alerts opened"
uid=$(imap_wait_for bob "$bpw" "HEADER X-Ackbeat-Notice nobody-confirmed HEADER X-Ackbeat-Check $tag" 30)
msg=$(imap_fetch bob "$bpw" "$uid")
a_reply_to=$(mail_header reply-to <<<"$msg")
a_msgid=$(mail_header message-id <<<"$msg")

check "a forged dismiss as bob goes through Postfix" \
	reply bob@example.test "$a_reply_to" "$a_msgid" fail forged2 "dismiss"
"$ACKBEAT" tick -c "$conf" --now 2030-12-08T09:00:00Z >/dev/null 2>"$T_DIR/t4.err"
alerts=$("$ACKBEAT" alerts -c "$conf" --json)
if grep -q '"dismissed_by": "bob@example.test"' <<<"$alerts"; then
	not_ok "the forged dismiss dismisses nothing"; diag "$alerts"
else
	ok "the forged dismiss dismisses nothing"
fi
check_contains "the log says why the command was ignored" "$(cat "$T_DIR/t4.err")" "ignored: sender failed authentication: dmarc=fail by mx.example.test"

check "bob's real dismiss goes through Postfix" \
	reply bob@example.test "$a_reply_to" "$a_msgid" pass real3 "dismiss"
"$ACKBEAT" tick -c "$conf" --now 2030-12-08T09:30:00Z >/dev/null 2>"$T_DIR/t5.err"
alerts=$("$ACKBEAT" alerts -c "$conf" --json)
check_contains "the real one (dmarc=pass) is obeyed" "$alerts" '"dismissed_by": "bob@example.test"'
done_testing
